#!/bin/sh
# Builds the sandbox initramfs: busybox, the Debian kernel's modules for vfio-pci, pci-stub, xen-pciback and the
# emulated devices, passthrud and ptctl with their libraries, dbus-daemon with a system-bus configuration, lspci
# with pci.ids, jq, and the scenario scripts.   usage: build-initramfs.sh BUILD_DIR OUT_DIR [XEN_TOOLS]
# With XEN_TOOLS (Debian's xl toolstack unpacked there) the dom0 also gets xl, xenstored, xenconsoled and their
# libraries, and a PV domU to start: the same kernel and a small initramfs with xen-pcifront (domu-init).
set -eu
B=$(realpath "$1")
OUT=$2
XT=${3:-}
here=$(dirname "$(realpath "$0")")
KVER=$(ls /lib/modules | sort -V | tail -n 1)
R="$OUT/rootfs"

rm -rf "$R"
mkdir -p "$R"/bin "$R"/sbin "$R"/usr/bin "$R"/usr/sbin "$R"/etc "$R"/proc "$R"/sys "$R"/dev "$R"/tmp "$R"/run \
	"$R"/var/lib/passthru "$R"/usr/share/misc "$R"/sandbox "$R"/lib/modules/"$KVER"

cp /bin/busybox "$R/bin/busybox"
for applet in $("$R/bin/busybox" --list); do
	[ -e "$R/bin/$applet" ] || ln -s busybox "$R/bin/$applet"
done

# A binary at DEST inside the image, with every library ldd names.
copy_bin() {
	src=$1
	dest=$2
	[ "$src" -ef "$R$dest" ] || install -D -m 0755 "$src" "$R$dest"
	ldd "$src" | awk '/=> \// { print $3 } /^[[:space:]]*\/lib/ { print $1 }' | while read -r lib; do
		[ -e "$R$lib" ] || install -D -m 0755 "$lib" "$R$lib"
	done
}
# passthrud as a host gets it: meson install's file layout (binaries, bus policy, activation file, polkit
# actions, unit, udev rule, catalog, manuals), then the libraries its binaries need.
meson install -C "$B" --destdir "$R" --no-rebuild --quiet >/dev/null
for f in $(find "$R" -type f -perm -u+x -not -path '*/initramfs-tools/*' \( -name passthrud -o -name ptctl -o -name passthrud-udev-override \)); do
	copy_bin "$f" "${f#"$R"}"
done
copy_bin /usr/bin/dbus-daemon /usr/bin/dbus-daemon
copy_bin "$(command -v lspci)" /usr/bin/lspci
copy_bin "$(command -v setpci)" /usr/bin/setpci
copy_bin "$(command -v jq)" /usr/bin/jq
cp /usr/share/misc/pci.ids "$R/usr/share/misc/pci.ids"
# bench/lifecycle: its driver, and driverctl (a bash script) from the Debian package, unpacked, not installed.
if [ -x "$B/bench/bench-lifecycle" ]; then
	copy_bin "$B/bench/bench-lifecycle" /usr/bin/bench-lifecycle
	if [ -x "$OUT/driverctl/usr/sbin/driverctl" ]; then
		copy_bin /bin/bash /bin/bash
		install -D -m 0755 "$OUT/driverctl/usr/sbin/driverctl" "$R/usr/sbin/driverctl"
		copy_bin "$(command -v realpath)" /usr/bin/realpath
		ln -sf /bin/busybox "$R/sbin/modprobe" # where driverctl calls it
	fi
fi

# Modules and everything they depend on, resolved by the host's modprobe against the guest kernel's tree.
MODULES="vfio vfio_iommu_type1 vfio_pci pci-stub xen-pciback xenfs e1000e e1000 virtio_pci virtio_net virtio_rng nvme"
for m in $MODULES; do
	modprobe -S "$KVER" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r ko; do
	install -D -m 0644 "$ko" "$R$ko"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	cp "/lib/modules/$KVER/$f" "$R/lib/modules/$KVER/"
