/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the store's files; nothing outside daemon/store*.c sees the SQLite handle. */
#include <sqlite3.h>

#include "store.h"

struct Store {
        sqlite3 *db;
        char *path;
};

/* Logs and maps an SQLite result code to a negative errno. */
int sql_error(Store *s, int rc, const char *what);
int store_exec(Store *s, const char *sql);
/* Steps a statement that returns no rows, then resets it for the next bindings. */
int step_bound(Store *s, sqlite3_stmt *st, const char *what);
