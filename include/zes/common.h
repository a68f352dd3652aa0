/* Small definitions shared by every module: attributes, roles, bounded identifiers. */
#ifndef ZES_COMMON_H
#define ZES_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define ZES_MUSTCHECK	__attribute__((warn_unused_result))
#define ZES_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ZES_NORETURN	__attribute__((noreturn))
#define ZES_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Roles of API.md, as bits so a route can name several. */
enum zes_role {
	ZES_ROLE_NONE = 0,		/* no token needed */
	ZES_ROLE_DESK = 1 << 0,
	ZES_ROLE_ASSESSOR = 1 << 1,
	ZES_ROLE_ENFORCEMENT = 1 << 2,
	ZES_ROLE_ADMIN = 1 << 3,
	ZES_ROLE_AUDITOR = 1 << 4,
};
#define ZES_ROLE_ANY	(ZES_ROLE_DESK | ZES_ROLE_ASSESSOR | \
	ZES_ROLE_ENFORCEMENT | ZES_ROLE_ADMIN | ZES_ROLE_AUDITOR)

/* Role name <-> bit; 0 / NULL when unknown. */
enum zes_role	 zes_role_parse(const char *);
const char	*zes_role_name(enum zes_role);

/* "GM" + four digits, NUL-terminated. */
#define ZES_MUNICIPALITY_LEN	6
/* Returns 1 when s is a syntactically valid CBS municipality code. */
int		 zes_municipality_code_valid(const char *s);

#endif