done
depmod -b "$R" "$KVER"

install -D -m 0644 "$here/vm/system.conf" "$R/usr/share/dbus-1/system.conf"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$R/etc/group"
# dbus-daemon wants a machine ID; one per image is enough for a throwaway VM.
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$R/etc/machine-id"
install -m 0755 "$here/vm/init" "$R/init"
cp "$here"/vm/*.sh "$R/sandbox/"

if [ -n "$XT" ]; then
	# xl and the daemons it needs, with their libraries (found in the unpacked tree first).
	for b in xl xenstored xenconsoled xen-init-dom0; do
		install -D -m 0755 "$XT/usr/lib/xen-4.17/bin/$b" "$R/usr/lib/xen-4.17/bin/$b"
		LD_LIBRARY_PATH="$XT/usr/lib/x86_64-linux-gnu" ldd "$XT/usr/lib/xen-4.17/bin/$b" |
			awk '/=> \// { print $3 }' | while read -r lib; do
			dest=${lib#"$XT"}
			[ -e "$R$dest" ] || install -D -m 0755 "$lib" "$R$dest"
		done
	done
	ln -sf /usr/lib/xen-4.17/bin/xl "$R/usr/sbin/xl"
	# glibc loads libgcc_s when a thread is cancelled (xl's do).
	gcc_s=$(ldconfig -p | awk '/libgcc_s.so.1 .*x86-64/ { print $NF; exit }')
	install -D -m 0644 "$gcc_s" "$R$gcc_s"
	mkdir -p "$R/var/lib/xen" "$R/var/lib/xenstored" "$R/var/run/xen" "$R/var/run/xenstored" "$R/var/log/xen/console" \
		"$R/etc/xen"
	[ -f "$XT/etc/xen/xl.conf" ] && cp "$XT/etc/xen/xl.conf" "$R/etc/xen/xl.conf"
	for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd; do
		modprobe -S "$KVER" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" { print $2 }'
	done | sort -u | while read -r ko; do
		install -D -m 0644 "$ko" "$R$ko"
	done
	depmod -b "$R" "$KVER"

	# The PV domU: the same kernel, and busybox with xen-pcifront and the NIC drivers.
	D="$OUT/domu-root"
	rm -rf "$D"
	mkdir -p "$D/bin" "$D/proc" "$D/sys" "$D/dev" "$D/tmp" "$D/lib/modules/$KVER"
	cp /bin/busybox "$D/bin/busybox"
	for applet in $("$D/bin/busybox" --list); do
		[ -e "$D/bin/$applet" ] || ln -s busybox "$D/bin/$applet"
	done
	for m in xen-pcifront e1000 e1000e; do
		modprobe -S "$KVER" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" { print $2 }'
	done | sort -u | while read -r ko; do
		install -D -m 0644 "$ko" "$D$ko"
	done
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		cp "/lib/modules/$KVER/$f" "$D/lib/modules/$KVER/"
	done
	depmod -b "$D" "$KVER"
	install -m 0755 "$here/vm/domu-init" "$D/init"
	mkdir -p "$R/sandbox/domu"
	(cd "$D" && find . | cpio -o -H newc --quiet | gzip -1) > "$R/sandbox/domu/initrd.gz"
	# The kernel as a gzipped ELF: Xen 4.17's domain builder cannot unpack the bzImage's XZ stream (its memory
	# limit is below the 128 MiB dictionary Linux now uses), but reads gzip.
	py=$(command -v /usr/bin/python3 || command -v python3)
	"$py" - "/boot/vmlinuz-$KVER" <<'PY' | gzip -1 > "$R/sandbox/domu/vmlinuz"
import lzma, sys
image = open(sys.argv[1], 'rb').read()
sys.stdout.buffer.write(lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(image[image.find(b'\xfd7zXZ\x00'):]))
PY
fi

(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT/initramfs.cpio.gz"
echo "$KVER" > "$OUT/kernel-version"
