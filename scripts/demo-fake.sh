#!/bin/sh
# The fake-kernel demo (scripts/demo.sh --fake): passthrud on a private system bus against the fake kernel,
# driven by ptctl. No QEMU needed.
# Installs what it needs and builds first. Run as root on Debian 12. Nothing touches this machine's /sys:
# the fake kernel is a FUSE tree inside a private mount and network namespace that ends with the demo.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

if [ "${PASSTHRU_DEMO_INSIDE:-}" != 1 ]; then
	./scripts/install-deps.sh
	if [ -d build-demo ]; then
		meson setup --reconfigure build-demo >/dev/null
	else
		meson setup build-demo -Dtests=true >/dev/null
	fi
	meson compile -C build-demo >/dev/null
	PASSTHRU_DEMO_INSIDE=1 exec unshare --mount --net --propagation private "$0" "$@"
fi

B="$top/build-demo"
T=$(mktemp -d /tmp/passthru-demo.XXXXXX)
mkdir -p "$T/backing" "$T/sys"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	umount -l "$T/sys" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

ptctl() { "$B/client/ptctl" "$@"; }
passthrud() { "$B/daemon/passthrud" "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@" || true; }

say "A fake kernel: a KVM host's PCI topology served as sysfs (tests/topologies/standard.topo)"
"$B/tests/fakekernel" --topology "$top/tests/topologies/standard.topo" --backing "$T/backing" --mount "$T/sys" \
	--uevents 2>/dev/null &
pids="$pids $!"
while [ ! -d "$T/sys/bus/pci/devices" ]; do sleep 0.05; done

dbus-daemon --config-file="$top/tests/data/test-bus.conf" --address="unix:path=$T/bus" --nofork --nopidfile \
	2>/dev/null &
pids="$pids $!"
while [ ! -S "$T/bus" ]; do sleep 0.05; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/bus"

say "passthrud starts on a private system bus, reading that tree"
run passthrud --help | head -3
# --modprobe false: nothing here may load a module into this machine's kernel.
"$B/daemon/passthrud" --sysfs-root "$T/sys" --state-dir "$T/state" --runtime-dir "$T/run" --modprobe false \
	2>"$T/passthrud.log" &
dpid=$!
pids="$pids $dpid"
until ptctl list >/dev/null 2>&1; do sleep 0.05; done
sed 's/^<[0-9]>/  passthrud: /' "$T/passthrud.log"

say "What kind of host passthrud sees"
run ptctl status

say "Every PCI function, with its driver, IOMMU group, reset methods and state"
run ptctl list

say "One device in detail: the NIC function behind a conventional PCI bridge"
run ptctl show 06:00.0

say "Any notation users paste names the same device"
for a in "6:0.0" "0/0000:06:00.0" "(0000:06:00.0)" "06:00.0@4,permissive=1" \
	"<address domain='0x0000' bus='0x06' slot='0x00' function='0x0'/>"; do
	printf '$ ptctl show "%s" --json | grep address\n' "$a"
	ptctl show "$a" --json | grep '"address"'
done

say "Bad input gets a named reason, exit status 1"
run ptctl show 06:0g.0
run ptctl show 07:00.0

say "For scripts: --json (a stable schema)"
ptctl show 01:00.0 --json | head -12
echo "  ..."

say "Assignments: 06:00.0 alone is refused, naming every device that must come along (the seed's bridge example)"
run ptctl assign guest1 06:00.0
run ptctl assign guest1 06:00.0 --group
run ptctl assign guest2 01:00.0 --unmanaged --vslot 4
run ptctl guests
run ptctl config guest1 --format xl
run ptctl config guest2 --format libvirt
run ptctl unassign guest2
run ptctl show 06:03.0 --json | grep '"guest"'

say "Bad guest names, bridges and double assignments are refused by name"
run ptctl assign 'bad name' 02:00.0
run ptctl assign guest3 00:1c.0
run ptctl assign guest3 01:00.0

say "Managed mode: guest4 starts (its NVMe controller goes to vfio-pci, FLR) and stops (back to nvme)"
run ptctl assign guest4 02:00.0
run ptctl start guest4
run ptctl list
run ptctl stop guest4
run ptctl show 02:00.0 --json | grep -E '"(driver|state)"'

say "The hide pool, and the kernel command line it needs at boot"
run ptctl hide 00:19.0
run ptctl hidden
run ptctl boot-config --format vfio
run ptctl unhide 00:19.0

say "The inventory follows the kernel: someone binds 03:00.0 to vfio-pci by hand"
echo vfio-pci > "$T/sys/bus/pci/devices/0000:03:00.0/driver_override"
echo 0000:03:00.0 > "$T/sys/bus/pci/drivers_probe"
sleep 0.3
run ptctl list

say "A device is hot-plugged into an empty slot, then removed"
echo "add 0000:03:00.1 id=8086:153a class=020000 parent=0000:00:1c.2 pcie=endpoint flr group=30" \
	> "$T/sys/fakekernel/ctl"
sleep 0.3
ptctl list | grep -E 'ADDRESS|03:00'
echo "unplug 0000:03:00.1" > "$T/sys/fakekernel/ctl"
sleep 0.3
run ptctl show 03:00.1

say "What passthrud logged"
sed 's/^<[0-9]>/  /' "$T/passthrud.log"

say "passthrud stops cleanly on SIGTERM"
kill "$dpid"
if wait "$dpid"; then echo "passthrud exited 0"; else echo "passthrud exited $?"; exit 1; fi
