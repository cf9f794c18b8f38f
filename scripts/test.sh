#!/bin/sh
# The whole test suite: installs what it needs, builds, runs unit, fake-kernel and integration tests, and a short
# fuzzing pass over the parsers. Run as root on Debian 12 (the fake kernel mounts FUSE in a private namespace).
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

# A build tree left half-made (an interrupted run) is made again rather than trusted.
if [ -d build-test ]; then
	meson setup --reconfigure build-test >/dev/null || { rm -rf build-test && meson setup build-test >/dev/null; }
else
	meson setup build-test >/dev/null
fi
meson compile -C build-test

status=0
meson test -C build-test --print-errorlogs --num-processes 2 || status=$?

# Fuzzing smoke run: the corpus plus 30 seconds each; any crash fails the suite.
fuzz_failed=0
if command -v clang >/dev/null; then
	if [ -d build-fuzz ]; then
		meson setup --reconfigure build-fuzz >/dev/null || { rm -rf build-fuzz &&
			meson setup build-fuzz -Dfuzz=true -Dtests=false --native-file tests/fuzz/clang.ini >/dev/null; }
	else
		meson setup build-fuzz -Dfuzz=true -Dtests=false --native-file tests/fuzz/clang.ini >/dev/null
	fi
	meson compile -C build-fuzz fuzz-address fuzz-pci-config >/dev/null
	for target in fuzz-address fuzz-pci-config; do
		corpus=$(mktemp -d)
		cp tests/fuzz/corpus-address/* "$corpus"/ 2>/dev/null || true
		if ./build-fuzz/tests/fuzz/$target -max_total_time=30 -max_len=4096 -timeout=5 "$corpus" \
			> "build-fuzz/$target.log" 2>&1; then
			echo "ok - $target: $(grep -o 'Done [0-9]* runs' build-fuzz/$target.log)"
		else
			echo "not ok - $target crashed; see build-fuzz/$target.log"
			tail -30 "build-fuzz/$target.log"
			fuzz_failed=1
		fi
		rm -rf "$corpus"
	done
fi

# One closing line for people and CI: subtests counted from the TAP log.
log=build-test/meson-logs/testlog.txt
passed=$(grep -c '^ok ' "$log" || true)
failed=$(grep -c '^not ok \|^Bail out' "$log" || true)
[ "$fuzz_failed" = 0 ] || failed=$((failed + 1))
echo "tests: $passed passed, $failed failed"
[ "$status" = 0 ] && [ "$fuzz_failed" = 0 ]
