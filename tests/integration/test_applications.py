"""Applications end to end: POST /v1/applications decided by the rules of
rules/ (DOMAIN.md §5) in one transaction, an assessor's decision, and the
grant seen by POST /v1/access-checks within a second.

Covers each exemption type of DOMAIN.md §5 through submit -> decision ->
exemption -> access check for each of Rotterdam (GM0599), Den Haag (GM0518)
and Delft (GM0503), and the national special_vehicle in all three; every
reason code the API can trigger with the rules as shipped (and
type_not_offered with a copy of them); the day-exemption quota (the 13th of
a year refused, another municipality still grants); assessors deciding
hardship_clause and business_hardship cases (validUntil rules, 403 for an
assessor of another municipality and for desk); the statutory recognition
of DOMAIN.md §6; withdrawal and 409s; Idempotency-Key (the same 201 again
and one row, 422 for another body, a failed first attempt leaves nothing,
concurrent retries make one application); 400s listing several errors at
once; dry runs that store nothing; and an audit trail without plates, KvK
numbers or e-mail addresses that still verifies.

Dates are relative to today in Europe/Amsterdam, so the suite holds on any
day.
"""

import json
import os
import re
import shutil
import threading
from datetime import date, datetime, time as dtime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from conftest import auth, http_request, wait_for

AMS = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc
ROTTERDAM, DEN_HAAG, DELFT, SCHIEDAM = "GM0599", "GM0518", "GM0503", "GM0606"
ZONES = (ROTTERDAM, DEN_HAAG, DELFT)
MUNICIPAL_TYPES = ("day_exemption", "long_delivery", "business_hardship",
                   "grid_congestion", "hardship_clause")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# One van per municipality and type, each refused by the access decision on
# its own (diesel, class 4: emission_class_too_low), so a grant is what
# lets it in.  Sidecode 4 plates: XX-99-XX.
PREFIX = {ROTTERDAM: "RT", DEN_HAAG: "HG", DELFT: "DL"}


def van_plate(municipality, n):
    return f"{PREFIX[municipality]}{n:02d}ZX"


# (plate, category, vehicle_type, body_description, body_type, body_code,
#  fuel_names, fuel_classes, first_admission, mass_kg)
def vehicles():
    rows = []
    for m in ZONES:
        for n in range(1, 40):
            rows.append((van_plate(m, n), "N1", "Bedrijfsauto", "gesloten opbouw", "BB",
                         None, ["Diesel"], ["4"], "2015-01-01", 3000))
    rows += [
        ("VTV69T", "N1", "Bedrijfsauto", "gesloten opbouw", "BB", None, ["Elektriciteit"],
         ["Z"], "2021-03-01", 3500),
        ("TT601D", "M1", "Personenauto", "hatchback", "", None, ["Diesel"], ["5"],
         "2013-05-17", 1200),
        # Rigid trucks of class 5: no transition access.  One young, one old.
        ("BX01TK", "N3", "Bedrijfsauto", "kraanwagen", "", None, ["Diesel"], ["5"],
         "2018-03-01", 26000),
        ("BX02TK", "N3", "Bedrijfsauto", "kraanwagen", "", None, ["Diesel"], ["5"],
         "2010-03-01", 26000),
        ("BX03TK", "N3", "Bedrijfsauto", "verhuiswagen", "", None, ["Diesel"], ["5"],
         "2019-06-01", 18000),
    ]
    return rows


def sql_array(values, cast):
    if not values:
        return f"'{{}}'::{cast}[]"
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + f"]::{cast}[]"


def load_vehicles(db):
    rows = []
    for (plate, cat, vt, bd, bt, bc, fn, fc, det, mass) in vehicles():
        rows.append(
            f"('{plate}', '{cat}', '{vt}', '{bd}', '{bt}', {bc if bc is not None else 'NULL'}, "
            f"'{{}}'::int[], {sql_array(fn, 'text')}, {sql_array(fc, 'text')}, '{det}', {mass}, "
            "(SELECT zes_change('vehicles', 'test', 'import')))")
    db.psql("INSERT INTO vehicles (plate, category, vehicle_type, body_description, body_type, "
            "body_code, special_codes, fuel_names, fuel_classes, first_admission, mass_kg, "
            "change_seq) VALUES " + ",\n".join(rows))


# -- dates

def today():
    return datetime.now(AMS).date()


