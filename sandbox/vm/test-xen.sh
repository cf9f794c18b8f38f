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

# A real PV domU (the same kernel, xen-pcifront) uses what passthrud prepares, and dom0 gets it back working.
if command -v xl > /dev/null && [ -e /var/run/xenstored.pid ]; then
e1000e=0000:00:02.0
domu_log() { cat "/var/log/xen/console/guest-$1.log" 2>/dev/null; }
wait_log() {
	i=0
	until grep -q "$2" "/var/log/xen/console/guest-$1.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 1500 ] && return 1
		sleep 0.1
	done
}
wait_gone() {
	i=0
	while xl list "$1" > /dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 300 ] && { xl destroy "$1"; return 0; }
		sleep 0.1
	done
}
# xl create, with a second try: xl itself has been seen to fail once in a while under TCG in a 400 MiB dom0
# (an ld.so assertion, a kernel image that would not inflate), which says nothing about passthrud.
xl_create() {
	xl create "$1" || { sleep 2; xl create "$1"; }
}
# guest NAME MODE [xl lines]: a PV domU configuration for the sandbox's domU kernel and initramfs.
domu_config() {
	printf 'name = "%s"\ntype = "pv"\nkernel = "/sandbox/domu/vmlinuz"\nramdisk = "/sandbox/domu/initrd.gz"\n' "$1"
	printf 'extra = "console=hvc0 iommu=soft quiet loglevel=3 pt.domu=%s"\nmemory = 96\nvcpus = 1\n' "$2"
	printf 'on_poweroff = "destroy"\non_crash = "destroy"\n'
}
# The domU's report: "<tx_packets> <irqs>" of its first NIC.
domu_traffic() { domu_log "$1" | sed -n 's/.*PT-DOMU: net .* tx_packets=\([0-9]*\) irqs=\([0-9]*\).*/\1 \2/p' | head -1; }
# dom0's driver has the device again: its interface sends frames (no DMA fault would let it), and Xen logged no
# DMA fault for it while it did (what the device did while Xen quarantined it, detached from a domU, is Xen's
# quarantine at work, not dom0's).
dom0_traffic() {
	xl dmesg -c > /dev/null
	net=$(ls "/sys/bus/pci/devices/$1/net" 2>/dev/null | head -1)
	[ -n "$net" ] || { echo "$1 has no network interface in dom0"; return 1; }
	ip link set "$net" up
	ip addr add 169.254.77.1/16 dev "$net" 2>/dev/null
	before=$(cat "/sys/class/net/$net/statistics/tx_packets")
	arping -c 4 -w 4 -I "$net" 169.254.77.201 > /dev/null 2>&1
	after=$(cat "/sys/class/net/$net/statistics/tx_packets")
	ip addr flush dev "$net"
	ip link set "$net" down
	echo "dom0 $net tx_packets $before -> $after"
	[ "$after" -gt "$before" ] || { echo "dom0's $net sent nothing"; return 1; }
	if xl dmesg | grep "DMAR:\[DMA" | grep -q "$1"; then
		xl dmesg | grep "DMAR" | tail -5
		xl dmesg -c > /dev/null
		return 1
	fi
}

# The control: xl's quarantine left in place (the device bound back to e1000e by hand, as passthrud did before
# it took devices out of quarantine), dom0's e1000e cannot send, and Xen logs the DMA faults; xl
# pci-assignable-remove then makes it work. Without this the check below could not tell.
quarantine_control() {
	xl pci-assignable-add "$e1000e" || return 1
	[ "$(driver_of "$e1000e")" = pciback ] || return 1
	echo "$e1000e" > /sys/bus/pci/drivers/pciback/unbind
	echo "$e1000e" > /sys/bus/pci/drivers/e1000e/bind
	eventually sh -c "ls /sys/bus/pci/devices/$e1000e/net" || return 1
	if dom0_traffic "$e1000e"; then echo "dom0 sent frames with the device in Xen's quarantine"; return 1; fi
	xl dmesg | grep "DMAR" | grep "$e1000e" | tail -2
	xl pci-assignable-remove "$e1000e" 2>&1
	[ "$(driver_of "$e1000e")" = e1000e ] || echo "$e1000e" > /sys/bus/pci/drivers/e1000e/bind
	xl dmesg -c > /dev/null
	eventually sh -c "ls /sys/bus/pci/devices/$e1000e/net" || return 1
	dom0_traffic "$e1000e"
}
check "control: with Xen's quarantine left in place dom0's e1000e cannot send (DMA faults); out of quarantine it can" quarantine_control

domu_boot() {
	ptctl assign pv1 "$e1000e" || return 1
	ptctl start pv1 || return 1
	domu_config pv1 boot > /tmp/pv1.cfg
	ptctl config pv1 --format xl >> /tmp/pv1.cfg
	cat /tmp/pv1.cfg
	ptctl doctor pv1 --xl-config /tmp/pv1.cfg | grep xl-config || return 1
	xl_create /tmp/pv1.cfg || return 1
	# Leased to its domain: when it ends, passthrud stops the guest with nobody calling ptctl stop.
	ptctl set-owner pv1 --xen-domain pv1 || { xl destroy pv1; return 1; }
	wait_log pv1 "PT-DOMU: done" || { domu_log pv1; xl destroy pv1; return 1; }
	domu_log pv1 | grep PT-DOMU
	domu_log pv1 | grep -q "PT-DOMU: device .* 0x8086:0x10d3 driver=e1000e" || { echo "no e1000e bound in the domU"; return 1; }
	set -- $(domu_traffic pv1)
	[ "${1:-0}" -gt 0 ] && [ "${2:-0}" -gt 0 ] || { echo "the domU's NIC sent ${1:-no} frames, ${2:-no} interrupts"; return 1; }
	wait_gone pv1
	eventually sh -c "[ \"\$(ptctl guest pv1 --json | jq -r .state)\" = stopped ]" || { ptctl guest pv1; return 1; }
	grep "Owner of guest pv1 (Xen domain pv1) is gone" /run/passthrud.log || return 1
	[ "$(driver_of "$e1000e")" = e1000e ] || return 1
	dom0_traffic "$e1000e"
}
check "a PV domU given 00:02.0 by 'ptctl config --format xl' binds e1000e and sends frames; leased to it, its end stops the guest: dom0's e1000e sends again with no DMA fault" domu_boot

