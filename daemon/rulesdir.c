/*
 * The rules folder on disk: read each rule file whole, within a size bound,
 * and hand the texts to zes_rules_build().  Blocking: start-up, zesctl and
 * the reload side thread only.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zes/rulesdir.h"
#include "zes/xmalloc.h"

#define RULESDIR_SCHEMA_SUFFIX	".schema.json"

/* Append an error (where is copied) to errs. */
static void ZES_PRINTF(3, 4)
rulesdir_error(struct zes_rule_errors *errs, const char *where,
    const char *fmt, ...)
{
	va_list	ap;
	char	msg[512];

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errs->v = xrealloc(errs->v, (errs->n + 1) * sizeof(*errs->v));
	errs->v[errs->n].where = xstrdup(where);
	errs->v[errs->n].message = xstrdup(msg);
	errs->n++;
}

/*
 * 1 for the files of the folder that are not rules: its README.md and the
 * JSON Schema the rules are checked against (ruleset.schema.json), which
 * live beside the rules (rules/README.md).  Exactly these: any other file
 * must be a rule file, so that a stray or misnamed file is an error and
 * not a rule silently left out.
 */
static int
rulesdir_not_rules(const char *name)
{
	size_t	n = strlen(name), sn = strlen(RULESDIR_SCHEMA_SUFFIX);

	return strcmp(name, "README.md") == 0 ||
	    (n >= sn && strcmp(name + n - sn, RULESDIR_SCHEMA_SUFFIX) == 0);
}

/* Order names byte-wise, for qsort: errors come in a stable order. */
static int
rulesdir_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Read the regular file dir/name into f (data malloc'd).  0 ok, 1 when it
 * is not a regular file (skipped), -1 on an error appended to errs.
 */
static int
rulesdir_read(const char *dir, const char *name, struct zes_rule_text *f,
    struct zes_rule_errors *errs)
{
	struct stat	 st;
	char		*path, *where, *data = NULL;
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd, rc = -1, e;

	if (xasprintf(&where, "%s#", name) == -1 ||
	    xasprintf(&path, "%s/%s", dir, name) == -1)
		abort();
	/* O_NONBLOCK: a FIFO must not hang the loader; it is skipped below. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		e = errno;
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			rc = 1;
		else
			rulesdir_error(errs, where, "cannot open: %s",
			    strerror(e));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		rulesdir_error(errs, where, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = 1;
		goto out;
	}
	if (st.st_size > ZES_RULES_FILE_MAX) {
		rulesdir_error(errs, where, "larger than %d bytes (%lld): not "
		    "read", ZES_RULES_FILE_MAX, (long long)st.st_size);
		goto out;
	}
	/* One byte more than the bound tells a file that grew meanwhile. */
	data = xmalloc(ZES_RULES_FILE_MAX + 1);
	while (len <= ZES_RULES_FILE_MAX) {
		r = read(fd, data + len, ZES_RULES_FILE_MAX + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			rulesdir_error(errs, where, "cannot read: %s",
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > ZES_RULES_FILE_MAX) {
		rulesdir_error(errs, where, "larger than %d bytes: not read",
		    ZES_RULES_FILE_MAX);
		goto out;
	}
	f->name = name;
	f->data = data;
	f->len = len;
	data = NULL;
	rc = 0;
out:
	if (fd != -1)
		(void)close(fd);
	free(data);
	free(path);
	free(where);
	return rc;
}

/* Read the folder, then build: see zes/rulesdir.h. */
struct zes_rules *
zes_rules_load_dir(const char *dir, struct zes_rule_errors *errs)
{
	struct zes_rule_errors	 none = { NULL, 0 };
	struct zes_rule_text	*files = NULL;
	struct zes_rules	*rules = NULL;
	struct dirent		*de;
	DIR			*d;
	char			**names = NULL;
	size_t			 nnames = 0, nfiles = 0, i, before;
	int			 failed = 0;

	if (errs == NULL)
		errs = &none;
	before = errs->n;
	if ((d = opendir(dir)) == NULL) {
		rulesdir_error(errs, dir, "cannot open the rules folder: %s",
		    strerror(errno));
		return NULL;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    rulesdir_not_rules(de->d_name))
			continue;
		names = xrealloc(names, (nnames + 1) * sizeof(*names));
		names[nnames++] = xstrdup(de->d_name);
	}
	if (errno != 0) {
		rulesdir_error(errs, dir, "cannot list the rules folder: %s",
		    strerror(errno));
		failed = 1;
	}
	(void)closedir(d);
	if (nnames > 0)
		qsort(names, nnames, sizeof(*names), rulesdir_name_cmp);

	files = xcalloc(nnames == 0 ? 1 : nnames, sizeof(*files));
	for (i = 0; i < nnames; i++) {
		switch (rulesdir_read(dir, names[i], &files[nfiles], errs)) {
		case 0:
			nfiles++;
			break;
		case -1:
			failed = 1;
			break;
		default:
			break;
		}
	}
	/* Build even after a read error, so that every error is listed. */
	rules = zes_rules_build(files, nfiles, errs);
	if (failed || errs->n > before) {
		zes_rules_unref(rules);
		rules = NULL;
	} else if (rules != NULL)
		rules->loaded_at = (int64_t)time(NULL);	/* GET /v1/rule-sets: loadedAt */
	for (i = 0; i < nfiles; i++)
		free((void *)files[i].data);
	free(files);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	zes_rule_errors_free(&none);
	return rules;
}
