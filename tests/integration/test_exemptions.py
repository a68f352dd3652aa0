"""Exemptions over HTTP: GET by id, the list with its filters and cursors,
the search by plate (in the body), and revocation.

Exemptions are written with SQL, as the applications API would write them.
Covers the answer's shape and each status (active, a period not started yet,
expired, revoked), every filter, paging through ties of granted_at, the
plate search with any spelling and a foreign plate, every 400 at once, the
roles (desk, assessor, admin read; enforcement and auditor do not), and
revocation: by the issuing municipality's assessor and by an admin, the
access check that stops honouring it within a second, the audit entry in
the same transaction (without the plate), 403 for another municipality's
assessor, for desk and for a national exemption, 409 the second time.
"""

import json
import time

import pytest

from conftest import auth, wait_for

ROTTERDAM, DEN_HAAG, DELFT = "GM0599", "GM0518", "GM0503"


def sql_exemption(db, plate, type_, issuer, valid_from, valid_until, country="NL",
                  granted_at="now()", revoked_at="NULL"):
    scope = "national" if issuer == "national" else "municipal"
    return db.psql(
        "INSERT INTO exemptions (plate, country, scope, type, issuer, valid_from, valid_until,"
        " granted_at, revoked_at) VALUES "
        f"('{plate}', '{country}', '{scope}', '{type_}', '{issuer}', {valid_from}, {valid_until},"
        f" {granted_at}, {revoked_at}) RETURNING id").strip().splitlines()[0].strip()


@pytest.fixture(scope="module")
def world(db, module_zesd_factory):
    # A diesel van of class 4 registered in 2015: no access without an exemption.
    db.psql("INSERT INTO vehicles (plate, category, vehicle_type, body_description, body_type,"
            " fuel_names, fuel_classes, first_admission, mass_kg, change_seq) VALUES"
            " ('AB12CD', 'N1', 'Bedrijfsauto', 'gesloten opbouw', 'BB', ARRAY['Diesel'],"
            " ARRAY['4'], '2015-01-01', 3000, (SELECT zes_change('vehicles', 'test', 'import')))")
    toks = {}
    for key, role, muni in (("desk", "desk", None), ("rotterdam", "assessor", ROTTERDAM),
                            ("denhaag", "assessor", DEN_HAAG), ("admin", "admin", None),
                            ("enforcement", "enforcement", None), ("auditor", "auditor", None)):
        toks[key] = db.token(role, municipality=muni)
    z = module_zesd_factory(db.url)
    return {"z": z, "db": db, "tok": {k: v[1] for k, v in toks.items()},
            "name": {k: v[0] for k, v in toks.items()}}


def get(world, path, who="desk"):
    return world["z"].get(path, headers=auth(world["tok"][who]))


def post(world, path, body, who="desk"):
    return world["z"].post_json(path, body, token=world["tok"][who])


def items(r):
    assert r.status == 200, r.body
    doc = r.json()
    assert set(doc) == {"items", "nextCursor"}, doc
    return doc["items"]


def check(world, plate, municipality, at=None):
    item = {"plate": plate, "municipality": municipality}
    if at:
        item["at"] = at
    r = post(world, "/v1/access-checks", {"checks": [item]}, who="enforcement")
    assert r.status == 200, r.body
    return r.json()["results"][0]


KEYS = {"id", "plate", "plateDisplay", "country", "scope", "type", "municipality", "validFrom",
        "validUntil", "status", "applicationId", "grantedAt", "revokedAt", "revocationReason"}


def test_shape_and_every_status(world):
    db = world["db"]
    active = sql_exemption(db, "V123FB", "long_delivery", ROTTERDAM,
                           "'2026-01-01T00:00:00+01'", "now() + interval '30 days'")
    later = sql_exemption(db, "V123FB", "hardship_clause", DELFT,
                          "now() + interval '10 days'", "now() + interval '40 days'")
    expired = sql_exemption(db, "V123FB", "day_exemption", DEN_HAAG,
                            "'2025-03-01T00:00:00+01'", "'2025-03-02T06:00:00+01'")
    revoked = sql_exemption(db, "V123FB", "grid_congestion", ROTTERDAM,
                            "'2026-01-01T00:00:00+01'", "now() + interval '300 days'",
                            revoked_at="now()")
    national = sql_exemption(db, "V123FB", "special_vehicle", "national",
                             "'2026-01-01T00:00:00+01'", "'2030-01-01T00:00:00+01'")
    got = {}
    for exid in (active, later, expired, revoked, national):
        r = get(world, f"/v1/exemptions/{exid}")
        assert r.status == 200, r.body
        got[exid] = r.json()
        assert set(got[exid]) == KEYS, got[exid]
        assert got[exid]["id"] == exid
    e = got[active]
    assert (e["plate"], e["plateDisplay"], e["country"]) == ("V123FB", "V-123-FB", "NL")
    assert (e["scope"], e["type"], e["municipality"]) == ("municipal", "long_delivery", ROTTERDAM)
    assert e["validFrom"] == "2025-12-31T23:00:00Z" and e["status"] == "active"
    assert e["applicationId"] is None and e["revokedAt"] is None
    assert e["revocationReason"] is None
    assert got[later]["status"] == "active", "a period that has not started is active"
    assert got[expired]["status"] == "expired"
    assert got[expired]["validUntil"] == "2025-03-02T05:00:00Z"
    assert got[revoked]["status"] == "revoked" and got[revoked]["revokedAt"].endswith("Z")
    assert got[national]["municipality"] is None and got[national]["scope"] == "national"
    # Every reader role; not enforcement, not auditor.
    for who in ("rotterdam", "admin"):
        assert get(world, f"/v1/exemptions/{active}", who=who).status == 200
    for who in ("enforcement", "auditor"):
        get(world, f"/v1/exemptions/{active}", who=who).problem(403)


