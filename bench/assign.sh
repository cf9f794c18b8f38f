#!/bin/sh
# bench/assign: Assign+Unassign calls per second over D-Bus against passthrud on the fake kernel, with the SQLite
# floor measured in the same run. Run as root (private namespaces). BUILD=<meson build dir>, ROUNDS=<n> (500).
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
mkdir -p "$T/sys"
"$B/tests/fakekernel" --topology "$top/tests/topologies/standard.topo" --backing "$T/sys" --render-only
dbus-daemon --config-file="$top/tests/data/test-bus.conf" --address="unix:path=$T/bus" --nofork --nopidfile 2>/dev/null &
pids="$pids $!"
while [ ! -S "$T/bus" ]; do sleep 0.05; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/bus"
# The state directory is on the same file system as the floor's database, so both pay the same fsync.
"$B/daemon/passthrud" --sysfs-root "$T/sys" --state-dir "$T/state" --runtime-dir "$T/run" 2>/dev/null &
pids="$pids $!"
until "$B/client/ptctl" list >/dev/null 2>&1; do sleep 0.02; done
"$B/bench/bench-assign" 0000:02:00.0 "${ROUNDS:-500}" "$T"
