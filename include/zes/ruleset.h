/*
 * Rule sets as data (rules/README.md): the condition language, the national
 * rules, the municipalities' zone calendars and the exemption types of both,
 * built from the JSON texts of a rules folder into one immutable,
 * reference-counted struct.  Pure: the caller reads the files
 * (daemon/rulesdir.c) and passes their bytes.
 */
#ifndef ZES_RULESET_H
#define ZES_RULESET_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "zes/common.h"

#define ZES_GROUND_LEN		40	/* grounds and type codes: [a-z0-9_], at most 39 */
#define ZES_DAY_NONE		INT64_MAX	/* "no bound" for a day */

/* Types of the values conditions compare. */
enum zes_vtype {
	ZES_V_ABSENT = 0,
	ZES_V_STRING,
	ZES_V_INT,
	ZES_V_BOOL,
	ZES_V_DATE,		/* a day number (zes/period.h) */
	ZES_V_STRSET,		/* set-valued field, or the list of in/notIn/intersects */
	ZES_V_INTSET,
};

struct zes_value {
	enum zes_vtype		 type;
	union {
		const char	*s;
		int64_t		 i;	/* INT, BOOL (0/1), DATE */
		struct {
			const char *const	*v;
			size_t			 n;
		}		 ss;
		struct {
			const int64_t		*v;
			size_t			 n;
		}		 is;
	}			 u;
};

/*
 * The fields conditions may name.  Vehicle fields come first (the access
 * decision's facts arrays hold exactly these); the fields of applications
 * follow ZES_F_VEHICLE_END, which itself names nothing; then the evidence
 * fields of an exemption type: the i-th evidence field the type declares is
 * ZES_F_EVIDENCE + i.  A facts array for an application holds
 * ZES_F_FACTS_MAX values, indexed by these.
 */
enum zes_field {
	ZES_F_CATEGORY = 0,		/* vehicle.category */
	ZES_F_VEHICLE_TYPE,		/* vehicle.vehicleType */
	ZES_F_BODY_DESCRIPTION,		/* vehicle.bodyDescription */
	ZES_F_BODY_TYPE,		/* vehicle.bodyType */
	ZES_F_BODY_CODE,		/* vehicle.bodyCode */
	ZES_F_SPECIAL_CODES,		/* vehicle.specialCodes */
	ZES_F_FUELS,			/* vehicle.fuels */
	ZES_F_EMISSION_CLASS,		/* vehicle.emissionClass */
	ZES_F_ZERO_EMISSION,		/* vehicle.zeroEmission */
	ZES_F_FIRST_ADMISSION,		/* vehicle.firstAdmission */
	ZES_F_MASS_KG,			/* vehicle.massKg */
	ZES_F_KIND,			/* vehicle.kind */
	ZES_F_IN_SCOPE,			/* vehicle.inScope */
	ZES_F_TRANSITION_COVERED,	/* vehicle.transitionCovered */
	ZES_F_VEHICLE_END,
	ZES_F_REGISTERED,		/* vehicle.registered: in the register (NL plates only) */
	ZES_F_PERIOD_FROM,		/* application.periodFrom */
	ZES_F_PERIOD_UNTIL,		/* application.periodUntil (absent when not given) */
	ZES_F_SUBMITTED_ON,		/* application.submittedOn: the submission day */
	ZES_F_COUNTRY,			/* application.country */
	ZES_F_ZONE_START,		/* municipality.zoneStart: first day of its first zone period */
	ZES_F_APPLICATION_END,
};

#define ZES_EVIDENCE_MAX	24	/* evidence fields per exemption type */
#define ZES_F_EVIDENCE		((int)ZES_F_APPLICATION_END)
#define ZES_F_FACTS_MAX		(ZES_F_EVIDENCE + ZES_EVIDENCE_MAX)

/*
 * Name ("vehicle.kind") and type of a field; NULL name (and ZES_V_ABSENT)
 * for ZES_F_VEHICLE_END, the evidence fields (named by their type) and
 * past the end.
 */
const char	*zes_field_name(enum zes_field);
enum zes_vtype	 zes_field_type(enum zes_field);

enum zes_cond_kind {
	ZES_COND_ALL = 0,
	ZES_COND_ANY,
	ZES_COND_NOT,
	ZES_COND_CMP,
};

enum zes_cond_op {
	ZES_OP_EQ = 0, ZES_OP_NE, ZES_OP_LT, ZES_OP_LE, ZES_OP_GT, ZES_OP_GE,
	ZES_OP_IN, ZES_OP_NOT_IN, ZES_OP_INTERSECTS, ZES_OP_EXISTS,
};

/* A day: a date, or a date field plus whole years, then months, then days. */
struct zes_dayexpr {
	int		 field;		/* -1: the fixed `day`; else a DATE field */
	int64_t		 day;
	int		 plus_years;
	int		 plus_months;
	int		 plus_days;
};