def test_unknown_and_malformed_ids_are_404(world):
    get(world, "/v1/exemptions/00000000-0000-4000-8000-000000000000").problem(404)
    get(world, "/v1/exemptions/not-a-uuid").problem(404)
    get(world, "/v1/exemptions/00000000-0000-4000-8000-00000000000g").problem(404)
    p = get(world, "/v1/exemptions/00000000-0000-4000-8000-000000000000?x=1").problem(400)
    assert [e["field"] for e in p["errors"]] == ["x"]


def test_list_filters(world):
    db = world["db"]
    mine = {
        "a": sql_exemption(db, "12ABC3", "t_filter", ROTTERDAM, "now() - interval '1 day'",
                           "now() + interval '1 day'"),
        "b": sql_exemption(db, "12ABC3", "t_filter", DELFT, "now() - interval '1 day'",
                           "now() + interval '1 day'"),
        "c": sql_exemption(db, "34BCD5", "t_filter", ROTTERDAM, "now() - interval '3 days'",
                           "now() - interval '1 day'"),
        "d": sql_exemption(db, "34BCD5", "t_filter", ROTTERDAM, "now() - interval '1 day'",
                           "now() + interval '1 day'", revoked_at="now()"),
        "e": sql_exemption(db, "34BCD5", "t_filter", "national", "now() - interval '1 day'",
                           "now() + interval '1 day'"),
        "f": sql_exemption(db, "34BCD5", "t_filter_other", ROTTERDAM, "now() - interval '1 day'",
                           "now() + interval '1 day'"),
    }
    inv = {v: k for k, v in mine.items()}

    def ids(query):
        return sorted(inv.get(e["id"], "?") for e in items(get(world, "/v1/exemptions?" + query)))

    assert ids("type=t_filter&limit=500") == ["a", "b", "c", "d", "e"]
    assert ids(f"type=t_filter&municipality={ROTTERDAM}") == ["a", "c", "d"]
    assert ids("type=t_filter&status=active") == ["a", "b", "e"]
    assert ids("type=t_filter&status=expired") == ["c"]
    assert ids("type=t_filter&status=revoked") == ["d"]
    assert ids("type=t_filter&scope=national") == ["e"]
    assert ids(f"type=t_filter&scope=municipal&municipality={DELFT}") == ["b"]
    assert ids("type=t_filter_other") == ["f"]
    assert ids("type=t_none") == []
    for e in items(get(world, f"/v1/exemptions?municipality={ROTTERDAM}&limit=500")):
        assert e["municipality"] == ROTTERDAM


