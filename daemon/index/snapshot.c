/*
 * The access index's immutable tables: vehicles by packed plate with shared
 * profiles, exemptions by plate in a base plus an overlay, the terms of the
 * recognition agreements, and the snapshot that ties them to the rules they
 * were derived with.  No I/O and no locks:
 * built by the builder thread, read by any worker.
 */

#include <stdlib.h>
#include <string.h>

#include "zes/index.h"
#include "zes/plate.h"
#include "zes/log.h"
#include "zes/xmalloc.h"

#define IDX_MIN_CAP	16

/*
 * Vehicles: open addressing on the plate packed into 32 bits (six characters
 * of [0-9A-Z], each 1..36, base 37: 37^6 < 2^32; 0 marks an empty slot), and
 * a profile number per slot into a table of distinct profiles.  8 bytes a
 * slot at a load of at most one half; key and profile side by side, so a
 * lookup touches one cache line.
 */
struct idx_vslot {
	uint32_t	key;
	uint32_t	prof;
};

struct zes_index_vehicles {
	atomic_uint		 refs;
	struct idx_vslot	*slots;
	size_t			 cap;		/* power of two */
	size_t			 n;
	struct zes_profile	*profiles;
	size_t			 nprofiles;
};

/* Exemptions by (country, plate): a slot per plate, its exemptions contiguous. */
struct idx_exslot {
	char		key[16];	/* country (2), plate, NUL padding; all zero: empty */
	uint32_t	first;
	uint32_t	count;
};

struct zes_index_exemptions {
	atomic_uint		 refs;
	struct idx_exslot	*slots;
	size_t			 cap;		/* power of two */
	size_t			 nplates;
	struct zes_exemption	*ex;
	size_t			 nex;
};

/* The terms of every agreement, of all time, sorted for zes_recognition_find(). */
struct zes_index_agreements {
	atomic_uint		 refs;
	struct zes_recognition	*v;
	struct zes_recognitions	 set;		/* the view readers get: v and n */
};

struct zes_index {
	atomic_uint			 refs;
	struct zes_rules		*rules;
	struct zes_index_vehicles	*veh;
	struct zes_index_exemptions	*base;
	struct zes_index_exemptions	*overlay;	/* replaces base per plate; may be NULL */
	struct zes_index_agreements	*agr;		/* may be NULL: no agreements */
	int64_t				 seq;
};

/* What a snapshot without agreements answers. */
static const struct zes_recognitions idx_no_recognitions = { NULL, 0 };

struct zes_index_vbuild {
	const struct zes_rules	*rules;
	uint32_t		*keys;		/* in the order added */
	uint32_t		*prof;
	size_t			 n, cap;
	struct zes_profile	*profiles;
	size_t			 nprofiles, profcap;
	uint32_t		*pmap;		/* profile dedup: 1 + index, 0 empty */
	size_t			 pmapcap;
};

