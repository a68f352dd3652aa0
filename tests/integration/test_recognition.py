"""Mutual recognition through the API (issue 5, "Agreements" and
"Acceptance"): agreements between municipalities and what access checks
make of them.

Exemptions are written to the database with SQL while zesd runs (as
test_access.py does), so the tests depend only on the agreements API and
the access index.  The plates are not in the register: without anything
honoured their result is `unknown_vehicle`, with a recognised exemption
`recognized_exemption`.  Every agreement starts today (they are never
backdated), so instants are taken from the clock and from the answers.
"""

import json
import time
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from conftest import auth, wait_for

ROTTERDAM, DEN_HAAG, DELFT, SCHIEDAM = "GM0599", "GM0518", "GM0503", "GM0606"
AMS = ZoneInfo("Europe/Amsterdam")
VISIBLE_WITHIN = 1.0    # API.md: agreement changes reach access checks within 1 s
ORIGIN = "https://admin.example.nl"


def today():
    return datetime.now(AMS).date()


def day(d):
    return d.isoformat()


def parse_time(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def local_midnight_utc(d):
    return datetime(d.year, d.month, d.day, tzinfo=AMS).astimezone(timezone.utc)


def utc_text(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def world(db, module_zesd_factory):
    toks = {r: db.token(r)[1] for r in ("admin", "desk", "enforcement", "auditor")}
    toks["assessor"] = db.token("assessor", municipality=DELFT)[1]
    z = module_zesd_factory(db.url, config={"cors_origins": ORIGIN})
    return {"z": z, "db": db, "tok": toks}


def req(world, method, path, body=None, role="admin", headers=None, ctype="application/json"):
    h = dict(auth(world["tok"][role]))
    if body is not None:
        h["Content-Type"] = ctype
        if not isinstance(body, (str, bytes)):
            body = json.dumps(body)
    h.update(headers or {})
    return world["z"].request(method, path, headers=h, body=body)


def create(world, issuer, recognizer, types, valid_from=None, valid_until=None, **kw):
    body = {"issuer": issuer, "recognizer": recognizer, "types": types,
            "validFrom": day(valid_from or today()), "validUntil": valid_until}
    body.update(kw)
    return req(world, "POST", "/v1/recognition-agreements", body)


def created(world, *args, **kw):
    r = create(world, *args, **kw)
    assert r.status == 201, r.body
    items = r.json()["items"]
    return items


def end(world, agreement_id):
    r = req(world, "DELETE", f"/v1/recognition-agreements/{agreement_id}")
    assert r.status == 200, r.body
    return r.json()


def exemption(world, plate, type_, issuer, days_before=1, days_after=60):
    """An active municipal exemption of `plate`, written as a grant would be."""
    return world["db"].psql(
        "INSERT INTO exemptions (plate, scope, type, issuer, valid_from, valid_until) "
        f"VALUES ('{plate}', 'municipal', '{type_}', '{issuer}', "
        f"now() - interval '{days_before} days', now() + interval '{days_after} days') "
        "RETURNING id").splitlines()[0]


def check(world, plate, municipality, at=None):
    item = {"plate": plate, "municipality": municipality}
    if at is not None:
        item["at"] = at
    r = world["z"].post_json("/v1/access-checks", {"checks": [item]},
                             token=world["tok"]["enforcement"])
    assert r.status == 200, r.body
    res = r.json()["results"][0]
    assert "basis" in res, res
    return res


def recognised(res, issuer, ground, exemption_id):
    return (res["basis"] == "recognized_exemption" and res["allowed"] is True
            and res.get("issuer") == issuer and res["ground"] == ground
            and res.get("exemptionId") == exemption_id)


def refused(res):
    return res["basis"] == "unknown_vehicle" and res["allowed"] is False and "issuer" not in res


def test_agreement_makes_an_exemption_valid_and_its_end_stops_it(world):
    """Acceptance: refused without agreement, allowed with one for its type
    (within 1 s), refused again after DELETE, still allowed for an `at`
    inside the agreement's period; the history is audited."""
    plate = "RT01AB"
    ex = exemption(world, plate, "long_delivery", ROTTERDAM)
    wait_for(lambda: check(world, plate, ROTTERDAM)["basis"] == "municipal_exemption",
             VISIBLE_WITHIN * 2, what="the exemption in the index")
    assert refused(check(world, plate, DELFT))

    # An agreement for another type changes nothing.
    other = created(world, ROTTERDAM, DELFT, ["hardship_clause"])[0]
    time.sleep(VISIBLE_WITHIN)
    assert refused(check(world, plate, DELFT))

    made = time.monotonic()
    items = created(world, ROTTERDAM, DELFT, ["long_delivery"], note="pilot")
    assert len(items) == 1
    a = items[0]
    assert a["issuer"] == ROTTERDAM and a["recognizer"] == DELFT
    assert a["types"] == ["long_delivery"] and a["note"] == "pilot"
    assert a["validFrom"] == utc_text(local_midnight_utc(today()))
    assert a["validUntil"] is None and a["status"] == "active" and a["version"] == 1
    assert a["counterpartId"] is None and a["endedAt"] is None
    uuid.UUID(a["id"])

    allowed = wait_for(lambda: (lambda res: res if recognised(res, ROTTERDAM, "long_delivery", ex) else None)(
        check(world, plate, DELFT)), VISIBLE_WITHIN, interval=0.02, what="the agreement in access checks")
    assert time.monotonic() - made <= VISIBLE_WITHIN + 0.5
    # One-way: Delft's agreement with Rotterdam does not work the other way.
    ex_delft = exemption(world, "DL02CD", "long_delivery", DELFT)
    wait_for(lambda: check(world, "DL02CD", DELFT)["basis"] == "municipal_exemption",
             VISIBLE_WITHIN * 2, what="the Delft exemption in the index")
    assert refused(check(world, "DL02CD", ROTTERDAM)), ex_delft

    g = req(world, "GET", f"/v1/recognition-agreements/{a['id']}", role="desk")
    assert g.status == 200 and g.json() == a
    assert g.header("ETag") == '"1"'

    ended = end(world, a["id"])
    assert ended["status"] == "ended" and ended["endedAt"] is not None
    assert ended["validUntil"] == ended["endedAt"] and ended["version"] == 2
    ended_at = parse_time(ended["endedAt"])
    assert abs((ended_at - datetime.now(timezone.utc)).total_seconds()) < 5
    wait_for(lambda: refused(check(world, plate, DELFT)), VISIBLE_WITHIN, interval=0.02,
             what="the ended agreement out of access checks")
    # The past is as it was: the instant it was allowed still is.
    again = check(world, plate, DELFT, at=allowed["at"])
    assert recognised(again, ROTTERDAM, "long_delivery", ex), again
    assert refused(check(world, plate, DELFT, at=ended["endedAt"]))

    # Ended is final.
    r = req(world, "DELETE", f"/v1/recognition-agreements/{a['id']}")
    r.problem(409)
    r = req(world, "PATCH", f"/v1/recognition-agreements/{a['id']}", {"note": "x"},
            headers={"If-Match": '"2"'})
    r.problem(409)

    r = req(world, "POST", "/v1/audit-entries/_search", {"object": f"agreement/{a['id']}"},
            role="auditor")
    assert r.status == 200, r.body
    mine = [e["action"] for e in r.json()["items"]]
    assert mine == ["agreement.create", "agreement.end"], mine
    end(world, other["id"])


def test_mutual_makes_both_directions(world):
    items = created(world, DEN_HAAG, ROTTERDAM, ["hardship_clause"], mutual=True)
    assert len(items) == 2
    a, b = items
    assert (a["issuer"], a["recognizer"]) == (DEN_HAAG, ROTTERDAM)
    assert (b["issuer"], b["recognizer"]) == (ROTTERDAM, DEN_HAAG)
    assert a["counterpartId"] == b["id"] and b["counterpartId"] == a["id"]
    assert a["types"] == b["types"] == ["hardship_clause"]
    ex1 = exemption(world, "MU01AB", "hardship_clause", DEN_HAAG)
    ex2 = exemption(world, "MU02AB", "hardship_clause", ROTTERDAM)
    wait_for(lambda: recognised(check(world, "MU01AB", ROTTERDAM), DEN_HAAG, "hardship_clause", ex1),
             VISIBLE_WITHIN * 2, what="Den Haag's exemption in Rotterdam")
    wait_for(lambda: recognised(check(world, "MU02AB", DEN_HAAG), ROTTERDAM, "hardship_clause", ex2),
             VISIBLE_WITHIN * 2, what="Rotterdam's exemption in Den Haag")
    # Not transitive: neither reaches Delft.
    assert refused(check(world, "MU01AB", DELFT))
    assert refused(check(world, "MU02AB", DELFT))
    end(world, a["id"])
    end(world, b["id"])


def test_overlap_is_409_and_mutual_is_all_or_nothing(world):
    first = created(world, ROTTERDAM, DEN_HAAG, ["long_delivery"],
                    valid_until=day(today() + timedelta(days=30)))[0]
    r = create(world, ROTTERDAM, DEN_HAAG, ["day_exemption", "long_delivery"],
               valid_from=today() + timedelta(days=10))
    doc = r.problem(409)
    assert first["id"] in doc["detail"], doc
    # After the first one's last day there is room.
    later = created(world, ROTTERDAM, DEN_HAAG, ["long_delivery"],
                    valid_from=today() + timedelta(days=31))[0]
    # Another type overlaps nothing.
    day_ex = created(world, ROTTERDAM, DEN_HAAG, ["day_exemption"])[0]

    # A mutual pair of which one direction overlaps: neither is made.
    before = req(world, "GET", f"/v1/recognition-agreements?issuer={DEN_HAAG}&recognizer={ROTTERDAM}"
                 "&limit=500").json()["items"]
    r = create(world, DEN_HAAG, ROTTERDAM, ["long_delivery"], mutual=True)
    r.problem(409)
    after = req(world, "GET", f"/v1/recognition-agreements?issuer={DEN_HAAG}&recognizer={ROTTERDAM}"
                "&limit=500").json()["items"]
    assert after == before

    # Extending the first one into the later one's period is an overlap too.
    etag = req(world, "GET", f"/v1/recognition-agreements/{first['id']}").header("ETag")
    r = req(world, "PATCH", f"/v1/recognition-agreements/{first['id']}", {"validUntil": None},
            headers={"If-Match": etag})
    doc = r.problem(409)
    assert later["id"] in doc["detail"], doc
    for a in (first, later, day_ex):
        end(world, a["id"])


def test_invalid_agreements_are_400_listing_every_error(world):
    r = create(world, ROTTERDAM, ROTTERDAM, ["long_delivery"])
    doc = r.problem(400)
    assert [e["field"] for e in doc["errors"]] == ["recognizer"], doc

    yesterday = today() - timedelta(days=1)
    r = req(world, "POST", "/v1/recognition-agreements", {
        "issuer": "GM9999", "recognizer": "Delft", "types": ["long_delivery", 7],
        "validFrom": day(yesterday), "validUntil": "2026-02-30", "extra": True})
    doc = r.problem(400)
    fields = sorted(e["field"] for e in doc["errors"])
    assert fields == sorted(["extra", "issuer", "recognizer", "types[1]", "validFrom",
                             "validUntil"]), doc

    r = create(world, ROTTERDAM, DELFT, ["special_vehicle", "no_such_type", "long_delivery",
                                         "long_delivery"])
    doc = r.problem(400)
    assert [e["field"] for e in doc["errors"]] == ["types[0]", "types[1]", "types[3]"], doc
    assert "national" in doc["errors"][0]["message"]

    # With mutual, both must offer the types: Schiedam has no zone and offers none.
    r = create(world, ROTTERDAM, SCHIEDAM, ["long_delivery"], mutual=True)
    doc = r.problem(400)
    assert [e["field"] for e in doc["errors"]] == ["types[0]"], doc
    assert SCHIEDAM in doc["errors"][0]["message"]
    # One way, Schiedam may recognise Rotterdam's exemptions; the matrix
    # holds pairs of municipalities with a zone only (API.md), so not this one.
    a = created(world, ROTTERDAM, SCHIEDAM, ["long_delivery"])[0]
    now = utc_text(datetime.now(timezone.utc) + timedelta(seconds=2))
    doc = req(world, "GET", f"/v1/recognition-matrix?at={now}", role="desk").json()
    assert doc["items"], doc
    assert all(SCHIEDAM not in (i["issuer"], i["recognizer"]) for i in doc["items"]), doc
    listed = req(world, "GET", f"/v1/recognition-agreements?recognizer={SCHIEDAM}").json()["items"]
    assert a["id"] in [x["id"] for x in listed]
    end(world, a["id"])

    r = create(world, ROTTERDAM, DELFT, ["long_delivery"], valid_from=today() + timedelta(days=5),
               valid_until=day(today() + timedelta(days=4)))
    doc = r.problem(400)
    assert [e["field"] for e in doc["errors"]] == ["validUntil"], doc
    r = create(world, ROTTERDAM, DELFT, [])
    assert [e["field"] for e in r.problem(400)["errors"]] == ["types"]


def test_only_admin_writes(world):
    body = {"issuer": ROTTERDAM, "recognizer": DELFT, "types": ["long_delivery"],
            "validFrom": day(today())}
    for role in ("desk", "assessor", "enforcement", "auditor"):
        req(world, "POST", "/v1/recognition-agreements", body, role=role).problem(403)
    a = created(world, DELFT, DEN_HAAG, ["grid_congestion"])[0]
    path = f"/v1/recognition-agreements/{a['id']}"
    for role in ("desk", "assessor"):
        req(world, "PATCH", path, {"note": "x"}, role=role, headers={"If-Match": '"1"'}).problem(403)
        req(world, "DELETE", path, role=role).problem(403)
        assert req(world, "GET", path, role=role).status == 200
        assert req(world, "GET", "/v1/recognition-agreements", role=role).status == 200
        assert req(world, "GET", "/v1/recognition-matrix", role=role).status == 200
    for role in ("enforcement", "auditor"):
        req(world, "GET", path, role=role).problem(403)
        req(world, "GET", "/v1/recognition-matrix", role=role).problem(403)
    end(world, a["id"])


def test_patch_needs_the_current_etag(world):
    a = created(world, DELFT, DEN_HAAG, ["long_delivery", "hardship_clause"], note="first")[0]
    path = f"/v1/recognition-agreements/{a['id']}"
    ex = exemption(world, "PA01AB", "hardship_clause", DELFT)
    allowed = wait_for(lambda: (lambda res: res if recognised(res, DELFT, "hardship_clause", ex) else None)(
        check(world, "PA01AB", DEN_HAAG)), VISIBLE_WITHIN * 2, what="the exemption recognised")

    r = req(world, "PATCH", path, {"note": "second"})
    r.problem(428)
    r = req(world, "PATCH", path, {"note": "second"}, headers={"If-Match": '"7"'})
    doc = r.problem(412)
    assert '"1"' in doc["detail"]
    r = req(world, "PATCH", path, {"note": "second"}, headers={"If-Match": 'W/"1"'})
    r.problem(412)

    # Validation first reads the body: every error at once, nothing changed.
    r = req(world, "PATCH", path, {"issuer": ROTTERDAM, "types": ["special_vehicle"],
                                   "validUntil": day(today() - timedelta(days=1)), "other": 1},
            headers={"If-Match": '"1"'})
    doc = r.problem(400)
    assert sorted(e["field"] for e in doc["errors"]) == ["issuer", "other", "types[0]", "validUntil"], doc
    assert req(world, "GET", path).json()["version"] == 1

    until = today() + timedelta(days=90)
    r = req(world, "PATCH", path, {"types": ["long_delivery"], "validUntil": day(until), "note": None},
            headers={"If-Match": '"1"'}, ctype="application/merge-patch+json")
    assert r.status == 200, r.body
    p = r.json()
    assert r.header("ETag") == '"2"' and p["version"] == 2
    assert p["types"] == ["long_delivery"] and p["note"] is None
    assert p["validUntil"] == utc_text(local_midnight_utc(until + timedelta(days=1)))
    assert p["validFrom"] == a["validFrom"] and p["createdAt"] == a["createdAt"]
    # The stale tag no longer matches; a list with the current one does.
    req(world, "PATCH", path, {"note": "x"}, headers={"If-Match": '"1"'}).problem(412)
    r = req(world, "PATCH", path, {"note": "third"}, headers={"If-Match": '"9", "2"'})
    assert r.status == 200 and r.json()["note"] == "third" and r.header("ETag") == '"3"'

    # hardship_clause is no longer recognised from now on, and still was before.
    wait_for(lambda: refused(check(world, "PA01AB", DEN_HAAG)), VISIBLE_WITHIN, interval=0.02,
             what="the removed type out of access checks")
    assert recognised(check(world, "PA01AB", DEN_HAAG, at=allowed["at"]), DELFT, "hardship_clause", ex)

    # The list at an instant shows what held then.
    then = req(world, "GET", f"/v1/recognition-agreements?issuer={DELFT}&recognizer={DEN_HAAG}"
               f"&at={allowed['at']}").json()["items"]
    assert a["id"] in [x["id"] for x in then]
    assert all(x["issuer"] == DELFT and x["recognizer"] == DEN_HAAG for x in then)
    past = req(world, "GET", f"/v1/recognition-agreements?issuer={DELFT}&recognizer={DEN_HAAG}"
               "&at=2026-01-01").json()["items"]
    assert past == []
    end(world, a["id"])


def test_matrix(world):
    a = created(world, DEN_HAAG, DELFT, ["day_exemption", "long_delivery"])[0]

    r = req(world, "GET", "/v1/recognition-matrix?at=2025-12-31T22:59:59Z", role="desk")
    assert r.status == 200, r.body
    doc = r.json()
    assert doc["at"] == "2025-12-31T22:59:59Z"
    assert doc["items"] == []     # before the statute, before any agreement

    doc = req(world, "GET", "/v1/recognition-matrix?at=2026-06-01", role="desk").json()
    assert doc["at"] == "2026-05-31T22:00:00Z"
    pairs = {(i["issuer"], i["recognizer"]): i["types"] for i in doc["items"]}
    zones = [DELFT, DEN_HAAG, ROTTERDAM]
    assert set(pairs) == {(x, y) for x in zones for y in zones if x != y}
    for types in pairs.values():
        assert types == [{"type": "business_hardship", "source": "statute", "grantedFrom": "2026-01-01"},
                         {"type": "grid_congestion", "source": "statute", "grantedFrom": "2026-01-01"}]

    now = utc_text(datetime.now(timezone.utc) + timedelta(seconds=2))
    doc = req(world, "GET", f"/v1/recognition-matrix?at={now}", role="assessor").json()
    pairs = {(i["issuer"], i["recognizer"]): i["types"] for i in doc["items"]}
    assert [x for x in pairs[(DEN_HAAG, DELFT)] if x["source"] == "agreement"] == [
        {"type": "day_exemption", "source": "agreement", "agreementId": a["id"]},
        {"type": "long_delivery", "source": "agreement", "agreementId": a["id"]}]
    assert [x["source"] for x in pairs[(DELFT, DEN_HAAG)]] == ["statute", "statute"]
    assert [i["issuer"] + i["recognizer"] for i in doc["items"]] == \
        sorted(i["issuer"] + i["recognizer"] for i in doc["items"])

    req(world, "GET", "/v1/recognition-matrix?at=tomorrow").problem(400)
    req(world, "GET", "/v1/recognition-matrix?when=now").problem(400)
    end(world, a["id"])
    doc = req(world, "GET", f"/v1/recognition-matrix?at={utc_text(datetime.now(timezone.utc) + timedelta(seconds=2))}").json()
    pairs = {(i["issuer"], i["recognizer"]): i["types"] for i in doc["items"]}
    assert all(x["source"] == "statute" for x in pairs[(DEN_HAAG, DELFT)])


def test_list_filters_and_pages(world):
    ids = set()
    for t in ("day_exemption", "long_delivery", "hardship_clause"):
        ids.add(created(world, DELFT, ROTTERDAM, [t])[0]["id"])
    seen, cursor = [], None
    while True:
        q = f"/v1/recognition-agreements?issuer={DELFT}&recognizer={ROTTERDAM}&limit=2"
        if cursor:
            q += f"&cursor={cursor}"
        doc = req(world, "GET", q, role="desk").json()
        seen += doc["items"]
        cursor = doc["nextCursor"]
        if cursor is None:
            break
    assert ids <= {x["id"] for x in seen} and len(seen) == len({x["id"] for x in seen})
    assert all(x["issuer"] == DELFT and x["recognizer"] == ROTTERDAM for x in seen)
    created_at = [x["createdAt"] for x in seen]
    assert created_at == sorted(created_at, reverse=True)

    for q, field in (("issuer=GM9999", "issuer"), ("recognizer=x", "recognizer"),
                     ("at=2026-13-01", "at"), ("limit=0", "limit"), ("cursor=zz", "cursor"),
                     ("colour=red", "colour")):
        doc = req(world, "GET", f"/v1/recognition-agreements?{q}").problem(400)
        assert [e["field"] for e in doc["errors"]] == [field], (q, doc)
    for i in ids:
        end(world, i)
    # Ended agreements stay listed, with their end.
    doc = req(world, "GET", f"/v1/recognition-agreements?issuer={DELFT}&recognizer={ROTTERDAM}&limit=500").json()
    assert {x["id"] for x in doc["items"] if x["status"] == "ended"} >= ids


def test_unknown_ids_are_404(world):
    for role in ("admin", "desk"):
        req(world, "GET", f"/v1/recognition-agreements/{uuid.uuid4()}", role=role).problem(404)
    req(world, "GET", "/v1/recognition-agreements/not-a-uuid").problem(404)
    req(world, "DELETE", f"/v1/recognition-agreements/{uuid.uuid4()}").problem(404)
    req(world, "PATCH", f"/v1/recognition-agreements/{uuid.uuid4()}", {"note": "x"},
        headers={"If-Match": '"1"'}).problem(404)


def test_history_is_kept_in_the_database(world):
    a = created(world, ROTTERDAM, DELFT, ["grid_congestion"])[0]
    etag = req(world, "GET", f"/v1/recognition-agreements/{a['id']}").header("ETag")
    r = req(world, "PATCH", f"/v1/recognition-agreements/{a['id']}", {"types": ["grid_congestion", "day_exemption"]},
            headers={"If-Match": etag})
    assert r.status == 200, r.body
    end(world, a["id"])
    db = world["db"]
    versions = db.psql(f"SELECT version || ':' || op FROM recognition_agreement_versions "
                       f"WHERE agreement_id = '{a['id']}' ORDER BY version").split()
    assert versions == ["1:create", "2:update", "3:end"]
    kinds = db.psql(f"SELECT count(*) FROM change_log WHERE kind = 'agreement' AND object_id = '{a['id']}'")
    assert kinds == "3"
    r = db.psql(f"DELETE FROM recognition_agreements WHERE id = '{a['id']}'", check=False)
    assert r.returncode != 0 and "keeps its history" in r.stderr


def test_a_browser_may_read_the_etag(world):
    """The ETag must reach a browser client on an allowed origin, or it
    cannot send it back as If-Match."""
    a = created(world, DEN_HAAG, DELFT, ["hardship_clause"])[0]
    path = f"/v1/recognition-agreements/{a['id']}"
    r = req(world, "GET", path, role="desk", headers={"Origin": ORIGIN})
    assert r.status == 200 and r.header("ETag") == '"1"'
    assert r.header("Access-Control-Allow-Origin") == ORIGIN
    assert r.header("Access-Control-Expose-Headers") == "ETag"
    r = req(world, "GET", "/v1/recognition-agreements", role="desk", headers={"Origin": ORIGIN})
    assert r.status == 200 and r.header("Access-Control-Expose-Headers") is None
    r = req(world, "GET", path, role="desk", headers={"Origin": "https://elsewhere.example.nl"})
    assert r.header("Access-Control-Allow-Origin") is None
    assert r.header("Access-Control-Expose-Headers") is None
    end(world, a["id"])
