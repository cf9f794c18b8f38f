#!/bin/sh
# The real host stack: a systemd Debian 12 VM with passthrud installed as its unit (sandbox/host/). Skipped, with
# the reason, where mmdebstrap, QEMU or the kernel is missing; never reported as passed without running.
set -u
top=$(cd "${0%/*}/.." && pwd)
for tool in qemu-system-x86_64 mmdebstrap mke2fs; do
	command -v "$tool" > /dev/null || { echo "1..0 # SKIP $tool is not installed"; exit 0; }
done
out=$(mktemp)
"$top/sandbox/host/run.sh" "${PT_BUILD_DIR:?}" > "$out" 2> "$out.err"
status=$?
if [ $status = 77 ]; then
	echo "1..0 # SKIP $(tail -1 "$out")"
elif ! grep -q '^1\.\.[0-9]' "$out"; then
	echo "1..1"
	echo "not ok 1 - the host-stack VM produced no results (exit $status)"
	sed 's/^/# /' "$out" "$out.err"
else
	cat "$out"
	[ $status = 0 ] || echo "# run.sh exited $status"
fi
rm -f "$out" "$out.err"