def ds(d):
    return d.isoformat()


def midnight(d):
    """The instant local midnight starts day d, as API.md answers it."""
    return datetime.combine(d, dtime(0, 0), AMS).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local(d, hh):
    return datetime.combine(d, dtime(hh, 0), AMS).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_years(d, n):
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February
        return d.replace(year=d.year + n, day=28)


def add_months(d, n):
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    m += 1
    for day in (d.day, 30, 29, 28):
        try:
            return d.replace(year=y, month=m, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# -- bodies

APPLICANT = {"kvk": "12345678", "name": "Bakkerij Jansen", "email": "info@example.nl"}


def evidence(type_):
    t = today()
    return {
        "day_exemption": {},
        "long_delivery": {"orderDate": ds(t - timedelta(days=30)),
                          "expectedDeliveryDate": ds(t + timedelta(days=90)),
                          "orderReference": "PO-1234", "replacementZeroEmission": True},
        "business_hardship": {"registeredToApplicantSince": "2020-01-01",
                              "activeInZoneSince": "2019-05-01", "zoneEntriesPerYear": 200,
                              "alternativeAvailable": False, "annualAccountsYears": 3,
                              "fleetListProvided": True},
        "grid_congestion": {"postcode": "3011AB",
                            "gridOperatorStatementDate": ds(t - timedelta(days=30)),
                            "electrificationRequestDate": ds(t - timedelta(days=60))},
        "hardship_clause": {"motivation": "Our one refrigerated van serves a care home daily."},
        "special_vehicle": {"kind": "loading_crane", "craneCapacityTonneMetres": 40},
    }[type_]


def body(type_, municipality, plate, frm=None, **over):
    b = {"scope": "national" if type_ == "special_vehicle" else "municipal", "type": type_,
         "plate": plate, "applicant": dict(APPLICANT), "period": {"from": ds(frm or today())},
         "evidence": evidence(type_)}
    if municipality is not None:
        b["municipality"] = municipality
    for k, v in over.items():
        if k == "evidence":
            b["evidence"] = dict(b["evidence"], **v)
        else:
            b[k] = v
    return b


# -- fixtures and helpers

@pytest.fixture(scope="module")
def world(env, db, module_zesd_factory):
    load_vehicles(db)
    toks = {r: db.token(r)[1] for r in ("desk", "enforcement", "auditor", "admin")}
    toks["desk2"] = db.token("desk")[1]
    for m in ZONES:
        toks[m] = db.token("assessor", municipality=m)[1]
    # One desk token makes every submission of the module, faster than a
    # token's default write rate: no per-token limits here (test_limits.py).
    z = module_zesd_factory(db.url, config={"rate_write_per_s": 0, "rate_read_per_s": 0})
    return {"z": z, "db": db, "tok": toks, "openapi": env.openapi()}


def submit(world, b, key=None, token="desk"):
    headers = {"Idempotency-Key": key} if key else None
    return world["z"].post_json("/v1/applications", b, token=world["tok"][token], headers=headers)


def created(world, b, **kw):
    r = submit(world, b, **kw)
    assert r.status == 201, r.body
    a = r.json()
    assert r.header("Location") == f"/v1/applications/{a['id']}"
    conforms(world, "Application", a)
    return a


def conforms(world, name, obj):
    """The members of obj are those docs/openapi.json gives the schema."""
    schema = world["openapi"]["components"]["schemas"][name]
    assert set(schema["required"]) <= set(obj), (name, obj)
    assert set(obj) <= set(schema["properties"]), (name, obj)


def decide(world, app_id, token, outcome="granted", reason="Beoordeeld en akkoord.", **kw):
    b = {"outcome": outcome, "reason": reason}
    b.update(kw)
    return world["z"].post_json(f"/v1/applications/{app_id}/decision", b,
                                token=world["tok"][token])


def access(world, plate, municipality, **kw):
    item = {"plate": plate, "municipality": municipality}
    item.update(kw)
    r = world["z"].post_json("/v1/access-checks", {"checks": [item]},
                             token=world["tok"]["enforcement"])
    assert r.status == 200, r.body
    return r.json()["results"][0]


def codes(a):
    return [x["code"] for x in a["decision"]["reasons"]]


def count(world, where):
    return int(world["db"].psql(f"SELECT count(*) FROM applications WHERE {where}"))


def expected_validity(type_, frm, b):
    if type_ == "day_exemption":
        return midnight(frm), local(frm + timedelta(days=1), 6)
    if type_ == "long_delivery":
        last = date.fromisoformat(b["evidence"]["expectedDeliveryDate"])
        return midnight(frm), midnight(last + timedelta(days=1))
    if type_ == "grid_congestion":
        return midnight(frm), midnight(add_years(frm, 2))
    if type_ == "business_hardship":
        return midnight(frm), midnight(add_years(frm, 1))
    raise AssertionError(type_)


# -- every type in every zone, through to the access check

@pytest.mark.parametrize("municipality", ZONES)
@pytest.mark.parametrize("type_", MUNICIPAL_TYPES)
def test_each_type_in_each_zone_reaches_the_access_check(world, municipality, type_):
    plate = van_plate(municipality, 1 + MUNICIPAL_TYPES.index(type_))
    assert access(world, plate, municipality)["basis"] == "none"
    b = body(type_, municipality, plate)
    a = created(world, b)
    assert a["type"] == type_ and a["municipality"] == municipality
    assert a["plate"] == plate and a["plateDisplay"] == f"{plate[:2]}-{plate[2:4]}-{plate[4:]}"
    assert a["decision"]["ruleSet"]["municipality"] == municipality
    assert len(a["decision"]["ruleSet"]["sha256"]) == 64
    frm = today()
    if type_ in ("business_hardship", "hardship_clause"):
        assert a["status"] == "in_review" and a["exemption"] is None
        assert codes(a) == [{"business_hardship": "financial_assessment_required",
                             "hardship_clause": "case_by_case_assessment"}[type_]]
        assert access(world, plate, municipality)["basis"] == "none"  # not before a decision
        extra = {}
        if type_ == "hardship_clause":
            extra["validUntil"] = ds(frm + timedelta(days=100))
        r = decide(world, a["id"], municipality, **extra)
        assert r.status == 200, r.body
        a = r.json()
        assert a["decision"]["decidedBy"] != "rules"
        want = (midnight(frm), midnight(frm + timedelta(days=101))) \
            if type_ == "hardship_clause" else expected_validity(type_, frm, b)
    else:
        assert a["decision"]["decidedBy"] == "rules"
        want = expected_validity(type_, frm, b)
    assert a["status"] == "granted", a
    assert (a["exemption"]["validFrom"], a["exemption"]["validUntil"]) == want
    t0 = datetime.now()
    res = wait_for(lambda: (lambda x: x if x["basis"] == "municipal_exemption" else None)(
        access(world, plate, municipality)), 1.0, interval=0.02, what="the grant in access checks")
    assert (datetime.now() - t0).total_seconds() < 1.0
    assert res["ground"] == type_ and res["exemptionId"] == a["exemption"]["id"]
    assert res["allowed"] is True
    got = world["z"].request("GET", f"/v1/applications/{a['id']}",
                             headers=auth(world["tok"]["desk"])).json()
    assert got["status"] == "granted" and got["exemption"] == a["exemption"]


def test_special_vehicle_is_valid_in_every_zone(world):
    for m in ZONES:
        assert access(world, "BX01TK", m)["basis"] == "none"
    a = created(world, body("special_vehicle", None, "bx-01-tk"))
    assert a["status"] == "granted" and a["scope"] == "national"
    assert a["decision"]["ruleSet"]["municipality"] == "national"
    # DET 2018-03-01 + 13 years is after 2030-01-01: the cap holds.
    assert a["exemption"]["validUntil"] == midnight(date(2030, 1, 1))
    wait_for(lambda: access(world, "BX01TK", ROTTERDAM)["basis"] == "national_exemption", 1.0,
             what="the national grant in access checks")
    for m in ZONES:
        res = access(world, "BX01TK", m)
        assert (res["basis"], res["ground"]) == ("national_exemption", "special_vehicle")
    r = created(world, body("special_vehicle", None, "BX03TK",
                            evidence={"kind": "removal_van", "removalCompanyKvk": "87654321"}))
    assert r["status"] == "granted", r


# -- reason codes

def rejected(world, b, code):
    a = created(world, b)
    assert a["status"] == "rejected", a
    assert code in codes(a), a
    assert a["exemption"] is None
    for reason in a["decision"]["reasons"]:
        assert reason["code"] and reason["message"]
    return a


def test_common_reasons(world):
    t = today()
    rejected(world, body("long_delivery", SCHIEDAM, van_plate(ROTTERDAM, 20)),
             "municipality_without_zone")
    plate = van_plate(ROTTERDAM, 21)
    created(world, body("long_delivery", ROTTERDAM, plate))
    a = rejected(world, body("long_delivery", ROTTERDAM, plate), "duplicate_exemption")
    assert a["decision"]["reasons"][0]["code"] == "duplicate_exemption"
    # Another issuer is not a duplicate.
    assert created(world, body("long_delivery", DELFT, plate))["status"] == "granted"
    d = t + timedelta(days=3)
    created(world, body("day_exemption", ROTTERDAM, plate, frm=d))
    rejected(world, body("day_exemption", ROTTERDAM, plate, frm=d), "duplicate_exemption")
    assert created(world, body("day_exemption", ROTTERDAM, plate,
                               frm=d + timedelta(days=1)))["status"] == "granted"


def test_day_exemption_reasons(world):
    t = today()
    rejected(world, body("day_exemption", DELFT, van_plate(DELFT, 20), frm=t + timedelta(days=366)),
             "date_out_of_range")
    a = created(world, body("day_exemption", DELFT, van_plate(DELFT, 20), frm=t + timedelta(days=365)))
    assert a["status"] == "granted"


@pytest.mark.parametrize("plate,over,code", [
    ("ZZ99ZZ", {}, "vehicle_unknown"),
    ("B AB 123", {"country": "DE"}, "vehicle_unknown"),
    ("VTV69T", {}, "exemption_not_needed"),
    ("TT601D", {}, "exemption_not_needed"),
    (None, {"evidence": {"orderDate": "TOMORROW"}}, "order_date_in_future"),
    (None, {"evidence": {"expectedDeliveryDate": "TODAY"}}, "delivery_date_passed"),
    (None, {"evidence": {"replacementZeroEmission": False}}, "replacement_not_zero_emission"),
])
def test_long_delivery_reasons(world, plate, over, code):
    t = today()
    ev = dict(over.get("evidence", {}))
    for k, v in ev.items():
        ev[k] = {"TOMORROW": ds(t + timedelta(days=1)), "TODAY": ds(t)}.get(v, v)
    b = body("long_delivery", DEN_HAAG, plate or van_plate(DEN_HAAG, 22))
    if ev:
        b["evidence"].update(ev)
    if "country" in over:
        b["country"] = over["country"]
    a = rejected(world, b, code)
    if plate is None:
        assert codes(a) == [code]


def test_business_hardship_lists_every_failing_condition(world):
    b = body("business_hardship", ROTTERDAM, van_plate(ROTTERDAM, 23), evidence={
        "registeredToApplicantSince": "2025-06-01", "activeInZoneSince": "2025-02-01",
        "zoneEntriesPerYear": 12, "alternativeAvailable": True, "annualAccountsYears": 2,
        "fleetListProvided": False})
    a = rejected(world, b, "registered_after_zone_start")
    assert sorted(codes(a)) == sorted([
        "registered_after_zone_start", "not_active_before_zone_start", "too_few_zone_entries",
        "alternative_available", "annual_accounts_insufficient", "fleet_list_missing"])
    # The first failing condition alone.
    b = body("business_hardship", ROTTERDAM, van_plate(ROTTERDAM, 24),
             evidence={"registeredToApplicantSince": "2025-01-01"})
    assert codes(rejected(world, b, "registered_after_zone_start")) == ["registered_after_zone_start"]


def test_grid_congestion_reasons(world):
    t = today()
    b = body("grid_congestion", DELFT, van_plate(DELFT, 21),
             evidence={"gridOperatorStatementDate": ds(add_months(t, -12) - timedelta(days=1))})
    assert codes(rejected(world, b, "grid_statement_outdated")) == ["grid_statement_outdated"]
    b = body("grid_congestion", DELFT, van_plate(DELFT, 21),
             evidence={"gridOperatorStatementDate": ds(add_months(t, -12))})
    assert created(world, b)["status"] == "granted"
    b = body("grid_congestion", DELFT, van_plate(DELFT, 22),
             evidence={"electrificationRequestDate": ds(t + timedelta(days=1))})
    assert codes(rejected(world, b, "electrification_request_in_future")) == \
        ["electrification_request_in_future"]


def test_special_vehicle_reasons(world):
    rejected(world, body("special_vehicle", None, van_plate(DELFT, 23)), "not_a_truck")
    rejected(world, body("special_vehicle", None, "BX02TK"), "vehicle_too_old")
    rejected(world, body("special_vehicle", None, "ZZ98ZZ"), "vehicle_unknown")
    a = rejected(world, body("special_vehicle", None, "BX02TK",
                             evidence={"craneCapacityTonneMetres": 34}), "crane_below_threshold")
    assert sorted(codes(a)) == ["crane_below_threshold", "vehicle_too_old"]


def test_type_not_offered(env, make_db, zesd_factory, tmp_path):
    """A copy of the rules where Delft no longer offers grid_congestion."""
    rules = tmp_path / "rules"
    shutil.copytree(os.path.join(env.source_dir, "rules"), rules)
    path = rules / f"{DELFT}.json"
    doc = json.loads(path.read_text())
    doc["types"]["grid_congestion"]["offered"] = False
    path.write_text(json.dumps(doc, indent=1))
    db = make_db()
    load_vehicles(db)
    tok = db.token("desk")[1]
    z = zesd_factory(db.url, config={"rules_dir": str(rules)})
    r = z.post_json("/v1/applications", body("grid_congestion", DELFT, van_plate(DELFT, 1)),
                    token=tok)
    assert r.status == 201, r.body
    assert r.json()["status"] == "rejected" and codes(r.json()) == ["type_not_offered"]
    r = z.post_json("/v1/applications", body("grid_congestion", ROTTERDAM, van_plate(DELFT, 1)),
                    token=tok)
    assert r.json()["status"] == "granted", r.body


# -- the day-exemption quota

def quota_days():
    """12 + 1 days of one calendar year, from tomorrow on and within 365 days."""
    t = today()
    if (t + timedelta(days=14)).year == t.year:
        return [t + timedelta(days=i) for i in range(1, 14)]
    return [date(t.year + 1, 1, i) for i in range(1, 14)]


def test_day_exemption_quota(world):
    plate = van_plate(DEN_HAAG, 30)
    days = quota_days()
    for d in days[:12]:
        a = created(world, body("day_exemption", DEN_HAAG, plate, frm=d))
        assert a["status"] == "granted", a
        assert a["exemption"]["validUntil"] == local(d + timedelta(days=1), 6)
    a = rejected(world, body("day_exemption", DEN_HAAG, plate, frm=days[12]), "quota_exhausted")
    assert codes(a) == ["quota_exhausted"]
    # Per municipality: Rotterdam still grants the 13th day.
    assert created(world, body("day_exemption", ROTTERDAM, plate, frm=days[12]))["status"] == \
        "granted"
    # A revoked one does not count.
    world["db"].psql("UPDATE exemptions SET revoked_at = now(), revoke_reason = 'test' "
                     f"WHERE plate = '{plate}' AND issuer = '{DEN_HAAG}' AND "
                     "id = (SELECT id FROM exemptions WHERE plate = "
                     f"'{plate}' AND issuer = '{DEN_HAAG}' ORDER BY valid_from DESC LIMIT 1)")
    assert created(world, body("day_exemption", DEN_HAAG, plate, frm=days[12]))["status"] == \
        "granted"


# -- assessors

def test_hardship_clause_needs_a_valid_last_day(world):
    t = today()
    a = created(world, body("hardship_clause", DELFT, van_plate(DELFT, 24)))
    assert a["status"] == "in_review"
    p = decide(world, a["id"], DELFT).problem(400)
    assert [e["field"] for e in p["errors"]] == ["validUntil"]
    p = decide(world, a["id"], DELFT, validUntil=ds(add_months(t, 12) + timedelta(days=1))).problem(400)
    assert [e["field"] for e in p["errors"]] == ["validUntil"]
    p = decide(world, a["id"], DELFT, validUntil=ds(t - timedelta(days=1))).problem(400)
    assert [e["field"] for e in p["errors"]] == ["validUntil"]
    last = add_months(t, 12) - timedelta(days=1)
    r = decide(world, a["id"], DELFT, validUntil=ds(last))
    assert r.status == 200, r.body
    assert r.json()["exemption"]["validUntil"] == midnight(last + timedelta(days=1))
    # Listed once linked into the chain (zesd links within audit_link_ms).
    entries = wait_for(lambda: (lambda items: items if len(items) >= 2 else None)(
        world["z"].post_json("/v1/audit-entries/_search", {"object": f"application/{a['id']}"},
                             token=world["tok"]["auditor"]).json()["items"]),
        2.0, what="the decision's audit entry linked")
    assert [e["action"] for e in entries] == ["application.submit", "application.decide"]


def test_assessor_of_another_municipality_and_desk_get_403(world):
    a = created(world, body("business_hardship", DEN_HAAG, van_plate(DEN_HAAG, 25)))
    assert a["status"] == "in_review"
    p = decide(world, a["id"], ROTTERDAM).problem(403)
    assert DEN_HAAG in p["detail"]
    assert decide(world, a["id"], "desk").problem(403)
    got = world["z"].request("GET", f"/v1/applications/{a['id']}",
                             headers=auth(world["tok"]["desk"])).json()
    assert got["status"] == "in_review"
    r = decide(world, a["id"], "admin", outcome="rejected", reason="Geen financiële noodzaak.")
    assert r.status == 200 and r.json()["status"] == "rejected"
    assert decide(world, a["id"], DEN_HAAG).problem(409)


def test_business_hardship_from_rotterdam_is_valid_in_den_haag(world):
    plate = van_plate(ROTTERDAM, 26)
    a = created(world, body("business_hardship", ROTTERDAM, plate))
    r = decide(world, a["id"], ROTTERDAM)
    assert r.status == 200, r.body
    ex = r.json()["exemption"]
    wait_for(lambda: access(world, plate, ROTTERDAM)["basis"] == "municipal_exemption", 1.0,
             what="the grant in access checks")
    res = access(world, plate, DEN_HAAG)
    assert (res["basis"], res["ground"], res["issuer"], res["exemptionId"]) == \
        ("recognized_exemption", "business_hardship", ROTTERDAM, ex["id"])
    # long_delivery has no statute: not valid in Den Haag.
    plate = van_plate(ROTTERDAM, 27)
    created(world, body("long_delivery", ROTTERDAM, plate))
    wait_for(lambda: access(world, plate, ROTTERDAM)["basis"] == "municipal_exemption", 1.0,
             what="the grant in access checks")
    assert access(world, plate, DEN_HAAG)["basis"] == "none"


# -- withdrawal

def test_withdrawal_and_conflicts(world):
    a = created(world, body("hardship_clause", ROTTERDAM, van_plate(ROTTERDAM, 28)))
    path = f"/v1/applications/{a['id']}/withdrawal"
    z, desk = world["z"], world["tok"]["desk"]
    assert z.post_json(path, {}, token=world["tok"][ROTTERDAM]).problem(403)
    r = z.post_json(path, {}, token=desk)
    assert r.status == 200 and r.json()["status"] == "withdrawn", r.body
    assert z.post_json(path, {}, token=desk).problem(409)
    assert decide(world, a["id"], ROTTERDAM, validUntil=ds(today() + timedelta(days=5))).problem(409)
    g = created(world, body("long_delivery", ROTTERDAM, van_plate(ROTTERDAM, 29)))
    assert z.post_json(f"/v1/applications/{g['id']}/withdrawal", {}, token=desk).problem(409)
    assert decide(world, g["id"], ROTTERDAM).problem(409)


# -- Idempotency-Key

def test_same_key_same_body_answers_the_first_201(world):
    b = body("long_delivery", DELFT, van_plate(DELFT, 30))
    first = submit(world, b, key="order-30-a")
    assert first.status == 201, first.body
    again = submit(world, b, key="order-30-a")
    assert again.status == 201
    assert again.body == first.body
    assert again.header("Location") == first.header("Location")
    # The same JSON written otherwise is the same request.
    reordered = json.dumps(dict(reversed(list(b.items()))), indent=2)
    assert world["z"].post_json("/v1/applications", reordered, token=world["tok"]["desk"],
                                headers={"Idempotency-Key": "order-30-a"}).body == first.body
    assert count(world, f"plate = '{van_plate(DELFT, 30)}'") == 1
    # Another body with the key: 422, nothing new.
    other = dict(b, period={"from": ds(today() + timedelta(days=1))})
    p = submit(world, other, key="order-30-a").problem(422)
    assert "Idempotency-Key" in p["detail"]
    assert count(world, f"plate = '{van_plate(DELFT, 30)}'") == 1
    # Keys belong to their caller: another desk token's key is its own.
    r = submit(world, b, key="order-30-a", token="desk2")
    assert r.status == 201 and r.json()["id"] != first.json()["id"]
    assert r.json()["status"] == "rejected" and codes(r.json()) == ["duplicate_exemption"]


def test_an_expired_key_counts_as_new(world):
    """Records answer for 24 hours (zes_idempotency_retention()); an older
    one is gone, so the same key makes a new application."""
    plate = van_plate(DELFT, 33)
    b = body("long_delivery", DELFT, plate)
    first = created(world, b, key="order-33")
    world["db"].psql("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' "
                     "WHERE key = 'order-33'")
    again = created(world, b, key="order-33")
    assert again["id"] != first["id"] and codes(again) == ["duplicate_exemption"]
    assert count(world, f"plate = '{plate}'") == 2
    assert int(world["db"].psql("SELECT count(*) FROM idempotency_keys WHERE key = 'order-33'")) == 1
    assert submit(world, b, key="order-33").json()["id"] == again["id"]


def test_a_failed_first_attempt_leaves_nothing(world):
    plate = van_plate(DELFT, 31)
    bad = body("long_delivery", DELFT, plate, evidence={"orderReference": ""})
    bad["applicant"]["kvk"] = "12"
    assert submit(world, bad, key="order-31").problem(400)
    good = body("long_delivery", DELFT, plate)
    r = submit(world, good, key="order-31")
    assert r.status == 201 and r.json()["status"] == "granted", r.body
    assert submit(world, good, key="order-31").body == r.body
    assert count(world, f"plate = '{plate}'") == 1


def test_concurrent_retries_make_one_application(world):
    plate = van_plate(DEN_HAAG, 31)
    b = json.dumps(body("long_delivery", DEN_HAAG, plate))
    headers = {"Content-Type": "application/json", "Idempotency-Key": "burst-31"}
    headers.update(auth(world["tok"]["desk"]))
    results = [None] * 8

    def go(i):
        results[i] = http_request(world["z"].port, "POST", "/v1/applications",
                                  headers=headers, body=b)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r is not None and r.status == 201 for r in results), results
    assert len({r.body for r in results}) == 1
    assert json.loads(results[0].body)["status"] == "granted"
    assert count(world, f"plate = '{plate}'") == 1


