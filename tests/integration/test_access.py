"""Enforcement through the API: access checks, the register search, the
municipalities, and signed decisions.

Vehicles are written to the register before zesd starts (the index loads
them whole); exemptions are written to the database while it runs, which
is how grants and revocations reach the index (change_log) until the
applications API exists.  Covers every basis and ground of DOMAIN.md §2-§4
with the real fixtures TT601D (out of scope) and VTV69T (zero-emission),
a grant and a revocation becoming visible within the lag bound, invalid
items answered with a problem in their place, an Ed25519 signature that
verifies offline with openssl and one that no longer does once the result
is changed, and checks that keep answering while PostgreSQL is stopped.
"""

import base64
import json
import os
import subprocess
import time

import pytest

from conftest import Database, auth, clean_env, metric_value, run, wait_for

# (plate, category, vehicle_type, body_description, body_type, body_code,
#  special_codes, fuel_names, fuel_classes, first_admission, mass_kg)
VEHICLES = [
    ("TT601D", "M1", "Personenauto", "hatchback", "", None, [], ["Diesel"], ["5"], "2013-05-17", 1200),
    ("VTV69T", "N1", "Bedrijfsauto", "gesloten opbouw", "BB", None, [], ["Elektriciteit"], ["Z"], "2021-03-01", 3500),
    ("12ABC3", "N1", "Bedrijfsauto", "gesloten opbouw", "BB", None, [], ["Diesel"], ["5"], "2019-06-01", 3000),
    ("34BCD5", "N1", "Bedrijfsauto", "gesloten opbouw", "BB", None, [], ["Diesel"], ["6"], "2022-06-01", 3000),
    ("56CDF7", "N3", "Bedrijfsauto", "opleggertrekker", "BC", None, [], ["Diesel"], ["6"], "2018-02-01", 18000),
    ("78DFG9", "N2", "Bedrijfsauto", "gesloten opbouw", "", None, [], ["Diesel"], ["6"], "2021-02-01", 12000),
    ("90FGH1", "N2", "Bedrijfsauto", "gesloten opbouw", "", None, [], ["Diesel"], ["6"], "2018-02-01", 12000),
    ("AB12CD", "N1", "Bedrijfsauto", "gesloten opbouw", "BB", None, [], ["Diesel"], ["4"], "2015-01-01", 3000),
    ("BC23DF", "N1", "Bedrijfsauto", "gesloten opbouw", "BB", None, [], ["Diesel"], ["6"], "2025-02-01", 3000),
    ("CD34FG", "N2", "Bedrijfsauto", "gesloten opbouw", "", None, [], ["Diesel"], ["6"], "2015-01-01", 12000),
    ("DF45GH", "N1", "Bedrijfsauto", "gesloten opbouw", "BB", None, [], ["Benzine"], ["3"], "1980-01-01", 2500),
    ("FG56HJ", "N1", "Bedrijfsauto", "rolstoelvervoer", "SH", None, [], ["Diesel"], ["4"], "2015-01-01", 3000),
    ("GH67JK", "N3", "Bedrijfsauto", "kraan", "", 23, [], ["Diesel"], ["5"], "2018-01-01", 26000),
    ("HJ78KL", "N1", "Bedrijfsauto", "gesloten opbouw", "BB", None, [], ["Diesel"], [""], "2019-01-01", 3000),
    ("JK89LN", "N1", "Bedrijfsauto", "gesloten opbouw", "BB", None, [145], ["Diesel"], ["3"], "2015-01-01", 3000),
]

ROTTERDAM, DEN_HAAG, DELFT, SCHIEDAM = "GM0599", "GM0518", "GM0503", "GM0606"


def sql_array(values, cast):
    if not values:
        return f"'{{}}'::{cast}[]"
    return "ARRAY[" + ",".join(f"'{v}'" if isinstance(v, str) else str(v) for v in values) + f"]::{cast}[]"


