/*
 * zesctl: the administrator's tool (API.md, "Command line").  Every command
 * is one entry of ctl_cmds[], with its synopsis, its help and its function.
 * It blocks on libpq, which is why it is not part of the daemon.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "zes/common.h"
#include "zes/config.h"
#include "zes/import_rdw.h"
#include "zes/migrate.h"
#include "zes/rulesdir.h"
#include "zes/ruleset.h"
#include "zes/token.h"
#include "zes/version.h"
#include "zes/xmalloc.h"

#ifndef ZES_SCHEMA_DIR
#error "ZES_SCHEMA_DIR must name the installed schema directory"
#endif

#define CTL_EXIT_OK	0
#define CTL_EXIT_FAIL	1	/* the database or the environment said no */
#define CTL_EXIT_USAGE	2	/* the command line is wrong */

#define CTL_NAME_MAX	100	/* characters; tokens.name has the same check */

/* SQLSTATEs that get a specific message. */
#define CTL_UNIQUE_VIOLATION	"23505"
#define CTL_UNDEFINED_TABLE	"42P01"
#define CTL_UNDEFINED_FUNCTION	"42883"

struct ctl_cmd;

/* State of one run: the global options and the connection, once made. */
struct ctl {
	const char		*database_url;	/* --database-url, else NULL */
	const struct ctl_cmd	*cmd;		/* the command being run */
	PGconn			*conn;		/* NULL until ctl_connect() */
};

struct ctl_cmd {
	const char	*name;		/* one or two words: "token create" */
	const char	*args;		/* synopsis of what follows the name */
	const char	*summary;	/* one line for zesctl --help */
	const char	*help;		/* the rest of zesctl <name> --help */
	int		 (*run)(struct ctl *, int argc, char **argv);
};

static int	ctl_migrate(struct ctl *, int, char **);
static int	ctl_token_create(struct ctl *, int, char **);
static int	ctl_token_revoke(struct ctl *, int, char **);
static int	ctl_token_list(struct ctl *, int, char **);
static int	ctl_import_rdw(struct ctl *, int, char **);
static int	ctl_check_rules(struct ctl *, int, char **);
static int	ctl_audit_link(struct ctl *, int, char **);
static int	ctl_purge(struct ctl *, int, char **);
static int	ctl_link(struct ctl *, long long *);

static const struct ctl_cmd ctl_cmds[] = {
	{
		"migrate", "[--schema-dir DIR]",
		"apply the schema migrations not applied yet",
		"Apply the NNNN_name.sql files of the schema directory that the\n"
		"database has not recorded yet, in order, each in its own\n"
		"transaction, and print \"applied NNNN_name\" for each (or \"schema\n"
		"is up to date\").  Running it again changes nothing.  It refuses\n"
		"to run when an applied file has been changed since.\n"
		"\n"
		"  --schema-dir DIR  the migrations (default: $ZES_SCHEMA_DIR, else\n"
		"                    " ZES_SCHEMA_DIR ")\n",
		ctl_migrate,
	},
	{
		"token create", "--role ROLE [--municipality GMxxxx] --name NAME",
		"create an API token and print it",
		"Create a bearer token and print it, alone on one line.  Only its\n"
		"SHA-256 is stored: it cannot be shown again.\n"
		"\n"
		"  --role ROLE            desk, assessor, enforcement, admin or auditor\n"
		"  --municipality GMxxxx  the CBS code of the municipality an assessor\n"
		"                         acts for; required for assessor, refused for\n"
		"                         the other roles\n"
		"  --name NAME            a unique name, 1 to 100 characters\n",
		ctl_token_create,
	},
	{
		"token revoke", "NAME",
		"revoke a token",
		"Revoke the token called NAME; zesd refuses it within a second.\n",
		ctl_token_revoke,
	},
	{
		"token list", "",
		"list the tokens (never their hashes)",
		"List every token: name, role, municipality, and when it was\n"
		"created, revoked and last used (UTC; '-' for never).\n",
		ctl_token_list,
	},
	{
		"import-rdw", "--vehicles FILE --fuels FILE [--bodies FILE]"
		" [--body-codes FILE] [--specials FILE]",
		"load the RDW open-data exports into the vehicle register",
		"Load the RDW's CSV exports (docs/register.md) in one transaction:\n"
		"the records of the plates in the vehicles file are replaced, all\n"
		"other plates are kept.  Each rejected row of the vehicles file is\n"
		"printed as \"line N: reason\" (the header is line 1), and last\n"
		"\"read N, loaded N, rejected N\".  Exit status 0 when it committed,\n"
		"1 when nothing was loaded.\n"
		"\n"
		"  --vehicles FILE    Gekentekende_voertuigen (required)\n"
		"  --fuels FILE       Gekentekende_voertuigen_brandstof (required)\n"
		"  --bodies FILE      Gekentekende_voertuigen_carrosserie\n"
		"  --body-codes FILE  Gekentekende_voertuigen_carrosserie_specificatie\n"
		"  --specials FILE    Gekentekende_voertuigen_bijzonderheden\n",
		ctl_import_rdw,
	},
	{
		"check-rules", "DIR",
		"validate a rules folder without a daemon",
		"Load the rules folder DIR exactly as zesd does at start and on a\n"
		"reload (rules/README.md), without a database.  When every file is\n"
		"valid, print \"ok: N rule sets (national V, GMnnnn V, ...)\" with\n"
		"each rule set's version and exit 0.  Otherwise print every error of\n"
		"every file on standard error, one per line as\n"
		"\"file#/json/pointer: message\", and exit 1.\n",
		ctl_check_rules,
	},
	{
		"audit link", "",
		"link committed audit entries into the hash chain",
		"Give the committed audit entries that have no seq yet their seq,\n"
		"prev_hash and hash (docs/audit.md), oldest first, in batches of\n"
		"1,000, each in its own transaction, and print \"linked N, chain\n"
		"length S\".  zesd does this every audit_link_ms by itself, and\n"
		"zesctl after its own changes; this is for a database no zesd\n"
		"runs on, e.g. after one was killed.  It waits for a linker that\n"
		"is running, and links what that one left.\n",
		ctl_audit_link,
	},
	{
		"purge", "[--dry-run] [--config FILE]",
		"remove the applications and exemptions past the retention period",
		"Remove, in one transaction, the exemptions that ended more than\n"
		"retention_months ago (at their validity's end, or their revocation\n"
		"when earlier) and the applications refused or withdrawn that long\n"
		"ago, or granted with such an exemption, with their Idempotency-Key\n"
		"records and the change_log rows older than the cut-off; write one\n"
		"audit entry (action purge) with the cut-off and the counts.  Never\n"
		"an application in review, nor an exemption still valid or to come.\n"
		"Print \"cutoff T (N months)\" and \"removed exemptions N,\n"
		"applications N, idempotency keys N, change log rows N\".\n"
		"\n"
		"  --dry-run      count only (\"would remove ...\"): nothing changes\n"
		"  --config FILE  zesd's configuration file: retention_months (default\n"
		"                 24; ZES_RETENTION_MONTHS wins, as for zesd), and\n"
		"                 its database_url when neither --database-url nor\n"
		"                 ZES_DATABASE_URL is given\n",
		ctl_purge,
	},
};

