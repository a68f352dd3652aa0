"""The audit trail: entries, pagination, search and verification.

Covers the entries that `zesctl token create` and `token revoke` append
(actions token.create / token.revoke on object token/<uuid>), their shape
(RFC 3339 UTC times, SHA-256 hex hashes chained by prevHash), GET
/v1/audit-entries with sinceSeq and limit/cursor pagination (pages concatenate
to the full list, the last one has nextCursor null), POST
/v1/audit-entries/_search by action, object and actor, and
/v1/audit-verification: ok with the entry count, an UPDATE refused by the
trigger, and after a rewrite (zes.allow_audit_rewrite) ok:false naming the
first broken entry.
"""

import json
import re
from urllib.parse import quote

import pytest

from conftest import JSON_CT, auth

HEX64 = re.compile(r"[0-9a-f]{64}")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


@pytest.fixture(scope="module")
def setup(db):
    """Tokens for every role and more, one of them revoked: 12 creations and
    a revocation, so that sequence numbers reach two digits (ordering by seq
    as text would show)."""
    toks = {}
    for role in ("auditor", "admin", "desk", "enforcement"):
        toks[role] = db.token(role)
    toks["assessor"] = db.token("assessor", municipality="GM0599")
    toks["gone"] = db.token("desk")
    for i in range(6):
        toks[f"extra{i}"] = db.token("enforcement")
    db.revoke(toks["gone"][0])
    return toks


@pytest.fixture(scope="module")
def z(db, setup, module_zesd_factory):
    return module_zesd_factory(db.url)


@pytest.fixture(scope="module")
def auditor(setup):
    return setup["auditor"][1]


def get_json(z, path, token):
    r = z.get(path, headers=auth(token))
    assert r.status == 200, r
    assert r.content_type == "application/json", r.header("Content-Type")
    return r.json()


def all_entries(z, token):
    doc = get_json(z, "/v1/audit-entries?limit=500", token)
    assert doc["nextCursor"] is None, "more than 500 entries in a test database?"
    return doc["items"]


def test_entry_shape_and_chain(z, auditor):
    items = all_entries(z, auditor)
    assert len(items) >= 13, f"expected at least 12 token.create and 1 token.revoke entries, got {len(items)}"
    for it in items:
        for k in ("seq", "at", "actor", "action", "object", "detail", "hash", "prevHash"):
            assert k in it, f"entry lacks {k!r}: {it}"
        assert isinstance(it["seq"], int) and it["seq"] > 0, it
        assert RFC3339_UTC.fullmatch(it["at"]), f"at is not RFC 3339 UTC: {it['at']!r}"
        assert isinstance(it["actor"], str) and it["actor"], it
        assert isinstance(it["action"], str) and it["action"], it
        assert re.fullmatch(r"[a-z-]+/.+", it["object"]), f"object is not kind/id: {it['object']!r}"
        assert HEX64.fullmatch(it["hash"]), it
    seqs = [it["seq"] for it in items]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), f"not strictly ascending: {seqs}"
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"gaps in the sequence: {seqs}"
    for a, b in zip(items, items[1:]):
        assert b["prevHash"] == a["hash"], f"seq {b['seq']} prevHash does not match seq {a['seq']} hash"
    assert len({it["hash"] for it in items}) == len(items), "repeated hashes"


def test_token_entries(z, db, auditor, setup):
    items = all_entries(z, auditor)
    creates = [it for it in items if it["action"] == "token.create"]
    revokes = [it for it in items if it["action"] == "token.revoke"]
    assert len(creates) == 12, [it["action"] for it in items]
    assert len(revokes) == 1, [it["action"] for it in items]
    for it in creates + revokes:
        assert re.fullmatch(rf"token/{UUID}", it["object"]), it["object"]
    assert len({it["object"] for it in creates}) == 12, "each token has its own object"
    assert revokes[0]["object"] in {it["object"] for it in creates}
    assert revokes[0]["seq"] > min(it["seq"] for it in creates if it["object"] == revokes[0]["object"])


def test_new_token_appends_create_then_revoke(z, db, auditor):
    last = all_entries(z, auditor)[-1]["seq"]
    name, _ = db.token("desk")
    new = get_json(z, f"/v1/audit-entries?sinceSeq={last}", auditor)["items"]
    created = [it for it in new if it["action"] == "token.create"]
    assert len(created) == 1, new
    obj = created[0]["object"]
    db.revoke(name)
    newer = get_json(z, f"/v1/audit-entries?sinceSeq={created[0]['seq']}", auditor)["items"]
    revoked = [it for it in newer if it["action"] == "token.revoke"]
    assert len(revoked) == 1, newer
    assert revoked[0]["object"] == obj, "the revocation names another token than the creation"


def test_since_seq(z, auditor):
    items = all_entries(z, auditor)
    k = items[2]["seq"]
    tail = get_json(z, f"/v1/audit-entries?sinceSeq={k}&limit=500", auditor)["items"]
    assert tail == items[3:]
    last = items[-1]["seq"]
    doc = get_json(z, f"/v1/audit-entries?sinceSeq={last}", auditor)
    assert doc == {"items": [], "nextCursor": None}


