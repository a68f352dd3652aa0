/*
 * Role names and municipality codes (pure; no I/O).  The names are the ones
 * API.md uses, and tokens.role in schema/0001_foundation.sql allows the same.
 */
#include <string.h>

#include "zes/common.h"

static const struct {
	enum zes_role	 role;
	const char	*name;
} common_roles[] = {
	{ ZES_ROLE_DESK,	"desk" },
	{ ZES_ROLE_ASSESSOR,	"assessor" },
	{ ZES_ROLE_ENFORCEMENT,	"enforcement" },
	{ ZES_ROLE_ADMIN,	"admin" },
	{ ZES_ROLE_AUDITOR,	"auditor" },
};

/* Map an exact, lower-case role name to its bit; ZES_ROLE_NONE when unknown. */
enum zes_role
zes_role_parse(const char *s)
{
	size_t	i;

	if (s == NULL)
		return ZES_ROLE_NONE;
	for (i = 0; i < ZES_NELEM(common_roles); i++) {
		if (strcmp(s, common_roles[i].name) == 0)
			return common_roles[i].role;
	}
	return ZES_ROLE_NONE;
}

/* Name of a single role bit; NULL for ZES_ROLE_NONE or a set of several. */
const char *
zes_role_name(enum zes_role role)
{
	size_t	i;

	for (i = 0; i < ZES_NELEM(common_roles); i++) {
		if (common_roles[i].role == role)
			return common_roles[i].name;
	}
	return NULL;
}

/* 1 when s is "GM" followed by exactly four ASCII digits, else 0. */
int
zes_municipality_code_valid(const char *s)
{
	size_t	i;

	if (s == NULL || s[0] != 'G' || s[1] != 'M')
		return 0;
	for (i = 2; i < ZES_MUNICIPALITY_LEN; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	return s[ZES_MUNICIPALITY_LEN] == '\0';
}
