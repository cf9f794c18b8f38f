/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passthru/pt-address.h"
#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "xl-config.h"

static int add(XlFinding **l, size_t *n, const char *status, const char *fix, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
static int add(XlFinding **l, size_t *n, const char *status, const char *fix, const char *fmt, ...) {
        XlFinding *grown = realloc(*l, (*n + 1) * sizeof(XlFinding));
        if (!grown)
                return -ENOMEM;
        *l = grown;
        XlFinding *f = &grown[*n];
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&f->message, fmt, ap);
        va_end(ap);
        f->status = status;
        f->fix = fix ? strdup(fix) : NULL;
        if (r < 0 || (fix && !f->fix))
                return -ENOMEM;
        (*n)++;
        return 0;
}

void xl_findings_free(XlFinding *f, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(f[i].message);
                free(f[i].fix);
        }
        free(f);
}

/* The value after "key =" on a line of its own (xl's config syntax: key = value, # comments). */
static const char *value_of(const char *text, const char *key) {
        size_t klen = strlen(key);
        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                const char *p = line + strspn(line, " \t");
                if (strncmp(p, key, klen) != 0)
                        continue;
                p += klen;
                p += strspn(p, " \t");
                if (*p == '=')
                        return p + 1 + strspn(p + 1, " \t");
        }
        return NULL;
}

int xl_config_check(const char *path, const GuestInfo *g, XlFinding **ret, size_t *n) {
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **listed = NULL;
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        size_t len = 0;
        XlFinding *l = NULL;
        size_t count = 0;
        int r = 0;

        if (!f)
                return -errno;
        if (getdelim(&text, &len, 0, f) < 0)
                text = strdup("");
        if (!text)
                return -ENOMEM;

        /* pci = [ 'BDF[@VSLOT][,KEY=VALUE...]', ... ], over several lines if need be. */
        const char *pci = value_of(text, "pci");
        if (pci && *pci == '[') {
                for (const char *p = pci + 1; *p && *p != ']';) {
                        char quote = *p;
                        if (quote != '\'' && quote != '"') {
                                p++;
                                continue;
                        }
                        const char *end = strchr(p + 1, quote);
                        if (!end)
                                break;
                        _cleanup_free_ char *spec = strndup(p + 1, (size_t) (end - p - 1));
                        PtAddress a;
                        char bdf[PT_ADDRESS_STRLEN];
                        if (spec) {
                                spec[strcspn(spec, "@,")] = 0;
                                if (pt_address_parse(spec, &a, NULL) >= 0 &&
                                    pt_strv_push(&listed, strdup(pt_address_format(&a, bdf))) < 0)
                                        return -ENOMEM;
                        }
                        p = end + 1;
                }
        }
        for (size_t i = 0; r >= 0 && i < g->n_items; i++)
                if (!pt_strv_contains(listed, g->items[i].address))
                        r = add(&l, &count, "fail", "add it to pci = [ ... ]; 'ptctl config GUEST --format xl' prints the "
                                "line", "%s does not give the guest %s", path, g->items[i].address);
        for (char **b = listed; r >= 0 && b && *b; b++) {
                bool ours = false;
                for (size_t i = 0; i < g->n_items; i++)
                        ours = ours || streq(g->items[i].address, *b);
                if (!ours)
                        r = add(&l, &count, "fail", "ptctl assign it to the guest first, or take it out of pci=",
                                "%s gives the guest %s, which passthrud has not assigned to it", path, *b);
        }
        if (r >= 0 && listed && count == 0)
                r = add(&l, &count, "ok", NULL, "%s gives the guest all %zu of its devices", path, pt_strv_length(listed));

        const char *pt = value_of(text, "passthrough");
        bool disabled = pt && strstr(pt, "disabled") == pt + 1, enabled = pt && !disabled;
        if (r >= 0 && disabled)
                r = add(&l, &count, "fail", "remove the passthrough line, or set passthrough = \"enabled\"",
                        "%s says passthrough = \"disabled\": xl refuses every PCI device for this guest", path);
        else if (r >= 0 && !enabled && !listed)
                r = add(&l, &count, "fail", "add passthrough = \"enabled\" (ptctl config --format xl prints it)",
                        "%s has no pci= and no passthrough = \"enabled\": xl pci-attach (ptctl attach) cannot add a "
                        "device to this guest once it runs", path);
        else if (r >= 0)
                r = add(&l, &count, "ok", NULL, "%s lets the guest receive hot-plugged devices (passthrough %s)", path,
                        enabled ? "enabled" : "on, for its pci= line");
        if (r < 0) {
                xl_findings_free(l, count);
                return r;
        }
        *ret = l;
        *n = count;
        return 0;
}
