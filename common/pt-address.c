/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every PCI address notation our users paste, parsed in one place. Messages name the part that is wrong. */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passthru/pt-address.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"

#define MAX_SLOT 0x1f
#define MAX_FUNCTION 7
#define MAX_VSLOT 0x1f

_printf_(3, 4)
static int fail(char **reason, const char *input, const char *fmt, ...) {
        if (reason) {
                _cleanup_free_ char *what = NULL, *shown = pt_str_quote_limited(input, 80);
                va_list ap;

                va_start(ap, fmt);
                if (vasprintf(&what, fmt, ap) < 0)
                        what = NULL;
                va_end(ap);
                free(*reason);
                if (asprintf(reason, "invalid PCI address %s: %s", shown ? shown : "\"\"", what ? what : "parse error") < 0)
                        *reason = NULL;
        }
        return -EINVAL;
}

char *pt_address_format(const PtAddress *a, char buf[static PT_ADDRESS_STRLEN]) {
        snprintf(buf, PT_ADDRESS_STRLEN, "%04x:%02x:%02x.%x",
                 (unsigned) a->domain, (unsigned) a->bus, (unsigned) a->slot, (unsigned) a->function);
        return buf;
}

uint64_t pt_address_key(const PtAddress *a) {
        return ((uint64_t) a->domain << 16) | ((uint64_t) a->bus << 8) | ((uint64_t) a->slot << 3) | a->function;
}

int pt_address_compare(const PtAddress *a, const PtAddress *b) {
        uint64_t x = pt_address_key(a), y = pt_address_key(b);
        return x < y ? -1 : x > y;
}

bool pt_address_equal(const PtAddress *a, const PtAddress *b) {
        return pt_address_key(a) == pt_address_key(b);
}

/* Parses [start, end) as hex into *ret; max_digits bounds the text, max the value. */
static int parse_hex_part(const char *input, const char *start, const char *end, const char *what, uint64_t max,
                          uint64_t *ret, char **reason) {
        uint64_t v = 0;

        if (start == end)
                return fail(reason, input, "%s is missing", what);
        if (end - start > 8)
                return fail(reason, input, "%s \"%.*s\" is too long", what, (int) (end - start), start);
        for (const char *p = start; p < end; p++) {
                if (!isxdigit((unsigned char) *p))
                        return fail(reason, input, "%s \"%.*s\" is not a hexadecimal number", what,
                                    (int) (end - start), start);
                v = v * 16 + (uint64_t) (isdigit((unsigned char) *p) ? *p - '0' : (tolower((unsigned char) *p) - 'a' + 10));
        }
        if (v > max)
                return fail(reason, input, "%s 0x%llx is out of range (0-0x%llx)", what, (unsigned long long) v,
                            (unsigned long long) max);
        *ret = v;
        return 0;
}

