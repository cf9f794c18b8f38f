# The narrated demo on a real kernel.
. /sandbox/lib.sh

say ""
say "== passthrud on a real Linux kernel ($(uname -r)), QEMU q35 with an emulated Intel IOMMU"
say "   (dbus-daemon and passthrud were started by /init, the way systemd starts them on a host)"
say ""
say "== What kind of host passthrud sees (under --xen: a dom0, with pciback as the stub)"
show ptctl status
stub=$(ptctl status --json | jq -r .stub_driver)
say ""
say "== Can this host pass devices through? (ok / WARN / FAIL, with a fix for each)"
show ptctl doctor
say ""
say "== Every PCI function: driver, IOMMU group, the kernel's reset methods, state"
show ptctl list
say ""
say "== The virtio-net NIC behind a root port: FLR-capable, alone in its IOMMU group"
vnet=$(child_of 0000:00:05.0)
show ptctl show "$vnet"
say ""
say "== An e1000 behind the conventional pci-bridge: its group includes the bridge and its sibling"
br=$(child_of 0000:00:09.0)
show ptctl show "$br"
say ""
say "== Any notation names the same device"
for a in "$br" "0/$br" "($br)" "$br@4,permissive=1"; do
	printf 'PT-SAY: $ ptctl show "%s" --json | jq .address\n' "$a"
	ptctl show "$a" --json | jq .address | sed 's/^/PT-SAY: /'
