/*
 * What the libFuzzer harnesses of tests/fuzz share: the entry points
 * libFuzzer calls, an invariant check that aborts (a finding, with the
 * input saved by libFuzzer), and the repository's rules folder loaded once.
 */
#ifndef ZES_FUZZ_H
#define ZES_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "zes/common.h"
#include "zes/ruleset.h"

struct zes_app;
struct zes_exemption;
struct zes_req;
struct zes_vehicle;

/* libFuzzer's entry points. */
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* An invariant that must hold: print where it failed and abort. */
#define FUZZ_ASSERT(c)	do {						\
	if (!(c))							\
		fuzz_fail(__FILE__, __LINE__, #c);			\
} while (0)

void	fuzz_fail(const char *file, int line, const char *what) ZES_NORETURN;

/*
 * The rules folder of the repository (or $ZES_FUZZ_RULES_DIR), loaded on
 * the first call and kept for the process's life; aborts when it does not
 * load, as a harness without its rules would prove nothing.
 */
const struct zes_rules	*fuzz_rules(void);

/* Read a whole file of the rules folder into a new buffer; aborts on error. */
char	*fuzz_rules_file(const char *name, size_t *len);

/* Free the field errors a request collected and empty the list. */
void	fuzz_req_clear(struct zes_req *);

/* A goods vehicle of the register (N2, diesel, Euro 5, 7,500 kg, 2016). */
void	fuzz_vehicle(struct zes_vehicle *, const char *plate);

/*
 * Decide an application zes_app_parse() accepted and check the shape of the
 * decision: a rejection has reasons and no validity, a grant no reason and
 * a non-empty validity, a review one reason and a non-empty validity.
 */
void	fuzz_decide(const struct zes_rules *, const struct zes_app *,
	    const struct zes_vehicle *, const struct zes_exemption *, size_t,
	    int64_t now);

/* A copy of data[0 .. size) with a NUL after it (the caller frees). */
char	*fuzz_strndup(const uint8_t *data, size_t size);

#endif
