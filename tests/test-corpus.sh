#!/bin/sh
# The real-hardware corpus (tests/corpus/SOURCES): 374 functions from real machines, as lspci dumps and as /sys
# snapshots. For each tree, passthrud runs on it (a private bus, no namespace of the host's touched) and
# compare.py checks ptctl show --json of every function against lspci's decoding of the same bytes.
# usage: test-corpus.sh BUILD_DIR   (PT_CORPUS_CACHE: where the fetched sources are kept)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:?usage: test-corpus.sh BUILD_DIR}" && pwd)
if [ "${PT_CORPUS_INSIDE:-}" != 1 ]; then
	files=$("$top/tests/corpus/fetch.sh" "${PT_CORPUS_CACHE:-/var/cache/passthru-corpus}")
	# A network namespace of its own: passthrud's udev monitor hears none of this machine's uevents.
	PT_CORPUS_INSIDE=1 PT_CORPUS_FILES="$files" exec unshare --net "$0" "$@"
fi
ids=/usr/share/misc/pci.ids
set -- $PT_CORPUS_FILES
pciutils=$1 hwloc=$2
T=$(mktemp -d /tmp/passthru-corpus.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"' EXIT

mkdir "$T/src"
tar -xzf "$pciutils" -C "$T/src" --wildcards '*/tests/*'
tar -xjf "$hwloc" -C "$T/src" --wildcards '*/tests/hwloc/linux/*.tar.bz2'
dumps=$(echo "$T"/src/pciutils-*/tests)
"$top/tests/corpus/dump-to-sysfs.py" "$T/dumps/sys" "$T/dumps.map" "$dumps"/*
trees="dumps"
# hwloc's Linux snapshots that keep PCI config space (SOURCES says which machines they are).
for name in 2pa-pcidomain32bits 32em64t-2n8c+1mic 32intel64-2p8co2t+8ve 40intel64-2g2n4c+pci \
	40intel64-4n10c+pci-conflicts; do
	mkdir -p "$T/$name"
	tar -xjf "$T"/src/hwloc-*/tests/hwloc/linux/"$name.tar.bz2" -C "$T/$name" --strip-components=1 "$name/sys"
	trees="$trees $name"
done

dbus-daemon --config-file="$top/tests/data/test-bus.conf" --address="unix:path=$T/bus" --nofork --nopidfile \
	2> /dev/null &
pids="$pids $!"
while [ ! -S "$T/bus" ]; do sleep 0.05; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/bus"
n=0
for tree in $trees; do
	n=$((n + 1))
	"$B/daemon/passthrud" --sysfs-root "$T/$tree/sys" --state-dir "$T/state-$tree" --runtime-dir "$T/run-$tree" \
		--pci-ids "$ids" 2> "$T/passthrud-$tree.log" &
	daemon=$!
	i=0
	until "$B/client/ptctl" list > /dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 400 ] || { echo "passthrud did not come up on $tree"; cat "$T/passthrud-$tree.log"; exit 1; }
		sleep 0.05
	done
	if [ "$tree" = dumps ]; then
		set -- --map "$T/dumps.map" --dumps "$dumps"
	else
		set -- --snapshot
	fi
	if "$top/tests/corpus/compare.py" --ptctl "$B/client/ptctl" --tree "$T/$tree/sys" --pci-ids "$ids" "$@" \
		> "$T/compare.out" 2>&1; then
		echo "ok $n - $tree: $(tail -1 "$T/compare.out")"
	else
		echo "not ok $n - $tree: $(tail -1 "$T/compare.out")"
		sed 's/^/# /' "$T/compare.out"
	fi
	kill "$daemon"
	wait "$daemon" || true
done
echo "1..$n"
