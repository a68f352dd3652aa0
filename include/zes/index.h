/*
 * The access index (DESIGN.md): an immutable snapshot of every vehicle's
 * profile and every plate's exemptions, with the rules they were derived
 * with, from which enforcement is answered without touching the database.
 *
 * A snapshot is three shared, reference-counted parts: the vehicle table
 * (rebuilt on an import or a rules change), the exemption base (rebuilt now
 * and then) and a small overlay of the plates whose exemptions changed since
 * the base was built.  A delta makes a new snapshot that shares the first two
 * and copies the overlay, so a grant costs little however large the register.
 * Readers never lock: they hold a reference to the snapshot they use.
 *
 * A fourth part holds the terms of the recognition agreements of all time
 * (zes/recognition.h): a few hundred, one sorted array, replaced whole by
 * a delta that names the agreements that changed.
 */
#ifndef ZES_INDEX_H
#define ZES_INDEX_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "zes/admit.h"
#include "zes/ruleset.h"

struct zes_index;
struct zes_index_vehicles;
struct zes_index_exemptions;
struct zes_index_agreements;

/* Size and state, for /metrics. */
struct zes_index_stats {
	size_t		vehicles;
	size_t		profiles;	/* distinct profiles the vehicles share */
	size_t		exemptions;	/* in the base and the overlay */
	size_t		overlay_plates;
	size_t		recognitions;	/* agreement terms, of all time */
	size_t		bytes;		/* memory of the tables */
	int64_t		seq;		/* the last change_log seq applied */
};

/* ---- building (the builder thread) ---- */

/* A vehicle table under construction. */
struct zes_index_vbuild;
struct zes_index_vbuild	*zes_index_vbuild_new(const struct zes_rules *, size_t expected);
/* Add one register record (its profile is derived here); a plate seen twice keeps the last. */
void			 zes_index_vbuild_add(struct zes_index_vbuild *, const struct zes_vehicle *);
struct zes_index_vehicles *zes_index_vbuild_finish(struct zes_index_vbuild *);

/*
 * A copy of `old` with the records of `v` (n of them) added or replaced,
 * profiles derived with `rules` (which must be those `old` was built with).
 */
struct zes_index_vehicles *zes_index_vehicles_update(const struct zes_index_vehicles *old,
			    const struct zes_rules *rules, const struct zes_vehicle *v, size_t n);

/* One exemption with its plate, as the builder reads it. */
struct zes_index_exrow {
	char			country[3];
	char			plate[13];
	struct zes_exemption	ex;
};

/* An exemption base from every row (any order). */
struct zes_index_exemptions *zes_index_exemptions_build(const struct zes_index_exrow *, size_t n);

/*
 * A new snapshot.  Takes references to rules, vehicles and base; the overlay
 * starts empty.
 */
struct zes_index	*zes_index_new(struct zes_rules *, struct zes_index_vehicles *,
			    struct zes_index_exemptions *, int64_t seq);

/*
 * A new snapshot equal to `old` but with `rows` (n) applied: each row
 * replaces the exemption of its plate with the same id, or adds it.
 * Exemptions are never deleted (a revocation is an update); the purge of old
 * records builds a new base instead.  The overlay is merged into a new base
 * when it has grown past `max_overlay` plates.
 */
struct zes_index	*zes_index_apply(const struct zes_index *old,
			    const struct zes_index_exrow *rows, size_t n, int64_t seq,
			    size_t max_overlay);

/*
 * Agreement terms from rows (any order; copied and sorted).  Rows with an
 * empty period (valid_from >= valid_until) recognise nothing and are left out.
 */
struct zes_index_agreements *zes_index_agreements_build(const struct zes_recognition *,
			    size_t n);

/*
 * A copy of `old` (NULL: none) without the terms of the n agreements in
 * `ids` and with `rows` (their terms as they stand now) added.
 */
struct zes_index_agreements *zes_index_agreements_update(const struct zes_index_agreements *old,
			    const uint8_t (*ids)[16], size_t nids,
			    const struct zes_recognition *rows, size_t n);

/* A new snapshot equal to `old` with other agreement terms (a reference is taken). */
struct zes_index	*zes_index_with_agreements(const struct zes_index *old,
			    struct zes_index_agreements *, int64_t seq);

/* The agreement terms of a snapshot (borrowed; NULL when it has none), to update them. */
const struct zes_index_agreements *zes_index_agreements_of(const struct zes_index *);

/* A new snapshot equal to `old` with another vehicle table (after an import). */
struct zes_index	*zes_index_with_vehicles(const struct zes_index *old,
			    struct zes_index_vehicles *, int64_t seq);

/* The vehicle table of a snapshot (borrowed), to update it. */
const struct zes_index_vehicles *zes_index_vehicles_of(const struct zes_index *);

struct zes_index	*zes_index_ref(struct zes_index *);
void			 zes_index_unref(struct zes_index *);
void			 zes_index_vehicles_unref(struct zes_index_vehicles *);
void			 zes_index_exemptions_unref(struct zes_index_exemptions *);
void			 zes_index_agreements_unref(struct zes_index_agreements *);

/* ---- reading (any worker, no locks) ---- */

const struct zes_rules	*zes_index_rules(const struct zes_index *);
/* The profile of a Dutch plate (normalised), or NULL when not registered. */
const struct zes_profile *zes_index_vehicle(const struct zes_index *, const char *plate);
/* The exemptions of a plate (country "NL" for Dutch ones); *out points into the snapshot. */
size_t			 zes_index_exemptions(const struct zes_index *, const char *country,
			    const char *plate, const struct zes_exemption **out);
/* The agreement terms, for zes_admit_query.recognitions (never NULL; may be empty). */
const struct zes_recognitions *zes_index_recognitions(const struct zes_index *);
void			 zes_index_get_stats(const struct zes_index *, struct zes_index_stats *);

#endif
