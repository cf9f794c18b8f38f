# bench/lifecycle in the VM: the virtio-net NIC behind a root port (FLR), start+stop four ways.
. /sandbox/lib.sh
vnet=$(child_of 0000:00:05.0)
modprobe vfio-pci
ptctl assign bench "$vnet" > /dev/null
bench-lifecycle "$vnet" bench 15 /sandbox/raw-cycle.sh virtio-pci 2>&1 | sed 's/^/PT-BENCH: /'