def test_paging_with_cursors(world):
    db = world["db"]
    made = set()
    # Two pairs with the same granted_at: the id breaks the tie.
    for i, at in enumerate(["2026-03-01T10:00:00+01", "2026-03-02T10:00:00+01",
                            "2026-03-02T10:00:00+01", "2026-03-03T10:00:00+01",
                            "2026-03-04T10:00:00.123456+01", "2026-03-04T10:00:00.123456+01",
                            "2026-03-05T10:00:00+01"]):
        made.add(sql_exemption(db, f"PG{i:04d}", "t_page", DELFT, "'2026-03-01T00:00:00+01'",
                               "'2027-03-01T00:00:00+01'", granted_at=f"'{at}'"))
    seen, pages, cursor = [], 0, None
    while True:
        q = "/v1/exemptions?type=t_page&limit=3" + (f"&cursor={cursor}" if cursor else "")
        r = get(world, q)
        assert r.status == 200, r.body
        doc = r.json()
        pages += 1
        assert len(doc["items"]) <= 3
        seen += doc["items"]
        cursor = doc["nextCursor"]
        if cursor is None:
            break
        assert pages < 10, "paging does not end"
    assert pages == 3
    assert [e["id"] for e in seen if e["id"] in made] == [e["id"] for e in seen]
    assert len(seen) == 7 and {e["id"] for e in seen} == made, "each one exactly once"
    keys = [(e["grantedAt"], e["id"]) for e in seen]
    assert keys == sorted(keys, reverse=True), "newest grant first"
    # A cursor keeps the other parameters' meaning; a forged one is 400.
    p = get(world, "/v1/exemptions?type=t_page&cursor=nonsense").problem(400)
    assert [e["field"] for e in p["errors"]] == ["cursor"]
    # So is one of our shape whose time is past year 9999 or before 1970:
    # refused as not ours rather than failing in the database's arithmetic.
    uid = "3f2a0c1e-9b7d-4e21-8a55-0123456789ab"
    for at in ("300000000000000000", "-1"):
        p = get(world, f"/v1/exemptions?type=t_page&cursor=g{at}.{uid}").problem(400)
        assert [e["field"] for e in p["errors"]] == ["cursor"], (at, p)


def test_search_by_plate(world):
    db = world["db"]
    nl = sql_exemption(db, "VTV69T", "long_delivery", DEN_HAAG, "'2026-01-01T00:00:00+01'",
                       "now() + interval '30 days'")
    de = sql_exemption(db, "BAB1234", "day_exemption", ROTTERDAM, "'2026-05-01T00:00:00+02'",
                       "'2026-05-02T06:00:00+02'", country="DE")
    for spelling in ("vtv-69-t", "VTV 69 T", "VTV69T"):
        got = items(post(world, "/v1/exemptions/_search", {"plate": spelling}))
        assert [e["id"] for e in got] == [nl], spelling
        assert got[0]["plateDisplay"] == "VTV-69-T"
    got = items(post(world, "/v1/exemptions/_search", {"plate": "B AB 1234", "country": "DE"}))
    assert [e["id"] for e in got] == [de]
    assert got[0]["plateDisplay"] == "BAB1234" and got[0]["country"] == "DE"
    # The same letters as a Dutch plate: not a Dutch sidecode (400); another plate: nothing.
    post(world, "/v1/exemptions/_search", {"plate": "BAB1234"}).problem(400)
    assert items(post(world, "/v1/exemptions/_search", {"plate": "ZZ99ZZ"})) == []
    # Filters combine with the plate.
    assert items(post(world, "/v1/exemptions/_search",
                      {"plate": "VTV69T", "municipality": ROTTERDAM})) == []
    assert len(items(post(world, "/v1/exemptions/_search",
                          {"plate": "VTV69T", "status": "active", "type": "long_delivery",
                           "limit": 1}))) == 1
    # Plates never travel in a URI.
    p = get(world, "/v1/exemptions?plate=VTV69T").problem(400)
    assert [e["field"] for e in p["errors"]] == ["plate"]
    post(world, "/v1/exemptions/_search", {"plate": "VTV69T"}, who="enforcement").problem(403)


def test_bad_requests_list_every_error(world):
    p = get(world, "/v1/exemptions?municipality=Rotterdam&type=Long-Delivery&status=valid"
                   "&scope=local&limit=0&cursor=x&colour=red").problem(400)
    assert sorted(e["field"] for e in p["errors"]) == \
        ["colour", "cursor", "limit", "municipality", "scope", "status", "type"]
    p = get(world, "/v1/exemptions?limit=501&limit=2").problem(400)
    assert "limit" in [e["field"] for e in p["errors"]]
    p = post(world, "/v1/exemptions/_search",
             {"country": "de", "status": 1, "limit": 0, "x": True}).problem(400)
    assert sorted(e["field"] for e in p["errors"]) == ["country", "limit", "plate", "status", "x"]
    p = post(world, "/v1/exemptions/_search", {"plate": "1", "municipality": "GM12"}).problem(400)
    assert sorted(e["field"] for e in p["errors"]) == ["municipality", "plate"]


def revoke(world, exid, who, body=None):
    return post(world, f"/v1/exemptions/{exid}/revocation",
                {"reason": "fraudulent evidence"} if body is None else body, who=who)


