/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passthru/pt-macros.h"
#include "pt-util.h"
#include "reset.h"

static const char *const policy_names[] = {
        [RESET_POLICY_STRICT] = "strict",
        [RESET_POLICY_BEST_EFFORT] = "best-effort",
        [RESET_POLICY_NONE] = "none",
};

ResetPolicy reset_policy_from_string(const char *s) {
        if (!s || !*s)
                return RESET_POLICY_STRICT;
        for (size_t i = 0; i < ELEMENTSOF(policy_names); i++)
                if (streq(s, policy_names[i]))
                        return (ResetPolicy) i;
        return _RESET_POLICY_INVALID;
}

const char *reset_policy_to_string(ResetPolicy p) {
        return p >= 0 && (size_t) p < ELEMENTSOF(policy_names) ? policy_names[p] : NULL;
}

/* Whether the device itself can do the method: the kernel's list when there is one (it probed the hardware),
 * backed by the capabilities we read, so a stale or hand-edited list cannot pick a reset that does nothing. */
static bool offers(const ResetFacts *f, const char *method) {
        if (f->kernel_methods && !pt_strv_contains(f->kernel_methods, method))
                return false;
        if (streq(method, "flr"))
                return f->flr;
        if (streq(method, "af_flr"))
                return f->af_flr;
        if (streq(method, "pm"))
                return f->pm && !f->pm_no_soft_reset; /* with No_Soft_Reset, D3hot->D0 keeps the state */
        if (streq(method, "bus"))
                return f->kernel_methods != NULL && !f->bus_shared; /* only the kernel knows whether the bridge can */
        return false;
}

bool reset_method_is_bus(const char *method) {
        return method && (streq(method, "bus") || streq(method, "sbr"));
}

int reset_choose(const ResetFacts *f, const char **ret_method, char **ret_reason) {
        static const char *const order[] = { "flr", "af_flr", "pm" };
        _cleanup_free_ char *text = NULL;
        size_t len = 0;

        for (size_t i = 0; i < ELEMENTSOF(order); i++)
                if (offers(f, order[i])) {
                        *ret_method = order[i];
                        return 0;
                }
        bool bus = offers(f, "bus"), sbr = !bus && f->secondary_bus;
        if ((bus || sbr) && !f->is_vf && pt_strv_length(f->bus_blockers) == 0) {
                *ret_method = bus ? "bus" : "sbr";
                return 0;
        }

        FILE *out = open_memstream(&text, &len);
        if (!out)
                return -ENOMEM;
        fputs("no usable reset: ", out);
        if (!f->kernel_methods)
                fputs("the kernel lists no reset method for it (no reset_method in sysfs) and it has neither FLR nor a PM reset", out);
        else if (pt_strv_length(f->kernel_methods) == 0)
                fputs("the kernel offers none", out);
        else {
                fputs("the kernel offers", out);
                for (char **m = f->kernel_methods; *m; m++)
                        fprintf(out, " %s", *m);
        }
        if ((bus || sbr) && f->is_vf)
                fputs("; a bus reset is never used for an SR-IOV virtual function", out);
        else if (bus || sbr) {
                fputs("; a bus reset would also reset", out);
                for (char **b = f->bus_blockers; *b; b++)
                        fprintf(out, "%s %s", b == f->bus_blockers ? "" : ",", *b);
        }
        if (fclose(out) != 0)
                return -ENOMEM;
        *ret_reason = TAKE_PTR(text);
        return -ENOENT;
}