def test_malformed_keys(world):
    b = body("long_delivery", DELFT, van_plate(DELFT, 32))
    for key in ("has space", "x" * 256):
        p = submit(world, b, key=key).problem(400)
        assert [e["field"] for e in p["errors"]] == ["Idempotency-Key"]
    assert count(world, f"plate = '{van_plate(DELFT, 32)}'") == 0


# -- 400s

def test_invalid_submissions_list_every_error(world):
    t = today()
    b = body("long_delivery", ROTTERDAM, "NOT-A-PLATE!", frm=t - timedelta(days=1),
             evidence={"replacementZeroEmission": "yes"})
    b["applicant"] = {"kvk": "1234", "name": "Jansen", "email": "not-an-email"}
    b["period"]["until"] = ds(t - timedelta(days=5))
    del b["evidence"]["orderReference"]
    b["colour"] = "red"
    p = submit(world, b).problem(400)
    fields = {e["field"] for e in p["errors"]}
    want = {"plate", "applicant.kvk", "applicant.email", "period.from",
            "evidence.replacementZeroEmission", "evidence.orderReference", "colour"}
    assert want <= fields, p["errors"]
    assert len(p["errors"]) >= len(want)
    p = submit(world, body("special_vehicle", None, "BX01TK",
                           evidence={"kind": "tow_truck"})).problem(400)
    assert "evidence.kind" in {e["field"] for e in p["errors"]}
    p = submit(world, body("day_exemption", ROTTERDAM, van_plate(ROTTERDAM, 33),
                           period={"from": ds(t + timedelta(days=2)),
                                   "until": ds(t + timedelta(days=3))})).problem(400)
    assert "period.until" in {e["field"] for e in p["errors"]}
    p = submit(world, body("hardship_clause", ROTTERDAM, van_plate(ROTTERDAM, 33),
                           evidence={"motivation": "too short"})).problem(400)
    assert "evidence.motivation" in {e["field"] for e in p["errors"]}
    assert count(world, f"plate = '{van_plate(ROTTERDAM, 33)}'") == 0
    # Roles: only desk submits.
    for role in ("admin", "auditor", "enforcement"):
        assert submit(world, body("long_delivery", ROTTERDAM, van_plate(ROTTERDAM, 33)),
                      token=role).problem(403)


