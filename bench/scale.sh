#!/bin/sh
# bench/scale: what one call costs as the host grows. StartGuest+StopGuest of one FLR-capable device (ptctl start,
# ptctl stop) on the 19-device standard topology, against the same on a host of 4096 functions with 1000 other
# guests assigned (one device each); and 2000 change uevents for one device on each. Fake kernel (FUSE, tmpfs),
# passthrud's database on disk. Prints medians and the ratios big/small.
# Run as root (private namespaces). BUILD=<meson build dir> (default build), RUNS=<n> (default 9).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
B=${BUILD:-build}
RUNS=${RUNS:-9}
GUESTS=${GUESTS:-1000}
if [ "${PASSTHRU_BENCH_INSIDE:-}" != 1 ]; then
	PASSTHRU_BENCH_INSIDE=1 exec unshare --mount --net --propagation private "$0" "$@"
fi
T=$(mktemp -d /tmp/passthru-bench.XXXXXX)
S=$(mktemp -d /var/tmp/passthru-bench-state.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill $p 2>/dev/null || true; done
	wait 2>/dev/null || true
	umount "$T"/*/sys 2>/dev/null || true
	umount "$T" 2>/dev/null || true
	rm -rf "$T" "$S"
}
trap cleanup EXIT
mount -t tmpfs -o size=512m tmpfs "$T"

# bench/lib.sh's 4096 functions, each in an IOMMU group of its own, and one NVMe (the measured device) on its own
# port.
. "$top/bench/lib.sh"
{
	topology_4096 per-function
	echo "iommu dmar0 DMAR"
	echo "driver nvme class=010802"
	echo "driver vfio-pci"
	echo "device 0000:00:1f.0 id=8086:2940 class=060400 pcie=root-port acs group=900 driver=pcieport"
	echo "device 0000:f0:00.0 id=144d:a808 class=010802 parent=0000:00:1f.0 pcie=endpoint flr pm group=901 driver=nvme"
} > "$T/big.topo"

up() { # NAME TOPOLOGY: a fake kernel, a bus and passthrud of their own
	mkdir -p "$T/$1/sys" "$T/$1/backing"
	"$B/tests/fakekernel" --topology "$2" --backing "$T/$1/backing" --mount "$T/$1/sys" --uevents 2>/dev/null &
	pids="$pids $!"
	while [ ! -e "$T/$1/sys/fakekernel/ctl" ]; do sleep 0.05; done
	dbus-daemon --config-file="$top/tests/data/test-bus.conf" --address="unix:path=$T/$1/bus" --nofork --nopidfile \
		2>/dev/null &
	pids="$pids $!"
	while [ ! -S "$T/$1/bus" ]; do sleep 0.05; done
	DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/$1/bus" "$B/daemon/passthrud" --sysfs-root "$T/$1/sys" \
		--state-dir "$S/$1" --runtime-dir "$T/$1/run" 2>/dev/null &
	pids="$pids $!"
	until DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/$1/bus" "$B/client/ptctl" list >/dev/null 2>&1; do sleep 0.05; done
}
ptctl_on() { n=$1; shift; DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/$n/bus" "$B/client/ptctl" "$@"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
round_us() { # NAME DEVICE-GUEST
	s=$(date +%s%N)
	ptctl_on "$1" start "$2" > /dev/null && ptctl_on "$1" stop "$2" > /dev/null
	echo $(( ($(date +%s%N) - s) / 1000 ))
}
processed() {
	busctl --address="unix:path=$T/$1/bus" get-property org.passthru1 /org/passthru1 org.passthru1.Manager \
		UeventsProcessed | cut -d' ' -f2
}
uevents_ms() { # NAME BDF: 2000 change uevents for one device, until passthrud has taken them all
	before=$(processed "$1")
	s=$(date +%s%N)
	echo "uevent $2 change 2000" > "$T/$1/sys/fakekernel/ctl"
	until [ "$(processed "$1")" -ge $((before + 2000)) ]; do sleep 0.01; done
	echo $(( ($(date +%s%N) - s) / 1000000 ))
}

up small "$top/tests/topologies/standard.topo"
ptctl_on small assign g 02:00.0 > /dev/null
up big "$T/big.topo"
# The other guests: one igb function each, on ports the measured device does not share.
i=0
for bdf in $(ptctl_on big list --all --json | jq -r '.[] | select(.vendor_id == "8086" and .device_id == "1521") | .address' |
	head -n "$GUESTS"); do
	ptctl_on big assign "other$i" "$bdf" > /dev/null
	i=$((i + 1))
done
ptctl_on big assign g f0:00.0 > /dev/null
echo "small: $(ptctl_on small list --all --json | jq length) functions, 1 guest; big: $(ptctl_on big list --all --json | jq length) functions, $((i + 1)) guests"

round_us small g > /dev/null; round_us big g > /dev/null # warm-up
: > "$T/small.times"; : > "$T/big.times"
k=0
while [ $k -lt "$RUNS" ]; do
	round_us small g >> "$T/small.times"
	round_us big g >> "$T/big.times"
	k=$((k + 1))
done
small=$(median < "$T/small.times"); big=$(median < "$T/big.times")
echo "start+stop, small (us): $(tr '\n' ' ' < "$T/small.times")"
echo "start+stop, big (us):   $(tr '\n' ' ' < "$T/big.times")"
awk -v s="$small" -v b="$big" 'BEGIN { printf "median: small %.1f ms, big %.1f ms, ratio big/small = %.2f (target at most 1.2)\n", s/1000, b/1000, b/s }'
us=$(uevents_ms small 0000:02:00.0); ub=$(uevents_ms big 0000:f0:00.0)
awk -v s="$us" -v b="$ub" 'BEGIN { printf "2000 uevents for one device: small %d ms, big %d ms, ratio big/small = %.2f\n", s, b, b/s }'
