"""Rule sets over HTTP and reloads of the rules folder.

zesd runs on a copy of rules/ that the tests edit.  Covers the list (every
loaded file, national first, versions and SHA-256 of the bytes on disk, the
types each file offers) and one rule set with its document; the roles; a
reload by POST that shows a new version everywhere and writes its audit
entry; a broken folder answered 400 with every error as file#/pointer while
the old rules stay in force (and access checks keep answering); SIGHUP and
POST going the same way; concurrent reloads, each with its own entry; and a
reload that outlives its request's deadline or meets a SIGTERM without
harm to the daemon.
"""

import calendar
import hashlib
import json
import os
import shutil
import signal
import threading
import time

import pytest

from conftest import auth, wait_for

ROTTERDAM, DEN_HAAG, DELFT = "GM0599", "GM0518", "GM0503"


def file_sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def offered_types(doc):
    types = doc.get("types") or {}
    return [code for code, t in types.items() if not (isinstance(t, dict) and t.get("offered") is False)]


def expected_sets(rules_dir):
    """What the folder holds: {code: (version, sha256, types, document)}."""
    out = {}
    for name in sorted(os.listdir(rules_dir)):
        if not name.endswith(".json") or name.endswith(".schema.json"):
            continue
        path = os.path.join(rules_dir, name)
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        code = "national" if name == "national.json" else name[:-5]
        out[code] = (doc["version"], file_sha(path), offered_types(doc), doc)
    return out


def set_version(rules_dir, code, version):
    path = os.path.join(rules_dir, f"{code}.json")
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    doc["version"] = version
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent="\t", ensure_ascii=False)
        f.write("\n")
    return file_sha(path)


