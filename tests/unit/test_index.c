/*
 * The access index's tables (daemon/index/snapshot.c): vehicles by packed
 * plate with shared profiles, exemptions per plate in a base plus an
 * overlay, deltas that replace an exemption by id, the merge of a full
 * overlay, and that older snapshots keep their content (they are immutable).
 * Profiles are derived with the real rules/ folder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zes/index.h"
#include "zes/period.h"
#include "zes/rulesdir.h"

static struct zes_rules *t_rules;

/* Load the real rules once. */
static int
setup(void **state)
{
	struct zes_rule_errors	errs = { NULL, 0 };

	(void)state;
	t_rules = zes_rules_load_dir(ZES_SOURCE_DIR "/rules", &errs);
	if (t_rules == NULL) {
		zes_rule_errors_free(&errs);
		return -1;
	}
	return 0;
}

/* Drop the rules. */
static int
teardown(void **state)
{
	(void)state;
	zes_rules_unref(t_rules);
	return 0;
}

/* A van of the given emission class and first admission. */
static struct zes_vehicle
t_van(const char *plate, const char *cls, const char *fuel, int y, int m, int d)
{
	struct zes_vehicle	v;

	memset(&v, 0, sizeof(v));
	snprintf(v.plate, sizeof(v.plate), "%s", plate);
	snprintf(v.category, sizeof(v.category), "N1");
	snprintf(v.vehicle_type, sizeof(v.vehicle_type), "Bedrijfsauto");
	snprintf(v.body_type, sizeof(v.body_type), "BB");
	v.body_code = -1;
	snprintf(v.fuels[0].name, sizeof(v.fuels[0].name), "%s", fuel);
	snprintf(v.fuels[0].emission_class, sizeof(v.fuels[0].emission_class), "%s", cls);
	v.nfuels = 1;
	v.first_admission = zes_date_from_ymd(y, m, d);
	v.mass_kg = 3000;
	return v;
}

/* An exemption row. */
static struct zes_index_exrow
t_ex(const char *country, const char *plate, uint8_t id, const char *type,
    const char *issuer, int64_t from, int64_t until)
{
	struct zes_index_exrow	r;

	memset(&r, 0, sizeof(r));
	snprintf(r.country, sizeof(r.country), "%s", country);
	snprintf(r.plate, sizeof(r.plate), "%s", plate);
	r.ex.id[15] = id;
	snprintf(r.ex.type, sizeof(r.ex.type), "%s", type);
	snprintf(r.ex.issuer, sizeof(r.ex.issuer), "%s", issuer);
	r.ex.valid_from = from;
	r.ex.valid_until = until;
	r.ex.granted_at = from;
	r.ex.revoked_at = INT64_MAX;
	return r;
}

/* Vehicles: found by plate, profiles shared, later records win, non-Dutch skipped. */
static void
test_vehicles(void **state)
{
	struct zes_index_vbuild		*b;
	struct zes_index_vehicles	*veh;
	struct zes_index_exemptions	*ex;
	struct zes_index		*x;
	struct zes_index_stats		 st;
	struct zes_vehicle		 v;
	const struct zes_profile	*p1, *p2, *p3;
	char				 plate[8];
	int				 i;

	(void)state;
	b = zes_index_vbuild_new(t_rules, 0);
	for (i = 0; i < 1000; i++) {
		snprintf(plate, sizeof(plate), "AB%04d", i);
		v = t_van(plate, "6", "Diesel", 2020, 1, 1);
		zes_index_vbuild_add(b, &v);
	}
	v = t_van("VTV69T", "Z", "Elektriciteit", 2021, 5, 1);
	zes_index_vbuild_add(b, &v);
	v = t_van("AB0001", "5", "Diesel", 2019, 1, 1);	/* replaces */
	zes_index_vbuild_add(b, &v);
	v = t_van("AB00", "5", "Diesel", 2019, 1, 1);		/* not a Dutch plate */
	zes_index_vbuild_add(b, &v);
	veh = zes_index_vbuild_finish(b);
	ex = zes_index_exemptions_build(NULL, 0);
	x = zes_index_new(t_rules, veh, ex, 7);
	zes_index_vehicles_unref(veh);
	zes_index_exemptions_unref(ex);

	zes_index_get_stats(x, &st);
	assert_int_equal(st.vehicles, 1001);
	assert_int_equal(st.profiles, 3);
	assert_int_equal(st.seq, 7);
	p1 = zes_index_vehicle(x, "AB0000");
	p2 = zes_index_vehicle(x, "AB0999");
	p3 = zes_index_vehicle(x, "AB0001");
	assert_non_null(p1);
	assert_ptr_equal(p1, p2);		/* one shared profile */
	assert_non_null(p3);
	assert_ptr_not_equal(p1, p3);
	assert_true(p1->flags & ZES_PROFILE_IN_SCOPE);
	assert_false(p1->flags & ZES_PROFILE_ZERO_EMISSION);
	assert_int_not_equal(p1->transition, 0);	/* van class 6: transition */
	assert_true(zes_index_vehicle(x, "VTV69T")->flags & ZES_PROFILE_ZERO_EMISSION);
	assert_null(zes_index_vehicle(x, "AB1000"));
	assert_null(zes_index_vehicle(x, "ZZ9999"));
	assert_null(zes_index_vehicle(x, "AB00"));
	assert_null(zes_index_vehicle(x, "ab0000"));
	assert_ptr_equal(zes_index_rules(x), t_rules);
	zes_index_unref(x);
}

