"""Data protection (issue 6): keyed plate hashes in the audit trail, the
retention purge of `zesctl purge`, and the tokens' last use.

The applications and exemptions are made through the API (so that the audit
entries are the ones zesd writes), then made old: their timestamps are moved
back directly in SQL, as the schema owner, which no API allows.  The
retention is the default 24 months, read by `zesctl purge --config` from a
zesd configuration file.  The purge must remove exactly the rows ended
before the cut-off (exemptions at their end or revocation, applications
refused or withdrawn, granted ones with their exemption, their
Idempotency-Key records, old change_log rows), keep everything else
(pending applications whatever their age, live and future exemptions),
change nothing on --dry-run, write one audit entry, and leave a chain that
GET /v1/audit-verification finds valid.  No audit entry written since
migration 0006 holds a plate in clear; the plate hash is HMAC-SHA-256 with
the key of zes_plate_key, checked here against Python's (OpenSSL's) HMAC,
and POST /v1/audit-entries/_search finds a plate's entries by it, after the
purge too.  Last use: a token used shows a last use within the write
interval, one never used shows none, a use just before SIGTERM is written
at shutdown, and a read_only zesd writes none.
"""

import hashlib
import hmac
import os
import time
from datetime import datetime, timedelta, timezone

import pytest

from conftest import auth, clean_env, metric_value, run, wait_for

DELFT = "GM0503"
# Foreign plates: the rules decide them without the vehicle register.
PLATES = {n: f"PUR{n}X" for n in range(1, 10)}
APPLICANT = {"kvk": "12345678", "name": "Bakkerij Jansen", "email": "info@example.nl"}


def body(type_, plate, key_evidence=None):
    ev = {"day_exemption": {},
          "hardship_clause": {"motivation": "Our one refrigerated van serves a care home."}}[type_]
    return {"scope": "municipal", "type": type_, "municipality": DELFT, "plate": plate,
            "country": "DE", "applicant": dict(APPLICANT),
            "period": {"from": datetime.now().date().isoformat()}, "evidence": ev}


@pytest.fixture(scope="module")
def world(db, module_zesd_factory):
    toks = {r: db.token(r)[1] for r in ("desk", "auditor", "admin", "enforcement")}
    toks["assessor"] = db.token("assessor", municipality=DELFT)[1]
    z = module_zesd_factory(db.url, config={"rate_write_per_s": 0, "rate_read_per_s": 0})
    return {"z": z, "db": db, "tok": toks}


def post(world, path, b, token="desk", headers=None):
    return world["z"].post_json(path, b, token=world["tok"][token], headers=headers)


def submit(world, type_, plate, key=None):
    r = post(world, "/v1/applications", body(type_, plate),
             headers={"Idempotency-Key": key} if key else None)
    assert r.status == 201, r.body
    return r.json()


def q(db, sql):
    return db.psql(sql)


def ids(db, sql):
    out = db.psql(sql)
    return set(out.split()) if out else set()


def snapshot(db):
    """Every row the purge may touch, as text: equal snapshots, nothing changed."""
    return db.psql(
        "SELECT (SELECT string_agg(id::text || ':' || (revoked_at IS NULL)::text, ','"
        " ORDER BY id)"
        " FROM exemptions) || '|' ||"
        " (SELECT string_agg(id::text || status, ',' ORDER BY id) FROM applications) || '|' ||"
        " (SELECT count(*) FROM idempotency_keys) || '|' ||"
        " (SELECT string_agg(seq::text, ',' ORDER BY seq) FROM change_log) || '|' ||"
        " (SELECT count(*) FROM audit_entries)")


def purge(env, tmp_path, db, *args, retention=None):
    """zesctl purge with a zesd configuration file: its database_url and
    retention_months (the default when retention is None)."""
    conf = tmp_path / "zesd.conf"
    lines = [f"database_url = {db.url}"]
    if retention is not None:
        lines.append(f"retention_months = {retention}")
    conf.write_text("\n".join(lines) + "\n")
    return run([env.zesctl, "purge", "--config", str(conf), *args], env=clean_env())


def plate_hash(db, country, plate):
    key = bytes.fromhex(db.psql("SELECT encode(key, 'hex') FROM zes_plate_key"))
    return "hmac-sha256:" + hmac.new(key, f"{country}/{plate}".encode(), hashlib.sha256).hexdigest()


