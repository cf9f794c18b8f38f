/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pt-json.h"

#define FLUSH_AT (256 * 1024)

void pt_json_init(PtJson *j, FILE *f) {
        *j = (PtJson) { .f = f };
}

static void flush(PtJson *j) {
        if (j->len > 0)
                fwrite(j->buf, 1, j->len, j->f);
        j->len = 0;
}

static void put(PtJson *j, const char *s, size_t n) {
        if (j->len + n > j->cap) {
                size_t want = j->cap ? j->cap : 64 * 1024;
                while (want < j->len + n)
                        want *= 2;
                char *grown = realloc(j->buf, want);
                if (!grown) {
                        /* Out of memory: write straight through rather than lose output. */
                        flush(j);
                        fwrite(s, 1, n, j->f);
                        return;
                }
                j->buf = grown;
                j->cap = want;
        }
        memcpy(j->buf + j->len, s, n);
        j->len += n;
        if (j->len >= FLUSH_AT)
                flush(j);
}

static void putc_(PtJson *j, char c) {
        put(j, &c, 1);
}

static void indent(PtJson *j) {
        static const char spaces[] = "\n                                                                ";
        size_t n = 1 + 2 * (size_t) j->depth;
        put(j, spaces, n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1);
}

/* Comma and indentation before any value that is not directly after a key. */
static void before_value(PtJson *j) {
        if (j->after_key) {
                j->after_key = false;
                return;
        }
        if (j->depth > 0) {
                if (j->need_comma[j->depth])
                        putc_(j, ',');
                indent(j);
                j->need_comma[j->depth] = true;
        }
}

static void open_container(PtJson *j, char c) {
        before_value(j);
        putc_(j, c);
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
        putc_(j, c);
}

void pt_json_begin_object(PtJson *j) { open_container(j, '{'); }
void pt_json_end_object(PtJson *j) { close_container(j, '}'); }
void pt_json_begin_array(PtJson *j) { open_container(j, '['); }
void pt_json_end_array(PtJson *j) { close_container(j, ']'); }

static void write_escaped(PtJson *j, const char *s) {
        putc_(j, '"');
        for (;;) {
                /* Copy the run that needs no escaping in one go. */
                size_t n = 0;
                while (s[n] && s[n] != '"' && s[n] != '\\' && (unsigned char) s[n] >= 0x20)
                        n++;
                put(j, s, n);
                s += n;
                if (!*s)
                        break;
                char esc[8];
                switch (*s) {
                case '"': put(j, "\\\"", 2); break;
                case '\\': put(j, "\\\\", 2); break;
                case '\n': put(j, "\\n", 2); break;
                case '\t': put(j, "\\t", 2); break;
                case '\r': put(j, "\\r", 2); break;
                default:
                        snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char) *s);
                        put(j, esc, 6);
                }
                s++;
        }
        putc_(j, '"');
}

void pt_json_key(PtJson *j, const char *key) {
        before_value(j);
        write_escaped(j, key);
        put(j, ": ", 2);
        j->after_key = true;
}

void pt_json_string(PtJson *j, const char *s) {
        before_value(j);
        if (s)
                write_escaped(j, s);
        else
                put(j, "null", 4);
}

void pt_json_int(PtJson *j, int64_t v) {
        char buf[24];
        before_value(j);
        int n = snprintf(buf, sizeof(buf), "%" PRId64, v);
        put(j, buf, (size_t) n);
}

void pt_json_bool(PtJson *j, bool v) {
        before_value(j);
        if (v)
                put(j, "true", 4);
        else
                put(j, "false", 5);
}

void pt_json_null(PtJson *j) {
        before_value(j);
        put(j, "null", 4);
}

void pt_json_finish(PtJson *j) {
        putc_(j, '\n');
        flush(j);
        free(j->buf);
        j->buf = NULL;
        j->cap = 0;
}