done
say ""
say "== Bad input is refused with the reason"
show ptctl show 00:20.0
show ptctl show 0000:7f:00.0
say ""
say "== Assignments: one e1000 behind the conventional pci-bridge alone is refused, naming the device that must come"
show ptctl assign guest1 "$br"
say "   --group takes the whole set; the record is in SQLite before the reply"
show ptctl assign guest1 "$br" --group
show ptctl assign guest1 "$vnet" --permissive --vslot 5
show ptctl guest guest1
show ptctl config guest1 --format xl
show ptctl unassign guest1
say ""
say "== Managed mode: guest1 owns the virtio-net NIC and the NVMe controller (both FLR-capable)"
nvme=$(child_of 0000:00:06.0)
show ptctl assign guest1 "$vnet" "$nvme"
say "   A dry run first: the plan the start will carry out, and what the host would lose. Nothing moves."
show ptctl start guest1 --dry-run
say "   Start: the stub driver is loaded if missing, each device is detached from its host driver and bound to"
say "   it (driver_override, unbind, drivers_probe, read back), then reset; the original driver is on record first"
show ptctl start guest1
show ptctl guest guest1
show ptctl doctor guest1
show ptctl list
say "   Stop: reset, then each device goes back to the driver it came from, by name"
show ptctl stop guest1
show ptctl show "$nvme"
show ptctl unassign guest1
say ""
say "== SR-IOV: passthrud makes the NVMe controller's VFs (again at every start), and hands out free ones"
echo 0 > "/sys/bus/pci/devices/$nvme/sriov_drivers_autoprobe" # QEMU's VFs have no queues until configured
show ptctl vfs "$nvme" 2
show ptctl assign vf1 --vf-of "$nvme"
show ptctl assign vf2 --vf-of "$nvme"
say "   None is left for a third guest; and the count does not change under the guests that use them"
show ptctl assign vf3 --vf-of "$nvme"
show ptctl vfs "$nvme" 0 --dry-run
show ptctl unassign vf1
show ptctl unassign vf2
show ptctl vfs "$nvme" 0
say ""
bus=$(echo "$br" | cut -d: -f2)
f0=0000:$bus:00.0 f1=0000:$bus:00.1 f2=0000:$bus:00.2 f3=0000:$bus:03.0
say "== The Xen wiki's multi-device example: $f0-2 and $f3 behind the conventional pci-bridge; none of them can be"
say "   reset alone, and the kernel will not reset a bus with several devices on it. The wiki hides all four and"
say "   gives the guest three: the hidden fourth is idle on a stub, so passthrud resets the bus itself"
show ptctl show "$f1"
show ptctl hide "$f3"
show ptctl assign wiki "$f0" "$f1" "$f2"
show ptctl doctor wiki
say "   Start: the three are claimed, then passthrud saves each function's config header, pulses the bridge's"
say "   Secondary Bus Reset, checks every function answers and writes the headers back"
show ptctl start wiki
grep "Bus reset of" /run/passthrud.log | tail -1 | sed 's/^<[0-9]>/PT-SAY: (journal) /'
show ptctl stop wiki
say "   The three are back on e1000; the hidden fourth stays hidden"
show ptctl list
show ptctl unassign wiki
show ptctl unhide "$f3"
say ""
say "== Hotplug: the NVMe controller is attached to a guest that is already running, then detached"
show ptctl attach vm7 "$nvme" --vslot 6
show ptctl can-migrate vm7
show ptctl detach vm7 "$nvme"
show ptctl can-migrate vm7
say ""
say "== Refusals change nothing and say why"
show ptctl assign guest2 0000:00:02.0 --unmanaged
show ptctl start guest2
show ptctl unassign guest2
sib=$(ptctl list --all --json | jq -r --arg b "$br" '[.[] | select(.parent_bridge == "0000:00:09.0" and .address != $b)][0].address')
ptctl assign guest3 "$br" --group > /dev/null
ptctl unassign guest3 "$sib" > /dev/null
say "   guest3 kept only $br of the bridge pair (unassign $sib); its start is refused, naming the device in the way"
say "   (the IOMMU group is not viable; in a Xen dom0, without groups, the bridge rule says it)"
show ptctl start guest3
ptctl unassign guest3 > /dev/null
say ""
say "== The hide pool: $vnet stays away from virtio-pci, even across a sysfs remove and rescan"
show ptctl hide "$vnet"
echo 1 > "/sys/bus/pci/devices/$vnet/remove"
eventually sh -c "! ptctl show $vnet"
echo 1 > /sys/bus/pci/rescan
say "   (removed and rescanned: virtio-pci takes the new device, passthrud takes it back)"
eventually sh -c "[ \"\$(ptctl show $vnet --json | jq -r .driver)\" = $stub ]"
show ptctl hidden
show ptctl boot-config
show ptctl unhide "$vnet"
say ""
say "== The inventory follows the kernel: $vnet is moved to $stub by hand through sysfs"
ptctl monitor > /tmp/monitor.log 2>/dev/null &
mon=$!
echo "$stub" > "/sys/bus/pci/devices/$vnet/driver_override"
echo "$vnet" > "/sys/bus/pci/devices/$vnet/driver/unbind"
echo "$vnet" > /sys/bus/pci/drivers_probe
eventually sh -c "[ \"\$(ptctl show $vnet --json | jq -r .state)\" = claimed ]"
show ptctl list
say "   ... and back to virtio-pci"
echo > "/sys/bus/pci/devices/$vnet/driver_override"
echo "$vnet" > "/sys/bus/pci/drivers/$stub/unbind"
echo "$vnet" > /sys/bus/pci/drivers_probe
eventually sh -c "[ \"\$(ptctl show $vnet --json | jq -r .driver)\" = virtio-pci ]"
say ""
say "== An e1000e is hot-plugged into an empty root port through the QEMU monitor, then removed."
sec=$(cat /sys/bus/pci/devices/0000:00:07.0/secondary_bus_number)
hp=$(printf '0000:%02x:00.0' "$sec")
say "   Its address is hidden before anything is there, so it lands on $stub instead of e1000e"
show ptctl hide "$hp"
echo "PT-HOTPLUG-ADD hp1 e1000e rp_hp1"
eventually sh -c "[ \"\$(ptctl show $hp --json | jq -r .driver)\" = $stub ]"
show ptctl hidden
show ptctl unhide "$hp"
show ptctl show "$hp"
echo "PT-HOTPLUG-DEL hp1"
eventually sh -c "! ptctl show $hp"
show ptctl show "$hp"
say ""
say "== What ptctl monitor saw meanwhile"
kill $mon
sed 's/^/PT-SAY:   /' /tmp/monitor.log
say ""
say "== What passthrud logged"
sed 's/^<[0-9]>/PT-SAY:   /' /run/passthrud.log
say ""
say "Done. 'sandbox/run.sh shell' gives a shell in this VM; 'sandbox/run.sh keep' leaves it running."