# -- dry runs

def test_evaluations_store_nothing(world):
    plate = van_plate(ROTTERDAM, 34)
    before = world["db"].psql("SELECT (SELECT count(*) FROM applications) || '/' || "
                              "(SELECT count(*) FROM exemptions) || '/' || "
                              "(SELECT count(*) FROM audit_entries)")
    b = body("long_delivery", ROTTERDAM, plate)
    for role in ("desk", ROTTERDAM, "admin"):
        r = world["z"].post_json("/v1/evaluations", b, token=world["tok"][role])
        assert r.status == 200, r.body
        doc = r.json()
        conforms(world, "Evaluation", doc)
        assert doc["decision"]["outcome"] == "granted"
        assert (doc["exemption"]["validFrom"], doc["exemption"]["validUntil"]) == \
            expected_validity("long_delivery", today(), b)
    r = world["z"].post_json("/v1/evaluations", body("long_delivery", ROTTERDAM, "VTV69T"),
                             token=world["tok"]["desk"]).json()
    assert r["decision"]["outcome"] == "rejected" and r["exemption"] is None
    assert "exemption_not_needed" in [x["code"] for x in r["decision"]["reasons"]]
    assert world["z"].post_json("/v1/evaluations", {"type": 1},
                                token=world["tok"]["desk"]).problem(400)
    assert world["z"].post_json("/v1/evaluations", b,
                                token=world["tok"]["enforcement"]).problem(403)
    after = world["db"].psql("SELECT (SELECT count(*) FROM applications) || '/' || "
                             "(SELECT count(*) FROM exemptions) || '/' || "
                             "(SELECT count(*) FROM audit_entries)")
    assert before == after