def test_revocation_reaches_access_checks_and_the_audit(world):
    db = world["db"]
    exid = sql_exemption(db, "AB12CD", "long_delivery", ROTTERDAM,
                         "now() - interval '1 day'", "now() + interval '100 days'")
    wait_for(lambda: check(world, "AB12CD", ROTTERDAM)["basis"] == "municipal_exemption", 2.0,
             what="the grant in the access index")
    before = int(db.psql("SELECT coalesce(max(seq), 0) FROM audit_entries"))
    r = revoke(world, exid, "rotterdam", {"reason": "the vehicle was sold"})
    t0 = time.monotonic()
    assert r.status == 200, r.body
    e = r.json()
    assert set(e) == KEYS and e["id"] == exid and e["status"] == "revoked"
    assert e["revocationReason"] == "the vehicle was sold" and e["revokedAt"].endswith("Z")
    wait_for(lambda: check(world, "AB12CD", ROTTERDAM)["basis"] == "none", 1.0,
             what="the revocation in the access index")
    assert time.monotonic() - t0 < 1.0
    assert get(world, f"/v1/exemptions/{exid}").json()["status"] == "revoked"
    # The audit entry committed with it, naming the assessor's token, without the plate
    # (once zesd linked it into the chain, within audit_link_ms).
    rows = wait_for(lambda: db.psql("SELECT actor || '|' || action || '|' || object || '|' || "
                                    f"detail::text FROM audit_entries WHERE seq > {before} "
                                    "ORDER BY seq").splitlines(), 2.0,
                    what="the revocation's audit entry linked")
    assert len(rows) == 1, rows
    actor, action, obj, detail = rows[0].split("|", 3)
    assert (actor, action, obj) == (world["name"]["rotterdam"], "exemption.revoke",
                                    f"exemption/{exid}")
    detail = json.loads(detail)
    assert detail["reason"] == "the vehicle was sold" and detail["issuer"] == ROTTERDAM
    assert "AB12CD" not in json.dumps(detail)
    # A second revocation is a conflict and changes nothing.
    p = revoke(world, exid, "rotterdam").problem(409)
    assert "revoked" in p["detail"]
    assert get(world, f"/v1/exemptions/{exid}").json()["revocationReason"] == "the vehicle was sold"
    assert int(db.psql("SELECT count(*) FROM audit_entries WHERE object = 'exemption/"
                       f"{exid}'")) == 1
    # The chain still verifies.
    v = world["z"].get("/v1/audit-verification", headers=auth(world["tok"]["auditor"]))
    assert v.status == 200 and v.json()["ok"] is True, v.body


def test_revocation_roles(world):
    db = world["db"]
    exid = sql_exemption(db, "HX084V", "business_hardship", ROTTERDAM,
                         "now() - interval '1 day'", "now() + interval '100 days'")
    national = sql_exemption(db, "HX084V", "special_vehicle", "national",
                             "now() - interval '1 day'", "now() + interval '100 days'")
    p = revoke(world, exid, "denhaag").problem(403)
    assert "own municipality" in p["detail"]
    revoke(world, exid, "desk").problem(403)
    revoke(world, exid, "enforcement").problem(403)
    p = revoke(world, national, "rotterdam").problem(403)
    assert "national" in p["detail"]
    assert get(world, f"/v1/exemptions/{exid}").json()["status"] == "active"
    assert get(world, f"/v1/exemptions/{national}").json()["status"] == "active"
    # An admin revokes everywhere, national exemptions included.
    assert revoke(world, national, "admin").json()["status"] == "revoked"
    assert revoke(world, exid, "admin").json()["status"] == "revoked"
    # Another municipality's assessor stays 403 on a revoked one: rights before state.
    revoke(world, exid, "denhaag").problem(403)
    revoke(world, exid, "admin").problem(409)


def test_revocation_400s(world):
    db = world["db"]
    exid = sql_exemption(db, "TT601D", "long_delivery", ROTTERDAM,
                         "now() - interval '1 day'", "now() + interval '100 days'")
    p = revoke(world, exid, "rotterdam", {}).problem(400)
    assert [e["field"] for e in p["errors"]] == ["reason"]
    p = revoke(world, exid, "rotterdam", {"reason": "  \t "}).problem(400)
    assert [e["field"] for e in p["errors"]] == ["reason"]
    p = revoke(world, exid, "rotterdam", {"reason": 12, "why": "x"}).problem(400)
    assert sorted(e["field"] for e in p["errors"]) == ["reason", "why"]
    p = revoke(world, exid, "rotterdam", {"reason": "x" * 2001}).problem(400)
    assert [e["field"] for e in p["errors"]] == ["reason"]
    r = world["z"].request("POST", f"/v1/exemptions/{exid}/revocation",
                           headers=auth(world["tok"]["rotterdam"]))
    assert r.status in (400, 415), r.body
    assert get(world, f"/v1/exemptions/{exid}").json()["status"] == "active"
    revoke(world, "00000000-0000-4000-8000-000000000000", "rotterdam").problem(404)
    revoke(world, "nope", "rotterdam").problem(404)
    # A long reason within the bound is kept whole (characters, not bytes).
    assert revoke(world, exid, "rotterdam", {"reason": "\u00e9" * 2000}).status == 200
