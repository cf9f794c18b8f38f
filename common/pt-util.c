/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "passthru/pt-macros.h"
#include "pt-util.h"

void pt_strv_free(char **l) {
        if (!l)
                return;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
}

size_t pt_strv_length(char * const *l) {
        size_t n = 0;
        if (l)
                while (l[n])
                        n++;
        return n;
}

int pt_strv_push(char ***l, char *s) {
        size_t n = pt_strv_length(*l);
        char **grown = realloc(*l, (n + 2) * sizeof(char *));
        if (!grown) {
                free(s);
                return -ENOMEM;
        }
        grown[n] = s;
        grown[n + 1] = NULL;
        *l = grown;
        return 0;
}

bool pt_strv_contains(char * const *l, const char *s) {
        if (l)
                for (char * const *i = l; *i; i++)
                        if (streq(*i, s))
                                return true;
        return false;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

void pt_strv_sort(char **l) {
        size_t n = pt_strv_length(l);
        if (n > 1)
                qsort(l, n, sizeof(char *), cmp_str);
}

int pt_strv_split(const char *s, const char *separators, char ***ret) {
        char **l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (const char *p = s; p && *p;) {
                size_t skip = strspn(p, separators);
                p += skip;
                size_t len = strcspn(p, separators);
                if (len == 0)
                        break;
                char *w = strndup(p, len);
                if (!w || pt_strv_push(&l, w) < 0) {
                        pt_strv_free(l);
                        return -ENOMEM;
                }
                p += len;
        }
        *ret = l;
        return 0;
}

char *pt_str_quote_limited(const char *s, size_t max) {
        size_t len = strlen(s);
        bool cut = len > max;
        char *out = malloc((cut ? max : len) * 4 + 8), *o = out;

        if (!out)
                return NULL;
        *o++ = '"';
        for (size_t i = 0; i < len && i < max; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c == '"' || c == '\\') {
                        *o++ = '\\';
                        *o++ = (char) c;
                } else if (c < 0x20 || c == 0x7f)
                        o += sprintf(o, "\\x%02x", c);
                else
                        *o++ = (char) c;
        }
        if (cut)
                o += sprintf(o, "...");
        *o++ = '"';
        *o = 0;
        return out;
}

int pt_mkdir_p(const char *path, unsigned mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        *s = '/';
                }
        if (mkdir(p, (mode_t) mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

char *pt_path_join(const char *a, const char *b) {
        size_t la = strlen(a);
        while (la > 1 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        char *r = NULL;
        if (asprintf(&r, "%.*s/%s", (int) la, a, b) < 0)
                return NULL;
        return r;
}

int pt_strv_set(char ***l, const char *s, bool member) {
        if (member == pt_strv_contains(*l, s))
                return 0;
        if (member)
                return pt_strv_push(l, strdup(s));
        size_t j = 0;
        for (size_t i = 0; (*l)[i]; i++)
                if (streq((*l)[i], s))
                        free((*l)[i]);
                else
                        (*l)[j++] = (*l)[i];
        (*l)[j] = NULL;
        return 0;
}

char **pt_strv_copy(char * const *l) {
        if (!l)
                return NULL;
        size_t n = pt_strv_length(l);
        char **c = calloc(n + 1, sizeof(char *));
        for (size_t i = 0; c && i < n; i++)
                if (!(c[i] = strdup(l[i]))) {
                        pt_strv_free(c);
                        return NULL;
                }
        return c;
}
