#!/bin/sh
# bench/memory: passthrud's anonymous memory at idle (Anonymous: in /proc/PID/smaps_rollup) on the 19-device
# standard topology and on bench/inventory's 4096-function tree (bench/lib.sh), and the growth per added function.
# Run as root (private namespaces). BUILD=<meson build dir> (default build).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
B=${BUILD:-build}
if [ "${PASSTHRU_BENCH_INSIDE:-}" != 1 ]; then
	PASSTHRU_BENCH_INSIDE=1 exec unshare --mount --net --propagation private "$0" "$@"
fi
T=$(mktemp -d /tmp/passthru-bench.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"' EXIT
. "$top/bench/lib.sh"
topology_4096 per-port > "$T/big.topo"
dbus-daemon --config-file="$top/tests/data/test-bus.conf" --address="unix:path=$T/bus" --nofork --nopidfile 2>/dev/null &
pids="$pids $!"
while [ ! -S "$T/bus" ]; do sleep 0.05; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/bus"

anon_kib() { # TREE-NAME TOPOLOGY: passthrud on that tree, idle after its first answer; prints kB and functions
	mkdir -p "$T/$1"
	"$B/tests/fakekernel" --topology "$2" --backing "$T/$1" --render-only
	"$B/daemon/passthrud" --sysfs-root "$T/$1" --state-dir "$T/state-$1" --runtime-dir "$T/run-$1" 2>/dev/null &
	pid=$!
	until "$B/client/ptctl" list >/dev/null 2>&1; do sleep 0.05; done
	sleep 1
	echo "$(awk '/^Anonymous:/ {print $2}' "/proc/$pid/smaps_rollup") $(ls "$T/$1/bus/pci/devices" | wc -l)"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}
set -- $(anon_kib small "$top/tests/topologies/standard.topo")
small=$1 small_n=$2
set -- $(anon_kib big "$T/big.topo")
big=$1 big_n=$2
echo "idle anonymous memory: $small kB with $small_n functions, $big kB with $big_n functions"
awk -v s="$small" -v b="$big" -v sn="$small_n" -v bn="$big_n" \
	'BEGIN { printf "growth per function: %.2f kB; standard topology %.2f MiB (target at most 2 MiB)\n", (b-s)/(bn-sn), s/1024 }'
