/*
 * Unit tests for core/vehicle.c and core/admit.c: facts and profiles of
 * register records, and the access decision of DOMAIN.md §2-§4 and §6.
 * One table of cases (vehicle, municipality, instant, exemptions ->
 * basis, ground, validUntil) runs twice: against national rules built by
 * hand here from DOMAIN.md, and against the real rules/ folder as the
 * loader reads it, so the two must agree on every case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zes/admit.h"
#include "zes/period.h"
#include "zes/ruleset.h"
#include "zes/rulesdir.h"

/* Parse a date the test knows to be good. */
static int64_t
t_day(const char *s)
{
	int64_t	day = 0;

	if (zes_date_parse(s, strlen(s), &day) != 0)
		fail_msg("date %s refused", s);
	return day;
}

/* Parse an instant the test knows to be good. */
static int64_t
t_at(const char *s)
{
	int64_t	t = 0;

	if (zes_time_parse_rfc3339(s, strlen(s), &t) != 0)
		fail_msg("instant %s refused", s);
	return t;
}

/*
 * National rules written by hand from DOMAIN.md §1-§4 and §6, in static
 * pools (the test's own arena), with small builders for conditions.
 */
#define T_POOL	512
static struct zes_cond		t_cpool[T_POOL];
static size_t			t_ncpool;
static const char		*t_spool[T_POOL];
static size_t			t_nspool;
static int64_t			t_ipool[T_POOL];
static size_t			t_nipool;
static struct zes_dayexpr	t_dpool[64];
static size_t			t_ndpool;

/* A comparison node with value v. */
static struct zes_cond
t_cmp(enum zes_field f, enum zes_cond_op op, struct zes_value v)
{
	struct zes_cond	c;

	memset(&c, 0, sizeof(c));
	c.kind = ZES_COND_CMP;
	c.field = (int)f;
	c.op = op;
	c.value = v;
	return c;
}

/* field op "string" */
static struct zes_cond
t_s(enum zes_field f, enum zes_cond_op op, const char *s)
{
	struct zes_value	v = { .type = ZES_V_STRING, .u.s = s };

	return t_cmp(f, op, v);
}

/* field op integer */
static struct zes_cond
t_i(enum zes_field f, enum zes_cond_op op, int64_t i)
{
	struct zes_value	v = { .type = ZES_V_INT, .u.i = i };

	return t_cmp(f, op, v);
}

/* field op boolean (also exists true/false) */
static struct zes_cond
t_b(enum zes_field f, enum zes_cond_op op, int b)
{
	struct zes_value	v = { .type = ZES_V_BOOL, .u.i = b };

	return t_cmp(f, op, v);
}

/* field op "YYYY-MM-DD" */
static struct zes_cond
t_d(enum zes_field f, enum zes_cond_op op, const char *day)
{
	struct zes_value	v = { .type = ZES_V_DATE, .u.i = t_day(day) };

	return t_cmp(f, op, v);
}

/* field op [n strings] */
static struct zes_cond
t_sl(enum zes_field f, enum zes_cond_op op, size_t n, ...)
{
	struct zes_value	v = { .type = ZES_V_STRSET };
	va_list			ap;
	size_t			i;

	assert_true(t_nspool + n <= T_POOL);
	v.u.ss.v = &t_spool[t_nspool];
	v.u.ss.n = n;
	va_start(ap, n);
	for (i = 0; i < n; i++)
		t_spool[t_nspool++] = va_arg(ap, const char *);
	va_end(ap);
	return t_cmp(f, op, v);
}

/* field op [n integers] */
static struct zes_cond
t_il(enum zes_field f, enum zes_cond_op op, size_t n, ...)
{
	struct zes_value	v = { .type = ZES_V_INTSET };
	va_list			ap;
	size_t			i;

	assert_true(t_nipool + n <= T_POOL);
	v.u.is.v = &t_ipool[t_nipool];
	v.u.is.n = n;
	va_start(ap, n);
	for (i = 0; i < n; i++)
		t_ipool[t_nipool++] = va_arg(ap, int);
	va_end(ap);
	return t_cmp(f, op, v);
}

/* all/any of n conditions, or not of one. */
static struct zes_cond
t_node(enum zes_cond_kind k, size_t n, ...)
{
	struct zes_cond	c;
	va_list		ap;
	size_t		i;

	assert_true(t_ncpool + n <= T_POOL);
	memset(&c, 0, sizeof(c));
	c.kind = k;
	c.kids = &t_cpool[t_ncpool];
	c.nkids = n;
	va_start(ap, n);
	for (i = 0; i < n; i++)
		t_cpool[t_ncpool++] = va_arg(ap, struct zes_cond);
	va_end(ap);
	return c;
}

#define T_ALL(n, ...)	t_node(ZES_COND_ALL, n, __VA_ARGS__)
#define T_ANY(n, ...)	t_node(ZES_COND_ANY, n, __VA_ARGS__)
#define T_NOT(c)	t_node(ZES_COND_NOT, 1, c)

/* A bound of one fixed day; NULL: none. */
static struct zes_daybound
t_fixed(const char *day)
{
	struct zes_daybound	b = { NULL, 0 };

	if (day == NULL)
		return b;
	t_dpool[t_ndpool] = (struct zes_dayexpr){ .field = -1,
	    .day = t_day(day) };
	b.v = &t_dpool[t_ndpool++];
	b.n = 1;
	return b;
}

/* A bound of DET + years, and (when day is not NULL) a fixed day. */
static struct zes_daybound
t_det(int years, const char *day)
{
	struct zes_daybound	b;

	b.v = &t_dpool[t_ndpool];
	b.n = 1;
	t_dpool[t_ndpool++] = (struct zes_dayexpr){
	    .field = ZES_F_FIRST_ADMISSION, .plus_years = years };
	if (day != NULL) {
		t_dpool[t_ndpool++] = (struct zes_dayexpr){ .field = -1,
		    .day = t_day(day) };
		b.n = 2;
	}
	return b;
}

static const char *const t_ze_classes[] = { "Z" };
static const char *const t_ze_fuels[] = { "Elektriciteit", "Waterstof" };
static const char *const t_statute_types[] = {
	"business_hardship", "grid_congestion"
};
static struct zes_kind_rule	t_kinds[3];
static struct zes_access_rule	t_transition[5];
static struct zes_access_rule	t_automatic[3];
static struct zes_refusal_rule	t_refusals[5];
static struct zes_statute	t_statutes[1];

/* Hand zones: DOMAIN.md §9, and GM9999 with a gap for calendar tests. */
static struct zes_zone_period	t_from2025[1];
static struct zes_zone_period	t_gap[2];
static struct zes_municipality	t_munis[5];
static struct zes_rules		t_hand;

/* A transition or automatic rule. */
static void
t_access(struct zes_access_rule *r, const char *ground, struct zes_cond when,
    struct zes_daybound from, struct zes_daybound before)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->ground, ground);
	r->when = when;
	r->from = from;
	r->before = before;
}

/* A municipality of the hand rules. */
static void
t_muni(struct zes_municipality *m, const char *code,
    const struct zes_zone_period *p, size_t n)
{
	memset(m, 0, sizeof(*m));
	strcpy(m->code, code);
	m->has_zone = n > 0;
	m->zone_name = n > 0 ? "zone" : NULL;
	m->periods = p;
	m->nperiods = n;
}

