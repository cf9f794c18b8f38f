/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: every address parser on arbitrary bytes. Nothing may crash, leak or read out of bounds, and what
 * parses must format and parse back to the same address. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "passthru/pt-address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1), *reason = NULL;
        PtAddress a, b;
        PtPciSpec spec;
        PtAddress *list = NULL;
        size_t n;

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;

        if (pt_address_parse(s, &a, &reason) == 0) {
                char buf[PT_ADDRESS_STRLEN];
                if (pt_address_parse_bdf(pt_address_format(&a, buf), &b, NULL) != 0 || !pt_address_equal(&a, &b))
                        abort();
        } else if (!reason)
                abort(); /* every refusal explains itself */
        free(reason);
        reason = NULL;

        if (pt_pci_spec_parse(s, &spec, &reason) == 0)
                pt_pci_spec_done(&spec);
        free(reason);
        reason = NULL;

        if (pt_address_parse_hide_list(s, &list, &n, &reason) == 0 && n == 0)
                abort();
        free(list);
        free(reason);
        reason = NULL;

        (void) pt_address_parse_libvirt(s, &a, &reason);
        free(reason);
        free(s);
        return 0;
}
