/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "modules-alias.h"
#include "passthru/pt-macros.h"

char *modules_alias_default_path(void) {
        struct utsname u;
        char *p = NULL;
        if (uname(&u) < 0 || asprintf(&p, "/lib/modules/%s/modules.alias", u.release) < 0)
                return NULL;
        return p;
}

int modules_alias_vfio_variant(const char *path, const char *modalias, char **ret) {
        static const char prefix[] = "alias vfio_pci:";
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL, *best = NULL;
        size_t size = 0, best_wild = 0, best_literal = 0;

        *ret = NULL;
        if (!path || !modalias || strncmp(modalias, "pci:", 4) != 0)
                return 0;
        f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? 0 : -errno;
        while (getline(&line, &size, f) > 0) {
                if (strncmp(line, prefix, strlen(prefix)) != 0)
                        continue;
                char *pattern = line + strlen(prefix), *module = strchr(pattern, ' ');
                if (!module)
                        continue;
                *module++ = 0;
                module[strcspn(module, " \n")] = 0;
                /* vfio-pci itself matches every device (its driver_override-only catch-all): not a variant. */
                if (!*module || streq(module, "vfio_pci") || fnmatch(pattern, modalias + 4, 0) != 0)
                        continue;
                size_t wild = 0, literal = 0;
                for (const char *c = pattern; *c; c++)
                        *c == '*' || *c == '?' ? wild++ : literal++;
                if (best && (wild > best_wild || (wild == best_wild && literal <= best_literal)))
                        continue;
                char *copy = strdup(module);
                if (!copy)
                        return -ENOMEM;
                free(best);
                best = copy;
                best_wild = wild;
                best_literal = literal;
        }
        *ret = TAKE_PTR(best);
        return 0;
}