domu_crash() {
	ptctl start pv1 || return 1
	xl_create /tmp/pv1.cfg || return 1
	wait_log pv1 "PT-DOMU: traffic done" || { domu_log pv1; xl destroy pv1; return 1; }
	xl destroy pv1
	# passthrud dies between the domain's end and the stop.
	kill -9 "$(cat /run/passthrud.pid)"
	passthrud --uevent-source kernel >> /run/passthrud.log 2>&1 &
	echo $! > /run/passthrud.pid
	eventually ptctl list || return 1
	ptctl stop pv1 || return 1
	[ "$(driver_of "$e1000e")" = e1000e ] || return 1
	dom0_traffic "$e1000e" || return 1
	ptctl unassign pv1 > /dev/null
}
check "SIGKILL of passthrud between the domU's destroy and the stop: after a restart the stop gives dom0 a working e1000e" domu_crash

domu_hotplug() {
	domu_config pv2 hotplug > /tmp/pv2.cfg
	echo 'passthrough = "enabled"' >> /tmp/pv2.cfg
	xl_create /tmp/pv2.cfg || return 1
	wait_log pv2 "PT-DOMU: booted" || { domu_log pv2; xl destroy pv2; return 1; }
	ptctl attach pv2 "$e1000e" || { xl destroy pv2; return 1; }
	# xl itself has been seen to crash here once in a while under TCG (an ld.so assertion): a second try.
	xl pci-attach pv2 "$e1000e" || { sleep 1; xl pci-attach pv2 "$e1000e"; } ||
		{ echo "xl pci-attach failed twice"; xl destroy pv2; ptctl detach pv2 "$e1000e"; tail -15 /run/passthrud.log; return 1; }
	# Seen once failing with a bare "Invalid argument" (from set-owner, or from the detach above): passthrud's own
	# words then say which step refused.
	ptctl set-owner pv2 --xen-domain pv2 ||
		{ echo "set-owner failed"; tail -15 /run/passthrud.log; xl destroy pv2; ptctl detach pv2 "$e1000e"; return 1; }
	wait_log pv2 "PT-DOMU: traffic done" || { domu_log pv2; xl destroy pv2; return 1; }
	# Xen's view, next to the driver link: the domain has it.
	eventually sh -c "ptctl show $e1000e | grep -q 'Xen: *assigned to Xen domain pv2'" || { ptctl show "$e1000e"; return 1; }
	set -- $(domu_traffic pv2)
	[ "${1:-0}" -gt 0 ] || { domu_log pv2; echo "the domU's hot-plugged NIC sent nothing"; return 1; }
	xl pci-detach pv2 "$e1000e" || { sleep 1; xl pci-detach pv2 "$e1000e"; } || return 1
	ptctl detach pv2 "$e1000e" || return 1
	wait_log pv2 "PT-DOMU: done"
	domu_log pv2 | grep PT-DOMU
	wait_gone pv2
	[ "$(driver_of "$e1000e")" = e1000e ] || return 1
	dom0_traffic "$e1000e"
}
check "ptctl attach + xl pci-attach into a running domU, traffic there; xl pci-detach + ptctl detach, dom0's e1000e sends again" domu_hotplug

domu_bridge() {
	ptctl hide "$f3" > /dev/null || return 1
	ptctl assign pvb "$f0" "$f1" "$f2" > /dev/null && ptctl start pvb || return 1
	domu_config pvb boot > /tmp/pvb.cfg
	ptctl config pvb --format xl >> /tmp/pvb.cfg
	xl_create /tmp/pvb.cfg || return 1
	wait_log pvb "PT-DOMU: done" || { domu_log pvb; xl destroy pvb; return 1; }
	domu_log pvb | grep PT-DOMU
	[ "$(domu_log pvb | grep -c "PT-DOMU: device .* 0x8086:0x100e driver=e1000")" = 3 ] || { echo "not three e1000 in the domU"; return 1; }
	[ "$(domu_log pvb | grep -c "PT-DOMU: net .* tx_packets=[1-9]")" = 3 ] || { echo "not every e1000 sent frames"; return 1; }
	wait_gone pvb
	ptctl stop pvb && ptctl unassign pvb > /dev/null && ptctl unhide "$f3" > /dev/null || return 1
	for d in $f0 $f1 $f2 $f3; do [ "$(driver_of "$d")" = e1000 ] || { echo "$d not back on e1000"; return 1; }; done
	dom0_traffic "$f1"
}
check "the Xen wiki's bridge example in a PV domU: the three e1000 bound and sending there, all four back in dom0" domu_bridge
fi

echo "PT-TAP: 1..$n"