def audit_search(world, b):
    r = post(world, "/v1/audit-entries/_search", b, token="auditor")
    assert r.status == 200, r.body
    return r.json()["items"]


def test_plate_hash_is_hmac_sha256_of_the_key(world):
    db = world["db"]
    for country, plate in (("NL", "V123FB"), ("DE", "MAB1234"), ("NL", "12ABC3"), ("BE", "1"),
                           ("NL", "ZZ999Z")):
        got = db.psql(f"SELECT zes_plate_hash('{country}', '{plate}')")
        assert got == plate_hash(db, country, plate), (country, plate)
    assert db.psql("SELECT count(*) FROM zes_plate_key") == "1"
    # The key never changes, not even for its owner by accident.
    p = db.psql("UPDATE zes_plate_key SET created_at = now()", check=False)
    assert p.returncode != 0 and "never changes" in p.stderr, p.stderr
    p = db.psql("DELETE FROM zes_plate_key", check=False)
    assert p.returncode != 0 and "never changes" in p.stderr, p.stderr


def make_data(world):
    """The cases, made through the API, then moved back in time in SQL.
    Returns the ids that must go and those that must stay."""
    db, z = world["db"], world["z"]
    gone, kept = {"app": set(), "ex": set()}, {"app": set(), "ex": set()}

    # 1: granted long ago, its exemption ended long ago: both go.
    a = submit(world, "day_exemption", PLATES[1], key="purge-1")
    assert a["status"] == "granted", a
    gone["app"].add(a["id"])
    gone["ex"].add(a["exemption"]["id"])
    db.psql("UPDATE applications SET submitted_at = date_trunc('second', now()"
            " - interval '31 months'), decided_at = date_trunc('second', now()"
            f" - interval '31 months') WHERE id = '{a['id']}';"
            " UPDATE exemptions SET valid_from = now() - interval '31 months',"
            " valid_until = now() - interval '30 months',"
            f" granted_at = now() - interval '31 months' WHERE id = '{a['exemption']['id']}'")
    # (Its Idempotency-Key record stays young: submissions delete expired ones.)

    # 2: granted, its exemption still valid: both stay.
    a = submit(world, "day_exemption", PLATES[2], key="purge-2")
    assert a["status"] == "granted", a
    kept["app"].add(a["id"])
    kept["ex"].add(a["exemption"]["id"])
    db.psql("UPDATE applications SET submitted_at = date_trunc('second', now()"
            " - interval '40 months'), decided_at = date_trunc('second', now()"
            f" - interval '40 months') WHERE id = '{a['id']}'")

    # 3: in review for 40 months: pending, never purged.
    a = submit(world, "hardship_clause", PLATES[3])
    assert a["status"] == "in_review", a
    kept["app"].add(a["id"])
    db.psql("UPDATE applications SET submitted_at = date_trunc('second', now()"
            f" - interval '40 months') WHERE id = '{a['id']}'")

    # 4: withdrawn 30 months ago (its Idempotency-Key record goes with it).
    a = submit(world, "hardship_clause", PLATES[4], key="purge-4")
    r = post(world, f"/v1/applications/{a['id']}/withdrawal", {})
    assert r.status == 200, r.body
    gone["app"].add(a["id"])
    db.psql("UPDATE applications SET submitted_at = date_trunc('second', now()"
            " - interval '31 months'), withdrawn_at = date_trunc('second', now()"
            f" - interval '30 months') WHERE id = '{a['id']}'")

    # 5: refused by an assessor 30 months ago: goes.  6: refused 20 months ago: stays.
    for n, months, into in ((5, 30, gone), (6, 20, kept)):
        a = submit(world, "hardship_clause", PLATES[n])
        r = post(world, f"/v1/applications/{a['id']}/decision",
                 {"outcome": "rejected", "reason": "Geen bijzondere omstandigheden."},
                 token="assessor")
        assert r.status == 200 and r.json()["status"] == "rejected", r.body
        into["app"].add(a["id"])
        db.psql(f"UPDATE applications SET submitted_at = date_trunc('second', now()"
                f" - interval '{months + 1} months'), decided_at = date_trunc('second', now()"
                f" - interval '{months} months') WHERE id = '{a['id']}'")

    # 7: granted long ago by an assessor, and the exemption then revoked long
    # ago although its period runs on: ended at the revocation, both go.
    a = submit(world, "hardship_clause", PLATES[7])
    r = post(world, f"/v1/applications/{a['id']}/decision",
             {"outcome": "granted", "reason": "Akkoord.",
              "validUntil": (datetime.now().date() + timedelta(days=300)).isoformat()},
             token="assessor")
    assert r.status == 200 and r.json()["status"] == "granted", r.body
    ex = r.json()["exemption"]["id"]
    r = post(world, f"/v1/exemptions/{ex}/revocation", {"reason": "Voertuig verkocht."},
             token="admin")
    assert r.status == 200, r.body
    gone["app"].add(a["id"])
    gone["ex"].add(ex)
    db.psql("UPDATE applications SET submitted_at = date_trunc('second', now()"
            " - interval '32 months'), decided_at = date_trunc('second', now()"
            f" - interval '32 months') WHERE id = '{a['id']}';"
            " UPDATE exemptions SET valid_from = now() - interval '32 months',"
            f" revoked_at = now() - interval '30 months' WHERE id = '{ex}'")

    # Exemptions without an application (national ones, written in SQL):
    # ended 30 months ago (goes), 20 months ago (stays), live, and future.
    for n, frm, until, into in ((8, "32 months", "30 months", gone),
                                (9, "22 months", "20 months", kept),
                                (1, "1 day", "-300 days", kept),
                                (2, "-30 days", "-300 days", kept)):
        i = db.psql("INSERT INTO exemptions (plate, country, scope, type, issuer,"
                    " valid_from, valid_until) VALUES"
                    f" ('{PLATES[n]}', 'DE', 'national', 'special_vehicle', 'national',"
                    f" now() - interval '{frm}', now() - interval '{until}') RETURNING id")
        into["ex"].add(i.splitlines()[0])
    return gone, kept


