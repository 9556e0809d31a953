#!/usr/bin/env bash
# Times CPU-bound guest programs natively, under bin/guestrun and under
# qemu-x86_64 (when installed), interleaved, and prints the medians, the
# ratios guestrun/native and guestrun/qemu, and guestrun's guest MIPS (from
# GUESTRUN_STATS); then the fork+exit+wait and fork+exec+wait round trips.
# Usage: scripts/bench.sh [REPS]   (default 3, at most 5)
set -euo pipefail
cd "$(dirname "$0")/.."

reps=${1:-${REPS:-3}}
((reps < 1)) && reps=1
((reps > 5)) && reps=5
guestrun=${GUESTRUN_BIN:-bin/guestrun}
[ -x "$guestrun" ] || { echo "bench: $guestrun missing (make build)" >&2; exit 1; }
qemu=$(command -v qemu-x86_64 || true)
make -s -C tests/guest >/dev/null

# program and argument: sized so that guestrun takes seconds, not minutes.
benches=(
	"bench_intloop 10000000"
	"bench_qsort 100000"
	"bench_matmul 120"
	"bench_str 5000"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s%N; }

# timed FILE CMD...: appends the wall time in seconds to FILE, keeps stdout.
timed() {
	local out=$1
	shift
	local t0 t1
	t0=$(now)
	"$@" >"$tmp/stdout" 2>"$tmp/stderr" || { echo "bench: failed: $*" >&2; sed 's/^/  /' "$tmp/stderr" | head -5 >&2; return 1; }
	t1=$(now)
	echo "$(( (t1 - t0) / 1000 ))" | awk '{ printf "%.6f\n", $1 / 1e6 }' >>"$out"
}

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf "%-14s %-5s %10s %10s %10s %9s %9s %8s\n" program libc native_s guest_s qemu_s g/native g/qemu mips
for b in "${benches[@]}"; do
	read -r name arg <<<"$b"
	for libc in glibc musl; do
		prog=tests/guest/build/$libc/$name
		[ -x "$prog" ] || continue
		rm -f "$tmp"/{native,guest,qemu}
		ok=1
		for ((i = 0; i < reps; i++)); do
			timed "$tmp/native" "$prog" "$arg" || ok=0
			cp "$tmp/stdout" "$tmp/native.out"
			GUESTRUN_STATS=1 timed "$tmp/guest" "$guestrun" "$prog" "$arg" || ok=0
			if ! cmp -s "$tmp/stdout" "$tmp/native.out"; then
				echo "bench: $libc/$name: guestrun output differs from native" >&2
				ok=0
			fi
			insts=$(sed -n 's/.*stats: insts \([0-9]*\).*/\1/p' "$tmp/stderr")
			if [ -n "$qemu" ]; then
				timed "$tmp/qemu" "$qemu" "$prog" "$arg" || true
			fi
		done
		((ok)) || { printf "%-14s %-5s failed\n" "$name" "$libc"; continue; }
		n=$(median "$tmp/native")
		g=$(median "$tmp/guest")
		q=-
		[ -s "$tmp/qemu" ] && q=$(median "$tmp/qemu")
		awk -v name="$name" -v libc="$libc" -v n="$n" -v g="$g" -v q="$q" -v insts="${insts:-}" 'BEGIN {
			gq = (q == "-" || q == 0) ? "-" : sprintf("%.1f", g / q)
			qs = q == "-" ? "-" : sprintf("%.3f", q)
			mips = (insts == "" || g == 0) ? "-" : sprintf("%.0f", insts / g / 1e6)
			printf "%-14s %-5s %10.3f %10.3f %10s %9.1f %9s %8s\n", name, libc, n, g, qs, (n > 0 ? g / n : 0), gq, mips
		}'
	done
done

# Process round trips: fork+exit+wait, and fork+exec+wait of a small static
# program, timed inside the guest (bench_fork prints microseconds per round
# trip with BENCH_TIME set). Medians of REPS runs.
# per_op FILE CMD...: appends the microseconds per round trip to FILE.
per_op() {
	local out=$1
	shift
	BENCH_TIME=1 "$@" 2>&1 >/dev/null | sed -n 's/.*us\/op \([0-9.]*\).*/\1/p' >>"$out"
}

echo
printf "%-14s %-5s %10s %10s %10s %9s %9s\n" process libc native_us guest_us qemu_us g/native g/qemu
for b in "fork 200 20" "exec 100 10"; do
	read -r kind nnative nemu <<<"$b"
	for libc in glibc musl; do
		prog=tests/guest/build/$libc/bench_fork
		[ -x "$prog" ] || continue
		rm -f "$tmp"/{native,guest,qemu}
		for ((i = 0; i < reps; i++)); do
			per_op "$tmp/native" "$prog" "$kind" "$nnative" exit42
			per_op "$tmp/guest" "$guestrun" "$prog" "$kind" "$nemu" exit42
			[ -n "$qemu" ] && per_op "$tmp/qemu" "$qemu" "$prog" "$kind" "$nemu" exit42
		done
		n=$(median "$tmp/native")
		g=$(median "$tmp/guest")
		q=-
		[ -s "$tmp/qemu" ] && q=$(median "$tmp/qemu")
		awk -v name="$kind" -v libc="$libc" -v n="$n" -v g="$g" -v q="$q" 'BEGIN {
			if (g == "-" || n == "-") { printf "%-14s %-5s failed\n", name, libc; exit }
			gq = (q == "-" || q == 0) ? "-" : sprintf("%.1f", g / q)
			printf "%-14s %-5s %10.0f %10.0f %10s %9.1f %9s\n", name, libc, n, g, q, (n > 0 ? g / n : 0), gq
		}'
	done
done
