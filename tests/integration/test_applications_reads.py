"""Applications read back, listed, searched, counted, decided against and
withdrawn, on rows written straight into the database (so none of this needs
the rules engine): GET /v1/applications/{id} with its exemption, the list's
filters and cursors (newest first, pages that concatenate to the whole
list), POST /v1/applications/_search by plate and KvK number (plates never
in a URI), GET /v1/statistics (counts by current status per municipality and
type, the median time to a decision, the window in Amsterdam days), roles,
404s and 400s listing every error; an assessor's rejection and a desk's
withdrawal in one transaction each with their audit entries, 403 for an
assessor of another municipality and for desk, and 409 once an application
is no longer in review.
"""

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

from conftest import Database, auth, wait_for

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
ROTTERDAM, DEN_HAAG, DELFT = "GM0599", "GM0518", "GM0503"
UTC = timezone.utc


def sql_str(v):
    return "NULL" if v is None else "'" + str(v).replace("'", "''") + "'"


def iso(dt):
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Rows:
    """Applications written with SQL, remembered for the expectations."""

    def __init__(self, db, desk_id):
        self.db, self.desk_id, self.rows = db, desk_id, []

    def add(self, *, municipality, type_, status, submitted, decided_after=None,
            plate="AB12CD", country="NL", kvk=None, exemption=None):
        app_id = str(uuid.uuid4())
        scope = "national" if municipality is None else "municipal"
        display = "V-123-FB" if plate == "V123FB" else f"{plate[:2]}-{plate[2:4]}-{plate[4:]}"
        body = {"scope": scope, "type": type_, "plate": plate, "plateDisplay": display,
                "country": country,
                "applicant": {"name": "Test BV", "email": "info@example.nl"},
                "period": {"from": submitted.strftime("%Y-%m-%d")}, "evidence": {}}
        if municipality:
            body["municipality"] = municipality
        if kvk:
            body["applicant"]["kvk"] = kvk
        outcome = "in_review" if status == "withdrawn" else status
        reasons = [] if outcome == "granted" else [{"code": "case_by_case_assessment",
                                                     "message": "An assessor decides."}]
        decided = submitted + timedelta(seconds=decided_after) \
            if status in ("granted", "rejected") else None
        decision = {"outcome": outcome, "reasons": reasons,
                    "ruleSet": {"municipality": municipality or "national",
                                "version": "t", "sha256": "0" * 64},
                    "decidedAt": iso(decided or submitted), "decidedBy": "rules"}
        ex_id = str(uuid.uuid4()) if status == "granted" else None
        stmts = ["BEGIN;"]
        if ex_id:
            frm, until = exemption or (submitted, submitted + timedelta(days=30))
            stmts.append(
                "INSERT INTO exemptions (id, plate, country, scope, type, issuer, valid_from, "
                "valid_until, granted_at, application_id) VALUES "
                f"('{ex_id}', '{plate}', '{country}', '{scope}', '{type_}', "
                f"'{municipality or 'national'}', '{iso(frm)}', '{iso(until)}', "
                f"'{iso(decided)}', '{app_id}');")
        withdrawn = submitted + timedelta(seconds=5) if status == "withdrawn" else None
        stmts.append(
            "INSERT INTO applications (id, status, scope, type, municipality, plate, country, "
            "kvk, body, submitted_at, submitted_by, decision, decided_at, withdrawn_at, "
            "withdrawn_by, exemption_id) VALUES "
            f"('{app_id}', '{status}', '{scope}', '{type_}', {sql_str(municipality)}, "
            f"'{plate}', '{country}', {sql_str(kvk)}, {sql_str(json.dumps(body))}, "
            f"'{iso(submitted)}', '{self.desk_id}', {sql_str(json.dumps(decision))}, "
            f"{sql_str(decided and iso(decided))}, {sql_str(withdrawn and iso(withdrawn))}, "
            f"{sql_str(withdrawn and self.desk_id)}, {sql_str(ex_id)});")
        stmts.append("COMMIT;")
        self.db.psql("\n".join(stmts))
        row = dict(id=app_id, municipality=municipality, type=type_, status=status,
                   submitted=submitted, decided=decided, plate=plate, country=country,
                   kvk=kvk, exemption=ex_id)
        self.rows.append(row)
        return row


