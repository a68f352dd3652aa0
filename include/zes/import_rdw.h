/*
 * zesctl import-rdw: load the RDW open-data exports (DOMAIN.md section 8)
 * into the vehicles table in one transaction (docs/register.md).  Blocking
 * libpq; zesctl only, never the daemon.
 */
#ifndef ZES_IMPORT_RDW_H
#define ZES_IMPORT_RDW_H

#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "zes/common.h"
#include "zes/rdwcsv.h"

struct zes_import_rdw;

/* What one file contributed, for the caller's messages. */
struct zes_import_rdw_file_stats {
	uint64_t	rows;		/* records after the header */
	uint64_t	skipped;	/* rows of a detail file that could not be read */
	uint64_t	first_skipped_line;
	char		first_skipped_why[ZES_RDW_WHY_LEN];
	uint64_t	unmatched;	/* detail rows of plates not in the vehicles file */
};

struct zes_import_rdw_result {
	uint64_t	read;		/* rows of the vehicles file */
	uint64_t	loaded;		/* of those, written to the register */
	uint64_t	rejected;	/* read - loaded, each printed with its reason */
	uint64_t	inserted;	/* of the loaded, plates new to the register */
	uint64_t	updated;	/* ... and known plates whose record changed */
	int64_t		change_seq;	/* change_log seq of the import */
	uint64_t	fuels_cut;	/* vehicles with more fuel rows than ZES_VEHICLE_MAX_FUELS */
	uint64_t	specials_cut;	/* ... more special codes than ZES_VEHICLE_MAX_SPECIALS */
	struct zes_import_rdw_file_stats files[ZES_RDW_NFILES];
};

/*
 * Open the files (paths[ZES_RDW_VEHICLES] and paths[ZES_RDW_FUELS] are
 * required, the others may be NULL) and check their headers, before any
 * database work.  NULL with a one-line message in *err (free it) when a
 * file cannot be read or lacks a column: then nothing may be loaded.
 */
struct zes_import_rdw	*zes_import_rdw_open(const char *const paths[ZES_RDW_NFILES],
			    char **err) ZES_MUSTCHECK;

/*
 * Load everything in one transaction on conn (connected, idle): the valid
 * rows of the vehicles file, with their fuels, bodies, body codes and
 * special codes, replace the records of their plates; one change_log row
 * and one audit entry record the import.  Each rejected row of the vehicles
 * file is printed on out as "line N: reason" while reading.  0 when it
 * committed, with *res filled; -1 with *err (free it) when it did not, and
 * then nothing was loaded.
 */
int	zes_import_rdw_run(struct zes_import_rdw *, PGconn *conn, FILE *out,
	    struct zes_import_rdw_result *res, char **err) ZES_MUSTCHECK;

/* Close the files and free everything. */
void	zes_import_rdw_free(struct zes_import_rdw *);

#endif
