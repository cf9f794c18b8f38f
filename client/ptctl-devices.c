/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ptctl list / show: the inventory, for people and for scripts. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device-info.h"
#include "guest-info.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-pci-config.h"
#include "pt-json.h"
#include "pt-util.h"
#include "ptctl.h"


static void json_opt_string(PtJson *j, const char *key, const char *v) {
        pt_json_key(j, key);
        pt_json_string(j, isempty(v) ? NULL : v);
}

/* A number that is -1 when there is none (IOMMU group, NUMA node): null then. */
static void json_opt_index(PtJson *j, const char *key, int32_t v) {
        pt_json_key(j, key);
        if (v >= 0)
                pt_json_int(j, v);
        else
                pt_json_null(j);
}

static void json_hex(PtJson *j, const char *key, unsigned v, int width) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%0*x", width, v);
        pt_json_key(j, key);
        pt_json_string(j, buf);
}

static void json_strv(PtJson *j, const char *key, char **l) {
        pt_json_key(j, key);
        pt_json_begin_array(j);
        for (char **s = l; s && *s; s++)
                pt_json_string(j, *s);
        pt_json_end_array(j);
}

static void json_bool(PtJson *j, const char *key, bool v) {
        pt_json_key(j, key);
        pt_json_bool(j, v);
}

/* ACS bits by their spec names, in register order. */
static const struct {
        unsigned bit;
        const char *name;
} acs_bits[] = {
        { PT_ACS_SV, "SV" }, { PT_ACS_TB, "TB" }, { PT_ACS_RR, "RR" }, { PT_ACS_CR, "CR" },
        { PT_ACS_UF, "UF" }, { PT_ACS_EC, "EC" }, { PT_ACS_DT, "DT" },
};

static void json_acs_bits(PtJson *j, const char *key, uint16_t reg) {
        pt_json_key(j, key);
        pt_json_begin_object(j);
        for (size_t i = 0; i < ELEMENTSOF(acs_bits); i++) {
                char lower[3] = { (char) (acs_bits[i].name[0] | 0x20), (char) (acs_bits[i].name[1] | 0x20), 0 };
                json_bool(j, lower, reg & acs_bits[i].bit);
        }
        pt_json_end_object(j);
}

/* The --json schema (documented in README and ptctl --help): stable keys, hex IDs as strings, null for absent. */
static void print_device_json(PtJson *j, const DeviceInfo *d) {
        pt_json_begin_object(j);
        json_opt_string(j, "address", d->address);
        json_hex(j, "vendor_id", d->vendor_id, 4);
        json_hex(j, "device_id", d->device_id, 4);
        json_hex(j, "subsystem_vendor_id", d->subsystem_vendor_id, 4);
        json_hex(j, "subsystem_id", d->subsystem_id, 4);
        json_hex(j, "revision", d->revision, 2);
        json_hex(j, "class", d->class_code, 6);
        json_opt_string(j, "vendor_name", d->vendor_name);
        json_opt_string(j, "device_name", d->device_name);
        json_opt_string(j, "subsystem_name", d->subsystem_name);
        json_opt_string(j, "class_name", d->class_name);
        pt_json_key(j, "header_type");
        pt_json_int(j, d->header_type);
        json_bool(j, "multifunction", d->multifunction);
        json_bool(j, "pcie", d->pcie);
        json_opt_string(j, "pcie_type", d->pcie_type);
        json_bool(j, "bridge", d->bridge);
        json_opt_string(j, "driver", d->driver);
        json_opt_string(j, "driver_override", d->driver_override);
        json_opt_index(j, "iommu_group", d->iommu_group);
        json_strv(j, "iommu_group_members", d->iommu_group_members);
        json_opt_string(j, "parent_bridge", d->parent_bridge);
        json_bool(j, "parent_conventional", d->parent_conventional);
        json_bool(j, "flr", d->flr);
        json_bool(j, "af_flr", d->af_flr);
        json_bool(j, "pm", d->pm);
        json_bool(j, "pm_no_soft_reset", d->pm_no_soft_reset);
        json_strv(j, "reset_methods", d->reset_methods);
        pt_json_key(j, "sriov_total_vfs");
        pt_json_int(j, d->sriov_total_vfs);
        pt_json_key(j, "sriov_num_vfs");
        pt_json_int(j, d->sriov_num_vfs);
        json_strv(j, "virtual_functions", d->virtual_functions);
        json_opt_string(j, "physical_function", d->physical_function);
        json_opt_string(j, "serial_number", d->serial_number);
        if (d->acs_known) {
                pt_json_key(j, "acs");
                if (d->acs) {
                        pt_json_begin_object(j);
                        json_acs_bits(j, "capability", d->acs_capability);
                        json_acs_bits(j, "control", d->acs_control);
                        pt_json_end_object(j);
                } else
                        pt_json_null(j);
        }
        json_bool(j, "off_bus", d->off_bus);
        json_opt_index(j, "numa_node", d->numa_node);
        json_opt_string(j, "vfio_group_node", d->vfio_group_node);
        json_opt_string(j, "vfio_device_node", d->vfio_device_node);
        json_opt_string(j, "state", d->state);
        json_opt_string(j, "guest", d->guest);
        json_opt_string(j, "assignment_problem", d->assignment_problem);
        pt_json_end_object(j);
}