struct zes_cond {
	enum zes_cond_kind	 kind;
	enum zes_cond_op	 op;		/* CMP */
	int			 field;		/* CMP: enum zes_field (or a later field id) */
	struct zes_value	 value;		/* CMP: typed at load; a list for in/notIn/intersects */
	const struct zes_dayexpr *day;		/* CMP on a date: the value is this day
						   expression of the facts (NULL: `value`) */
	const struct zes_cond	*kids;		/* ALL, ANY: nkids; NOT: one */
	size_t			 nkids;
};

/* Does the condition hold for these facts?  Absent facts: see rules/README.md. */
int	zes_cond_eval(const struct zes_cond *, const struct zes_value *facts);

/* The day of one expression; ZES_DAY_NONE when its field is absent. */
int64_t	zes_dayexpr_eval(const struct zes_dayexpr *, const struct zes_value *facts);

/* `from`: the latest of its expressions; `before`: the earliest.  n == 0: none. */
struct zes_daybound {
	const struct zes_dayexpr	*v;
	size_t				 n;
};

/* Evaluate a bound for these facts; ZES_DAY_NONE when it has no expression or its field is absent. */
int64_t	zes_daybound_from(const struct zes_daybound *, const struct zes_value *facts);
int64_t	zes_daybound_before(const struct zes_daybound *, const struct zes_value *facts);

/* A rule that gives access (transition scheme, automatic exemption). */
struct zes_access_rule {
	char			 ground[ZES_GROUND_LEN];
	struct zes_cond		 when;
	struct zes_daybound	 from;
	struct zes_daybound	 before;
};

struct zes_refusal_rule {
	char			 ground[ZES_GROUND_LEN];
	struct zes_cond		 when;
};

struct zes_kind_rule {
	char			 kind[16];
	struct zes_cond		 when;
};

/* Statutory recognition (DOMAIN.md §6). */
struct zes_statute {
	const char *const	*types;
	size_t			 ntypes;
	int64_t			 granted_from_day;	/* exemptions granted from local midnight of this day */
	int64_t			 from_day;		/* for checks at or after local midnight of this day */
};

/*
 * Exemption types (rules/README.md, "Exemption types"): what an
 * application of the type must bring, the conditions it must meet, the
 * outcome and the validity when it does.
 */
#define ZES_EVIDENCE_NAME_LEN	40	/* evidence field names: lowerCamelCase, at most 39 */
#define ZES_TYPE_CONDITIONS_MAX	14	/* so that every reason of a decision fits */
#define ZES_REASON_TEXT_MAX	239	/* bytes of a condition's message */

enum zes_evidence_type {
	ZES_EV_STRING = 0,
	ZES_EV_DATE,
	ZES_EV_INTEGER,
	ZES_EV_BOOLEAN,
	ZES_EV_POSTCODE,	/* Dutch: 1234AB (normalised upper case, no space) */
	ZES_EV_KVK,		/* 8 digits, as a string */
};

/* "string", "date", ... as the rule files spell them; NULL outside the enum. */
const char	*zes_evidence_type_name(enum zes_evidence_type);

/* One evidence field a type declares. */
struct zes_evidence_def {
	char			 name[ZES_EVIDENCE_NAME_LEN];
	enum zes_evidence_type	 type;
	const char		*label;
	int			 required;	/* always required */
	struct zes_cond		 required_when;	/* else required when this holds */
	int			 has_required_when;
	const char *const	*values;	/* string: the enumeration (nvalues 0: any) */
	size_t			 nvalues;
	int64_t			 min_length;	/* string: in characters; 0 none */
	int64_t			 max_length;	/* string: INT64_MAX none */
	int64_t			 minimum;	/* integer: INT64_MIN none */
	int64_t			 maximum;	/* integer: INT64_MAX none */
};

/* A condition of a type: checked when `when` holds, failing unless `require` holds. */
struct zes_type_condition {
	char			 reason[ZES_GROUND_LEN];
	const char		*message;
	struct zes_cond		 when;		/* an empty "all" when not given */
	struct zes_cond		 require;
};

/* A length of time: years, then months, then days; all 0 is none. */
struct zes_span {
	int	years;
	int	months;
	int	days;
};

/*
 * How the validity of a grant is computed (rules/README.md): from local
 * midnight of period.from; then exactly one of single_day, length,
 * through, assessor, or only `before`; capped by max_length, `before` and
 * period.until.
 */
struct zes_validity {
	int			 single_day;		/* period.from only, until next_day_minutes
							   past midnight of the next day (wall clock) */
	int			 next_day_minutes;
	struct zes_span		 length;		/* a fixed length from period.from */
	struct zes_daybound	 through;		/* the last day (earliest of the list) */
	int			 assessor;		/* the assessor sets the last day */
	struct zes_span		 max_length;
	struct zes_daybound	 before;		/* never valid on or after (earliest) */
};

