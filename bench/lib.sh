# Shared by the benchmarks (sourced): the 4096-function host they measure against.

# 128 root ports on bus 0, each with 31 igb functions on its own bus: 4096 functions in all. With "per-port", the
# functions behind a port share its IOMMU group (bench/inventory's host); with "per-function", each has a group
# of its own, so that each can be a guest's alone.
topology_4096() {
	echo "driver pcieport class=060400"
	echo "driver igb ids=8086:1521"
	bus=1
	group=1000
	for slot in $(seq 1 16); do
		for fn in 0 1 2 3 4 5 6 7; do
			port=$(printf '0000:00:%02x.%x' "$slot" "$fn")
			echo "device $port id=8086:2940 class=060400 pcie=root-port mf acs group=$bus driver=pcieport"
			for dev in $(seq 0 30); do
				if [ "$1" = per-port ]; then g=$bus; else g=$group; group=$((group + 1)); fi
				printf 'device 0000:%02x:%02x.0 id=8086:1521 class=020000 parent=%s pcie=endpoint flr pm group=%d driver=igb\n' \
					"$bus" "$dev" "$port" "$g"
			done
			bus=$((bus + 1))
		done
	done
}
