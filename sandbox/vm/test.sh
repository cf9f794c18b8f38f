# Checks against the real kernel, as TAP lines on the serial console.
. /sandbox/lib.sh

# fd 3 stays on the console: hotplug requests must reach the host even from inside a check.
exec 3>&1

ptctl list --all --json > /tmp/list.json
# One line per device, so checks grep instead of starting jq per device (slow under TCG):
# address vendor device class driver group resets members
jq -r '.[] | "\(.address) \(.vendor_id) \(.device_id) \(.class) \(.driver // "-") \(.iommu_group // "-") \(.reset_methods | join(",") | if . == "" then "-" else . end) \(.iommu_group_members | join(","))"' \
	/tmp/list.json > /tmp/flat

covers_lspci() {
	[ "$(lspci -D -n | wc -l)" = "$(wc -l < /tmp/flat)" ] || { echo "count differs"; return 1; }
	lspci -D -n | while read -r addr cls ids rest; do
		grep -q "^$addr ${ids%:*} ${ids#*:} ${cls%:}" /tmp/flat || { echo "$addr $cls $ids: not listed alike"; return 1; }
	done
}
check "ptctl list --json covers every device lspci -D -nn shows, with the same IDs and class" covers_lspci

same_driver() {
	lspci -D -k | awk '/^[0-9a-f]/ { if (a) print a, d; a = $1; d = "-" } /Kernel driver in use:/ { d = $NF } END { print a, d }' |
	while read -r addr want; do
		got=$(awk -v a="$addr" '$1 == a { print $5 }' /tmp/flat)
		[ "$want" = "$got" ] || { echo "$addr: lspci says '$want', ptctl '$got'"; return 1; }
	done
}
check "every device has the driver lspci -k shows" same_driver

same_groups() {
	[ -n "$(ls /sys/kernel/iommu_groups)" ] || { echo "no IOMMU groups"; return 1; }
	for g in /sys/kernel/iommu_groups/*; do
		members=$(ls "$g/devices" | sort | tr '\n' ',' | sed 's/,$//')
		for d in $(ls "$g/devices"); do
			got=$(awk -v a="$d" '$1 == a { print $6, $8 }' /tmp/flat)
			[ "$got" = "${g##*/} $members" ] || { echo "$d: sysfs group ${g##*/} [$members], ptctl [$got]"; return 1; }
		done
	done
}
check "IOMMU groups and their members match /sys/kernel/iommu_groups" same_groups

same_resets() {
	for d in /sys/bus/pci/devices/*; do
		a=${d##*/}
		want=$(cat "$d/reset_method" 2>/dev/null | tr ' ' ',')
		got=$(awk -v a="$a" '$1 == a { print $7 }' /tmp/flat)
		[ "${want:--}" = "$got" ] || { echo "$a: reset_method '$want', ptctl '$got'"; return 1; }
	done
}
check "reset methods match the kernel's reset_method" same_resets

br=$(child_of 0000:00:09.0)
notations() {
	[ -n "$br" ] || return 1
	bus=$(echo "$br" | cut -d: -f2)
	slot=$(echo "$br" | cut -d: -f3 | cut -d. -f1)
	fn=${br##*.}
	for a in "$br" "${br#0000:}" "0/$br" "($br)" "${br#0000:}@4,permissive=1" "bdf=$br,seize=1" \
		"<address domain='0x0000' bus='0x$bus' slot='0x$slot' function='0x$fn'/>"; do
		got=$(ptctl show "$a" --json | jq -r .address)
		[ "$got" = "$br" ] || { echo "'$a' resolved to '$got'"; return 1; }
	done
}
check "every address notation resolves" notations

conventional() {
	[ "$(json_field "$br" parent_conventional)" = true ] &&
	[ "$(ptctl show "$br" --json | jq '.iommu_group_members | index("0000:00:09.0") != null')" = true ]
}
check "the e1000 behind the pci-bridge has a conventional parent and shares the bridge's group" conventional

multifunction() {
	for f in 0000:00:03.0 0000:00:03.1 0000:00:03.2; do
		[ "$(json_field $f multifunction)" = true ] || { echo "$f"; return 1; }
	done
}
check "the multifunction slot's functions are multifunction" multifunction

vnet=$(child_of 0000:00:05.0)
nvme=$(child_of 0000:00:06.0)
flr() {
	[ "$(json_field "$vnet" flr)" = true ] && [ "$(json_field "$nvme" flr)" = true ] &&
	[ "$(json_field "$vnet" pcie_type)" = endpoint ] && [ "$(json_field 0000:00:02.0 pcie_type)" = rc-integrated-endpoint ]
}
check "FLR and PCIe port types come from config space (virtio-net, nvme, RCiEP e1000e)" flr

# Managed mode. vfio-pci is not loaded yet (/init leaves it to passthrud, as udev would have).
override_of() { cat "/sys/bus/pci/devices/$1/driver_override"; }
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }

