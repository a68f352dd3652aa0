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

Linking (schema/0005_audit_link.sql): writers append entries without a
seq ("pending"), which are neither listed nor verified but counted by the
verification, and a linker gives them seq, prevHash and hash in one total
order: `zesctl audit link`, zesd's main thread every audit_link_ms and once
at shutdown.  The trigger allows exactly that one update.  Concurrent
submissions on two workers of one zesd and on a second zesd on the same
database make one gap-free chain that verifies and holds an entry for each
of them; tampering is still found at the altered row, also after more
entries were linked behind it; entries a zesd killed with SIGKILL left
pending are linked by the next one that starts.
"""

import json
import re
import threading
import uuid
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from conftest import JSON_CT, auth, http_request, wait_for

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
    assert get_json(z, "/v1/audit-verification", auditor) == {"ok": True, "entries": n, "pending": 0}


def test_update_is_refused(z, db, auditor):
    items = all_entries(z, auditor)
    first = items[0]["seq"]
    p = db.psql(f"UPDATE audit_entries SET actor = 'mallory' WHERE seq = {first}", check=False)
    assert p.returncode != 0, "an UPDATE of audit_entries was not refused"
    assert db.psql(f"SELECT actor FROM audit_entries WHERE seq = {first}") == items[0]["actor"]
    # Nor may the chain fields of a linked entry change, nor may it go.
    for sql in (f"UPDATE audit_entries SET seq = NULL, prev_hash = NULL, hash = NULL WHERE seq = {first}",
                f"UPDATE audit_entries SET hash = sha256('x') WHERE seq = {first}",
                f"DELETE FROM audit_entries WHERE seq = {first}",
                "TRUNCATE audit_entries"):
        p = db.psql(sql, check=False)
        assert p.returncode != 0, f"not refused: {sql}"
    assert get_json(z, "/v1/audit-verification", auditor) == \
        {"ok": True, "entries": len(items), "pending": 0}


def test_tampering_detected(make_db, zesd_factory):
    # Its own database: the module's stays intact for the other tests.
    database = make_db()
    _, token = database.token("auditor")
    for i in range(3):
        database.token("desk")
    z = zesd_factory(database.url)
    items = all_entries(z, token)
    assert len(items) >= 4
    assert get_json(z, "/v1/audit-verification", token) == {"ok": True, "entries": len(items), "pending": 0}

    def rewrite(seq):
        database.psql("SET zes.allow_audit_rewrite = 'on'; "
                      f"UPDATE audit_entries SET actor = 'mallory' WHERE seq = {seq}")
        assert database.psql(f"SELECT actor FROM audit_entries WHERE seq = {seq}") == "mallory"

    second, first = items[1]["seq"], items[0]["seq"]
    rewrite(second)
    doc = get_json(z, "/v1/audit-verification", token)
    assert doc == {"ok": False, "entries": len(items), "firstBrokenSeq": second, "pending": 0}, doc
    # Entries linked after the tampering chain on; the break stays where it is.
    database.token("desk")
    wait_for(lambda: len(all_entries(z, token)) == len(items) + 1, 2, what="the new entry linked")
    doc = get_json(z, "/v1/audit-verification", token)
    assert doc == {"ok": False, "entries": len(items) + 1, "firstBrokenSeq": second, "pending": 0}, doc
    rewrite(first)
    doc = get_json(z, "/v1/audit-verification", token)
    assert doc == {"ok": False, "entries": len(items) + 1, "firstBrokenSeq": first, "pending": 0}, doc
    # The listing shows what is stored, tampered or not.
    assert all_entries(z, token)[0]["actor"] == "mallory"


# --------------------------------------------------------------------------
# Linking: pending entries, the linkers, concurrent writers, a crash

AMS = ZoneInfo("Europe/Amsterdam")


def verification(z, token):
    return get_json(z, "/v1/audit-verification", token)


def wait_linked(z, token, timeout=2.0):
    """Wait (bounded) until nothing is pending; returns the verification."""
    return wait_for(lambda: (lambda d: d if d.get("pending") == 0 else None)(verification(z, token)),
                    timeout, what="every audit entry linked")


def append_pending(database, n, tag):
    """n entries appended in SQL as a writer does, left pending."""
    database.psql("SELECT zes_audit_append('test', 'test.append', 'test/' || i || '-{}', "
                  "jsonb_build_object('i', i)) FROM generate_series(1, {}) i".format(tag, n))


def chain_from_sql(database):
    """(seq, prev_hash hex, hash hex, recomputed hash hex) of every linked entry, in seq order."""
    rows = database.psql(
        "SELECT seq, encode(prev_hash, 'hex'), encode(hash, 'hex'), encode(sha256(prev_hash || "
        "zes_audit_canonical(seq, at, actor, action, object, detail)), 'hex') "
        "FROM audit_entries WHERE seq IS NOT NULL ORDER BY seq").splitlines()
    return [r.split("|") for r in rows]


def assert_chain(database):
    rows = chain_from_sql(database)
    assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1)), "gaps or a fork in seq"
    prev = "00" * 32
    for seq, p, h, again in rows:
        assert p == prev, f"seq {seq}: prev_hash is not the hash before it"
        assert h == again, f"seq {seq}: hash does not match its fields"
        prev = h
    return len(rows)


def test_pending_entries_and_zesctl_link(make_db, zesd_factory):
    database = make_db()
    _, token = database.token("auditor")
    # A linker that does not run during the test: zesctl links.
    z = zesd_factory(database.url, config={"audit_link_ms": 60000})
    before = all_entries(z, token)
    assert verification(z, token) == {"ok": True, "entries": len(before), "pending": 0}
    append_pending(database, 5, "a")
    assert database.psql("SELECT count(*) FROM audit_entries WHERE seq IS NULL") == "5"
    # A writer cannot put an entry in the chain itself, nor change a pending one.
    for sql in ("INSERT INTO audit_entries (seq, at, actor, action, object, detail, prev_hash, hash) "
                "VALUES (1000, now(), 'x', 'x', 'x/1', '{}', sha256('a'), sha256('b'))",
                "UPDATE audit_entries SET actor = 'mallory' WHERE seq IS NULL",
                "UPDATE audit_entries SET seq = 1000, prev_hash = sha256('a'), hash = sha256('b'), "
                "actor = 'mallory' WHERE seq IS NULL",
                "DELETE FROM audit_entries WHERE seq IS NULL"):
        p = database.psql(sql, check=False)
        assert p.returncode != 0, f"not refused: {sql}"
    p = database.zesctl("audit", "link")
    assert p.stdout == f"linked 5, chain length {len(before) + 5}\n", p.stdout
    after = all_entries(z, token)
    assert after[:len(before)] == before, "linking changed entries linked before"
    new = after[len(before):]
    assert [it["object"] for it in new] == [f"test/{i}-a" for i in range(1, 6)], "not in id order"
    assert [it["seq"] for it in new] == list(range(len(before) + 1, len(before) + 6))
    assert new[0]["prevHash"] == before[-1]["hash"]
    assert verification(z, token) == {"ok": True, "entries": len(after), "pending": 0}
    assert database.zesctl("audit", "link").stdout == f"linked 0, chain length {len(after)}\n"
    assert assert_chain(database) == len(after)
    # Reading links what is pending first: a change committed before the
    # request is listed and verified at once, whatever the linker's interval.
    append_pending(database, 2, "d")
    listed = all_entries(z, token)
    assert [it["object"] for it in listed[len(after):]] == ["test/1-d", "test/2-d"]
    append_pending(database, 1, "e")
    assert verification(z, token) == {"ok": True, "entries": len(after) + 3, "pending": 0}


def test_zesd_links_within_its_interval(make_db, zesd_factory):
    database = make_db()
    _, token = database.token("auditor")
    z = zesd_factory(database.url)      # audit_link_ms: the default, 100
    n = len(all_entries(z, token))
    append_pending(database, 3, "b")
    doc = wait_linked(z, token)
    assert doc == {"ok": True, "entries": n + 3, "pending": 0}
    assert [it["object"] for it in all_entries(z, token)[n:]] == [f"test/{i}-b" for i in (1, 2, 3)]
    # More than a batch (1,000) at once: linked in several transactions, in order.
    append_pending(database, 2500, "c")
    doc = wait_for(lambda: (lambda d: d if d["pending"] == 0 else None)(verification(z, token)),
                   10, what="2,500 entries linked")
    assert doc == {"ok": True, "entries": n + 2503, "pending": 0}
    assert assert_chain(database) == n + 2503


def test_zesd_links_at_shutdown(make_db, zesd_factory):
    database = make_db()
    _, token = database.token("auditor")
    z = zesd_factory(database.url, config={"audit_link_ms": 60000})
    append_pending(database, 4, "d")
    assert z.stop() == []
    assert database.psql("SELECT count(*) FROM audit_entries WHERE seq IS NULL") == "0"
    assert assert_chain(database) == int(database.psql("SELECT count(*) FROM audit_entries"))


def day_exemption(plate, muni, day):
    return {"scope": "municipal", "type": "day_exemption", "municipality": muni,
            "plate": plate, "country": "DE",
            "applicant": {"kvk": "12345678", "name": "Spedition Test", "email": "dispo@example.de"},
            "period": {"from": day}, "evidence": {}}


def submit_many(port, desk, prefix, n, day, out, errors):
    for i in range(n):
        body = json.dumps(day_exemption(f"{prefix}{i:04d}", ("GM0599", "GM0518", "GM0503")[i % 3], day))
        try:
            r = http_request(port, "POST", "/v1/applications",
                             headers={**auth(desk), **JSON_CT, "Idempotency-Key": str(uuid.uuid4())},
                             body=body, timeout=30)
        except OSError as e:
            errors.append(repr(e))
            continue
        if r.status != 201:
            errors.append(f"{r.status} {r.body[:200]!r}")
            continue
        out.append(r.json())


def test_concurrent_writers_make_one_chain(make_db, zesd_factory):
    database = make_db()
    _, token = database.token("auditor")
    # A desk token per submitter: 30 submissions each stay within a token's
    # burst of writes.
    desks = [database.token("desk")[1] for _ in range(6)]
    # Two workers each, two daemons, one database; a short interval, so the
    # linkers of both daemons run while the writers write.
    z1 = zesd_factory(database.url, config={"threads": 2, "audit_link_ms": 20})
    z2 = zesd_factory(database.url, config={"threads": 2, "audit_link_ms": 20})
    day = (datetime.now(AMS).date() + timedelta(days=1)).isoformat()
    out, errors, threads = [], [], []
    for k, z in enumerate((z1, z2, z1, z2, z1, z2)):
        t = threading.Thread(target=submit_many,
                             args=(z.port, desks[k], f"AUD{k}X", 30, day, out, errors))
        threads.append(t)
    # Writers in SQL too, meanwhile (entries of other kinds of change).
    sql = threading.Thread(target=lambda: [append_pending(database, 10, f"w{i}") for i in range(5)])
    threads.append(sql)
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
        assert not t.is_alive()
    assert errors == [], errors[:5]
    assert len(out) == 180
    total = int(database.psql("SELECT count(*) FROM audit_entries"))
    doc = wait_linked(z1, token)
    assert doc == {"ok": True, "entries": total, "pending": 0}
    assert verification(z2, token) == doc
    assert assert_chain(database) == total
    items = []
    since = 0
    while True:
        page = get_json(z2, f"/v1/audit-entries?sinceSeq={since}&limit=500", token)["items"]
        if not page:
            break
        items += page
        since = page[-1]["seq"]
    assert [it["seq"] for it in items] == list(range(1, total + 1))
    submitted = {it["object"] for it in items if it["action"] == "application.submit"}
    granted = {it["object"] for it in items if it["action"] == "exemption.grant"}
    assert submitted == {f"application/{a['id']}" for a in out}
    assert granted == {f"exemption/{a['exemption']['id']}" for a in out}
    # The entries of one transaction are linked in the order they were written.
    pos = {it["object"]: it["seq"] for it in items}
    assert all(pos[f"application/{a['id']}"] < pos[f"exemption/{a['exemption']['id']}"] for a in out)


def test_pending_after_sigkill_linked_by_next_start(make_db, zesd_factory):
    database = make_db()
    _, token = database.token("auditor")
    _, desk = database.token("desk")
    z = zesd_factory(database.url, config={"audit_link_ms": 60000})
    day = (datetime.now(AMS).date() + timedelta(days=1)).isoformat()
    out, errors = [], []
    submit_many(z.port, desk, "KILLX", 6, day, out, errors)
    assert errors == [] and len(out) == 6
    z.proc.kill()
    z.returncode = z.proc.wait()    # expected: not a problem at teardown
    # Killed: no last link; what the submissions appended is pending.
    assert database.psql("SELECT count(*) FROM audit_entries WHERE seq IS NULL") == "12"
    z2 = zesd_factory(database.url)
    total = int(database.psql("SELECT count(*) FROM audit_entries"))
    assert wait_linked(z2, token) == {"ok": True, "entries": total, "pending": 0}
    objects = {it["object"] for it in all_entries(z2, token)}
    assert {f"application/{a['id']}" for a in out} <= objects
    assert assert_chain(database) == total
