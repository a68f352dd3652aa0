/*
 * The access decision (DOMAIN.md §2): a vehicle's register record is turned
 * once, with the national rules, into a compact profile that the access
 * index keeps; a check then combines the profile, the plate's exemptions,
 * recognition and the municipality's zone calendar at an instant.  Pure.
 */
#ifndef ZES_ADMIT_H
#define ZES_ADMIT_H

#include <stdint.h>

#include "zes/recognition.h"
#include "zes/ruleset.h"

#define ZES_VEHICLE_MAX_FUELS		4
#define ZES_VEHICLE_MAX_SPECIALS	8
#define ZES_PROFILE_MAX_AUTO		3

/* One fuel row of the register. */
struct zes_fuel {
	char	name[32];		/* brandstof_omschrijving, as registered */
	char	emission_class[4];	/* "Z", "0".."6", or "" when unknown */
};

/* A vehicle as the register (RDW, DOMAIN.md §8) describes it. */
struct zes_vehicle {
	char		 plate[13];
	char		 category[4];		/* "N1" ... or "" */
	char		 vehicle_type[32];	/* voertuigsoort */
	char		 body_description[48];	/* inrichting, lower case */
	char		 body_type[4];		/* carrosserietype, or "" */
	int		 body_code;		/* carrosseriecode, -1 when unknown */
	int		 special_codes[ZES_VEHICLE_MAX_SPECIALS];
	int		 nspecial;
	struct zes_fuel	 fuels[ZES_VEHICLE_MAX_FUELS];
	int		 nfuels;
	int64_t		 first_admission;	/* day number; ZES_DAY_NONE when unknown */
	int		 mass_kg;		/* -1 when unknown */
};

/*
 * A register row as the database gives it to a request (a JSON array:
 * plate, category, vehicle type, body description (lower case), body type,
 * body code (-1), special codes, fuel names, fuel classes, first admission
 * (day number or null), mass (-1); NULL strings read as "") into *v.  -1
 * when the text is not such an array.
 */
int	zes_vehicle_from_json(const char *text, struct zes_vehicle *v) ZES_MUSTCHECK;

/*
 * Fill facts[0 .. ZES_F_VEHICLE_END) for a vehicle, with the derived fields
 * (emission class, zero-emission, kind, scope, transition cover) computed
 * with the national rules.  Strings in facts point into `v` and `n`, and
 * sets into `store`, which must outlive the facts.
 */
struct zes_facts_store {
	const char	*fuels[ZES_VEHICLE_MAX_FUELS];
	int64_t		 specials[ZES_VEHICLE_MAX_SPECIALS];
};
void	zes_vehicle_facts(const struct zes_vehicle *v, const struct zes_national *n,
	    struct zes_facts_store *store, struct zes_value facts[ZES_F_VEHICLE_END]);

/* What the index keeps per vehicle: everything the decision needs, by day. */
#define ZES_PROFILE_IN_SCOPE		0x01
#define ZES_PROFILE_ZERO_EMISSION	0x02
struct zes_profile {
	uint8_t		flags;
	uint8_t		transition;		/* 1 + index into national.transition, 0: none */
	uint8_t		refusal;		/* 1 + index into national.refusals, 0: none */
	uint8_t		nauto;
	int32_t		transition_from;	/* days; INT32_MIN: no lower bound */
	int32_t		transition_before;	/* days; INT32_MAX: no upper bound */
	struct {
		uint8_t	rule;			/* index into national.automatic */
		int32_t	from;			/* first day (INT32_MIN: none) */
		int32_t	before;			/* first day no longer (INT32_MAX: none) */
	}		auto_[ZES_PROFILE_MAX_AUTO];
};

void	zes_vehicle_profile(const struct zes_vehicle *, const struct zes_national *,
	    struct zes_profile *out);

/* An exemption held by a plate. */
struct zes_exemption {
	uint8_t		 id[16];		/* uuid */
	char		 type[ZES_GROUND_LEN];
	char		 issuer[16];		/* "national" or GMnnnn */
	int64_t		 valid_from;		/* instant, inclusive */
	int64_t		 valid_until;		/* instant, exclusive */
	int64_t		 granted_at;		/* instant */
	int64_t		 revoked_at;		/* instant; INT64_MAX when not revoked */
};

enum zes_basis {
	ZES_BASIS_NO_ZONE = 0,
	ZES_BASIS_OUT_OF_SCOPE,
	ZES_BASIS_ZERO_EMISSION,
	ZES_BASIS_TRANSITION_SCHEME,
	ZES_BASIS_NATIONAL_EXEMPTION,
	ZES_BASIS_MUNICIPAL_EXEMPTION,
	ZES_BASIS_RECOGNIZED_EXEMPTION,
	ZES_BASIS_NONE,
	ZES_BASIS_UNKNOWN_VEHICLE,
};

/* "no_zone", ... as API.md spells them. */
const char	*zes_basis_name(enum zes_basis);

struct zes_admit_query {
	const struct zes_rules		*rules;
	const struct zes_municipality	*municipality;	/* where the check is */
	int64_t				 at;		/* instant */
	const struct zes_profile	*vehicle;	/* NULL: not in the register */
	const struct zes_exemption	*exemptions;	/* of this plate, any order */
	size_t				 nexemptions;
	/*
	 * The terms of the agreements between municipalities, of all time
	 * (zes/recognition.h), or NULL for none.  Looked up only for an
	 * exemption of another municipality valid at `at`.
	 */
	const struct zes_recognitions	*recognitions;
};

struct zes_admit_result {
	enum zes_basis			 basis;
	int				 allowed;
	const char			*ground;	/* a code of DOMAIN.md §2-§5 */
	const struct zes_exemption	*exemption;	/* the one that granted access, or NULL */
	const char			*issuer;	/* of that exemption, or NULL */
	const struct zes_recognition	*recognition;	/* the agreement's term that recognised
							   it, or NULL (statute, or not recognised) */
	int64_t				 valid_until;	/* instant the basis ends; INT64_MAX: open */
};

/* Decide (DOMAIN.md §2: the first basis that holds wins). */
void	zes_admit(const struct zes_admit_query *, struct zes_admit_result *);

#endif
