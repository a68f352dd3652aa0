/* Allocators that never return NULL, and bounded number parsing. */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "zes/xmalloc.h"

#define ZES_HUGE_PAGE	((size_t)2 << 20)	/* x86-64's transparent huge page */

/* Out of memory is not recoverable for a daemon that promises answers. */
static void ZES_NORETURN
xmalloc_oom(size_t size)
{
	fprintf(stderr, "zesd: out of memory allocating %zu bytes\n", size);
	abort();
}

/* malloc that aborts on failure. */
void *
xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		xmalloc_oom(size);
	return p;
}

/* calloc that aborts on failure or overflow. */
void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		xmalloc_oom(n * size);
	return p;
}

/*
 * calloc for a large table read at random (the access index): from 2 MiB
 * on, aligned to 2 MiB and marked for transparent huge pages, so that a
 * lookup costs fewer TLB misses.  Only a hint: where the kernel gives no huge
 * pages (Debian's default is "madvise", which honours it) the table works
 * the same.  Freed with free().
 */
void *
xcalloc_huge(size_t n, size_t size)
{
	void	*p;
	size_t	 total;

	if (size != 0 && n > SIZE_MAX / size)
		xmalloc_oom(SIZE_MAX);
	total = n * size;
	if (total < ZES_HUGE_PAGE)
		return xcalloc(n, size);
	if (posix_memalign(&p, ZES_HUGE_PAGE, total) != 0)
		xmalloc_oom(total);
#ifdef MADV_HUGEPAGE
	(void)madvise(p, total, MADV_HUGEPAGE);
#endif
	memset(p, 0, total);
	return p;
}

/* realloc that aborts on failure. */
void *
xrealloc(void *old, size_t size)
{
	void	*p;

	if ((p = realloc(old, size == 0 ? 1 : size)) == NULL)
		xmalloc_oom(size);
	return p;
}

/* strdup that aborts on failure. */
char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		xmalloc_oom(strlen(s) + 1);
	return p;
}

/* strndup that aborts on failure. */
char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		xmalloc_oom(n + 1);
	return p;
}

/* asprintf that aborts on failure; returns the length. */
int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		xmalloc_oom(0);
	*ret = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(*ret, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return n;
}

/* Parse all of s as a decimal integer within [min, max]. */
int
zes_strtonum(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	char		*end;
	long long	 v;

	*errstr = NULL;
	/* Digits only, with a minus sign where negatives are allowed: strtoll alone would take white space and '+'. */
	if (s == NULL || !(isdigit((unsigned char)s[0]) ||
	    (s[0] == '-' && min < 0 && isdigit((unsigned char)s[1])))) {
		*errstr = "invalid";
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		*errstr = "invalid";
		return -1;
	}
	if ((errno == ERANGE && v == LLONG_MIN) || v < min) {
		*errstr = "too small";
		return -1;
	}
	if ((errno == ERANGE && v == LLONG_MAX) || v > max) {
		*errstr = "too large";
		return -1;
	}
	*out = v;
	return 0;
}
