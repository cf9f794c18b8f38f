#!/bin/sh
# The real-kernel sandbox: passthrud on the Debian kernel under QEMU (TCG, q35, emulated Intel IOMMU).
#
#   sandbox/run.sh [demo]        build, boot, narrated demo, power off
#   sandbox/run.sh test          in-VM checks, TAP on stdout
#   sandbox/run.sh bench         bench/lifecycle in the VM (bench/lifecycle.sh runs it)
#   sandbox/run.sh shell         interactive shell in the VM with ptctl (Ctrl-A X quits)
#   sandbox/run.sh keep          VM keeps running in the background; hotplug from the host:
#   sandbox/run.sh monitor 'device_add e1000e,id=hp1,bus=rp_hp1'   (HMP to the kept VM)
#   sandbox/run.sh console       attach to the kept VM's serial console (socat; Ctrl-C leaves it running)
#   sandbox/run.sh stop          power the kept VM off
#   --xen                        boot Xen 4.17 with the same kernel as a PV dom0 (demo, test, shell, keep)
#
# Needs root for nothing: QEMU runs as the caller. BUILD=<meson build dir> picks the binaries (default build-sandbox).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
OUT="$top/sandbox/out"
MODE=demo
XEN=0
for a in "$@"; do
	case $a in
		--xen) XEN=1 ;;
		demo | test | bench | shell | keep | console | stop) MODE=$a ;;
		monitor) MODE=monitor; break ;;
		-h | --help) sed -n '2,15p' "$0"; exit 0 ;;
		*) echo "run.sh: unknown argument '$a'" >&2; exit 2 ;;
	esac
done
mkdir -p "$OUT"
MON="$OUT/monitor.sock"

monitor() {
	printf '%s\n' "$*" | socat - "UNIX-CONNECT:$MON" | tr -d '\r' | grep -v '^(qemu)\|^QEMU ' || true
}

case $MODE in
	monitor)
		while [ "$1" != monitor ]; do shift; done
		shift
		[ $# -gt 0 ] || { echo "run.sh monitor: which HMP command?" >&2; exit 2; }
		monitor "$@"
		exit 0 ;;
	console) exec socat -,raw,echo=0 "UNIX-CONNECT:$OUT/console.sock" ;;
	stop) monitor quit; exit 0 ;;
esac

if ! command -v qemu-system-x86_64 >/dev/null || [ -z "$(ls /boot/vmlinuz-* 2>/dev/null)" ]; then
	echo "run.sh: needs qemu-system-x86 and linux-image-amd64 (scripts/install-deps.sh installs them)" >&2
	exit 77
fi

BUILD=${BUILD:-$top/build-sandbox}
# Under 'meson test' the binaries are built already, and the build tree is busy.
if [ "${PT_NO_BUILD:-}" != 1 ]; then
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" "$top" -Dtests=false --prefix=/usr >/dev/null
	fi
	meson compile -C "$BUILD" >/dev/null
fi
if [ "$XEN" = 1 ]; then
	# The xl toolstack for the dom0 and its domUs: Debian's packages, fetched with apt-get download and unpacked
	# here (never installed on the host), kept until the package versions change.
	XEN_TOOLS="$OUT/xen-tools"
	pkgs="xen-utils-4.17 xen-utils-common xenstore-utils libxenmisc4.17 libxenstore4 libxencall1 libxenevtchn1
		libxenforeignmemory1 libxengnttab1 libxentoollog1 libyajl2 libxenhypfs1 libxendevicemodel1 libxentoolcore1"
	key=$(apt-cache policy $pkgs 2>/dev/null | awk '/Candidate:/ { print $2 }' | tr '\n' ' ')
	if [ ! -x "$XEN_TOOLS/usr/lib/xen-4.17/bin/xl" ] || [ "$(cat "$XEN_TOOLS/.key" 2>/dev/null)" != "$key" ]; then
		rm -rf "$XEN_TOOLS"
		tmp=$(mktemp -d)
		(cd "$tmp" && apt-get download -q $pkgs >/dev/null 2>&1 && for d in *.deb; do dpkg -x "$d" root; done)
		mv "$tmp/root" "$XEN_TOOLS"
		rm -rf "$tmp"
		echo "$key" > "$XEN_TOOLS/.key"
	fi
	"$top/sandbox/build-initramfs.sh" "$BUILD" "$OUT" "$XEN_TOOLS"
