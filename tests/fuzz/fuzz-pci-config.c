/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: the capability walk on arbitrary config-space images of any length. */
#include <stdint.h>
#include <stdlib.h>

#include "passthru/pt-pci-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        PtPciConfig p;
        (void) pt_pci_config_parse(data, size, &p);
        return 0;
}
