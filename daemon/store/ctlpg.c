/*
 * Blocking libpq helpers for zesctl: one-line error messages and running
 * statements without parameters.  Never linked into zesd.
 */

#include <stdarg.h>
#include <stdio.h>

#include "zes/ctlpg.h"
#include "zes/xmalloc.h"

/* Set *err to a one-line message unless an earlier error is there. */
void
zes_ctlpg_error(char **err, const char *fmt, ...)
{
	char	 buf[2048];
	char	*p;
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* Server and libpq messages may span lines: keep one. */
	for (p = buf; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
	}
	while (p > buf && p[-1] == ' ')
		*--p = '\0';
	if (err != NULL && *err == NULL)
		*err = xstrdup(buf);
}

/* The primary message of a failed result, or libpq's when there is none. */
const char *
zes_ctlpg_message(PGconn *conn, const PGresult *res)
{
	const char	*m;

	if (res != NULL &&
	    (m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)) != NULL)
		return m;
	m = PQerrorMessage(conn);
	return (m != NULL && *m != '\0') ? m : "unknown database error";
}

/* Run statements without parameters (several, separated by ';'). */
int
zes_ctlpg_command(PGconn *conn, const char *sql, const char *what, char **err)
{
	PGresult	*res;
	int		 rc = 0;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		zes_ctlpg_error(err, "%s: %s", what, zes_ctlpg_message(conn, res));
		rc = -1;
	}
	PQclear(res);
	return rc;
}
