/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/assign: Assign+Unassign round trips per second over D-Bus against a running passthrud, and the floor
 * under them measured in the same run: the same two durable SQLite transactions (WAL, synchronous=FULL) done
 * directly, with no bus and no daemon.   usage: bench-assign DEVICE ROUNDS SCRATCH_DIR */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-bus.h>
#include <time.h>

static double now(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static int call(sd_bus *bus, const char *method, const char *device) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, "org.passthru1", "/org/passthru1", "org.passthru1.Manager", method);
        if (r >= 0)
                r = sd_bus_message_append(m, "sas", "bench", 1, device);
        if (r >= 0 && method[0] == 'A')
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                fprintf(stderr, "%s failed: %s\n", method, error.message ? error.message : "");
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return r;
}

int main(int argc, char *argv[]) {
        if (argc != 4)
                return 2;
        const char *device = argv[1];
        int rounds = atoi(argv[2]);
        sd_bus *bus = NULL;

        if (sd_bus_open_system(&bus) < 0)
                return 1;
        double t0 = now();
        for (int i = 0; i < rounds; i++)
                if (call(bus, "Assign", device) < 0 || call(bus, "Unassign", device) < 0)
                        return 1;
        double bus_s = now() - t0;
        sd_bus_flush_close_unref(bus);

        char path[4096];
        snprintf(path, sizeof(path), "%s/floor.db", argv[3]);
        sqlite3 *db;
        if (sqlite3_open(path, &db) != SQLITE_OK)
                return 1;
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                         "CREATE TABLE IF NOT EXISTS a (address TEXT PRIMARY KEY, guest TEXT)", NULL, NULL, NULL);
        t0 = now();
        for (int i = 0; i < rounds; i++) {
                sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO a VALUES ('0000:02:00.0', 'bench'); COMMIT;", NULL, NULL, NULL);
                sqlite3_exec(db, "BEGIN IMMEDIATE; DELETE FROM a WHERE guest = 'bench'; COMMIT;", NULL, NULL, NULL);
        }
        double floor_s = now() - t0;
        sqlite3_close(db);

        printf("rounds: %d (each Assign + Unassign of %s)\n", rounds, device);
        printf("passthrud over D-Bus: %.0f calls/s (%.2f ms per call)\n", 2 * rounds / bus_s, bus_s * 1000 / (2 * rounds));
        printf("SQLite floor (same transactions, no bus): %.0f transactions/s (%.2f ms each)\n", 2 * rounds / floor_s,
               floor_s * 1000 / (2 * rounds));
        printf("ratio passthrud / floor (time per call): %.2f\n", bus_s / floor_s);
        return 0;
}
