#!/bin/sh
# bench/lifecycle-many: StartGuest+StopGuest of a guest with 16 FLR-capable devices (each behind its own root port,
# in its own IOMMU group) against the same call for a guest with one of them, on the fake kernel with a realistic
# reset latency (RESET_MS, default 100: an FLR makes the kernel wait at least 100 ms). A probe latency (BIND_MS)
# is there too but 0 by default: FUSE serializes writes to one file (drivers_probe is one for the whole bus),
# which the kernel's sysfs does not, so it would measure FUSE, not passthrud. Prints per-run times, the medians and time(16)/time(1); one after another it would be about 16.
# Run as root (private namespaces). BUILD=<meson build dir> (default build), RUNS=<n> (default 7).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
B=${BUILD:-build}
RUNS=${RUNS:-7}
N=${DEVICES:-16}
if [ "${PASSTHRU_BENCH_INSIDE:-}" != 1 ]; then
	PASSTHRU_BENCH_INSIDE=1 exec unshare --mount --net --propagation private "$0" "$@"
fi
T=$(mktemp -d /tmp/passthru-bench.XXXXXX)
S=$(mktemp -d /var/tmp/passthru-bench-state.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; wait 2>/dev/null || true; umount "$T/sys" 2>/dev/null || true; umount "$T" 2>/dev/null || true; rm -rf "$T" "$S"' EXIT
# The fake kernel's files in memory, as sysfs is; passthrud's database stays on disk (its fsyncs are real).
mount -t tmpfs -o size=64m tmpfs "$T"
{
	echo "iommu dmar0 DMAR"
	echo "driver pcieport class=060400"
	echo "driver nvme class=010802"
	echo "driver vfio-pci"
	echo "device 0000:00:00.0 id=8086:29c0 class=060000 group=0"
	i=1
	while [ $i -le "$N" ]; do
		printf 'device 0000:00:%02x.0 id=8086:2940 class=060400 pcie=root-port acs group=%d driver=pcieport\n' "$i" "$i"
		printf 'device 0000:%02x:00.0 id=144d:a808 class=010802 parent=0000:00:%02x.0 pcie=endpoint flr pm group=%d driver=nvme\n' \
			"$i" "$i" $((100 + i))
		i=$((i + 1))
	done
} > "$T/many.topo"
mkdir -p "$T/sys" "$T/backing"
"$B/tests/fakekernel" --topology "$T/many.topo" --backing "$T/backing" --mount "$T/sys" 2>/dev/null &
pids="$pids $!"
while [ ! -e "$T/sys/fakekernel/ctl" ]; do sleep 0.05; done
echo "latency reset ${RESET_MS:-100}" > "$T/sys/fakekernel/ctl"
echo "latency bind ${BIND_MS:-0}" > "$T/sys/fakekernel/ctl"
dbus-daemon --config-file="$top/tests/data/test-bus.conf" --address="unix:path=$T/bus" --nofork --nopidfile 2>/dev/null &
pids="$pids $!"
while [ ! -S "$T/bus" ]; do sleep 0.05; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/bus"
"$B/daemon/passthrud" --sysfs-root "$T/sys" --state-dir "$S/state" --runtime-dir "$T/run" 2>/dev/null &
pids="$pids $!"
until "$B/client/ptctl" list >/dev/null 2>&1; do sleep 0.02; done

all=""
i=1
while [ $i -le "$N" ]; do
	all="$all $(printf '0000:%02x:00.0' "$i")"
	i=$((i + 1))
done
"$B/client/ptctl" assign many $all > /dev/null
"$B/client/ptctl" assign one 0000:01:00.0 > /dev/null 2>&1 || true
# One device can be in one guest only: "one" gets a device of its own, the first root port's twin.
"$B/client/ptctl" unassign many 0000:01:00.0 > /dev/null
"$B/client/ptctl" assign one 0000:01:00.0 > /dev/null
"$B/client/ptctl" assign many 0000:01:00.0 > /dev/null 2>&1 || true

round_ms() {
	s=$(date +%s%N)
	"$B/client/ptctl" start "$1" > /dev/null && "$B/client/ptctl" stop "$1" > /dev/null
	echo $(( ($(date +%s%N) - s) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# The guests share device 01:00.0 only by name, never at once: one guest starts and stops, then the other.
"$B/client/ptctl" unassign one 0000:01:00.0 > /dev/null
"$B/client/ptctl" assign many 0000:01:00.0 > /dev/null
: > "$T/one.times"
: > "$T/many.times"
round_ms many > /dev/null # warm-up
k=0
while [ $k -lt "$RUNS" ]; do
	"$B/client/ptctl" unassign many 0000:01:00.0 > /dev/null
	"$B/client/ptctl" assign one 0000:01:00.0 > /dev/null
	round_ms one >> "$T/one.times"
	"$B/client/ptctl" unassign one 0000:01:00.0 > /dev/null
	"$B/client/ptctl" assign many 0000:01:00.0 > /dev/null
	round_ms many >> "$T/many.times"
	k=$((k + 1))
done
one=$(median < "$T/one.times")
many=$(median < "$T/many.times")
echo "fake kernel: reset ${RESET_MS:-100} ms, probe ${BIND_MS:-0} ms; $N devices, each in its own IOMMU group"
echo "start+stop, 1 device (ms):   $(tr '\n' ' ' < "$T/one.times")"
echo "start+stop, $N devices (ms): $(tr '\n' ' ' < "$T/many.times")"
awk -v o="$one" -v m="$many" -v n="$N" 'BEGIN { printf "median: 1 device %d ms, %d devices %d ms, ratio time(%d)/time(1) = %.2f (one after another: about %d)\n", o, n, m, n, m/o, n }'
