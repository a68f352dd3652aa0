"""Hostile and malformed input to the JSON and query-string parsers.

Covers POST /v1/audit-entries/_search with malformed JSON, an empty body,
non-object documents, invalid UTF-8, duplicate keys (every duplicated key
listed), unknown fields (each listed by name), ill-typed and out-of-range
fields (all listed at once), and GET /v1/audit-entries with bad query
parameters (limit 0, 501, "abc"; sinceSeq -1; an unknown key; a bad cursor),
each a 400 problem whose `errors` name the offending field.  Valid edge values
(limit 1 and 500, sinceSeq 0) are accepted.
"""

import json

import pytest

from conftest import JSON_CT, auth

SEARCH = "/v1/audit-entries/_search"
LIST = "/v1/audit-entries"


@pytest.fixture(scope="module")
def token(db):
    return db.token("auditor")[1]


@pytest.fixture(scope="module")
def z(db, token, module_zesd_factory):
    return module_zesd_factory(db.url)


def search(z, token, body):
    if not isinstance(body, bytes):
        body = body.encode("utf-8")
    return z.request("POST", SEARCH, headers={**auth(token), **JSON_CT}, body=body)


def errors_of(r):
    """Assert a 400 problem with a well-formed errors list; returns the fields."""
    doc = r.problem(400)
    errs = doc.get("errors")
    assert isinstance(errs, list) and errs, f"a 400 needs a non-empty errors list: {doc}"
    for e in errs:
        assert isinstance(e, dict), doc
        assert isinstance(e.get("field"), str), f"error without a field: {e}"
        assert isinstance(e.get("message"), str) and e["message"], f"error without a message: {e}"
    return [e["field"] for e in errs]


def field_named(fields, name):
    """Does some error name this field (as the field itself, or as its last path part)?"""
    return any(f == name or f.endswith("." + name) or f.endswith("/" + name) for f in fields)


@pytest.mark.parametrize("body", [
    '{"object":',
    '{"object": "a",}',
    "{'object': 'a'}",
    '{"object": "a"} trailing',
    '{"object": "a"}{}',
    "nul\x00l",
    '{"limit": 1e999999}',
    "[" * 5000 + "]" * 5000,
    '{"limit": 9223372036854775808}',
])
def test_malformed_json(z, token, body):
    errors_of(search(z, token, body))


def test_empty_body(z, token):
    errors_of(search(z, token, b""))


def test_whitespace_body(z, token):
    errors_of(search(z, token, b"  \n"))


@pytest.mark.parametrize("body", ["[]", '"object"', "null", "42", "true", '[{"object":"x"}]'])
def test_not_an_object(z, token, body):
    errors_of(search(z, token, body))


def test_invalid_utf8(z, token):
    errors_of(search(z, token, b'{"object": "token/\xff\xfe"}'))


def test_duplicate_keys_all_listed(z, token):
    fields = errors_of(search(z, token, '{"object":"a","action":"b","object":"c","action":"d","limit":5}'))
    assert field_named(fields, "object"), fields
    assert field_named(fields, "action"), fields
    assert not field_named(fields, "limit"), f"limit was not duplicated: {fields}"


def test_duplicate_key_same_value(z, token):
    fields = errors_of(search(z, token, '{"limit":5,"limit":5}'))
    assert field_named(fields, "limit"), fields


def test_unknown_fields_each_listed(z, token):
    fields = errors_of(search(z, token, '{"foo":1,"object":"token/x","barBaz":{"a":1}}'))
    assert field_named(fields, "foo"), fields
    assert field_named(fields, "barBaz"), fields
    assert not field_named(fields, "object"), f"object is a known field: {fields}"


def test_wrong_case_is_unknown(z, token):
    fields = errors_of(search(z, token, '{"SinceSeq":1}'))
    assert field_named(fields, "SinceSeq"), fields


@pytest.mark.parametrize("field,value", [
    ("object", 1),
    ("object", ["a"]),
    ("action", {"a": 1}),
    ("actor", True),
    ("sinceSeq", "1"),
    ("sinceSeq", 1.5),
    ("sinceSeq", -1),
    ("limit", "5"),
    ("limit", 0),
    ("limit", 501),
    ("limit", 2.0e10),
    ("cursor", 5),
    ("cursor", "not a cursor"),
])
def test_bad_field(z, token, field, value):
    fields = errors_of(search(z, token, json.dumps({field: value})))
    assert field_named(fields, field), f"{field}={value!r}: errors name {fields}"


def test_all_errors_at_once(z, token):
    body = json.dumps({"object": 1, "sinceSeq": "x", "limit": 0, "foo": True, "bar": None})
    fields = errors_of(search(z, token, body))
    for name in ("object", "sinceSeq", "limit", "foo", "bar"):
        assert field_named(fields, name), f"{name} not listed: {fields}"


@pytest.mark.parametrize("body", ["{}", '{"limit":1}', '{"limit":500}', '{"sinceSeq":0}',
                                  '{"object":"token/none","action":"token.create","actor":"nobody"}',
                                  ' {\n"limit" : 2 }\n'])
def test_valid_bodies(z, token, body):
    r = search(z, token, body)
    assert r.status == 200, r
    doc = r.json()
    assert isinstance(doc.get("items"), list), doc
    assert "nextCursor" in doc, doc


@pytest.mark.parametrize("query,field", [
    ("limit=0", "limit"),
    ("limit=501", "limit"),
    ("limit=abc", "limit"),
    ("limit=", "limit"),
    ("limit=-1", "limit"),
    ("limit=1.5", "limit"),
    ("limit=5x", "limit"),
    ("limit=99999999999999999999999", "limit"),
    ("sinceSeq=-1", "sinceSeq"),
    ("sinceSeq=abc", "sinceSeq"),
    ("sinceSeq=99999999999999999999999", "sinceSeq"),
    ("foo=1", "foo"),
    ("SinceSeq=1", "SinceSeq"),
    ("cursor=not-a-cursor", "cursor"),
])
def test_bad_query(z, token, query, field):
    fields = errors_of(z.get(f"{LIST}?{query}", headers=auth(token)))
    assert field_named(fields, field), f"?{query}: errors name {fields}"


def test_bad_query_all_listed(z, token):
    fields = errors_of(z.get(f"{LIST}?limit=0&sinceSeq=-1&foo=1", headers=auth(token)))
    for name in ("limit", "sinceSeq", "foo"):
        assert field_named(fields, name), f"{name} not listed: {fields}"


@pytest.mark.parametrize("query", ["", "?limit=1", "?limit=500", "?sinceSeq=0", "?limit=50&sinceSeq=0"])
def test_good_query(z, token, query):
    r = z.get(f"{LIST}{query}", headers=auth(token))
    assert r.status == 200, r
    doc = r.json()
    assert isinstance(doc["items"], list) and "nextCursor" in doc, doc

