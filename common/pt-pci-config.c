/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Config-space capability walk: the facts behind reset choice (FLR, AF FLR, PM No_Soft_Reset), PCIe port type,
 * SR-IOV and the device serial number. Pure, so it is unit-tested and fuzzed on raw images. */

#include <errno.h>
#include <string.h>

#include "passthru/pt-pci-config.h"

#define CFG_VENDOR_ID           0x00
#define CFG_DEVICE_ID           0x02
#define CFG_STATUS              0x06
#define CFG_STATUS_CAP_LIST     0x10
#define CFG_CLASS_REVISION      0x08
#define CFG_HEADER_TYPE         0x0e
#define CFG_CAP_PTR             0x34
#define CFG_CARDBUS_CAP_PTR     0x14
#define CFG_SUBSYSTEM_VENDOR    0x2c
#define CFG_CARDBUS_SUBSYSTEM   0x40

#define CAP_ID_PM       0x01
#define CAP_ID_EXP      0x10
#define CAP_ID_SSVID    0x0d
#define CAP_ID_AF       0x13
#define PM_CTRL         4
#define PM_CTRL_NO_SOFT_RESET 0x0008
#define EXP_FLAGS       2
#define EXP_DEVCAP      4
#define EXP_DEVCAP_FLR  (1u << 28)
#define AF_CAP          3
#define AF_CAP_TP       0x01
#define AF_CAP_FLR      0x02

#define EXT_CAP_ID_DSN   0x0003
#define EXT_CAP_ID_ACS   0x000d
#define EXT_CAP_ID_SRIOV 0x0010
#define SRIOV_TOTAL_VF   0x0e
#define SRIOV_VF_OFFSET  0x14
#define SRIOV_VF_STRIDE  0x16
#define SRIOV_VF_DID     0x1a

static uint8_t rd8(const uint8_t *c, size_t len, size_t off, bool *ok) {
        if (off + 1 > len) {
                *ok = false;
                return 0xff;
        }
        return c[off];
}

static uint16_t rd16(const uint8_t *c, size_t len, size_t off, bool *ok) {
        if (off + 2 > len) {
                *ok = false;
                return 0xffff;
        }
        return (uint16_t) (c[off] | (c[off + 1] << 8));
}

static uint32_t rd32(const uint8_t *c, size_t len, size_t off, bool *ok) {
        if (off + 4 > len) {
                *ok = false;
                return 0xffffffff;
        }
        return (uint32_t) c[off] | ((uint32_t) c[off + 1] << 8) | ((uint32_t) c[off + 2] << 16) |
               ((uint32_t) c[off + 3] << 24);
}

static void parse_standard_caps(const uint8_t *c, size_t len, PtPciConfig *p) {
        bool ok = true;
        size_t ptr_off = p->header_type == 2 ? CFG_CARDBUS_CAP_PTR : CFG_CAP_PTR;

        if (!(rd16(c, len, CFG_STATUS, &ok) & CFG_STATUS_CAP_LIST))
                return;
        uint8_t pos = rd8(c, len, ptr_off, &ok) & 0xfc;

        /* 48 = (256 - 64) / 4: more entries than that can only be a loop. */
        for (int ttl = 48; ok && pos >= 0x40 && ttl > 0; ttl--) {
                uint8_t id = rd8(c, len, pos, &ok);
                uint8_t next = rd8(c, len, pos + 1u, &ok) & 0xfc;
                if (!ok || id == 0xff)
                        break;

                switch (id) {
                case CAP_ID_PM: {
                        uint16_t ctrl = rd16(c, len, pos + PM_CTRL, &ok);
                        if (ok) {
                                p->has_pm = true;
                                p->pm_no_soft_reset = ctrl & PM_CTRL_NO_SOFT_RESET;
                        }
                        break;
                }
                case CAP_ID_EXP: {
                        uint16_t flags = rd16(c, len, pos + EXP_FLAGS, &ok);
                        uint32_t devcap = rd32(c, len, pos + EXP_DEVCAP, &ok);
                        if (ok && !p->is_pcie) {
                                p->is_pcie = true;
                                p->pcie_type = (flags >> 4) & 0xf;
                                p->flr = devcap & EXP_DEVCAP_FLR;
                        }
                        break;
                }
                case CAP_ID_SSVID: {
                        /* A PCI-PCI bridge's subsystem IDs live here, as the kernel reads them. */
                        uint16_t sv = rd16(c, len, pos + 4, &ok), sd = rd16(c, len, pos + 6, &ok);
                        if (ok && p->header_type == 1) {
                                p->subsystem_vendor_id = sv;
                                p->subsystem_id = sd;
                        }
                        break;
                }
                case CAP_ID_AF: {
                        uint8_t cap = rd8(c, len, pos + AF_CAP, &ok);
                        if (ok) {
                                p->has_af = true;
                                p->af_flr = (cap & (AF_CAP_TP | AF_CAP_FLR)) == (AF_CAP_TP | AF_CAP_FLR);
                        }
                        break;
                }
                }
                pos = next;
        }
}

