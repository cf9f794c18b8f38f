#!/bin/sh
# The manuals format without warnings and keep up with the programs: every ptctl command, every passthrud option
# and every configuration key is in its manual; the bash completion offers every command.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${PT_BUILD_DIR:?}
n=0
fail=0
check() {
	desc=$1; shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then echo "ok $n $desc"; else fail=1; echo "not ok $n $desc"; printf '%s\n' "$out" | sed 's/^/# /'; fi
}
echo "1..6"
groff_clean() {
	for f in "$SRC"/man/*.[158]; do
		w=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$f" 2>&1)
		[ -z "$w" ] || { echo "$f: $w"; return 1; }
	done
}
check "the manuals format without warnings" groff_clean
commands() {
	"$B/client/ptctl" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF && !/Commands:/ { print $1 }' | while read -r c; do
		pat=$(printf '%s' "$c" | sed 's/-/\\\\-/g')
		grep -q "^\.BR\{0,1\} $pat\b" "$SRC/man/ptctl.1" || { echo "ptctl.1 lacks $c"; exit 1; }
		grep -q "\b$c\b" "$SRC/completion/ptctl" || { echo "the completion lacks $c"; exit 1; }
	done
}
check "ptctl.1 and the completion cover every command ptctl --help lists" commands
options() {
	"$B/daemon/passthrud" --help | grep -o '^  --[a-z-]*' | while read -r o; do
		grep -q "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$SRC/man/passthrud.8" || { echo "passthrud.8 lacks $o"; exit 1; }
	done
}
check "passthrud.8 covers every option passthrud --help lists" options
keys() {
	[ -f "$SRC/daemon/base/daemon-config.c" ] || { echo "no daemon/base/daemon-config.c"; return 1; }
	for k in $(grep -o '"Rate[A-Za-z]*\|"Write[A-Za-z]*\|"Allow[A-Za-z]*' "$SRC/daemon/base/daemon-config.c" | tr -d '"' | sort -u); do
		grep -q "$k=" "$SRC/man/passthrud.conf.5" || { echo "passthrud.conf.5 lacks $k"; return 1; }
	done
}
check "passthrud.conf.5 covers every key the parser knows" keys
completes() {
	out=$(bash -c ". '$SRC/completion/ptctl'; COMP_WORDS=(ptctl st); COMP_CWORD=1; _ptctl; echo \${COMPREPLY[*]}")
	[ "$out" = "start stop status" ] || { echo "got '$out'"; return 1; }
	out=$(bash -c ". '$SRC/completion/ptctl'; COMP_WORDS=(ptctl assign g1 --reset-policy ''); COMP_CWORD=4; _ptctl; echo \${COMPREPLY[*]}")
	[ "$out" = "strict best-effort none" ] || { echo "got '$out'"; return 1; }
}
check "the completion completes commands and option values" completes
documented() {
	# Every method, signal and property of passthru's interfaces has a comment right before it in the XML.
	/usr/bin/env python3 - "$SRC/dbus/org.passthru1.xml" <<'PY'
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
bad = []
for iface in doc.getElementsByTagName("interface"):
    seen_comment = False
    for n in iface.childNodes:
        if n.nodeType == n.COMMENT_NODE:
            seen_comment = True
        elif n.nodeType == n.ELEMENT_NODE:
            # A property group may share one comment (RateLimitBurst/RateLimitIntervalUSec, Flr/AfFlr...).
            if not seen_comment and n.tagName in ("method", "signal"):
                bad.append(f"{iface.getAttribute('name')}.{n.getAttribute('name')}")
            seen_comment = False if n.tagName in ("method", "signal") else seen_comment
for b in bad:
    print("undocumented:", b)
sys.exit(1 if bad else 0)
PY
	[ -s "$B/dbus/org.passthru1.md" ] && grep -q "^- \`StartGuest(guest s)\`" "$B/dbus/org.passthru1.md"
}
check "every D-Bus method and signal is documented in the XML, and the Markdown reference is generated from it" documented
exit $fail