else
	"$top/sandbox/build-initramfs.sh" "$BUILD" "$OUT"
fi
KVER=$(cat "$OUT/kernel-version")

# The topology: a multifunction slot (multifunction=on on every function), a conventional pci-bridge with the
# Xen wiki's example behind it (a three-function e1000 and a fourth e1000: none resets alone), a PCIe switch with two downstream ports, root ports with FLR-capable virtio-net and SR-IOV nvme, and
# two empty root ports for hotplug. Root ports at 2.5 GT/s x1, or bus reset fails under QEMU 7.2's ACPI hotplug.
set -- \
	-device intel-iommu,intremap=on \
	-global pcie-root-port.x-speed=2_5 -global pcie-root-port.x-width=1 \
	-device e1000e,id=e1000e_root,bus=pcie.0,addr=0x2 \
	-device virtio-net-pci,id=mf_fn0,bus=pcie.0,addr=0x3.0,multifunction=on \
	-device e1000,id=mf_fn1,bus=pcie.0,addr=0x3.1,multifunction=on \
	-device e1000e,id=mf_fn2,bus=pcie.0,addr=0x3.2,multifunction=on \
	-device pcie-root-port,id=rp1,bus=pcie.0,addr=0x4,chassis=1,slot=1 -device e1000e,id=e1000e_rp1,bus=rp1 \
	-device pcie-root-port,id=rp2,bus=pcie.0,addr=0x5,chassis=2,slot=2 -device virtio-net-pci,id=vnet_rp2,bus=rp2 \
	-device pcie-root-port,id=rp3,bus=pcie.0,addr=0x6,chassis=3,slot=3 \
	-drive if=none,id=nvm0,file=null-co://,format=raw -device nvme-subsys,id=nvmesub0 \
	-device nvme,id=nvme_rp3,bus=rp3,serial=pt0001,subsys=nvmesub0,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=8,msix_qsize=4 \
	-device nvme-ns,drive=nvm0,bus=nvme_rp3,nsid=1 \
	-device pcie-root-port,id=rp_hp1,bus=pcie.0,addr=0x7,chassis=4,slot=4 \
	-device pcie-root-port,id=rp_hp2,bus=pcie.0,addr=0x8,chassis=5,slot=5 \
	-device pci-bridge,id=br1,bus=pcie.0,addr=0x9,chassis_nr=10 \
	-device e1000,id=e1000_br1a,bus=br1,addr=0x0.0,multifunction=on \
	-device e1000,id=e1000_br1b,bus=br1,addr=0x0.1,multifunction=on \
	-device e1000,id=e1000_br1c,bus=br1,addr=0x0.2,multifunction=on -device e1000,id=e1000_br1d,bus=br1,addr=0x3 \
	-device pcie-root-port,id=rp_sw,bus=pcie.0,addr=0xa,chassis=6,slot=6 -device x3130-upstream,id=sw_up,bus=rp_sw \
	-device xio3130-downstream,id=sw_dn1,bus=sw_up,chassis=7,slot=7 \
	-device xio3130-downstream,id=sw_dn2,bus=sw_up,chassis=8,slot=8 \
	-device e1000e,id=e1000e_sw1,bus=sw_dn1 -device e1000e,id=e1000e_sw2,bus=sw_dn2

vm_mode=$MODE
[ "$MODE" = test ] && [ "$XEN" = 1 ] && vm_mode=xentest
CMDLINE="console=ttyS0 quiet loglevel=3 intel_iommu=on iommu=pt pt.mode=$vm_mode"
if [ "$XEN" = 1 ]; then
	XEN_IMAGE="$OUT/xen-4.17-amd64"
	if [ ! -f "$XEN_IMAGE" ]; then
		# Debian's hypervisor package, unpacked here; nothing is installed on the host.
		tmp=$(mktemp -d)
		(cd "$tmp" && apt-get download -q xen-hypervisor-4.17-amd64 >/dev/null 2>&1 && dpkg -x xen-hypervisor-4.17-amd64_*.deb root)
		zcat "$tmp"/root/boot/xen-4.17-amd64.gz > "$XEN_IMAGE"
		rm -rf "$tmp"
	fi
	# The PV dom0 crashes on TCG's SMAP emulation, so the CPU model hides it.
	set -- -cpu max,-smap -m 768M -kernel "$XEN_IMAGE" \
		-append "console=com1 com1=115200,8n1 dom0_mem=400M dom0_max_vcpus=1 noreboot" \
		-initrd "/boot/vmlinuz-$KVER console=hvc0 quiet loglevel=3 pt.mode=$vm_mode,$OUT/initramfs.cpio.gz" "$@"