# -- the audit trail (last: it sees everything above)

def test_audit_has_no_personal_data_and_verifies(world):
    r = world["z"].request("GET", "/v1/audit-entries?limit=500",
                           headers=auth(world["tok"]["auditor"]))
    items = r.json()["items"]
    apps = [e for e in items if e["object"].startswith("application/")]
    grants = [e for e in items if e["action"] == "exemption.grant"]
    assert apps and grants
    text = json.dumps([e["detail"] for e in apps + grants])
    secrets = ["12345678", "87654321", "info@example.nl", "Bakkerij", "BAB123", "ZZ99ZZ"]
    secrets += [v[0] for v in vehicles()]
    for secret in secrets:
        assert secret not in text, secret
    for e in apps:
        assert UUID_RE.fullmatch(e["object"].split("/", 1)[1])
        assert set(e["detail"]) <= {"type", "municipality", "outcome", "exemptionId",
                                    "plateHash"}
        assert e["detail"]["plateHash"].startswith("hmac-sha256:")
    r = world["z"].request("GET", "/v1/audit-verification", headers=auth(world["tok"]["auditor"]))
    assert r.status == 200 and r.json()["ok"] is True, r.body


def test_metrics_count_committed_outcomes(world):
    """/metrics counts application state changes that committed, by status
    and decider; a replay of a stored 201 counts nothing."""
    def outcome(status, by):
        text = world["z"].get("/metrics").body.decode()
        m = re.search(r'^zes_application_outcomes_total\{status="%s",decided_by="%s"\} (\d+)$'
                      % (status, by), text, re.M)
        assert m, text[-2000:]
        return int(m.group(1))

    granted, withdrawn = outcome("granted", "rules"), outcome("withdrawn", "person")
    b = body("day_exemption", DELFT, "MET1", country="DE")
    first = submit(world, b, key="metrics-1")
    assert first.status == 201 and first.json()["status"] == "granted", first.body
    assert submit(world, b, key="metrics-1").body == first.body
    wait_for(lambda: outcome("granted", "rules") == granted + 1, 2.0,
             what="one granted outcome counted")
    a = created(world, body("hardship_clause", DELFT, van_plate(DELFT, 35)))
    r = world["z"].post_json(f"/v1/applications/{a['id']}/withdrawal", {},
                             token=world["tok"]["desk"])
    assert r.status == 200, r.body
    wait_for(lambda: outcome("withdrawn", "person") == withdrawn + 1, 2.0,
             what="one withdrawal counted")
    assert outcome("granted", "rules") == granted + 1
