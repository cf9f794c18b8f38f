# The second boot's checks (sourced by checks.sh): what a reboot with a guest running and two hidden devices left.
never_on_host_driver() {
	# The initramfs's init-top script claimed both (before the initramfs loaded e1000e for $dev).
	cat /run/passthru/initramfs-claims
	grep -qx "$other vfio-pci" /run/passthru/initramfs-claims && grep -qx "$third vfio-pci" /run/passthru/initramfs-claims ||
		return 1
	journalctl -q -k -b 0 -o short-monotonic | grep -m1 "e1000e $dev"
	systemctl show -p Result -p ActiveState passthrud-early.service
	[ "$(systemctl show -p Result --value passthrud-early.service)" = success ] || return 1
	journalctl -q -k -b 0 | grep -E "e1000e $other|e1000e $third" && { echo "e1000e had a hidden device"; return 1; }
	journalctl -q -k -b 0 | grep -q "e1000e $dev" || { echo "e1000e did not run at all"; return 1; }
	[ "$(driver_of "$other")" != e1000e ] && [ "$(driver_of "$third")" != e1000e ] || return 1
	# passthrud, started by the first call, puts them on their stub.
	ptctl list > /dev/null || return 1
	eventually on_driver "$other" vfio-pci && eventually on_driver "$third" vfio-pci
}
check "after the reboot the hidden $other and $third never appear on e1000e in the kernel log (initramfs claim, passthrud-early)" never_on_host_driver

guest_settled() {
	ptctl guest g1
	ptctl guest g1 | grep -q "^Guest g1 (stopped)" || return 1
	on_driver "$dev" e1000e || return 1
	journalctl -q -b 0 -u passthrud -o verbose MESSAGE_ID=4c1f6a3e8b2d4b0f9a7e51c2d3b4a517 | grep -q "PASSTHRU_GUEST=g1" ||
		return 1
	ptctl start g1 && on_driver "$dev" vfio-pci && ptctl stop g1 && on_driver "$dev" e1000e
}
check "the guest running at the reboot is stopped (MESSAGE_ID ...517), $dev is on e1000e, and g1 starts first time" guest_settled

libvirt_after_reboot() {
	ptctl guest lv1 | grep -q "^Guest lv1 (stopped)" || { ptctl guest lv1; return 1; }
	on_driver "$lvdev" e1000e || return 1
	virsh start lv1 || return 1
	qemu_holds lv1 "$lvdev" || return 1
	virsh destroy lv1 > /dev/null && eventually on_driver "$lvdev" e1000e
}
check "libvirt's lv1, running at the reboot, is stopped with $lvdev home, and virsh start works first time" \
	libvirt_after_reboot
