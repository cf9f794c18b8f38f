/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planning without a bus or a daemon: the operations layer's decisions on a fake-kernel topology read through the
 * real model, with the store in a temporary directory. Every refusal names its error and leaves the model (and so
 * the host) as it was. */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "passthru/pt-macros.h"
#include "passthru/pt-names.h"
#include "plan.h"
#include "planning.h"
#include "recovery.h"
#include "vf-pool.h"

typedef struct {
        char *sys, *state;
        Model *m;
} Fixture;

static void setup(Fixture *f, gconstpointer topology) {
        g_autofree char *topo = g_build_filename(g_getenv("PT_TOPOLOGY_DIR"), topology, NULL);
        f->sys = g_dir_make_tmp("passthru-plan-sys-XXXXXX", NULL);
        f->state = g_dir_make_tmp("passthru-plan-state-XXXXXX", NULL);
        char *argv[] = { (char *) g_getenv("PT_FAKEKERNEL"), "--topology", topo, "--backing", f->sys, "--render-only",
                         NULL };
        int status;
        g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, NULL));
        g_assert_cmpint(status, ==, 0);
        ModelConfig c = { .sysfs_root = f->sys, .proc_root = "/proc", .pci_ids = "/usr/share/misc/pci.ids" };
        g_assert_cmpint(model_new(NULL, &c, &f->m), ==, 0);
        f->m->host = HOST_BARE;
        g_assert_cmpint(model_enumerate(f->m), ==, 0);
        g_assert_cmpint(model_open_store(f->m, f->state), ==, 0);
}

static void teardown(Fixture *f, gconstpointer data) {
        model_free(f->m);
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s' '%s'", f->sys, f->state);
        (void) !system(cmd);
        g_free(f->sys);
        g_free(f->state);
}

/* Records an assignment straight in the store, as Assign would have (no co-assignment checks: the tests make the
 * states a later change of hardware or an Unassign can leave). */
static void assign(Fixture *f, const char *guest, const char *bdf, bool managed, const char *policy) {
        Device *d = inventory_find_bdf(&f->m->inventory, bdf);
        g_assert_nonnull(d);
        StoredAssignment a = { .guest = (char *) guest, .managed = managed, .vslot = -1, .options = (char *) "",
                               .driver = (char *) "", .reset_policy = (char *) policy };
        snprintf(a.address, sizeof(a.address), "%s", bdf);
        stored_identity_from_device(&a.identity, d);
        g_assert_cmpint(store_assign(f->m->store, &a, 1), ==, 0);
        g_assert_cmpint(model_reload_assignments(f->m), ==, 0);
}

/* Marks a guest running as a completed start would (with a hold for each claimed device). */
static void mark_running(Fixture *f, const char *guest, const char *held, const char *original) {
        int64_t op;
        StoredHold h = { .stub = (char *) "vfio-pci", .original_driver = (char *) original,
                         .original_module = (char *) "", .original_override = (char *) "", .holder = (char *) guest };
        if (held) {
                snprintf(h.address, sizeof(h.address), "%s", held);
                g_assert_cmpint(store_op_begin(f->m->store, "claim", guest, held, &h, &op), ==, 0);
                g_assert_cmpint(store_op_end(f->m->store, op, NULL), ==, 0);
        }
        g_assert_cmpint(store_op_begin(f->m->store, "start", guest, NULL, NULL, &op), ==, 0);
        g_assert_cmpint(store_op_end(f->m->store, op, &(StoreOpEnd) { .running_guest = guest, .running = true }), ==, 0);
        g_assert_cmpint(model_reload_records(f->m), ==, 0);
}

typedef struct {
        size_t assignments, holds, hidden, running;
} Counts;

static Counts counts(Fixture *f) {
        return (Counts) { f->m->assignments.n, f->m->records.n_holds, f->m->records.n_hidden,
                          pt_strv_length(f->m->records.running_guests) };
}

