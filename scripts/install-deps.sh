#!/bin/sh
# Installs every Debian 12 package passthrud needs to build, test and run its sandbox.
# Both README commands call this, so a fresh machine needs nothing else.
set -eu
if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: run as root (it uses apt-get)" >&2
	exit 1
fi
PACKAGES="
	build-essential meson ninja-build pkg-config
	libsystemd-dev libudev-dev libpci-dev pci.ids pciutils libsqlite3-dev
	libglib2.0-dev libjson-glib-dev libfuse3-dev fuse3 dbus-daemon
	clang libclang-rt-14-dev util-linux procps jq valgrind python3-dbusmock libxml2-utils groff-base systemd udev curl bzip2
	qemu-system-x86 linux-image-amd64 initramfs-tools mmdebstrap busybox-static cpio kmod socat time
"
missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps.sh: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
