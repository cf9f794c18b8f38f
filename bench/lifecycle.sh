#!/bin/sh
# bench/lifecycle: StartGuest+StopGuest of one device (virtio-net, FLR) in the sandbox VM against the raw sysfs
# sequence from a shell script and against driverctl, interleaved on the same device; medians and ratios.
# Run as root on Debian 12 after scripts/install-deps.sh; 15 counted rounds after one warm-up.
set -eu
cd "$(dirname "$0")/.."
out=sandbox/out
mkdir -p "$out"
# driverctl as Debian ships it, unpacked into the image only: nothing is installed on this machine.
if [ ! -x "$out/driverctl/usr/sbin/driverctl" ]; then
	(cd "$out" && rm -f driverctl_*.deb && apt-get download driverctl >/dev/null && dpkg -x driverctl_*.deb driverctl)
fi
echo "driverctl $(dpkg-deb -f "$out"/driverctl_*.deb Version), QEMU $(qemu-system-x86_64 --version | head -1 | awk '{print $4}'), TCG"
PT_VM_TIMEOUT=900 ./sandbox/run.sh bench