/* j is refused with 'code', a message containing 'needle', and the model as it was (before). */
static void assert_refused(Fixture *f, Job *j, const Counts *before, PtErrorCode code, const char *needle) {
        PtError e = {};
        g_assert_cmpint(plan_job(f->m, j, &e), <, 0);
        g_assert_cmpstr(pt_error_code_name(e.code), ==, pt_error_code_name(code));
        if (!strstr(e.message, needle))
                g_error("'%s' lacks '%s'", e.message, needle);
        Counts after = counts(f);
        g_assert_cmpmem(before, sizeof(*before), &after, sizeof(after));
}

/* Plans a job of this kind; a refusal must carry 'code', a message containing 'needle', and change nothing. */
static Job *plan_ok(Fixture *f, JobKind kind, const char *guest, const char *bdf) {
        Job *j = job_new(kind, guest);
        if (bdf) {
                JobDevice *jd = job_add_device(j, bdf);
                jd->stub = g_strdup("vfio-pci");
        }
        PtError e = {};
        int r = plan_job(f->m, j, &e);
        if (r < 0)
                g_error("planning %s failed: %s", job_kind_to_string(kind), e.message);
        return j;
}

static void plan_refused(Fixture *f, JobKind kind, const char *guest, const char *bdf, PtErrorCode code,
                         const char *needle) {
        Counts before = counts(f);
        _cleanup_(job_freep) Job *j = job_new(kind, guest);
        if (bdf) {
                JobDevice *jd = job_add_device(j, bdf);
                jd->stub = g_strdup("vfio-pci");
        }
        assert_refused(f, j, &before, code, needle);
}

static void test_start(Fixture *f, gconstpointer data) {
        assign(f, "g1", "0000:02:00.0", true, "strict");
        _cleanup_(job_freep) Job *j = plan_ok(f, JOB_START_GUEST, "g1", NULL);
        g_assert_cmpuint(j->n_devices, ==, 1);
        JobDevice *jd = &j->devices[0];
        g_assert_true(jd->claim);
        g_assert_cmpstr(jd->stub, ==, "vfio-pci");
        g_assert_cmpstr(jd->original_driver, ==, "nvme");
        g_assert_cmpstr(jd->holder, ==, "g1");
        g_assert_true(jd->reset);
        g_assert_cmpstr(jd->reset_method, ==, "flr");
        /* Planning wrote nothing: no hold, the guest not running. */
        g_assert_cmpuint(f->m->records.n_holds, ==, 0);
        g_assert_false(records_guest_running(&f->m->records, "g1"));
}

static void test_start_refusals(Fixture *f, gconstpointer data) {
        plan_refused(f, JOB_START_GUEST, "nobody", NULL, PT_ERR_UNKNOWN_GUEST, "no guest nobody");
        /* Audio with no reset at all, strict policy. */
        assign(f, "audio", "0000:00:1b.0", true, "strict");
        plan_refused(f, JOB_START_GUEST, "audio", NULL, PT_ERR_NO_RESET, "cannot start guest audio: 0000:00:1b.0 has");
        /* Unmanaged and still on its host driver. */
        assign(f, "nic", "0000:00:19.0", false, "strict");
        plan_refused(f, JOB_START_GUEST, "nic", NULL, PT_ERR_STILL_ATTACHED,
                     "device 0000:00:19.0 is still attached to host driver e1000e");
        /* One function of an ICH9 group whose others the host drives. */
        assign(f, "sata", "0000:00:1f.2", true, "best-effort");
        plan_refused(f, JOB_START_GUEST, "sata", NULL, PT_ERR_GROUP_NOT_VIABLE, "IOMMU group 10 is not viable");
        /* A stuck device. */
        assign(f, "g1", "0000:02:00.0", true, "strict");
        model_set_stuck(f->m, "0000:02:00.0", true);
        plan_refused(f, JOB_START_GUEST, "g1", NULL, PT_ERR_DEVICE_STUCK, "0000:02:00.0 is stuck");
        model_set_stuck(f->m, "0000:02:00.0", false);
        /* Already running. */
        mark_running(f, "g1", "0000:02:00.0", "nvme");
        plan_refused(f, JOB_START_GUEST, "g1", NULL, PT_ERR_GUEST_RUNNING, "guest g1 is already running");
        /* Without an IOMMU there is no passthrough. */
        assign(f, "g2", "0000:01:00.0", true, "strict");
        f->m->inventory.devices[0]->iommu_group = -1;
        for (size_t i = 0; i < f->m->inventory.n; i++)
                f->m->inventory.devices[i]->iommu_group = -1;
        plan_refused(f, JOB_START_GUEST, "g2", NULL, PT_ERR_NO_IOMMU, "no IOMMU groups");
}