else
	# Two NUMA nodes, the second (memory only) with a PCIe expander bus whose root port holds an e1000e: a device
	# the kernel places on node 1 through the expander's _PXM.
	set -- -m 1G -object memory-backend-ram,id=mem0,size=640M -object memory-backend-ram,id=mem1,size=384M \
		-numa node,nodeid=0,memdev=mem0,cpus=0 -numa node,nodeid=1,memdev=mem1 \
		-device pxb-pcie,id=pxb1,bus_nr=128,numa_node=1,bus=pcie.0,addr=0xb \
		-device pcie-root-port,id=rp_numa1,bus=pxb1,chassis=11,slot=11 -device e1000e,id=e1000e_numa1,bus=rp_numa1 \
		-kernel "/boot/vmlinuz-$KVER" -initrd "$OUT/initramfs.cpio.gz" -append "$CMDLINE" "$@"
fi
set -- qemu-system-x86_64 -accel tcg,tb-size=64 -machine q35,kernel-irqchip=split -smp 1 -nodefaults \
	-no-user-config -display none -monitor "unix:$MON,server,nowait" "$@"

case $MODE in
	shell)
		exec "$@" -serial mon:stdio ;;
	keep)
		rm -f "$OUT/console.sock"
		"$@" -serial "unix:$OUT/console.sock,server,nowait" -daemonize -pidfile "$OUT/qemu.pid" 2> "$OUT/qemu.log"
		echo "VM running (pid $(cat "$OUT/qemu.pid")). Console: sandbox/run.sh console"
		echo "Hotplug: sandbox/run.sh monitor 'device_add e1000e,id=hp1,bus=rp_hp1'; stop: sandbox/run.sh stop"
		exit 0 ;;
esac

# demo and test: follow the serial log and answer the VM's hotplug requests through the monitor.
LOG="$OUT/serial.log"
: > "$LOG"
# Peak memory is part of the result: the sandbox must stay under 1 GiB.
/usr/bin/time -f "%M" -o "$OUT/qemu-maxrss" "$@" -serial "file:$LOG" 2> "$OUT/qemu.log" &
qemu=$!
timeout=${PT_VM_TIMEOUT:-300}
# The watchdog holds none of our output open, or whoever reads it would wait for the sleep.
( sleep "$timeout"; kill "$qemu" 2>/dev/null ) < /dev/null > /dev/null 2>&1 &
watchdog=$!
tail -n +1 -f --pid="$qemu" "$LOG" | while IFS= read -r line; do
	line=$(printf '%s' "$line" | tr -d '\r')
	case $line in
		*PT-HOTPLUG-ADD*)
			# "PT-HOTPLUG-ADD <id> <device> <bus>": the VM is ready to watch for the device.
			set -- $line
			while [ "$1" != PT-HOTPLUG-ADD ]; do shift; done
			monitor "device_add $3,id=$2,bus=$4" >/dev/null ;;
		*PT-HOTPLUG-DEL*)
			set -- $line
			while [ "$1" != PT-HOTPLUG-DEL ]; do shift; done
			monitor "device_del $2" >/dev/null ;;
		*PT-TAP:*)
			[ "$MODE" = test ] && printf '%s\n' "${line#*PT-TAP: }" ;;
		*PT-SAY:*)
			[ "$MODE" = demo ] && printf '%s\n' "${line#*PT-SAY: }" ;;
		*PT-BENCH:*)
			[ "$MODE" = bench ] && printf '%s\n' "${line#*PT-BENCH: }" ;;
		*PT-FATAL*)
			printf '%s\n' "$line" >&2 ;;
	esac
done
kill "$watchdog" 2>/dev/null || true
wait "$qemu" 2>/dev/null || true
[ "$MODE" = test ] && [ -s "$OUT/qemu-maxrss" ] && echo "# QEMU peak RSS: $(( $(cat "$OUT/qemu-maxrss") / 1024 )) MiB"
if ! grep -q PT-DONE "$LOG"; then
	echo "run.sh: the VM did not finish; its serial log ($LOG) ends:" >&2
	tail -20 "$LOG" >&2
	grep -v 'has no peer' "$OUT/qemu.log" >&2 || true
	exit 1
fi
