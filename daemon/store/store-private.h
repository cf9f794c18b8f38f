/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the store's files; nothing outside daemon/store*.c sees the SQLite handle. */
#include <pthread.h>
#include <sqlite3.h>

#include "store.h"

#define STORE_STATEMENT_CACHE 32

struct Store {
        pthread_mutex_t lock;   /* held by the journal's writes: lanes of one job share the connection */
        bool relaxed_sync;      /* the connection commits with synchronous=NORMAL now */
        sqlite3 *db;
        char *path;
        /* Statements prepared once and kept, keyed by the address of their SQL literal. */
        struct {
                const char *sql;
                sqlite3_stmt *st;
        } cache[STORE_STATEMENT_CACHE];
};

/* Logs and maps an SQLite result code to a negative errno. */
int sql_error(Store *s, int rc, const char *what);
int store_exec(Store *s, const char *sql);
/* A kept statement for sql, which must be a string literal; reset and unbound, ready to bind. */
int store_statement(Store *s, const char *sql, sqlite3_stmt **ret);
/* Runs one kept statement that returns no rows (BEGIN IMMEDIATE, COMMIT, ROLLBACK, ...). */
int store_run(Store *s, const char *sql);
/* Steps a statement that returns no rows, then resets it for the next bindings. */
int step_bound(Store *s, sqlite3_stmt *st, const char *what);