/* Attach as a toolstack asks for it: managed, strict, the host's stub. */
static Job *attach_job(const char *guest, const char *bdf, bool managed, bool force) {
        Job *j = job_new(JOB_ATTACH, guest);
        job_add_device(j, bdf);
        j->force = force;
        j->record = (StoredAssignment) { .guest = g_strdup(guest), .managed = managed, .vslot = -1,
                                         .options = g_strdup(""), .driver = g_strdup(""),
                                         .reset_policy = g_strdup("strict") };
        snprintf(j->record.address, sizeof(j->record.address), "%s", bdf);
        return j;
}

static void attach_refused(Fixture *f, const char *guest, const char *bdf, bool managed, PtErrorCode code,
                           const char *needle) {
        Counts before = counts(f);
        _cleanup_(job_freep) Job *j = attach_job(guest, bdf, managed, false);
        assert_refused(f, j, &before, code, needle);
}

static void test_more_refusals(Fixture *f, gconstpointer data) {
        /* Start: the hardware at an address changed, or is gone. */
        assign(f, "g1", "0000:02:00.0", true, "strict");
        g_free(f->m->assignments.items[0].problem);
        f->m->assignments.items[0].problem = g_strdup("mismatched: 8086:1234 is there now");
        plan_refused(f, JOB_START_GUEST, "g1", NULL, PT_ERR_DEVICE_MISMATCHED, "0000:02:00.0: mismatched");
        g_clear_pointer(&f->m->assignments.items[0].problem, g_free);
        model_set_failed(f->m, "0000:02:00.0", true);
        plan_refused(f, JOB_START_GUEST, "g1", NULL, PT_ERR_DEVICE_FAILED, "0000:02:00.0 does not answer");
        model_set_failed(f->m, "0000:02:00.0", false);
        /* Split since assigned: the seed's bridge functions go together; the fourth, on its host driver, is in the
         * way (hidden, it would not be: tests/test-reset-scope.c). */
        assign(f, "bridged", "0000:06:00.0", true, "best-effort");
        assign(f, "bridged", "0000:06:00.1", true, "best-effort");
        assign(f, "bridged", "0000:06:00.2", true, "best-effort");
        plan_refused(f, JOB_START_GUEST, "bridged", NULL, PT_ERR_GROUP_NOT_VIABLE,
                     "IOMMU group 9 is not viable: 0000:06:03.0 is bound to host driver e1000");

        /* Reset of an address with nothing there, and of a device with no reset. */
        plan_refused(f, JOB_RESET, NULL, "0000:0f:00.0", PT_ERR_NOT_FOUND, "no PCI device 0000:0f:00.0");
        Device *audio = inventory_find_bdf(&f->m->inventory, "0000:00:1b.0");
        g_free(audio->driver);
        audio->driver = g_strdup("");
        plan_refused(f, JOB_RESET, NULL, "0000:00:1b.0", PT_ERR_NO_RESET, "0000:00:1b.0 has");

        /* Attach: stuck, not answering, unmanaged on a host driver, group, co-assignment, reset, the rate. */
        model_set_stuck(f->m, "0000:00:19.0", true);
        attach_refused(f, "g9", "0000:00:19.0", true, PT_ERR_DEVICE_STUCK, "0000:00:19.0 is stuck");
        model_set_stuck(f->m, "0000:00:19.0", false);
        attach_refused(f, "g9", "0000:00:19.0", false, PT_ERR_STILL_ATTACHED,
                       "device 0000:00:19.0 is still attached to host driver e1000e");
        attach_refused(f, "g9", "0000:00:1f.2", true, PT_ERR_GROUP_NOT_VIABLE, "IOMMU group 10 is not viable");
        attach_refused(f, "g9", "0000:00:1b.0", true, PT_ERR_NO_RESET, "cannot attach 0000:00:1b.0: it has");
        attach_refused(f, "g9", "0000:06:03.0", true, PT_ERR_GROUP_NOT_VIABLE,
                       "cannot attach 0000:06:03.0: IOMMU group 9 is not viable");
        for (unsigned i = 0; i < f->m->limiter.burst; i++)
                g_assert_cmpint(ratelimit_record(&f->m->limiter, "0000:00:19.0", model_now(f->m)), ==, 0);
        attach_refused(f, "g9", "0000:00:19.0", true, PT_ERR_RATE_LIMITED,
                       "0000:00:19.0 was hot(un)plugged 512 times in the last 60 s");

        /* Detach: a guest that is not running; a stuck device. */
        assign(f, "g2", "0000:01:00.0", true, "strict");
        plan_refused(f, JOB_DETACH, "g2", "0000:01:00.0", PT_ERR_GUEST_NOT_RUNNING, "guest g2 is not running");
        mark_running(f, "g2", NULL, NULL);
        model_set_stuck(f->m, "0000:01:00.0", true);
        plan_refused(f, JOB_DETACH, "g2", "0000:01:00.0", PT_ERR_DEVICE_STUCK, "0000:01:00.0 is stuck");
        /* Hide a stuck device; unhide a running guest's. */
        plan_refused(f, JOB_HIDE, NULL, "0000:01:00.0", PT_ERR_DEVICE_STUCK, "0000:01:00.0 is stuck");
        model_set_stuck(f->m, "0000:01:00.0", false);
        g_assert_cmpint(store_hide(f->m->store, "0000:01:00.0", "vfio-pci"), ==, 0);
        g_assert_cmpint(model_reload_records(f->m), ==, 0);
        plan_refused(f, JOB_UNHIDE, NULL, "0000:01:00.0", PT_ERR_GUEST_RUNNING, "in guest g2, which is running");
}