managed_cycle() {
	[ ! -d /sys/bus/pci/drivers/vfio-pci ] || { echo "vfio-pci was loaded before passthrud needed it"; return 1; }
	ptctl assign g1 "$vnet" "$nvme" || return 1
	ptctl start g1 --json > /tmp/start.json || return 1
	cat /tmp/start.json
	for d in "$vnet" "$nvme"; do
		[ "$(driver_of "$d")" = vfio-pci ] && [ "$(override_of "$d")" = vfio-pci ] || { echo "$d not on vfio-pci"; return 1; }
		[ "$(json_field "$d" state)" = running ] || return 1
		grep -q "Device $d reset (flr)" /run/passthrud.log || { echo "$d: no FLR logged"; return 1; }
	done
	[ "$(jq -r '.[0].driver' /tmp/start.json)" = vfio-pci ] || return 1
	[ "$(cat /sys/bus/pci/devices/$vnet/reset_method)" = "flr pm bus" ] || { echo "reset_method not restored"; return 1; }
	ptctl stop g1 || return 1
	[ "$(driver_of "$vnet")" = virtio-pci ] && [ "$(driver_of "$nvme")" = nvme ] || { echo "not back home"; return 1; }
	[ "$(override_of "$vnet")" = "(null)" ] && [ "$(override_of "$nvme")" = "(null)" ] || return 1
	[ "$(ptctl guest g1 --json | jq -r .state)" = stopped ] || return 1
	ptctl unassign g1 > /dev/null
}
check "start/stop of a guest owning virtio-net and nvme: vfio-pci loaded, bound, FLR, original drivers back" managed_cycle

# SIGKILL while both lanes (virtio-net and nvme, each with a real FLR) are under way; restarted, passthrud must
# put every device where its journal says: a start is rolled back or was finished, a stop is finished.
on_home() { [ "$(driver_of "$vnet")" = virtio-pci ] && [ "$(driver_of "$nvme")" = nvme ]; }
kill_mid() {
	ptctl "$1" g1 > /tmp/verb.out 2>&1 &
	client=$!
	i=0
	# Until either device has left where it was: then both lanes are in flight (each FLR sleeps 100 ms or more).
	while [ $i -lt 4000 ]; do
		case "$1:$(readlink "/sys/bus/pci/devices/$vnet/driver"):$(readlink "/sys/bus/pci/devices/$nvme/driver")" in
		start:*/virtio-pci:*/nvme|stop:*/vfio-pci:*/vfio-pci) i=$((i + 1)) ;;
		*) break ;;
		esac
	done
	kill -9 "$(cat /run/passthrud.pid)"
	wait $client || true
	passthrud --uevent-source kernel >> /run/passthrud.log 2>&1 &
	echo $! > /run/passthrud.pid
	eventually timeout 2 ptctl list || return 1
	state=$(ptctl guest g1 --json | jq -r .state)
	echo "$1 killed after $i polls; the journal settled it to: $state ($(driver_of "$vnet"), $(driver_of "$nvme"))"
	case $state in
	stopped) on_home && [ "$(override_of "$vnet")" = "(null)" ] && [ "$(override_of "$nvme")" = "(null)" ] ;;
	running) [ "$1" = start ] && [ "$(driver_of "$vnet")" = vfio-pci ] && [ "$(driver_of "$nvme")" = vfio-pci ] ;;
	*) return 1 ;;
	esac
}
crash_parallel() {
	ptctl assign g1 "$vnet" "$nvme" > /dev/null || return 1
	kill_mid start || return 1
	[ "$(ptctl guest g1 --json | jq -r .state)" = running ] || ptctl start g1 || return 1
	kill_mid stop || return 1
	[ "$(ptctl guest g1 --json | jq -r .state)" = stopped ] || return 1
	# The kills came mid-flight: the journal had operations of g1 to settle.
	grep "Recovery: the st.* of guest g1 was interrupted" /run/passthrud.log || return 1
	ptctl unassign g1 > /dev/null
}
check "SIGKILL during a two-lane start and stop: restarted, passthrud leaves each device where its journal says" crash_parallel

