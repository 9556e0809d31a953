#!/bin/sh
# Generates the man page docs/guestrun.1 from docs/usage.md, which keeps to
# a small subset of Markdown: "#" title, "##" sections, "###" option
# headings, paragraphs, "- " lists, fenced code blocks, `code` and *italic*.
# Usage: scripts/gen-man.sh [usage.md [guestrun.1]]
set -eu
cd "$(dirname "$0")/.."
in=${1:-docs/usage.md}
out=${2:-docs/guestrun.1}
version=$(sed -n 's/^const version = "\(.*\)"$/\1/p' cmd/guestrun/args.go)

awk -v version="$version" '
# Inline markup: roff escapes first, then `code` in bold (its asterisks
# kept aside), *word* in italics.
function inline(s,    c) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	while (match(s, /`[^`]*`/)) {
		c = substr(s, RSTART + 1, RLENGTH - 2)
		gsub(/\*/, "\001", c)
		s = substr(s, 1, RSTART - 1) "\\fB" c "\\fR" substr(s, RSTART + RLENGTH)
	}
	while (match(s, /\*[^*]+\*/))
		s = substr(s, 1, RSTART - 1) "\\fI" substr(s, RSTART + 1, RLENGTH - 2) "\\fR" substr(s, RSTART + RLENGTH)
	gsub(/\001/, "*", s)
	return s
}
# A line must not start with a control character.
function text(s) {
	if (s ~ /^[.\047]/)
		s = "\\&" s
	print s
}
BEGIN { comment = 0; code = 0 }
/^<!--/ { comment = 1 }
comment { if ($0 ~ /-->/) comment = 0; next }
/^```/ {
	if (code) { print ".fi"; if (!inopt) print ".RE"; code = 0 }
	else if (inopt) { print ".IP"; print ".nf"; code = 1 }
	else { print ".PP"; print ".RS 4"; print ".nf"; code = 1 }
	para = 0
	next
}
code {
	s = $0
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	text(s)
	next
}
/^# / {
	name = $2; sub(/\(.*/, "", name)
	sec = $2; sub(/.*\(/, "", sec); sub(/\).*/, "", sec)
	printf ".TH %s %s \"\" \"guestrun %s\" \"User Commands\"\n", toupper(name), sec, version
	next
}
/^## / { sub(/^## /, ""); print ".SH " $0; para = 0; inopt = 0; next }
/^### / { sub(/^### /, ""); print ".TP"; text(inline($0)); intag = 1; inopt = 1; para = 0; next }
/^- / { sub(/^- /, ""); print ".IP \\(bu 2"; text(inline($0)); para = 0; next }
/^$/ { if (!intag) para = 1; next }
{
	if (para) { print (inopt ? ".IP" : ".PP"); para = 0 }
	intag = 0
	s = $0; sub(/^  +/, "", s)
	text(inline(s))
}
' "$in" >"$out"
echo "wrote $out"