BASE = datetime(2026, 3, 10, 9, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(env, db, module_zesd_factory):
    toks = {r: db.token(r) for r in ("desk", "auditor", "admin", "enforcement")}
    toks["assessor"] = db.token("assessor", municipality=ROTTERDAM)
    toks["assessor_dh"] = db.token("assessor", municipality=DEN_HAAG)
    desk_id = db.psql(f"SELECT id FROM tokens WHERE name = '{toks['desk'][0]}'")
    rows = Rows(db, desk_id)
    # 30 applications over 30 hours, cycling municipalities, types and statuses.
    munis = [ROTTERDAM, DEN_HAAG, DELFT, None]
    types = {ROTTERDAM: ["long_delivery", "hardship_clause"], DEN_HAAG: ["grid_congestion"],
             DELFT: ["day_exemption", "business_hardship"], None: ["special_vehicle"]}
    statuses = ["granted", "rejected", "in_review", "withdrawn", "granted"]
    for i in range(30):
        m = munis[i % 4]
        rows.add(municipality=m, type_=types[m][i % len(types[m])],
                 status=statuses[i % 5], submitted=BASE + timedelta(hours=i),
                 decided_after=10 * (i + 1),
                 plate=f"AB{i:02d}CD" if i % 3 else "V123FB",
                 kvk=f"{12345600 + i % 4:08d}")
    z = module_zesd_factory(db.url)
    return {"z": z, "db": db, "tok": {k: v[1] for k, v in toks.items()}, "rows": rows,
            "openapi": env.openapi()}


def conforms(world, name, obj):
    """The members of obj are those docs/openapi.json gives the schema."""
    schema = world["openapi"]["components"]["schemas"][name]
    assert set(schema["required"]) <= set(obj), (name, obj)
    assert set(obj) <= set(schema["properties"]), (name, obj)


def get(world, path, role="desk", **query):
    q = ("?" + urlencode(query)) if query else ""
    return world["z"].request("GET", path + q, headers=auth(world["tok"][role]))


def post(world, path, body, role="desk", headers=None):
    return world["z"].post_json(path, body, token=world["tok"][role], headers=headers)


def test_get_one_with_its_exemption(world):
    row = next(r for r in world["rows"].rows if r["status"] == "granted")
    r = get(world, f"/v1/applications/{row['id']}")
    assert r.status == 200, r.body
    a = r.json()
    assert a["id"] == row["id"] and a["status"] == "granted"
    conforms(world, "Application", a)
    assert a["type"] == row["type"] and a["plate"] == row["plate"]
    assert a["submittedAt"] == iso(row["submitted"])
    assert a["decision"]["outcome"] == "granted"
    assert a["exemption"]["id"] == row["exemption"] and UUID_RE.fullmatch(row["exemption"])
    assert RFC3339_UTC.fullmatch(a["exemption"]["validFrom"])
    assert list(a)[:2] == ["id", "status"]
    for role in ("assessor", "admin"):
        assert get(world, f"/v1/applications/{row['id']}", role=role).status == 200
    for role in ("auditor", "enforcement"):
        assert get(world, f"/v1/applications/{row['id']}", role=role).status == 403


def test_get_unknown_and_malformed_ids(world):
    assert get(world, f"/v1/applications/{uuid.uuid4()}").problem(404)
    assert get(world, "/v1/applications/not-a-uuid").problem(404)
    p = get(world, f"/v1/applications/{world['rows'].rows[0]['id']}", x="1").problem(400)
    assert [e["field"] for e in p["errors"]] == ["x"]


def walk(world, path="/v1/applications", role="desk", **query):
    """Every page of a list; returns the concatenated items and the page count."""
    items, pages, cursor = [], 0, None
    while True:
        q = dict(query)
        if cursor:
            q["cursor"] = cursor
        r = get(world, path, role=role, **q)
        assert r.status == 200, r.body
        doc = r.json()
        assert set(doc) == {"items", "nextCursor"}
        items += doc["items"]
        pages += 1
        cursor = doc["nextCursor"]
        if cursor is None:
            return items, pages
        assert pages < 100


def expected(world, pred):
    rows = [r for r in world["rows"].rows if pred(r)]
    rows.sort(key=lambda r: (r["submitted"], r["id"]), reverse=True)
    return [r["id"] for r in rows]


def test_list_newest_first_in_pages(world):
    items, pages = walk(world, limit=7)
    assert [a["id"] for a in items] == expected(world, lambda r: True)
    assert pages == 5  # 30 items, 7 a page
    r = get(world, "/v1/applications", limit=500).json()
    assert len(r["items"]) == 30 and r["nextCursor"] is None


@pytest.mark.parametrize("query,pred", [
    ({"municipality": ROTTERDAM}, lambda r: r["municipality"] == ROTTERDAM),
    ({"status": "in_review"}, lambda r: r["status"] == "in_review"),
    ({"type": "day_exemption"}, lambda r: r["type"] == "day_exemption"),
    ({"scope": "national"}, lambda r: r["municipality"] is None),
    ({"submittedFrom": "2026-03-11", "submittedUntil": "2026-03-11"},
     # Amsterdam days: 2026-03-11 is [2026-03-10T23:00Z, 2026-03-11T23:00Z).
     lambda r: datetime(2026, 3, 10, 23, tzinfo=UTC) <= r["submitted"] < datetime(2026, 3, 11, 23, tzinfo=UTC)),
    # Instants: from it; until the end of its second (14:00Z is in, 15:00Z not).
    ({"submittedFrom": "2026-03-10T12:00:00Z", "submittedUntil": "2026-03-10T15:00:00+01:00"},
     lambda r: datetime(2026, 3, 10, 12, tzinfo=UTC) <= r["submitted"] < datetime(2026, 3, 10, 14, 0, 1, tzinfo=UTC)),
    ({"municipality": DELFT, "status": "granted", "submittedFrom": "2026-03-10"},
     lambda r: r["municipality"] == DELFT and r["status"] == "granted"),
])
def test_list_filters(world, query, pred):
    items, _ = walk(world, limit=4, **query)
    want = expected(world, pred)
    assert want, "the filter should match something"
    assert [a["id"] for a in items] == want


def test_list_bad_parameters_are_listed_at_once(world):
    p = get(world, "/v1/applications", municipality="GM9", status="done", type="Long-Delivery",
            scope="everywhere", submittedFrom="2026-02-30", limit="0", cursor="zzz",
            extra="1").problem(400)
    assert sorted(e["field"] for e in p["errors"]) == sorted(
        ["municipality", "status", "type", "scope", "submittedFrom", "limit", "cursor", "extra"])
    p = get(world, "/v1/applications", submittedFrom="2026-03-12",
            submittedUntil="2026-03-11").problem(400)
    assert [e["field"] for e in p["errors"]] == ["submittedUntil"]
    # A municipality code of the right shape that zesd does not know.
    p = get(world, "/v1/applications", municipality="GM9999").problem(400)
    assert [e["field"] for e in p["errors"]] == ["municipality"]


def test_search_by_plate_and_kvk(world):
    rows = world["rows"].rows
    r = post(world, "/v1/applications/_search", {"plate": "v-123-fb", "limit": 3})
    assert r.status == 200, r.body
    items = r.json()["items"]
    assert len(items) == 3 and r.json()["nextCursor"]
    assert all(a["plate"] == "V123FB" for a in items)
    nxt = post(world, "/v1/applications/_search",
               {"plate": "V123FB", "limit": 3, "cursor": r.json()["nextCursor"]}).json()
    got = [a["id"] for a in items + nxt["items"]]
    assert got == expected(world, lambda x: x["plate"] == "V123FB")[:6]
    r = post(world, "/v1/applications/_search", {"kvk": "12345601", "status": "granted",
                                                  "limit": 500})
    assert [a["id"] for a in r.json()["items"]] == expected(
        world, lambda x: x["kvk"] == "12345601" and x["status"] == "granted")
    # Same letters, other country: nothing.
    r = post(world, "/v1/applications/_search", {"plate": "V123FB", "country": "DE"})
    assert r.json() == {"items": [], "nextCursor": None}
    assert post(world, "/v1/applications/_search", {"plate": "V123FB"},
                role="auditor").status == 403
    assert len(rows) == 30


def test_search_errors_at_once(world):
    p = post(world, "/v1/applications/_search",
             {"plate": "NOT-A-PLATE", "kvk": "1234", "limit": 501, "status": 3,
              "colour": "red"}).problem(400)
    assert sorted(e["field"] for e in p["errors"]) == ["colour", "kvk", "limit", "plate", "status"]
    p = post(world, "/v1/applications/_search", {"country": "DE"}).problem(400)
    assert [e["field"] for e in p["errors"]] == ["country"]


def median(values):
    v = sorted(values)
    n = len(v)
    if n == 0:
        return None
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def test_statistics(world):
    rows = world["rows"].rows
    lo, hi = datetime(2026, 3, 10, 23, tzinfo=UTC), datetime(2026, 3, 11, 23, tzinfo=UTC)
    r = get(world, "/v1/statistics", role="auditor", **{"from": "2026-03-11", "until": "2026-03-11"})
    assert r.status == 200, r.body
    doc = r.json()
    assert doc["from"] == "2026-03-11" and doc["until"] == "2026-03-11"
    conforms(world, "Statistics", doc)
    for item in doc["items"]:
        conforms(world, "StatisticsItem", item)
    window = [x for x in rows if lo <= x["submitted"] < hi]
    groups = {}
    for x in window:
        groups.setdefault((x["municipality"], x["type"]), []).append(x)
    assert len(doc["items"]) == len(groups)
    for item in doc["items"]:
        g = groups[(item["municipality"], item["type"])]
        assert item["submitted"] == len(g)
        for status, key in (("granted", "granted"), ("rejected", "rejected"),
                            ("in_review", "inReview"), ("withdrawn", "withdrawn")):
            assert item[key] == sum(1 for x in g if x["status"] == status), (item, key)
        secs = [(x["decided"] - x["submitted"]).total_seconds() for x in g if x["decided"]]
        assert item["medianDecisionSeconds"] == median(secs), item
    # National applications are counted with municipality null, first.
    whole = get(world, "/v1/statistics", role="admin",
                **{"from": "2026-03-01", "until": "2026-03-31"}).json()
    assert sum(i["submitted"] for i in whole["items"]) == 30
    assert whole["items"][0]["municipality"] is None
    assert whole["items"][0]["type"] == "special_vehicle"
    empty = get(world, "/v1/statistics", role="auditor", **{"from": "2020-01-01", "until": "2020-01-31"})
    assert empty.json()["items"] == []


def test_statistics_open_bounds(world):
    """from and until may each be left out: no bound on that side, answered null."""
    rows = world["rows"].rows
    start = datetime(2026, 3, 10, 23, tzinfo=UTC)  # 2026-03-11, Amsterdam midnight

    def total(doc):
        return sum(i["submitted"] for i in doc["items"])

    r = get(world, "/v1/statistics", role="auditor")
    assert r.status == 200, r.body
    every = r.json()
    conforms(world, "Statistics", every)
    assert every["from"] is None and every["until"] is None
    assert total(every) == len(rows)
    since = get(world, "/v1/statistics", role="auditor", **{"from": "2026-03-11"}).json()
    assert since["from"] == "2026-03-11" and since["until"] is None
    assert total(since) == sum(1 for x in rows if x["submitted"] >= start)
    before = get(world, "/v1/statistics", role="admin", until="2026-03-10").json()
    assert before["from"] is None and before["until"] == "2026-03-10"
    assert total(before) == sum(1 for x in rows if x["submitted"] < start)
    assert 0 < total(since) < len(rows), "the window must split the rows for this test to mean anything"


def test_statistics_errors_and_roles(world):
    p = get(world, "/v1/statistics", role="auditor",
            **{"from": "2026-03-12", "until": "2026-03-11"}).problem(400)
    assert [e["field"] for e in p["errors"]] == ["until"]
    p = get(world, "/v1/statistics", role="auditor",
            **{"from": "2026-13-01", "until": "x", "y": "1"}).problem(400)
    assert sorted(e["field"] for e in p["errors"]) == ["from", "until", "y"]
    for role in ("desk", "assessor", "enforcement"):
        assert get(world, "/v1/statistics", role=role,
                   **{"from": "2026-03-01", "until": "2026-03-31"}).status == 403


def in_review(world, municipality=ROTTERDAM, type_="hardship_clause"):
    return world["rows"].add(municipality=municipality, type_=type_, status="in_review",
                             submitted=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))


