#!/bin/sh
# meson install puts every file a host needs where systemd, D-Bus, polkit and udev look for it, and they are
# well-formed: the unit passes systemd-analyze verify, the XML files parse, the polkit actions are the daemon's.
set -u
B=${PT_BUILD_DIR:?}
SRC=$(cd "$(dirname "$0")/.." && pwd)
D=$(mktemp -d /tmp/passthru-install.XXXXXX)
trap 'rm -rf "$D"' EXIT
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n $1"; }
check() { desc=$1; shift; if "$@" > "$D.out" 2>&1; then ok "$desc"; else nok "$desc"; sed 's/^/# /' "$D.out"; fi; }

echo "1..9"
meson install -C "$B" --destdir "$D/root" --no-rebuild --quiet > "$D.out" 2>&1 || { cat "$D.out"; exit 1; }
R="$D/root"
prefix=$(meson introspect "$B" --buildoptions | jq -r '.[] | select(.name == "prefix") | .value')
files() {
	for f in "$prefix/sbin/passthrud" "$prefix/bin/ptctl" "$prefix/libexec/passthrud-udev-override" \
		"$prefix/share/dbus-1/interfaces/org.passthru1.xml" "$prefix/share/dbus-1/system.d/org.passthru1.conf" \
		"$prefix/share/dbus-1/system-services/org.passthru1.service" \
		"$prefix/share/polkit-1/actions/org.passthru1.policy" "$prefix/lib/systemd/catalog/passthrud.catalog" \
		"$prefix/share/passthru/libvirt-hook-qemu" "$prefix/share/man/man1/ptctl.1" "$prefix/share/man/man8/passthrud.8" \
		"$prefix/share/man/man5/passthrud.conf.5" "$prefix/share/bash-completion/completions/ptctl" \
		"$prefix/share/doc/passthrud/org.passthru1.md"; do
		[ -e "$R$f" ] || { echo "missing: $f"; return 1; }
	done
	ls "$R"/*/lib/udev/rules.d/70-passthru.rules "$R"/lib/udev/rules.d/70-passthru.rules 2>/dev/null | grep -q . ||
		{ echo "no udev rule"; return 1; }
	find "$R" -name passthrud.service -path '*systemd/system*' | grep -q . || { echo "no unit"; return 1; }
}
check "every file is installed where its consumer looks" files
unit=$(find "$R" -name passthrud.service -path '*systemd/system*' | head -1)
verify() {
	# The unit names the installed binary; verify it against a tree where that binary exists.
	mkdir -p "$D/verify$prefix/sbin"
	cp "$R$prefix/sbin/passthrud" "$D/verify$prefix/sbin/"
	sed "s|^Documentation=.*||" "$unit" > "$D/passthrud.service"
	grep -q "^ExecStart=$prefix/sbin/passthrud$" "$unit" || return 1
	grep -q "^Type=notify$" "$unit" && grep -q "^WatchdogSec=" "$unit" && grep -q "^StateDirectory=passthru$" "$unit" &&
		grep -q "^Before=.*libvirtd.service.*xen-init-dom0.service.*xendomains.service" "$unit" || return 1
	SYSTEMD_LOG_LEVEL=err systemd-analyze verify --root="$D/verify" "$D/passthrud.service" 2>&1 | grep -v "No such file" |
		grep -i "error\|invalid\|unknown" && return 1
	return 0
}
check "the unit is Type=notify with a watchdog, state directory, ordered before the toolstacks, and verifies" verify
early() {
	early=$(find "$R" -name passthrud-early.service -path '*systemd/system*' | head -1)
	[ -n "$early" ] || { echo "no passthrud-early.service"; return 1; }
	helper=$(find "$R" -name passthrud-udev-override -type f | head -1)
	grep -q "^ExecStart=${helper#"$R"} --apply " "$early" || { echo "it does not run the installed helper"; return 1; }
	grep -q "^DefaultDependencies=no$" "$early" && grep -q "^Before=systemd-udev-trigger.service" "$early" || return 1
	mkdir -p "$D/verify-early$(dirname "${helper#"$R"}")"
	cp "$helper" "$D/verify-early${helper#"$R"}"
	sed "s|^Documentation=.*||" "$early" > "$D/passthrud-early.service"
	SYSTEMD_LOG_LEVEL=err systemd-analyze verify --root="$D/verify-early" "$D/passthrud-early.service" 2>&1 |
		grep -v "No such file" | grep -i "error\|invalid\|unknown" && return 1
	return 0
}
check "passthrud-early.service runs the helper before udev's coldplug, and verifies" early
initramfs() {
	it=$(meson introspect "$B" --buildoptions | jq -r '.[] | select(.name == "initramfs-tools-dir") | .value')
	hook="$R$it/hooks/passthrud" top="$R$it/scripts/init-top/passthrud"
	[ -x "$hook" ] && [ -x "$top" ] || { echo "hook or init-top script missing under $it"; return 1; }
	helper=$(find "$R" -name passthrud-udev-override -type f | head -1)
	grep -q "^helper=.*:-${helper#"$R"}}" "$hook" || { echo "the hook does not run the installed helper"; return 1; }
	sh -n "$hook" && sh -n "$top" || return 1
	# initramfs-tools' own ordering (hook-functions' cache_run_scripts): ours must run before its udev.
	[ -r /usr/share/initramfs-tools/hook-functions ] || { echo "initramfs-tools is not installed"; return 1; }
	mkdir -p "$D/initrd/scripts/init-top"
	cp /usr/share/initramfs-tools/scripts/init-top/* "$top" "$D/initrd/scripts/init-top/"
	(set +u; verbose=n; CONFDIR="$D/initrd"; . /usr/share/initramfs-tools/hook-functions && cache_run_scripts "$D/initrd" /scripts/init-top) || return 1
	order=$(grep -o '^/scripts/init-top/[^ ]*' "$D/initrd/scripts/init-top/ORDER" | tr '\n' ' ')
	echo "ORDER: $order"
	case "$order" in *passthrud*udev*) return 0 ;; *) return 1 ;; esac
}
check "the initramfs-tools hook and init-top script are installed; initramfs-tools runs the script before its udev" initramfs
check "the bus policy parses" xmllint --noout "$R$prefix/share/dbus-1/system.d/org.passthru1.conf"
root_owns() {
	conf="$R$prefix/share/dbus-1/system.d/org.passthru1.conf"
	[ "$(xmllint --xpath 'count(//policy[@user="root"]/allow[@own="org.passthru1"])' "$conf")" = 1 ] &&
	[ "$(xmllint --xpath 'count(//policy[@context="default"]/allow[@own])' "$conf")" = 0 ]
}
check "only root may own org.passthru1" root_owns
check "the polkit actions parse" xmllint --noout "$R$prefix/share/polkit-1/actions/org.passthru1.policy"
actions() {
	policy="$R$prefix/share/polkit-1/actions/org.passthru1.policy"
	[ "$(grep -c '"org\.passthru1\.[a-z]*"' "$SRC/daemon/bus/bus-polkit.h")" = 2 ] || { echo "bus-polkit.h names no actions"; return 1; }
	for a in $(grep -o '"org\.passthru1\.[a-z]*"' "$SRC/daemon/bus/bus-polkit.h" | tr -d '"'); do
		[ "$(xmllint --xpath "count(//action[@id='$a'])" "$policy")" = 1 ] || { echo "no action $a"; return 1; }
	done
	[ "$(xmllint --xpath 'string(//action[@id="org.passthru1.read"]/defaults/allow_any)' "$policy")" = yes ] &&
	[ "$(xmllint --xpath 'string(//action[@id="org.passthru1.manage"]/defaults/allow_any)' "$policy")" = auth_admin ]
}
check "the policy has the daemon's read and manage actions; reading is open, managing needs an admin" actions
activation() {
	svc="$R$prefix/share/dbus-1/system-services/org.passthru1.service"
	grep -qx "Name=org.passthru1" "$svc" && grep -qx "SystemdService=passthrud.service" "$svc" && grep -qx "User=root" "$svc"
}
check "D-Bus activation starts passthrud.service" activation
exit $fail