static void test_host_critical(Fixture *f, gconstpointer data) {
        /* The boot VGA device: refused unless forced, and then the act says so. */
        plan_refused(f, JOB_HIDE, NULL, "0000:00:02.0", PT_ERR_HOST_CRITICAL, "0000:00:02.0 is host-critical");
        attach_refused(f, "g1", "0000:00:02.0", true, PT_ERR_HOST_CRITICAL, "0000:00:02.0 is host-critical");
        _cleanup_(job_freep) Job *j = attach_job("g1", "0000:00:02.0", true, true);
        /* Its FLR is not one the config space backs: this test is about admission, not resets. */
        free(j->record.reset_policy);
        j->record.reset_policy = g_strdup("none");
        PtError e = {};
        if (plan_job(f->m, j, &e) < 0)
                g_error("forced attach refused: %s", e.message);
        g_assert_cmpuint(j->n_notes, ==, 1);
        g_assert_nonnull(strstr(j->notes[0].text, "Taking host-critical device 0000:00:02.0 anyway (forced)"));
}

static void test_store_problem(Fixture *f, gconstpointer data) {
        assign(f, "g1", "0000:02:00.0", true, "strict");
        f->m->store_problem = g_strdup("the assignment database is broken");
        plan_refused(f, JOB_START_GUEST, "g1", NULL, PT_ERR_STORE_CORRUPT, "the assignment database is broken");
        plan_refused(f, JOB_HIDE, NULL, "0000:00:19.0", PT_ERR_STORE_CORRUPT, "the assignment database is broken");
        /* A reset changes no record: still possible. */
        _cleanup_(job_freep) Job *j = plan_ok(f, JOB_RESET, NULL, "0000:03:00.0");
        g_assert_true(j->devices[0].reset);
}