def audit_for(world, object_):
    """The object's audit entries, waiting (bounded) for at least one to be
    linked into the chain: zesd links within audit_link_ms."""
    def found():
        r = post(world, "/v1/audit-entries/_search", {"object": object_}, role="auditor")
        assert r.status == 200, r.body
        return r.json()["items"]
    return wait_for(found, 2.0, what=f"an audit entry of {object_} linked")


def test_rejection_by_the_assessor_of_the_municipality(world):
    row = in_review(world)
    path = f"/v1/applications/{row['id']}/decision"
    body = {"outcome": "rejected", "reason": "Geen bijzondere omstandigheden aangetoond."}
    # Another municipality's assessor, and desk: 403; nothing changes.
    p = post(world, path, body, role="assessor_dh").problem(403)
    assert ROTTERDAM in p["detail"]
    assert post(world, path, body, role="desk").problem(403)
    assert get(world, f"/v1/applications/{row['id']}").json()["status"] == "in_review"
    r = post(world, path, body, role="assessor")
    assert r.status == 200, r.body
    a = r.json()
    assert a["status"] == "rejected" and a["exemption"] is None
    d = a["decision"]
    assert d["outcome"] == "rejected" and d["decidedBy"] != "rules"
    assert d["reasons"] == [{"code": "assessor_rejected", "message": body["reason"]}]
    assert d["ruleSet"]["municipality"] == ROTTERDAM and len(d["ruleSet"]["sha256"]) == 64
    assert get(world, f"/v1/applications/{row['id']}").json() == a
    # Decided once: 409, for the admin too.
    assert post(world, path, body, role="admin").problem(409)
    entries = audit_for(world, f"application/{row['id']}")
    assert [e["action"] for e in entries] == ["application.decide"]
    assert entries[0]["detail"]["outcome"] == "rejected"
    assert body["reason"] not in json.dumps(entries)