/* Print "zesctl: <message>" on one line of stderr. */
static void ZES_PRINTF(1, 2)
ctl_warn(const char *fmt, ...)
{
	char	 buf[2048];
	char	*r, *w;
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* libpq and server messages may span lines ("...\n\tHint"). */
	for (r = w = buf; *r != '\0'; r++) {
		if (*r != '\n' && *r != '\r' && *r != '\t')
			*w++ = *r;
		else if (w > buf && w[-1] != ' ')
			*w++ = ' ';
	}
	while (w > buf && w[-1] == ' ')
		w--;
	*w = '\0';
	fprintf(stderr, "zesctl: %s\n", buf);
}

/* Report a usage error, pointing at the relevant help, and exit 2. */
static void ZES_PRINTF(2, 3) ZES_NORETURN
ctl_usage(const struct ctl_cmd *cmd, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (cmd != NULL)
		ctl_warn("%s (see 'zesctl %s --help')", buf, cmd->name);
	else
		ctl_warn("%s (see 'zesctl --help')", buf);
	exit(CTL_EXIT_USAGE);
}

/* Print the tool's help on stdout. */
static void
ctl_help(void)
{
	size_t	i;

	printf("usage: zesctl [--database-url URL] COMMAND [ARGUMENTS]\n"
	    "       zesctl [COMMAND] --help | --version\n"
	    "\n"
	    "The administration tool of zesd, the zero-emission-zone exemptions\n"
	    "daemon.\n"
	    "\n"
	    "commands:\n");
	for (i = 0; i < ZES_NELEM(ctl_cmds); i++) {
		printf("  %s%s%s\n      %s\n", ctl_cmds[i].name,
		    *ctl_cmds[i].args != '\0' ? " " : "", ctl_cmds[i].args,
		    ctl_cmds[i].summary);
	}
	printf("\n"
	    "options:\n"
	    "  --database-url URL  libpq connection string or URI (default:\n"
	    "                      $ZES_DATABASE_URL)\n"
	    "  --help              this help; 'zesctl COMMAND --help' for a command's\n"
	    "  --version           the version of zesctl\n"
	    "\n"
	    "Exit status: 0 done, 1 failed, 2 usage error.\n");
}

/* Print a command's help on stdout. */
static void
ctl_cmd_help(const struct ctl_cmd *cmd)
{
	printf("usage: zesctl [--database-url URL] %s%s%s\n\n%s", cmd->name,
	    *cmd->args != '\0' ? " " : "", cmd->args, cmd->help);
}

