/*
 * Loading a rules folder that must load, for the unit tests (include after
 * <cmocka.h>): any error is printed with its place, and fails the test.
 */
#ifndef RULES_LOAD_H
#define RULES_LOAD_H

#include "zes/ruleset.h"
#include "zes/rulesdir.h"

/* Print every error of a load with where it is. */
static inline void
t_print_errors(const struct zes_rule_errors *errs)
{
	size_t	i;

	for (i = 0; i < errs->n; i++)
		print_message("  %s: %s\n", errs->v[i].where,
		    errs->v[i].message);
}

/* Load a folder that must load without a single error. */
static inline struct zes_rules *
t_load(const char *dir)
{
	struct zes_rule_errors	 errs = { NULL, 0 };
	struct zes_rules	*r;

	r = zes_rules_load_dir(dir, &errs);
	if (r == NULL || errs.n != 0) {
		t_print_errors(&errs);
		zes_rule_errors_free(&errs);
		fail_msg("%s did not load cleanly", dir);
	}
	return r;
}

#endif
