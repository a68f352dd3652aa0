/*
 * Fuzz the strict request-body decoding (daemon/http/json.c:
 * zes_json_decode, zes_json_duplicates, zes_json_check) with a zeroed
 * struct zes_req, as tests/unit/test_json.c does.
 *
 * Input: a request body.  Every decoded object is checked against the
 * field list of each endpoint that takes a JSON body (zes_bodies, the lists
 * the handlers use), and the items of "checks" against the access-check
 * item list.
 *
 * Invariants: the decoder returns an object exactly when jansson (with
 * JSON_REJECT_DUPLICATES) decodes the text to an object, with no error
 * then and at least one otherwise, each with a field and a message; the
 * duplicate scanner finds nothing in a text the decoder accepts; in valid
 * JSON with k > 0 duplicates found, the decoder answers exactly those k
 * "duplicate key" errors; zes_json_check returns the number of errors it
 * added, and when it adds none every member is a listed field.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "zes/bodies.h"
#include "zes/http.h"
#include "zes/json.h"

#include "fuzz.h"

/* Callback of zes_json_duplicates: count. */
static void
json_count_cb(const char *path, void *arg)
{
	FUZZ_ASSERT(path != NULL);
	(*(size_t *)arg)++;
}

/* Every error of r has a field and a non-empty message. */
static void
json_errors_ok(const struct zes_req *r)
{
	size_t	i;

	for (i = 0; i < r->nerrors; i++) {
		FUZZ_ASSERT(r->errors[i].field != NULL);
		FUZZ_ASSERT(r->errors[i].message != NULL &&
		    r->errors[i].message[0] != '\0');
	}
}

/* Check obj against a list the way the handlers do, and the result. */
static void
json_check_one(const json_t *obj, const char *path,
    const struct zes_json_field *fields)
{
	const struct zes_json_field	*f;
	struct zes_req			 r;
	const char			*key;
	json_t				*v;
	int				 n;

	memset(&r, 0, sizeof(r));
	n = zes_json_check(&r, obj, path, fields);
	FUZZ_ASSERT(n >= 0 && (size_t)n == r.nerrors);
	json_errors_ok(&r);
	if (n == 0) {
		json_object_foreach((json_t *)obj, key, v) {
			for (f = fields; f->name != NULL; f++)
				if (strcmp(f->name, key) == 0)
					break;
			FUZZ_ASSERT(f->name != NULL);
			FUZZ_ASSERT(json_is_null(v) ? f->nullable : 1);
		}
		for (f = fields; f->name != NULL; f++)
			FUZZ_ASSERT(!f->required ||
			    json_object_get(obj, f->name) != NULL);
	}
	fuzz_req_clear(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*text = (const char *)data;
	struct zes_req	 r;
	json_error_t	 err;
	json_t		*root, *strict, *loose, *checks;
	size_t		 i, dups = 0;

	memset(&r, 0, sizeof(r));
	root = zes_json_decode(&r, text, size);
	strict = json_loadb(text, size, JSON_REJECT_DUPLICATES, &err);
	FUZZ_ASSERT((root != NULL) == (strict != NULL && json_is_object(strict)));
	FUZZ_ASSERT(root != NULL ? r.nerrors == 0 : r.nerrors > 0);
	json_errors_ok(&r);
	if (root != NULL)
		FUZZ_ASSERT(json_equal(root, strict));
	json_decref(strict);

	(void)zes_json_duplicates(text, size, json_count_cb, &dups);
	if (root != NULL)
		FUZZ_ASSERT(dups == 0);
	/* Valid JSON whose duplicates the scanner sees: exactly those errors. */
	loose = json_loadb(text, size, 0, &err);
	if (loose != NULL && dups > 0) {
		FUZZ_ASSERT(root == NULL && r.nerrors == dups);
		for (i = 0; i < r.nerrors; i++)
			FUZZ_ASSERT(strcmp(r.errors[i].message,
			    "duplicate key") == 0);
	}
	json_decref(loose);
	fuzz_req_clear(&r);
	if (root == NULL)
		return 0;

	for (i = 0; zes_bodies[i] != NULL; i++)
		json_check_one(root, "", zes_bodies[i]);
	checks = json_object_get(root, "checks");
	for (i = 0; i < json_array_size(checks); i++)
		if (json_is_object(json_array_get(checks, i)))
			json_check_one(json_array_get(checks, i), "checks[0]",
			    zes_body_access_item);
	json_decref(root);
	return 0;
}
