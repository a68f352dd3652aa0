/*
 * Schema migrations for zesctl (daemon/store/migrate.c).  Blocking libpq:
 * never call this from the daemon's event loops.
 */
#ifndef ZES_MIGRATE_H
#define ZES_MIGRATE_H

#include <stdio.h>
#include <libpq-fe.h>
#include "zes/common.h"

/*
 * Apply the NNNN_name.sql files of schema_dir that the table
 * schema_migrations does not record yet, in order, each in its own
 * transaction, and record them.  Prints "applied NNNN_name" per file, or
 * "schema is up to date", on out.  Refuses to run (and applies nothing) when
 * a recorded migration's file is missing or changed, or a new file sorts
 * before one already applied.  A session advisory lock keeps two migrators
 * apart; the second waits and then finds nothing to do.  Sets the
 * connection's client_encoding to UTF8 (the files are UTF-8).
 *
 * Returns 0, or -1 with *err set to a one-line message the caller frees.
 * Migrations committed before a failure stay committed.
 */
int	zes_migrate_run(PGconn *conn, const char *schema_dir, FILE *out,
	    char **err) ZES_MUSTCHECK;

#endif