def rfc3339_seconds(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


@pytest.fixture(scope="module")
def world(db, module_zesd_factory, tmp_path_factory, env):
    rules = str(tmp_path_factory.mktemp("rules") / "rules")
    shutil.copytree(os.path.join(env.source_dir, "rules"), rules)
    toks = {r: db.token(r, municipality=ROTTERDAM if r == "assessor" else None)
            for r in ("desk", "assessor", "admin", "auditor", "enforcement")}
    started = time.time()
    z = module_zesd_factory(db.url, config={"rules_dir": rules})
    # Broken folders are part of the tests: the loader logs their errors.
    z.expect_error(r'"event":"(rules_invalid|rules_kept)"')
    return {"z": z, "db": db, "rules": rules, "started": started,
            "tok": {k: v[1] for k, v in toks.items()}, "name": {k: v[0] for k, v in toks.items()}}


def get(world, path, who="desk"):
    return world["z"].get(path, headers=auth(world["tok"][who]))


def reload_post(world, who="admin", timeout=30.0):
    return world["z"].request("POST", "/v1/rule-set-reloads", headers=auth(world["tok"][who]),
                              timeout=timeout)


def listed(world, who="desk"):
    r = get(world, "/v1/rule-sets", who=who)
    assert r.status == 200, r.body
    return r.json()["items"]


def reload_entries(db):
    # Every reload entry committed so far, once linked into the chain (zesd
    # links within audit_link_ms): before then it has no seq.
    wait_for(lambda: db.psql("SELECT count(*) FROM audit_entries WHERE action = 'rule-set.reload'"
                             " AND seq IS NULL") == "0", 2.0, what="the reload entries linked")
    rows = db.psql("SELECT seq || '|' || actor || '|' || object || '|' || detail::text"
                   " FROM audit_entries WHERE action = 'rule-set.reload' AND seq IS NOT NULL"
                   " ORDER BY seq")
    out = []
    for line in rows.splitlines():
        seq, actor, obj, detail = line.split("|", 3)
        out.append((int(seq), actor, obj, json.loads(detail)))
    return out


def assert_items_match_folder(items, rules_dir):
    want = expected_sets(rules_dir)
    codes = [it["municipality"] for it in items]
    assert codes[0] == "national" and codes[1:] == sorted(c for c in want if c != "national"), codes
    assert sorted(codes) == sorted(want), "every loaded file, once"
    for it in items:
        version, sha, types, doc = want[it["municipality"]]
        assert set(it) == {"municipality", "name", "version", "sha256", "loadedAt", "types"}, it
        assert (it["version"], it["sha256"], it["types"]) == (version, sha, types), it["municipality"]
        assert it["name"] == doc["name"]


def test_list_is_every_loaded_file(world):
    items = listed(world)
    assert len(items) == 22
    assert_items_match_folder(items, world["rules"])
    at = {it["loadedAt"] for it in items}
    assert len(at) == 1, "one load, one instant"
    assert world["started"] - 2 <= rfc3339_seconds(at.pop()) <= time.time() + 2
    # The roles that read; enforcement does not.
    for who in ("assessor", "admin", "auditor"):
        assert listed(world, who=who) == items
    get(world, "/v1/rule-sets", who="enforcement").problem(403)
    p = get(world, "/v1/rule-sets?municipality=GM0599").problem(400)
    assert [e["field"] for e in p["errors"]] == ["municipality"]


def test_one_rule_set_as_loaded(world):
    want = expected_sets(world["rules"])
    for code in ("national", ROTTERDAM, "GM0489"):
        r = get(world, f"/v1/rule-sets/{code}")
        assert r.status == 200, r.body
        doc = r.json()
        version, sha, types, document = want[code]
        assert (doc["municipality"], doc["version"], doc["sha256"], doc["types"]) == \
            (code, version, sha, types)
        assert doc["document"] == document, "the file as loaded"
    for unknown in ("GM9999", "gm0599", "nationaal", "GM0599.json"):
        get(world, f"/v1/rule-sets/{unknown}").problem(404)
    get(world, f"/v1/rule-sets/{ROTTERDAM}", who="enforcement").problem(403)
    assert get(world, f"/v1/rule-sets/{ROTTERDAM}", who="auditor").status == 200


def test_reload_by_post_shows_the_new_version(world):
    db, rules = world["db"], world["rules"]
    before = reload_entries(db)
    old = {it["municipality"]: it for it in listed(world)}
    time.sleep(1.1)  # loadedAt has whole seconds: let it move
    sha = set_version(rules, DELFT, "2099.1-test")
    r = reload_post(world)
    assert r.status == 200, r.body
    items = r.json()["items"]
    assert_items_match_folder(items, rules)
    new = {it["municipality"]: it for it in items}
    assert (new[DELFT]["version"], new[DELFT]["sha256"]) == ("2099.1-test", sha)
    assert new[ROTTERDAM]["sha256"] == old[ROTTERDAM]["sha256"]
    assert rfc3339_seconds(new[DELFT]["loadedAt"]) > rfc3339_seconds(old[DELFT]["loadedAt"])
    # In force at once: the list, the rule set and the municipalities agree.
    assert listed(world) == items
    assert get(world, f"/v1/rule-sets/{DELFT}").json()["version"] == "2099.1-test"
    munis = {m["code"]: m for m in get(world, "/v1/municipalities").json()["items"]}
    assert munis[DELFT]["ruleSet"] == {"version": "2099.1-test", "sha256": sha}
    # One audit entry, by the admin's token, listing every version and what changed.
    entries = wait_for(lambda: reload_entries(db)[len(before):] or None, 5.0,
                       what="the reload's audit entry")
    assert len(entries) == 1, entries
    _, actor, obj, detail = entries[0]
    assert (actor, obj) == (world["name"]["admin"], "rule-set/all")
    assert detail["trigger"] == "POST /v1/rule-set-reloads"
    assert detail["changed"] == [DELFT] and detail["removed"] == []
    assert {s["municipality"]: s["version"] for s in detail["ruleSets"]} == \
        {it["municipality"]: it["version"] for it in items}


def test_broken_folder_keeps_the_old_rules(world):
    db, rules, z = world["db"], world["rules"], world["z"]
    in_force = listed(world)
    saved = {}
    for code in (DELFT, DEN_HAAG):
        with open(os.path.join(rules, f"{code}.json"), "rb") as f:
            saved[code] = f.read()
    try:
        with open(os.path.join(rules, f"{DELFT}.json"), "w") as f:
            f.write("{ not json")
        doc = json.loads(saved[DEN_HAAG])
        doc["version"], doc["name"] = 5, []
        with open(os.path.join(rules, f"{DEN_HAAG}.json"), "w") as f:
            json.dump(doc, f)
        entries = len(reload_entries(db))
        p = reload_post(world).problem(400)
        fields = sorted(e["field"] for e in p["errors"])
        assert fields == [f"{DELFT}.json#", f"{DEN_HAAG}.json#/name",
                          f"{DEN_HAAG}.json#/version"], p["errors"]
        assert all(e["message"] for e in p["errors"])
        # The old rules stay: the list, the rule set, and access checks answer with them.
        assert listed(world) == in_force
        assert get(world, f"/v1/rule-sets/{DELFT}").json()["version"] == \
            {it["municipality"]: it for it in in_force}[DELFT]["version"]
        r = z.post_json("/v1/access-checks", {"checks": [
            {"plate": "VTV69T", "municipality": DELFT, "at": "2026-06-01T12:00:00Z"},
            {"plate": "VTV69T", "municipality": "GM0606", "at": "2026-06-01T12:00:00Z"}]},
            token=world["tok"]["enforcement"])
        assert r.status == 200, r.body
        assert [x["basis"] for x in r.json()["results"]] == ["unknown_vehicle", "no_zone"]
        # A failed reload changes nothing, so it writes no audit entry.
        time.sleep(0.3)
        assert len(reload_entries(db)) == entries
    finally:
        for code, data in saved.items():
            with open(os.path.join(rules, f"{code}.json"), "wb") as f:
                f.write(data)
    r = reload_post(world)
    assert r.status == 200, r.body
    assert_items_match_folder(r.json()["items"], rules)


def test_sighup_and_post_agree(world):
    db, rules, z = world["db"], world["rules"], world["z"]
    before = len(reload_entries(db))
    sha = set_version(rules, ROTTERDAM, "2099.2-hup")
    z.signal(signal.SIGHUP)
    wait_for(lambda: get(world, f"/v1/rule-sets/{ROTTERDAM}").json()["version"] == "2099.2-hup",
             5.0, what="the SIGHUP reload")
    by_signal = listed(world)
    assert {it["municipality"]: it["sha256"] for it in by_signal}[ROTTERDAM] == sha
    r = reload_post(world)
    assert r.status == 200, r.body
    by_post = r.json()["items"]
    strip = lambda items: [{k: v for k, v in it.items() if k != "loadedAt"} for it in items]
    assert strip(by_post) == strip(by_signal)
    entries = wait_for(lambda: len(reload_entries(db)) >= before + 2 and reload_entries(db), 5.0,
                       what="both audit entries")[before:]
    assert [(e[1], e[3]["trigger"]) for e in entries] == \
        [("zesd", "SIGHUP"), (world["name"]["admin"], "POST /v1/rule-set-reloads")]
    assert entries[0][3]["changed"] == [ROTTERDAM] and entries[1][3]["changed"] == []


def test_concurrent_reloads_are_serialised(world):
    db = world["db"]
    before = len(reload_entries(db))
    results = [None] * 6

    def one(i):
        results[i] = reload_post(world)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(r is not None and r.status == 200 for r in results), results
    # The folder did not change: every answer lists the same rule sets.
    strip = lambda items: [{k: v for k, v in it.items() if k != "loadedAt"} for it in items]
    assert all(strip(r.json()["items"]) == strip(listed(world)) for r in results)
    # One reload and one audit entry per request.
    wait_for(lambda: len(reload_entries(db)) == before + len(results), 5.0,
             what="one audit entry per reload")
    # The chain still verifies.
    v = get(world, "/v1/audit-verification", who="auditor")
    assert v.status == 200 and v.json()["ok"] is True, v.body


def test_reload_roles_and_input(world):
    for who in ("desk", "assessor", "auditor", "enforcement"):
        reload_post(world, who=who).problem(403)
    z = world["z"]
    # No body, or an empty object (as a client library may always send).
    json_headers = dict(auth(world["tok"]["admin"]), **{"Content-Type": "application/json"})
    r = z.request("POST", "/v1/rule-set-reloads", headers=json_headers, body="{}")
    assert r.status == 200 and r.json()["items"], r.body
    r = z.request("POST", "/v1/rule-set-reloads", headers=json_headers, body='{"now":true}')
    assert [e["field"] for e in r.problem(400)["errors"]] == ["now"]
    r = z.request("POST", "/v1/rule-set-reloads", headers=json_headers, body="[]")
    r.problem(400)
    p = z.request("POST", "/v1/rule-set-reloads?now=1", headers=auth(world["tok"]["admin"])) \
        .problem(400)
    assert [e["field"] for e in p["errors"]] == ["now"]
    z.get("/v1/rule-set-reloads", headers=auth(world["tok"]["admin"])).problem(405)


def big_folder(env, tmp_path):
    """A valid folder that takes a while to read: 21 notes of 1 MB and 40 more such files."""
    rules = str(tmp_path / "big")
    shutil.copytree(os.path.join(env.source_dir, "rules"), rules)
    for name in os.listdir(rules):
        if name.startswith("GM") and name.endswith(".json"):
            path = os.path.join(rules, name)
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            doc["note"] = "x" * 1000000
            with open(path, "w", encoding="utf-8") as f:
                json.dump(doc, f)
    for i in range(40):
        with open(os.path.join(rules, f"GM{9000 + i}.json"), "w", encoding="utf-8") as f:
            json.dump({"format": 1, "issuer": f"GM{9000 + i}", "name": f"Big {i}",
                       "version": "1", "note": "y" * 1000000, "zone": None}, f)
    return rules


def test_a_reload_outlives_its_request(env, db, zesd_factory, tmp_path):
    """The request's deadline (100 ms) passes while the main thread reads a
    large folder: the request is answered 503 and forgotten, the reload
    still completes, and the daemon carries on."""
    admin = db.token("admin")[1]
    z = zesd_factory(db.url, config={"rules_dir": big_folder(env, tmp_path),
                                     "request_timeout_ms": "100"})
    start = z.log_offset()
    r = z.request("POST", "/v1/rule-set-reloads", headers=auth(admin))
    r.problem(503)
    z.wait_log(lambda rec: rec.get("event") == "rules_loaded", since=start, timeout=20,
               what="the reload finishing after its request left")
    r = z.get("/v1/rule-sets", headers=auth(admin))
    assert r.status == 200 and len(r.json()["items"]) == 62
    assert z.get("/healthz").status == 200


def test_sigterm_while_a_reload_runs(env, db, zesd_factory, tmp_path):
    """SIGTERM arrives while a reload is running: the waiting request gets an
    answer (the outcome, or 503 because zesd is stopping), the reload's audit
    entry is written before zesd exits, and it exits 0 with a clean log (the
    teardown checks the log)."""
    admin_name, admin = db.token("admin")
    before = len(reload_entries(db))
    z = zesd_factory(db.url, config={"rules_dir": big_folder(env, tmp_path)})
    start = z.log_offset()
    got = {}

    def ask():
        try:
            got["r"] = z.request("POST", "/v1/rule-set-reloads", headers=auth(admin), timeout=30)
        except AssertionError as e:  # the connection closed without an answer
            got["e"] = e

    t = threading.Thread(target=ask)
    t.start()
    z.wait_log(lambda rec: rec.get("event") == "rules_reload", since=start, timeout=10,
               what="the reload starting")
    z.signal(signal.SIGTERM)
    t.join(30)
    assert not t.is_alive()
    assert "e" in got or got["r"].status in (200, 503), got
    assert z.wait_exit() == 0
    # The reload had started, so it completed, and zesd waited for its audit entry.
    assert [e[1] for e in reload_entries(db)[before:]] == [admin_name]
