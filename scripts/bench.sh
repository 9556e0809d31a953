#!/usr/bin/env bash
# Runs each workload natively, under bin/guestrun and under qemu-x86_64 (when
# installed), interleaved, REPS times, and prints the medians, the ratios
# guestrun/native and guestrun/qemu, and guestrun's guest MIPS (from
# GUESTRUN_STATS, for the workloads timed as a whole). Then guestrun's own
# resident memory beyond a small guest's.
# Usage: scripts/bench.sh [REPS]   (default 3, at most 9)
# The machine's load shows in the figures: run it on a quiet machine, and
# compare medians of several runs.
set -euo pipefail
cd "$(dirname "$0")/.."

reps=${1:-${REPS:-3}}
((reps < 1)) && reps=1
((reps > 9)) && reps=9
guestrun=${GUESTRUN_BIN:-bin/guestrun}
[ -x "$guestrun" ] || { echo "bench: $guestrun missing (make build)" >&2; exit 1; }
qemu=$(command -v qemu-x86_64 || true)
busybox=$(command -v busybox || true)
if [ -n "$busybox" ] && command -v file >/dev/null && ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	busybox=
fi
make -s -C tests/guest >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A few MB of text for sha256sum and gzip, the same on every machine: lines
# of words drawn by a fixed linear congruential generator.
data=$tmp/data.txt
awk 'BEGIN {
	split("the of and to in is was for on that with as by at from his her it an are were which this be or", w, " ")
	x = 12345
	for (line = 0; line < 60000; line++) {
		s = ""
		for (k = 0; k < 12; k++) {
			x = (x * 1103515245 + 12345) % 2147483648
			s = s w[int(x / 65536) % 27 + 1] (x % 7 == 0 ? sprintf(" %d", x % 100000) : "") " "
		}
		print s
	}
}' >"$data"

# The workloads, one a line: NAME KIND PROGRAM ARGS...
#   KIND wall    the whole run's wall time, in seconds;
#        each:N  N runs one after another, milliseconds per run;
#        op      the program's own measure per operation (BENCH_TIME=1 makes
#                it print "UNIT/op VALUE" on stderr).
#   PROGRAM @NAME is tests/guest/build/LIBC/NAME, run once with glibc and once
#   with musl. Sizes are such that guestrun takes about a second or a few.
workloads=(
	"intloop wall @bench_intloop 10000000"
	"qsort wall @bench_qsort 100000"
	"matmul wall @bench_matmul 300"
	"str wall @bench_str 20000"
	"getppid op @bench_getppid 1000000"
	"fork+exit op @bench_fork fork 200 exit42"
	"fork+exec op @bench_fork exec 100 exit42"
	"clone+exit op @bench_fork clonevm 1000"
	"vfork+exec op @bench_fork vfork 200 exit42"
)
# Workloads qemu-x86_64 cannot run: it refuses clone with CLONE_VM and
# without CLONE_THREAD (EINVAL). Their qemu column is "-".
noqemu=" clone+exit "
if [ -n "$busybox" ]; then
	workloads+=(
		"sha256sum wall $busybox sha256sum $data"
		"gzip wall $busybox gzip -c -6 $data"
		"startup each:20 $busybox true"
	)
else
	echo "bench: no static busybox (apt-get install busybox-static): skipping its workloads" >&2
fi

