# libvirt 9.0 with QEMU as passthrud's consumer (sourced by checks.sh): the domain takes its hostdev from
# `ptctl config --format libvirt`, passthrud's hook (/etc/libvirt/hooks/qemu) starts, leases and stops the guest.
# Helpers and checks only; checks.sh runs libvirt_checks and after-reboot.sh uses the helpers.
# QEMU runs the guest under TCG (no nested KVM): what counts is what QEMU holds and shows, not a guest OS.
lv_domain() {
	cat <<-XML
	<domain type='qemu'>
	  <name>$1</name>
	  <memory unit='MiB'>64</memory>
	  <vcpu>1</vcpu>
	  <os><type arch='x86_64' machine='pc'>hvm</type></os>
	  <devices>
	    <emulator>/usr/bin/qemu-system-x86_64</emulator>
	    <controller type='usb' model='none'/>
	    <memballoon model='none'/>
	$(ptctl config "$1" --format libvirt)
	  </devices>
	</domain>
	XML
}
qemu_pid() { cat "/run/libvirt/qemu/$1.pid"; }
group_of() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
# QEMU has the device's VFIO group open, and its own PCI bus lists the device (8086:10d3, e1000e).
qemu_holds() {
	pid=$(qemu_pid "$1") || return 1
	ls -l "/proc/$pid/fd" | grep -q " /dev/vfio/$(group_of "$2")\$" || { echo "QEMU $pid has no /dev/vfio/$(group_of "$2")"; return 1; }
	virsh qemu-monitor-command "$1" --hmp 'info pci' > /tmp/info-pci || return 1
	grep -B1 -A3 -i "8086:10d3" /tmp/info-pci
	grep -q -i "PCI device 8086:10d3" /tmp/info-pci
}
domstate() { [ "$(virsh domstate "$1" 2>/dev/null)" = "$2" ]; }

libvirt_start() {
	ptctl assign lv1 "$lvdev" || return 1
	lv_domain lv1 > /tmp/lv1.xml
	grep -A3 "<hostdev" /tmp/lv1.xml
	virsh define /tmp/lv1.xml > /dev/null || return 1
	virsh start lv1 || return 1
	on_driver "$lvdev" vfio-pci || return 1
	qemu_holds lv1 "$lvdev" || return 1
	# The hook's "started" leased the guest to QEMU.
	ptctl guest lv1
	ptctl guest lv1 --json | jq -r .owner | grep -q "$(qemu_pid lv1)"
}

libvirt_destroy() {
	virsh destroy lv1 || return 1
	eventually on_driver "$lvdev" e1000e || return 1
	ptctl guest lv1 | grep -q "^Guest lv1 (stopped)"
}

libvirt_refused() {
	# Someone else runs lv1 through passthrud: libvirt must not take its devices.
	ptctl start lv1 || return 1
	out=$(virsh start lv1 2>&1) && { echo "virsh started a guest passthrud refused"; return 1; }
	echo "$out"
	echo "$out" | grep -q "guest lv1 is already running" || return 1
	domstate lv1 "shut off" || return 1
	# libvirt's release after the failed start leaves the other user's guest alone.
	ptctl guest lv1 | grep -q "^Guest lv1 (running)" && on_driver "$lvdev" vfio-pci || return 1
	ptctl stop lv1
}

libvirt_qemu_killed() {
	virsh start lv1 > /dev/null || return 1
	pid=$(qemu_pid lv1)
	# No libvirtd, so no hook: only the lease can give the device back.
	systemctl stop libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket || return 1
	kill -9 "$pid"
	eventually on_driver "$lvdev" e1000e || { ptctl guest lv1; return 1; }
	journalctl -q -u passthrud -o verbose MESSAGE_ID=4c1f6a3e8b2d4b0f9a7e51c2d3b4a518 PASSTHRU_GUEST=lv1 |
		grep -E "^ *MESSAGE=" || return 1
	systemctl start libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket || return 1
	eventually domstate lv1 "shut off" || return 1
	virsh start lv1 > /dev/null && qemu_holds lv1 "$lvdev"
}

libvirt_checks() {
	check "virsh start: the hook starts the guest, QEMU holds $lvdev's VFIO group and lists the device, and owns the lease" libvirt_start
	check "virsh destroy returns $lvdev to e1000e (the hook's release)" libvirt_destroy
	check "a refusal stops virsh start with passthrud's reason, and leaves the guest that was running as it was" libvirt_refused
	check "kill -9 of QEMU with libvirtd down returns $lvdev through the lease (MESSAGE_ID ...518); virsh start works again" \
		libvirt_qemu_killed
}