/* Print the help of the commands of a group ("token"). */
static void
ctl_group_help(const char *group)
{
	size_t	i, n = strlen(group);

	printf("usage:\n");
	for (i = 0; i < ZES_NELEM(ctl_cmds); i++) {
		if (strncmp(ctl_cmds[i].name, group, n) == 0 &&
		    ctl_cmds[i].name[n] == ' ')
			printf("  zesctl %s%s%s\n      %s\n", ctl_cmds[i].name,
			    *ctl_cmds[i].args != '\0' ? " " : "",
			    ctl_cmds[i].args, ctl_cmds[i].summary);
	}
	printf("\n'zesctl %s SUBCOMMAND --help' tells more.\n", group);
}

/* 1 when an argument before "--" asks for help. */
static int
ctl_wants_help(int argc, char **argv)
{
	int	i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

/*
 * If argv[*i] is the option `name`, as "--name VALUE" or "--name=VALUE", set
 * *value (a usage error if it was set already), move *i onto the last
 * argument used and return 1; else return 0.
 */
static int
ctl_opt(const struct ctl_cmd *cmd, int argc, char **argv, int *i,
    const char *name, const char **value)
{
	size_t		 n = strlen(name);
	const char	*arg = argv[*i], *v;

	if (strncmp(arg, name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
		return 0;
	if (arg[n] == '=')
		v = arg + n + 1;
	else if (*i + 1 < argc)
		v = argv[++*i];
	else
		ctl_usage(cmd, "%s needs a value", name);
	if (*value != NULL)
		ctl_usage(cmd, "%s given twice", name);
	*value = v;
	return 1;
}

/*
 * Parse a command's arguments: the options of `names` (with --database-url
 * added) into `values`, and up to maxpos positional arguments into pos.
 * Anything else is a usage error.  Returns the number of positionals.
 */
static int
ctl_parse(struct ctl *ctl, int argc, char **argv, const char *const *names,
    const char **values, size_t nnames, const char **pos, int maxpos)
{
	size_t	j;
	int	i, npos = 0, dashdash = 0;

	for (i = 0; i < argc; i++) {
		if (!dashdash && strcmp(argv[i], "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (!dashdash && argv[i][0] == '-' && argv[i][1] != '\0') {
			if (ctl_opt(ctl->cmd, argc, argv, &i, "--database-url",
			    &ctl->database_url))
				continue;
			for (j = 0; j < nnames; j++) {
				if (ctl_opt(ctl->cmd, argc, argv, &i, names[j],
				    &values[j]))
					break;
			}
			if (j == nnames)
				ctl_usage(ctl->cmd, "unknown option %s", argv[i]);
			continue;
		}
		if (npos == maxpos)
			ctl_usage(ctl->cmd, "unexpected argument '%s'", argv[i]);
		pos[npos++] = argv[i];
	}
	return npos;
}

/* Connect to the database of --database-url or ZES_DATABASE_URL; 0 or -1. */
static int
ctl_connect(struct ctl *ctl)
{
	const char	*keys[] = { "dbname", "fallback_application_name",
			    "client_encoding", NULL };
	const char	*vals[] = { NULL, "zesctl", "UTF8", NULL };
	const char	*url = ctl->database_url;

	if (url == NULL || *url == '\0')
		url = getenv("ZES_DATABASE_URL");
	if (url == NULL || *url == '\0')
		ctl_usage(ctl->cmd, "no database: give --database-url URL or "
		    "set ZES_DATABASE_URL");
	/* dbname is expanded as a conninfo string or URI; later keys win. */
	vals[0] = url;
	ctl->conn = PQconnectdbParams(keys, vals, 1);
	if (ctl->conn == NULL) {
		ctl_warn("cannot connect to the database: out of memory");
		return -1;
	}
	if (PQstatus(ctl->conn) != CONNECTION_OK) {
		ctl_warn("cannot connect to the database: %s",
		    PQerrorMessage(ctl->conn));
		return -1;
	}
	return 0;
}

/* Report a failed statement, with a hint when the schema is missing. */
static void
ctl_dberror(struct ctl *ctl, const char *what, const PGresult *res)
{
	const char	*msg = NULL, *state = NULL;

	if (res != NULL) {
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	}
	if (msg == NULL)
		msg = PQerrorMessage(ctl->conn);
	if (state != NULL && (strcmp(state, CTL_UNDEFINED_TABLE) == 0 ||
	    strcmp(state, CTL_UNDEFINED_FUNCTION) == 0))
		ctl_warn("%s: %s (has 'zesctl migrate' run?)", what, msg);
	else
		ctl_warn("%s: %s", what, msg);
}

/*
 * Run one statement with text parameters (NULL for SQL NULL).  Returns the
 * result when its status is `want`; else reports it under `what` (unless
 * *failed is not NULL: then the failed result is handed back there for the
 * caller to inspect and clear) and returns NULL.
 */
static PGresult *
ctl_exec(struct ctl *ctl, const char *sql, int nparams,
    const char *const *params, ExecStatusType want, const char *what,
    PGresult **failed)
{
	PGresult	*res;

	res = PQexecParams(ctl->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == want)
		return res;
	if (failed != NULL)
		*failed = res;
	else {
		ctl_dberror(ctl, what, res);
		PQclear(res);
	}
	return NULL;
}

/* Run a statement whose result is not needed; 0 ok, -1 reported. */
static int
ctl_do(struct ctl *ctl, const char *sql, int nparams,
    const char *const *params, ExecStatusType want, const char *what)
{
	PGresult	*res;

	if ((res = ctl_exec(ctl, sql, nparams, params, want, what, NULL)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* Commit; 0 when the server committed, -1 (reported) when it did not. */
static int
ctl_commit(struct ctl *ctl)
{
	PGresult	*res;
	int		 rc = 0;

	res = PQexec(ctl->conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK ||
	    strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		ctl_dberror(ctl, "commit failed", res);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* Roll back the open transaction, if any. */
static void
ctl_rollback(struct ctl *ctl)
{
	PGTransactionStatusType	 ts;

	ts = PQtransactionStatus(ctl->conn);
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
		PQclear(PQexec(ctl->conn, "ROLLBACK"));
}

/* zesctl migrate [--schema-dir DIR] */
static int
ctl_migrate(struct ctl *ctl, int argc, char **argv)
{
	static const char *const	 names[] = { "--schema-dir" };
	const char			*values[1] = { NULL };
	const char			*dir;
	char				*err = NULL;
	struct stat			 st;

	(void)ctl_parse(ctl, argc, argv, names, values, 1, NULL, 0);
	if ((dir = values[0]) == NULL &&
	    ((dir = getenv("ZES_SCHEMA_DIR")) == NULL || *dir == '\0'))
		dir = ZES_SCHEMA_DIR;
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		ctl_warn("schema directory %s does not exist (give "
		    "--schema-dir DIR or set ZES_SCHEMA_DIR)", dir);
		return CTL_EXIT_FAIL;
	}
	if (ctl_connect(ctl) == -1)
		return CTL_EXIT_FAIL;
	if (zes_migrate_run(ctl->conn, dir, stdout, &err) == -1) {
		ctl_warn("migrate: %s", err != NULL ? err : "failed");
		free(err);
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

/*
 * Check a token name: 1 to CTL_NAME_MAX characters (UTF-8 code points, as
 * the database counts them), no control characters, which would garble
 * 'token list'.  Returns NULL or what is wrong.
 */
static const char *
ctl_name_problem(const char *name)
{
	const unsigned char	*p;
	size_t			 chars = 0;

	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return "contains a control character";
		if ((*p & 0xc0) != 0x80)
			chars++;
	}
	if (chars == 0)
		return "is empty";
	if (chars > CTL_NAME_MAX)
		return "is longer than 100 characters";
	return NULL;
}

/* zesctl token create --role ROLE [--municipality GMxxxx] --name NAME */
static int
ctl_token_create(struct ctl *ctl, int argc, char **argv)
{
	static const char *const	 names[] = { "--role", "--municipality",
					    "--name" };
	const char			*values[3] = { NULL, NULL, NULL };
	const char			*role, *muni, *name, *problem;
	const char			*params[4];
	int				 lengths[4] = { 0, 0, 0, ZES_TOKEN_HASH_LEN };
	int				 formats[4] = { 0, 0, 0, 1 };
	enum zes_role			 r;
	uint8_t				 rnd[32], hash[ZES_TOKEN_HASH_LEN];
	char				 token[ZES_TOKEN_LEN + 1];
	char				*id = NULL;
	PGresult			*res = NULL;
	const char			*state;
	int				 rc = CTL_EXIT_FAIL;

	(void)ctl_parse(ctl, argc, argv, names, values, 3, NULL, 0);
	role = values[0];
	muni = values[1];
	name = values[2];
	if (role == NULL)
		ctl_usage(ctl->cmd, "--role is required");
	if (name == NULL)
		ctl_usage(ctl->cmd, "--name is required");
	if ((r = zes_role_parse(role)) == ZES_ROLE_NONE)
		ctl_usage(ctl->cmd, "unknown role '%s': the roles are desk, "
		    "assessor, enforcement, admin and auditor", role);
	if (muni != NULL && !zes_municipality_code_valid(muni))
		ctl_usage(ctl->cmd, "bad municipality code '%s': GM and four "
		    "digits, as GM0599", muni);
	if (r == ZES_ROLE_ASSESSOR && muni == NULL)
		ctl_usage(ctl->cmd, "an assessor needs --municipality");
	if (r != ZES_ROLE_ASSESSOR && muni != NULL)
		ctl_usage(ctl->cmd, "only an assessor has a municipality");
	if ((problem = ctl_name_problem(name)) != NULL)
		ctl_usage(ctl->cmd, "the name %s", problem);

	if (ctl_connect(ctl) == -1)
		return CTL_EXIT_FAIL;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		OPENSSL_cleanse(rnd, sizeof(rnd));
		ctl_warn("cannot get random bytes from OpenSSL");
		return CTL_EXIT_FAIL;
	}
	zes_token_format(rnd, token);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	zes_token_hash(token, strlen(token), hash);

	if (ctl_do(ctl, "BEGIN", 0, NULL, PGRES_COMMAND_OK,
	    "cannot begin a transaction") == -1)
		goto out;

	params[0] = name;
	params[1] = zes_role_name(r);
	params[2] = muni;
	params[3] = (const char *)hash;
	res = PQexecParams(ctl->conn,
	    "INSERT INTO tokens (name, role, municipality, hash)"
	    " VALUES ($1, $2, $3, $4) RETURNING id::text",
	    4, NULL, params, lengths, formats, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state != NULL && strcmp(state, CTL_UNIQUE_VIOLATION) == 0 &&
		    PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) != NULL &&
		    strcmp(PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME),
		    "tokens_name_key") == 0)
			ctl_warn("a token named '%s' exists already", name);
		else
			ctl_dberror(ctl, "cannot store the token", res);
		goto out;
	}
	id = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;

	/* The audit entry and the change row commit with the token, or nothing does. */
	params[0] = id;
	params[1] = name;
	params[2] = zes_role_name(r);
	params[3] = muni;
	if (ctl_do(ctl, "SELECT zes_audit_append('zesctl', 'token.create',"
	    " 'token/' || $1, jsonb_build_object('name', $2::text,"
	    " 'role', $3::text, 'municipality', $4::text))", 4, params,
	    PGRES_TUPLES_OK, "cannot write the audit entry") == -1)
		goto out;
	if (ctl_do(ctl, "SELECT zes_change('token', $1, 'create')", 1, params,
	    PGRES_TUPLES_OK, "cannot record the change") == -1)
		goto out;
	if (ctl_commit(ctl) == -1)
		goto out;
	/* Best effort: zesd links it anyway; the token is made. */
	(void)ctl_link(ctl, NULL);

	printf("%s\n", token);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ctl_warn("cannot write the token to standard output; revoke "
		    "it with 'zesctl token revoke %s'", name);
		goto out;
	}
	rc = CTL_EXIT_OK;
out:
	PQclear(res);
	if (rc != CTL_EXIT_OK)
		ctl_rollback(ctl);
	OPENSSL_cleanse(token, sizeof(token));
	free(id);
	return rc;
}

/* zesctl token revoke NAME */
static int
ctl_token_revoke(struct ctl *ctl, int argc, char **argv)
{
	const char	*pos[1], *params[2];
	PGresult	*res = NULL;
	char		*id = NULL;
	int		 rc = CTL_EXIT_FAIL;

	if (ctl_parse(ctl, argc, argv, NULL, NULL, 0, pos, 1) != 1)
		ctl_usage(ctl->cmd, "the name of the token is missing");
	if (ctl_connect(ctl) == -1)
		return CTL_EXIT_FAIL;
	if (ctl_do(ctl, "BEGIN", 0, NULL, PGRES_COMMAND_OK,
	    "cannot begin a transaction") == -1)
		goto out;

	params[0] = pos[0];
	if ((res = ctl_exec(ctl, "UPDATE tokens SET revoked_at = now()"
	    " WHERE name = $1 AND revoked_at IS NULL RETURNING id::text",
	    1, params, PGRES_TUPLES_OK, "cannot revoke the token",
	    NULL)) == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		PQclear(res);
		if ((res = ctl_exec(ctl, "SELECT 1 FROM tokens WHERE name = $1",
		    1, params, PGRES_TUPLES_OK, "cannot look up the token",
		    NULL)) == NULL)
			goto out;
		if (PQntuples(res) == 0)
			ctl_warn("no token is named '%s'", pos[0]);
		else
			ctl_warn("the token '%s' is revoked already", pos[0]);
		goto out;
	}
	id = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;

	params[0] = id;
	params[1] = pos[0];
	if (ctl_do(ctl, "SELECT zes_audit_append('zesctl', 'token.revoke',"
	    " 'token/' || $1, jsonb_build_object('name', $2::text))", 2, params,
	    PGRES_TUPLES_OK, "cannot write the audit entry") == -1)
		goto out;
	if (ctl_do(ctl, "SELECT zes_change('token', $1, 'revoke')", 1, params,
	    PGRES_TUPLES_OK, "cannot record the change") == -1)
		goto out;
	if (ctl_commit(ctl) == -1)
		goto out;
	(void)ctl_link(ctl, NULL);
	rc = CTL_EXIT_OK;
out:
	PQclear(res);
	if (rc != CTL_EXIT_OK)
		ctl_rollback(ctl);
	free(id);
	return rc;
}

/* Width of a UTF-8 string in characters (code points). */
static size_t
ctl_width(const char *s)
{
	const unsigned char	*p;
	size_t			 n = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/* zesctl token list */
static int
ctl_token_list(struct ctl *ctl, int argc, char **argv)
{
	static const char *const	 head[] = { "NAME", "ROLE",
					    "MUNICIPALITY", "CREATED_AT",
					    "REVOKED_AT", "LAST_USED_AT" };
	size_t				 width[ZES_NELEM(head)], w;
	const char			*v;
	PGresult			*res;
	int				 row, nrows, col;

	(void)ctl_parse(ctl, argc, argv, NULL, NULL, 0, NULL, 0);
	if (ctl_connect(ctl) == -1)
		return CTL_EXIT_FAIL;
	if ((res = ctl_exec(ctl,
	    "SELECT name, role, coalesce(municipality, '-'),"
	    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " coalesce(to_char(revoked_at AT TIME ZONE 'UTC',"
	    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-'),"
	    " coalesce(to_char(last_used_at AT TIME ZONE 'UTC',"
	    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-')"
	    " FROM tokens ORDER BY created_at, name",
	    0, NULL, PGRES_TUPLES_OK, "cannot list the tokens", NULL)) == NULL)
		return CTL_EXIT_FAIL;

	nrows = PQntuples(res);
	for (col = 0; col < (int)ZES_NELEM(head); col++) {
		width[col] = strlen(head[col]);
		for (row = 0; row < nrows; row++) {
			if ((w = ctl_width(PQgetvalue(res, row, col))) > width[col])
				width[col] = w;
		}
	}
	for (row = -1; row < nrows; row++) {
		for (col = 0; col < (int)ZES_NELEM(head); col++) {
			v = row == -1 ? head[col] : PQgetvalue(res, row, col);
			if (col == (int)ZES_NELEM(head) - 1)
				printf("%s\n", v);
			else
				printf("%s%*s  ", v,
				    (int)(width[col] - ctl_width(v)), "");
		}
	}
	PQclear(res);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ctl_warn("cannot write to standard output");
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

/* zesctl import-rdw --vehicles FILE --fuels FILE [--bodies FILE] ... */
static int
ctl_import_rdw(struct ctl *ctl, int argc, char **argv)
{
	static const char *const		 names[ZES_RDW_NFILES] = {
						    "--vehicles", "--fuels",
						    "--bodies", "--body-codes",
						    "--specials" };
	const char				*paths[ZES_RDW_NFILES] = { NULL };
	const struct zes_import_rdw_file_stats	*st;
	struct zes_import_rdw_result		 res;
	struct zes_import_rdw			*imp;
	char					*err = NULL;
	int					 f, rc = CTL_EXIT_FAIL;

	(void)ctl_parse(ctl, argc, argv, names, paths, ZES_RDW_NFILES, NULL, 0);
	if (paths[ZES_RDW_VEHICLES] == NULL)
		ctl_usage(ctl->cmd, "--vehicles is required");
	if (paths[ZES_RDW_FUELS] == NULL)
		ctl_usage(ctl->cmd, "--fuels is required");
	/* Every file is opened and its header checked before the database. */
	if ((imp = zes_import_rdw_open(paths, &err)) == NULL) {
		ctl_warn("import-rdw: %s; nothing was loaded", err);
		free(err);
		return CTL_EXIT_FAIL;
	}
	if (ctl_connect(ctl) == -1)
		goto out;
	if (zes_import_rdw_run(imp, ctl->conn, stdout, &res, &err) == -1) {
		(void)fflush(stdout);
		ctl_warn("import-rdw: %s; nothing was loaded", err);
		goto out;
	}
	rc = CTL_EXIT_OK;
	(void)ctl_link(ctl, NULL);
	for (f = ZES_RDW_FUELS; f < ZES_RDW_NFILES; f++) {
		st = &res.files[f];
		if (st->skipped > 0)
			ctl_warn("import-rdw: %s file: %" PRIu64 " rows not "
			    "read (the first on line %" PRIu64 ": %s)",
			    zes_rdw_file_name((enum zes_rdw_file)f),
			    st->skipped, st->first_skipped_line,
			    st->first_skipped_why);
	}
	if (res.fuels_cut > 0)
		ctl_warn("import-rdw: %" PRIu64 " vehicles have more than %d "
		    "fuel rows; the first %d by brandstof_volgnummer were kept",
		    res.fuels_cut, ZES_VEHICLE_MAX_FUELS, ZES_VEHICLE_MAX_FUELS);
	if (res.specials_cut > 0)
		ctl_warn("import-rdw: %" PRIu64 " vehicles have more than %d "
		    "special codes; the %d lowest were kept", res.specials_cut,
		    ZES_VEHICLE_MAX_SPECIALS, ZES_VEHICLE_MAX_SPECIALS);
	printf("read %" PRIu64 ", loaded %" PRIu64 ", rejected %" PRIu64 "\n",
	    res.read, res.loaded, res.rejected);
	if (fflush(stdout) == EOF || ferror(stdout))
		ctl_warn("import-rdw: cannot write to standard output (the "
		    "import was committed)");
out:
	free(err);
	zes_import_rdw_free(imp);
	return rc;
}

/* Write s to f with control bytes as \xNN: one error stays one line. */
static void
ctl_put_escaped(FILE *f, const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

/* zesctl check-rules DIR */
static int
ctl_check_rules(struct ctl *ctl, int argc, char **argv)
{
	struct zes_rule_errors	 errs = { NULL, 0 };
	struct zes_rules	*rules;
	const char		*pos[1];
	size_t			 i;

	if (ctl_parse(ctl, argc, argv, NULL, NULL, 0, pos, 1) != 1)
		ctl_usage(ctl->cmd, "the rules folder is missing");
	if ((rules = zes_rules_load_dir(pos[0], &errs)) == NULL) {
		for (i = 0; i < errs.n; i++) {
			ctl_put_escaped(stderr, errs.v[i].where);
			fputs(": ", stderr);
			ctl_put_escaped(stderr, errs.v[i].message);
			fputc('\n', stderr);
		}
		if (errs.n == 0)
			ctl_warn("%s: the rules cannot be loaded", pos[0]);
		zes_rule_errors_free(&errs);
		return CTL_EXIT_FAIL;
	}
	printf("ok: %zu rule sets (national %s", 1 + rules->nmunis,
	    rules->national_info.version);
	for (i = 0; i < rules->nmunis; i++)
		printf(", %s %s", rules->munis[i].code,
		    rules->munis[i].info->version);
	printf(")\n");
	zes_rules_unref(rules);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ctl_warn("cannot write to standard output");
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

/*
 * Link the committed audit entries not linked yet (schema/0005), in
 * transactions of up to 1,000, waiting for another linker if one runs.
 * 0 with the count in *linked (if not NULL), or -1 reported.
 */
static int
ctl_link(struct ctl *ctl, long long *linked)
{
	PGresult	*res;
	long long	 n, total = 0;

	do {
		if ((res = ctl_exec(ctl, "SELECT zes_audit_link(1000, true)",
		    0, NULL, PGRES_TUPLES_OK,
		    "cannot link the audit entries", NULL)) == NULL)
			return -1;
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		total += n;
	} while (n == 1000);
	if (linked != NULL)
		*linked = total;
	return 0;
}

/* zesctl audit link */
static int
ctl_audit_link(struct ctl *ctl, int argc, char **argv)
{
	PGresult	*res;
	long long	 linked;

	(void)ctl_parse(ctl, argc, argv, NULL, NULL, 0, NULL, 0);
	if (ctl_connect(ctl) == -1)
		return CTL_EXIT_FAIL;
	if (ctl_link(ctl, &linked) == -1)
		return CTL_EXIT_FAIL;
	if ((res = ctl_exec(ctl, "SELECT coalesce(max(seq), 0) FROM"
	    " audit_entries", 0, NULL, PGRES_TUPLES_OK,
	    "cannot read the chain", NULL)) == NULL)
		return CTL_EXIT_FAIL;
	printf("linked %lld, chain length %s\n", linked,
	    PQgetvalue(res, 0, 0));
	PQclear(res);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ctl_warn("cannot write to standard output");
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

/* zesctl purge [--dry-run] [--config FILE] */
static int
ctl_purge(struct ctl *ctl, int argc, char **argv)
{
	static const char *const	 names[] = { "--config" };
	const char			*values[1] = { NULL };
	const char			*params[2], *url;
	struct zes_config		*cfg;
	PGresult			*res = NULL;
	char				**args, months[16], *err = NULL;
	int				 i, nargs = 0, dry = 0, dashdash = 0;
	int				 rc = CTL_EXIT_FAIL;

	/* --dry-run is a flag: ctl_parse() knows options with values only. */
	args = xcalloc((size_t)argc + 1, sizeof(*args));
	for (i = 0; i < argc; i++) {
		if (!dashdash && strcmp(argv[i], "--") == 0)
			dashdash = 1;
		else if (!dashdash && strcmp(argv[i], "--dry-run") == 0) {
			if (dry)
				ctl_usage(ctl->cmd, "--dry-run given twice");
			dry = 1;
			continue;
		}
		args[nargs++] = argv[i];
	}
	(void)ctl_parse(ctl, nargs, args, names, values, 1, NULL, 0);
	free(args);
	if ((cfg = zes_config_load(values[0], &err)) == NULL) {
		ctl_warn("%s", err);
		free(err);
		return CTL_EXIT_FAIL;
	}
	url = getenv("ZES_DATABASE_URL");
	if (ctl->database_url == NULL && (url == NULL || *url == '\0') &&
	    values[0] != NULL)
		ctl->database_url = cfg->database_url;
	(void)snprintf(months, sizeof(months), "%u", cfg->retention_months);
	if (ctl_connect(ctl) == -1)
		goto out;
	if (ctl_do(ctl, "BEGIN", 0, NULL, PGRES_COMMAND_OK,
	    "cannot begin a transaction") == -1)
		goto out;
	params[0] = months;
	params[1] = dry ? "true" : "false";
	if ((res = ctl_exec(ctl, "SELECT cutoff, exemptions, applications,"
	    " idempotency_keys, change_log FROM zes_purge($1::int, $2::boolean)",
	    2, params, PGRES_TUPLES_OK, "cannot purge", NULL)) == NULL)
		goto out;
	if (dry)
		ctl_rollback(ctl);
	else if (ctl_commit(ctl) == -1)
		goto out;
	else
		(void)ctl_link(ctl, NULL);	/* best effort: zesd links it too */
	printf("cutoff %s (%s months)\n"
	    "%s exemptions %s, applications %s, idempotency keys %s,"
	    " change log rows %s\n", PQgetvalue(res, 0, 0), months,
	    dry ? "would remove" : "removed", PQgetvalue(res, 0, 1),
	    PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4));
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ctl_warn("purge: cannot write to standard output%s",
		    dry ? "" : " (the purge was committed)");
		goto out;
	}
	rc = CTL_EXIT_OK;
out:
	PQclear(res);
	if (rc != CTL_EXIT_OK && ctl->conn != NULL)
		ctl_rollback(ctl);
	/* ctl->database_url may point into cfg: the connection is made. */
	if (ctl->database_url == cfg->database_url)
		ctl->database_url = NULL;
	zes_config_free(cfg);
	return rc;
}

/*
 * Find the command named by the words at argv[0..]; *nwords is how many it
 * took.  NULL when none matches.
 */
static const struct ctl_cmd *
ctl_find(int argc, char **argv, int *nwords)
{
	const char	*name, *sp;
	size_t		 i, n;

	for (i = 0; i < ZES_NELEM(ctl_cmds); i++) {
		name = ctl_cmds[i].name;
		if ((sp = strchr(name, ' ')) == NULL) {
			if (strcmp(name, argv[0]) == 0) {
				*nwords = 1;
				return &ctl_cmds[i];
			}
			continue;
		}
		n = (size_t)(sp - name);
		if (argc >= 2 && strlen(argv[0]) == n &&
		    strncmp(name, argv[0], n) == 0 && strcmp(sp + 1, argv[1]) == 0) {
			*nwords = 2;
			return &ctl_cmds[i];
		}
	}
	return NULL;
}

/* 1 when word is the first word of a two-word command ("token"). */
static int
ctl_is_group(const char *word)
{
	size_t	i, n = strlen(word);

	for (i = 0; i < ZES_NELEM(ctl_cmds); i++) {
		if (strncmp(ctl_cmds[i].name, word, n) == 0 &&
		    ctl_cmds[i].name[n] == ' ')
			return 1;
	}
	return 0;
}

/* Parse the global options, find the command and run it. */
int
main(int argc, char **argv)
{
	struct ctl	 ctl = { NULL, NULL, NULL };
	int		 i, nwords, rc;

	/* Global options come before the command. */
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			ctl_help();
			return CTL_EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("zesctl %s (API %s)\n", ZES_VERSION, ZES_API_VERSION);
			return CTL_EXIT_OK;
		}
		if (ctl_opt(NULL, argc, argv, &i, "--database-url",
		    &ctl.database_url))
			continue;
		ctl_usage(NULL, "unknown option %s", argv[i]);
	}
	if (i == argc)
		ctl_usage(NULL, "no command given");

	if ((ctl.cmd = ctl_find(argc - i, argv + i, &nwords)) == NULL) {
		if (ctl_is_group(argv[i])) {
			if (i + 1 == argc)
				ctl_usage(NULL, "'%s' needs a subcommand",
				    argv[i]);
			if (ctl_wants_help(argc - i - 1, argv + i + 1)) {
				ctl_group_help(argv[i]);
				return CTL_EXIT_OK;
			}
			ctl_usage(NULL, "unknown command '%s %s'", argv[i],
			    argv[i + 1]);
		}
		ctl_usage(NULL, "unknown command '%s'", argv[i]);
	}
	i += nwords;
	if (ctl_wants_help(argc - i, argv + i)) {
		ctl_cmd_help(ctl.cmd);
		return CTL_EXIT_OK;
	}

	rc = ctl.cmd->run(&ctl, argc - i, argv + i);
	if (ctl.conn != NULL)
		PQfinish(ctl.conn);
	return rc;
}