static char *joined(char **l, const char *sep, const char *empty) {
        size_t n = 1;
        for (char **s = l; s && *s; s++)
                n += strlen(*s) + strlen(sep);
        char *out = calloc(1, n + strlen(empty));
        if (!out)
                return NULL;
        for (char **s = l; s && *s; s++) {
                if (s != l)
                        strcat(out, sep);
                strcat(out, *s);
        }
        if (!*out)
                strcat(out, empty);
        return out;
}

static char *device_title(const DeviceInfo *d) {
        char *t = NULL;
        if (isempty(d->vendor_name) && isempty(d->device_name))
                return asprintf(&t, "[%04x:%04x]", d->vendor_id, d->device_id) < 0 ? NULL : t;
        if (isempty(d->device_name))
                return asprintf(&t, "%s [%04x:%04x]", d->vendor_name, d->vendor_id, d->device_id) < 0 ? NULL : t;
        return asprintf(&t, "%s %s", strempty(d->vendor_name), d->device_name) < 0 ? NULL : t;
}

#define LIST_COLUMNS 8

typedef struct Row {
        char *cells[LIST_COLUMNS];
} Row;

int ptctl_cmd_list(PtctlContext *ctx, int argc, char *argv[]) {
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                { "json", no_argument, NULL, 'j' },
                {}
        };
        static const char *const headers[LIST_COLUMNS] = { "ADDRESS", "CLASS", "DEVICE", "DRIVER", "GROUP", "NUMA",
                                                            "RESET", "STATE" };
        static const size_t max_width[LIST_COLUMNS] = { 16, 24, 48, 12, 5, 4, 16, 8 };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        DeviceInfo *devices = NULL;
        bool all = false;
        size_t n = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, "aj", options, NULL)) >= 0)
                switch (c) {
                case 'a': all = true; break;
                case 'j': ctx->json = true; break;
                default: return ptctl_usage_error("list", "unknown option");
                }
        if (optind < argc)
                return ptctl_usage_error("list", "unexpected argument '%s'", argv[optind]);

        bus = ptctl_bus();
        if (!bus)
                return PTCTL_EXIT_FAILED;
        r = device_info_list(bus, &devices, &n, &error);
        if (r < 0)
                return ptctl_report_error(&error, r, "listing devices failed");

        if (ctx->json) {
                PtJson j;
                pt_json_init(&j, stdout);
                pt_json_begin_array(&j);
                for (size_t i = 0; i < n; i++)
                        if (all || !devices[i].bridge)
                                print_device_json(&j, &devices[i]);
                pt_json_end_array(&j);
                pt_json_finish(&j);
        } else {
                Row *rows = calloc(n + 1, sizeof(Row));
                size_t width[LIST_COLUMNS], nrows = 0;
                for (size_t k = 0; k < LIST_COLUMNS; k++)
                        width[k] = strlen(headers[k]);
                for (size_t i = 0; rows && i < n; i++) {
                        DeviceInfo *d = &devices[i];
                        Row *row = &rows[nrows];
                        if (!all && d->bridge)
                                continue;
                        row->cells[0] = strdup(d->address);
                        row->cells[1] = strdup(isempty(d->class_name) ? "-" : d->class_name);
                        row->cells[2] = device_title(d);
                        row->cells[3] = strdup(isempty(d->driver) ? "-" : d->driver);
                        if (d->iommu_group >= 0) {
                                if (asprintf(&row->cells[4], "%d", d->iommu_group) < 0)
                                        row->cells[4] = NULL;
                        } else
                                row->cells[4] = strdup("-");
                        if (d->numa_node >= 0) {
                                if (asprintf(&row->cells[5], "%d", d->numa_node) < 0)
                                        row->cells[5] = NULL;
                        } else
                                row->cells[5] = strdup("-");
                        row->cells[6] = joined(d->reset_methods, ",", "none");
                        row->cells[7] = strdup(strempty(d->state));
                        for (size_t k = 0; k < LIST_COLUMNS; k++) {
                                size_t l = strlen(strempty(row->cells[k]));
                                if (l > max_width[k])
                                        l = max_width[k];
                                if (l > width[k])
                                        width[k] = l;
                        }
                        nrows++;
                }
                for (size_t k = 0; k < LIST_COLUMNS; k++)
                        printf("%-*s%s", k < LIST_COLUMNS - 1 ? (int) width[k] : 0, headers[k], k < LIST_COLUMNS - 1 ? "  " : "\n");
                for (size_t i = 0; rows && i < nrows; i++) {
                        for (size_t k = 0; k < LIST_COLUMNS; k++) {
                                const char *cell = strempty(rows[i].cells[k]);
                                if (strlen(cell) > width[k])
                                        printf("%.*s~%s", (int) width[k] - 1, cell, k < LIST_COLUMNS - 1 ? "  " : "\n");
                                else
                                        printf("%-*s%s", k < LIST_COLUMNS - 1 ? (int) width[k] : 0, cell, k < LIST_COLUMNS - 1 ? "  " : "\n");
                                free(rows[i].cells[k]);
                        }
                }
                free(rows);
                if (!all && nrows < n)
                        printf("(%zu bridges hidden; --all shows them)\n", n - nrows);
        }
        for (size_t i = 0; i < n; i++)
                device_info_free(&devices[i]);
        free(devices);
        return PTCTL_EXIT_OK;
}

