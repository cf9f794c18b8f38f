#!/bin/sh
# bench/memory: passthrud's anonymous memory at idle (Anonymous: in /proc/PID/smaps_rollup) on the 19-device
# standard topology and on a 4096-function tree (bench/inventory's), and the growth per added function.
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
{
	echo "driver pcieport class=060400"
	echo "driver igb ids=8086:1521"
	bus=1
	for slot in $(seq 1 16); do
		for fn in 0 1 2 3 4 5 6 7; do
			port=$(printf '0000:00:%02x.%x' "$slot" "$fn")
			echo "device $port id=8086:2940 class=060400 pcie=root-port mf group=$bus driver=pcieport"
			for dev in $(seq 0 30); do
				printf 'device 0000:%02x:%02x.0 id=8086:1521 class=020000 parent=%s pcie=endpoint flr pm group=%d driver=igb\n' \
					"$bus" "$dev" "$port" "$bus"
			done
			bus=$((bus + 1))
		done
	done
} > "$T/big.topo"
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