struct zes_type {
	char				 code[ZES_GROUND_LEN];
	const char			*label;
	int				 national;	/* scope: national.json's types */
	int				 offered;
	const struct zes_evidence_def	*evidence;	/* field ZES_F_EVIDENCE + i */
	size_t				 nevidence;
	const struct zes_type_condition	*conditions;
	size_t				 nconditions;
	int				 review;	/* outcome: review (1) or grant (0) */
	char				 review_reason[ZES_GROUND_LEN];
	const char			*review_message;
	struct zes_validity		 validity;
	int				 quota_per_year;	/* per plate, issuer, calendar year; 0 none */
	int64_t				 fee_cents;
};

struct zes_national {
	struct zes_cond			 scope;
	const char *const		*ze_classes;	/* emission classes that are zero-emission ("Z") */
	size_t				 nze_classes;
	const char *const		*ze_fuels;	/* fuels that are zero-emission when a row has no class */
	size_t				 nze_fuels;
	const struct zes_kind_rule	*kinds;
	size_t				 nkinds;
	const struct zes_access_rule	*transition;
	size_t				 ntransition;
	const struct zes_access_rule	*automatic;
	size_t				 nautomatic;
	const struct zes_refusal_rule	*refusals;
	size_t				 nrefusals;
	const struct zes_statute	*statutes;
	size_t				 nstatutes;
	const struct zes_type		*types;		/* national exemption types */
	size_t				 ntypes;
};

/* A zone in force from from_day until before_day (ZES_DAY_NONE: open-ended). */
struct zes_zone_period {
	int64_t		from_day;
	int64_t		before_day;
};

/* One loaded file: what GET /v1/rule-sets shows and decisions record. */
struct zes_ruleset_info {
	char		 issuer[16];			/* "national" or GMnnnn */
	const char	*name;
	const char	*version;
	char		 sha256[65];			/* lower-case hex of the file's bytes */
	json_t		*doc;				/* the file as loaded (owned) */
};

struct zes_municipality {
	char				 code[ZES_MUNICIPALITY_LEN + 1];
	const struct zes_ruleset_info	*info;
	int				 has_zone;
	const char			*zone_name;
	const struct zes_zone_period	*periods;	/* sorted, not overlapping */
	size_t				 nperiods;
	const struct zes_type		*types;		/* its own exemption types, file order */
	size_t				 ntypes;
};

/* The whole rules folder, immutable once built. */
struct zes_rules {
	atomic_uint			 refs;
	struct zes_ruleset_info		 national_info;
	struct zes_national		 national;
	const struct zes_municipality	*munis;		/* sorted by code */
	size_t				 nmunis;
	void				*arena;		/* everything above lives here */
	int64_t				 loaded_at;	/* Unix seconds the shell read the folder (daemon/rulesdir.c); 0 from zes_rules_build() */
};

/* One file's text, as the caller read it. */
struct zes_rule_text {
	const char	*name;		/* file name: "national.json", "GM0599.json" */
	const char	*data;
	size_t		 len;
};

/* Errors of a build: every one, with "file#/json/pointer" and a message. */
struct zes_rule_error {
	char	*where;
	char	*message;
};

struct zes_rule_errors {
	struct zes_rule_error	*v;
	size_t			 n;
};

/*
 * Build the rules from the texts of a folder's *.json files (exactly one
 * national.json; municipality files named by their issuer).  Returns NULL and
 * fills errs (every error found) when anything is wrong: all or nothing.
 */
struct zes_rules	*zes_rules_build(const struct zes_rule_text *files, size_t n,
			    struct zes_rule_errors *errs) ZES_MUSTCHECK;
struct zes_rules	*zes_rules_ref(struct zes_rules *);
void			 zes_rules_unref(struct zes_rules *);
void			 zes_rule_errors_free(struct zes_rule_errors *);

/* A municipality by code, or NULL. */
const struct zes_municipality *zes_rules_municipality(const struct zes_rules *, const char *code);
/* Is the municipality's zone in force at instant t? */
int	zes_zone_in_force(const struct zes_municipality *, int64_t t);
/* Is the zone in force on a local day (from its midnight)? */
int	zes_zone_in_force_day(const struct zes_municipality *, int64_t day);
/* The first day of the first zone period; ZES_DAY_NONE without a zone. */
int64_t	zes_zone_start(const struct zes_municipality *);

/*
 * An exemption type by code: of the municipality, or national when m is
 * NULL; NULL when that rule set does not declare it.
 */
const struct zes_type	*zes_rules_type(const struct zes_rules *,
			    const struct zes_municipality *m, const char *code);
/* The first municipality (by code) that declares a municipal type, or NULL. */
const struct zes_municipality *zes_rules_type_declarer(const struct zes_rules *,
			    const char *code);

#endif
