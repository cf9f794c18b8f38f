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

echo "PT-TAP: 1..$n"
