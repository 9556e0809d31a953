package cpu

// Lazy flags: a flag-setting instruction records its kind, size and operands;
// the six status flags are derived only when something reads them.

type lazyOp uint8

const (
	lazyNone  lazyOp = iota // status flags are in c.flags
	lazyAdd                 // R = A + B
	lazyAdc                 // R = A + B + C
	lazySub                 // R = A - B (also CMP, NEG with A = 0)
	lazySbb                 // R = A - B - C
	lazyLogic               // AND, OR, XOR, TEST: CF = OF = AF = 0
	lazyInc                 // R = A + 1, C = old CF
	lazyDec                 // R = A - 1, C = old CF
	lazyShl                 // R = A << B, B in 1..bits
	lazyShr                 // R = A >> B
	lazySar                 // R = A >>s B
)

// The operation size lives in the top bits of lazyOp's companion, lazyBits.
// Keeping it separate from the op keeps the switch tables dense.

var parity [256]bool

func init() {
	for i := range parity {
		n := 0
		for b := i; b != 0; b >>= 1 {
			n += b & 1
		}
		parity[i] = n%2 == 0
	}
}

// sizeMask returns the mask for an operand of n bytes.
func sizeMask(n uint8) uint64 {
	return ^uint64(0) >> (64 - 8*uint64(n))
}

// signBit returns the sign bit for an operand of n bytes.
func signBit(n uint8) uint64 {
	return 1 << (8*uint64(n) - 1)
}

// signExtend sign-extends the low n bytes of v.
func signExtend(v uint64, n uint8) uint64 {
	s := 64 - 8*uint(n)
	return uint64(int64(v<<s) >> s)
}

// setLazy records a flag-setting operation on n-byte operands.
func (c *CPU) setLazy(op lazyOp, n uint8, a, b, r uint64) {
	c.lazyOp = op
	c.lazyN = n
	c.lazyA = a
	c.lazyB = b
	c.lazyR = r & sizeMask(n)
}

// Flags returns RFLAGS with the status flags materialised.
func (c *CPU) Flags() uint64 {
	if c.lazyOp == lazyNone {
		return c.flags
	}
	return c.flags&^arithFlags | c.lazyFlags()
}

// SetFlags replaces RFLAGS (only the bits user mode can change, plus the
// fixed ones).
func (c *CPU) SetFlags(f uint64) {
	c.lazyOp = lazyNone
	c.flags = f&writableFlags | 0x202
}

// setStatus replaces the six status flags, leaving the others.
func (c *CPU) setStatus(f uint64) {
	c.flags = c.flags&^arithFlags | f&arithFlags
	c.lazyOp = lazyNone
}

// materialize folds the lazy state into c.flags.
func (c *CPU) materialize() {
	if c.lazyOp != lazyNone {
		c.flags = c.flags&^arithFlags | c.lazyFlags()
		c.lazyOp = lazyNone
	}
}

// szp computes ZF, SF and PF of a result.
func szp(r uint64, n uint8) uint64 {
	var f uint64
	if r&sizeMask(n) == 0 {
		f |= FlagZF
	}
	if r&signBit(n) != 0 {
		f |= FlagSF
	}
	if parity[uint8(r)] {
		f |= FlagPF
	}
	return f
}

