#!/bin/sh
# The main job: installs what it needs, builds, boots the Debian kernel under QEMU with an emulated IOMMU and
# runs a narrated demo of passthrud on real hardware models. Run as root on Debian 12.
#
#   scripts/demo.sh            the narrated demo in the VM (about half a minute)
#   scripts/demo.sh --xen      the same VM booted as a Xen 4.17 dom0 (xen-pciback as the stub)
#   scripts/demo.sh --shell    an interactive shell in the VM with ptctl at hand (Ctrl-A X quits)
#   scripts/demo.sh --keep     leave the VM running with a monitor socket; see sandbox/run.sh for hotplug
#   scripts/demo.sh --fake     the demo against the fake kernel instead (no QEMU)
set -eu
cd "$(dirname "$0")/.."
mode=demo
xen=""
for a in "$@"; do
	case $a in
		--xen) xen=--xen ;;
		--shell) mode=shell ;;
		--keep) mode=keep ;;
		--fake) exec ./scripts/demo-fake.sh ;;
		-h | --help) sed -n '2,10p' "$0"; exit 0 ;;
		*) echo "demo.sh: unknown option '$a' (see --help)" >&2; exit 2 ;;
	esac
done
./scripts/install-deps.sh
exec ./sandbox/run.sh $mode $xen
