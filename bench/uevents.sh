#!/bin/sh
# bench/uevents: a storm of PCI uevents from the fake kernel, received by passthrud and, in the same run, by a bare
# libudev monitor (the floor); events per second and passthrud's memory. Run as root (private namespaces: the
# uevents never leave them). BUILD=<meson build dir>, EVENTS=<n> (100000).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
B=${BUILD:-build}
N=${EVENTS:-100000}
if [ "${PASSTHRU_BENCH_INSIDE:-}" != 1 ]; then
	PASSTHRU_BENCH_INSIDE=1 exec unshare --mount --net --propagation private "$0" "$@"
fi
T=$(mktemp -d /tmp/passthru-bench.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; wait 2>/dev/null || true; umount -l "$T/sys" 2>/dev/null || true; rm -rf "$T"' EXIT
mkdir -p "$T/sys" "$T/backing"
"$B/tests/fakekernel" --topology "$top/tests/topologies/standard.topo" --backing "$T/backing" --mount "$T/sys" \
	--uevents 2>/dev/null &
pids="$pids $!"
while [ ! -e "$T/sys/fakekernel/ctl" ]; do sleep 0.05; done
dbus-daemon --config-file="$top/tests/data/test-bus.conf" --address="unix:path=$T/bus" --nofork --nopidfile 2>/dev/null &
pids="$pids $!"
while [ ! -S "$T/bus" ]; do sleep 0.05; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/bus"

echo "storm: $N uevents (half add, half change) over three devices"
# The floor first, with nothing else listening.
"$B/bench/bench-uevents" "$T/sys/fakekernel/ctl" "$N" floor
"$B/daemon/passthrud" --sysfs-root "$T/sys" --state-dir "$T/state" --runtime-dir "$T/run" --modprobe false \
	2>/dev/null &
dpid=$!
pids="$pids $dpid"
until "$B/client/ptctl" list >/dev/null 2>&1; do sleep 0.02; done
"$B/bench/bench-uevents" "$T/sys/fakekernel/ctl" "$N" passthrud "$dpid"
"$B/client/ptctl" status >/dev/null && echo "passthrud still answers on the bus"
