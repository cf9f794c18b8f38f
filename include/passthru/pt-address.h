/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One PCI function: domain:bus:slot.function. */
typedef struct PtAddress {
        uint32_t domain;
        uint8_t bus;
        uint8_t slot;     /* 0..0x1f */
        uint8_t function; /* 0..7 */
} PtAddress;

#define PT_ADDRESS_STRLEN sizeof("ffffffff:ff:1f.7")

typedef enum PtRdmPolicy {
        PT_RDM_POLICY_STRICT,
        PT_RDM_POLICY_RELAXED,
} PtRdmPolicy;

/* xl's PCI_SPEC_STRING: [DDDD:]BB:SS.F[@VSLOT][,key=value...]. -1 in a tristate means "not given". */
typedef struct PtPciSpec {
        PtAddress address;
        bool has_address;       /* false when the spec names a device by name= */
        bool all_functions;     /* function written as '*' */
        int vslot;              /* -1 when not given */
        int permissive;
        int msitranslate;
        int seize;
        int power_mgmt;
        int rdm_policy;         /* PtRdmPolicy or -1 */
        char *name;             /* name= (xl pci-assignable-add -n) or NULL */
} PtPciSpec;

/* Formats as "dddd:bb:ss.f" into buf (PT_ADDRESS_STRLEN bytes); returns buf. */
char *pt_address_format(const PtAddress *a, char buf[static PT_ADDRESS_STRLEN]);
uint64_t pt_address_key(const PtAddress *a);
int pt_address_compare(const PtAddress *a, const PtAddress *b);
bool pt_address_equal(const PtAddress *a, const PtAddress *b);

/* Plain BDF: "06:00.0", "0000:06:00.0", "6:0.0". */
int pt_address_parse_bdf(const char *s, PtAddress *ret, char **reason);

/* Any notation naming exactly one device: plain BDF, XenServer "0/0000:06:00.0", a pciback hide list with one
 * entry "(0000:06:00.0)", an xl PCI_SPEC_STRING for one function, or libvirt's <address .../> element. */
int pt_address_parse(const char *s, PtAddress *ret, char **reason);

/* pciback hide list "(0000:09:00.0)(0a:04.1)"; returns a malloc'd array in *ret, its length in *n. */
int pt_address_parse_hide_list(const char *s, PtAddress **ret, size_t *n, char **reason);

/* libvirt <address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/>. */
int pt_address_parse_libvirt(const char *s, PtAddress *ret, char **reason);

/* xl PCI_SPEC_STRING. */
int pt_pci_spec_parse(const char *s, PtPciSpec *ret, char **reason);
void pt_pci_spec_done(PtPciSpec *spec);