# measure KIND OUT CMD...: runs CMD once (or N times), appends its measure to
# OUT and keeps its stdout in $tmp/stdout and stderr in $tmp/stderr.
measure() {
	local kind=$1 out=$2
	shift 2
	local t0 t1 n i
	case $kind in
	op)
		BENCH_TIME=1 "$@" >"$tmp/stdout" 2>"$tmp/stderr" || return 1
		sed -n 's/.* [a-z]*\/op \([0-9.]*\).*/\1/p' "$tmp/stderr" >>"$out"
		;;
	each:*)
		n=${kind#each:}
		t0=$EPOCHREALTIME
		for ((i = 0; i < n; i++)); do
			"$@" >"$tmp/stdout" 2>"$tmp/stderr" || return 1
		done
		t1=$EPOCHREALTIME
		awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.6f\n", (b - a) * 1000 / n }' >>"$out"
		;;
	*)
		t0=$EPOCHREALTIME
		"$@" >"$tmp/stdout" 2>"$tmp/stderr" || return 1
		t1=$EPOCHREALTIME
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' >>"$out"
		;;
	esac
}

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "bench: $reps interleaved runs each, medians; $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-10s %-5s %5s %10s %10s %10s %8s %7s %6s\n" workload libc unit native guestrun qemu g/native g/qemu mips
for w in "${workloads[@]}"; do
	read -r name kind prog args <<<"$w"
	read -ra argv <<<"${args:-}"
	libcs=(-)
	[[ $prog == @* ]] && libcs=(glibc musl)
	for libc in "${libcs[@]}"; do
		p=$prog
		if [[ $prog == @* ]]; then
			p=tests/guest/build/$libc/${prog#@}
			[ -x "$p" ] || continue
		fi
		rm -f "$tmp"/{native,guest,qemu,mips}
		ok=1
		for ((i = 0; i < reps; i++)); do
			measure "$kind" "$tmp/native" "$p" "${argv[@]}" || { echo "bench: $name: native run failed" >&2; ok=0; break; }
			mv "$tmp/stdout" "$tmp/native.out"
			# -stats counts the instructions for the MIPS of wall workloads.
			# It also stops the CPU making syscalls itself (HostCalls in
			# emu/cpu), so the other workloads run without it, as users run.
			stats=
			[ "$kind" = wall ] && stats=1
			if ! GUESTRUN_STATS=$stats measure "$kind" "$tmp/guest" "$guestrun" "$p" "${argv[@]}"; then
				echo "bench: $name $libc: guestrun failed:" >&2
				sed 's/^/  /' "$tmp/stderr" | grep -v 'stats:' | head -5 >&2
				ok=0
				break
			fi
			if ! cmp -s "$tmp/stdout" "$tmp/native.out"; then
				echo "bench: $name $libc: guestrun's output differs from the native one" >&2
				ok=0
				break
			fi
			sed -n 's/.*stats: insts \([0-9]*\) .* seconds \([0-9.]*\) .*/\1 \2/p' "$tmp/stderr" | tail -1 >>"$tmp/mips"
			if [ -n "$qemu" ] && [[ $noqemu != *" $name "* ]]; then
				measure "$kind" "$tmp/qemu" "$qemu" "$p" "${argv[@]}" || echo "bench: $name $libc: qemu failed" >&2
			fi
		done
		((ok)) || { printf "%-10s %-5s failed\n" "$name" "$libc"; continue; }
		unit=s
		case $kind in
		op) unit=$(sed -n 's/.* \([a-z]*\)\/op .*/\1/p' "$tmp/stderr" | head -1) ;;
		each:*) unit=ms ;;
		esac
		# MIPS only means something for the CPU-bound runs.
		mips=-
		if [ "$kind" = wall ] && [ -s "$tmp/mips" ]; then
			awk '{ print $1 / $2 / 1e6 }' "$tmp/mips" >"$tmp/mips.1"
			mips=$(median "$tmp/mips.1")
		fi
		n=$(median "$tmp/native")
		g=$(median "$tmp/guest")
		q=-
		[ -s "$tmp/qemu" ] && q=$(median "$tmp/qemu")
		awk -v name="$name" -v libc="$libc" -v unit="$unit" -v n="$n" -v g="$g" -v q="$q" -v mips="$mips" 'BEGIN {
			if (n == "-" || g == "-") { printf "%-10s %-5s no measure\n", name, libc; exit }
			qs = q == "-" ? "-" : sprintf("%.4g", q)
			gq = (q == "-" || q == 0) ? "-" : sprintf("%.1f", g / q)
			gn = n > 0 ? sprintf("%.1f", g / n) : "-"
			ms = mips == "-" ? "-" : sprintf("%.0f", mips)
			printf "%-10s %-5s %5s %10.4g %10.4g %10s %8s %7s %6s\n", name, libc, unit, n, g, qs, gn, gq, ms
		}'
	done
done

# guestrun's own memory: VmRSS of a guest that sleeps, under guestrun and
# natively; the difference is what guestrun adds (issue target: < 30 MB).
rss() {
	(exec "$@") &
	local pid=$!
	sleep 0.5
	awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}
if [ -n "$busybox" ]; then
	nr=$(rss "$busybox" sleep 10)
	gr=$(rss "$guestrun" "$busybox" sleep 10)
	echo
	awk -v n="$nr" -v g="$gr" 'BEGIN { printf "rss: busybox sleep: native %.1f MB, guestrun %.1f MB, guestrun adds %.1f MB\n", n / 1024, g / 1024, (g - n) / 1024 }'
fi
