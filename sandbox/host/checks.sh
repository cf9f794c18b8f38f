# The real host stack's checks, run by pt-checks.service once the system is up: passthrud as its installed unit
# under systemd, with journald, D-Bus activation and polkitd. Prints PT-TAP lines on the serial console.
set -u
. /sandbox/lib.sh
. /sandbox/libvirt.sh
# A systemd host under TCG: up to 30 s for what passthrud does on its own (a lease ending, a claim at start).
PT_EVENTUALLY_TRIES=600
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
on_driver() { [ "$(driver_of "$1")" = "$2" ]; }
# Four e1000e: one to pass with ptctl, two to hide (sharing e1000e with the first), one for libvirt's guest. The
# disk keeps the state across the reboot: the first boot checks, starts guests and reboots; the second checks what
# the reboot left.
set -- $(ls /sys/bus/pci/devices | while read -r d; do
	[ "$(cat "/sys/bus/pci/devices/$d/vendor"):$(cat "/sys/bus/pci/devices/$d/device")" = 0x8086:0x10d3 ] && echo "$d"
done)
dev=$1 other=$2 third=$3 lvdev=$4
mkdir -p /var/lib/pt-checks
if [ -e /var/lib/pt-checks/rebooted ]; then
	n=$(cat /var/lib/pt-checks/n)
	. /sandbox/after-reboot.sh
	echo "PT-TAP: 1..$n"
	systemctl --no-block poweroff
	exit 0
fi
echo "PT-TAP: # devices: $dev (to pass) $other and $third (its twins, to hide), $lvdev (for libvirt)"

activation() {
	[ "$(systemctl is-active passthrud)" = inactive ] || { echo "passthrud ran before anyone asked"; return 1; }
	ptctl list > /dev/null || return 1
	[ "$(systemctl is-active passthrud)" = active ] || return 1
	systemctl show -p Type -p WatchdogUSec -p StatusText passthrud
	[ "$(systemctl show -p Type --value passthrud)" = notify ] &&
		[ "$(systemctl show -p WatchdogUSec --value passthrud)" = 30s ] &&
		[ -n "$(systemctl show -p StatusText --value passthrud)" ]
}
check "the first ptctl call starts passthrud.service through D-Bus activation; it is Type=notify with a watchdog and a STATUS= line" activation

journal() {
	ptctl hide "$other" || return 1
	on_driver "$other" vfio-pci || return 1
	journalctl -q -u passthrud -o verbose PASSTHRU_DEVICE="$other" MESSAGE_ID=4c1f6a3e8b2d4b0f9a7e51c2d3b4a514 |
		grep -q "PASSTHRU_DEVICE=$other" || return 1
	journalctl --update-catalog || return 1
	journalctl -x -q -u passthrud MESSAGE_ID=4c1f6a3e8b2d4b0f9a7e51c2d3b4a514 | grep "Subject: PCI device $other hidden from the host"
}
check "a hide is in journald with MESSAGE_ID= and PASSTHRU_DEVICE=, and journalctl -x shows the catalog's text" journal

useradd -m tester; useradd -m slowpoke
polkit_rules() {
	su tester -c "ptctl list" > /dev/null || { echo "an unprivileged user cannot list"; return 1; }
	out=$(su tester -c "ptctl assign g0 $dev" 2>&1) && { echo "an unprivileged user could assign"; return 1; }
	echo "$out"
	echo "$out" | grep -q "not authorized" || return 1
	cat > /etc/polkit-1/rules.d/50-passthru-test.rules <<-'RULES'
	polkit.addRule(function(action, subject) {
		if (action.id == "org.passthru1.manage" && subject.user == "tester")
			return polkit.Result.YES;
		if (action.id == "org.passthru1.manage" && subject.user == "slowpoke") {
			polkit.spawn(["/bin/sleep", "8"]);
			return polkit.Result.NO;
		}
	});
	RULES
	eventually su tester -c "ptctl assign g0 $dev" || return 1
	su tester -c "ptctl unassign g0" > /dev/null
}
check "polkit: an unprivileged user may list, not assign; a rules file granting org.passthru1.manage lets it" polkit_rules

slow_polkit() {
	su slowpoke -c "ptctl assign gs $dev" > /tmp/slow.out 2>&1 &
	slow=$!
	sleep 1
	# While polkit thinks about slowpoke (8 s), root is answered and slowpoke is still waiting.
	ptctl list > /dev/null && ptctl show "$dev" > /dev/null || return 1
	kill -0 "$slow" || { echo "slowpoke was answered before root"; cat /tmp/slow.out; return 1; }
	wait "$slow" && { echo "slowpoke could assign"; return 1; }
	grep -q "not authorized" /tmp/slow.out || { cat /tmp/slow.out; return 1; }
	! journalctl -q -u passthrud | grep -i "watchdog"
}
check "while polkit takes 8 s over one caller, root's calls are answered first, and the watchdog never fires" slow_polkit