def load_vehicles(db):
    rows = []
    for (plate, cat, vt, bd, bt, bc, sc, fn, fc, det, mass) in VEHICLES:
        rows.append(
            f"('{plate}', '{cat}', '{vt}', '{bd}', '{bt}', {bc if bc is not None else 'NULL'}, "
            f"{sql_array(sc, 'int')}, {sql_array(fn, 'text')}, {sql_array(fc, 'text')}, "
            f"'{det}', {mass}, (SELECT zes_change('vehicles', 'test', 'import')))")
    db.psql("INSERT INTO vehicles (plate, category, vehicle_type, body_description, body_type, "
            "body_code, special_codes, fuel_names, fuel_classes, first_admission, mass_kg, change_seq) "
            "VALUES " + ",\n".join(rows))


@pytest.fixture(scope="module")
def world(db, module_zesd_factory, tmp_path_factory):
    load_vehicles(db)
    keydir = tmp_path_factory.mktemp("key")
    key = os.path.join(keydir, "signing.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key], check=True,
                   capture_output=True)
    toks = {r: db.token(r)[1] for r in ("enforcement", "desk", "auditor")}
    z = module_zesd_factory(db.url, config={"signing_key": key})
    return {"z": z, "db": db, "tok": toks, "key": key}


def check(world, *items):
    r = world["z"].post_json("/v1/access-checks", {"checks": list(items)},
                             token=world["tok"]["enforcement"])
    assert r.status == 200, r.body
    return r.json()["results"]


def one(world, plate, municipality=ROTTERDAM, at="2026-06-01T12:00:00+02:00", **kw):
    item = {"plate": plate, "municipality": municipality, "at": at}
    item.update(kw)
    res = check(world, item)[0]
    assert "basis" in res, res
    return res


@pytest.mark.parametrize("plate,at,municipality,basis,ground,allowed", [
    ("TT601D", "2026-06-01T12:00:00Z", ROTTERDAM, "out_of_scope", "out_of_scope", True),
    ("VTV69T", "2026-06-01T12:00:00Z", ROTTERDAM, "zero_emission", "zero_emission", True),
    ("VTV69T", "2026-06-01T12:00:00Z", SCHIEDAM, "no_zone", "no_zone", True),
    ("VTV69T", "2024-12-31T22:59:59Z", ROTTERDAM, "no_zone", "no_zone", True),
    ("12ABC3", "2026-12-31T22:59:59Z", ROTTERDAM, "transition_scheme", "transition_van_ek5", True),
    ("12ABC3", "2026-12-31T23:00:00Z", ROTTERDAM, "none", "transition_expired", False),
    ("34BCD5", "2028-12-31T22:59:59Z", DEN_HAAG, "transition_scheme", "transition_van_ek6", True),
    ("34BCD5", "2028-12-31T23:00:00Z", DEN_HAAG, "none", "transition_expired", False),
    ("56CDF7", "2029-12-31T22:59:59Z", DELFT, "transition_scheme", "transition_tractor_ek6", True),
    ("78DFG9", "2029-06-01T00:00:00Z", DELFT, "transition_scheme", "transition_rigid_ek6_young", True),
    ("90FGH1", "2027-12-31T22:59:59Z", DELFT, "transition_scheme", "transition_rigid_ek6_old", True),
    ("90FGH1", "2027-12-31T23:00:00Z", DELFT, "none", "transition_expired", False),
    ("AB12CD", "2026-06-01T12:00:00Z", ROTTERDAM, "none", "emission_class_too_low", False),
    ("BC23DF", "2026-06-01T12:00:00Z", ROTTERDAM, "none", "registered_after_cutoff", False),
    ("CD34FG", "2026-06-01T12:00:00Z", ROTTERDAM, "none", "registered_before_window", False),
    ("HJ78KL", "2026-06-01T12:00:00Z", ROTTERDAM, "none", "emission_class_unknown", False),
    ("DF45GH", "2026-06-01T12:00:00Z", ROTTERDAM, "national_exemption", "oldtimer", True),
    ("FG56HJ", "2026-06-01T12:00:00Z", ROTTERDAM, "national_exemption", "wheelchair_accessible", True),
    ("JK89LN", "2026-06-01T12:00:00Z", ROTTERDAM, "national_exemption", "wheelchair_accessible", True),
    ("GH67JK", "2026-06-01T12:00:00Z", ROTTERDAM, "national_exemption", "special_body", True),
    ("GH67JK", "2029-12-31T23:00:00Z", ROTTERDAM, "none", "emission_class_too_low", False),
    ("XX99XX", "2026-06-01T12:00:00Z", ROTTERDAM, "unknown_vehicle", "unknown_vehicle", False),
])
def test_every_basis(world, plate, at, municipality, basis, ground, allowed):
    res = one(world, plate, municipality=municipality, at=at)
    assert (res["basis"], res["ground"], res["allowed"]) == (basis, ground, allowed), res
    assert res["plate"] == plate and res["municipality"] == municipality


