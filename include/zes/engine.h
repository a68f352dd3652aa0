/*
 * The rules engine (DOMAIN.md §5, rules/README.md "Exemption types"): an
 * application, the vehicle from the register and the plate's exemptions go
 * in; an outcome with its reasons and a validity period come out.  Pure: no
 * I/O and no clock (the caller gives `now`).  The same calls serve
 * submissions (POST /v1/applications), dry runs (POST /v1/evaluations) and
 * assessors' decisions.
 *
 * Two steps, so that the caller can answer 400 before touching the database:
 *   1. zes_app_parse(): the request body, validated against API.md and the
 *      type's evidence list in the rules; every malformed or missing field
 *      is an error (a 400), never a rejection.
 *   2. zes_engine_evaluate(): the conditions of the type, in the order of
 *      DOMAIN.md §5 (common checks first), with what the database knows
 *      about the plate read in the same transaction that will write the
 *      outcome (so a quota cannot be overrun by two concurrent submissions).
 */
#ifndef ZES_ENGINE_H
#define ZES_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "zes/admit.h"
#include "zes/common.h"
#include "zes/plate.h"
#include "zes/ruleset.h"

enum zes_outcome {
	ZES_OUTCOME_GRANTED = 0,
	ZES_OUTCOME_REJECTED,
	ZES_OUTCOME_IN_REVIEW,
};

/* "granted", "rejected", "in_review" (API.md `decision.outcome`). */
const char	*zes_outcome_name(enum zes_outcome);

#define ZES_REASONS_MAX		16
#define ZES_REASON_MSG_LEN	240

/* One reason of a decision: a stable code of DOMAIN.md §5 and a message. */
struct zes_reason {
	char	code[ZES_GROUND_LEN];
	char	message[ZES_REASON_MSG_LEN];
};

/*
 * An application as parsed by zes_app_parse().  `body` is a normalised copy
 * of what was submitted (plate upper case without separators, plateDisplay
 * added, defaults filled in such as period.from and country, evidence
 * normalised: postcodes upper case without a space), ready to be stored
 * and answered; the caller owns the reference.  `municipality` and `def`
 * point into the rules given to zes_app_parse(), and the evidence values
 * into `body`: keep both while the application is used.
 */
struct zes_app {
	int				 national;	/* scope "national" (1) or "municipal" (0) */
	char				 type[ZES_GROUND_LEN];
	const struct zes_municipality	*municipality;	/* NULL for national */
	struct zes_plate		 plate;		/* with country */
	int64_t				 from_day;	/* period.from (day number) */
	int64_t				 until_day;	/* period.until, the last day; ZES_DAY_NONE when absent */
	char				 kvk[9];	/* applicant.kvk, "" when absent */
	json_t				*body;		/* normalised application (owned) */
	/* Added by the engine (issue 4): */
	int64_t				 today;		/* the submission day (application.submittedOn) */
	const struct zes_type		*def;		/* the type as the deciding rule set declares
							   it; NULL when the municipality does not */
	struct zes_value		 evidence[ZES_EVIDENCE_MAX];	/* def's fields in order;
							   ZES_V_ABSENT when not given */
};

/* Receives each input error: field is a JSON path ("evidence.orderDate"). */
typedef void zes_app_error_fn(void *arg, const char *field, const char *message);

/*
 * Parse and validate a submission body against the rules: scope, type
 * (known to the rules at all), municipality (a known code; required for
 * municipal, forbidden for national), plate and country, applicant (kvk 8
 * digits, name, e-mail), period (dates; `from` defaults to `today` and may
 * not lie before it; `until` not before `from`; the day exemption's rule
 * that `until` is absent or equal to `from`), and the evidence fields the
 * type declares (required, typed, formats, lengths, the enumerations and
 * their conditional members, such as special_vehicle's kind).  Unknown
 * members are errors.  Every error is passed to err; returns the number of
 * errors (0: *out is filled and out->body must be released with
 * zes_app_clear).  To rebuild a stored application (an assessor's decision),
 * parse its stored body with `today` the day it was submitted.
 */
size_t	zes_app_parse(const json_t *body, const struct zes_rules *,
	    int64_t today, struct zes_app *out, zes_app_error_fn *err, void *arg);
void	zes_app_clear(struct zes_app *);

/* What the database knows about the plate, read in the deciding transaction. */
struct zes_engine_input {
	const struct zes_rules		*rules;
	const struct zes_app		*app;
	const struct zes_vehicle	*vehicle;	/* NULL: not in the register */
	const struct zes_exemption	*exemptions;	/* every exemption of the plate, revoked ones included */
	size_t				 nexemptions;
	int64_t				 now;		/* the submission instant */
};

struct zes_decision {
	enum zes_outcome		 outcome;
	struct zes_reason		 reasons[ZES_REASONS_MAX];	/* in the order checked */
	size_t				 nreasons;
	const struct zes_ruleset_info	*ruleset;	/* the rule set that decided (version, sha256) */
	/*
	 * The validity, instants [valid_from, valid_until): set when granted,
	 * and for in_review the period the rules would grant (an assessor may
	 * only shorten it); 0 and 0 when rejected.
	 */
	int64_t				 valid_from;
	int64_t				 valid_until;
	int64_t				 fee_cents;	/* the type's fee, owed whatever the outcome */
};

/*
 * Decide an application.  The common checks of DOMAIN.md §5 come first, in
 * order, and the first that fails is the only reason: a zone in force on
 * period.from (municipal types; municipality_without_zone), the type
 * offered (type_not_offered), no exemption of the plate of the same type
 * and issuer, not revoked, overlapping the period applied for (for a
 * single-day type: on the same day; duplicate_exemption).  Then every
 * condition of the type and the quota (quota_exhausted): a rejection lists
 * the reason of each that fails, in the order of the rule file.  Then the
 * validity (an empty one is date_out_of_range) and the outcome.  A plate
 * of another country than NL is never in the register: `vehicle` is not
 * looked at.  Rejections carry at least one reason; in_review carries the
 * type's review reason; a grant carries none.  Never fails: an application
 * zes_app_parse() accepted always gets an outcome.
 */
void	zes_engine_evaluate(const struct zes_engine_input *, struct zes_decision *out);

/*
 * An assessor grants an application in review: the validity the rules allow
 * for it, ending on `last_day` (inclusive; ZES_DAY_NONE when not given).
 * Returns 0 with [*from, *until), or -1 with *why (a static message for a
 * 400 on `validUntil`) when the type needs a last day and none was given,
 * or it lies before period.from or beyond the type's maximum.  The
 * validity is computed from the application alone (the loader keeps
 * register data out of the validity of types an assessor decides); the
 * maximum is the period the rules would grant, period.until included.
 */
int	zes_engine_assessor_period(const struct zes_rules *, const struct zes_app *,
	    int64_t last_day, int64_t *from, int64_t *until, const char **why);

#endif