useradd -m waiter
agent_waits() {
	cat > /etc/polkit-1/rules.d/51-passthru-agent.rules <<-'RULES'
	polkit.addRule(function(action, subject) {
		if (action.id == "org.passthru1.manage" && subject.user == "waiter")
			return polkit.Result.AUTH_ADMIN;
	});
	RULES
	# waiter types a change at a terminal (script gives it one): ptctl starts pkttyagent, which asks for root's
	# password on it, and nobody types it. (The image's root has none, which PAM would take as typed.)
	echo "root:not-typed-$$" | chpasswd || return 1
	(sleep 60 | su waiter -c "script -qfc 'ptctl assign gw $dev' /tmp/agent.typescript" > /dev/null 2>&1) &
	eventually grep -q "AUTHENTICATING FOR org.passthru1.manage" /tmp/agent.typescript ||
		{ cat /tmp/agent.typescript; return 1; }
	cat /tmp/agent.typescript
	# For 15 s, while the agent waits, root is answered each time within 5 s (its call never queues behind it).
	i=0
	while [ $i -lt 15 ]; do
		timeout 5 ptctl list > /dev/null && timeout 5 ptctl show "$dev" > /dev/null ||
			{ echo "root's call $i was not answered within 5 s"; return 1; }
		sleep 1
		i=$((i + 1))
	done
	pgrep -u waiter -x pkttyagent > /dev/null || { echo "the agent is no longer waiting"; return 1; }
	pkill -u waiter
	sleep 1
	ptctl guest gw > /dev/null 2>&1 && { echo "the waiting call assigned"; return 1; }
	! journalctl -q -u passthrud | grep -i "watchdog"
}
check "while pkttyagent waits for a password nobody types, root's calls answer at normal speed; nothing is assigned" \
	agent_waits

managed() {
	ptctl assign g1 "$dev" || return 1
	ptctl start g1 || return 1
	on_driver "$dev" vfio-pci && [ -e /dev/vfio/vfio ] || return 1
	ptctl stop g1 || return 1
	on_driver "$dev" e1000e
}
root_disk_refused() {
	# /dev/vda is virtio-blk: its PCI function is the virtio device's parent.
	root=$(basename "$(dirname "$(readlink -f /sys/block/vda/device)")")
	out=$(ptctl assign groot "$root" 2>&1) && { echo "the root disk's controller $root was assigned"; return 1; }
	echo "$out"
	echo "$out" | grep -q "controller of the root file system" || return 1
	on_driver "$root" virtio-pci && ! ptctl guest groot > /dev/null 2>&1
}
check "the root disk's controller is refused, saying so, and stays on virtio-pci" root_disk_refused

check "under the unit's hardening a guest starts (vfio-pci loaded on demand) and stops back to e1000e" managed

lease_kill() {
	sleep 600 &
	vmm=$!
	ptctl start g1 --pid "$vmm" || return 1
	ptctl guest g1 | grep -i "owner" || return 1
	on_driver "$dev" vfio-pci || return 1
	kill -9 "$vmm"
	eventually on_driver "$dev" e1000e || { ptctl guest g1; return 1; }
	journalctl -q -u passthrud -o verbose MESSAGE_ID=4c1f6a3e8b2d4b0f9a7e51c2d3b4a518 | grep -q "PASSTHRU_GUEST=g1"
}
check "kill -9 of the guest's owner process returns the device with no stop call (MESSAGE_ID ...518)" lease_kill

lease_restart() {
	sleep 600 &
	vmm=$!
	ptctl start g1 --pid "$vmm" || return 1
	systemctl restart passthrud || return 1
	on_driver "$dev" vfio-pci || return 1
	kill -9 "$vmm"
	eventually on_driver "$dev" e1000e || { ptctl guest g1; return 1; }
}
check "the lease survives systemctl restart passthrud" lease_restart

libvirt_checks

clean_stop() {
	systemctl stop passthrud || return 1
	[ "$(systemctl is-active passthrud)" = inactive ] || return 1
	[ "$(systemctl show -p Result --value passthrud)" = success ] || return 1
	on_driver "$other" vfio-pci || return 1
	! journalctl -q -u passthrud -p err | grep .
}
check "systemctl stop is clean, leaves the hidden device on vfio-pci, and the journal has no errors" clean_stop

# Into the reboot: two devices hidden, one of them also in a rebuilt initramfs (e1000e is loaded there), a guest
# running without an owner, libvirt's lv1 running, passthrud-early enabled; then the host reboots as systemd does it.
before_reboot() {
	systemctl start passthrud || return 1
	ptctl hide "$third" || return 1
	systemctl enable passthrud-early.service || return 1
	update-initramfs -u > /tmp/initramfs.out 2>&1 || { tail /tmp/initramfs.out; return 1; }
	lsinitramfs /boot/initrd.img-"$(uname -r)" | grep -E "conf/passthrud-claims|init-top/passthrud" | sort
	[ "$(lsinitramfs /boot/initrd.img-"$(uname -r)" | grep -c -E "conf/passthrud-claims|init-top/passthrud")" = 2 ] ||
		return 1
	ptctl start g1 || return 1
	on_driver "$dev" vfio-pci && domstate lv1 running
}
check "before the reboot: $other and $third hidden, update-initramfs packs them, g1 running with $dev, lv1 in QEMU" \
	before_reboot
echo "$n" > /var/lib/pt-checks/n
touch /var/lib/pt-checks/rebooted
echo "PT-REBOOT"
systemctl --no-block reboot