/* Parses a BDF inside [start, end); function_wildcard allows '*' as the function (xl). */
static int parse_bdf_range(const char *input, const char *start, const char *end, PtAddress *ret,
                           bool *ret_wildcard, char **reason) {
        const char *colon1 = NULL, *colon2 = NULL, *dot = NULL;
        uint64_t domain = 0, bus, slot, function = 0;
        int r;

        if (start == end)
                return fail(reason, input, "the address is empty");

        for (const char *p = start; p < end; p++) {
                if (*p == ':') {
                        if (!colon1)
                                colon1 = p;
                        else if (!colon2)
                                colon2 = p;
                        else
                                return fail(reason, input, "too many ':' (expected [DDDD:]BB:SS.F)");
                } else if (*p == '.') {
                        if (dot)
                                return fail(reason, input, "too many '.' (expected [DDDD:]BB:SS.F)");
                        dot = p;
                }
        }
        if (!colon1)
                return fail(reason, input, "no ':' between bus and slot (expected [DDDD:]BB:SS.F)");
        if (!dot)
                return fail(reason, input, "no '.' before the function (expected [DDDD:]BB:SS.F)");
        if (dot < (colon2 ? colon2 : colon1))
                return fail(reason, input, "'.' must follow the slot (expected [DDDD:]BB:SS.F)");

        const char *bus_start = start, *slot_start = colon1 + 1;
        if (colon2) {
                r = parse_hex_part(input, start, colon1, "domain", UINT32_MAX, &domain, reason);
                if (r < 0)
                        return r;
                bus_start = colon1 + 1;
                slot_start = colon2 + 1;
        }
        r = parse_hex_part(input, bus_start, slot_start - 1, "bus", 0xff, &bus, reason);
        if (r < 0)
                return r;
        r = parse_hex_part(input, slot_start, dot, "slot", MAX_SLOT, &slot, reason);
        if (r < 0)
                return r;

        bool wildcard = false;
        if (end - dot == 2 && dot[1] == '*') {
                if (!ret_wildcard)
                        return fail(reason, input, "function '*' names several devices; give one function (0-7)");
                wildcard = true;
        } else {
                r = parse_hex_part(input, dot + 1, end, "function", MAX_FUNCTION, &function, reason);
                if (r < 0)
                        return r;
        }

        *ret = (PtAddress) { .domain = (uint32_t) domain, .bus = (uint8_t) bus, .slot = (uint8_t) slot,
                             .function = (uint8_t) function };
        if (ret_wildcard)
                *ret_wildcard = wildcard;
        return 0;
}

static void trim(const char **start, const char **end) {
        while (*start < *end && isspace((unsigned char) **start))
                (*start)++;
        while (*end > *start && isspace((unsigned char) (*end)[-1]))
                (*end)--;
}

/* The input without surrounding white space in [*start, *end); refuses NULL and blank input as "what is empty". */
static int nonblank(const char *s, const char *what, const char **start, const char **end, char **reason) {
        if (!s)
                return fail(reason, "", "%s is empty", what);
        *start = s;
        *end = s + strlen(s);
        trim(start, end);
        if (*start == *end)
                return fail(reason, s, "%s is empty", what);
        return 0;
}

int pt_address_parse_bdf(const char *s, PtAddress *ret, char **reason) {
        if (!s)
                return fail(reason, "", "the address is empty");
        const char *start = s, *end = s + strlen(s);
        trim(&start, &end);
        return parse_bdf_range(s, start, end, ret, NULL, reason);
}

int pt_address_parse_hide_list(const char *s, PtAddress **ret, size_t *n, char **reason) {
        _cleanup_free_ PtAddress *list = NULL;
        size_t count = 0;
        const char *p, *end;
        int r = nonblank(s, "the hide list", &p, &end, reason);
        if (r < 0)
                return r;

        while (p < end) {
                if (*p != '(')
                        return fail(reason, s, "expected '(' at offset %zu, found '%c'", (size_t) (p - s), *p);
                const char *close = memchr(p, ')', (size_t) (end - p));
                if (!close)
                        return fail(reason, s, "unterminated '(' at offset %zu", (size_t) (p - s));
                const char *a = p + 1, *b = close;
                trim(&a, &b);
                if (memchr(a, '*', (size_t) (b - a)))
                        return fail(reason, s, "entry \"%.*s\" has a wildcard; list every function",
                                    (int) (b - a), a);
                PtAddress addr;
                r = parse_bdf_range(s, a, b, &addr, NULL, reason);
                if (r < 0)
                        return r;
                PtAddress *grown = realloc(list, (count + 1) * sizeof(PtAddress));
                if (!grown)
                        return -ENOMEM;
                list = grown;
                list[count++] = addr;
                p = close + 1;
                while (p < end && isspace((unsigned char) *p))
                        p++;
        }

        *ret = TAKE_PTR(list);
        *n = count;
        return 0;
}