/* Build t_hand: DOMAIN.md as rules. */
static void
t_hand_build(void)
{
	struct zes_national	*n = &t_hand.national;
	struct zes_cond		 trucks;

	t_ncpool = t_nspool = t_nipool = t_ndpool = 0;
	memset(&t_hand, 0, sizeof(t_hand));

	/*
	 * §1: N1-N3.  The register fallback (voertuigsoort Bedrijfsauto) is
	 * applied by the import, before vehicle.category exists.
	 */
	n->scope = t_sl(ZES_F_CATEGORY, ZES_OP_IN, 3, "N1", "N2", "N3");
	n->ze_classes = t_ze_classes;
	n->nze_classes = ZES_NELEM(t_ze_classes);
	n->ze_fuels = t_ze_fuels;
	n->nze_fuels = ZES_NELEM(t_ze_fuels);

	/*
	 * §1: mass decides; the category only when the mass is unknown.
	 * Only goods vehicles have a kind (kinds see inScope).
	 */
	strcpy(t_kinds[0].kind, "van");
	t_kinds[0].when = T_ALL(2, t_b(ZES_F_IN_SCOPE, ZES_OP_EQ, 1),
	    T_ANY(2, t_i(ZES_F_MASS_KG, ZES_OP_LE, 3500),
	    T_ALL(2, t_b(ZES_F_MASS_KG, ZES_OP_EXISTS, 0),
	    t_s(ZES_F_CATEGORY, ZES_OP_EQ, "N1"))));
	strcpy(t_kinds[1].kind, "tractor");
	t_kinds[1].when = T_ALL(3, t_b(ZES_F_IN_SCOPE, ZES_OP_EQ, 1),
	    t_sl(ZES_F_CATEGORY, ZES_OP_IN, 2, "N2", "N3"),
	    T_ANY(2, t_s(ZES_F_BODY_DESCRIPTION, ZES_OP_EQ, "opleggertrekker"),
	    t_s(ZES_F_BODY_TYPE, ZES_OP_EQ, "BC")));
	strcpy(t_kinds[2].kind, "rigid");
	t_kinds[2].when = T_ALL(2, t_b(ZES_F_IN_SCOPE, ZES_OP_EQ, 1),
	    T_ANY(2, t_i(ZES_F_MASS_KG, ZES_OP_GT, 3500),
	    T_ALL(2, t_b(ZES_F_MASS_KG, ZES_OP_EXISTS, 0),
	    t_sl(ZES_F_CATEGORY, ZES_OP_IN, 2, "N2", "N3"))));
	n->kinds = t_kinds;
	n->nkinds = 3;

	/* §3 */
	t_access(&t_transition[0], "transition_van_ek5", T_ALL(3,
	    t_s(ZES_F_KIND, ZES_OP_EQ, "van"),
	    t_i(ZES_F_EMISSION_CLASS, ZES_OP_EQ, 5),
	    t_d(ZES_F_FIRST_ADMISSION, ZES_OP_LE, "2024-12-31")),
	    t_fixed(NULL), t_fixed("2027-01-01"));
	t_access(&t_transition[1], "transition_van_ek6", T_ALL(3,
	    t_s(ZES_F_KIND, ZES_OP_EQ, "van"),
	    t_i(ZES_F_EMISSION_CLASS, ZES_OP_EQ, 6),
	    t_d(ZES_F_FIRST_ADMISSION, ZES_OP_LE, "2024-12-31")),
	    t_fixed(NULL), t_fixed("2029-01-01"));
	t_access(&t_transition[2], "transition_tractor_ek6", T_ALL(4,
	    t_s(ZES_F_KIND, ZES_OP_EQ, "tractor"),
	    t_i(ZES_F_EMISSION_CLASS, ZES_OP_EQ, 6),
	    t_d(ZES_F_FIRST_ADMISSION, ZES_OP_GE, "2017-01-01"),
	    t_d(ZES_F_FIRST_ADMISSION, ZES_OP_LE, "2024-12-31")),
	    t_fixed(NULL), t_fixed("2030-01-01"));
	t_access(&t_transition[3], "transition_rigid_ek6_young", T_ALL(4,
	    t_s(ZES_F_KIND, ZES_OP_EQ, "rigid"),
	    t_i(ZES_F_EMISSION_CLASS, ZES_OP_EQ, 6),
	    t_d(ZES_F_FIRST_ADMISSION, ZES_OP_GE, "2020-01-01"),
	    t_d(ZES_F_FIRST_ADMISSION, ZES_OP_LE, "2024-12-31")),
	    t_fixed(NULL), t_fixed("2030-01-01"));
	t_access(&t_transition[4], "transition_rigid_ek6_old", T_ALL(4,
	    t_s(ZES_F_KIND, ZES_OP_EQ, "rigid"),
	    t_i(ZES_F_EMISSION_CLASS, ZES_OP_EQ, 6),
	    t_d(ZES_F_FIRST_ADMISSION, ZES_OP_GE, "2017-01-01"),
	    t_d(ZES_F_FIRST_ADMISSION, ZES_OP_LE, "2019-12-31")),
	    t_fixed(NULL), t_fixed("2028-01-01"));
	n->transition = t_transition;
	n->ntransition = 5;

	/* §4 */
	trucks = t_sl(ZES_F_KIND, ZES_OP_IN, 2, "tractor", "rigid");
	t_access(&t_automatic[0], "oldtimer",
	    t_sl(ZES_F_KIND, ZES_OP_IN, 3, "van", "tractor", "rigid"),
	    t_det(40, NULL), t_fixed("2030-01-01"));
	t_access(&t_automatic[1], "wheelchair_accessible", T_ALL(2,
	    t_sl(ZES_F_KIND, ZES_OP_IN, 3, "van", "tractor", "rigid"),
	    T_ANY(2, t_s(ZES_F_BODY_TYPE, ZES_OP_EQ, "SH"),
	    t_il(ZES_F_SPECIAL_CODES, ZES_OP_INTERSECTS, 5,
	    70, 145, 146, 147, 149))),
	    t_fixed(NULL), t_fixed("2030-01-01"));
	t_access(&t_automatic[2], "special_body", T_ALL(2, trucks,
	    T_ANY(2, t_il(ZES_F_BODY_CODE, ZES_OP_IN, 7,
	    15, 16, 19, 23, 26, 27, 31),
	    t_sl(ZES_F_BODY_TYPE, ZES_OP_IN, 2, "SB", "SF"))),
	    t_fixed(NULL), t_det(13, "2030-01-01"));
	n->automatic = t_automatic;
	n->nautomatic = 3;

	/* §2, the grounds of `none`, most specific first */
	strcpy(t_refusals[0].ground, "registered_after_cutoff");
	t_refusals[0].when = T_ALL(2, t_b(ZES_F_ZERO_EMISSION, ZES_OP_EQ, 0),
	    t_d(ZES_F_FIRST_ADMISSION, ZES_OP_GE, "2025-01-01"));
	strcpy(t_refusals[1].ground, "emission_class_unknown");
	t_refusals[1].when = t_b(ZES_F_EMISSION_CLASS, ZES_OP_EXISTS, 0);
	strcpy(t_refusals[2].ground, "emission_class_too_low");
	t_refusals[2].when = T_ANY(2,
	    T_ALL(2, t_s(ZES_F_KIND, ZES_OP_EQ, "van"),
	    t_i(ZES_F_EMISSION_CLASS, ZES_OP_LE, 4)),
	    T_ALL(2, trucks, t_i(ZES_F_EMISSION_CLASS, ZES_OP_LE, 5)));
	strcpy(t_refusals[3].ground, "registered_before_window");
	t_refusals[3].when = T_ALL(3, trucks,
	    t_i(ZES_F_EMISSION_CLASS, ZES_OP_EQ, 6),
	    t_d(ZES_F_FIRST_ADMISSION, ZES_OP_LT, "2017-01-01"));
	strcpy(t_refusals[4].ground, "transition_expired");
	t_refusals[4].when = t_b(ZES_F_TRANSITION_COVERED, ZES_OP_EQ, 1);
	n->refusals = t_refusals;
	n->nrefusals = 5;

	/* §6 */
	t_statutes[0].types = t_statute_types;
	t_statutes[0].ntypes = ZES_NELEM(t_statute_types);
	t_statutes[0].granted_from_day = t_day("2026-01-01");
	t_statutes[0].from_day = t_day("2026-01-01");
	n->statutes = t_statutes;
	n->nstatutes = 1;

	t_from2025[0] = (struct zes_zone_period){ t_day("2025-01-01"),
	    ZES_DAY_NONE };
	t_gap[0] = (struct zes_zone_period){ t_day("2025-01-01"),
	    t_day("2026-01-01") };
	t_gap[1] = (struct zes_zone_period){ t_day("2027-01-01"),
	    ZES_DAY_NONE };
	t_muni(&t_munis[0], "GM0503", t_from2025, 1);
	t_muni(&t_munis[1], "GM0518", t_from2025, 1);
	t_muni(&t_munis[2], "GM0599", t_from2025, 1);
	t_muni(&t_munis[3], "GM0613", NULL, 0);
	t_muni(&t_munis[4], "GM9999", t_gap, 2);
	t_hand.munis = t_munis;
	t_hand.nmunis = ZES_NELEM(t_munis);
}

/* A municipality of rules r by code, or NULL (found without the loader). */
static const struct zes_municipality *
t_find_muni(const struct zes_rules *r, const char *code)
{
	size_t	i;

	if (code == NULL)
		return NULL;
	for (i = 0; i < r->nmunis; i++)
		if (strcmp(r->munis[i].code, code) == 0)
			return &r->munis[i];
	return NULL;
}

/*
 * Register records.  fuels is "name=class;..." (class empty when unknown),
 * specials "70,145"; det NULL when unknown; body_code and mass -1 unknown.
 */
struct t_veh {
	const char	*name;
	const char	*category, *vtype, *desc, *body;
	int		 body_code;
	const char	*specials;
	const char	*fuels;
	const char	*det;
	int		 mass;
};

#define BA	"Bedrijfsauto"
#define GO	"gesloten opbouw"
#define OT	"opleggertrekker"
static const struct t_veh t_vehicles[] = {
	/* DOMAIN.md §8, real rows (VTV69T's DET is not given there) */
	{ "TT601D", "M1", "Personenauto", "hatchback", "", -1, "",
	    "Diesel=5", "2013-05-17", 1390 },
	{ "VTV69T", "N1", BA, GO, "BB", -1, "", "Elektriciteit=Z", NULL, 3500 },
	{ "VTV69T_2025", "N1", BA, GO, "BB", -1, "", "Elektriciteit=Z",
	    "2025-06-01", 3500 },
	/* zero-emission or not (§1) */
	{ "PHEV", "N1", BA, GO, "BB", -1, "", "Elektriciteit=Z;Benzine=6",
	    "2022-03-01", 2800 },
	{ "PHEV_NOCLASS", "N1", BA, GO, "BB", -1, "", "Elektriciteit=;Diesel=",
	    "2022-03-01", 2800 },
	{ "EV_NOCLASS", "N1", BA, GO, "BB", -1, "", "Elektriciteit=",
	    "2022-03-01", 2800 },
	{ "H2_EV", "N2", BA, GO, "BB", -1, "", "Waterstof=;Elektriciteit=Z",
	    "2022-03-01", 9000 },
	{ "NOFUEL", "N1", BA, GO, "BB", -1, "", "", "2022-03-01", 2800 },
	/* vans (§3) */
	{ "VAN5", "N1", BA, GO, "BB", -1, "", "Diesel=5", "2020-06-01", 3000 },
	{ "VAN5_DET_LAST", "N1", BA, GO, "BB", -1, "", "Diesel=5",
	    "2024-12-31", 3000 },
	{ "VAN5_DET_CUT", "N1", BA, GO, "BB", -1, "", "Diesel=5",
	    "2025-01-01", 3000 },
	{ "VAN6", "N1", BA, GO, "BB", -1, "", "Diesel=6", "2020-06-01", 3000 },
	{ "VAN6_CNG", "N1", BA, GO, "BB", -1, "", "CNG=6;Benzine=5",
	    "2019-06-01", 3000 },
	{ "VAN4", "N1", BA, GO, "BB", -1, "", "Diesel=4", "2015-06-01", 3000 },
	{ "VAN_NOCLASS", "N1", BA, GO, "BB", -1, "", "Diesel=", "2015-06-01",
	    3000 },
	{ "VAN_NOCAT", "", BA, GO, "BB", -1, "", "Diesel=5", "2020-06-01",
	    3000 },
	{ "VAN6_NODET", "N1", BA, GO, "BB", -1, "", "Diesel=6", NULL, 3000 },
	{ "CAR_NOCAT", "", "Personenauto", "", "", -1, "", "Diesel=5",
	    "2020-06-01", 1200 },
	{ "NOKIND", "", BA, "", "", -1, "", "Diesel=6", "2020-06-01", -1 },
	/* mass against category (§1) */
	{ "N2_3500", "N2", BA, GO, "BB", -1, "", "Diesel=5", "2020-06-01",
	    3500 },
	{ "N3_3500_OT", "N3", BA, OT, "BC", -1, "", "Diesel=5", "2020-06-01",
	    3500 },
	{ "N1_3501", "N1", BA, GO, "BB", -1, "", "Diesel=6", "2021-06-01",
	    3501 },
	{ "N1_18000_OT", "N1", BA, OT, "BC", -1, "", "Diesel=6", "2018-03-01",
	    18000 },
	{ "N1_NOMASS", "N1", BA, GO, "BB", -1, "", "Diesel=5", "2020-06-01",
	    -1 },
	{ "N3_NOMASS_OT", "N3", BA, OT, "", -1, "", "Diesel=6", "2018-03-01",
	    -1 },
	/* trucks (§3) */
	{ "TRACTOR", "N3", BA, OT, "", -1, "", "Diesel=6", "2018-03-01",
	    18000 },
	{ "TRACTOR_BC", "N3", BA, "", "BC", -1, "", "Diesel=6", "2018-03-01",
	    18000 },
	{ "TRACTOR_2017", "N3", BA, OT, "BC", -1, "", "Diesel=6", "2017-01-01",
	    18000 },
	{ "TRACTOR_2016", "N3", BA, OT, "BC", -1, "", "Diesel=6", "2016-12-31",
	    18000 },
	{ "TRACTOR5", "N3", BA, OT, "BC", -1, "", "Diesel=5", "2018-03-01",
	    18000 },
	{ "RIGID", "N3", BA, GO, "BB", -1, "", "Diesel=6", "2018-03-01",
	    18000 },
	{ "RIGID_2016", "N2", BA, GO, "BB", -1, "", "Diesel=6", "2016-12-31",
	    12000 },
	{ "RIGID_2017", "N2", BA, GO, "BB", -1, "", "Diesel=6", "2017-01-01",
	    12000 },
	{ "RIGID_2019", "N2", BA, GO, "BB", -1, "", "Diesel=6", "2019-12-31",
	    12000 },
	{ "RIGID_2020", "N2", BA, GO, "BB", -1, "", "Diesel=6", "2020-01-01",
	    12000 },
	{ "RIGID_2024", "N2", BA, GO, "BB", -1, "", "Diesel=6", "2024-12-31",
	    12000 },
	{ "RIGID_2025", "N2", BA, GO, "BB", -1, "", "Diesel=6", "2025-01-01",
	    12000 },
	{ "RIGID5", "N3", BA, GO, "BB", -1, "", "Diesel=5", "2018-03-01",
	    18000 },
	/* automatic exemptions (§4) */
	{ "OLDTIMER", "N1", BA, GO, "BB", -1, "", "Benzine=", "1986-03-15",
	    2500 },
	{ "OLDTIMER_MAR29", "N1", BA, GO, "BB", -1, "", "Benzine=",
	    "1986-03-29", 2500 },
	{ "OLDTIMER_OCT25", "N3", BA, GO, "BB", -1, "", "Diesel=",
	    "1986-10-25", 16000 },
	{ "OLDTIMER_M1", "M1", "Personenauto", "", "", -1, "", "Benzine=",
	    "1980-01-01", 1000 },
	{ "WHEEL_SH", "N1", BA, "", "SH", -1, "", "Diesel=4", "2015-06-01",
	    3000 },
	{ "WHEEL_145", "N3", BA, GO, "BB", -1, "145", "Diesel=5", "2010-06-01",
	    18000 },
	{ "WHEEL_70", "N1", BA, GO, "BB", -1, "12,70", "Diesel=4",
	    "2015-06-01", 3000 },
	{ "WHEEL_148", "N1", BA, GO, "BB", -1, "148,150", "Diesel=4",
	    "2015-06-01", 3000 },
	{ "SPECIAL_23", "N3", BA, GO, "", 23, "", "Diesel=5", "2015-06-01",
	    18000 },
	{ "SPECIAL_SF", "N2", BA, GO, "SF", -1, "", "Diesel=5", "2015-06-01",
	    12000 },
	{ "SPECIAL_SB_OT", "N3", BA, OT, "SB", -1, "", "Diesel=6", "2015-06-01",
	    18000 },
	{ "SPECIAL_VAN_23", "N1", BA, GO, "SF", 23, "", "Diesel=4",
	    "2015-06-01", 3000 },
	{ "SPECIAL_22", "N3", BA, GO, "BB", 22, "", "Diesel=5", "2015-06-01",
	    18000 },
	{ "SPECIAL_MAR29", "N3", BA, GO, "", 23, "", "Diesel=5", "2013-03-29",
	    18000 },
	{ "SPECIAL_OCT25", "N3", BA, GO, "", 23, "", "Diesel=5", "2013-10-25",
	    18000 },
	{ "SPECIAL_LEAP", "N3", BA, GO, "", 23, "", "Diesel=5", "2012-02-29",
	    18000 },
	{ "SPECIAL_YOUNG", "N3", BA, GO, "", 23, "", "Diesel=5", "2020-06-01",
	    18000 },
	{ "SPECIAL_NODET", "N3", BA, GO, "", 23, "", "Diesel=5", NULL, 18000 },
	{ "RIGID_YOUNG_SH", "N2", BA, GO, "SH", -1, "", "Diesel=6",
	    "2020-06-01", 12000 },
	{ "OLD_SPECIAL_SH", "N3", BA, GO, "SH", 23, "", "Diesel=", "1985-06-01",
	    18000 },
};