def test_purge_removes_exactly_what_ended_before_the_retention(world, env, tmp_path):
    db = world["db"]
    gone, kept = make_data(world)
    # Two old change_log rows (of nothing in particular): older than the cut-off.
    db.psql("UPDATE change_log SET at = now() - interval '25 months'"
            " WHERE seq IN (SELECT seq FROM change_log ORDER BY seq LIMIT 2)")
    idem = int(db.psql("SELECT count(*) FROM idempotency_keys"))
    assert idem == 3
    # Every application and exemption of the module is one of the cases.
    assert ids(db, "SELECT id FROM applications") == gone["app"] | kept["app"]
    assert ids(db, "SELECT id FROM exemptions") == gone["ex"] | kept["ex"]

    before = snapshot(db)
    p = purge(env, tmp_path, db, "--dry-run")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("cutoff ") and "(24 months)" in lines[0], p.stdout
    assert lines[1] == (f"would remove exemptions {len(gone['ex'])}, applications "
                        f"{len(gone['app'])}, idempotency keys 2, change log rows 2"), p.stdout
    assert snapshot(db) == before, "--dry-run changed something"

    # The cut-off is 24 months before now, to the second.
    cutoff = datetime.strptime(lines[0].split()[1], "%Y-%m-%dT%H:%M:%SZ")
    expect = datetime.fromisoformat(db.psql(
        "SELECT to_char((now() - interval '24 months') AT TIME ZONE 'UTC',"
        " 'YYYY-MM-DD\"T\"HH24:MI:SS')"))
    assert abs((expect - cutoff).total_seconds()) < 60, (cutoff, expect)

    def indexed():
        return metric_value(world["z"].get("/metrics").body.decode(), "zes_index_exemptions")

    total = len(gone["ex"]) + len(kept["ex"])
    wait_for(lambda: indexed() == total, 5.0, what="every exemption in the access index")

    audit_before = int(db.psql("SELECT count(*) FROM audit_entries"))
    p = purge(env, tmp_path, db)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[1] == (
        f"removed exemptions {len(gone['ex'])}, applications {len(gone['app'])},"
        " idempotency keys 2, change log rows 2"), p.stdout

    assert ids(db, "SELECT id FROM applications") == kept["app"]
    assert ids(db, "SELECT id FROM exemptions") == kept["ex"]
    assert db.psql("SELECT count(*) FROM idempotency_keys") == "1"
    assert db.psql("SELECT count(*) FROM change_log WHERE at < now() - interval '24 months'") == "0"
    # A change_log row tells the index of each exemption gone.
    assert ids(db, "SELECT object_id FROM change_log WHERE op = 'purge'") == gone["ex"]
    # ... and the index, loading afresh, holds only those left.
    wait_for(lambda: indexed() == len(kept["ex"]), 10.0,
             what="the purged exemptions gone from the access index")

    # One audit entry, linked by zesctl, with the counts and no plate.
    assert int(db.psql("SELECT count(*) FROM audit_entries")) == audit_before + 1
    row = db.psql("SELECT actor || '|' || object || '|' || (seq IS NOT NULL)::text || '|' ||"
                  " (detail->>'exemptions') || '|' || (detail->>'applications') || '|' ||"
                  " (detail->>'idempotencyKeys') || '|' || (detail->>'changeLog')"
                  " FROM audit_entries WHERE action = 'purge'")
    assert row == (f"zesctl|retention/purge|true|{len(gone['ex'])}|{len(gone['app'])}|2|2"), row

    # The chain verifies: no entry needed to change.
    r = world["z"].request("GET", "/v1/audit-verification",
                           headers=auth(world["tok"]["auditor"]))
    assert r.status == 200 and r.json()["ok"] is True, r.body
    assert r.json()["entries"] == audit_before + 1, r.body

    # Nothing more to remove: a second purge removes nothing.
    p = purge(env, tmp_path, db)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[1] == ("removed exemptions 0, applications 0,"
                                        " idempotency keys 0, change log rows 0"), p.stdout

    # The purged grant had ended: the access index still admits nothing by
    # it, while the live exemption of the same plate still admits.
    r = post(world, "/v1/access-checks", {"checks": [
        {"plate": PLATES[8], "country": "DE", "municipality": DELFT},
        {"plate": PLATES[1], "country": "DE", "municipality": DELFT}]}, token="enforcement")
    assert r.status == 200, r.body
    first, second = r.json()["results"]
    assert first["basis"] != "national_exemption", first
    assert second["allowed"] is True and second["basis"] == "national_exemption", second


