/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PCIe port types (PCIe capability register bits 7:4). */
typedef enum PtPcieType {
        PT_PCIE_ENDPOINT = 0x0,
        PT_PCIE_LEGACY_ENDPOINT = 0x1,
        PT_PCIE_ROOT_PORT = 0x4,
        PT_PCIE_UPSTREAM_PORT = 0x5,
        PT_PCIE_DOWNSTREAM_PORT = 0x6,
        PT_PCIE_PCIE_TO_PCI_BRIDGE = 0x7,
        PT_PCIE_PCI_TO_PCIE_BRIDGE = 0x8,
        PT_PCIE_RC_INTEGRATED_ENDPOINT = 0x9,
        PT_PCIE_RC_EVENT_COLLECTOR = 0xa,
} PtPcieType;

/* ACS capability and control bits: source validation, translation blocking, P2P request redirect, completion
 * redirect, upstream forwarding, egress control, direct translated P2P. */
enum {
        PT_ACS_SV = 1u << 0,
        PT_ACS_TB = 1u << 1,
        PT_ACS_RR = 1u << 2,
        PT_ACS_CR = 1u << 3,
        PT_ACS_UF = 1u << 4,
        PT_ACS_EC = 1u << 5,
        PT_ACS_DT = 1u << 6,
};

/* What the reset and co-assignment logic needs from one function's config space. */
typedef struct PtPciConfig {
        bool readable;          /* at least the 64-byte header was there */
        bool off_bus;           /* vendor ID reads 0xffff: the device no longer answers */
        uint16_t vendor_id, device_id;
        uint32_t class_code;    /* 24 bits */
        uint8_t revision;
        uint16_t subsystem_vendor_id, subsystem_id; /* header 0 and 2 registers; a bridge's SSVID capability */
        uint8_t header_type;    /* without the multifunction bit */
        bool multifunction;
        bool has_pm;
        bool pm_no_soft_reset;  /* PMCSR bit 3: D3hot->D0 keeps state, so PM reset does nothing */
        bool is_pcie;
        uint8_t pcie_type;      /* PtPcieType, valid when is_pcie */
        bool flr;               /* PCIe DevCap bit 28 */
        bool has_af;
        bool af_flr;            /* Advanced Features: TP and FLR capable */
        bool has_acs;
        uint16_t acs_cap, acs_ctrl; /* ACS capability and control registers (PT_ACS_* bits) */
        bool has_sriov;
        uint16_t sriov_total_vfs;
        uint16_t sriov_vf_offset, sriov_vf_stride, sriov_vf_device_id;
        bool has_serial;
        uint64_t serial;        /* Device Serial Number extended capability */
} PtPciConfig;

/* Walks the standard and extended capability lists of a config-space image of len bytes (64, 256 or 4096).
 * Lists may link backwards, as real devices' do; a walk ends at a count limit (a loop), an out-of-range pointer
 * or the end of the list, and nothing reads past len. */
int pt_pci_config_parse(const uint8_t *config, size_t len, PtPciConfig *ret);

const char *pt_pcie_type_to_string(uint8_t type);
