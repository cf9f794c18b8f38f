# bench/lifecycle in the VM: the virtio-net NIC behind a root port (FLR), start+stop four ways; then a guest with
# the NIC and the NVMe controller against the NIC alone (issue 14: both reset at once).
. /sandbox/lib.sh
vnet=$(child_of 0000:00:05.0)
modprobe vfio-pci
ptctl assign bench "$vnet" > /dev/null
bench-lifecycle "$vnet" bench 15 /sandbox/raw-cycle.sh virtio-pci 2>&1 | sed 's/^/PT-BENCH: /'

# A guest with both FLR-capable devices (virtio-net and the NVMe controller, each behind its own root port: two
# lanes, reset at the same time) against a guest with the NIC alone; ptctl start+stop, 7 rounds each,
# alternating, timed from /proc/uptime (10 ms resolution).
nvme=$(child_of 0000:00:06.0)
ptctl unassign bench > /dev/null
ms() { read -r up _ < /proc/uptime; echo "${up%.*}${up#*.}0"; }
round() { # GUEST: start+stop in ms
	s=$(ms)
	ptctl start "$1" > /dev/null && ptctl stop "$1" > /dev/null || { echo "PT-BENCH: $1 failed"; return 1; }
	echo $(( $(ms) - s ))
}
: > /tmp/one.ms
: > /tmp/two.ms
i=0
while [ $i -lt 7 ]; do
	ptctl assign one "$vnet" > /dev/null && round one >> /tmp/one.ms && ptctl unassign one > /dev/null
	ptctl assign two "$vnet" "$nvme" > /dev/null && round two >> /tmp/two.ms && ptctl unassign two > /dev/null
	i=$((i + 1))
done
median() { sort -n | sed -n 4p; }
one=$(median < /tmp/one.ms)
two=$(median < /tmp/two.ms)
echo "PT-BENCH: start+stop (ptctl), median of 7: virtio-net alone $one ms ($(tr '\n' ' ' < /tmp/one.ms)); virtio-net + nvme $two ms ($(tr '\n' ' ' < /tmp/two.ms)); ratio $(awk -v a="$one" -v b="$two" 'BEGIN { printf "%.2f", b/a }') (one after another: about 2)"