def test_default_limit_is_50(db, z, auditor):
    total = len(all_entries(z, auditor))
    while total <= 50:
        name, _ = db.token("desk")
        total += 1
    doc = get_json(z, "/v1/audit-entries", auditor)
    assert len(doc["items"]) == 50
    assert isinstance(doc["nextCursor"], str) and doc["nextCursor"]


def paginate(fetch, limit):
    """Follow nextCursor; returns the pages."""
    pages = []
    cursor = None
    for _ in range(1000):
        doc = fetch(limit, cursor)
        pages.append(doc["items"])
        cursor = doc["nextCursor"]
        assert cursor is None or (isinstance(cursor, str) and cursor), doc
        assert len(doc["items"]) <= limit
        if cursor is None:
            return pages
        assert len(doc["items"]) == limit, "a page with a next page must be full"
    pytest.fail("pagination did not end")


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_pagination(z, auditor, limit):
    everything = all_entries(z, auditor)

    def fetch(lim, cursor):
        q = f"limit={lim}" + (f"&cursor={quote(cursor, safe='')}" if cursor else "")
        return get_json(z, f"/v1/audit-entries?{q}", auditor)

    pages = paginate(fetch, limit)
    flat = [it for p in pages for it in p]
    assert flat == everything
    assert len(pages) >= len(everything) // limit


def test_pagination_with_since_seq(z, auditor):
    everything = all_entries(z, auditor)
    k = everything[1]["seq"]

    def fetch(lim, cursor):
        q = f"sinceSeq={k}&limit={lim}" + (f"&cursor={quote(cursor, safe='')}" if cursor else "")
        return get_json(z, f"/v1/audit-entries?{q}", auditor)

    assert [it for p in paginate(fetch, 2) for it in p] == everything[2:]


def search(z, token, body):
    r = z.request("POST", "/v1/audit-entries/_search", headers={**auth(token), **JSON_CT},
                  body=json.dumps(body))
    assert r.status == 200, r
    return r.json()


def test_search_filters(z, auditor):
    everything = all_entries(z, auditor)
    assert search(z, auditor, {})["items"] == everything[:50]
    for key in ("action", "object", "actor"):
        for value in sorted({it[key] for it in everything}):
            got = search(z, auditor, {key: value, "limit": 500})["items"]
            want = [it for it in everything if it[key] == value]
            assert got == want, f"search by {key}={value!r}"
    assert search(z, auditor, {"object": "token/00000000-0000-0000-0000-000000000000"})["items"] == []
    rev = [it for it in everything if it["action"] == "token.revoke"][0]
    both = search(z, auditor, {"object": rev["object"], "action": "token.revoke"})["items"]
    assert both == [rev]
    k = everything[3]["seq"]
    assert search(z, auditor, {"action": "token.create", "sinceSeq": k, "limit": 500})["items"] == \
        [it for it in everything if it["action"] == "token.create" and it["seq"] > k]


def test_search_pagination(z, auditor):
    everything = all_entries(z, auditor)
    want = [it for it in everything if it["action"] == "token.create"]

    def fetch(lim, cursor):
        body = {"action": "token.create", "limit": lim}
        if cursor:
            body["cursor"] = cursor
        return search(z, auditor, body)

    assert [it for p in paginate(fetch, 2) for it in p] == want


def test_admin_reads_too(z, setup):
    admin = setup["admin"][1]
    assert get_json(z, "/v1/audit-verification", admin)["ok"] is True


def test_verification_ok(z, auditor):
    n = len(all_entries(z, auditor))
    assert get_json(z, "/v1/audit-verification", auditor) == {"ok": True, "entries": n}


def test_update_is_refused(z, db, auditor):
    items = all_entries(z, auditor)
    first = items[0]["seq"]
    p = db.psql(f"UPDATE audit_entries SET actor = 'mallory' WHERE seq = {first}", check=False)
    assert p.returncode != 0, "an UPDATE of audit_entries was not refused"
    assert db.psql(f"SELECT actor FROM audit_entries WHERE seq = {first}") == items[0]["actor"]
    assert get_json(z, "/v1/audit-verification", auditor) == {"ok": True, "entries": len(items)}


def test_tampering_detected(make_db, zesd_factory):
    # Its own database: the module's stays intact for the other tests.
    database = make_db()
    _, token = database.token("auditor")
    for i in range(3):
        database.token("desk")
    z = zesd_factory(database.url)
    items = all_entries(z, token)
    assert len(items) >= 4
    assert get_json(z, "/v1/audit-verification", token) == {"ok": True, "entries": len(items)}

    def rewrite(seq):
        database.psql("SET zes.allow_audit_rewrite = 'on'; "
                      f"UPDATE audit_entries SET actor = 'mallory' WHERE seq = {seq}")
        assert database.psql(f"SELECT actor FROM audit_entries WHERE seq = {seq}") == "mallory"

    second, first = items[1]["seq"], items[0]["seq"]
    rewrite(second)
    doc = get_json(z, "/v1/audit-verification", token)
    assert doc == {"ok": False, "entries": len(items), "firstBrokenSeq": second}, doc
    rewrite(first)
    doc = get_json(z, "/v1/audit-verification", token)
    assert doc == {"ok": False, "entries": len(items), "firstBrokenSeq": first}, doc
    # The listing shows what is stored, tampered or not.
    assert all_entries(z, token)[0]["actor"] == "mallory"
