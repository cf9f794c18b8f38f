# Checks in a Xen 4.17 PV dom0, as TAP lines on the serial console.
. /sandbox/lib.sh


dom0() {
	ptctl status --json > /tmp/status.json
	cat /tmp/status.json
	[ "$(jq -r .hypervisor /tmp/status.json)" = xen-dom0 ] && [ "$(jq -r .stub_driver /tmp/status.json)" = pciback ]
}
check "passthrud reports a Xen dom0 with pciback as its stub" dom0

ptctl list --all --json > /tmp/list.json
listed() {
	[ "$(lspci -D -n | wc -l)" = "$(jq length /tmp/list.json)" ] || { echo "lspci and ptctl differ in count"; return 1; }
	lspci -D -n | while read -r addr cls ids rest; do
		jq -e --arg a "$addr" --arg v "${ids%:*}" '.[] | select(.address == $a and .vendor_id == $v)' /tmp/list.json \
			> /dev/null || { echo "$addr missing"; return 1; }
	done
}
check "ptctl list covers every device lspci shows in dom0" listed

no_groups() {
	[ "$(jq -r .iommu_groups /tmp/status.json)" = false ] &&
	[ "$(jq '[.[] | select(.iommu_group != null)] | length' /tmp/list.json)" = 0 ]
}
check "no IOMMU groups in dom0 (Xen owns the IOMMU), and the inventory copes" no_groups

vnet=$(child_of 0000:00:05.0)
pciback() {
	[ -d /sys/bus/pci/drivers/pciback ] || { echo "xen-pciback is not loaded"; return 1; }
	echo pciback > "/sys/bus/pci/devices/$vnet/driver_override"
	echo "$vnet" > "/sys/bus/pci/devices/$vnet/driver/unbind"
	echo "$vnet" > /sys/bus/pci/drivers_probe
	eventually sh -c "[ \"\$(ptctl show $vnet --json | jq -r .driver)\" = pciback ]" || { ptctl show "$vnet"; return 1; }
	[ "$(json_field "$vnet" state)" = claimed ] || return 1
	echo > "/sys/bus/pci/devices/$vnet/driver_override"
	echo "$vnet" > /sys/bus/pci/drivers/pciback/unbind
	echo "$vnet" > /sys/bus/pci/drivers_probe
	eventually sh -c "[ \"\$(ptctl show $vnet --json | jq -r .driver)\" = virtio-pci ]"
}
check "a device moved to pciback by hand shows as a stub, and back" pciback

driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
managed_pciback() {
	ptctl assign g1 "$vnet" || return 1
	ptctl start g1 --json > /tmp/start.json || return 1
	cat /tmp/start.json
	[ "$(jq -r '.[0].driver' /tmp/start.json)" = pciback ] && [ "$(driver_of "$vnet")" = pciback ] || return 1
	grep -qx "$vnet" /sys/bus/pci/drivers/pciback/slots || { cat /sys/bus/pci/drivers/pciback/slots; return 1; }
	ptctl stop g1 || return 1
	[ "$(driver_of "$vnet")" = virtio-pci ] || { echo "not back on virtio-pci"; return 1; }
	! grep -qx "$vnet" /sys/bus/pci/drivers/pciback/slots || { echo "still in pciback's slots"; return 1; }
	[ "$(cat "/sys/bus/pci/devices/$vnet/driver_override")" = "(null)" ]
}
check "a guest start in dom0 puts the device on pciback (slot added), stop returns it to virtio-pci" managed_pciback

hide_pciback() {
	ptctl hide "$vnet" || return 1
	[ "$(driver_of "$vnet")" = pciback ] || return 1
	ptctl boot-config | tee /tmp/boot
	[ "$(cat /tmp/boot)" = "xen-pciback.hide=($vnet)" ] || return 1
	ptctl unhide "$vnet" && [ "$(driver_of "$vnet")" = virtio-pci ]
}
check "hiding in dom0 uses pciback, and boot-config prints xen-pciback.hide=" hide_pciback

# The Xen wiki's multi-device example on pciback: 06:03.0 hidden, 06:00.0-2 to the guest, passthrud's own bus
# reset below the bridge at start and stop (strict policy), everything back where it was.
br=$(child_of 0000:00:09.0)
bus=$(echo "$br" | cut -d: -f2)
f0=0000:$bus:00.0 f1=0000:$bus:00.1 f2=0000:$bus:00.2 f3=0000:$bus:03.0
xen_wiki() {
	ptctl hide "$f3" || return 1
	[ "$(driver_of "$f3")" = pciback ] || return 1
	ptctl assign gw "$f0" "$f1" "$f2" || return 1
	ptctl show "$f1" | grep "Reset:.*bus reset (passthrud's) of 0000:00:09.0's secondary bus" || return 1
	ptctl start gw || return 1
	for d in $f0 $f1 $f2; do
		[ "$(driver_of "$d")" = pciback ] && grep -qx "$d" /sys/bus/pci/drivers/pciback/slots || { echo "$d not on pciback"; return 1; }
	done
	grep "Bus reset of 0000:00:09.0's secondary bus: $f0, $f1, $f2, $f3" /run/passthrud.log || return 1
	ptctl stop gw || return 1
	for d in $f0 $f1 $f2; do
		[ "$(driver_of "$d")" = e1000 ] && [ -d "/sys/bus/pci/devices/$d/net" ] || { echo "$d not back on e1000"; return 1; }
	done
	[ "$(driver_of "$f3")" = pciback ] && [ "$(json_field "$f3" state)" = hidden ] || return 1
	ptctl unassign gw > /dev/null && ptctl unhide "$f3" > /dev/null || return 1
	[ "$(driver_of "$f3")" = e1000 ]
}
check "the Xen wiki's bridge example on pciback: 06:03.0 hidden, 06:00.0-2 started and stopped with a real bus reset" xen_wiki

echo "PT-TAP: 1..$n"
