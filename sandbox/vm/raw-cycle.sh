# bench/lifecycle's baseline: the sysfs writes of one managed start and stop, nothing else (no subshells, no
# checks).   sh raw-cycle.sh BDF ORIGINAL-DRIVER
bdf=$1
orig=$2
d=/sys/bus/pci/devices/$bdf
echo vfio-pci > "$d/driver_override"
echo "$bdf" > "$d/driver/unbind"
echo "$bdf" > /sys/bus/pci/drivers_probe
echo flr > "$d/reset_method"
echo 1 > "$d/reset"
echo default > "$d/reset_method"
echo flr > "$d/reset_method"
echo 1 > "$d/reset"
echo default > "$d/reset_method"
echo > "$d/driver_override"
echo "$bdf" > /sys/bus/pci/drivers/vfio-pci/unbind
echo "$bdf" > "/sys/bus/pci/drivers/$orig/bind"