/* Fibonacci hashing of a 32-bit key into a power-of-two table. */
static size_t
idx_hash32(uint32_t k, size_t cap)
{
	return (size_t)(((uint64_t)k * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

/* FNV-1a over n bytes. */
static uint64_t
idx_fnv(const void *p, size_t n)
{
	const unsigned char	*b = p;
	uint64_t		 h = 0xcbf29ce484222325ull;
	size_t			 i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Smallest power of two holding n at a load of at most one half. */
static size_t
idx_capacity(size_t n)
{
	size_t	cap = IDX_MIN_CAP;

	while (cap < n * 2)
		cap <<= 1;
	return cap;
}

/* A profile with every byte defined (padding zeroed), so it can be hashed and compared. */
static void
idx_profile_canon(const struct zes_profile *in, struct zes_profile *out)
{
	int	i;

	memset(out, 0, sizeof(*out));
	out->flags = in->flags;
	out->transition = in->transition;
	out->refusal = in->refusal;
	out->nauto = in->nauto > ZES_PROFILE_MAX_AUTO ? ZES_PROFILE_MAX_AUTO : in->nauto;
	out->transition_from = in->transition_from;
	out->transition_before = in->transition_before;
	for (i = 0; i < out->nauto; i++) {
		out->auto_[i].rule = in->auto_[i].rule;
		out->auto_[i].from = in->auto_[i].from;
		out->auto_[i].before = in->auto_[i].before;
	}
}

/* The number of a profile in the build, added when new. */
static uint32_t
idx_vbuild_profile(struct zes_index_vbuild *b, const struct zes_profile *p)
{
	size_t	i, j, newcap;

	if (b->nprofiles * 2 >= b->pmapcap) {
		newcap = b->pmapcap ? b->pmapcap * 2 : 1024;
		free(b->pmap);
		b->pmap = xcalloc(newcap, sizeof(*b->pmap));
		b->pmapcap = newcap;
		for (j = 0; j < b->nprofiles; j++) {
			i = idx_fnv(&b->profiles[j], sizeof(*p)) & (newcap - 1);
			while (b->pmap[i] != 0)
				i = (i + 1) & (newcap - 1);
			b->pmap[i] = (uint32_t)j + 1;
		}
	}
	i = idx_fnv(p, sizeof(*p)) & (b->pmapcap - 1);
	while (b->pmap[i] != 0) {
		if (memcmp(&b->profiles[b->pmap[i] - 1], p, sizeof(*p)) == 0)
			return b->pmap[i] - 1;
		i = (i + 1) & (b->pmapcap - 1);
	}
	if (b->nprofiles == b->profcap) {
		b->profcap = b->profcap ? b->profcap * 2 : 256;
		b->profiles = xrealloc(b->profiles, b->profcap * sizeof(*b->profiles));
	}
	b->profiles[b->nprofiles] = *p;
	b->pmap[i] = (uint32_t)b->nprofiles + 1;
	return (uint32_t)b->nprofiles++;
}

/* Append a (key, profile number) pair. */
static void
idx_vbuild_push(struct zes_index_vbuild *b, uint32_t key, uint32_t prof)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->keys = xrealloc(b->keys, b->cap * sizeof(*b->keys));
		b->prof = xrealloc(b->prof, b->cap * sizeof(*b->prof));
	}
	b->keys[b->n] = key;
	b->prof[b->n] = prof;
	b->n++;
}

/* Start a vehicle table. */
struct zes_index_vbuild *
zes_index_vbuild_new(const struct zes_rules *rules, size_t expected)
{
	struct zes_index_vbuild	*b = xcalloc(1, sizeof(*b));

	b->rules = rules;
	if (expected > 0) {
		b->cap = expected;
		b->keys = xmalloc(expected * sizeof(*b->keys));
		b->prof = xmalloc(expected * sizeof(*b->prof));
	}
	return b;
}

/* Add a register record. */
void
zes_index_vbuild_add(struct zes_index_vbuild *b, const struct zes_vehicle *v)
{
	struct zes_profile	raw, canon;
	uint32_t		key;

	if ((key = zes_plate_pack(v->plate)) == 0) {
		zes_log_warn("index", "plate_skipped", "reason=\"not a Dutch plate\"");
		return;
	}
	memset(&raw, 0, sizeof(raw));
	zes_vehicle_profile(v, &b->rules->national, &raw);
	idx_profile_canon(&raw, &canon);
	idx_vbuild_push(b, key, idx_vbuild_profile(b, &canon));
}

/* Turn the build into a table (later records of a plate win). */
struct zes_index_vehicles *
zes_index_vbuild_finish(struct zes_index_vbuild *b)
{
	struct zes_index_vehicles	*t = xcalloc(1, sizeof(*t));
	size_t				 i, s;

	atomic_init(&t->refs, 1);
	t->cap = idx_capacity(b->n);
	t->slots = xcalloc_huge(t->cap, sizeof(*t->slots));
	for (i = 0; i < b->n; i++) {
		s = idx_hash32(b->keys[i], t->cap);
		while (t->slots[s].key != 0 && t->slots[s].key != b->keys[i])
			s = (s + 1) & (t->cap - 1);
		if (t->slots[s].key == 0)
			t->n++;
		t->slots[s].key = b->keys[i];
		t->slots[s].prof = b->prof[i];
	}
	t->profiles = b->profiles;
	t->nprofiles = b->nprofiles;
	free(b->keys);
	free(b->prof);
	free(b->pmap);
	free(b);
	return t;
}

/* A copy of a table with records added or replaced. */
struct zes_index_vehicles *
zes_index_vehicles_update(const struct zes_index_vehicles *old,
    const struct zes_rules *rules, const struct zes_vehicle *v, size_t n)
{
	struct zes_index_vbuild	*b;
	size_t			 i;

	b = zes_index_vbuild_new(rules, old->n + n);
	for (i = 0; i < old->nprofiles; i++)
		(void)idx_vbuild_profile(b, &old->profiles[i]);
	for (i = 0; i < old->cap; i++)
		if (old->slots[i].key != 0)
			idx_vbuild_push(b, old->slots[i].key, old->slots[i].prof);
	for (i = 0; i < n; i++)
		zes_index_vbuild_add(b, &v[i]);
	return zes_index_vbuild_finish(b);
}

/* Drop a reference to a vehicle table. */
void
zes_index_vehicles_unref(struct zes_index_vehicles *t)
{
	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	free(t->slots);
	free(t->profiles);
	free(t);
}

/* The slot key of (country, plate); -1 when the plate is empty or too long. */
static int
idx_exkey(const char *country, const char *plate, char key[16])
{
	size_t	n = strlen(plate);

	memset(key, 0, 16);
	if (strlen(country) != 2 || n == 0 || n > 12)
		return -1;
	memcpy(key, country, 2);
	memcpy(key + 2, plate, n);
	return 0;
}

/* Find the slot of a key, or the empty slot where it would go. */
static size_t
idx_exfind(const struct zes_index_exemptions *m, const char key[16])
{
	size_t	s = idx_fnv(key, 16) & (m->cap - 1);

	while (m->slots[s].key[0] != '\0' && memcmp(m->slots[s].key, key, 16) != 0)
		s = (s + 1) & (m->cap - 1);
	return s;
}

/*
 * A row, its slot key (idx_exkey) and its position in the input, so that a
 * later row of an id wins.  Sorting on the 16-byte key orders by country
 * and plate as strcmp would (the plate is zero-padded) at the cost of one
 * memcmp: a new overlay is sorted on every batch of grants.
 */
struct idx_sortrow {
	char				 key[16];
	const struct zes_index_exrow	*row;
	size_t				 pos;
};

/* Order by key (country, plate), id, then input position. */
static int
idx_row_cmp(const void *a, const void *b)
{
	const struct idx_sortrow	*x = a, *y = b;
	int				 c;

	if ((c = memcmp(x->key, y->key, 16)) != 0)
		return c;
	if ((c = memcmp(x->row->ex.id, y->row->ex.id, 16)) != 0)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* An exemption map from rows (any order; of rows with the same id, the last counts). */
struct zes_index_exemptions *
zes_index_exemptions_build(const struct zes_index_exrow *rows, size_t n)
{
	struct zes_index_exemptions	*m = xcalloc(1, sizeof(*m));
	struct idx_sortrow		*v;
	size_t				 i, j, s, first, nv = 0, nplates = 0;

	atomic_init(&m->refs, 1);
	v = xmalloc((n ? n : 1) * sizeof(*v));
	for (i = 0; i < n; i++) {
		/* A plate no slot can hold is dropped. */
		if (idx_exkey(rows[i].country, rows[i].plate, v[nv].key) != 0)
			continue;
		v[nv].row = &rows[i];
		v[nv].pos = i;
		nv++;
	}
	qsort(v, nv, sizeof(*v), idx_row_cmp);
	for (i = 0; i < nv; i++)
		if (i == 0 || memcmp(v[i - 1].key, v[i].key, 16) != 0)
			nplates++;
	m->cap = idx_capacity(nplates);
	m->slots = xcalloc_huge(m->cap, sizeof(*m->slots));
	m->ex = xcalloc_huge(nv ? nv : 1, sizeof(*m->ex));
	for (i = 0; i < nv; i = j) {
		first = m->nex;
		for (j = i; j < nv && memcmp(v[i].key, v[j].key, 16) == 0; j++) {
			/* Sorted by id then position: a repeated id overwrites. */
			if (j > i && memcmp(v[j].row->ex.id, v[j - 1].row->ex.id, 16) == 0)
				m->ex[m->nex - 1] = v[j].row->ex;
			else
				m->ex[m->nex++] = v[j].row->ex;
		}
		s = idx_exfind(m, v[i].key);
		memcpy(m->slots[s].key, v[i].key, 16);
		m->slots[s].first = (uint32_t)first;
		m->slots[s].count = (uint32_t)(m->nex - first);
		m->nplates++;
	}
	free(v);
	return m;
}

/* Drop a reference to an exemption map. */
void
zes_index_exemptions_unref(struct zes_index_exemptions *m)
{
	if (m == NULL || atomic_fetch_sub(&m->refs, 1) != 1)
		return;
	free(m->slots);
	free(m->ex);
	free(m);
}

/* The exemptions of a key in a map; -1 when the map has no slot for it. */
static long
idx_exlookup(const struct zes_index_exemptions *m, const char key[16],
    const struct zes_exemption **out)
{
	size_t	s;

	if (m == NULL || m->cap == 0)
		return -1;
	s = idx_exfind(m, key);
	if (m->slots[s].key[0] == '\0')
		return -1;
	*out = m->ex + m->slots[s].first;
	return (long)m->slots[s].count;
}

/* A snapshot of the given parts. */
struct zes_index *
zes_index_new(struct zes_rules *rules, struct zes_index_vehicles *veh,
    struct zes_index_exemptions *base, int64_t seq)
{
	struct zes_index	*x = xcalloc(1, sizeof(*x));

	atomic_init(&x->refs, 1);
	x->rules = zes_rules_ref(rules);
	atomic_fetch_add(&veh->refs, 1);
	x->veh = veh;
	atomic_fetch_add(&base->refs, 1);
	x->base = base;
	x->seq = seq;
	return x;
}

/* The row of a slot's exemption. */
static void
idx_slot_row(const struct idx_exslot *sl, const struct zes_exemption *ex,
    struct zes_index_exrow *row)
{
	memcpy(row->country, sl->key, 2);
	row->country[2] = '\0';
	memcpy(row->plate, sl->key + 2, 12);
	row->plate[12] = '\0';
	row->ex = *ex;
}

/* Every (key, exemptions) of a snapshot, overlay first, as rows. */
static struct zes_index_exrow *
idx_all_rows(const struct zes_index *x, size_t *nrows)
{
	struct zes_index_exrow	*rows;
	size_t			 n = 0, cap, i, k;
	const struct zes_index_exemptions *maps[2] = { x->overlay, x->base };
	int			 m;

	cap = x->base->nex + (x->overlay ? x->overlay->nex : 0) + 1;
	rows = xmalloc(cap * sizeof(*rows));
	for (m = 0; m < 2; m++) {
		const struct zes_index_exemptions *map = maps[m];
		const struct zes_exemption *dummy;

		if (map == NULL)
			continue;
		for (i = 0; i < map->cap; i++) {
			const struct idx_exslot *sl = &map->slots[i];

			if (sl->key[0] == '\0')
				continue;
			/* A plate in the overlay hides its base entry. */
			if (m == 1 && idx_exlookup(x->overlay, sl->key, &dummy) >= 0)
				continue;
			for (k = 0; k < sl->count; k++)
				idx_slot_row(sl, &map->ex[sl->first + k], &rows[n++]);
		}
	}
	*nrows = n;
	return rows;
}

/* A new snapshot with exemption rows applied. */
struct zes_index *
zes_index_apply(const struct zes_index *old, const struct zes_index_exrow *rows,
    size_t n, int64_t seq, size_t max_overlay)
{
	struct zes_index	*x;
	struct zes_index_exrow	*all, *ov;
	struct { char key[16]; } *seen;
	size_t			 nall = 0, nov = 0, cap, i, j, s, scap;
	char			 key[16];
	const struct zes_exemption *cur;
	long			 cnt;

	/* The overlay's new content: its old plates, plus every touched plate's list. */
	cap = (old->overlay ? old->overlay->nex : 0) + n + 1;
	for (i = 0; i < n; i++)
		if (idx_exkey(rows[i].country, rows[i].plate, key) == 0 &&
		    (cnt = idx_exlookup(old->base, key, &cur)) > 0)
			cap += (size_t)cnt;
	ov = xmalloc(cap * sizeof(*ov));
	if (old->overlay != NULL) {
		for (i = 0; i < old->overlay->cap; i++) {
			const struct idx_exslot *sl = &old->overlay->slots[i];

			for (j = 0; sl->key[0] != '\0' && j < sl->count; j++) {
				idx_slot_row(sl, &old->overlay->ex[sl->first + j], &ov[nov]);
				nov++;
			}
		}
	}
	/* The plates of this batch seen so far: open addressing on the key. */
	scap = idx_capacity(n);
	seen = xcalloc(scap, sizeof(*seen));
	for (i = 0; i < n; i++) {
		int	 earlier = 0;

		if (idx_exkey(rows[i].country, rows[i].plate, key) != 0)
			continue;
		for (s = idx_fnv(key, 16) & (scap - 1); seen[s].key[0] != '\0';
		    s = (s + 1) & (scap - 1))
			if (memcmp(seen[s].key, key, 16) == 0) {
				earlier = 1;
				break;
			}
		if (!earlier)
			memcpy(seen[s].key, key, 16);
		/* A plate new to the overlay brings its base list along, once. */
		if (!earlier && idx_exlookup(old->overlay, key, &cur) < 0 &&
		    (cnt = idx_exlookup(old->base, key, &cur)) > 0) {
			for (j = 0; j < (size_t)cnt; j++) {
				ov[nov] = rows[i];
				ov[nov].ex = cur[j];
				nov++;
			}
		}
		ov[nov++] = rows[i];	/* after the old one: the build keeps it */
	}
	free(seen);

	x = xcalloc(1, sizeof(*x));
	atomic_init(&x->refs, 1);
	x->rules = zes_rules_ref(old->rules);
	atomic_fetch_add(&old->veh->refs, 1);
	x->veh = old->veh;
	x->seq = seq;
	if ((x->agr = old->agr) != NULL)
		atomic_fetch_add(&x->agr->refs, 1);
	x->overlay = zes_index_exemptions_build(ov, nov);
	free(ov);
	if (x->overlay->nplates > max_overlay) {
		/* Merge: one new base, no overlay. */
		x->base = old->base;
		all = idx_all_rows(x, &nall);
		x->base = zes_index_exemptions_build(all, nall);
		free(all);
		zes_index_exemptions_unref(x->overlay);
		x->overlay = NULL;
	} else {
		atomic_fetch_add(&old->base->refs, 1);
		x->base = old->base;
	}
	return x;
}

/* A new snapshot with another vehicle table. */
struct zes_index *
zes_index_with_vehicles(const struct zes_index *old, struct zes_index_vehicles *veh,
    int64_t seq)
{
	struct zes_index	*x = zes_index_new(old->rules, veh, old->base, seq);

	if (old->overlay != NULL) {
		atomic_fetch_add(&old->overlay->refs, 1);
		x->overlay = old->overlay;
	}
	if ((x->agr = old->agr) != NULL)
		atomic_fetch_add(&x->agr->refs, 1);
	return x;
}

/* Agreement terms from rows: copied, the empty ones left out, sorted. */
struct zes_index_agreements *
zes_index_agreements_build(const struct zes_recognition *rows, size_t n)
{
	struct zes_index_agreements	*a = xcalloc(1, sizeof(*a));
	size_t				 i, k = 0;

	atomic_init(&a->refs, 1);
	a->v = xcalloc(n ? n : 1, sizeof(*a->v));
	for (i = 0; i < n; i++)
		if (rows[i].valid_from < rows[i].valid_until)
			a->v[k++] = rows[i];
	zes_recognitions_sort(a->v, k);
	a->set.v = a->v;
	a->set.n = k;
	return a;
}

/* Is agreement id one of ids? */
static int
idx_agreement_in(const uint8_t id[16], const uint8_t (*ids)[16], size_t nids)
{
	size_t	i;

	for (i = 0; i < nids; i++)
		if (memcmp(id, ids[i], 16) == 0)
			return 1;
	return 0;
}

/* A copy of old without the terms of ids, with rows added. */
struct zes_index_agreements *
zes_index_agreements_update(const struct zes_index_agreements *old,
    const uint8_t (*ids)[16], size_t nids, const struct zes_recognition *rows,
    size_t n)
{
	struct zes_index_agreements	*a;
	struct zes_recognition		*all;
	size_t				 i, k = 0, nold = old ? old->set.n : 0;

	all = xcalloc(nold + n + 1, sizeof(*all));
	for (i = 0; i < nold; i++)
		if (!idx_agreement_in(old->v[i].agreement, ids, nids))
			all[k++] = old->v[i];
	for (i = 0; i < n; i++)
		all[k++] = rows[i];
	a = zes_index_agreements_build(all, k);
	free(all);
	return a;
}

/* Drop a reference to agreement terms. */
void
zes_index_agreements_unref(struct zes_index_agreements *a)
{
	if (a == NULL || atomic_fetch_sub(&a->refs, 1) != 1)
		return;
	free(a->v);
	free(a);
}

/* A new snapshot with other agreement terms. */
struct zes_index *
zes_index_with_agreements(const struct zes_index *old,
    struct zes_index_agreements *agr, int64_t seq)
{
	struct zes_index	*x = zes_index_new(old->rules, old->veh, old->base, seq);

	if (old->overlay != NULL) {
		atomic_fetch_add(&old->overlay->refs, 1);
		x->overlay = old->overlay;
	}
	if ((x->agr = agr) != NULL)
		atomic_fetch_add(&agr->refs, 1);
	return x;
}

/* The agreement terms of a snapshot, or NULL. */
const struct zes_index_agreements *
zes_index_agreements_of(const struct zes_index *x)
{
	return x->agr;
}

/* The agreement terms for the access decision. */
const struct zes_recognitions *
zes_index_recognitions(const struct zes_index *x)
{
	return x->agr != NULL ? &x->agr->set : &idx_no_recognitions;
}

/* Take a reference to a snapshot. */
struct zes_index *
zes_index_ref(struct zes_index *x)
{
	atomic_fetch_add(&x->refs, 1);
	return x;
}

/* Drop a reference; the last frees the snapshot and its shares of the parts. */
void
zes_index_unref(struct zes_index *x)
{
	if (x == NULL || atomic_fetch_sub(&x->refs, 1) != 1)
		return;
	zes_index_vehicles_unref(x->veh);
	zes_index_exemptions_unref(x->base);
	zes_index_exemptions_unref(x->overlay);
	zes_index_agreements_unref(x->agr);
	zes_rules_unref(x->rules);
	free(x);
}

/* The vehicle table of a snapshot. */
const struct zes_index_vehicles *
zes_index_vehicles_of(const struct zes_index *x)
{
	return x->veh;
}

/* The rules a snapshot was built with. */
const struct zes_rules *
zes_index_rules(const struct zes_index *x)
{
	return x->rules;
}

/* The profile of a Dutch plate, or NULL. */
const struct zes_profile *
zes_index_vehicle(const struct zes_index *x, const char *plate)
{
	const struct zes_index_vehicles	*t = x->veh;
	uint32_t			 key = zes_plate_pack(plate);
	size_t				 s;

	if (key == 0 || t->cap == 0)
		return NULL;
	s = idx_hash32(key, t->cap);
	while (t->slots[s].key != 0) {
		if (t->slots[s].key == key)
			return &t->profiles[t->slots[s].prof];
		s = (s + 1) & (t->cap - 1);
	}
	return NULL;
}

/* The exemptions of a plate (overlay first). */
size_t
zes_index_exemptions(const struct zes_index *x, const char *country,
    const char *plate, const struct zes_exemption **out)
{
	char	key[16];
	long	n;

	*out = NULL;
	if (idx_exkey(country, plate, key) != 0)
		return 0;
	if ((n = idx_exlookup(x->overlay, key, out)) >= 0)
		return (size_t)n;
	if ((n = idx_exlookup(x->base, key, out)) >= 0)
		return (size_t)n;
	*out = NULL;
	return 0;
}

/* Sizes for /metrics. */
void
zes_index_get_stats(const struct zes_index *x, struct zes_index_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->vehicles = x->veh->n;
	st->profiles = x->veh->nprofiles;
	st->exemptions = x->base->nex + (x->overlay ? x->overlay->nex : 0);
	st->overlay_plates = x->overlay ? x->overlay->nplates : 0;
	st->recognitions = x->agr ? x->agr->set.n : 0;
	st->bytes = x->veh->cap * sizeof(struct idx_vslot) +
	    x->veh->nprofiles * sizeof(struct zes_profile) +
	    x->base->cap * sizeof(struct idx_exslot) +
	    x->base->nex * sizeof(struct zes_exemption);
	if (x->overlay != NULL)
		st->bytes += x->overlay->cap * sizeof(struct idx_exslot) +
		    x->overlay->nex * sizeof(struct zes_exemption);
	if (x->agr != NULL)
		st->bytes += x->agr->set.n * sizeof(struct zes_recognition);
	st->seq = x->seq;
}
