/*
 * Reference data: the municipalities with their zones and rule sets (from
 * the rules in memory), and the vehicle register (POST /v1/vehicles/_search,
 * read from the database and explained with the national rules).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zes/admit.h"
#include "zes/bodies.h"
#include "zes/http.h"
#include "zes/json.h"
#include "zes/period.h"
#include "zes/plate.h"
#include "zes/routes.h"
#include "zes/store.h"
#include "zes/worker.h"
#include "zes/xmalloc.h"

static void	reference_municipalities(struct zes_req *);
static void	reference_vehicles_search(struct zes_req *);

const struct zes_route zes_routes_reference[] = {
	{ .method = EVHTTP_REQ_GET, .path = "/v1/municipalities",
	  .roles = ZES_ROLE_ANY, .handler = reference_municipalities },
	{ .method = EVHTTP_REQ_POST, .path = "/v1/vehicles/_search",
	  .roles = ZES_ROLE_DESK | ZES_ROLE_ASSESSOR | ZES_ROLE_ADMIN,
	  .body = ZES_BODY_JSON, .safe = 1, .handler = reference_vehicles_search },
	{ 0 }
};

/* GET /v1/municipalities */
static void
reference_municipalities(struct zes_req *r)
{
	const struct zes_rules	*rules = r->w->rules;
	json_t			*items;
	char			 since[ZES_DATE_TEXT_LEN + 1];
	size_t			 i;

	if (zes_req_query_check(r, (const char *const[]){ NULL }) > 0) {
		zes_http_invalid(r);
		return;
	}
	if (rules == NULL) {
		zes_http_unavailable(r, "the rules are not loaded");
		return;
	}
	items = json_array();
	for (i = 0; i < rules->nmunis; i++) {
		const struct zes_municipality *m = &rules->munis[i];
		json_t *zone = json_null();

		if (m->has_zone && m->nperiods > 0) {
			zes_date_format(m->periods[0].from_day, since);
			zone = json_pack("{s:s}", "since", since);
		}
		json_array_append_new(items, json_pack("{s:s, s:s, s:o, s:{s:s, s:s}}",
		    "code", m->code, "name", m->info->name, "zeZone", zone,
		    "ruleSet", "version", m->info->version, "sha256", m->info->sha256));
	}
	zes_http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* The register row of a plate, as zes_vehicle_from_json() reads it. */
static const char reference_vehicle_sql[] =
    "SELECT json_build_array(plate, category, vehicle_type,"
    " lower(body_description), body_type, coalesce(body_code, -1),"
    " special_codes, fuel_names, fuel_classes,"
    " first_admission - date '1970-01-01', coalesce(mass_kg, -1))::text"
    " FROM vehicles WHERE plate = $1";

/* The register row arrived: answer it with what the rules make of it. */
static void
reference_vehicles_done(const struct zes_store_result *res, void *arg)
{
	struct zes_req			*r = arg;
	const struct zes_national	*n = &r->w->rules->national;
	struct zes_vehicle		 v;
	struct zes_facts_store		 store;
	struct zes_value		 facts[ZES_F_VEHICLE_END];
	struct zes_profile		 prof;
	char				 plate_display[16], det[ZES_DATE_TEXT_LEN + 1];
	char				 last[ZES_DATE_TEXT_LEN + 1], cls[8];
	json_t				*fuels, *item, *euro;
	const struct zes_plate		*p = r->data;
	int				 i;

	r->job = NULL;
	if (res->status != ZES_STORE_OK) {
		zes_http_store_failed(r, res);
		return;
	}
	if (PQntuples(res->res[0]) == 0) {
		zes_http_reply_json(r, 200, json_pack("{s:[]}", "items"));
		return;
	}
	if (zes_vehicle_from_json(PQgetvalue(res->res[0], 0, 0), &v) != 0) {
		zes_http_internal(r, "damaged register row");
		return;
	}
	zes_vehicle_facts(&v, n, &store, facts);
	memset(&prof, 0, sizeof(prof));
	zes_vehicle_profile(&v, n, &prof);
	snprintf(plate_display, sizeof(plate_display), "%s", p->display);
	fuels = json_array();
	for (i = 0; i < v.nfuels; i++)
		json_array_append_new(fuels, json_string(v.fuels[i].name));
	/* The register's emission code: "Z", or the combustion class "0".."6". */
	if (facts[ZES_F_ZERO_EMISSION].type == ZES_V_BOOL &&
	    facts[ZES_F_ZERO_EMISSION].u.i)
		euro = json_string("Z");
	else if (facts[ZES_F_EMISSION_CLASS].type == ZES_V_INT) {
		snprintf(cls, sizeof(cls), "%d", (int)facts[ZES_F_EMISSION_CLASS].u.i);
		euro = json_string(cls);
	} else
		euro = json_null();
	if (v.first_admission != ZES_DAY_NONE)
		zes_date_format(v.first_admission, det);
	item = json_pack("{s:s, s:s, s:s?, s:s?, s:o, s:o, s:o, s:o, s:b, s:b}",
	    "plate", v.plate, "plateDisplay", plate_display,
	    "category", v.category[0] ? v.category : NULL,
	    "bodyType", v.body_type[0] ? v.body_type : NULL,
	    "fuels", fuels, "euroClass", euro,
	    "firstAdmission", v.first_admission != ZES_DAY_NONE ?
	    json_string(det) : json_null(),
	    "massKg", v.mass_kg >= 0 ? json_integer(v.mass_kg) : json_null(),
	    "zeroEmission", facts[ZES_F_ZERO_EMISSION].type == ZES_V_BOOL &&
	    facts[ZES_F_ZERO_EMISSION].u.i,
	    "inScope", (prof.flags & ZES_PROFILE_IN_SCOPE) != 0);
	/* The last day of the covering transition rule: the day before `before`. */
	if (prof.transition != 0 && prof.transition_before != INT32_MAX) {
		zes_date_format((int64_t)prof.transition_before - 1, last);
		json_object_set_new(item, "transitionLastDay", json_string(last));
	} else
		json_object_set_new(item, "transitionLastDay", json_null());
	zes_http_reply_json(r, 200, json_pack("{s:[o]}", "items", item));
}

/* POST /v1/vehicles/_search {"plate","country"?} */
static void
reference_vehicles_search(struct zes_req *r)
{
	struct zes_plate	*p;
	const char		*why, *country, *params[1];
	json_t			*v;

	p = xcalloc(1, sizeof(*p));
	r->data = p;
	r->data_free = free;
	zes_req_query_check(r, (const char *const[]){ NULL });
	zes_json_check(r, r->body, "", zes_body_vehicle_search);
	country = json_string_value(json_object_get(r->body, "country"));
	if (country != NULL && !zes_plate_country_valid(country))
		zes_req_error(r, "country",
		    "must be an ISO 3166-1 alpha-2 code such as \"DE\"");
	else if (json_is_string(v = json_object_get(r->body, "plate")) &&
	    zes_plate_parse(json_string_value(v), json_string_length(v),
	    country, p, &why) != 0)
		zes_req_error(r, "plate", "%s", why);
	if (r->nerrors > 0) {
		zes_http_invalid(r);
		return;
	}
	if (r->w->rules == NULL) {
		zes_http_unavailable(r, "the rules are not loaded");
		return;
	}
	/* The register holds Dutch vehicles only. */
	if (strcmp(p->country, "NL") != 0) {
		zes_http_reply_json(r, 200, json_pack("{s:[]}", "items"));
		return;
	}
	params[0] = p->text;
	r->job = zes_store_query(r->w->store, reference_vehicle_sql, 1, params,
	    reference_vehicles_done, r);
	if (r->job == NULL)
		zes_http_unavailable(r, "the database is unavailable");
}