/* Exemptions: by country and plate; a delta replaces by id; old snapshots keep theirs. */
static void
test_exemptions_and_deltas(void **state)
{
	struct zes_index_exrow		 rows[3], delta[2];
	struct zes_index_vehicles	*veh;
	struct zes_index_exemptions	*ex;
	struct zes_index		*x0, *x1, *x2;
	const struct zes_exemption	*e;

	(void)state;
	rows[0] = t_ex("NL", "V123FB", 1, "long_delivery", "GM0599", 100, 200);
	rows[1] = t_ex("NL", "V123FB", 2, "day_exemption", "GM0518", 300, 400);
	rows[2] = t_ex("DE", "V123FB", 3, "day_exemption", "GM0503", 300, 400);
	veh = zes_index_vbuild_finish(zes_index_vbuild_new(t_rules, 0));
	ex = zes_index_exemptions_build(rows, 3);
	x0 = zes_index_new(t_rules, veh, ex, 1);
	zes_index_vehicles_unref(veh);
	zes_index_exemptions_unref(ex);

	assert_int_equal(zes_index_exemptions(x0, "NL", "V123FB", &e), 2);
	assert_int_equal(zes_index_exemptions(x0, "DE", "V123FB", &e), 1);
	assert_string_equal(e[0].issuer, "GM0503");
	assert_int_equal(zes_index_exemptions(x0, "NL", "XX0000", &e), 0);
	assert_null(e);

	/* Revoke id 1 and grant id 4 on another plate. */
	delta[0] = rows[0];
	delta[0].ex.revoked_at = 150;
	delta[1] = t_ex("NL", "12ABC3", 4, "grid_congestion", "GM0599", 0, 999);
	x1 = zes_index_apply(x0, delta, 2, 2, 100);
	assert_int_equal(zes_index_exemptions(x1, "NL", "V123FB", &e), 2);
	assert_true((e[0].id[15] == 1 && e[0].revoked_at == 150) ||
	    (e[1].id[15] == 1 && e[1].revoked_at == 150));
	assert_int_equal(zes_index_exemptions(x1, "NL", "12ABC3", &e), 1);
	assert_int_equal(e[0].id[15], 4);
	assert_int_equal(zes_index_exemptions(x1, "DE", "V123FB", &e), 1);
	/* The older snapshot is unchanged. */
	assert_int_equal(zes_index_exemptions(x0, "NL", "V123FB", &e), 2);
	assert_int_equal(e[0].revoked_at, INT64_MAX);
	assert_int_equal(e[1].revoked_at, INT64_MAX);
	assert_int_equal(zes_index_exemptions(x0, "NL", "12ABC3", &e), 0);

	/* A max_overlay of 0 merges at once: same content, no overlay left. */
	delta[0] = t_ex("NL", "V123FB", 5, "hardship_clause", "GM0599", 0, 10);
	x2 = zes_index_apply(x1, delta, 1, 3, 0);
	{
		struct zes_index_stats st;

		zes_index_get_stats(x2, &st);
		assert_int_equal(st.overlay_plates, 0);
		assert_int_equal(st.exemptions, 5);
		assert_int_equal(st.seq, 3);
	}
	assert_int_equal(zes_index_exemptions(x2, "NL", "V123FB", &e), 3);
	assert_int_equal(zes_index_exemptions(x2, "NL", "12ABC3", &e), 1);
	assert_int_equal(zes_index_exemptions(x2, "DE", "V123FB", &e), 1);
	zes_index_unref(x0);
	zes_index_unref(x2);
	assert_int_equal(zes_index_exemptions(x1, "NL", "12ABC3", &e), 1);
	zes_index_unref(x1);
}