static void parse_extended_caps(const uint8_t *c, size_t len, PtPciConfig *p) {
        bool ok = true;
        size_t pos = 0x100;

        if (len < 0x104 || !p->is_pcie)
                return;

        /* (4096 - 256) / 8: the smallest extended capability is 8 bytes. */
        for (int ttl = 480; ttl > 0 && pos >= 0x100; ttl--) {
                uint32_t header = rd32(c, len, pos, &ok);
                if (!ok || header == 0 || header == 0xffffffff)
                        break;
                uint16_t id = header & 0xffff;
                size_t next = (header >> 20) & 0xffc;

                switch (id) {
                case EXT_CAP_ID_DSN: {
                        uint32_t lo = rd32(c, len, pos + 4, &ok), hi = rd32(c, len, pos + 8, &ok);
                        if (ok) {
                                p->has_serial = true;
                                p->serial = ((uint64_t) hi << 32) | lo;
                        }
                        break;
                }
                case EXT_CAP_ID_ACS: {
                        uint16_t cap = rd16(c, len, pos + 4, &ok), ctrl = rd16(c, len, pos + 6, &ok);
                        if (ok && !p->has_acs) {
                                p->has_acs = true;
                                p->acs_cap = cap;
                                p->acs_ctrl = ctrl;
                        }
                        break;
                }
                case EXT_CAP_ID_SRIOV: {
                        uint16_t total = rd16(c, len, pos + SRIOV_TOTAL_VF, &ok);
                        uint16_t offset = rd16(c, len, pos + SRIOV_VF_OFFSET, &ok);
                        uint16_t stride = rd16(c, len, pos + SRIOV_VF_STRIDE, &ok);
                        uint16_t did = rd16(c, len, pos + SRIOV_VF_DID, &ok);
                        if (ok) {
                                p->has_sriov = true;
                                p->sriov_total_vfs = total;
                                p->sriov_vf_offset = offset;
                                p->sriov_vf_stride = stride;
                                p->sriov_vf_device_id = did;
                        }
                        break;
                }
                }
                /* Real lists link backwards too (0x258 -> 0x128); the count above is what ends a loop. */
                if (!ok || next < 0x100)
                        break;
                pos = next;
        }
}

int pt_pci_config_parse(const uint8_t *config, size_t len, PtPciConfig *ret) {
        PtPciConfig p = {};
        bool ok = true;

        if (!config || !ret)
                return -EINVAL;
        *ret = p;
        if (len < 64)
                return -ENODATA;

        p.readable = true;
        p.vendor_id = rd16(config, len, CFG_VENDOR_ID, &ok);
        p.device_id = rd16(config, len, CFG_DEVICE_ID, &ok);
        /* A device that dropped off the bus returns all-ones for every read. Vendor 0xffff alone is not that:
         * an SR-IOV VF reads so by design (the kernel takes its IDs from the PF). */
        p.off_bus = true;
        for (size_t i = 0; i < 64; i++)
                if (config[i] != 0xff) {
                        p.off_bus = false;
                        break;
                }
        if (p.off_bus) {
                *ret = p;
                return 0;
        }
        uint32_t class_revision = rd32(config, len, CFG_CLASS_REVISION, &ok);
        p.class_code = class_revision >> 8;
        p.revision = class_revision & 0xff;
        uint8_t ht = rd8(config, len, CFG_HEADER_TYPE, &ok);
        p.header_type = ht & 0x7f;
        p.multifunction = ht & 0x80;
        if (p.header_type == 0 || p.header_type == 2) {
                size_t off = p.header_type == 0 ? CFG_SUBSYSTEM_VENDOR : CFG_CARDBUS_SUBSYSTEM;
                bool sub_ok = true;
                uint16_t sv = rd16(config, len, off, &sub_ok), sd = rd16(config, len, off + 2, &sub_ok);
                if (sub_ok) {
                        p.subsystem_vendor_id = sv;
                        p.subsystem_id = sd;
                }
        }

        parse_standard_caps(config, len, &p);
        parse_extended_caps(config, len, &p);
        *ret = p;
        return 0;
}

const char *pt_pcie_type_to_string(uint8_t type) {
        switch (type) {
        case PT_PCIE_ENDPOINT: return "endpoint";
        case PT_PCIE_LEGACY_ENDPOINT: return "legacy-endpoint";
        case PT_PCIE_ROOT_PORT: return "root-port";
        case PT_PCIE_UPSTREAM_PORT: return "upstream-port";
        case PT_PCIE_DOWNSTREAM_PORT: return "downstream-port";
        case PT_PCIE_PCIE_TO_PCI_BRIDGE: return "pcie-to-pci-bridge";
        case PT_PCIE_PCI_TO_PCIE_BRIDGE: return "pci-to-pcie-bridge";
        case PT_PCIE_RC_INTEGRATED_ENDPOINT: return "rc-integrated-endpoint";
        case PT_PCIE_RC_EVENT_COLLECTOR: return "rc-event-collector";
        default: return "unknown";
        }
}