/* The test vehicle called name. */
static const struct t_veh *
t_veh_find(const char *name)
{
	size_t	i;

	for (i = 0; i < ZES_NELEM(t_vehicles); i++)
		if (strcmp(t_vehicles[i].name, name) == 0)
			return &t_vehicles[i];
	fail_msg("no test vehicle %s", name);
	return NULL;
}

/* Turn a test vehicle into a register record. */
static void
t_vehicle(const struct t_veh *tv, struct zes_vehicle *v)
{
	char	buf[128], *p, *tok, *save = NULL, *eq;

	memset(v, 0, sizeof(*v));
	strcpy(v->plate, "TEST00");
	strcpy(v->category, tv->category);
	strcpy(v->vehicle_type, tv->vtype);
	strcpy(v->body_description, tv->desc);
	strcpy(v->body_type, tv->body);
	v->body_code = tv->body_code;
	v->mass_kg = tv->mass;
	v->first_admission = tv->det != NULL ? t_day(tv->det) : ZES_DAY_NONE;
	strcpy(buf, tv->specials);
	for (p = buf; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL)
		v->special_codes[v->nspecial++] = atoi(tok);
	strcpy(buf, tv->fuels);
	save = NULL;
	for (p = buf; (tok = strtok_r(p, ";", &save)) != NULL; p = NULL) {
		eq = strchr(tok, '=');
		assert_non_null(eq);
		*eq = '\0';
		strcpy(v->fuels[v->nfuels].name, tok);
		strcpy(v->fuels[v->nfuels].emission_class, eq + 1);
		v->nfuels++;
	}
}

/* One exemption of a case; type NULL ends the list. */
struct t_ex {
	const char	*type;
	const char	*issuer;
	const char	*from, *until;		/* instants */
	const char	*granted;		/* NULL: at `from` */
	const char	*revoked;		/* NULL: not revoked */
	uint8_t		 id;		/* last byte of the uuid */
};

/* One access check and what it must answer. */
struct t_case {
	const char	*veh;		/* NULL: not in the register */
	const char	*muni;		/* NULL: no municipality */
	const char	*at;
	enum zes_basis	 basis;
	const char	*ground;
	const char	*until;		/* NULL: open (INT64_MAX) */
	int		 exi;		/* the granting exemption, or -1 */
	int		 hand_only;	/* uses the hand-only GM9999 */
	struct t_ex	 ex[3];
};

#define NO_ZONE		ZES_BASIS_NO_ZONE
#define OUT		ZES_BASIS_OUT_OF_SCOPE
#define ZE		ZES_BASIS_ZERO_EMISSION
#define TRANS		ZES_BASIS_TRANSITION_SCHEME
#define NAT		ZES_BASIS_NATIONAL_EXEMPTION
#define MUN		ZES_BASIS_MUNICIPAL_EXEMPTION
#define REC		ZES_BASIS_RECOGNIZED_EXEMPTION
#define NONE		ZES_BASIS_NONE
#define UNKNOWN		ZES_BASIS_UNKNOWN_VEHICLE
#define RDAM		"GM0599"
#define DELFT		"GM0503"
#define DH		"GM0518"

/* A case without exemptions, one on the hand-only GM9999, one with some. */
#define T(v, m, t, b, g, u, x) \
	{ .veh = v, .muni = m, .at = t, .basis = b, .ground = g, .until = u, \
	  .exi = x }
#define TH(v, m, t, b, g, u, x) \
	{ .veh = v, .muni = m, .at = t, .basis = b, .ground = g, .until = u, \
	  .exi = x, .hand_only = 1 }
#define TX(v, m, t, b, g, u, x, ...) \
	{ .veh = v, .muni = m, .at = t, .basis = b, .ground = g, .until = u, \
	  .exi = x, .ex = { __VA_ARGS__ } }