static void test_best_effort_note(Fixture *f, gconstpointer data) {
        assign(f, "audio", "0000:00:1b.0", true, "best-effort");
        _cleanup_(job_freep) Job *j = plan_ok(f, JOB_START_GUEST, "audio", NULL);
        g_assert_false(j->devices[0].reset);
        g_assert_true(j->devices[0].reset_best_effort);
        /* Said when it runs, not while planning. */
        g_assert_nonnull(strstr(j->devices[0].reset_note, "Not resetting 0000:00:1b.0 (reset policy best-effort)"));
}

static void test_stop(Fixture *f, gconstpointer data) {
        assign(f, "g1", "0000:02:00.0", true, "strict");
        plan_refused(f, JOB_STOP_GUEST, "g1", NULL, PT_ERR_GUEST_NOT_RUNNING, "guest g1 is not running");
        mark_running(f, "g1", "0000:02:00.0", "nvme");
        _cleanup_(job_freep) Job *j = plan_ok(f, JOB_STOP_GUEST, "g1", NULL);
        g_assert_cmpuint(j->n_devices, ==, 1);
        g_assert_true(j->devices[0].release);
        g_assert_true(j->devices[0].reset);
        g_assert_cmpstr(j->devices[0].original_driver, ==, "nvme");
        g_assert_true(records_guest_running(&f->m->records, "g1"));
}

static void test_attach_detach(Fixture *f, gconstpointer data) {
        plan_refused(f, JOB_ATTACH, "g9", "0000:00:1e.0", PT_ERR_NOT_ASSIGNABLE, "is a bridge");
        plan_refused(f, JOB_ATTACH, "g9", "0000:0f:00.0", PT_ERR_NOT_FOUND, "no PCI device 0000:0f:00.0");
        assign(f, "g1", "0000:02:00.0", true, "strict");
        plan_refused(f, JOB_ATTACH, "g1", "0000:00:19.0", PT_ERR_GUEST_NOT_RUNNING, "guest g1 is not running");
        plan_refused(f, JOB_ATTACH, "g2", "0000:02:00.0", PT_ERR_ALREADY_ASSIGNED, "already assigned to guest g1");
        plan_refused(f, JOB_DETACH, "g1", "0000:00:19.0", PT_ERR_NOT_ASSIGNED, "is not attached to guest g1");

        /* A guest passthrud knows nothing of is taken to be running. */
        _cleanup_(job_freep) Job *j = job_new(JOB_ATTACH, "g2");
        JobDevice *jd = job_add_device(j, "0000:00:19.0");
        j->record = (StoredAssignment) { .guest = g_strdup("g2"), .managed = true, .vslot = -1,
                                         .options = g_strdup(""), .driver = g_strdup(""),
                                         .reset_policy = g_strdup("strict") };
        PtError e = {};
        g_assert_cmpint(plan_job(f->m, j, &e), ==, 0);
        g_assert_true(jd->claim);
        g_assert_cmpstr(jd->original_driver, ==, "e1000e");
        g_assert_cmpstr(jd->reset_method, ==, "pm");
        /* Not counted in the rate window while planning. */
        g_assert_cmpuint(ratelimit_count(&f->m->limiter, "0000:00:19.0", model_now(f->m)), ==, 0);
        g_assert_false(assignments_find(&f->m->assignments, "0000:00:19.0"));
}

