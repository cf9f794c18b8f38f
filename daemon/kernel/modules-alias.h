/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The running kernel's modules.alias, for VFIO variant drivers: a variant driver (mlx5_vfio_pci,
 * hisi_acc_vfio_pci, nvgrace_gpu_vfio_pci, virtio_vfio_pci) declares the devices it serves with "vfio_pci:"
 * aliases (PCI_DRIVER_OVERRIDE_DEVICE_VFIO), which no uevent ever loads: whoever binds the device asks. */

/* The default file: /lib/modules/<release>/modules.alias; malloc'd. */
char *modules_alias_default_path(void);

/* The variant driver for the device with this modalias ("pci:v...d...sv...sd...bc..sc..i.."): of the "alias
 * vfio_pci:PATTERN MODULE" lines that match, the most specific (fewest wildcards, then most literal characters;
 * the first on a tie), never vfio_pci's own catch-all. *ret = NULL (return 0) when none does or the file is absent; the module name is also the
 * driver's. */
int modules_alias_vfio_variant(const char *path, const char *modalias, char **ret);