def test_result_shape_and_default_at(world):
    before = time.time()
    res = check(world, {"plate": "v-t-v 69 t", "municipality": ROTTERDAM})[0]
    assert res["plate"] == "VTV69T"
    got = time.mktime(time.strptime(res["at"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert before - 2 <= got <= time.time() + 2
    assert len(res["decisionId"]) == 36 and res["kid"] and res["signature"]


def test_invalid_items_get_a_problem_in_their_place(world):
    res = check(world,
                {"plate": "VTV69T", "municipality": ROTTERDAM},
                {"plate": "NOT A PLATE!", "municipality": ROTTERDAM},
                {"plate": "VTV69T", "municipality": "GM9999"},
                {"plate": "VTV69T", "municipality": ROTTERDAM, "at": "yesterday", "extra": 1},
                {"plate": "B-AB 123", "municipality": ROTTERDAM, "country": "DE"})
    assert res[0]["basis"] == "zero_emission"
    assert res[1]["status"] == 400 and [e["field"] for e in res[1]["errors"]] == ["checks[1].plate"]
    assert [e["field"] for e in res[2]["errors"]] == ["checks[2].municipality"]
    assert sorted(e["field"] for e in res[3]["errors"]) == ["checks[3].at", "checks[3].extra"]
    assert res[4]["basis"] == "unknown_vehicle" and res[4]["plate"] == "BAB123"
    assert res[4]["country"] == "DE"


def test_bodies_outside_the_plain_form_answer_the_same(world):
    """The fast reader takes plain bodies; escapes, non-ASCII and nulls go the
    strict way and must give the same decisions and the strict errors."""
    z, tok = world["z"], world["tok"]["enforcement"]
    at = "2026-06-01T12:00:00+02:00"
    plain = check(world, {"plate": "VTV69T", "municipality": ROTTERDAM, "at": at})[0]
    escaped = ('{"checks":[{"pl\\u0061te":"VTV\\u00369T","municipality":"GM0599",'
               '"at":"%s"}]}' % at)
    r = z.post_json("/v1/access-checks", escaped, token=tok)
    assert r.status == 200, r.body
    got = r.json()["results"][0]
    for k in ("allowed", "basis", "ground", "plate", "municipality", "at"):
        assert got[k] == plain[k], k
    # Non-ASCII in a plate: a problem for that item only.
    r = z.post_json("/v1/access-checks", '{"checks":[{"plate":"V\u00e9T69T",'
                    '"municipality":"GM0599"},{"plate":"VTV69T","municipality":"GM0599"}]}',
                    token=tok)
    assert r.status == 200, r.body
    res = r.json()["results"]
    assert [e["field"] for e in res[0]["errors"]] == ["checks[0].plate"]
    assert res[1]["plate"] == "VTV69T"
    # A null and a number: the strict type errors of the item.
    res = check(world, {"plate": None, "municipality": 599})[0]
    assert sorted(e["field"] for e in res["errors"]) == ["checks[0].municipality",
                                                         "checks[0].plate"]
    # Duplicated keys: the whole request is 400 and names each one.
    r = z.post_json("/v1/access-checks", '{"checks":[{"plate":"VTV69T","plate":"X",'
                    '"municipality":"GM0599"}]}', token=tok)
    p = r.problem(400)
    assert [e["field"] for e in p["errors"]] == ["checks[0].plate"]


def test_bad_requests(world):
    z, tok = world["z"], world["tok"]["enforcement"]
    assert z.post_json("/v1/access-checks", {"checks": []}, token=tok).problem(400)
    big = {"checks": [{"plate": "VTV69T", "municipality": ROTTERDAM}] * 1001}
    assert z.post_json("/v1/access-checks", big, token=tok).problem(400)
    assert z.post_json("/v1/access-checks", {"checks": 1}, token=tok).problem(400)
    assert z.post_json("/v1/access-checks", {"checks": [{"plate": "VTV69T",
                       "municipality": ROTTERDAM}]}, token=world["tok"]["desk"]).status == 403
    ok = {"checks": [{"plate": "VTV69T", "municipality": ROTTERDAM}] * 1000}
    r = z.post_json("/v1/access-checks", ok, token=tok)
    assert r.status == 200 and len(r.json()["results"]) == 1000


def insert_exemption(db, plate, type_, issuer, valid_from, valid_until, granted_at="now()"):
    scope = "national" if issuer == "national" else "municipal"
    return db.psql(
        "INSERT INTO exemptions (plate, country, scope, type, issuer, valid_from, valid_until, granted_at) "
        f"VALUES ('{plate}', 'NL', '{scope}', '{type_}', '{issuer}', '{valid_from}', '{valid_until}', "
        f"{granted_at}) RETURNING id").strip().splitlines()[0].strip()


def test_grant_and_revocation_reach_checks_within_a_second(world):
    db = world["db"]
    at = "2026-06-01T12:00:00Z"
    assert one(world, "AB12CD", at=at)["basis"] == "none"
    t0 = time.monotonic()
    exid = insert_exemption(db, "AB12CD", "long_delivery", ROTTERDAM,
                            "2026-01-01T00:00:00+01", "2027-01-01T00:00:00+01")
    wait_for(lambda: one(world, "AB12CD", at=at)["basis"] == "municipal_exemption", 1.0,
             what="the grant in the access index")
    grant_lag = time.monotonic() - t0
    res = one(world, "AB12CD", at=at)
    assert res["ground"] == "long_delivery" and res["exemptionId"] == exid
    assert res["issuer"] == ROTTERDAM and res["validUntil"] == "2026-12-31T23:00:00Z"
    # Not valid in Den Haag: no agreement, and long_delivery has no statute.
    assert one(world, "AB12CD", municipality=DEN_HAAG, at=at)["basis"] == "none"
    t0 = time.monotonic()
    db.psql(f"UPDATE exemptions SET revoked_at = now() WHERE id = '{exid}'")
    wait_for(lambda: one(world, "AB12CD", at="2026-12-01T00:00:00Z")["basis"] == "none", 1.0,
             what="the revocation in the access index")
    assert time.monotonic() - t0 < 1.0 and grant_lag < 1.0


def test_statutory_recognition(world):
    db = world["db"]
    at = "2026-06-01T12:00:00Z"
    insert_exemption(db, "CD34FG", "business_hardship", ROTTERDAM,
                     "2026-02-01T00:00:00+01", "2027-02-01T00:00:00+01",
                     granted_at="'2026-02-01T10:00:00+01'")
    wait_for(lambda: one(world, "CD34FG", at=at)["basis"] == "municipal_exemption", 2.0,
             what="the grant in the access index")
    res = one(world, "CD34FG", municipality=DEN_HAAG, at=at)
    assert (res["basis"], res["ground"], res["issuer"]) == \
        ("recognized_exemption", "business_hardship", ROTTERDAM)
    # Granted before 2026-01-01: valid only where issued.
    insert_exemption(db, "HJ78KL", "grid_congestion", DELFT,
                     "2025-06-01T00:00:00+02", "2027-06-01T00:00:00+02",
                     granted_at="'2025-06-01T10:00:00+02'")
    wait_for(lambda: one(world, "HJ78KL", municipality=DELFT, at=at)["basis"] ==
             "municipal_exemption", 2.0, what="the grant in the access index")
    assert one(world, "HJ78KL", municipality=ROTTERDAM, at=at)["basis"] == "none"


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def verify(pub_pem_path, tmpdir, result):
    body = dict(result)
    sig = base64.urlsafe_b64decode(body.pop("signature") + "==")
    msg = os.path.join(tmpdir, "msg")
    sigf = os.path.join(tmpdir, "sig")
    with open(msg, "wb") as f:
        f.write(canonical(body))
    with open(sigf, "wb") as f:
        f.write(sig)
    p = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub_pem_path,
                        "-rawin", "-in", msg, "-sigfile", sigf], capture_output=True)
    return p.returncode == 0


def test_signatures_verify_offline(world, tmp_path):
    z, tok = world["z"], world["tok"]["desk"]
    keys = z.request("GET", "/v1/signing-keys", headers=auth(tok))
    assert keys.status == 200
    (key,) = keys.json()["items"]
    assert key["alg"] == "EdDSA"
    pub = tmp_path / "pub.pem"
    pub.write_text(key["publicKeyPem"])
    results = check(world, {"plate": "VTV69T", "municipality": ROTTERDAM},
                    {"plate": "AB12CD", "municipality": ROTTERDAM, "at": "2026-06-01T12:00:00Z"},
                    {"plate": "BAD", "municipality": ROTTERDAM})
    for res in results[:2]:
        assert res["kid"] == key["kid"]
        assert verify(str(pub), str(tmp_path), res), res
    assert "signature" not in results[2]
    changed = dict(results[1])
    changed["allowed"] = not changed["allowed"]
    assert not verify(str(pub), str(tmp_path), changed)


def test_vehicle_search(world):
    z, tok = world["z"], world["tok"]["desk"]
    r = z.post_json("/v1/vehicles/_search", {"plate": "vtv-69-t"}, token=tok)
    assert r.status == 200, r.body
    (v,) = r.json()["items"]
    assert v["plate"] == "VTV69T" and v["plateDisplay"] == "VTV-69-T"
    assert v["category"] == "N1" and v["bodyType"] == "BB" and v["fuels"] == ["Elektriciteit"]
    assert v["zeroEmission"] is True and v["inScope"] is True and v["euroClass"] == "Z"
    assert v["massKg"] == 3500 and v["firstAdmission"] == "2021-03-01"
    assert v["transitionLastDay"] is None
    (v,) = z.post_json("/v1/vehicles/_search", {"plate": "12-ABC-3"}, token=tok).json()["items"]
    assert v["transitionLastDay"] == "2026-12-31" and v["euroClass"] == "5"
    (v,) = z.post_json("/v1/vehicles/_search", {"plate": "TT601D"}, token=tok).json()["items"]
    assert v["inScope"] is False and v["zeroEmission"] is False
    assert z.post_json("/v1/vehicles/_search", {"plate": "ZZ99ZZ"}, token=tok).json() == {"items": []}
    assert z.post_json("/v1/vehicles/_search", {"plate": "B AB 123", "country": "DE"},
                       token=tok).json() == {"items": []}
    bad = z.post_json("/v1/vehicles/_search", {"plate": "1", "x": 2}, token=tok).problem(400)
    assert sorted(e["field"] for e in bad["errors"]) == ["plate", "x"]
    assert z.post_json("/v1/vehicles/_search", {"plate": "VTV69T"},
                       token=world["tok"]["enforcement"]).status == 403


def test_municipalities(world):
    r = world["z"].request("GET", "/v1/municipalities", headers=auth(world["tok"]["enforcement"]))
    assert r.status == 200
    items = {m["code"]: m for m in r.json()["items"]}
    assert len(items) == 21
    assert items[ROTTERDAM]["zeZone"] == {"since": "2025-01-01"}
    assert items[DEN_HAAG]["zeZone"] == {"since": "2025-01-01"}
    assert items[SCHIEDAM]["zeZone"] is None
    assert len(items[DELFT]["ruleSet"]["sha256"]) == 64


def test_checks_keep_answering_while_the_database_is_down(env, private_cluster, zesd_factory):
    """A cluster of the test's own is stopped and started again: checks are
    answered from memory meanwhile, and a grant after the restart arrives."""
    database = Database(env, private_cluster, private_cluster.create_db("access"))
    database.migrate()
    load_vehicles(database)
    tok = database.token("enforcement")[1]
    z = zesd_factory(database.url, config={"db_connect_timeout_ms": "1000"})
    w = {"z": z, "tok": {"enforcement": tok}}
    z.allow_errors(z.log_offset())
    assert one(w, "VTV69T")["basis"] == "zero_emission"
    private_cluster.stop()
    for _ in range(50):
        assert one(w, "VTV69T")["basis"] == "zero_emission"
        assert one(w, "AB12CD")["ground"] == "emission_class_too_low"
    private_cluster.start()
    wait_for(lambda: z.get("/readyz", timeout=10).status == 200, 10, interval=0.1,
             what="/readyz 200 after the database came back")
    exid = insert_exemption(database, "BC23DF", "hardship_clause", ROTTERDAM,
                            "2026-01-01T00:00:00+01", "2027-01-01T00:00:00+01")
    wait_for(lambda: one(w, "BC23DF")["basis"] == "municipal_exemption", 5.0,
             what="a grant after the database came back")
    assert one(w, "BC23DF")["exemptionId"] == exid


def test_metrics_count_decisions_and_show_the_index(world):
    z = world["z"]

    def value(text, name):
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        return None

    before = value(z.get("/metrics").body.decode(), 'zes_access_decisions_total{basis="zero_emission"}')
    check(world, *[{"plate": "VTV69T", "municipality": ROTTERDAM}] * 3)
    text = z.get("/metrics").body.decode()
    assert value(text, 'zes_access_decisions_total{basis="zero_emission"}') == before + 3
    assert value(text, "zes_index_ready") == 1
    assert value(text, "zes_index_vehicles") == len(VEHICLES)
    assert value(text, "zes_index_bytes") > 0


def test_a_burst_larger_than_one_poll_batch_is_applied(world):
    """12,000 grants in one transaction: more change_log rows than the builder
    reads in one poll (10,000), so it takes several polls, and the first and
    the last grant must both arrive."""
    db = world["db"]
    db.psql("INSERT INTO exemptions (plate, country, scope, type, issuer, valid_from, valid_until) "
            "SELECT 'BX' || lpad(g::text, 6, '0'), 'DE', 'municipal', 'day_exemption', 'GM0503', "
            "'2026-06-01T00:00:00+02', '2026-06-02T06:00:00+02' FROM generate_series(1, 12000) g")
    last = {"plate": "BX012000", "country": "DE", "municipality": DELFT,
            "at": "2026-06-01T12:00:00+02:00"}
    wait_for(lambda: check(world, last)[0]["basis"] == "municipal_exemption", 5.0,
             what="the last of 12,000 grants in the access index")
    first = dict(last, plate="BX000001")
    assert check(world, first)[0]["basis"] == "municipal_exemption"


def test_a_stream_of_commits_is_taken_in_paced_polls(world):
    """300 grants, each its own commit, 2 ms apart: the builder is woken by
    every commit's NOTIFY but polls at most once per 10 ms (BUILDER_PACE_MS),
    so it applies them in a few batches per 10 ms instead of one per commit,
    and the last one still arrives."""
    db, z = world["db"], world["z"]

    def deltas():
        return metric_value(z.get("/metrics").body.decode(), "zes_index_deltas_total")

    n = 300
    sql = "".join(
        "INSERT INTO exemptions (plate, country, scope, type, issuer, valid_from, valid_until) "
        f"VALUES ('PS{i:06d}', 'DE', 'municipal', 'day_exemption', 'GM0503', "
        "'2026-06-01T00:00:00+02', '2026-06-02T06:00:00+02');\n"
        "SELECT pg_sleep(0.002);\n" for i in range(1, n + 1))
    before = deltas()
    t0 = time.monotonic()
    c = db.cluster
    # From standard input, each statement is a transaction of its own.
    p = run([os.path.join(c.pgbin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
             "-h", c.host, "-p", c.port, "-U", c.user, "-d", db.name],
            env=clean_env(), input=sql)
    assert p.returncode == 0, p.stderr
    last = {"plate": f"PS{n:06d}", "country": "DE", "municipality": DELFT,
            "at": "2026-06-01T12:00:00+02:00"}
    wait_for(lambda: check(world, last)[0]["basis"] == "municipal_exemption", 5.0,
             what="the last of 300 separate grants in the access index")
    elapsed_ms = (time.monotonic() - t0) * 1000
    applied = deltas() - before
    # Polls 10 ms apart: at most one batch per 10 ms of the whole stream,
    # plus the one a quiet moment lets through at once.
    assert 1 <= applied <= elapsed_ms / 10 + 2, (applied, elapsed_ms)
    first = dict(last, plate="PS000001")
    assert check(world, first)[0]["basis"] == "municipal_exemption"
