/* A small bytecode interpreter: a switch in a loop, calls and recursion. */
#include <stdio.h>

enum { PUSH, ADD, SUB, MUL, DUP, SWAP, JNZ, DEC, DROP, HALT, CALL, RET, MOD, OVER };

static long stack[256];

static long run(const int *code)
{
	int pc = 0, sp = 0, rsp = 0;
	int rstack[64];
	for (;;) {
		int op = code[pc++];
		switch (op) {
		case PUSH: stack[sp++] = code[pc++]; break;
		case ADD: sp--; stack[sp - 1] += stack[sp]; break;
		case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
		case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
		case MOD: sp--; stack[sp - 1] %= stack[sp] ? stack[sp] : 1; break;
		case DUP: stack[sp] = stack[sp - 1]; sp++; break;
		case OVER: stack[sp] = stack[sp - 2]; sp++; break;
		case SWAP: { long t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
		case DEC: stack[sp - 1]--; break;
		case DROP: sp--; break;
		case JNZ: { int t = code[pc++]; if (stack[--sp]) pc = t; break; }
		case CALL: rstack[rsp++] = pc + 1; pc = code[pc]; break;
		case RET: pc = rstack[--rsp]; break;
		case HALT: return stack[sp - 1];
		}
	}
}

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int classify(int c)
{
	switch (c % 11) {
	case 0: return c * 3;
	case 1: return c ^ 0x55;
	case 2: return c >> 2;
	case 3: return -c;
	case 4: return c & 0xf0;
	case 5: return c + 100;
	case 6: return c * c;
	case 7: return c | 1;
	case 8: return ~c;
	case 9: return c / 3;
	default: return c - 7;
	}
}

int main(void)
{
	/* acc = 1; n = 20; do { acc = acc * 3 + n mod 1000003 } while (--n) */
	int prog[] = {PUSH, 1, PUSH, 20, /* 4: */ SWAP, PUSH, 3, MUL, OVER, ADD, PUSH, 1000003, MOD, SWAP, DEC,
		      DUP, JNZ, 4, DROP, HALT};
	long r = 0;
	for (int i = 0; i < 40; i++)
		r += run(prog);
	long c = 0;
	for (int i = 0; i < 3000; i++)
		c += classify(i);
	printf("%ld %ld %d\n", r, c, fib(18));
	return 0;
}