def test_admin_decides_everywhere(world):
    row = in_review(world, municipality=DELFT, type_="business_hardship")
    r = post(world, f"/v1/applications/{row['id']}/decision",
             {"outcome": "rejected", "reason": "Jaarrekeningen ontbreken."}, role="admin")
    assert r.status == 200, r.body
    assert r.json()["status"] == "rejected"


def test_decision_input_errors_at_once(world):
    row = in_review(world)
    path = f"/v1/applications/{row['id']}/decision"
    p = post(world, path, {"outcome": "maybe", "reason": "", "validUntil": "2026-02-30",
                           "note": 1}, role="assessor").problem(400)
    assert sorted(e["field"] for e in p["errors"]) == ["note", "outcome", "reason", "validUntil"]
    p = post(world, path, {"outcome": "rejected", "reason": "Nee.", "validUntil": "2027-01-01"},
             role="assessor").problem(400)
    assert [e["field"] for e in p["errors"]] == ["validUntil"]
    p = post(world, path, {}, role="assessor").problem(400)
    assert sorted(e["field"] for e in p["errors"]) == ["outcome", "reason"]
    assert post(world, f"/v1/applications/{uuid.uuid4()}/decision",
                {"outcome": "rejected", "reason": "Nee."}, role="admin").problem(404)
    assert get(world, f"/v1/applications/{row['id']}").json()["status"] == "in_review"


