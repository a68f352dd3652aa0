/*
 * The members of the JSON request bodies (include/zes/bodies.h): name,
 * type, required, nullable.  API.md and the OpenAPI document describe the
 * same bodies.
 */
#include <stddef.h>

#include "zes/bodies.h"

const struct zes_json_field zes_body_access_checks[] = {
	{ "checks", ZES_JSON_ARRAY, 1, 0 },
	{ NULL, 0, 0, 0 }
};

const struct zes_json_field zes_body_access_item[] = {
	{ "plate", ZES_JSON_STRING, 1, 0 },
	{ "municipality", ZES_JSON_STRING, 1, 0 },
	{ "at", ZES_JSON_STRING, 0, 0 },
	{ "country", ZES_JSON_STRING, 0, 0 },
	{ NULL, 0, 0, 0 }
};

const struct zes_json_field zes_body_decision[] = {
	{ "outcome", ZES_JSON_STRING, 1, 0 },
	{ "reason", ZES_JSON_STRING, 1, 0 },
	{ "validUntil", ZES_JSON_STRING, 0, 1 },
	{ NULL, 0, 0, 0 }
};

/* No members: for routes that take no body, or an empty object. */
const struct zes_json_field zes_body_empty[] = {
	{ NULL, 0, 0, 0 }
};

const struct zes_json_field zes_body_application_search[] = {
	{ "municipality", ZES_JSON_STRING, 0, 0 },
	{ "status", ZES_JSON_STRING, 0, 0 },
	{ "type", ZES_JSON_STRING, 0, 0 },
	{ "scope", ZES_JSON_STRING, 0, 0 },
	{ "submittedFrom", ZES_JSON_STRING, 0, 0 },
	{ "submittedUntil", ZES_JSON_STRING, 0, 0 },
	{ "plate", ZES_JSON_STRING, 0, 0 },
	{ "country", ZES_JSON_STRING, 0, 0 },
	{ "kvk", ZES_JSON_STRING, 0, 0 },
	{ "limit", ZES_JSON_INTEGER, 0, 0 },
	{ "cursor", ZES_JSON_STRING, 0, 0 },
	{ NULL, 0, 0, 0 }
};

const struct zes_json_field zes_body_audit_search[] = {
	{ "object", ZES_JSON_STRING, 0, 0 },
	{ "action", ZES_JSON_STRING, 0, 0 },
	{ "actor", ZES_JSON_STRING, 0, 0 },
	{ "plate", ZES_JSON_STRING, 0, 0 },
	{ "country", ZES_JSON_STRING, 0, 0 },
	{ "sinceSeq", ZES_JSON_INTEGER, 0, 0 },
	{ "limit", ZES_JSON_INTEGER, 0, 0 },
	{ "cursor", ZES_JSON_STRING, 0, 0 },
	{ NULL, 0, 0, 0 }
};

const struct zes_json_field zes_body_exemption_search[] = {
	{ "plate", ZES_JSON_STRING, 1, 0 },
	{ "country", ZES_JSON_STRING, 0, 0 },
	{ "municipality", ZES_JSON_STRING, 0, 0 },
	{ "type", ZES_JSON_STRING, 0, 0 },
	{ "status", ZES_JSON_STRING, 0, 0 },
	{ "scope", ZES_JSON_STRING, 0, 0 },
	{ "limit", ZES_JSON_INTEGER, 0, 0 },
	{ "cursor", ZES_JSON_STRING, 0, 0 },
	{ NULL, 0, 0, 0 }
};

const struct zes_json_field zes_body_revocation[] = {
	{ "reason", ZES_JSON_STRING, 1, 0 },
	{ NULL, 0, 0, 0 }
};

const struct zes_json_field zes_body_agreement[] = {
	{ "issuer", ZES_JSON_STRING, 1, 0 },
	{ "recognizer", ZES_JSON_STRING, 1, 0 },
	{ "types", ZES_JSON_ARRAY, 1, 0 },
	{ "validFrom", ZES_JSON_STRING, 1, 0 },
	{ "validUntil", ZES_JSON_STRING, 0, 1 },
	{ "mutual", ZES_JSON_BOOLEAN, 0, 0 },
	{ "note", ZES_JSON_STRING, 0, 1 },
	{ NULL, 0, 0, 0 }
};

const struct zes_json_field zes_body_agreement_patch[] = {
	{ "types", ZES_JSON_ARRAY, 0, 0 },
	{ "validUntil", ZES_JSON_STRING, 0, 1 },
	{ "note", ZES_JSON_STRING, 0, 1 },
	{ NULL, 0, 0, 0 }
};

const struct zes_json_field zes_body_vehicle_search[] = {
	{ "plate", ZES_JSON_STRING, 1, 0 },
	{ "country", ZES_JSON_STRING, 0, 0 },
	{ NULL, 0, 0, 0 }
};

const struct zes_json_field *const zes_bodies[] = {
	zes_body_access_checks, zes_body_access_item, zes_body_decision,
	zes_body_empty, zes_body_application_search,
	zes_body_audit_search, zes_body_exemption_search,
	zes_body_revocation, zes_body_agreement, zes_body_agreement_patch,
	zes_body_vehicle_search, NULL
};
