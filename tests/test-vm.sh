#!/bin/sh
# The real-kernel checks: boots the sandbox VM and reports its TAP results. Skipped, with the reason, where QEMU or
# a Debian kernel is missing; never reported as passed without running.
set -u
top=$(cd "${0%/*}/.." && pwd)

if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "1..0 # SKIP qemu-system-x86_64 is not installed"
	exit 0
fi
if [ -z "$(ls /boot/vmlinuz-* 2>/dev/null)" ]; then
	echo "1..0 # SKIP no kernel image in /boot (linux-image-amd64)"
	exit 0
fi
out=$(mktemp)
PT_NO_BUILD=1 BUILD=${PT_BUILD_DIR:-$top/build-sandbox} "$top/sandbox/run.sh" "$@" > "$out" 2>&1
status=$?
if [ $status = 77 ]; then
	echo "1..0 # SKIP $(tail -1 "$out")"
elif ! grep -q '^1\.\.[0-9]' "$out"; then
	echo "1..1"
	echo "not ok 1 - the VM run produced no results (exit $status)"
	sed 's/^/# /' "$out"
else
	cat "$out"
	[ $status = 0 ] || echo "# run.sh exited $status"
fi
rm -f "$out"