/* libvirt writes numbers as 0x-prefixed hex; plain digits are decimal, as libvirt's parser reads them. */
static int parse_libvirt_number(const char *input, const char *what, const char *v, size_t len, uint64_t max,
                                uint64_t *ret, char **reason) {
        uint64_t x = 0;
        size_t i = 0;
        int base = 10;

        if (len == 0)
                return fail(reason, input, "attribute %s is empty", what);
        if (len > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
                base = 16;
                i = 2;
        }
        if (len - i > 10)
                return fail(reason, input, "attribute %s='%.*s' is too long", what, (int) len, v);
        for (; i < len; i++) {
                int d;
                if (isdigit((unsigned char) v[i]))
                        d = v[i] - '0';
                else if (base == 16 && isxdigit((unsigned char) v[i]))
                        d = tolower((unsigned char) v[i]) - 'a' + 10;
                else
                        return fail(reason, input, "attribute %s='%.*s' is not a number", what, (int) len, v);
                x = x * (uint64_t) base + (uint64_t) d;
        }
        if (x > max)
                return fail(reason, input, "attribute %s='%.*s' is out of range (0-0x%llx)", what, (int) len, v,
                            (unsigned long long) max);
        *ret = x;
        return 0;
}

int pt_address_parse_libvirt(const char *s, PtAddress *ret, char **reason) {
        static const struct {
                const char *name;
                uint64_t max;
                bool required;
        } fields[] = {
                { "domain", UINT32_MAX, false },
                { "bus", 0xff, true },
                { "slot", MAX_SLOT, true },
                { "function", MAX_FUNCTION, true },
        };
        uint64_t values[ELEMENTSOF(fields)] = {};
        bool seen[ELEMENTSOF(fields)] = {};
        const char *p, *end;

        if (!s)
                return fail(reason, "", "the address is empty");
        p = s;
        end = s + strlen(s);
        trim(&p, &end);
        if (end - p < 9 || strncmp(p, "<address", 8) != 0 || !isspace((unsigned char) p[8]))
                return fail(reason, s, "expected an element starting with <address");
        if (end - p >= 2 && end[-1] == '>' && end[-2] == '/')
                end -= 2;
        else if (end - p >= 10 && strncmp(end - 10, "</address>", 10) == 0) {
                end -= 10;
                trim(&p, &end);
                if (end <= p || end[-1] != '>')
                        return fail(reason, s, "the <address> element is not closed");
                end--;
        } else
                return fail(reason, s, "the <address> element is not closed (expected '/>')");
        p += 8;

        for (;;) {
                while (p < end && isspace((unsigned char) *p))
                        p++;
                if (p >= end)
                        break;
                const char *name = p;
                while (p < end && (isalnum((unsigned char) *p) || *p == '_' || *p == '-'))
                        p++;
                size_t name_len = (size_t) (p - name);
                if (name_len == 0 || p >= end || *p != '=')
                        return fail(reason, s, "expected name='value' at offset %zu", (size_t) (name - s));
                p++;
                if (p >= end || (*p != '\'' && *p != '"'))
                        return fail(reason, s, "attribute %.*s has no quoted value", (int) name_len, name);
                char quote = *p++;
                const char *value = p;
                while (p < end && *p != quote)
                        p++;
                if (p >= end)
                        return fail(reason, s, "attribute %.*s has an unterminated value", (int) name_len, name);
                size_t value_len = (size_t) (p - value);
                p++;

                bool known = false;
                for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                        if (strlen(fields[i].name) != name_len || strncmp(fields[i].name, name, name_len) != 0)
                                continue;
                        if (seen[i])
                                return fail(reason, s, "attribute %s is given twice", fields[i].name);
                        int r = parse_libvirt_number(s, fields[i].name, value, value_len, fields[i].max, &values[i],
                                                     reason);
                        if (r < 0)
                                return r;
                        seen[i] = known = true;
                }
                if (!known && !(name_len == 4 && strncmp(name, "type", 4) == 0) &&
                    !(name_len == 13 && strncmp(name, "multifunction", 13) == 0))
                        return fail(reason, s, "unknown attribute %.*s", (int) name_len, name);
                if (name_len == 4 && strncmp(name, "type", 4) == 0 &&
                    !(value_len == 3 && strncmp(value, "pci", 3) == 0))
                        return fail(reason, s, "type='%.*s' is not a PCI address", (int) value_len, value);
        }

        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (fields[i].required && !seen[i])
                        return fail(reason, s, "attribute %s is missing", fields[i].name);

        *ret = (PtAddress) { .domain = (uint32_t) values[0], .bus = (uint8_t) values[1], .slot = (uint8_t) values[2],
                             .function = (uint8_t) values[3] };
        return 0;
}

