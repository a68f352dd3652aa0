/*
 * Reading a rules folder (rules/README.md) from disk and building it with
 * zes_rules_build().  Blocking file I/O: it runs at start-up, in zesctl and
 * on the reload side thread, never on a worker.
 */
#ifndef ZES_RULESDIR_H
#define ZES_RULESDIR_H

#include "zes/common.h"
#include "zes/ruleset.h"

/* Bytes one rule file may have; a larger file is an error, not read. */
#define ZES_RULES_FILE_MAX	(1024 * 1024)

/*
 * Read every regular file of dir (README.md and *.schema.json are not
 * rules and are skipped; any other name not ending in .json is an error)
 * and build the rules from them.  Returns a new reference, or NULL with
 * every error of the folder appended to errs ("file#/pointer" and a
 * message; a folder that cannot be read is named by its path).  The caller
 * frees errs with zes_rule_errors_free().  The rules' loaded_at is the
 * wall-clock time of the read.
 */
struct zes_rules	*zes_rules_load_dir(const char *dir,
			    struct zes_rule_errors *errs) ZES_MUSTCHECK;

#endif
