/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "pt-json.h"

static char *render(void (*fn)(PtJson *j)) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        PtJson j;
        pt_json_init(&j, f);
        fn(&j);
        pt_json_finish(&j);
        fclose(f);
        return out;
}

static void write_sample(PtJson *j) {
        pt_json_begin_object(j);
        pt_json_key(j, "address");
        pt_json_string(j, "0000:06:00.0");
        pt_json_key(j, "name");
        pt_json_string(j, "quote\" back\\ nl\n tab\t ctl\x01 é");
        pt_json_key(j, "driver");
        pt_json_string(j, NULL);
        pt_json_key(j, "group");
        pt_json_int(j, -1);
        pt_json_key(j, "ok");
        pt_json_bool(j, true);
        pt_json_key(j, "empty");
        pt_json_begin_array(j);
        pt_json_end_array(j);
        pt_json_key(j, "list");
        pt_json_begin_array(j);
        pt_json_string(j, "a");
        pt_json_null(j);
        pt_json_end_array(j);
        pt_json_end_object(j);
}

static void test_format(void) {
        g_autofree char *out = render(write_sample);
        g_assert_cmpstr(out, ==,
                        "{\n"
                        "  \"address\": \"0000:06:00.0\",\n"
                        "  \"name\": \"quote\\\" back\\\\ nl\\n tab\\t ctl\\u0001 é\",\n"
                        "  \"driver\": null,\n"
                        "  \"group\": -1,\n"
                        "  \"ok\": true,\n"
                        "  \"empty\": [],\n"
                        "  \"list\": [\n"
                        "    \"a\",\n"
                        "    null\n"
                        "  ]\n"
                        "}\n");
}

static void write_big(PtJson *j) {
        pt_json_begin_array(j);
        for (int i = 0; i < 100000; i++)
                pt_json_string(j, "0123456789abcdef");
        pt_json_end_array(j);
}

static void test_large(void) {
        /* Past the flush threshold several times: nothing lost or reordered at the seams. */
        g_autofree char *out = render(write_big);
        gsize expect = 1 + 100000 * (1 + 2 + 18 + 1) - 1 + 2 + 1; /* "[", each "\n  \"...\"," less the last comma, "\n]", "\n" */
        g_assert_cmpuint(strlen(out), ==, expect);
        g_assert_true(g_str_has_suffix(out, "\"0123456789abcdef\"\n]\n"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/json/format", test_format);
        g_test_add_func("/json/large", test_large);
        return g_test_run();
}