/* 23:00Z is local midnight in winter (CET), 22:00Z in summer (CEST). */
static const struct t_case t_cases[] = {
	/* no_zone: no municipality, a municipality without a zone, before the
	 * zone starts (validUntil: its start), and the gap of GM9999 */
	T("VAN4", NULL, "2026-06-01T10:00:00Z", NO_ZONE, "no_zone", NULL, -1),
	T(NULL, NULL, "2026-06-01T10:00:00Z", NO_ZONE, "no_zone", NULL, -1),
	T("VAN4", "GM0613", "2026-06-01T10:00:00Z",
	    NO_ZONE, "no_zone", NULL, -1),
	T(NULL, "GM0613", "2026-06-01T10:00:00Z", NO_ZONE, "no_zone", NULL, -1),
	T("VAN4", RDAM, "2024-12-31T22:59:59Z",
	    NO_ZONE, "no_zone", "2024-12-31T23:00:00Z", -1),
	T("VAN4", RDAM, "2024-12-31T23:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),
	T("VAN4", DH, "2024-12-31T23:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),
	T("VAN4", DELFT, "2024-12-31T22:59:59Z",
	    NO_ZONE, "no_zone", "2024-12-31T23:00:00Z", -1),
	TH("VAN4", "GM9999", "2025-12-31T22:59:59Z",
	    NONE, "emission_class_too_low", NULL, -1),
	TH("VAN4", "GM9999", "2025-12-31T23:00:00Z",
	    NO_ZONE, "no_zone", "2026-12-31T23:00:00Z", -1),
	TH("VAN4", "GM9999", "2026-12-31T22:59:59Z",
	    NO_ZONE, "no_zone", "2026-12-31T23:00:00Z", -1),
	TH("VAN4", "GM9999", "2026-12-31T23:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),

	/* out_of_scope, zero_emission: DOMAIN.md §8 fixtures and §1 */
	T("TT601D", RDAM, "2026-06-01T10:00:00Z",
	    OUT, "out_of_scope", NULL, -1),
	T("CAR_NOCAT", RDAM, "2026-06-01T10:00:00Z",
	    OUT, "out_of_scope", NULL, -1),
	T("OLDTIMER_M1", RDAM, "2026-06-01T10:00:00Z",
	    OUT, "out_of_scope", NULL, -1),
	T("VTV69T", RDAM, "2026-06-01T10:00:00Z",
	    ZE, "zero_emission", NULL, -1),
	T("VTV69T", RDAM, "2031-06-01T10:00:00Z",
	    ZE, "zero_emission", NULL, -1),
	T("VTV69T_2025", RDAM, "2026-06-01T10:00:00Z",
	    ZE, "zero_emission", NULL, -1),
	T("EV_NOCLASS", DH, "2026-06-01T10:00:00Z",
	    ZE, "zero_emission", NULL, -1),
	T("H2_EV", DH, "2026-06-01T10:00:00Z", ZE, "zero_emission", NULL, -1),
	T("PHEV", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_van_ek6", "2028-12-31T23:00:00Z", -1),
	T("PHEV", RDAM, "2028-12-31T23:00:00Z",
	    NONE, "transition_expired", NULL, -1),
	T("PHEV_NOCLASS", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_unknown", NULL, -1),
	T("NOFUEL", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_unknown", NULL, -1),

	/* transition_van_ek5 while t < 2027-01-01 */
	T("VAN5", RDAM, "2025-01-01T10:00:00Z",
	    TRANS, "transition_van_ek5", "2026-12-31T23:00:00Z", -1),
	T("VAN5", RDAM, "2026-12-31T22:59:59Z",
	    TRANS, "transition_van_ek5", "2026-12-31T23:00:00Z", -1),
	T("VAN5", RDAM, "2026-12-31T23:00:00Z",
	    NONE, "transition_expired", NULL, -1),
	T("VAN5_DET_LAST", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_van_ek5", "2026-12-31T23:00:00Z", -1),
	T("VAN5_DET_CUT", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "registered_after_cutoff", NULL, -1),
	T("VAN_NOCAT", RDAM, "2026-06-01T10:00:00Z",
	    OUT, "out_of_scope", NULL, -1),
	T("N1_NOMASS", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_van_ek5", "2026-12-31T23:00:00Z", -1),
	/* transition_van_ek6 while t < 2029-01-01 (not 2028-01-01) */
	T("VAN6", RDAM, "2027-12-31T22:59:59Z",
	    TRANS, "transition_van_ek6", "2028-12-31T23:00:00Z", -1),
	T("VAN6", RDAM, "2027-12-31T23:00:00Z",
	    TRANS, "transition_van_ek6", "2028-12-31T23:00:00Z", -1),
	T("VAN6", RDAM, "2028-12-31T22:59:59Z",
	    TRANS, "transition_van_ek6", "2028-12-31T23:00:00Z", -1),
	T("VAN6", RDAM, "2028-12-31T23:00:00Z",
	    NONE, "transition_expired", NULL, -1),
	T("VAN6_CNG", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_van_ek5", "2026-12-31T23:00:00Z", -1),
	T("VAN4", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),
	T("VAN_NOCLASS", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_unknown", NULL, -1),
	T("NOKIND", RDAM, "2026-06-01T10:00:00Z", OUT, "out_of_scope", NULL,
	    -1),
	/* no refusal rule names why: the ground is "none" */
	T("VAN6_NODET", RDAM, "2026-06-01T10:00:00Z", NONE, "none", NULL, -1),

	/* mass decides against the category */
	T("N2_3500", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_van_ek5", "2026-12-31T23:00:00Z", -1),
	T("N3_3500_OT", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_van_ek5", "2026-12-31T23:00:00Z", -1),
	T("N1_3501", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_rigid_ek6_young", "2029-12-31T23:00:00Z", -1),
	T("N1_18000_OT", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_rigid_ek6_old", "2027-12-31T23:00:00Z", -1),
	T("N3_NOMASS_OT", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_tractor_ek6", "2029-12-31T23:00:00Z", -1),

	/* tractor vs rigid: same class and DET, different last days */
	T("TRACTOR", RDAM, "2028-06-01T10:00:00Z",
	    TRANS, "transition_tractor_ek6", "2029-12-31T23:00:00Z", -1),
	T("TRACTOR_BC", RDAM, "2028-06-01T10:00:00Z",
	    TRANS, "transition_tractor_ek6", "2029-12-31T23:00:00Z", -1),
	T("RIGID", RDAM, "2028-06-01T10:00:00Z",
	    NONE, "transition_expired", NULL, -1),
	T("TRACTOR", RDAM, "2029-12-31T22:59:59Z",
	    TRANS, "transition_tractor_ek6", "2029-12-31T23:00:00Z", -1),
	T("TRACTOR", RDAM, "2029-12-31T23:00:00Z",
	    NONE, "transition_expired", NULL, -1),
	T("TRACTOR_2017", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_tractor_ek6", "2029-12-31T23:00:00Z", -1),
	T("TRACTOR_2016", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "registered_before_window", NULL, -1),
	T("TRACTOR5", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),

	/* rigid trucks: the DET windows and 2028-01-01 / 2030-01-01 */
	T("RIGID", RDAM, "2027-12-31T22:59:59Z",
	    TRANS, "transition_rigid_ek6_old", "2027-12-31T23:00:00Z", -1),
	T("RIGID", RDAM, "2027-12-31T23:00:00Z",
	    NONE, "transition_expired", NULL, -1),
	T("RIGID_2016", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "registered_before_window", NULL, -1),
	T("RIGID_2017", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_rigid_ek6_old", "2027-12-31T23:00:00Z", -1),
	T("RIGID_2019", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_rigid_ek6_old", "2027-12-31T23:00:00Z", -1),
	T("RIGID_2020", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_rigid_ek6_young", "2029-12-31T23:00:00Z", -1),
	T("RIGID_2020", RDAM, "2029-12-31T22:59:59Z",
	    TRANS, "transition_rigid_ek6_young", "2029-12-31T23:00:00Z", -1),
	T("RIGID_2020", RDAM, "2029-12-31T23:00:00Z",
	    NONE, "transition_expired", NULL, -1),
	T("RIGID_2024", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_rigid_ek6_young", "2029-12-31T23:00:00Z", -1),
	T("RIGID_2025", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "registered_after_cutoff", NULL, -1),
	T("RIGID5", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),

	/* oldtimer: from DET + 40 years, while t < 2030-01-01 */
	T("OLDTIMER", RDAM, "2026-03-14T22:59:59Z",
	    NONE, "emission_class_unknown", NULL, -1),
	T("OLDTIMER", RDAM, "2026-03-14T23:00:00Z",
	    NAT, "oldtimer", "2029-12-31T23:00:00Z", -1),
	T("OLDTIMER", RDAM, "2029-12-31T22:59:59Z",
	    NAT, "oldtimer", "2029-12-31T23:00:00Z", -1),
	T("OLDTIMER", RDAM, "2029-12-31T23:00:00Z",
	    NONE, "emission_class_unknown", NULL, -1),
	/* DST: 2026-03-29 starts at 23:00Z (CET); 02:00 local is skipped */
	T("OLDTIMER_MAR29", RDAM, "2026-03-28T22:59:59Z",
	    NONE, "emission_class_unknown", NULL, -1),
	T("OLDTIMER_MAR29", RDAM, "2026-03-28T23:00:00Z",
	    NAT, "oldtimer", "2029-12-31T23:00:00Z", -1),
	T("OLDTIMER_MAR29", RDAM, "2026-03-29T00:59:59Z",
	    NAT, "oldtimer", "2029-12-31T23:00:00Z", -1),
	T("OLDTIMER_MAR29", RDAM, "2026-03-29T01:00:00Z",
	    NAT, "oldtimer", "2029-12-31T23:00:00Z", -1),
	/* DST: 2026-10-25 starts at 22:00Z (CEST); 02:00-03:00 local twice */
	T("OLDTIMER_OCT25", RDAM, "2026-10-24T21:59:59Z",
	    NONE, "emission_class_unknown", NULL, -1),
	T("OLDTIMER_OCT25", RDAM, "2026-10-24T22:00:00Z",
	    NAT, "oldtimer", "2029-12-31T23:00:00Z", -1),
	T("OLDTIMER_OCT25", RDAM, "2026-10-25T00:59:59Z",
	    NAT, "oldtimer", "2029-12-31T23:00:00Z", -1),
	T("OLDTIMER_OCT25", RDAM, "2026-10-25T01:00:00Z",
	    NAT, "oldtimer", "2029-12-31T23:00:00Z", -1),
	T("OLDTIMER_OCT25", RDAM, "2026-10-25T22:59:59Z",
	    NAT, "oldtimer", "2029-12-31T23:00:00Z", -1),

	/* wheelchair_accessible: body type SH, or a special code */
	T("WHEEL_SH", RDAM, "2026-06-01T10:00:00Z",
	    NAT, "wheelchair_accessible", "2029-12-31T23:00:00Z", -1),
	T("WHEEL_145", RDAM, "2026-06-01T10:00:00Z",
	    NAT, "wheelchair_accessible", "2029-12-31T23:00:00Z", -1),
	T("WHEEL_145", RDAM, "2029-12-31T22:59:59Z",
	    NAT, "wheelchair_accessible", "2029-12-31T23:00:00Z", -1),
	T("WHEEL_145", RDAM, "2029-12-31T23:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),
	T("WHEEL_70", RDAM, "2026-06-01T10:00:00Z",
	    NAT, "wheelchair_accessible", "2029-12-31T23:00:00Z", -1),
	T("WHEEL_148", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),

	/* special_body: trucks, body code or SB/SF, while t < DET + 13 */
	T("SPECIAL_23", RDAM, "2026-06-01T10:00:00Z",
	    NAT, "special_body", "2028-05-31T22:00:00Z", -1),
	T("SPECIAL_23", RDAM, "2028-05-31T21:59:59Z",
	    NAT, "special_body", "2028-05-31T22:00:00Z", -1),
	T("SPECIAL_23", RDAM, "2028-05-31T22:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),
	T("SPECIAL_SF", RDAM, "2026-06-01T10:00:00Z",
	    NAT, "special_body", "2028-05-31T22:00:00Z", -1),
	T("SPECIAL_SB_OT", RDAM, "2026-06-01T10:00:00Z",
	    NAT, "special_body", "2028-05-31T22:00:00Z", -1),
	T("SPECIAL_SB_OT", RDAM, "2028-05-31T22:00:00Z",
	    NONE, "registered_before_window", NULL, -1),
	T("SPECIAL_VAN_23", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),
	T("SPECIAL_22", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),
	T("SPECIAL_MAR29", RDAM, "2026-03-28T22:59:59Z",
	    NAT, "special_body", "2026-03-28T23:00:00Z", -1),
	T("SPECIAL_MAR29", RDAM, "2026-03-28T23:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),
	T("SPECIAL_OCT25", RDAM, "2026-10-24T21:59:59Z",
	    NAT, "special_body", "2026-10-24T22:00:00Z", -1),
	T("SPECIAL_OCT25", RDAM, "2026-10-24T22:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),
	/* 2012-02-29 + 13 years is 2025-02-28 */
	T("SPECIAL_LEAP", RDAM, "2025-02-27T22:59:59Z",
	    NAT, "special_body", "2025-02-27T23:00:00Z", -1),
	T("SPECIAL_LEAP", RDAM, "2025-02-27T23:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),
	/* DET + 13 after 2030: 2030-01-01 is the earlier end */
	T("SPECIAL_YOUNG", RDAM, "2029-12-31T22:59:59Z",
	    NAT, "special_body", "2029-12-31T23:00:00Z", -1),
	T("SPECIAL_YOUNG", RDAM, "2029-12-31T23:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),
	T("SPECIAL_NODET", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1),

	/* order of bases */
	T("VTV69T", "GM0613", "2026-06-01T10:00:00Z",
	    NO_ZONE, "no_zone", NULL, -1),
	TX("TT601D", RDAM, "2026-06-01T10:00:00Z",
	    OUT, "out_of_scope", NULL, -1,
	    { "special_vehicle", "national",
	      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", NULL, NULL, 1 }),
	TX("VTV69T", RDAM, "2026-06-01T10:00:00Z",
	    ZE, "zero_emission", NULL, -1,
	    { "long_delivery", RDAM,
	      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", NULL, NULL, 1 }),
	T("RIGID_YOUNG_SH", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_rigid_ek6_young", "2029-12-31T23:00:00Z", -1),
	TX("VAN5", RDAM, "2026-06-01T10:00:00Z",
	    TRANS, "transition_van_ek5", "2026-12-31T23:00:00Z", -1,
	    { "special_vehicle", "national",
	      "2026-01-01T00:00:00Z", "2029-01-01T00:00:00Z", NULL, NULL, 1 }),
	TX("VAN5", RDAM, "2026-12-31T23:00:00Z",
	    NAT, "special_vehicle", "2029-01-01T00:00:00Z", 0,
	    { "special_vehicle", "national",
	      "2026-01-01T00:00:00Z", "2029-01-01T00:00:00Z", NULL, NULL, 1 }),
	/* automatic before held national; oldtimer before wheelchair */
	TX("OLDTIMER", RDAM, "2026-06-01T10:00:00Z",
	    NAT, "oldtimer", "2029-12-31T23:00:00Z", -1,
	    { "special_vehicle", "national",
	      "2026-01-01T00:00:00Z", "2031-01-01T00:00:00Z", NULL, NULL, 1 }),
	TX("OLDTIMER", RDAM, "2029-12-31T23:00:00Z",
	    NAT, "special_vehicle", "2031-01-01T00:00:00Z", 0,
	    { "special_vehicle", "national",
	      "2026-01-01T00:00:00Z", "2031-01-01T00:00:00Z", NULL, NULL, 1 }),
	T("OLD_SPECIAL_SH", RDAM, "2026-06-01T10:00:00Z",
	    NAT, "oldtimer", "2029-12-31T23:00:00Z", -1),
	T("OLD_SPECIAL_SH", RDAM, "2025-05-31T22:00:00Z",
	    NAT, "oldtimer", "2029-12-31T23:00:00Z", -1),
	T("OLD_SPECIAL_SH", RDAM, "2025-05-31T21:59:59Z",
	    NAT, "wheelchair_accessible", "2029-12-31T23:00:00Z", -1),
	/* national before municipal before recognised */
	TX("VAN4", RDAM, "2026-06-01T10:00:00Z",
	    NAT, "special_vehicle", "2026-09-01T00:00:00Z", 1,
	    { "long_delivery", RDAM,
	      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", NULL, NULL, 1 },
	    { "special_vehicle", "national",
	      "2026-01-01T00:00:00Z", "2026-09-01T00:00:00Z", NULL, NULL, 2 }),
	TX("VAN4", RDAM, "2026-06-01T10:00:00Z",
	    MUN, "long_delivery", "2026-09-01T00:00:00Z", 1,
	    { "grid_congestion", DELFT,
	      "2026-02-01T00:00:00Z", "2028-02-01T00:00:00Z", NULL, NULL, 1 },
	    { "long_delivery", RDAM,
	      "2026-01-01T00:00:00Z", "2026-09-01T00:00:00Z", NULL, NULL, 2 }),
	TX("VAN4", RDAM, "2026-06-01T10:00:00Z",
	    REC, "grid_congestion", "2028-02-01T00:00:00Z", 0,
	    { "grid_congestion", DELFT,
	      "2026-02-01T00:00:00Z", "2028-02-01T00:00:00Z", NULL, NULL, 1 },
	    { "long_delivery", DELFT,
	      "2026-01-01T00:00:00Z", "2026-09-01T00:00:00Z", NULL, NULL, 2 }),

	/* unknown vehicles: exemptions count, nothing else does */
	T(NULL, RDAM, "2026-06-01T10:00:00Z",
	    UNKNOWN, "unknown_vehicle", NULL, -1),
	T(NULL, RDAM, "2024-06-01T10:00:00Z",
	    NO_ZONE, "no_zone", "2024-12-31T23:00:00Z", -1),
	TX(NULL, RDAM, "2026-06-01T10:00:00Z",
	    NAT, "special_vehicle", "2027-01-01T00:00:00Z", 0,
	    { "special_vehicle", "national",
	      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", NULL, NULL, 1 }),
	TX(NULL, RDAM, "2026-06-01T10:00:00Z",
	    MUN, "day_exemption", "2026-06-02T04:00:00Z", 0,
	    { "day_exemption", RDAM,
	      "2026-05-31T22:00:00Z", "2026-06-02T04:00:00Z", NULL, NULL, 1 }),
	TX(NULL, DH, "2026-06-01T10:00:00Z",
	    UNKNOWN, "unknown_vehicle", NULL, -1,
	    { "day_exemption", RDAM,
	      "2026-05-31T22:00:00Z", "2026-06-02T04:00:00Z", NULL, NULL, 1 },
	    { "long_delivery", RDAM,
	      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", NULL, NULL, 2 },
	    { "hardship_clause", RDAM,
	      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", NULL, NULL, 3 }),
	TX(NULL, DH, "2026-06-01T10:00:00Z",
	    REC, "business_hardship", "2027-02-01T00:00:00Z", 0,
	    { "business_hardship", RDAM,
	      "2026-02-01T00:00:00Z", "2027-02-01T00:00:00Z", NULL, NULL, 1 }),

	/* statutory recognition: granted from 2026-01-01 local midnight */
	TX("VAN4", DH, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1,
	    { "business_hardship", RDAM,
	      "2025-12-01T00:00:00Z", "2026-12-01T00:00:00Z",
	      "2025-12-31T22:59:59Z", NULL, 1 }),
	TX("VAN4", DH, "2026-06-01T10:00:00Z",
	    REC, "business_hardship", "2026-12-01T00:00:00Z", 0,
	    { "business_hardship", RDAM,
	      "2025-12-01T00:00:00Z", "2026-12-01T00:00:00Z",
	      "2025-12-31T23:00:00Z", NULL, 1 }),
	TX("VAN4", RDAM, "2026-06-01T10:00:00Z",
	    MUN, "business_hardship", "2026-12-01T00:00:00Z", 0,
	    { "business_hardship", RDAM,
	      "2025-12-01T00:00:00Z", "2026-12-01T00:00:00Z",
	      "2025-12-31T22:59:59Z", NULL, 1 }),
	TX("VAN4", DELFT, "2026-06-01T10:00:00Z",
	    REC, "grid_congestion", "2028-01-15T00:00:00Z", 0,
	    { "grid_congestion", DH,
	      "2026-01-15T00:00:00Z", "2028-01-15T00:00:00Z", NULL, NULL, 1 }),
	TX("VAN4", DELFT, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1,
	    { "long_delivery", DH,
	      "2026-01-15T00:00:00Z", "2026-12-15T00:00:00Z", NULL, NULL, 1 },
	    { "day_exemption", DH,
	      "2026-05-31T22:00:00Z", "2026-06-02T04:00:00Z", NULL, NULL, 2 },
	    { "hardship_clause", DH,
	      "2026-01-15T00:00:00Z", "2026-12-15T00:00:00Z", NULL, NULL, 3 }),

	/* validity: from inclusive, until exclusive, revocation at `at` */
	TX("VAN4", RDAM, "2026-06-01T10:00:00Z",
	    MUN, "long_delivery", "2026-09-01T00:00:00Z", 0,
	    { "long_delivery", RDAM,
	      "2026-06-01T10:00:00Z", "2026-09-01T00:00:00Z", NULL, NULL, 1 }),
	TX("VAN4", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1,
	    { "long_delivery", RDAM,
	      "2026-06-01T10:00:01Z", "2026-09-01T00:00:00Z", NULL, NULL, 1 }),
	TX("VAN4", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1,
	    { "long_delivery", RDAM,
	      "2026-01-01T00:00:00Z", "2026-06-01T10:00:00Z", NULL, NULL, 1 }),
	TX("VAN4", RDAM, "2026-06-01T10:00:00Z",
	    MUN, "long_delivery", "2026-06-01T10:00:01Z", 0,
	    { "long_delivery", RDAM,
	      "2026-01-01T00:00:00Z", "2026-06-01T10:00:01Z", NULL, NULL, 1 }),
	TX("VAN4", RDAM, "2026-06-01T10:00:00Z",
	    NONE, "emission_class_too_low", NULL, -1,
	    { "long_delivery", RDAM,
	      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
	      NULL, "2026-06-01T10:00:00Z", 1 }),
	TX("VAN4", RDAM, "2026-06-01T10:00:00Z",
	    MUN, "long_delivery", "2026-06-01T10:00:01Z", 0,
	    { "long_delivery", RDAM,
	      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
	      NULL, "2026-06-01T10:00:01Z", 1 }),
	TX(NULL, RDAM, "2026-06-01T10:00:00Z",
	    UNKNOWN, "unknown_vehicle", NULL, -1,
	    { "special_vehicle", "national",
	      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
	      NULL, "2026-03-01T00:00:00Z", 1 }),
	/* a revoked one does not hide a valid one at the same basis */
	TX(NULL, RDAM, "2026-06-01T10:00:00Z",
	    MUN, "hardship_clause", "2026-08-01T00:00:00Z", 1,
	    { "long_delivery", RDAM,
	      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
	      NULL, "2026-06-01T09:00:00Z", 1 },
	    { "hardship_clause", RDAM,
	      "2026-01-01T00:00:00Z", "2026-08-01T00:00:00Z", NULL, NULL, 2 }),

	/* several at one basis: the longest valid, then the smallest id */
	TX(NULL, RDAM, "2026-06-01T10:00:00Z",
	    MUN, "hardship_clause", "2027-03-01T00:00:00Z", 1,
	    { "long_delivery", RDAM,
	      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", NULL, NULL, 1 },
	    { "hardship_clause", RDAM,
	      "2026-01-01T00:00:00Z", "2027-03-01T00:00:00Z", NULL, NULL, 2 },
	    { "day_exemption", RDAM,
	      "2026-05-31T22:00:00Z", "2026-06-02T04:00:00Z", NULL, NULL, 3 }),
	TX(NULL, RDAM, "2026-06-01T10:00:00Z",
	    MUN, "long_delivery", "2026-12-01T00:00:00Z", 1,
	    { "hardship_clause", RDAM,
	      "2026-01-01T00:00:00Z", "2027-03-01T00:00:00Z",
	      NULL, "2026-11-01T00:00:00Z", 1 },
	    { "long_delivery", RDAM,
	      "2026-01-01T00:00:00Z", "2026-12-01T00:00:00Z", NULL, NULL, 2 }),
	TX(NULL, RDAM, "2026-06-01T10:00:00Z",
	    MUN, "long_delivery", "2027-01-01T00:00:00Z", 2,
	    { "hardship_clause", RDAM,
	      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", NULL, NULL, 9 },
	    { "day_exemption", RDAM,
	      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", NULL, NULL, 7 },
	    { "long_delivery", RDAM,
	      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", NULL, NULL, 3 }),
};

/* Copy s into a fixed array of size n, with its NUL when it fits. */
static void
t_copy(char *dst, size_t n, const char *s)
{
	size_t	len = strlen(s);

	assert_true(len <= n);
	memcpy(dst, s, len < n ? len + 1 : n);
}

/* Build the exemptions of a case; returns how many. */
static size_t
t_exemptions(const struct t_case *c, struct zes_exemption *out)
{
	const struct t_ex	*x;
	size_t			 n;

	for (n = 0; n < ZES_NELEM(c->ex) && c->ex[n].type != NULL; n++) {
		x = &c->ex[n];
		memset(&out[n], 0, sizeof(out[n]));
		out[n].id[15] = x->id;
		t_copy(out[n].type, sizeof(out[n].type), x->type);
		t_copy(out[n].issuer, sizeof(out[n].issuer), x->issuer);
		out[n].valid_from = t_at(x->from);
		out[n].valid_until = t_at(x->until);
		out[n].granted_at = t_at(x->granted != NULL ? x->granted :
		    x->from);
		out[n].revoked_at = x->revoked != NULL ? t_at(x->revoked) :
		    INT64_MAX;
	}
	return n;
}

/* Run every case against rules r; hand: r are the hand rules. */
static void
t_run_cases(const struct zes_rules *r, int hand)
{
	struct zes_exemption	 ex[3];
	struct zes_admit_query	 q;
	struct zes_admit_result	 res;
	struct zes_vehicle	 v;
	struct zes_profile	 p;
	const struct t_case	*c;
	char			 got[ZES_TIME_TEXT_LEN + 1];
	size_t			 i;
	int64_t			 until;

	for (i = 0; i < ZES_NELEM(t_cases); i++) {
		c = &t_cases[i];
		if (c->hand_only && !hand)
			continue;
		memset(&q, 0, sizeof(q));
		q.rules = r;
		q.municipality = t_find_muni(r, c->muni);
		if (c->muni != NULL && q.municipality == NULL)
			fail_msg("case %zu: no municipality %s", i, c->muni);
		q.at = t_at(c->at);
		if (c->veh != NULL) {
			t_vehicle(t_veh_find(c->veh), &v);
			zes_vehicle_profile(&v, &r->national, &p);
			q.vehicle = &p;
		}
		q.nexemptions = t_exemptions(c, ex);
		q.exemptions = ex;
		memset(&res, 0xa5, sizeof(res));
		zes_admit(&q, &res);

		if (res.basis != c->basis || res.ground == NULL ||
		    strcmp(res.ground, c->ground) != 0)
			fail_msg("case %zu (%s, %s, %s): got %s/%s, want %s/%s",
			    i, c->veh != NULL ? c->veh : "unknown",
			    c->muni != NULL ? c->muni : "-", c->at,
			    zes_basis_name(res.basis),
			    res.ground != NULL ? res.ground : "(null)",
			    zes_basis_name(c->basis), c->ground);
		if (res.allowed != (c->basis != NONE && c->basis != UNKNOWN))
			fail_msg("case %zu: allowed %d", i, res.allowed);
		until = c->until != NULL ? t_at(c->until) : INT64_MAX;
		if (res.valid_until != until) {
			if (res.valid_until == INT64_MAX)
				strcpy(got, "open");
			else
				zes_time_format_utc(res.valid_until, got);
			fail_msg("case %zu (%s, %s): validUntil %s, want %s", i,
			    c->veh != NULL ? c->veh : "unknown", c->at, got,
			    c->until != NULL ? c->until : "open");
		}
		if (c->exi < 0) {
			if (res.exemption != NULL || res.issuer != NULL)
				fail_msg("case %zu: an exemption granted", i);
		} else {
			if (res.exemption != &ex[c->exi])
				fail_msg("case %zu: exemption %td, want %d", i,
				    res.exemption != NULL ?
				    res.exemption - ex : -1, c->exi);
			assert_non_null(res.issuer);
			assert_string_equal(res.issuer, c->ex[c->exi].issuer);
			assert_ptr_equal(res.ground, ex[c->exi].type);
		}
	}
}

/* The whole table against DOMAIN.md written as rules by hand. */
static void
test_cases_hand(void **state)
{
	(void)state;
	t_hand_build();
	t_run_cases(&t_hand, 1);
}

/* The same table against the real rules/ folder, as the loader reads it. */
static void
test_cases_real(void **state)
{
	struct zes_rule_errors	 errs = { NULL, 0 };
	struct zes_rules	*r;
	size_t			 i;

	(void)state;
	r = zes_rules_load_dir(ZES_SOURCE_DIR "/rules", &errs);
	for (i = 0; i < errs.n; i++)
		print_error("%s: %s\n", errs.v[i].where, errs.v[i].message);
	if (r == NULL)
		fail_msg("rules/ did not load");
	assert_int_equal(errs.n, 0);
	t_run_cases(r, 0);
	assert_ptr_equal(zes_rules_municipality(r, "GM0599"),
	    t_find_muni(r, "GM0599"));
	zes_rules_unref(r);
	zes_rule_errors_free(&errs);
}

/* Every basis has API.md's name; nothing past the end. */
static void
test_basis_names(void **state)
{
	static const char *const want[] = {
		"no_zone", "out_of_scope", "zero_emission", "transition_scheme",
		"national_exemption", "municipal_exemption",
		"recognized_exemption", "none", "unknown_vehicle",
	};
	size_t	i;

	(void)state;
	for (i = 0; i < ZES_NELEM(want); i++) {
		assert_non_null(zes_basis_name((enum zes_basis)i));
		assert_string_equal(zes_basis_name((enum zes_basis)i), want[i]);
	}
	assert_int_equal(ZES_BASIS_UNKNOWN_VEHICLE + 1, ZES_NELEM(want));
	assert_null(zes_basis_name((enum zes_basis)ZES_NELEM(want)));
	assert_null(zes_basis_name((enum zes_basis)-1));
}

/* Facts of vehicle name under the hand rules. */
static void
t_facts(const char *name, struct zes_vehicle *v, struct zes_facts_store *st,
    struct zes_value facts[ZES_F_VEHICLE_END])
{
	t_vehicle(t_veh_find(name), v);
	zes_vehicle_facts(v, &t_hand.national, st, facts);
}

/* Raw facts: strings point into the record, unknowns are absent. */
static void
test_facts_raw(void **state)
{
	struct zes_facts_store	st;
	struct zes_value	f[ZES_F_VEHICLE_END];
	struct zes_vehicle	v;

	(void)state;
	t_hand_build();
	t_facts("WHEEL_70", &v, &st, f);
	assert_int_equal(f[ZES_F_CATEGORY].type, ZES_V_STRING);
	assert_ptr_equal(f[ZES_F_CATEGORY].u.s, v.category);
	assert_string_equal(f[ZES_F_VEHICLE_TYPE].u.s, "Bedrijfsauto");
	assert_string_equal(f[ZES_F_BODY_DESCRIPTION].u.s, "gesloten opbouw");
	assert_string_equal(f[ZES_F_BODY_TYPE].u.s, "BB");
	assert_int_equal(f[ZES_F_BODY_CODE].type, ZES_V_ABSENT);
	assert_int_equal(f[ZES_F_SPECIAL_CODES].type, ZES_V_INTSET);
	assert_int_equal(f[ZES_F_SPECIAL_CODES].u.is.n, 2);
	assert_int_equal(f[ZES_F_SPECIAL_CODES].u.is.v[0], 12);
	assert_int_equal(f[ZES_F_SPECIAL_CODES].u.is.v[1], 70);
	assert_ptr_equal(f[ZES_F_SPECIAL_CODES].u.is.v, st.specials);
	assert_int_equal(f[ZES_F_FUELS].type, ZES_V_STRSET);
	assert_int_equal(f[ZES_F_FUELS].u.ss.n, 1);
	assert_ptr_equal(f[ZES_F_FUELS].u.ss.v[0], v.fuels[0].name);
	assert_int_equal(f[ZES_F_FIRST_ADMISSION].type, ZES_V_DATE);
	assert_true(f[ZES_F_FIRST_ADMISSION].u.i == t_day("2015-06-01"));
	assert_int_equal(f[ZES_F_MASS_KG].type, ZES_V_INT);
	assert_int_equal(f[ZES_F_MASS_KG].u.i, 3000);
	assert_int_equal(f[ZES_F_EMISSION_CLASS].u.i, 4);
	assert_int_equal(f[ZES_F_ZERO_EMISSION].type, ZES_V_BOOL);
	assert_int_equal(f[ZES_F_ZERO_EMISSION].u.i, 0);
	assert_int_equal(f[ZES_F_IN_SCOPE].u.i, 1);
	assert_string_equal(f[ZES_F_KIND].u.s, "van");
	assert_ptr_equal(f[ZES_F_KIND].u.s, t_hand.national.kinds[0].kind);
	assert_int_equal(f[ZES_F_TRANSITION_COVERED].type, ZES_V_BOOL);
	assert_int_equal(f[ZES_F_TRANSITION_COVERED].u.i, 0);

	/* everything unknown */
	memset(&v, 0, sizeof(v));
	v.body_code = -1;
	v.mass_kg = -1;
	v.first_admission = ZES_DAY_NONE;
	zes_vehicle_facts(&v, &t_hand.national, &st, f);
	assert_int_equal(f[ZES_F_CATEGORY].type, ZES_V_ABSENT);
	assert_int_equal(f[ZES_F_VEHICLE_TYPE].type, ZES_V_ABSENT);
	assert_int_equal(f[ZES_F_BODY_DESCRIPTION].type, ZES_V_ABSENT);
	assert_int_equal(f[ZES_F_BODY_TYPE].type, ZES_V_ABSENT);
	assert_int_equal(f[ZES_F_BODY_CODE].type, ZES_V_ABSENT);
	assert_int_equal(f[ZES_F_FIRST_ADMISSION].type, ZES_V_ABSENT);
	assert_int_equal(f[ZES_F_MASS_KG].type, ZES_V_ABSENT);
	assert_int_equal(f[ZES_F_EMISSION_CLASS].type, ZES_V_ABSENT);
	assert_int_equal(f[ZES_F_KIND].type, ZES_V_ABSENT);
	assert_int_equal(f[ZES_F_SPECIAL_CODES].type, ZES_V_INTSET);
	assert_int_equal(f[ZES_F_SPECIAL_CODES].u.is.n, 0);
	assert_int_equal(f[ZES_F_FUELS].type, ZES_V_STRSET);
	assert_int_equal(f[ZES_F_FUELS].u.ss.n, 0);
	assert_int_equal(f[ZES_F_ZERO_EMISSION].u.i, 0);
	assert_int_equal(f[ZES_F_IN_SCOPE].u.i, 0);
	assert_int_equal(f[ZES_F_TRANSITION_COVERED].u.i, 0);

	/* body code 0 and mass 0 are known values; counts out of range clamp */
	v.body_code = 0;
	v.mass_kg = 0;
	v.nspecial = ZES_VEHICLE_MAX_SPECIALS + 5;
	v.nfuels = ZES_VEHICLE_MAX_FUELS + 5;
	strcpy(v.fuels[1].name, "Diesel");
	zes_vehicle_facts(&v, &t_hand.national, &st, f);
	assert_int_equal(f[ZES_F_BODY_CODE].type, ZES_V_INT);
	assert_int_equal(f[ZES_F_BODY_CODE].u.i, 0);
	assert_int_equal(f[ZES_F_MASS_KG].type, ZES_V_INT);
	assert_int_equal(f[ZES_F_SPECIAL_CODES].u.is.n,
	    ZES_VEHICLE_MAX_SPECIALS);
	assert_int_equal(f[ZES_F_FUELS].u.ss.n, 1);	/* unnamed out */
	assert_string_equal(f[ZES_F_FUELS].u.ss.v[0], "Diesel");
	v.nspecial = -3;
	v.nfuels = -3;
	zes_vehicle_facts(&v, &t_hand.national, &st, f);
	assert_int_equal(f[ZES_F_SPECIAL_CODES].u.is.n, 0);
	assert_int_equal(f[ZES_F_FUELS].u.ss.n, 0);
}

/* Emission class and zero-emission over fuel rows (DOMAIN.md §1). */
static void
test_facts_fuels(void **state)
{
	static const struct {
		const char	*fuels;
		int		 cls;		/* -1: absent */
		int		 ze;
	} cases[] = {
		{ "Elektriciteit=Z",			-1, 1 },
		{ "Elektriciteit=",			-1, 1 },
		{ "Waterstof=",				-1, 1 },
		{ "Waterstof=Z;Elektriciteit=",		-1, 1 },
		{ "Elektriciteit=Z;Benzine=6",		6, 0 },
		{ "Benzine=6;Elektriciteit=Z",		6, 0 },
		{ "Elektriciteit=;Diesel=",		-1, 0 },
		{ "Elektriciteit=Z;Diesel=",		-1, 0 },
		{ "Diesel=5",				5, 0 },
		{ "Diesel=0",				0, 0 },
		{ "CNG=6;Benzine=5",			5, 0 },
		{ "LPG=4;Benzine=6",			4, 0 },
		{ "Diesel=Z",				-1, 1 },
		{ "Diesel=X",				-1, 0 },
		{ "Diesel=5a",				-1, 0 },
		{ "Elektriciteit=3",			-1, 0 },
		{ "Elektriciteit=Z;Waterstof=Z;Diesel=Z;Benzine=Z", -1, 1 },
		{ "Elektriciteit=Z;Waterstof=Z;Diesel=Z;Benzine=2", 2, 0 },
		{ "",					-1, 0 },
	};
	struct t_veh		tv;
	struct zes_facts_store	st;
	struct zes_value	f[ZES_F_VEHICLE_END];
	struct zes_vehicle	v;
	size_t			i;

	(void)state;
	t_hand_build();
	for (i = 0; i < ZES_NELEM(cases); i++) {
		tv = *t_veh_find("VAN5");
		tv.fuels = cases[i].fuels;
		t_vehicle(&tv, &v);
		zes_vehicle_facts(&v, &t_hand.national, &st, f);
		if (cases[i].cls < 0 ?
		    f[ZES_F_EMISSION_CLASS].type != ZES_V_ABSENT :
		    f[ZES_F_EMISSION_CLASS].type != ZES_V_INT ||
		    f[ZES_F_EMISSION_CLASS].u.i != cases[i].cls)
			fail_msg("%s: class, want %d", cases[i].fuels,
			    cases[i].cls);
		if (f[ZES_F_ZERO_EMISSION].u.i != cases[i].ze)
			fail_msg("%s: zero-emission, want %d", cases[i].fuels,
			    cases[i].ze);
	}
}

/* Kinds and scope of the fixtures (DOMAIN.md §1). */
static void
test_facts_kinds(void **state)
{
	static const struct {
		const char	*veh;
		const char	*kind;		/* NULL: none */
		int		 scope;
		int		 covered;
	} cases[] = {
		{ "TT601D",	NULL,		0, 0 },
		{ "VTV69T",	"van",		1, 0 },
		{ "PHEV",	"van",		1, 1 },
		{ "VAN_NOCAT",	NULL,		0, 0 },
		{ "VAN6_NODET",	"van",		1, 0 },
		{ "CAR_NOCAT",	NULL,		0, 0 },
		{ "NOKIND",	NULL,		0, 0 },
		{ "N2_3500",	"van",		1, 1 },
		{ "N3_3500_OT",	"van",		1, 1 },
		{ "N1_3501",	"rigid",	1, 1 },
		{ "N1_18000_OT", "rigid",	1, 1 },
		{ "N1_NOMASS",	"van",		1, 1 },
		{ "N3_NOMASS_OT", "tractor",	1, 1 },
		{ "TRACTOR",	"tractor",	1, 1 },
		{ "TRACTOR_BC",	"tractor",	1, 1 },
		{ "TRACTOR_2016", "tractor",	1, 0 },
		{ "RIGID",	"rigid",	1, 1 },
		{ "RIGID_2025",	"rigid",	1, 0 },
		{ "VAN4",	"van",		1, 0 },
	};
	struct zes_facts_store	st;
	struct zes_value	f[ZES_F_VEHICLE_END];
	struct zes_vehicle	v;
	size_t			i;

	(void)state;
	t_hand_build();
	for (i = 0; i < ZES_NELEM(cases); i++) {
		t_facts(cases[i].veh, &v, &st, f);
		if (cases[i].kind == NULL ?
		    f[ZES_F_KIND].type != ZES_V_ABSENT :
		    f[ZES_F_KIND].type != ZES_V_STRING ||
		    strcmp(f[ZES_F_KIND].u.s, cases[i].kind) != 0)
			fail_msg("%s: kind, want %s", cases[i].veh,
			    cases[i].kind != NULL ? cases[i].kind : "none");
		if (f[ZES_F_IN_SCOPE].u.i != cases[i].scope)
			fail_msg("%s: scope, want %d", cases[i].veh,
			    cases[i].scope);
		if (f[ZES_F_TRANSITION_COVERED].u.i != cases[i].covered)
			fail_msg("%s: covered, want %d", cases[i].veh,
			    cases[i].covered);
	}
}

/*
 * The documented order of derived facts: scope sees emission class and
 * zero-emission but not kind; kinds see scope but not transitionCovered;
 * transition rules see kind.
 */
static void
test_facts_order(void **state)
{
	struct zes_national	n;
	struct zes_kind_rule	kind;
	struct zes_access_rule	tr;
	struct zes_facts_store	st;
	struct zes_value	f[ZES_F_VEHICLE_END];
	struct zes_vehicle	v;

	(void)state;
	t_hand_build();
	n = t_hand.national;
	n.scope = T_ALL(3, t_b(ZES_F_ZERO_EMISSION, ZES_OP_EXISTS, 1),
	    t_b(ZES_F_EMISSION_CLASS, ZES_OP_EXISTS, 1),
	    t_b(ZES_F_KIND, ZES_OP_EXISTS, 0));
	memset(&kind, 0, sizeof(kind));
	strcpy(kind.kind, "seen");
	kind.when = T_ALL(2, t_b(ZES_F_IN_SCOPE, ZES_OP_EQ, 1),
	    t_b(ZES_F_TRANSITION_COVERED, ZES_OP_EXISTS, 0));
	n.kinds = &kind;
	n.nkinds = 1;
	t_access(&tr, "t", t_s(ZES_F_KIND, ZES_OP_EQ, "seen"), t_fixed(NULL),
	    t_fixed(NULL));
	n.transition = &tr;
	n.ntransition = 1;
	t_vehicle(t_veh_find("VAN5"), &v);
	zes_vehicle_facts(&v, &n, &st, f);
	assert_int_equal(f[ZES_F_IN_SCOPE].u.i, 1);
	assert_int_equal(f[ZES_F_KIND].type, ZES_V_STRING);
	assert_string_equal(f[ZES_F_KIND].u.s, "seen");
	assert_int_equal(f[ZES_F_TRANSITION_COVERED].u.i, 1);

	/* no kinds, no transition rules: kind absent, not covered */
	n.nkinds = 0;
	n.ntransition = 0;
	zes_vehicle_facts(&v, &n, &st, f);
	assert_int_equal(f[ZES_F_KIND].type, ZES_V_ABSENT);
	assert_int_equal(f[ZES_F_TRANSITION_COVERED].u.i, 0);
}

/* Profiles: flags, the covering rule and its days, automatic rules, refusal. */
static void
test_profile(void **state)
{
	struct zes_vehicle	v;
	struct zes_profile	p;

	(void)state;
	t_hand_build();
	t_vehicle(t_veh_find("VAN6"), &v);
	zes_vehicle_profile(&v, &t_hand.national, &p);
	assert_int_equal(p.flags, ZES_PROFILE_IN_SCOPE);
	assert_int_equal(p.transition, 2);
	assert_int_equal(p.transition_from, INT32_MIN);
	assert_int_equal(p.transition_before, t_day("2029-01-01"));
	assert_int_equal(p.nauto, 0);
	assert_int_equal(p.refusal, 5);		/* transition_expired */

	t_vehicle(t_veh_find("VTV69T"), &v);
	zes_vehicle_profile(&v, &t_hand.national, &p);
	assert_int_equal(p.flags, ZES_PROFILE_IN_SCOPE |
	    ZES_PROFILE_ZERO_EMISSION);
	assert_int_equal(p.transition, 0);
	assert_int_equal(p.transition_from, INT32_MIN);
	assert_int_equal(p.transition_before, INT32_MAX);
	assert_int_equal(p.refusal, 2);		/* no class: unknown */

	t_vehicle(t_veh_find("TT601D"), &v);
	zes_vehicle_profile(&v, &t_hand.national, &p);
	assert_int_equal(p.flags, 0);
	assert_int_equal(p.transition, 0);
	assert_int_equal(p.nauto, 0);

	/* oldtimer, wheelchair and special body at once, in rule order */
	t_vehicle(t_veh_find("OLD_SPECIAL_SH"), &v);
	zes_vehicle_profile(&v, &t_hand.national, &p);
	assert_int_equal(p.nauto, 3);
	assert_int_equal(p.auto_[0].rule, 0);
	assert_int_equal(p.auto_[0].from, t_day("2025-06-01"));
	assert_int_equal(p.auto_[0].before, t_day("2030-01-01"));
	assert_int_equal(p.auto_[1].rule, 1);
	assert_int_equal(p.auto_[1].from, INT32_MIN);
	assert_int_equal(p.auto_[1].before, t_day("2030-01-01"));
	assert_int_equal(p.auto_[2].rule, 2);
	assert_int_equal(p.auto_[2].from, INT32_MIN);
	assert_int_equal(p.auto_[2].before, t_day("1998-06-01"));
	assert_int_equal(p.refusal, 2);

	/* special body without a DET: the window cannot be judged */
	t_vehicle(t_veh_find("SPECIAL_NODET"), &v);
	zes_vehicle_profile(&v, &t_hand.national, &p);
	assert_int_equal(p.nauto, 0);
	assert_int_equal(p.refusal, 3);

	t_vehicle(t_veh_find("RIGID_2025"), &v);
	zes_vehicle_profile(&v, &t_hand.national, &p);
	assert_int_equal(p.transition, 0);
	assert_int_equal(p.refusal, 1);

	/* oldtimer from DET + 40: kept while that is before 2030-01-01 */
	t_vehicle(t_veh_find("OLDTIMER"), &v);
	v.first_admission = t_day("1989-12-31");
	zes_vehicle_profile(&v, &t_hand.national, &p);
	assert_int_equal(p.nauto, 1);
	assert_int_equal(p.auto_[0].from, t_day("2029-12-31"));
	v.first_admission = t_day("1990-01-01");
	zes_vehicle_profile(&v, &t_hand.national, &p);
	assert_int_equal(p.nauto, 0);
}

/*
 * More automatic rules than a profile holds: the first ZES_PROFILE_MAX_AUTO
 * are kept.  A transition rule on an unknown date covers with an empty
 * window; an automatic one is left out.
 */
static void
test_profile_limits(void **state)
{
	struct zes_access_rule	autos[ZES_PROFILE_MAX_AUTO + 2], tr;
	struct zes_national	n;
	struct zes_vehicle	v;
	struct zes_profile	p;
	size_t			i;

	(void)state;
	t_hand_build();
	n = t_hand.national;
	for (i = 0; i < ZES_NELEM(autos); i++)
		t_access(&autos[i], "a", t_node(ZES_COND_ALL, 0),
		    t_fixed("2020-01-01"),
		    t_fixed(NULL));
	t_access(&autos[0], "a", t_node(ZES_COND_ANY, 0), t_fixed(NULL),
	    t_fixed(NULL));
	t_access(&autos[1], "a", t_node(ZES_COND_ALL, 0), t_det(1, NULL),
	    t_fixed(NULL));
	n.automatic = autos;
	n.nautomatic = ZES_NELEM(autos);
	t_vehicle(t_veh_find("VAN5"), &v);
	zes_vehicle_profile(&v, &n, &p);
	assert_int_equal(p.nauto, ZES_PROFILE_MAX_AUTO);
	assert_int_equal(p.auto_[0].rule, 1);
	assert_int_equal(p.auto_[0].from, t_day("2021-06-01"));
	assert_int_equal(p.auto_[0].before, INT32_MAX);
	for (i = 1; i < ZES_PROFILE_MAX_AUTO; i++) {
		assert_int_equal(p.auto_[i].rule, i + 1);
		assert_int_equal(p.auto_[i].from, t_day("2020-01-01"));
	}

	/* DET unknown: the DET rule drops out, the others move up */
	v.first_admission = ZES_DAY_NONE;
	zes_vehicle_profile(&v, &n, &p);
	assert_int_equal(p.nauto, ZES_PROFILE_MAX_AUTO);
	assert_int_equal(p.auto_[0].rule, 2);

	t_access(&tr, "t", t_node(ZES_COND_ALL, 0), t_fixed(NULL),
	    t_det(10, "2030-01-01"));
	n.transition = &tr;
	n.ntransition = 1;
	zes_vehicle_profile(&v, &n, &p);
	assert_int_equal(p.transition, 1);
	assert_int_equal(p.transition_from, INT32_MAX);
	assert_int_equal(p.transition_before, INT32_MAX);
	v.first_admission = t_day("2018-03-01");
	zes_vehicle_profile(&v, &n, &p);
	assert_int_equal(p.transition_from, INT32_MIN);
	assert_int_equal(p.transition_before, t_day("2028-03-01"));
}

/*
 * A check the profile of which is stale (built from other rules): rule
 * indexes out of range give no access and no ground from outside the rules.
 */
static void
test_admit_stale_profile(void **state)
{
	struct zes_admit_query	q;
	struct zes_admit_result	res;
	struct zes_profile	p;

	(void)state;
	t_hand_build();
	memset(&p, 0, sizeof(p));
	p.flags = ZES_PROFILE_IN_SCOPE;
	p.transition = 6;
	p.transition_from = INT32_MIN;
	p.transition_before = INT32_MAX;
	p.nauto = 1;
	p.auto_[0].rule = 3;
	p.auto_[0].from = INT32_MIN;
	p.auto_[0].before = INT32_MAX;
	p.refusal = 6;
	memset(&q, 0, sizeof(q));
	q.rules = &t_hand;
	q.municipality = t_find_muni(&t_hand, "GM0599");
	q.at = t_at("2026-06-01T10:00:00Z");
	q.vehicle = &p;
	zes_admit(&q, &res);
	assert_int_equal(res.basis, ZES_BASIS_NONE);
	assert_string_equal(res.ground, "none");
	assert_false(res.allowed);

	p.transition = 5;
	p.refusal = 5;
	zes_admit(&q, &res);
	assert_int_equal(res.basis, ZES_BASIS_TRANSITION_SCHEME);
	assert_string_equal(res.ground, "transition_rigid_ek6_old");
	assert_true(res.valid_until == INT64_MAX);
}

/*
 * Recognition by a statute that is not yet in force at `at` (DOMAIN.md §6:
 * the statute checks from its `from`), and one granted before grantedFrom.
 */
static void
test_admit_statute_from(void **state)
{
	static const char *const types[] = { "long_delivery" };
	struct zes_statute	s;
	struct zes_exemption	e;
	struct zes_admit_query	q;
	struct zes_admit_result	res;
	struct zes_rules	r;

	(void)state;
	t_hand_build();
	r = t_hand;
	s.types = types;
	s.ntypes = 1;
	s.granted_from_day = t_day("2025-06-01");
	s.from_day = t_day("2026-01-01");
	r.national.statutes = &s;
	r.national.nstatutes = 1;
	memset(&e, 0, sizeof(e));
	strcpy(e.type, "long_delivery");
	strcpy(e.issuer, "GM0503");
	e.valid_from = t_at("2025-06-01T00:00:00Z");
	e.valid_until = t_at("2027-06-01T00:00:00Z");
	e.granted_at = t_at("2025-05-31T22:00:00Z");	/* local midnight */
	e.revoked_at = INT64_MAX;
	memset(&q, 0, sizeof(q));
	q.rules = &r;
	q.municipality = t_find_muni(&r, "GM0599");
	q.exemptions = &e;
	q.nexemptions = 1;

	q.at = t_at("2025-12-31T22:59:59Z");
	zes_admit(&q, &res);
	assert_int_equal(res.basis, ZES_BASIS_UNKNOWN_VEHICLE);
	assert_null(res.exemption);
	q.at = t_at("2025-12-31T23:00:00Z");
	zes_admit(&q, &res);
	assert_int_equal(res.basis, ZES_BASIS_RECOGNIZED_EXEMPTION);
	assert_ptr_equal(res.exemption, &e);
	assert_string_equal(res.issuer, "GM0503");
	assert_true(res.valid_until == e.valid_until);

	e.granted_at = t_at("2025-05-31T21:59:59Z");
	zes_admit(&q, &res);
	assert_int_equal(res.basis, ZES_BASIS_UNKNOWN_VEHICLE);

	/* without statutes only the issuer's own zone honours it */
	e.granted_at = t_at("2026-02-01T00:00:00Z");
	zes_admit(&q, &res);
	assert_int_equal(res.basis, ZES_BASIS_RECOGNIZED_EXEMPTION);
	r.national.nstatutes = 0;
	zes_admit(&q, &res);
	assert_int_equal(res.basis, ZES_BASIS_UNKNOWN_VEHICLE);
	q.municipality = t_find_muni(&r, "GM0503");
	zes_admit(&q, &res);
	assert_int_equal(res.basis, ZES_BASIS_MUNICIPAL_EXEMPTION);
}

/*
 * Issuers compare within their array, whatever the bytes after the text
 * hold, never as a prefix; the result's issuer is a C string.
 */
static void
test_admit_national_issuer(void **state)
{
	struct zes_exemption	e;
	struct zes_admit_query	q;
	struct zes_admit_result	res;

	(void)state;
	t_hand_build();
	memset(&e, 0xff, sizeof(e));
	strcpy(e.type, "special_vehicle");
	t_copy(e.issuer, sizeof(e.issuer), "national");
	e.valid_from = t_at("2026-01-01T00:00:01Z");
	e.valid_until = t_at("2027-01-01T00:00:01Z");
	e.granted_at = e.valid_from;
	e.revoked_at = INT64_MAX;
	memset(&q, 0, sizeof(q));
	q.rules = &t_hand;
	q.municipality = t_find_muni(&t_hand, "GM0599");
	q.at = t_at("2026-06-01T10:00:00Z");
	q.exemptions = &e;
	q.nexemptions = 1;
	zes_admit(&q, &res);
	assert_int_equal(res.basis, ZES_BASIS_NATIONAL_EXEMPTION);
	assert_ptr_equal(res.exemption, &e);
	assert_string_equal(res.issuer, "national");

	/* a municipality's code is not a prefix match */
	t_copy(e.issuer, sizeof(e.issuer), "GM05991");
	zes_admit(&q, &res);
	assert_int_equal(res.basis, ZES_BASIS_UNKNOWN_VEHICLE);
	t_copy(e.issuer, sizeof(e.issuer), "GM0599");
	zes_admit(&q, &res);
	assert_int_equal(res.basis, ZES_BASIS_MUNICIPAL_EXEMPTION);
	assert_string_equal(res.issuer, "GM0599");
}

/* The result does not depend on the order the exemptions come in. */
static void
test_admit_order_independent(void **state)
{
	struct zes_exemption	e[3], sw;
	struct zes_admit_query	q;
	struct zes_admit_result	res;
	size_t			i, j, k;

	(void)state;
	t_hand_build();
	memset(e, 0, sizeof(e));
	for (i = 0; i < 3; i++) {
		e[i].id[0] = (uint8_t)(3 - i);
		strcpy(e[i].type, "long_delivery");
		strcpy(e[i].issuer, "GM0599");
		e[i].valid_from = t_at("2026-01-01T00:00:00Z");
		e[i].valid_until = t_at("2027-01-01T00:00:00Z");
		e[i].granted_at = e[i].valid_from;
		e[i].revoked_at = INT64_MAX;
	}
	memset(&q, 0, sizeof(q));
	q.rules = &t_hand;
	q.municipality = t_find_muni(&t_hand, "GM0599");
	q.at = t_at("2026-06-01T10:00:00Z");
	q.exemptions = e;
	q.nexemptions = 3;
	for (k = 0; k < 6; k++) {
		i = k % 3;
		j = (k + 1 + k / 3) % 3;
		sw = e[i];
		e[i] = e[j];
		e[j] = sw;
		zes_admit(&q, &res);
		assert_int_equal(res.basis, ZES_BASIS_MUNICIPAL_EXEMPTION);
		assert_int_equal(res.exemption->id[0], 1);
	}
}

/* A register row from the database's JSON into a vehicle record. */
static void
test_vehicle_from_json(void **state)
{
	static const char *const bad[] = {
		"", "{}", "null", "[]", "[\"AB12CD\"]",
		/* ten elements, and a plate that is no string */
		"[\"AB12CD\",\"N2\",\"\",\"\",\"\",-1,[],[],[],null]",
		"[7,\"N2\",\"\",\"\",\"\",-1,[],[],[],null,-1]",
		"[\"AB12CD\",\"N2\"",
	};
	struct zes_vehicle	v;
	size_t			i;

	(void)state;
	assert_int_equal(zes_vehicle_from_json("[\"VTV69T\",\"N2\","
	    "\"Bedrijfsauto\",\"gesloten opbouw\",\"BB\",3,[1,2],"
	    "[\"Elektriciteit\",\"Benzine\"],[null,\"6\"],19000,3500]", &v), 0);
	assert_string_equal(v.plate, "VTV69T");
	assert_string_equal(v.category, "N2");
	assert_string_equal(v.vehicle_type, "Bedrijfsauto");
	assert_string_equal(v.body_description, "gesloten opbouw");
	assert_string_equal(v.body_type, "BB");
	assert_int_equal(v.body_code, 3);
	assert_int_equal(v.nspecial, 2);
	assert_int_equal(v.special_codes[1], 2);
	assert_int_equal(v.nfuels, 2);
	assert_string_equal(v.fuels[0].name, "Elektriciteit");
	assert_string_equal(v.fuels[0].emission_class, "");
	assert_string_equal(v.fuels[1].emission_class, "6");
	assert_true(v.first_admission == 19000);
	assert_int_equal(v.mass_kg, 3500);

	/* SQL NULLs: empty strings, no lists, unknown day, code and mass. */
	assert_int_equal(zes_vehicle_from_json("[\"AB12CD\",null,null,null,"
	    "null,null,null,null,null,null,null]", &v), 0);
	assert_string_equal(v.category, "");
	assert_string_equal(v.body_type, "");
	assert_int_equal(v.body_code, -1);
	assert_int_equal(v.nspecial, 0);
	assert_int_equal(v.nfuels, 0);
	assert_true(v.first_admission == ZES_DAY_NONE);
	assert_int_equal(v.mass_kg, -1);

	/* More fuels and codes than a record holds: the first ones. */
	assert_int_equal(zes_vehicle_from_json("[\"AB12CD\",\"N1\",\"\",\"\","
	    "\"\",-1,[1,2,3,4,5,6,7,8,9,10],[\"a\",\"b\",\"c\",\"d\",\"e\"],"
	    "[],null,-1]", &v), 0);
	assert_int_equal(v.nspecial, ZES_VEHICLE_MAX_SPECIALS);
	assert_int_equal(v.nfuels, ZES_VEHICLE_MAX_FUELS);
	assert_string_equal(v.fuels[3].name, "d");

	for (i = 0; i < ZES_NELEM(bad); i++)
		if (zes_vehicle_from_json(bad[i], &v) != -1)
			fail_msg("\"%s\" was taken", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_basis_names),
		cmocka_unit_test(test_facts_raw),
		cmocka_unit_test(test_vehicle_from_json),
		cmocka_unit_test(test_facts_fuels),
		cmocka_unit_test(test_facts_kinds),
		cmocka_unit_test(test_facts_order),
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_profile_limits),
		cmocka_unit_test(test_cases_hand),
		cmocka_unit_test(test_cases_real),
		cmocka_unit_test(test_admit_stale_profile),
		cmocka_unit_test(test_admit_statute_from),
		cmocka_unit_test(test_admit_national_issuer),
		cmocka_unit_test(test_admit_order_independent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