func (c *CPU) lazyFlags() uint64 {
	a, b, r, n := c.lazyA, c.lazyB, c.lazyR, c.lazyN
	m := sizeMask(n)
	sb := signBit(n)
	f := szp(r, n)
	switch c.lazyOp {
	case lazyAdd, lazyAdc:
		if r < a&m || (c.lazyOp == lazyAdc && c.lazyC != 0 && r == a&m) {
			f |= FlagCF
		}
		if (a^r)&(b^r)&sb != 0 {
			f |= FlagOF
		}
		f |= (a ^ b ^ r) & FlagAF
	case lazySub, lazySbb:
		if a&m < b&m || (c.lazyOp == lazySbb && c.lazyC != 0 && a&m == b&m) {
			f |= FlagCF
		}
		if (a^b)&(a^r)&sb != 0 {
			f |= FlagOF
		}
		f |= (a ^ b ^ r) & FlagAF
	case lazyLogic:
	case lazyInc:
		f |= c.lazyC & FlagCF
		if r == sb {
			f |= FlagOF
		}
		f |= (a ^ 1 ^ r) & FlagAF
	case lazyDec:
		f |= c.lazyC & FlagCF
		if r == sb-1 {
			f |= FlagOF
		}
		f |= (a ^ 1 ^ r) & FlagAF
	case lazyShl:
		// AF is undefined after shifts; AMD Zen sets it.
		f |= FlagAF
		bits := 8 * uint64(n)
		if b <= bits && (a>>(bits-b))&1 != 0 {
			f |= FlagCF
		}
		if (r&sb != 0) != (f&FlagCF != 0) {
			f |= FlagOF
		}
	case lazyShr:
		f |= FlagAF
		if (a>>(b-1))&1 != 0 {
			f |= FlagCF
		}
		if a&sb != 0 && b == 1 {
			f |= FlagOF
		}
	case lazySar:
		f |= FlagAF
		s := b - 1
		if s > 63 {
			s = 63
		}
		if (signExtend(a, n)>>s)&1 != 0 {
			f |= FlagCF
		}
	}
	return f
}

// cf returns CF as 0 or 1.
func (c *CPU) cf() uint64 {
	switch c.lazyOp {
	case lazyNone:
		return c.flags & FlagCF
	case lazySub:
		m := sizeMask(c.lazyN)
		if c.lazyA&m < c.lazyB&m {
			return 1
		}
		return 0
	case lazyAdd:
		if c.lazyR < c.lazyA&sizeMask(c.lazyN) {
			return 1
		}
		return 0
	case lazyLogic:
		return 0
	case lazyInc, lazyDec:
		return c.lazyC & FlagCF
	}
	return c.lazyFlags() & FlagCF
}

func (c *CPU) zf() bool {
	if c.lazyOp == lazyNone {
		return c.flags&FlagZF != 0
	}
	return c.lazyR == 0
}

func (c *CPU) sf() bool {
	if c.lazyOp == lazyNone {
		return c.flags&FlagSF != 0
	}
	return c.lazyR&signBit(c.lazyN) != 0
}

func (c *CPU) of() bool {
	switch c.lazyOp {
	case lazyNone:
		return c.flags&FlagOF != 0
	case lazyLogic:
		return false
	}
	return c.lazyFlags()&FlagOF != 0
}

func (c *CPU) pf() bool {
	if c.lazyOp == lazyNone {
		return c.flags&FlagPF != 0
	}
	return parity[uint8(c.lazyR)]
}

// cond evaluates condition code cc (the low nibble of Jcc/SETcc/CMOVcc).
func (c *CPU) cond(cc uint8) bool {
	if c.lazyOp == lazySub {
		// CMP and SUB: compare the operands directly.
		n := c.lazyN
		a, b := c.lazyA&sizeMask(n), c.lazyB&sizeMask(n)
		sa, sb := int64(signExtend(a, n)), int64(signExtend(b, n))
		switch cc {
		case 0x2:
			return a < b
		case 0x3:
			return a >= b
		case 0x4:
			return a == b
		case 0x5:
			return a != b
		case 0x6:
			return a <= b
		case 0x7:
			return a > b
		case 0xc:
			return sa < sb
		case 0xd:
			return sa >= sb
		case 0xe:
			return sa <= sb
		case 0xf:
			return sa > sb
		}
	}
	var r bool
	switch cc >> 1 {
	case 0:
		r = c.of()
	case 1:
		r = c.cf() != 0
	case 2:
		r = c.zf()
	case 3:
		r = c.cf() != 0 || c.zf()
	case 4:
		r = c.sf()
	case 5:
		r = c.pf()
	case 6:
		r = c.sf() != c.of()
	case 7:
		r = c.zf() || c.sf() != c.of()
	}
	return r != (cc&1 != 0)
}
