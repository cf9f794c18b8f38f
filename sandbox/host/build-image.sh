#!/bin/sh
# The real host stack's root file system: Debian 12 with systemd, journald, D-Bus, polkitd, libvirt 9.0 with QEMU
# and its kernel, made by
# mmdebstrap from the host's apt sources and cached by its inputs (this list, mmdebstrap's version, the apt
# sources). Prints the tarball's path.   usage: build-image.sh CACHE_DIR
set -eu
cache=${1:?usage: build-image.sh CACHE_DIR}
PACKAGES="systemd-sysv,dbus,polkitd,pkexec,passwd,udev,kmod,pciutils,jq,procps,libsystemd0,libudev1,libpci3,libsqlite3-0,linux-image-amd64,libvirt-daemon-system,qemu-system-x86"
key=$( (echo "$PACKAGES"; mmdebstrap --version; cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null) |
	sha256sum | cut -c1-16)
tar="$cache/host-$key.tar"
if [ ! -s "$tar" ]; then
	mkdir -p "$cache"
	rm -rf "$cache"/host-*.tar "$cache"/host-*.tar.part
	mmdebstrap --quiet --format=tar --variant=apt --include="$PACKAGES" bookworm "$tar.part" >&2
	mv "$tar.part" "$tar"
fi
echo "$tar"
