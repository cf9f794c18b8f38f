/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "pt-json.h"

void pt_json_init(PtJson *j, FILE *f) {
        *j = (PtJson) { .f = f };
}

static void indent(PtJson *j) {
        fputc('\n', j->f);
        for (int i = 0; i < j->depth; i++)
                fputs("  ", j->f);
}

/* Comma and indentation before any value that is not directly after a key. */
static void before_value(PtJson *j) {
        if (j->after_key) {
                j->after_key = false;
                return;
        }
        if (j->depth > 0) {
                if (j->need_comma[j->depth])
                        fputc(',', j->f);
                indent(j);
                j->need_comma[j->depth] = true;
        }
}

static void open_container(PtJson *j, char c) {
        before_value(j);
        fputc(c, j->f);
        if (j->depth < (int) (sizeof(j->need_comma) / sizeof(j->need_comma[0])) - 1)
                j->depth++;
        j->need_comma[j->depth] = false;
}

static void close_container(PtJson *j, char c) {
        bool had_items = j->need_comma[j->depth];
        if (j->depth > 0)
                j->depth--;
        if (had_items)
                indent(j);
        fputc(c, j->f);
}

void pt_json_begin_object(PtJson *j) { open_container(j, '{'); }
void pt_json_end_object(PtJson *j) { close_container(j, '}'); }
void pt_json_begin_array(PtJson *j) { open_container(j, '['); }
void pt_json_end_array(PtJson *j) { close_container(j, ']'); }

static void write_escaped(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                switch (*p) {
                case '"': fputs("\\\"", f); break;
                case '\\': fputs("\\\\", f); break;
                case '\n': fputs("\\n", f); break;
                case '\t': fputs("\\t", f); break;
                case '\r': fputs("\\r", f); break;
                default:
                        if (*p < 0x20)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
        }
        fputc('"', f);
}

void pt_json_key(PtJson *j, const char *key) {
        before_value(j);
        write_escaped(j->f, key);
        fputs(": ", j->f);
        j->after_key = true;
}

void pt_json_string(PtJson *j, const char *s) {
        before_value(j);
        if (s)
                write_escaped(j->f, s);
        else
                fputs("null", j->f);
}

void pt_json_int(PtJson *j, int64_t v) {
        before_value(j);
        fprintf(j->f, "%" PRId64, v);
}

void pt_json_bool(PtJson *j, bool v) {
        before_value(j);
        fputs(v ? "true" : "false", j->f);
}

void pt_json_null(PtJson *j) {
        before_value(j);
        fputs("null", j->f);
}

void pt_json_finish(PtJson *j) {
        fputc('\n', j->f);
}