/* The same id twice in one build or delta: the later row counts. */
static void
test_same_id_later_wins(void **state)
{
	struct zes_index_exrow		 rows[2];
	struct zes_index_exemptions	*ex;
	struct zes_index_vehicles	*veh;
	struct zes_index		*x;
	const struct zes_exemption	*e;

	(void)state;
	rows[0] = t_ex("NL", "V123FB", 9, "long_delivery", "GM0599", 100, 200);
	rows[1] = rows[0];
	rows[1].ex.valid_until = 250;
	veh = zes_index_vbuild_finish(zes_index_vbuild_new(t_rules, 0));
	ex = zes_index_exemptions_build(rows, 2);
	x = zes_index_new(t_rules, veh, ex, 1);
	zes_index_vehicles_unref(veh);
	zes_index_exemptions_unref(ex);
	assert_int_equal(zes_index_exemptions(x, "NL", "V123FB", &e), 1);
	assert_int_equal(e[0].valid_until, 250);
	zes_index_unref(x);
}

/* An import updates vehicles, keeping the others and the exemptions. */
static void
test_vehicles_update(void **state)
{
	struct zes_index_vbuild		*b;
	struct zes_index_vehicles	*veh, *veh2;
	struct zes_index_exrow		 row;
	struct zes_index_exemptions	*ex;
	struct zes_index		*x, *y;
	struct zes_vehicle		 v[2];
	const struct zes_exemption	*e;

	(void)state;
	b = zes_index_vbuild_new(t_rules, 2);
	v[0] = t_van("AB0001", "6", "Diesel", 2020, 1, 1);
	v[1] = t_van("AB0002", "6", "Diesel", 2020, 1, 1);
	zes_index_vbuild_add(b, &v[0]);
	zes_index_vbuild_add(b, &v[1]);
	veh = zes_index_vbuild_finish(b);
	row = t_ex("NL", "AB0001", 1, "long_delivery", "GM0599", 0, 10);
	ex = zes_index_exemptions_build(&row, 1);
	x = zes_index_new(t_rules, veh, ex, 1);
	zes_index_exemptions_unref(ex);

	v[0] = t_van("AB0002", "Z", "Elektriciteit", 2022, 1, 1);
	v[1] = t_van("AB0003", "5", "Diesel", 2018, 1, 1);
	veh2 = zes_index_vehicles_update(veh, t_rules, v, 2);
	zes_index_vehicles_unref(veh);
	y = zes_index_with_vehicles(x, veh2, 2);
	zes_index_vehicles_unref(veh2);
	assert_non_null(zes_index_vehicle(y, "AB0001"));
	assert_true(zes_index_vehicle(y, "AB0002")->flags & ZES_PROFILE_ZERO_EMISSION);
	assert_false(zes_index_vehicle(x, "AB0002")->flags & ZES_PROFILE_ZERO_EMISSION);
	assert_non_null(zes_index_vehicle(y, "AB0003"));
	assert_null(zes_index_vehicle(x, "AB0003"));
	assert_int_equal(zes_index_exemptions(y, "NL", "AB0001", &e), 1);
	zes_index_unref(x);
	zes_index_unref(y);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vehicles),
		cmocka_unit_test(test_exemptions_and_deltas),
		cmocka_unit_test(test_same_id_later_wins),
		cmocka_unit_test(test_vehicles_update),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