def test_withdrawal(world):
    row = in_review(world, municipality=DEN_HAAG)
    path = f"/v1/applications/{row['id']}/withdrawal"
    assert post(world, path, {}, role="assessor").problem(403)
    p = post(world, path, {"why": "x"}).problem(400)
    assert [e["field"] for e in p["errors"]] == ["why"]
    r = world["z"].request("POST", path, headers=auth(world["tok"]["desk"]))  # no body at all
    assert r.status == 200, r.body
    a = r.json()
    conforms(world, "Application", a)
    assert a["status"] == "withdrawn" and RFC3339_UTC.fullmatch(a["withdrawnAt"])
    assert a["decision"]["outcome"] == "in_review"
    assert post(world, path, {}).problem(409)
    assert post(world, f"/v1/applications/{row['id']}/decision",
                {"outcome": "rejected", "reason": "Te laat."}, role="admin").problem(409)
    assert [e["action"] for e in audit_for(world, f"application/{row['id']}")] == \
        ["application.withdraw"]
    assert post(world, f"/v1/applications/{uuid.uuid4()}/withdrawal", {}).problem(404)


def test_granted_and_rejected_cannot_be_withdrawn(world):
    for status in ("granted", "rejected"):
        row = next(r for r in world["rows"].rows if r["status"] == status)
        assert post(world, f"/v1/applications/{row['id']}/withdrawal", {}).problem(409)