def test_audit_holds_no_plate_in_clear_and_finds_plates_by_hash(world):
    db = world["db"]
    # Everything here was written after migration 0006.
    text = db.psql("SELECT string_agg(a::text, E'\\n') FROM audit_entries a")
    assert text
    for plate in PLATES.values():
        assert plate not in text, plate
    for secret in ("12345678", "Bakkerij", "info@example.nl"):
        assert secret not in text, secret
    # The entries about an application or exemption carry its plate's hash.
    unhashed = db.psql("SELECT count(*) FROM audit_entries WHERE"
                       " (object LIKE 'application/%' OR object LIKE 'exemption/%')"
                       " AND NOT detail ? 'plateHash'")
    assert unhashed == "0"
    # The search hashes the plate it is given: submission and grant of
    # case 1, purged since, are still found; the display form works too.
    h1 = plate_hash(db, "DE", PLATES[1])
    items = audit_search(world, {"plate": PLATES[1].lower(), "country": "DE"})
    assert [e["action"] for e in items] == ["application.submit", "exemption.grant"], items
    assert all(e["detail"]["plateHash"] == h1 for e in items)
    # Case 7: submitted, decided, granted, revoked.
    items = audit_search(world, {"plate": PLATES[7], "country": "DE", "limit": 2})
    assert [e["action"] for e in items] == ["application.submit", "application.decide"]
    more = audit_search(world, {"plate": PLATES[7], "country": "DE",
                                "cursor": f"a{items[-1]['seq']}"})
    assert [e["action"] for e in more] == ["exemption.grant", "exemption.revoke"], more
    # Another country's plate of the same text is another plate.
    assert audit_search(world, {"plate": PLATES[1], "country": "FR"}) == []
    # A Dutch plate that fits no sidecode, a bad country, a country alone: 400.
    for bad, field in (({"plate": "Q"}, "plate"), ({"plate": "AB", "country": "de"}, "country"),
                       ({"country": "DE"}, "country"), ({"plate": 7}, "plate")):
        r = post(world, "/v1/audit-entries/_search", bad, token="auditor")
        doc = r.problem(400)
        assert field in [e["field"] for e in doc["errors"]], (bad, doc)


