package guest

import (
	"debug/elf"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Dynamically linked programs: the host's ld.so maps the shared libraries,
// relocates them (ifuncs that read CPUID included) and sets up TLS, all in
// the guest. TestDynamic/prog runs build/dynamic/*, built with plain gcc and
// g++; TestDynamic/NAME runs Debian's programs that do not fork on the same
// data files as the busybox cases.

// dynCase is one run of a host program, found in /usr/bin or /bin.
type dynCase struct {
	name  string
	prog  string
	args  []string
	stdin string // file in the data directory; "" for /dev/null
	scrub string // regexp of output that may differ between runs
}

const perlScript = `use strict; use warnings; use POSIX qw(floor ceil fmod strftime); use List::Util qw(sum max min);
use Digest::MD5 qw(md5_hex); use Digest::SHA qw(sha256_hex); use MIME::Base64;
my @a = map { $_ * 1.5 } 1..10; print "@a ", sum(@a), " ", max(@a), "\n";
my %h; while (<STDIN>) { my ($w, $n) = split; $h{$w} += $n } print scalar(keys %h), " words, total ", sum(values %h), "\n";
print join(",", (sort { $h{$b} <=> $h{$a} || $a cmp $b } keys %h)[0..4]), "\n";
(my $t = "the quick brown fox") =~ s/(\w+)/\u$1/g; print "$t\n";
printf "%.10f %e %g %x %o %b\n", atan2(1,1)*4, exp(20), 1/3, 255, 8, 10;
print md5_hex("abc" x 1000), " ", sha256_hex("guestrun"), "\n", encode_base64(pack("N*", 1..6));
print strftime("%Y-%m-%d %H:%M:%S", gmtime(1700000000)), " ", floor(-2.5), ceil(-2.5), fmod(10, 3), " ", 9**20, "\n";
eval { die "oops\n" }; print "caught: $@";
my $big = 1; $big *= $_ for 1..20; print "$big ", 0.1 + 0.2, " ", 1e21, "\n";`

const pythonScript = `import math, re, struct, zlib, json, decimal, fractions, hashlib, random, collections, datetime, base64, heapq, statistics, unicodedata
print(math.sqrt(2), math.sin(1.0), math.exp(10), math.log(7), math.gamma(5.5), math.fsum([0.1] * 10))
print(re.findall(r'(\w+)@(\w+)\.com', 'a@b.com, cc@dd.com x@y.org'), re.sub(r'\d+', lambda m: str(int(m.group()) * 2), 'a1b22c333'))
print(struct.pack('<dIq', 1.5, 7, -3).hex(), struct.unpack('>f', b'\x40\x49\x0f\xdb'))
d = zlib.compress(b'hello world' * 100, 9); print(len(d), zlib.crc32(d), zlib.decompress(d)[:11])
print(json.dumps({'x': [1, 2.25, None, True, 'é']}, sort_keys=True), json.loads('[1e300, -0.0, 3.14159]'))
decimal.getcontext().prec = 50; print(decimal.Decimal(1) / decimal.Decimal(7), fractions.Fraction(3, 7) ** 5)
print([hashlib.new(h, b'abc' * 1000).hexdigest()[:24] for h in ('md5', 'sha1', 'sha256', 'sha512', 'sha3_256', 'blake2b')])
random.seed(42); print([random.randint(0, 100) for _ in range(10)], random.random())
words = collections.Counter(l.split()[0] for l in open('words.txt')); print(len(words), words.most_common(3))
print(datetime.datetime(2020, 1, 2, 3, 4, 5) + datetime.timedelta(days=400, seconds=3.5), base64.b64encode(bytes(range(20))))
h = [5, 3, 9, 1]; heapq.heapify(h); print(heapq.nsmallest(2, h), statistics.stdev([1.5, 2.5, 2.5, 2.75, 3.25, 4.75]))
print(unicodedata.name('é'), 'ß'.upper(), float('1e-320'), 2 ** 200 // 3 ** 50, pow(3, 1000, 10 ** 9 + 7), '%.17g %r %a' % (0.1, 1 / 3, 1.5))
try:
    1 / 0
except ZeroDivisionError as e:
    print('caught', e)`

var dynamicCases = []dynCase{
	{"ls-1", "ls", []string{"-1", "-p", "tree", "tree/sub"}, "", ""},
	{"ls-l", "ls", []string{"-l", "--full-time", "tree"}, "", ""},
	{"ls-laR", "ls", []string{"-laR", "--full-time", "tree"}, "", ""},
	{"sort", "sort", []string{"words.txt"}, "", ""},
	{"sort-n", "sort", []string{"-n", "nums.txt"}, "", ""},
	{"sort-t", "sort", []string{"-t", ",", "-k3,3n", "-k1,1", "data.csv"}, "", ""},
	{"sort-ru", "sort", []string{"-r", "-u", "sorted.txt"}, "", ""},
	{"md5sum", "md5sum", []string{"words.txt", "bin.dat", "big.txt"}, "", ""},
	{"sha1sum", "sha1sum", []string{"words.txt", "bin.dat", "big.txt"}, "", ""},
	{"sha256sum", "sha256sum", []string{"words.txt", "bin.dat", "big.txt"}, "", ""},
	{"sha512sum", "sha512sum", []string{"words.txt", "bin.dat", "big.txt"}, "", ""},
	{"b2sum", "b2sum", []string{"words.txt", "bin.dat"}, "", ""},
	{"cksum", "cksum", []string{"words.txt", "big.txt"}, "", ""},
	{"sha256sum-c", "sha256sum", []string{"-c", "sums.txt"}, "", ""},
	{"readlink-f", "readlink", []string{"-f", "tree/link", "tree/sub/../b.txt"}, "", ""},
	{"readlink-exe", "readlink", []string{"/proc/self/exe"}, "", ""},
	{"realpath", "realpath", []string{"tree/sub/../a.txt"}, "", ""},
	{"cat", "cat", []string{"words.txt", "nums.txt"}, "", ""},
	{"cat-stdin", "cat", nil, "words.txt", ""},
	{"cat-missing", "cat", []string{"no-such-file"}, "", ""},
	{"wc", "wc", []string{"words.txt", "nums.txt", "bin.dat"}, "", ""},
	{"wc-stdin", "wc", []string{"-l", "-w", "-c"}, "big.txt", ""},
	{"head", "head", []string{"-n", "7", "words.txt"}, "", ""},
	{"head-c", "head", []string{"-c", "100", "bin.dat"}, "", ""},
	{"tail", "tail", []string{"-n", "5", "words.txt"}, "", ""},
	{"tr", "tr", []string{"a-z", "A-Z"}, "words.txt", ""},
	{"tr-d", "tr", []string{"-d", "0-9 "}, "words.txt", ""},
	{"tr-s", "tr", []string{"-s", "a-z"}, "words.txt", ""},
	{"cut", "cut", []string{"-d", ",", "-f", "2,4", "data.csv"}, "", ""},
	{"uniq-c", "uniq", []string{"-c", "sorted.txt"}, "", ""},
	{"od", "od", []string{"-A", "x", "-t", "x1z", "-N", "256", "bin.dat"}, "", ""},
	{"od-f", "od", []string{"-t", "d4", "-t", "f8", "-N", "128", "bin.dat"}, "", ""},
	{"base64", "base64", []string{"bin.dat"}, "", ""},
	{"base64-d", "base64", []string{"-d", "words.b64"}, "", ""},
	{"nl", "nl", []string{"words.txt"}, "", ""},
	{"fold", "fold", []string{"-w", "17", "words.txt"}, "", ""},
	{"expand", "expand", []string{"-t", "3", "tabs.txt"}, "", ""},
	{"tac", "tac", []string{"nums.txt"}, "", ""},
	{"paste", "paste", []string{"-d", ":", "nums.txt", "words.txt"}, "", ""},
	{"seq", "seq", []string{"-w", "0.5", "0.25", "30"}, "", ""},
	{"factor", "factor", []string{"1234567890", "600851475143", "4294967291", "18446744073709551615"}, "", ""},
	{"printf", "printf", []string{`%5.2f|%x|%-6s|%05d|%e|%c|%%\n`, "3.14159", "255", "str", "42", "12345.678", "xyz"}, "", ""},
	{"date", "date", []string{"-u", "-d", "@1700000000", "+%Y-%m-%d %H:%M:%S %a %j %s"}, "", ""},
	{"stat", "stat", []string{"-c", "%n %s %a %A %F %h %U %G %Y", "tree/a.txt", "tree/sub", "tree/link", "tree/exec.sh"}, "", ""},
	{"du", "du", []string{"-a", "tree"}, "", ""},
	{"numfmt", "numfmt", []string{"--to=iec", "123456789", "1000", "99999999999"}, "", ""},
	{"expr", "expr", []string{"7", "*", "6", "+", "100", "/", "7"}, "", ""},
	{"find", "find", []string{"tree", "-name", "*.txt"}, "", ""},
	{"grep", "grep", []string{"-n", "-i", "-E", "^[a-f]+ [0-9]+$", "words.txt"}, "", ""},
	{"sed", "sed", []string{"-e", "/^a/d", "-e", `s/\(..\)\(.*\)/\2\1/`, "words.txt"}, "", ""},
	{"awk", "awk", []string{`{ s += $2; n[$1]++ } END { printf "%d %d %.3f\n", s, NR, s / NR }`, "words.txt"}, "", ""},
	{"gzip", "gzip", []string{"-c", "-9", "big.txt"}, "", ""},
	{"gunzip", "gzip", []string{"-dc", "big.txt.gz"}, "", ""},
	{"xz-d", "xz", []string{"-dc", "big.txt.xz"}, "", ""},
	{"bzip2", "bzip2", []string{"-c", "big.txt"}, "", ""},
	{"diff", "diff", []string{"-u", "words.txt", "words2.txt"}, "", ""},
	{"cmp", "cmp", []string{"words.txt", "sorted.txt"}, "", ""},
	{"tar-t", "tar", []string{"-tvf", "tree.tar"}, "", ""},
	// Programs that pick code paths by CPUID (AES-NI, SHA, AVX): the
	// guest gets what guestrun's CPUID reports.
	{"openssl-dgst", "openssl", []string{"dgst", "-sha256", "-sha512", "-sha1", "-md5", "bin.dat", "big.txt"}, "", ""},
	{"openssl-aes", "openssl", []string{"enc", "-aes-256-cbc", "-K", strings.Repeat("0123456789abcdef", 4), "-iv", strings.Repeat("f0e1d2c3", 4), "-in", "big.txt"}, "", ""},
	{"openssl-aes-ctr", "openssl", []string{"enc", "-aes-128-ctr", "-K", strings.Repeat("0f1e2d3c", 4), "-iv", strings.Repeat("01", 16), "-in", "bin.dat"}, "", ""},
	{"openssl-chacha20", "openssl", []string{"enc", "-chacha20", "-K", strings.Repeat("00112233", 8), "-iv", strings.Repeat("44", 16), "-in", "big.txt"}, "", ""},
	{"zstd", "zstd", []string{"-c", "-19", "big.txt"}, "", ""},
	{"sqlite3", "sqlite3", []string{":memory:", "create table t(w text, n int); with recursive c(i) as (select 1 union all select i + 1 from c where i < 2000) insert into t select hex(i * 7919 % 1000), i % 97 from c; select count(*), sum(n), avg(n), max(w), group_concat(n % 10, '') from (select * from t order by w, rowid limit 50);"}, "", ""},
	{"jq", "jq", []string{"-n", "-c", `[range(20)] | map(. * 1.5) | {sum: add, max: max, sq: map(. * .) | add, s: (map(tostring) | join(","))}`}, "", ""},
	{"file", "file", []string{"bin.dat", "big.txt", "tree/exec.sh", "big.txt.gz", "tree.tar"}, "", ""},
	// ld.so run as the program loads the program named after it.
	{"ldso-direct", "/lib64/ld-linux-x86-64.so.2", []string{"/usr/bin/sort", "-r", "words.txt"}, "", ""},
	// bash forks and execs dynamic programs: every process of the
	// pipeline runs under guestrun.
	{"bash-pipeline", "bash", []string{"-c", "sort words.txt | uniq -c | sort -rn | head -5 | md5sum; ls -1 tree | wc -l; x=$(grep -c a words.txt); echo \"$x matches\"; tr a-z A-Z < words.txt | cut -c1-3 | sort -u | tail -3"}, "", ""},
	{"bash-loop", "bash", []string{"-c", "for f in words.txt nums.txt data.csv; do printf '%s ' $f; wc -l < $f; done; (cd tree && ls -1 | sed 's/^/- /'); echo done $?"}, "", ""},
	{"perl", "perl", []string{"-e", perlScript}, "words.txt", ""},
	{"python3", "python3", []string{"-c", pythonScript}, "", ""},
}

// hostProgram finds a dynamically linked Debian program; an absolute name
// is used as it is.
func hostProgram(t *testing.T, name string) string {
	if filepath.IsAbs(name) {
		if _, err := os.Stat(name); err != nil {
			t.Skipf("%s: %v", name, err)
		}
		return name
	}
	for _, dir := range []string{"/usr/bin", "/bin"} {
		p := filepath.Join(dir, name)
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		defer f.Close()
		for _, ph := range f.Progs {
			if ph.Type == elf.PT_INTERP {
				return p
			}
		}
		t.Skipf("%s is not dynamically linked", p)
	}
	t.Skipf("%s is not installed", name)
	return ""
}

// TestDynamic compares dynamically linked programs natively and under
// guestrun.
func TestDynamic(t *testing.T) {
	t.Run("prog", func(t *testing.T) {
		names := programs(t, "dynamic")
		if len(names) == 0 {
			t.Skip("no dynamic programs built")
		}
		for _, name := range names {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				compare(t, invocation{argv: []string{filepath.Join(buildDir, "dynamic", name)}, dir: workDir(t), fresh: true})
			})
		}
	})
	for _, c := range dynamicCases {
		t.Run(c.name, func(t *testing.T) {
			prog := hostProgram(t, c.prog)
			dir := prepareData(t)
			t.Parallel()
			inv := invocation{argv: append([]string{prog}, c.args...), dir: dir}
			if c.scrub != "" {
				inv.scrub = regexp.MustCompile(c.scrub)
			}
			if c.stdin != "" {
				inv.stdin = filepath.Join(dir, c.stdin)
			}
			compare(t, inv)
		})
	}
}
