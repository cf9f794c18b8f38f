#!/bin/sh
# bench/inventory: ptctl list --all --json against a warm passthrud versus lspci -nn reading the same sysfs tree
# of 4096 PCI functions, and passthrud's start-up on that tree (exec to its first answer, and to its first whole
# listing) against the same lspci. Prints per-run times, the medians and their ratios. Run as root (private
# namespaces); BUILD=<meson build dir> (default build), RUNS=<n> (default 15), STARTS=<n> (default 5).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
B=${BUILD:-build}
RUNS=${RUNS:-15}

if [ "${PASSTHRU_BENCH_INSIDE:-}" != 1 ]; then
	PASSTHRU_BENCH_INSIDE=1 exec unshare --mount --net --propagation private "$0" "$@"
fi

T=$(mktemp -d /tmp/passthru-bench.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; wait 2>/dev/null || true; umount "$T/sys" 2>/dev/null || true; rm -rf "$T"' EXIT

. "$top/bench/lib.sh"
topology_4096 per-port > "$T/big.topo"
mkdir -p "$T/sys"
# In memory, as sysfs is: on a disk file system the first read of each fresh file would also write its atime.
mount -t tmpfs passthru-bench-sys "$T/sys"
"$B/tests/fakekernel" --topology "$T/big.topo" --backing "$T/sys" --render-only
count=$(ls "$T/sys/bus/pci/devices" | wc -l)

dbus-daemon --config-file="$top/tests/data/test-bus.conf" --address="unix:path=$T/bus" --nofork --nopidfile 2>/dev/null &
pids="$pids $!"
while [ ! -S "$T/bus" ]; do sleep 0.05; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/bus"
# Start-up, STARTS times (default 5), each from exec with a fresh state directory; the medians count. The first
# answer is ptctl status (Manager properties), asked every 5 ms until the name is there; the first whole
# listing is asked right after it.
: > "$T/startup.times"
: > "$T/listed.times"
i=0
while [ $i -lt "${STARTS:-5}" ]; do
	rm -rf "$T/state" "$T/run"
	start=$(date +%s%N)
	"$B/daemon/passthrud" --sysfs-root "$T/sys" --state-dir "$T/state" --runtime-dir "$T/run" 2>/dev/null &
	daemon=$!
	until "$B/client/ptctl" status >/dev/null 2>&1; do sleep 0.005; done
	echo $(( ($(date +%s%N) - start) / 100000 )) >> "$T/startup.times"
	"$B/client/ptctl" list --all --json >/dev/null
	echo $(( ($(date +%s%N) - start) / 100000 )) >> "$T/listed.times"
	kill $daemon
	wait $daemon 2>/dev/null || true
	i=$((i + 1))
done
"$B/daemon/passthrud" --sysfs-root "$T/sys" --state-dir "$T/state" --runtime-dir "$T/run" 2>/dev/null &
pids="$pids $!"
until "$B/client/ptctl" status >/dev/null 2>&1; do sleep 0.005; done

n_ptctl=$("$B/client/ptctl" list --all --json | grep -c '"address"')
n_lspci=$(lspci -nn -A linux-sysfs -O sysfs.path="$T/sys/bus/pci" 2>/dev/null | wc -l)

time_ms() {
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1
	echo $(( ($(date +%s%N) - s) / 100000 ))  # tenths of a millisecond
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: > "$T/ptctl.times"
: > "$T/lspci.times"
i=0
while [ $i -lt "$RUNS" ]; do
	# Alternate, so drift on a shared machine hits both alike.
	time_ms "$B/client/ptctl" list --all --json >> "$T/ptctl.times"
	time_ms lspci -nn -A linux-sysfs -O sysfs.path="$T/sys/bus/pci" >> "$T/lspci.times"
	i=$((i + 1))
done
p=$(median < "$T/ptctl.times")
l=$(median < "$T/lspci.times")
echo "devices in tree: $count (ptctl lists $n_ptctl, lspci lists $n_lspci)"
su=$(median < "$T/startup.times")
li=$(median < "$T/listed.times")
echo "start-up to first answer, ptctl status (0.1 ms):       $(tr '\n' ' ' < "$T/startup.times")"
echo "start-up to first ptctl list --all --json done (0.1 ms): $(tr '\n' ' ' < "$T/listed.times")"
echo "ptctl list --all --json runs (0.1 ms): $(tr '\n' ' ' < "$T/ptctl.times")"
echo "lspci -nn runs (0.1 ms):               $(tr '\n' ' ' < "$T/lspci.times")"
awk -v p="$p" -v l="$l" 'BEGIN { printf "median: ptctl %.1f ms, lspci %.1f ms, ratio ptctl/lspci = %.2f\n", p/10, l/10, p/l }'
awk -v s="$su" -v w="$li" -v l="$l" 'BEGIN { printf "start-up median: first answer %.1f ms, whole listing %.1f ms; first answer / lspci -nn = %.2f, whole listing / lspci -nn = %.2f\n", s/10, w/10, s/l, w/l }'