static void test_hide_unhide_reset(Fixture *f, gconstpointer data) {
        plan_refused(f, JOB_UNHIDE, NULL, "0000:00:19.0", PT_ERR_NOT_HIDDEN, "0000:00:19.0 is not hidden");
        plan_refused(f, JOB_HIDE, NULL, "0000:00:1e.0", PT_ERR_NOT_ASSIGNABLE, "bridges cannot be hidden");
        {
                _cleanup_(job_freep) Job *j = plan_ok(f, JOB_HIDE, NULL, "0000:00:19.0");
                g_assert_true(j->devices[0].claim);
                g_assert_cmpstr(j->devices[0].holder, ==, STORE_HOLDER_HIDDEN);
                /* Planned, not recorded: the executor records the hide as its first step. */
                g_assert_false(records_find_hidden(&f->m->records, "0000:00:19.0"));
        }
        /* An address with no device yet can be hidden; nothing to claim. */
        {
                _cleanup_(job_freep) Job *j = plan_ok(f, JOB_HIDE, NULL, "0000:0f:00.0");
                g_assert_false(j->devices[0].claim);
        }
        g_assert_cmpint(store_hide(f->m->store, "0000:00:19.0", "vfio-pci"), ==, 0);
        g_assert_cmpint(model_reload_records(f->m), ==, 0);
        plan_refused(f, JOB_HIDE, NULL, "0000:00:19.0", PT_ERR_ALREADY_HIDDEN, "already hidden (driver vfio-pci)");
        {
                /* On its host driver with no hold: unhiding leaves it there. */
                _cleanup_(job_freep) Job *j = plan_ok(f, JOB_UNHIDE, NULL, "0000:00:19.0");
                g_assert_false(j->devices[0].release);
        }

        plan_refused(f, JOB_RESET, NULL, "0000:00:19.0", PT_ERR_STILL_ATTACHED, "bound to host driver e1000e");
        plan_refused(f, JOB_RESET, NULL, "0000:00:1b.0", PT_ERR_STILL_ATTACHED, "snd_hda_intel");
        assign(f, "g1", "0000:02:00.0", true, "strict");
        mark_running(f, "g1", NULL, NULL);
        plan_refused(f, JOB_RESET, NULL, "0000:02:00.0", PT_ERR_GUEST_RUNNING, "belongs to guest g1, which is running");
        /* 03:00.0 has no driver: its only reset is the bus below its root port, which nobody else is on. */
        _cleanup_(job_freep) Job *j = plan_ok(f, JOB_RESET, NULL, "0000:03:00.0");
        g_assert_cmpstr(j->devices[0].reset_method, ==, "bus");
}

