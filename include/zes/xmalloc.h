/* Allocators that never return NULL (they abort), and bounded number parsing. */
#ifndef ZES_XMALLOC_H
#define ZES_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>
#include "zes/common.h"

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xcalloc_huge(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...) ZES_PRINTF(2, 3);

/*
 * Parse a decimal integer in [min, max] from all of s.  Returns 0 and sets
 * *out, or -1 with *errstr set to a static message ("invalid", "too small",
 * "too large").
 */
int	 zes_strtonum(const char *s, long long min, long long max,
	    long long *out, const char **errstr) ZES_MUSTCHECK;

#endif