static int parse_spec_bool(const char *input, const char *key, const char *v, size_t len, int *ret, char **reason) {
        if (len == 1 && (v[0] == '0' || v[0] == '1')) {
                *ret = v[0] == '1';
                return 0;
        }
        return fail(reason, input, "option %s=%.*s must be 0 or 1", key, (int) len, v);
}

void pt_pci_spec_done(PtPciSpec *spec) {
        if (!spec)
                return;
        free(spec->name);
        spec->name = NULL;
}

int pt_pci_spec_parse(const char *s, PtPciSpec *ret, char **reason) {
        PtPciSpec spec = { .vslot = -1, .permissive = -1, .msitranslate = -1, .seize = -1, .power_mgmt = -1,
                           .rdm_policy = -1 };
        const char *p, *end;
        int r = nonblank(s, "the PCI_SPEC_STRING", &p, &end, reason);
        if (r < 0)
                return r;

        for (bool first = true; p <= end; first = false) {
                const char *tok_end = memchr(p, ',', (size_t) (end - p));
                if (!tok_end)
                        tok_end = end;
                const char *a = p, *b = tok_end;
                trim(&a, &b);
                const char *eq = memchr(a, '=', (size_t) (b - a));

                if (a == b) {
                        r = fail(reason, s, "empty option at offset %zu", (size_t) (a - s));
                        goto fail;
                }

                if (!eq) {
                        /* Only the first token may be a bare BDF[@VSLOT]. */
                        if (!first) {
                                r = fail(reason, s, "option \"%.*s\" has no '='", (int) (b - a), a);
                                goto fail;
                        }
                        const char *at = memchr(a, '@', (size_t) (b - a));
                        r = parse_bdf_range(s, a, at ? at : b, &spec.address, &spec.all_functions, reason);
                        if (r < 0)
                                goto fail;
                        spec.has_address = true;
                        if (at) {
                                uint64_t v;
                                r = parse_hex_part(s, at + 1, b, "vslot", MAX_VSLOT, &v, reason);
                                if (r < 0)
                                        goto fail;
                                spec.vslot = (int) v;
                        }
                } else {
                        size_t klen = (size_t) (eq - a);
                        const char *v = eq + 1;
                        size_t vlen = (size_t) (b - v);
                        char key[32];

                        if (klen == 0 || klen >= sizeof(key)) {
                                r = fail(reason, s, "option \"%.*s\" has no valid key", (int) (b - a), a);
                                goto fail;
                        }
                        memcpy(key, a, klen);
                        key[klen] = 0;

                        if (streq(key, "bdf")) {
                                if (spec.has_address || spec.name) {
                                        r = fail(reason, s, "the device is given twice (bdf=)");
                                        goto fail;
                                }
                                r = parse_bdf_range(s, v, b, &spec.address, &spec.all_functions, reason);
                                if (r < 0)
                                        goto fail;
                                spec.has_address = true;
                        } else if (streq(key, "name")) {
                                if (spec.has_address || spec.name) {
                                        r = fail(reason, s, "the device is given twice (name=)");
                                        goto fail;
                                }
                                if (vlen == 0 || vlen > 64) {
                                        r = fail(reason, s, "name= must be 1-64 characters");
                                        goto fail;
                                }
                                spec.name = strndup(v, vlen);
                                if (!spec.name) {
                                        r = -ENOMEM;
                                        goto fail;
                                }
                        } else if (streq(key, "vslot")) {
                                uint64_t x;
                                const char *hex = v;
                                if (vlen > 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
                                        hex += 2;
                                r = parse_hex_part(s, hex, b, "vslot", MAX_VSLOT, &x, reason);
                                if (r < 0)
                                        goto fail;
                                spec.vslot = (int) x;
                        } else if (streq(key, "permissive"))
                                r = parse_spec_bool(s, key, v, vlen, &spec.permissive, reason);
                        else if (streq(key, "msitranslate"))
                                r = parse_spec_bool(s, key, v, vlen, &spec.msitranslate, reason);
                        else if (streq(key, "seize"))
                                r = parse_spec_bool(s, key, v, vlen, &spec.seize, reason);
                        else if (streq(key, "power_mgmt"))
                                r = parse_spec_bool(s, key, v, vlen, &spec.power_mgmt, reason);
                        else if (streq(key, "rdm_policy")) {
                                if (vlen == 6 && strncmp(v, "strict", 6) == 0)
                                        spec.rdm_policy = PT_RDM_POLICY_STRICT;
                                else if (vlen == 7 && strncmp(v, "relaxed", 7) == 0)
                                        spec.rdm_policy = PT_RDM_POLICY_RELAXED;
                                else
                                        r = fail(reason, s, "unknown rdm_policy \"%.*s\" (strict or relaxed)",
                                                 (int) vlen, v);
                        } else
                                r = fail(reason, s, "unknown PCI_SPEC_STRING option \"%s\"", key);
                        if (r < 0)
                                goto fail;
                }

                if (tok_end == end)
                        break;
                p = tok_end + 1;
        }

        if (!spec.has_address && !spec.name) {
                r = fail(reason, s, "no device given (expected [DDDD:]BB:SS.F, bdf= or name=)");
                goto fail;
        }

        *ret = spec;
        return 0;
fail:
        pt_pci_spec_done(&spec);
        return r;
}

int pt_address_parse(const char *s, PtAddress *ret, char **reason) {
        const char *p, *end;
        int r = nonblank(s, "the address", &p, &end, reason);
        if (r < 0)
                return r;

        if (*p == '<')
                return pt_address_parse_libvirt(s, ret, reason);

        if (*p == '(') {
                _cleanup_free_ PtAddress *list = NULL;
                size_t n;
                r = pt_address_parse_hide_list(s, &list, &n, reason);
                if (r < 0)
                        return r;
                if (n != 1)
                        return fail(reason, s, "the hide list names %zu devices; give one", n);
                *ret = list[0];
                return 0;
        }

        const char *slash = memchr(p, '/', (size_t) (end - p));
        if (slash) {
                /* XenServer other-config:pci "N/BDF": N orders hotplug, the BDF is what matters. */
                if (slash == p)
                        return fail(reason, s, "nothing before '/' (expected N/BDF)");
                for (const char *q = p; q < slash; q++)
                        if (!isdigit((unsigned char) *q))
                                return fail(reason, s, "\"%.*s\" before '/' is not a number (expected N/BDF)",
                                            (int) (slash - p), p);
                return parse_bdf_range(s, slash + 1, end, ret, NULL, reason);
        }

        if (memchr(p, ',', (size_t) (end - p)) || memchr(p, '@', (size_t) (end - p)) ||
            memchr(p, '=', (size_t) (end - p))) {
                PtPciSpec spec;
                r = pt_pci_spec_parse(s, &spec, reason);
                if (r < 0)
                        return r;
                bool usable = spec.has_address && !spec.all_functions;
                pt_pci_spec_done(&spec);
                if (!usable)
                        return fail(reason, s, spec.all_functions ?
                                    "function '*' names several devices; give one function (0-7)" :
                                    "name= refers to a device by name, not by address");
                *ret = spec.address;
                return 0;
        }

        return parse_bdf_range(s, p, end, ret, NULL, reason);
}
