/*
 * The members of every JSON request body the API reads with
 * zes_json_check (daemon/http/bodies.c), in one place so that the handlers
 * and the body fuzzer (tests/fuzz/fuzz_json.c) use the same lists.  The
 * bodies of submissions and evaluations are read by zes_app_parse instead
 * (daemon/core), whose fields come from the rule sets.
 */
#ifndef ZES_BODIES_H
#define ZES_BODIES_H

#include "zes/json.h"

extern const struct zes_json_field zes_body_access_checks[];	/* POST /v1/access-checks */
extern const struct zes_json_field zes_body_access_item[];	/* one of its "checks" */
extern const struct zes_json_field zes_body_decision[];		/* POST .../decision */
extern const struct zes_json_field zes_body_empty[];	/* {}: withdrawal, reloads */
extern const struct zes_json_field zes_body_application_search[];
extern const struct zes_json_field zes_body_audit_search[];
extern const struct zes_json_field zes_body_exemption_search[];
extern const struct zes_json_field zes_body_revocation[];	/* POST .../revocation */
extern const struct zes_json_field zes_body_agreement[];	/* POST /v1/recognition-agreements */
extern const struct zes_json_field zes_body_agreement_patch[];	/* PATCH .../{id} */
extern const struct zes_json_field zes_body_vehicle_search[];

/* All of the lists above, ended by NULL. */
extern const struct zes_json_field *const zes_bodies[];

#endif