static const char *yes_no(bool b) {
        return b ? "yes" : "no";
}

static void print_device_human(const DeviceInfo *d) {
        _cleanup_free_ char *title = device_title(d), *members = joined(d->iommu_group_members, " ", "-"),
                            *reset = joined(d->reset_methods, " ", "none (the kernel cannot reset it)"),
                            *vfs = joined(d->virtual_functions, " ", "");

        printf("%s  %s\n", d->address, strempty(title));
        printf("  %-16s %04x:%04x rev %02x\n", "IDs:", d->vendor_id, d->device_id, d->revision);
        printf("  %-16s %04x:%04x%s%s\n", "Subsystem:", d->subsystem_vendor_id, d->subsystem_id,
               isempty(d->subsystem_name) ? "" : " ", strempty(d->subsystem_name));
        printf("  %-16s %06x %s\n", "Class:", d->class_code, isempty(d->class_name) ? "" : d->class_name);
        printf("  %-16s %s\n", "State:", strempty(d->state));
        printf("  %-16s %s\n", "Guest:", isempty(d->guest) ? "-" : d->guest);
        if (!isempty(d->assignment_problem))
                printf("  %-16s %s\n", "PROBLEM:", d->assignment_problem);
        printf("  %-16s %s\n", "Driver:", isempty(d->driver) ? "- (none)" : d->driver);
        if (!isempty(d->xen_domain))
                printf("  %-16s assigned to Xen domain %s%s%s\n", "Xen:", d->xen_domain,
                       streq(strempty(d->driver), "pciback") ? "" : "; but dom0's driver link says ",
                       streq(strempty(d->driver), "pciback") ? "" : isempty(d->driver) ? "none" : d->driver);
        printf("  %-16s %s\n", "Driver override:", isempty(d->driver_override) ? "-" : d->driver_override);
        if (d->iommu_group >= 0)
                printf("  %-16s %d: %s\n", "IOMMU group:", d->iommu_group, members);
        else
                printf("  %-16s - (no IOMMU group)\n", "IOMMU group:");
        printf("  %-16s %s%s\n", "Parent bridge:", isempty(d->parent_bridge) ? "- (root bus)" : d->parent_bridge,
               d->parent_conventional ? " (conventional PCI bridge)" : "");
        printf("  %-16s %s%s%s\n", "Bus:", d->pcie ? "PCI Express " : "conventional PCI",
               d->pcie ? strempty(d->pcie_type) : "", d->bridge ? ", bridge" : "");
        printf("  %-16s %s (header type %u)\n", "Multifunction:", yes_no(d->multifunction), d->header_type);
        printf("  %-16s %s\n", "Reset methods:", reset);
        if (!isempty(d->reset_description))
                printf("  %-16s %s\n", "Reset:", d->reset_description);
        printf("  %-16s FLR %s, AF FLR %s, PM %s%s\n", "Reset caps:", yes_no(d->flr), yes_no(d->af_flr),
               yes_no(d->pm), d->pm ? (d->pm_no_soft_reset ? " (No_Soft_Reset: PM reset does nothing)" : "") : "");
        if (d->sriov_total_vfs > 0)
                printf("  %-16s %u of %u VFs enabled%s%s\n", "SR-IOV:", d->sriov_num_vfs, d->sriov_total_vfs,
                       isempty(vfs) ? "" : ": ", strempty(vfs));
        if (!isempty(d->physical_function))
                printf("  %-16s VF of %s\n", "SR-IOV:", d->physical_function);
        if (!isempty(d->serial_number))
                printf("  %-16s %s\n", "Serial number:", d->serial_number);
        if (d->numa_node >= 0)
                printf("  %-16s %d\n", "NUMA node:", d->numa_node);
        if (!isempty(d->vfio_group_node) || !isempty(d->vfio_device_node))
                printf("  %-16s %s%s%s\n", "VFIO nodes:", strempty(d->vfio_group_node),
                       !isempty(d->vfio_group_node) && !isempty(d->vfio_device_node) ? ", " : "",
                       strempty(d->vfio_device_node));
        if (d->acs) {
                /* As lspci's ACSCtl line: what is enabled, and what the port could do. */
                printf("  %-16s", "ACS control:");
                for (size_t i = 0; i < ELEMENTSOF(acs_bits); i++)
                        printf(" %s%c", acs_bits[i].name, d->acs_control & acs_bits[i].bit ? '+' : '-');
                printf("  (capable:");
                for (size_t i = 0; i < ELEMENTSOF(acs_bits); i++)
                        if (d->acs_capability & acs_bits[i].bit)
                                printf(" %s", acs_bits[i].name);
                printf(")\n");
        }
        if (d->off_bus)
                printf("  %-16s config space reads all 0xff: the device dropped off the bus\n", "WARNING:");
}

