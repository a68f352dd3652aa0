/*
 * Small blocking libpq helpers shared by zesctl's database code (migrations,
 * the RDW import).  zesctl only: zesd never links them (scripts/check-blocking.sh).
 */
#ifndef ZES_CTLPG_H
#define ZES_CTLPG_H

#include <libpq-fe.h>

#include "zes/common.h"

/* Set *err (if NULL so far: the first error wins) to one formatted line. */
void		 zes_ctlpg_error(char **err, const char *fmt, ...) ZES_PRINTF(2, 3);
/* The primary message of a failed result, or libpq's when there is none. */
const char	*zes_ctlpg_message(PGconn *, const PGresult *);
/* Run statements without parameters; 0 ok, -1 with *err ("what: message"). */
int		 zes_ctlpg_command(PGconn *, const char *sql, const char *what,
		    char **err) ZES_MUSTCHECK;

#endif
