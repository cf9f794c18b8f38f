#!/bin/sh
# The real host stack: boots a systemd Debian 12 image (build-image.sh, cached) in which passthrud is installed by
# meson install and runs as its unit, with journald, D-Bus activation and polkitd; checks.sh runs there as a
# service and prints PT-TAP lines on the serial console, which come out here as TAP.   usage: run.sh BUILD_DIR
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:?usage: run.sh BUILD_DIR}
cache=${PT_HOST_CACHE:-/var/cache/passthru-host}
command -v mmdebstrap > /dev/null || { echo "mmdebstrap is not installed"; exit 77; }
tar=$("$top/sandbox/host/build-image.sh" "$cache")
work=$(mktemp -d /tmp/passthru-host.XXXXXX)
trap 'rm -rf "$work"' EXIT
R="$work/root"
mkdir "$R"
tar -C "$R" -xf "$tar"
sed -i 's/^root:[^:]*:/root::/' "$R/etc/shadow"
echo "/dev/vda / ext4 rw 0 0" > "$R/etc/fstab"
echo passthru-host > "$R/etc/hostname"
meson install -C "$B" --destdir "$R" --no-rebuild --quiet > /dev/null
prefix=$(meson introspect "$B" --buildoptions | jq -r '.[] | select(.name == "prefix") | .value')
# A /usr/local install: the admin points D-Bus, polkit and journald at its files, as README's real-host steps say.
if [ "$prefix" != /usr ]; then
	mkdir -p "$R/etc/dbus-1/system.d" "$R/usr/share/polkit-1/actions" "$R/usr/lib/systemd/catalog" \
		"$R/usr/share/dbus-1/system-services"
	cp "$R$prefix"/share/dbus-1/system.d/* "$R/etc/dbus-1/system.d/"
	cp "$R$prefix"/share/dbus-1/system-services/* "$R/usr/share/dbus-1/system-services/"
	cp "$R$prefix"/share/polkit-1/actions/* "$R/usr/share/polkit-1/actions/"
	cp "$R$prefix"/lib/systemd/catalog/* "$R/usr/lib/systemd/catalog/"
fi
# update-initramfs under TCG: only what the disk needs, plus e1000e, which the initramfs then loads itself (after
# its init-top scripts), as a host whose NIC or storage driver is in the initramfs does.
echo "MODULES=dep" > "$R/etc/initramfs-tools/conf.d/passthru-test"
echo e1000e >> "$R/etc/initramfs-tools/modules"
# libvirt with passthrud's hook, as README's libvirt steps say. No libvirt-guests (it would wait minutes at the
# reboot for guests without an OS to shut down) and no default network (no dnsmasq here).
mkdir -p "$R/etc/libvirt/hooks"
cp "$R$prefix/share/passthru/libvirt-hook-qemu" "$R/etc/libvirt/hooks/qemu"
ln -sf /dev/null "$R/etc/systemd/system/libvirt-guests.service"
rm -f "$R/etc/libvirt/qemu/networks/autostart/default.xml"
mkdir -p "$R/sandbox"
cp "$top/sandbox/host/checks.sh" "$top/sandbox/host/after-reboot.sh" "$top/sandbox/host/libvirt.sh" \
	"$top/sandbox/vm/lib.sh" "$R/sandbox/"
cp "$top/sandbox/host/pt-checks.service" "$R/etc/systemd/system/"
# The console is the checks' channel: no getty hangs it up.
ln -sf /dev/null "$R/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /etc/systemd/system/pt-checks.service "$R/etc/systemd/system/multi-user.target.wants/pt-checks.service"
mke2fs -q -t ext4 -d "$R" -L root "$work/root.img" 3G > /dev/null
kernel=$(ls "$R"/boot/vmlinuz-* | head -1)
initrd=$(ls "$R"/boot/initrd.img-* | head -1)
initrd_path=${initrd#"$R"}
boot() {
	# Three e1000e on root ports of their own (one to pass, two to hide while it keeps e1000e), under the vIOMMU.
	timeout "${PT_VM_TIMEOUT:-300}" qemu-system-x86_64 -accel tcg,tb-size=64 -machine q35,kernel-irqchip=split \
		-smp 2 -m 2048 -nodefaults -nographic -no-reboot -serial "file:$work/console-$1.log" \
		-device intel-iommu,intremap=on \
		-device pcie-root-port,id=rp1,chassis=1,slot=1 -device e1000e,bus=rp1,netdev=n1 \
		-device pcie-root-port,id=rp2,chassis=2,slot=2 -device e1000e,bus=rp2,netdev=n2 \
		-device pcie-root-port,id=rp3,chassis=3,slot=3 -device e1000e,bus=rp3,netdev=n3 \
		-device pcie-root-port,id=rp4,chassis=4,slot=4 -device e1000e,bus=rp4,netdev=n4 \
		-netdev user,id=n1,restrict=on -netdev user,id=n2,restrict=on -netdev user,id=n3,restrict=on \
		-netdev user,id=n4,restrict=on \
		-kernel "$kernel" -initrd "$2" \
		-append "root=/dev/vda rw console=ttyS0 intel_iommu=on quiet ${PT_HOST_APPEND:-}" \
		-drive "file=$work/root.img,format=raw,if=virtio" || echo "# qemu exited $?"
	tr -d '\r' < "$work/console-$1.log" >> "$work/console.log"
}
: > "$work/console.log"
boot 1 "$initrd"
# The host reboots: the same disk, with the initramfs update-initramfs wrote there.
if grep -q '^PT-REBOOT' "$work/console.log"; then
	debugfs -R "dump $initrd_path $work/initrd-2" "$work/root.img" 2> /dev/null
	boot 2 "$work/initrd-2"
fi
[ -z "${PT_HOST_CONSOLE:-}" ] || cp "$work/console.log" "$PT_HOST_CONSOLE"
sed -n 's/^PT-TAP: //p' "$work/console.log"
grep -q '^PT-TAP: 1\.\.' "$work/console.log" || { tail -40 "$work/console.log" | sed 's/^/# /'; exit 1; }
