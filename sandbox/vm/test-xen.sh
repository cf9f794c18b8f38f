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

echo "PT-TAP: 1..$n"
