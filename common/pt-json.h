/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A small streaming JSON writer: ptctl's --json output is a contract, so it is written, not improvised.
 * Output collects in its own buffer and reaches the FILE in large blocks: listings run to megabytes. */
typedef struct PtJson {
        FILE *f;
        char *buf;
        size_t len, cap;
        int depth;
        bool need_comma[32];
        bool after_key;
} PtJson;

void pt_json_init(PtJson *j, FILE *f);
void pt_json_begin_object(PtJson *j);
void pt_json_end_object(PtJson *j);
void pt_json_begin_array(PtJson *j);
void pt_json_end_array(PtJson *j);
void pt_json_key(PtJson *j, const char *key);
void pt_json_string(PtJson *j, const char *s); /* NULL writes null */
void pt_json_int(PtJson *j, int64_t v);
void pt_json_bool(PtJson *j, bool v);
void pt_json_null(PtJson *j);
void pt_json_finish(PtJson *j); /* trailing newline, flush, free the buffer */