/* The stub its guest's assignment records (a VFIO variant driver, chosen at assign), which it gets at the start. */
static void print_assigned_stub(sd_bus *bus, const DeviceInfo *d) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        GuestInfo g;
        if (isempty(d->guest) || guest_info_get(bus, d->guest, &g, &error) < 0) {
                if (!isempty(d->guest))
                        guest_info_free(&g);
                return;
        }
        for (size_t i = 0; i < g.n_items; i++)
                if (streq(g.items[i].address, d->address))
                        printf("  %-16s %s%s\n", "Guest's stub:", g.items[i].driver,
                               streq(g.items[i].driver, strempty(d->driver)) ? "" : " (at the guest's start)");
        guest_info_free(&g);
}

int ptctl_cmd_show(PtctlContext *ctx, int argc, char *argv[]) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                {}
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        DeviceInfo d = {};
        int c, r;

        while ((c = getopt_long(argc, argv, "j", options, NULL)) >= 0)
                switch (c) {
                case 'j': ctx->json = true; break;
                default: return ptctl_usage_error("show", "unknown option");
                }
        if (optind >= argc)
                return ptctl_usage_error("show", "which device?");
        if (optind + 1 < argc)
                return ptctl_usage_error("show", "one device at a time (got '%s' too)", argv[optind + 1]);

        bus = ptctl_bus();
        if (!bus)
                return PTCTL_EXIT_FAILED;
        r = device_info_get(bus, argv[optind], &d, &error);
        if (r < 0)
                return ptctl_report_error(&error, r, "reading the device failed");
        if (ctx->json) {
                PtJson j;
                pt_json_init(&j, stdout);
                print_device_json(&j, &d);
                pt_json_finish(&j);
        } else {
                print_device_human(&d);
                print_assigned_stub(bus, &d);
        }
        device_info_free(&d);
        return PTCTL_EXIT_OK;
}