def test_purge_usage_and_retention_bounds(world, env, tmp_path):
    db = world["db"]
    for months in (3, 12):
        p = purge(env, tmp_path, db, retention=months)
        assert p.returncode == 1 and "retention_months" in p.stderr, (p.stdout, p.stderr)
    p = purge(env, tmp_path, db, "--dry-run", retention=1201)
    assert p.returncode == 1 and "retention_months" in p.stderr, (p.stdout, p.stderr)
    p = purge(env, tmp_path, db, "--dry-run", retention=13)
    assert p.returncode == 0 and "(13 months)" in p.stdout, (p.stdout, p.stderr)
    # The SQL function refuses less than 13 months too, whoever calls it.
    p = db.cluster.psql(db.name, "SELECT zes_purge(12, true)", check=False)
    assert p.returncode != 0 and "13 or more" in p.stderr, (p.stdout, p.stderr)
    p = purge(env, tmp_path, db, "--dry-run", "--dry-run")
    assert p.returncode == 2, p.stderr
    p = purge(env, tmp_path, db, "extra")
    assert p.returncode == 2, p.stderr
    # ZES_RETENTION_MONTHS wins over the file, as for zesd.
    conf = tmp_path / "zesd.conf"
    p = run([env.zesctl, "--database-url", db.url, "purge", "--dry-run", "--config", str(conf)],
            env=clean_env({"ZES_RETENTION_MONTHS": "36"}))
    assert p.returncode == 0 and "(36 months)" in p.stdout, (p.stdout, p.stderr)
    # Without --config: the default, and the database of --database-url.
    p = db.zesctl("purge", "--dry-run")
    assert "(24 months)" in p.stdout, p.stdout
    p = db.zesctl("purge", "--help")
    assert "--dry-run" in p.stdout and "retention_months" in p.stdout


# -- the tokens' last use

def last_used(db, name):
    return db.psql(f"SELECT coalesce(extract(epoch FROM last_used_at)::bigint::text, '-')"
                   f" FROM tokens WHERE name = '{name}'")


def token_list(db):
    rows = {}
    for line in db.zesctl("token", "list").stdout.splitlines()[1:]:
        f = line.split()
        rows[f[0]] = f[-1]
    return rows


def test_token_last_use_is_written_within_the_interval(db, zesd_factory):
    used_name, used = db.token("auditor")
    idle_name, _ = db.token("auditor")
    z = zesd_factory(db.url, config={"token_last_use_ms": 1000})
    t0 = int(time.time())
    r = z.request("GET", "/v1/audit-verification", headers=auth(used))
    assert r.status == 200, r.body
    t1 = int(time.time())
    wait_for(lambda: last_used(db, used_name) != "-", 4.0, what="last_used_at written")
    at = int(last_used(db, used_name))
    assert t0 <= at <= t1, (t0, at, t1)
    assert last_used(db, idle_name) == "-"
    rows = token_list(db)
    assert rows[idle_name] == "-"
    assert rows[used_name] == datetime.fromtimestamp(at, timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    # A later use moves it on; no change_log row (nor token reload) follows.
    log = db.psql("SELECT count(*) FROM change_log WHERE kind = 'token'")
    time.sleep(1.1)
    assert z.request("GET", "/v1/audit-verification", headers=auth(used)).status == 200
    wait_for(lambda: int(last_used(db, used_name)) > at, 4.0, what="a later last use")
    assert db.psql("SELECT count(*) FROM change_log WHERE kind = 'token'") == log


def test_token_last_use_is_written_at_shutdown(db, zesd_factory):
    name, token = db.token("auditor")
    z = zesd_factory(db.url, config={"token_last_use_ms": 3600000})
    assert z.request("GET", "/v1/audit-verification", headers=auth(token)).status == 200
    time.sleep(0.3)
    assert last_used(db, name) == "-"   # the interval is an hour
    assert z.stop() == []
    assert last_used(db, name) != "-"


def test_read_only_zesd_writes_no_last_use(db, zesd_factory):
    name, token = db.token("auditor")
    z = zesd_factory(db.url, config={"token_last_use_ms": 1000, "read_only": "true"})
    assert z.request("GET", "/v1/audit-verification", headers=auth(token)).status == 200
    time.sleep(2.5)
    assert z.stop() == []
    assert last_used(db, name) == "-"