def test_the_audit_chain_still_verifies(world):
    r = get(world, "/v1/audit-verification", role="auditor")
    assert r.status == 200 and r.json()["ok"] is True, r.body


def test_database_away_is_503_with_retry_after(env, private_cluster, zesd_factory):
    """A cluster of the test's own is stopped: every application route that
    needs the database answers 503 with Retry-After, and works again once
    the database is back."""
    database = Database(env, private_cluster, private_cluster.create_db("apps"))
    database.migrate()
    desk = database.token("desk")[1]
    auditor = database.token("auditor")[1]
    z = zesd_factory(database.url, config={"db_connect_timeout_ms": "1000"})
    z.allow_errors(z.log_offset())
    some_id = str(uuid.uuid4())
    calls = [
        ("GET", "/v1/applications", desk, None),
        ("GET", f"/v1/applications/{some_id}", desk, None),
        ("POST", "/v1/applications/_search", desk, {"plate": "V123FB"}),
        ("POST", f"/v1/applications/{some_id}/withdrawal", desk, {}),
        ("GET", "/v1/statistics?from=2026-01-01&until=2026-01-31", auditor, None),
        ("POST", "/v1/applications", desk, {
            "scope": "municipal", "type": "hardship_clause", "municipality": ROTTERDAM,
            "plate": "V123FB", "applicant": {"name": "Jansen", "email": "info@example.nl"},
            "evidence": {"motivation": "A motivation of twenty characters or more."}}),
    ]
    private_cluster.stop()
    for method, path, tok, body in calls:
        h = dict(auth(tok))
        if body is not None:
            h["Content-Type"] = "application/json"
        r = z.request(method, path, headers=h,
                      body=json.dumps(body) if body is not None else None)
        r.problem(503)
        assert int(r.header("Retry-After")) > 0, (path, r.headers)
    private_cluster.start()
    # Each worker has its own connection and reconnects on its own backoff:
    # /readyz answered by one worker does not mean the other is back yet.
    # Eight answers in a row: new connections spread over both workers.
    wait_for(lambda: all(z.request("GET", "/v1/applications", headers=auth(desk)).status == 200
                         for _ in range(8)),
             5, interval=0.1, what="GET /v1/applications 200 within 5 s of the database's return")
    r = z.request("GET", "/v1/applications", headers=auth(desk))
    assert r.status == 200 and r.json() == {"items": [], "nextCursor": None}
    assert z.request("POST", f"/v1/applications/{some_id}/withdrawal",
                     headers=auth(desk)).problem(404)