static void test_recovery(Fixture *f, gconstpointer data) {
        /* A start cut short after its claim: the hold goes home. A hidden device found on its host driver: claimed
         * back. */
        assign(f, "g1", "0000:02:00.0", true, "strict");
        int64_t op, start;
        StoredHold h = { .stub = (char *) "vfio-pci", .original_driver = (char *) "nvme",
                         .original_module = (char *) "", .original_override = (char *) "", .holder = (char *) "g1" };
        snprintf(h.address, sizeof(h.address), "0000:02:00.0");
        g_assert_cmpint(store_op_begin(f->m->store, "start", "g1", NULL, NULL, &start), ==, 0);
        g_assert_cmpint(store_op_begin(f->m->store, "claim", "g1", "0000:02:00.0", &h, &op), ==, 0);
        g_assert_cmpint(store_hide(f->m->store, "0000:00:19.0", "vfio-pci"), ==, 0);
        g_assert_cmpint(model_reload_records(f->m), ==, 0);

        StoredOperation *ops = NULL;
        size_t n_ops = 0;
        g_assert_cmpint(store_load_operations(f->m->store, &ops, &n_ops), ==, 0);
        _cleanup_(job_freep) Job *j = job_new(JOB_RECOVER, NULL);
        _cleanup_strv_free_ char **settling = NULL, **failed = NULL;
        Counts before = counts(f);
        g_assert_cmpint(plan_recovery(f->m, j, ops, n_ops, &settling, &failed), ==, 0);
        Counts after = counts(f);
        g_assert_cmpmem(&before, sizeof(before), &after, sizeof(after));
        g_assert_null(failed);
        /* Why, said when the job runs. */
        g_assert_cmpuint(j->n_notes, ==, 2);
        g_assert_nonnull(strstr(j->notes[0].text, "Recovery: returning to its original driver 0000:02:00.0, because "
                                                  "its guest's start or stop was interrupted"));
        g_assert_nonnull(strstr(j->notes[1].text, "Hidden device 0000:00:19.0 is on e1000e: claiming it for vfio-pci"));
        g_assert_true(pt_strv_contains(settling, "g1"));
        JobDevice *nvme = job_find_device(j, "0000:02:00.0"), *nic = job_find_device(j, "0000:00:19.0");
        g_assert_nonnull(nvme);
        g_assert_true(nvme->release);
        g_assert_cmpstr(nvme->original_driver, ==, "nvme");
        g_assert_nonnull(nic);
        g_assert_true(nic->claim);
        g_assert_cmpstr(nic->original_driver, ==, "e1000e");
        for (size_t i = 0; i < n_ops; i++)
                stored_operation_done(&ops[i]);
        free(ops);
}

/* The VF pool's choice: free ones only, the asked node first, each once, and -ENOSPC with too few. */
static void test_vf_pool_choose(void) {
        const VfCandidate c[] = {
                { "0000:03:00.1", 0, true }, { "0000:03:00.2", 0, false }, { "0000:03:00.3", 0, true },
                { "0000:81:00.1", 1, true }, { "0000:81:00.2", 1, false }, { "0000:81:00.3", 1, true },
        };
        size_t got[4];
        g_assert_cmpint(vf_pool_choose(c, G_N_ELEMENTS(c), 3, 1, got), ==, 0);
        g_assert_cmpuint(got[0], ==, 3);
        g_assert_cmpuint(got[1], ==, 5);
        g_assert_cmpuint(got[2], ==, 0); /* node 1 has two free: the third from node 0 */
        g_assert_cmpint(vf_pool_choose(c, G_N_ELEMENTS(c), 2, -1, got), ==, 0);
        g_assert_cmpuint(got[0], ==, 0);
        g_assert_cmpuint(got[1], ==, 2);
        g_assert_cmpint(vf_pool_choose(c, G_N_ELEMENTS(c), 4, 0, got), ==, 0);
        for (size_t i = 0; i < 4; i++) {
                g_assert_true(c[got[i]].free);
                for (size_t k = 0; k < i; k++)
                        g_assert_cmpuint(got[i], !=, got[k]);
        }
        g_assert_cmpint(vf_pool_choose(c, G_N_ELEMENTS(c), 5, -1, got), ==, -ENOSPC);
        g_assert_cmpint(vf_pool_choose(c, 0, 1, -1, got), ==, -ENOSPC);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/plan/vf-pool-choose", test_vf_pool_choose);
#define ADD(path, fn) g_test_add(path, Fixture, "standard.topo", setup, fn, teardown)
        ADD("/plan/start", test_start);
        ADD("/plan/start-refusals", test_start_refusals);
        ADD("/plan/best-effort-note", test_best_effort_note);
        ADD("/plan/stop", test_stop);
        ADD("/plan/attach-detach", test_attach_detach);
        ADD("/plan/hide-unhide-reset", test_hide_unhide_reset);
        ADD("/plan/recovery", test_recovery);
        ADD("/plan/more-refusals", test_more_refusals);
        ADD("/plan/store-problem", test_store_problem);
        g_test_add("/plan/host-critical", Fixture, "safety.topo", setup, test_host_critical, teardown);
        return g_test_run();
}
