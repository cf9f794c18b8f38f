/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* NULL-terminated string vectors. */
void pt_strv_free(char **l);
size_t pt_strv_length(char * const *l);
int pt_strv_push(char ***l, char *s); /* takes ownership of s, also on failure */
bool pt_strv_contains(char * const *l, const char *s);
/* Makes s a member of the set *l (a copy is pushed) or not (every copy removed). */
int pt_strv_set(char ***l, const char *s, bool member);
void pt_strv_sort(char **l);
/* A deep copy; NULL for NULL (and on allocation failure). */
char **pt_strv_copy(char * const *l);

static inline void pt_strv_freep(char ***l) {
        pt_strv_free(*l);
}
#define _cleanup_strv_free_ __attribute__((cleanup(pt_strv_freep)))

/* Splits on any of the separators, dropping empty words. */
int pt_strv_split(const char *s, const char *separators, char ***ret);

/* "text" with C escapes for control characters, cut at max characters; malloc'd. */
char *pt_str_quote_limited(const char *s, size_t max);

/* mkdir -p: parents 0755, the last component with mode; an existing directory is fine. */
int pt_mkdir_p(const char *path, unsigned mode);

/* Joins two path pieces with exactly one '/'; malloc'd. */
char *pt_path_join(const char *a, const char *b);