# --dry-run of a start: the plan the real start then carries out, and what the host would lose; nothing moves.
dry_start() {
	ptctl assign g1 "$vnet" "$nvme" > /dev/null || return 1
	ptctl start g1 --dry-run --json > /tmp/dry.json || return 1
	cat /tmp/dry.json
	for d in "$vnet" "$nvme"; do
		jq -e --arg d "$d" 'any(.[]; .kind == "bind" and .device == $d and (.detail | startswith("vfio-pci")))' \
			/tmp/dry.json > /dev/null || { echo "no bind of $d"; return 1; }
		jq -e --arg d "$d" 'any(.[]; .kind == "reset" and .device == $d)' /tmp/dry.json > /dev/null || return 1
	done
	jq -e --arg d "$vnet" 'any(.[]; .kind == "detach" and .device == $d and .detail == "from virtio-pci")' \
		/tmp/dry.json > /dev/null || return 1
	jq -e --arg d "$vnet" 'any(.[]; .kind == "host-loses" and .device == $d and
		(.detail | startswith("network interface")))' /tmp/dry.json > /dev/null || { echo "no interface lost"; return 1; }
	on_home || { echo "the dry run moved something"; return 1; }
	ptctl start g1 > /dev/null || return 1
	[ "$(driver_of "$vnet")" = vfio-pci ] && [ "$(driver_of "$nvme")" = vfio-pci ] || return 1
	ptctl stop g1 > /dev/null && ptctl unassign g1 > /dev/null && on_home
}
check "ptctl start --dry-run names the detach, the vfio-pci bind and the reset of each device, moves nothing, and the start then does that" dry_start

br=$(child_of 0000:00:09.0)
sib=$(ptctl list --all --json | jq -r --arg b "$br" '[.[] | select(.parent_bridge == "0000:00:09.0" and .address != $b)][0].address')
bridge_pair() {
	ptctl assign g2 "$br" --group || return 1
	ptctl start g2 || return 1
	for d in "$br" "$sib"; do
		[ "$(driver_of "$d")" = vfio-pci ] || { echo "$d not on vfio-pci"; return 1; }
	done
	ptctl stop g2 || return 1
	for d in "$br" "$sib"; do
		[ "$(driver_of "$d")" = e1000 ] || { echo "$d not back on e1000"; return 1; }
	done
	ptctl unassign g2 > /dev/null
}
check "the pci-bridge's devices start and stop together with --group (strict: passthrud's bus reset)" bridge_pair

bus=$(echo "$br" | cut -d: -f2)
f0=0000:$bus:00.0 f1=0000:$bus:00.1 f2=0000:$bus:00.2 f3=0000:$bus:03.0
rdbal() { echo $(( (0x$(setpci -s "${1#0000:}" BASE_ADDRESS_0) & 0xfffffff0) + 0x2800 )); }
# The e1000 keeps its receive-descriptor base register until it is reset; a bus reset clears it, and the
# restored header (BAR, command) lets the register be read again at the same address.
sbr_is_real() {
	for d in $f0 $f1 $f2 $f3; do ptctl hide "$d" > /dev/null || return 1; done
	bar=$(setpci -s "${f1#0000:}" BASE_ADDRESS_0)
	setpci -s "${f1#0000:}" COMMAND=0x0006
	devmem "$(rdbal "$f1")" 32 0x12345000
	[ "$(devmem "$(rdbal "$f1")" 32)" = 0x12345000 ] || { echo "the register did not take the value"; return 1; }
	ptctl reset "$f1" | grep "(sbr)" || return 1
	grep "Bus reset of 0000:00:09.0's secondary bus: $f1" /run/passthrud.log || return 1
	[ "$(setpci -s "${f1#0000:}" BASE_ADDRESS_0)" = "$bar" ] || { echo "BAR0 not restored"; return 1; }
	[ "$(setpci -s "${f1#0000:}" COMMAND)" = 0006 ] || { echo "command not restored"; return 1; }
	got=$(devmem "$(rdbal "$f1")" 32)
	[ "$got" = 0x00000000 ] || { echo "RDBAL is $got after the reset: the device was not reset"; return 1; }
	for d in $f0 $f1 $f2 $f3; do ptctl unhide "$d" > /dev/null || return 1; done
	for d in $f0 $f1 $f2 $f3; do
		[ "$(driver_of "$d")" = e1000 ] && [ -d "/sys/bus/pci/devices/$d/net" ] || { echo "$d: e1000 did not come back"; return 1; }
	done
}
check "passthrud's secondary bus reset is real: an e1000 register is cleared, its BAR and command restored, e1000 probes again" sbr_is_real

# The Xen wiki's multi-device example, strict reset policy: the fourth device hidden, three to the guest.
wiki_flow() {
	ptctl hide "$f3" || return 1
	ptctl assign gw "$f0" "$f1" "$f2" || return 1
	ptctl show "$f1" | grep "Reset:.*bus reset (passthrud's) of 0000:00:09.0's secondary bus: $f0-2, $f3" || return 1
	ptctl doctor gw | grep "reset $f0.*bus reset (passthrud's)" || return 1
	ptctl start gw || return 1
	for d in $f0 $f1 $f2; do [ "$(driver_of "$d")" = vfio-pci ] || { echo "$d not on vfio-pci"; return 1; }; done
	[ "$(grep -c "Bus reset of 0000:00:09.0's secondary bus: $f0, $f1, $f2, $f3" /run/passthrud.log)" -ge 1 ] || return 1
	ptctl stop gw || return 1
	for d in $f0 $f1 $f2; do
		[ "$(driver_of "$d")" = e1000 ] && [ -d "/sys/bus/pci/devices/$d/net" ] || { echo "$d not back on e1000"; return 1; }
	done
	[ "$(driver_of "$f3")" = vfio-pci ] && [ "$(json_field "$f3" state)" = hidden ] || { echo "$f3 is not hidden"; return 1; }
	# The same scope with the fourth on its host driver: refused, naming it, nothing moved.
	ptctl unhide "$f3" > /dev/null || return 1
	out=$(ptctl start gw 2>&1) && { echo "started with $f3 on e1000"; return 1; }
	echo "$out"
	echo "$out" | grep -q "$f3" || return 1
	[ "$(driver_of "$f0")" = e1000 ] || return 1
	ptctl unassign gw > /dev/null
}
check "the Xen wiki's bridge example (06:03.0 hidden, 06:00.0-2 to the guest) starts and stops with a real bus reset" wiki_flow

mf2=0000:00:03.2
pm_alone() {
	ptctl assign gpm "$mf2" || return 1
	ptctl show "$mf2" | grep "Reset:.*pm (this function only)" || return 1
	ptctl start gpm && ptctl stop gpm || return 1
	[ "$(driver_of "$mf2")" = e1000e ] || return 1
	ptctl unassign gpm > /dev/null
}
check "a multifunction function with its own PM reset (00:03.2) is assigned, started and stopped alone" pm_alone


viability() {
	ptctl assign g3 "$br" --group > /dev/null && ptctl unassign g3 "$sib" > /dev/null || return 1
	out=$(ptctl start g3 2>&1) && { echo "started with its group-mate on e1000"; return 1; }
	echo "$out"
	echo "$out" | grep -q "IOMMU group [0-9]* is not viable: $sib is bound to host driver e1000" || return 1
	[ "$(driver_of "$br")" = e1000 ] || return 1
	ptctl unassign g3 > /dev/null
}
check "a group viability failure names the member in the way, and nothing changes" viability

hide_rescan() {
	ptctl hide "$vnet" || return 1
	[ "$(driver_of "$vnet")" = vfio-pci ] || return 1
	echo 1 > "/sys/bus/pci/devices/$vnet/remove"
	eventually sh -c "! ptctl show $vnet" || return 1
	echo 1 > /sys/bus/pci/rescan
	# The rescan gives a new device without driver_override, and virtio-pci takes it; passthrud takes it back.
	eventually sh -c "[ \"\$(ptctl show $vnet --json | jq -r .driver)\" = vfio-pci ]" || { ptctl show "$vnet"; return 1; }
	[ "$(override_of "$vnet")" = vfio-pci ] && [ "$(json_field "$vnet" state)" = hidden ] || return 1
	ptctl hidden
	ptctl reset "$vnet" | grep -q "(flr)" || return 1
	ptctl unhide "$vnet" || return 1
	[ "$(driver_of "$vnet")" = virtio-pci ] && [ "$(override_of "$vnet")" = "(null)" ]
}
check "a hidden device survives a sysfs remove and rescan, and goes back to virtio-pci on unhide" hide_rescan

ptctl monitor > /tmp/monitor.log 2>/dev/null &
mon=$!
sleep 0.2

driver_follow() {
	echo vfio-pci > "/sys/bus/pci/devices/$vnet/driver_override"
	echo "$vnet" > "/sys/bus/pci/devices/$vnet/driver/unbind"
	echo "$vnet" > /sys/bus/pci/drivers_probe
	eventually sh -c "[ \"\$(ptctl show $vnet --json | jq -r .state)\" = claimed ]" || { ptctl show "$vnet"; return 1; }
	echo > "/sys/bus/pci/devices/$vnet/driver_override"
	echo "$vnet" > /sys/bus/pci/drivers/vfio-pci/unbind
	echo "$vnet" > /sys/bus/pci/drivers_probe
	eventually sh -c "[ \"\$(ptctl show $vnet --json | jq -r .driver)\" = virtio-pci ]" || { ptctl show "$vnet"; return 1; }
	grep -q "Changed $vnet Driver=vfio-pci" /tmp/monitor.log || { cat /tmp/monitor.log; return 1; }
}
check "a driver change by hand (virtio-pci -> vfio-pci -> virtio-pci) shows on the bus" driver_follow

sriov() {
	total=$(json_field "$nvme" sriov_total_vfs)
	[ "$total" = 2 ] || { echo "nvme $nvme: sriov_total_vfs $total"; ptctl show "$nvme"; return 1; }
	echo 0 > "/sys/bus/pci/devices/$nvme/sriov_drivers_autoprobe"
	echo 2 > "/sys/bus/pci/devices/$nvme/sriov_numvfs" || { echo "sriov_numvfs write failed"; return 1; }
	eventually sh -c "[ \"\$(ptctl show $nvme --json | jq '.virtual_functions | length')\" = 2 ]" ||
		{ ls -l "/sys/bus/pci/devices/$nvme/"; ptctl show "$nvme"; return 1; }
	vf=$(ptctl show "$nvme" --json | jq -r '.virtual_functions[0]')
	[ "$(json_field "$vf" physical_function)" = "$nvme" ] || { ptctl show "$vf"; return 1; }
	eventually grep -q "DeviceAdded $vf" /tmp/monitor.log || { cat /tmp/monitor.log; return 1; }
	echo 0 > "/sys/bus/pci/devices/$nvme/sriov_numvfs"
	eventually sh -c "! ptctl show $vf" || { echo "$vf still there"; return 1; }
}
check "SR-IOV VFs of the nvme appear and go with sriov_numvfs" sriov

# The nvme's VFs through passthrud: created by ptctl vfs, two picked from the pool for two guests and started on
# vfio-pci (their /dev/vfio group nodes real), the count not changed while they are used, and made again by the
# next start of passthrud after they went.
vf_pool() {
	ptctl vfs "$nvme" 2 || return 1
	[ "$(ptctl vfs "$nvme" --json | jq '.vfs | length')" = 2 ] || return 1
	ptctl assign p1 --vf-of "$nvme" > /dev/null && ptctl assign p2 --vf-of "$nvme" > /dev/null || return 1
	a=$(ptctl guest p1 --json | jq -r '.devices[0].address')
	b=$(ptctl guest p2 --json | jq -r '.devices[0].address')
	echo "picked $a for p1 and $b for p2"
	[ "$a" != "$b" ] && [ "$(json_field "$a" physical_function)" = "$nvme" ] || return 1
	ptctl assign p3 --vf-of "$nvme" 2> /tmp/p3.err && return 1
	grep -q "0 of its 2 VFs are free" /tmp/p3.err || { cat /tmp/p3.err; return 1; }
	ptctl start p1 --json > /tmp/p1.json && ptctl start p2 > /dev/null || return 1
	[ "$(driver_of "$a")" = vfio-pci ] && [ "$(driver_of "$b")" = vfio-pci ] || return 1
	node=$(jq -r '.[0].vfio_group_node' /tmp/p1.json)
	[ -c "$node" ] || { echo "$node is not a character device"; cat /tmp/p1.json; return 1; }
	ptctl vfs "$nvme" 0 2> /tmp/vfs0.err && return 1
	grep -q "would remove VFs in use" /tmp/vfs0.err || { cat /tmp/vfs0.err; return 1; }
	[ "$(cat "/sys/bus/pci/devices/$nvme/sriov_numvfs")" = 2 ] || return 1
	ptctl stop p1 && ptctl stop p2 && ptctl unassign p1 > /dev/null && ptctl unassign p2 > /dev/null || return 1
	pid=$(cat /run/passthrud.pid)
	kill "$pid"
	eventually sh -c "! kill -0 $pid" || return 1
	echo 0 > "/sys/bus/pci/devices/$nvme/sriov_numvfs"
	passthrud --uevent-source kernel >> /run/passthrud.log 2>&1 &
	echo $! > /run/passthrud.pid
	eventually timeout 2 ptctl list || return 1
	[ "$(cat "/sys/bus/pci/devices/$nvme/sriov_numvfs")" = 2 ] || { echo "VFs not made again"; return 1; }
	grep -q "Set 2 VFs on $nvme, as recorded" /run/passthrud.log || return 1
	ptctl vfs "$nvme" 0 > /dev/null && [ "$(cat "/sys/bus/pci/devices/$nvme/sriov_numvfs")" = 0 ]
}
check "nvme VFs made by ptctl vfs, two picked from the pool and started on vfio-pci, the count held while used and set again at start" vf_pool

# QEMU's pxb-pcie expander on NUMA node 1: the e1000e behind its root port is on node 1. The main root bus has
# no proximity in QEMU's ACPI tables, so its devices have no node (the kernel's -1).
numa() {
	dev=$(ptctl list --json | jq -r '[.[] | select(.numa_node == 1)][0].address // empty')
	echo "on node 1: ${dev:-none}; virtio-net $vnet: numa_node $(cat "/sys/bus/pci/devices/$vnet/numa_node")"
	[ -n "$dev" ] || { ptctl list; return 1; }
	[ "$(cat "/sys/bus/pci/devices/$dev/numa_node")" = 1 ] || return 1
	[ "$(json_field "$dev" class_name)" = "Ethernet controller" ] || return 1
	[ "$(json_field "$vnet" numa_node)" = "$(sed 's/^-1$/null/' "/sys/bus/pci/devices/$vnet/numa_node")" ] || return 1
	ptctl list | grep "^$dev" | grep -q "  1  " || { ptctl list; return 1; }
}
check "a device behind the pxb-pcie expander on NUMA node 1 is reported on node 1, others as the kernel says" numa

hotplug() {
	echo "PT-HOTPLUG-ADD hp1 e1000e rp_hp1" >&3
	eventually sh -c '[ -n "$(ptctl list --all --json | jq -r ".[] | select(.parent_bridge == \"0000:00:07.0\") | .address")" ]' ||
		{ echo "nothing appeared behind 00:07.0"; return 1; }
	hp=$(child_of 0000:00:07.0)
	eventually grep -q "DeviceAdded $hp" /tmp/monitor.log || { cat /tmp/monitor.log; return 1; }
	echo "PT-HOTPLUG-DEL hp1" >&3
	eventually grep -q "DeviceRemoved $hp" /tmp/monitor.log || { cat /tmp/monitor.log; return 1; }
	! ptctl show "$hp"
}
check "a device hot-added and removed through the QEMU monitor gives DeviceAdded and DeviceRemoved" hotplug

hotplug_hidden() {
	sec=$(cat /sys/bus/pci/devices/0000:00:07.0/secondary_bus_number)
	hp=$(printf '0000:%02x:00.0' "$sec")
	ptctl hide "$hp" || return 1
	[ "$(ptctl hidden --json | jq -r --arg a "$hp" '.[] | select(.address == $a) | .state')" = missing ] || return 1
	echo "PT-HOTPLUG-ADD hp2 e1000e rp_hp1" >&3
	# No udevd here: e1000e takes it as the kernel adds it; passthrud takes it back.
	eventually sh -c "[ \"\$(ptctl show $hp --json | jq -r .driver)\" = vfio-pci ]" || { ptctl show "$hp"; return 1; }
	[ "$(json_field "$hp" state)" = hidden ] && [ "$(override_of "$hp")" = vfio-pci ] || return 1
	ptctl unhide "$hp" || return 1
	[ "$(driver_of "$hp")" = e1000e ] || return 1
	# Assigned to a running guest, then pulled through the monitor: missing, and the guest's story says so.
	ptctl assign g5 "$hp" > /dev/null && ptctl start g5 > /dev/null || return 1
	ptctl can-migrate g5 && { echo "g5 could migrate with a device attached"; return 1; }
	echo "PT-HOTPLUG-DEL hp2" >&3
	eventually sh -c "ptctl guest g5 --json | jq -e '.devices[0].state == \"missing\"'" || { ptctl guest g5; return 1; }
	grep -q "Device $hp of running guest g5 is gone" /run/passthrud.log || return 1
	ptctl stop g5 && ptctl unassign g5 > /dev/null
}
check "a hidden address gets the device hot-added there on vfio-pci; a running guest's device pulled out is missing" hotplug_hidden

attach_detach() {
	ptctl attach g6 "$nvme" | grep -q "on vfio-pci" || return 1
	[ "$(driver_of "$nvme")" = vfio-pci ] && [ "$(ptctl guest g6 --json | jq -r .state)" = running ] || return 1
	ptctl can-migrate g6 && return 1
	ptctl detach g6 "$nvme" || return 1
	[ "$(driver_of "$nvme")" = nvme ] && ptctl can-migrate g6
}
check "hot attach of the nvme to a running guest and detach back to nvme; the migration guard follows" attach_detach

remove_rescan() {
	echo 1 > "/sys/bus/pci/devices/$br/remove"
	eventually sh -c "! ptctl show $br" || return 1
	echo 1 > /sys/bus/pci/rescan
	eventually sh -c "[ \"\$(ptctl show $br --json | jq -r .driver)\" = e1000 ]"
}
check "sysfs remove and rescan are followed" remove_rescan

assign_bridge_pair() {
	sib=$(ptctl list --all --json | jq -r --arg b "$br" '[.[] | select(.parent_bridge == "0000:00:09.0" and .address != $b)][0].address')
	out=$(ptctl assign guest1 "$br" 2>&1) && { echo "assigning one e1000 behind the bridge was accepted"; return 1; }
	echo "$out" | grep -q "$sib must be co-assigned to the same guest with $br" || { echo "$out"; return 1; }
	ptctl assign guest1 "$br" --group | grep -q "Assigned" || return 1
	[ "$(json_field "$sib" guest)" = guest1 ] || return 1
	ptctl unassign guest1 > /dev/null
}
check "assigning one e1000 behind the pci-bridge is refused naming its sibling; --group takes both" assign_bridge_pair

# A reboot as the kernel, the initramfs and passthrud-early see it: two e1000 siblings hidden when the initramfs
# was built, one unhidden since; e1000 loaded for the others must never touch the hidden one.
boot_claims() {
	ptctl hide "$f1" > /dev/null && ptctl hide "$f2" > /dev/null || return 1
	rm -rf /tmp/initrd
	DESTDIR=/tmp/initrd /usr/share/initramfs-tools/hooks/passthrud || return 1
	cat /tmp/initrd/conf/passthrud-claims
	grep -qx "$f1 vfio-pci" /tmp/initrd/conf/passthrud-claims && grep -qx "$f2 vfio-pci" /tmp/initrd/conf/passthrud-claims ||
		return 1
	ptctl unhide "$f2" > /dev/null || return 1
	pid=$(cat /run/passthrud.pid)
	kill "$pid"
	eventually sh -c "! kill -0 $pid" || return 1
	# Power-on: no driver and no override on any of the bridge's e1000 functions.
	rmmod e1000 || return 1
	echo "$f1" > /sys/bus/pci/drivers/vfio-pci/unbind
	echo > "/sys/bus/pci/devices/$f1/driver_override"
	for d in $f0 $f1 $f2 $f3; do [ -z "$(driver_of "$d")" ] || { echo "$d still has a driver"; return 1; }; done
	echo "passthrud-boot-claims" > /dev/kmsg
	# The initramfs's init-top script, then passthrud-early.service, then coldplug loading e1000 for the siblings.
	PASSTHRUD_CLAIMS=/tmp/initrd/conf/passthrud-claims /usr/share/initramfs-tools/scripts/init-top/passthrud || return 1
	[ "$(override_of "$f1")" = vfio-pci ] && [ "$(override_of "$f2")" = vfio-pci ] || return 1
	helper=$(ls /usr/local/libexec/passthrud-udev-override /usr/libexec/passthrud-udev-override 2>/dev/null | head -1)
	"$helper" --apply > /tmp/early.out || { cat /tmp/early.out; return 1; }
	cat /tmp/early.out
	grep -qx "$f1: driver_override vfio-pci" /tmp/early.out &&
		grep -qx "$f2: stale initramfs claim (vfio-pci) withdrawn" /tmp/early.out || return 1
	modprobe e1000 || return 1
	for d in $f0 $f2 $f3; do [ "$(driver_of "$d")" = e1000 ] || { echo "$d is not on e1000"; return 1; }; done
	[ "$(driver_of "$f1")" != e1000 ] || return 1
	dmesg | sed -n '/passthrud-boot-claims/,$p' | grep "e1000 $f1" && { echo "e1000 touched $f1"; return 1; }
	passthrud --uevent-source kernel >> /run/passthrud.log 2>&1 &
	echo $! > /run/passthrud.pid
	eventually timeout 2 ptctl list || return 1
	eventually sh -c "[ \"\$(ptctl show $f1 --json | jq -r .driver)\" = vfio-pci ]" || { ptctl show "$f1"; return 1; }
	ptctl unhide "$f1" > /dev/null && [ "$(driver_of "$f1")" = e1000 ]
}
check "at boot, the initramfs claim and passthrud-early keep e1000 (loaded for its siblings) off a hidden function; a function unhidden since gets e1000" boot_claims

installed() {
	for f in /usr/local/share/dbus-1/system.d/org.passthru1.conf /usr/local/share/polkit-1/actions/org.passthru1.policy \
		/usr/local/share/dbus-1/system-services/org.passthru1.service /usr/local/sbin/passthrud; do
		[ -e "$f" ] || [ -e "${f#/usr/local}" ] || [ -e "/usr${f#/usr/local}" ] || { echo "missing $f"; return 1; }
	done
	[ "$(command -v passthrud)" != "" ] || return 1
	# Under the installed bus policy anyone may read; changing needs root or polkit (there is none here).
	su nobody -c "ptctl list" > /dev/null || { echo "nobody cannot list"; return 1; }
	out=$(su nobody -c "ptctl hide $vnet" 2>&1) && { echo "nobody could hide"; return 1; }
	echo "$out" | grep -q "not authorized" || { echo "$out"; return 1; }
	[ "$(driver_of "$vnet")" = virtio-pci ]
}
check "passthrud runs from meson install's layout; its bus policy lets anyone read and nobody change without authorization" installed

kill $mon
clean_exit() {
	pid=$(cat /run/passthrud.pid)
	kill "$pid"
	eventually sh -c "! kill -0 $pid" || return 1
	grep -q "passthrud stopped" /run/passthrud.log || { cat /run/passthrud.log; return 1; }
	! grep -q '^<[0-3]>' /run/passthrud.log || { grep '^<[0-3]>' /run/passthrud.log; return 1; }
}
check "passthrud stops cleanly on SIGTERM and logged no errors" clean_exit

echo "PT-TAP: 1..$n"
