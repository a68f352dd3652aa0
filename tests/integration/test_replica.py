"""A replicated deployment (issue 7, "Beyond one machine"; docs/operations.md,
"Replicated deployment"): a PostgreSQL primary and a streaming standby made
from it with pg_basebackup -R, both private to this module, a read-write
zesd on the primary and a read_only zesd on the standby.

Day exemptions granted through the first are timed until an access check at
the second answers with them (p50/p99 printed for the ctest log; p99 must
stay under 2 s with index_poll_ms = 100 on the standby's zesd).  The
read_only zesd refuses every route `zesd --routes` flags as writing (503 of
type read-only, no Retry-After, nothing written on the primary) and serves
every other one: desk reads, searches, access checks, audit reads; its log
has no error of LISTEN or audit linking.  A zesd without read_only refuses
to start on the standby, and a read_only one on a schema older than it
needs, each with a message that says why.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from conftest import Cluster, Database, Zesd, auth, clean_env, free_port, pg_sh, wait_for

ROTTERDAM = "GM0599"
AMS = ZoneInfo("Europe/Amsterdam")
GRANTS = 100
STANDBY_POLL_MS = 100
P99_BOUND_S = 2.0

# One van per grant (N1, diesel, class 4: refused in Rotterdam without an
# exemption), sidecode XX-99-XX.
PLATES = [f"R{letter}{n:02d}ZX" for letter in "ABCD" for n in range(25)]
EXTRA = "RE00ZX"    # for the desk reads


def as_postgres(argv):
    """argv run as the clusters' owner: initdb and the server refuse root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def run_pg(argv, timeout=120):
    p = subprocess.run(as_postgres(argv), capture_output=True, text=True, timeout=timeout,
                       cwd="/", env=clean_env())
    assert p.returncode == 0, f"{' '.join(argv)} exited {p.returncode}: {p.stdout}{p.stderr}"
    return p


def owned_dir(path):
    os.makedirs(path, mode=0o700)
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def load_vans(db):
    rows = [f"('{p}', 'N1', 'Bedrijfsauto', 'gesloten opbouw', 'BB', NULL, '{{}}'::int[], "
            "ARRAY['Diesel']::text[], ARRAY['4']::text[], '2015-01-01', 3000, "
            "(SELECT zes_change('vehicles', 'test', 'import')))" for p in PLATES + [EXTRA]]
    db.psql("INSERT INTO vehicles (plate, category, vehicle_type, body_description, body_type, "
            "body_code, special_codes, fuel_names, fuel_classes, first_admission, mass_kg, "
            "change_seq) VALUES " + ",\n".join(rows))


def newest_migration(env):
    return sorted(f[:4] for f in os.listdir(env.schema_dir)
                  if f.endswith(".sql") and f[:4].isdigit())


@pytest.fixture(scope="module")
def clusters(env):
    """The primary (scripts/pg.sh) and its streaming standby (pg_basebackup -R)."""
    top = tempfile.mkdtemp(prefix="zes-rep-")
    os.chmod(top, 0o755)  # our own directory: let postgres traverse it
    sdata = None
    pdir = os.path.join(top, "primary")
    try:
        pport, sport = free_port(), free_port()
        p = pg_sh(env, "start", pdir, str(pport), extra_env={"PG_FAST": "1"})
        assert p.returncode == 0, f"pg.sh start failed: {p.stdout}{p.stderr}"
        phost = pg_sh(env, "url", pdir, str(pport)).stdout.split()[0].split("=", 1)[1]
        primary = Cluster(phost, pport, "postgres", env.pgbin)

        db = Database(env, primary, "zesd")
        # PG_FAST turns synchronous_commit off: a commit's WAL would then reach
        # the standby only at the WAL writer's next round (200 ms), a delay no
        # production primary has.  Back on for zesd's database (fsync stays off).
        db.psql('ALTER DATABASE zesd SET synchronous_commit = on')
        db.migrate()
        load_vans(db)
        # A second database whose newest migration is not recorded: a schema
        # older than this zesd needs, on the standby too.
        old = Database(env, primary, primary.create_db("replica_old"))
        old.migrate()
        old.psql("DELETE FROM schema_migrations WHERE version = (SELECT max(version) "
                 "FROM schema_migrations)")
        toks = {r: db.token(r)[1] for r in ("desk", "enforcement", "auditor", "admin")}
        toks["assessor"] = db.token("assessor", municipality=ROTTERDAM)[1]

        sdir = os.path.join(top, "standby")
        owned_dir(sdir)
        sdata, ssock = os.path.join(sdir, "data"), os.path.join(sdir, "sock")
        owned_dir(ssock)
        bin_ = env.pgbin
        run_pg([os.path.join(bin_, "pg_basebackup"), "-h", phost, "-p", str(pport), "-U", "postgres",
                "-D", sdata, "-R", "-X", "stream", "-c", "fast"])
        # A hot standby needs max_connections at least the primary's (pg.sh: 200).
        slog = os.path.join(sdir, "log")
        p = subprocess.run(as_postgres([
            os.path.join(bin_, "pg_ctl"), "start", "-D", sdata, "-l", slog, "-w", "-t", "60", "-s",
            "-o", f"-p {sport} -k {ssock} -c listen_addresses= -c hot_standby=on -c fsync=off "
            "-c max_connections=200 -c unix_socket_permissions=0700"]),
            capture_output=True, text=True, timeout=120, cwd="/", env=clean_env())
        if p.returncode != 0:
            with open(slog, encoding="utf-8", errors="replace") as f:
                pytest.fail(f"the standby did not start: {p.stderr}\n{f.read()[-3000:]}")
        standby = Cluster(ssock, sport, "postgres", env.pgbin)
        assert standby.psql("zesd", "SELECT pg_is_in_recovery()") == "t"
        wait_for(lambda: standby.psql("zesd", "SELECT count(*) FROM vehicles")
                 == str(len(PLATES) + 1), 10, what="the register on the standby")
        yield {"primary": primary, "standby": standby, "db": db, "old": old, "tok": toks,
               "top": top, "sdata": sdata}
    finally:
        if sdata is not None and os.path.exists(os.path.join(sdata, "postmaster.pid")):
            subprocess.run(as_postgres([os.path.join(env.pgbin, "pg_ctl"), "stop", "-D", sdata,
                                        "-m", "fast", "-w", "-s"]),
                           capture_output=True, cwd="/", timeout=60)
        pg_sh(env, "destroy", pdir)
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="module")
def world(clusters, module_zesd_factory):
    """Both zesd, started after the tokens exist (their first load has them)."""
    c = clusters
    unlimited = {"rate_write_per_s": 0, "rate_read_per_s": 0, "rate_enforcement_per_s": 0}
    rw = module_zesd_factory(c["db"].url, config=dict(unlimited))
    ro = module_zesd_factory(c["standby"].url("zesd"),
                             config=dict(unlimited, read_only="true",
                                         index_poll_ms=STANDBY_POLL_MS))
    return dict(c, rw=rw, ro=ro)


def day_exemption(plate):
    return {"scope": "municipal", "type": "day_exemption", "municipality": ROTTERDAM,
            "plate": plate, "period": {"from": datetime.now(AMS).date().isoformat()},
            "applicant": {"kvk": "12345678", "name": "Bakkerij Jansen",
                          "email": "info@example.nl"},
            "evidence": {}}


def checks(z, token, plates):
    r = z.post_json("/v1/access-checks",
                    {"checks": [{"plate": p, "municipality": ROTTERDAM} for p in plates]},
                    token=token)
    assert r.status == 200, r.body
    return r.json()["results"]


def percentile(values, q):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, -(-len(s) * q // 100) - 1))]


def test_grants_reach_the_read_only_zesd(world, capsys):
    rw, ro, tok = world["rw"], world["ro"], world["tok"]
    # Refused before: the grant is what lets each van in.
    assert {x["basis"] for x in checks(ro, tok["enforcement"], PLATES)} == {"none"}

    granted, seen, lock = {}, {}, threading.Lock()
    done = threading.Event()
    failures = []

    def watch():
        """Access checks at the standby's zesd for every plate not seen yet."""
        try:
            while not done.is_set():
                with lock:
                    unseen = [p for p in PLATES if p not in seen]
                if not unseen:
                    return
                results = checks(ro, tok["enforcement"], unseen)
                now = time.monotonic()
                with lock:
                    for p, x in zip(unseen, results):
                        if x["basis"] == "municipal_exemption":
                            seen[p] = now
                time.sleep(0.005)
        except Exception as e:  # reported by the test below
            failures.append(repr(e))

    t = threading.Thread(target=watch)
    t.start()
    try:
        for p in PLATES:
            r = rw.post_json("/v1/applications", day_exemption(p), token=tok["desk"])
            assert r.status == 201, r.body
            assert r.json()["status"] == "granted", r.body
            with lock:
                granted[p] = time.monotonic()
            time.sleep(0.02)
        wait_for(lambda: len(seen) == len(PLATES) or failures, 10,
                 what="every grant at the read_only zesd")
    finally:
        done.set()
        t.join(30)
    assert not failures, failures
    # A check that answered before the 201 arrived saw the grant at once.
    lags = [max(0.0, seen[p] - granted[p]) for p in PLATES]
    p50, p99 = percentile(lags, 50), percentile(lags, 99)
    with capsys.disabled():
        print(f"\nreplica lag, grant at the primary's zesd -> access check at the standby's "
              f"(index_poll_ms={STANDBY_POLL_MS}, {len(lags)} grants): "
              f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {max(lags) * 1000:.0f} ms")
    assert p99 < P99_BOUND_S, (p50, p99)
    for x in checks(ro, tok["enforcement"], PLATES):
        assert (x["basis"], x["ground"], x["allowed"]) == \
            ("municipal_exemption", "day_exemption", True), x


def test_a_submission_is_refused_and_nothing_is_written(world):
    ro, db, tok = world["ro"], world["db"], world["tok"]
    before = db.psql("SELECT count(*) FROM applications")
    audit_before = db.psql("SELECT count(*) FROM audit_entries")
    body = day_exemption("RA00ZX")
    # 401 before anything else: no token learns nothing.
    ro.post_json("/v1/applications", body).problem(401)
    # The role before the read-only refusal, too.
    ro.post_json("/v1/applications", body, token=tok["enforcement"]).problem(403)
    r = ro.post_json("/v1/applications", body, token=tok["desk"],
                     headers={"Idempotency-Key": str(uuid.uuid4())})
    doc = r.problem(503)
    assert doc["type"].endswith("/read-only"), doc
    assert "reads only" in doc["detail"] and "primary" in doc["detail"], doc
    assert r.header("Retry-After") is None, r.headers
    # Even a body that is no application at all: refused before the body.
    doc = ro.request("POST", "/v1/rule-set-reloads", headers=auth(tok["admin"])).problem(503)
    assert doc["type"].endswith("/read-only"), doc
    time.sleep(0.3)
    assert db.psql("SELECT count(*) FROM applications") == before
    assert db.psql("SELECT count(*) FROM audit_entries") == audit_before


def test_desk_reads_and_audit_reads_on_the_standby(world):
    rw, ro, tok = world["rw"], world["ro"], world["tok"]
    r = rw.post_json("/v1/applications", day_exemption(EXTRA), token=tok["desk"])
    assert r.status == 201 and r.json()["status"] == "granted", r.body
    app = r.json()
    ex_id = app["exemption"]["id"]
    desk = auth(tok["desk"])
    got = wait_for(lambda: (lambda x: x if x.status == 200 else None)(
        ro.get(f"/v1/exemptions/{ex_id}", headers=desk)), 5, what="the exemption on the standby")
    assert got.json() == rw.get(f"/v1/exemptions/{ex_id}", headers=desk).json()
    got = ro.get(f"/v1/applications/{app['id']}", headers=desk)
    assert got.status == 200 and got.json()["id"] == app["id"], got.body
    s = ro.post_json("/v1/exemptions/_search", {"plate": EXTRA}, token=tok["desk"])
    assert s.status == 200 and ex_id in [x["id"] for x in s.json()["items"]], s.body
    ev = ro.post_json("/v1/evaluations", day_exemption("RD23ZX"), token=tok["desk"])
    assert ev.status == 200, ev.body
    # Audit reads link nothing on a standby: they list what the primary linked.
    aud = auth(tok["auditor"])
    wait_for(lambda: ro.get("/v1/audit-entries?limit=5", headers=aud).json()["items"], 5,
             what="linked audit entries on the standby")
    v = ro.get("/v1/audit-verification", headers=aud)
    assert v.status == 200 and v.json()["ok"] is True, v.body
    assert ro.get("/readyz").status == 200


def test_metrics_show_the_read_only_state(env, world):
    ro, rw = world["ro"], world["rw"]
    text = ro.get("/metrics").body.decode()
    assert "\nzes_read_only 1\n" in text
    assert "\nzes_read_only 0\n" in rw.get("/metrics").body.decode()
    wait_for(lambda: "zes_replication_delay_seconds " in ro.get("/metrics").body.decode(), 5,
             what="the replication delay in /metrics")
    assert "zes_replication_delay_seconds" not in rw.get("/metrics").body.decode()
    script = os.path.join(env.source_dir, "scripts", "check-metrics.sh")
    if not shutil.which("promtool"):
        pytest.fail("promtool is missing: apt-get install prometheus (scripts/test.sh installs it)",
                    pytrace=False)
    p = subprocess.run([script, "-"], input=ro.get("/metrics").body, capture_output=True,
                       timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


# -- every writing route refused, every other served (the style of test_authz.py)

# The routes that write.  A route `zesd --routes` flags otherwise, or a new
# route it flags as writing, fails the test until it is declared here.
WRITES = {
    ("POST", "/v1/applications"),
    ("POST", "/v1/applications/{id}/decision"),
    ("POST", "/v1/applications/{id}/withdrawal"),
    ("POST", "/v1/exemptions/{id}/revocation"),
    ("POST", "/v1/rule-set-reloads"),
    ("POST", "/v1/recognition-agreements"),
    ("PATCH", "/v1/recognition-agreements/{id}"),
    ("DELETE", "/v1/recognition-agreements/{id}"),
}


def routes(env):
    p = subprocess.run([env.zesd, "--routes"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    out = {}
    for line in p.stdout.splitlines():
        method, path, roles, effect = line.split(" ")
        assert effect in ("writes", "reads"), line
        out[(method, path)] = (roles, effect == "writes")
    assert len(out) >= 30, p.stdout
    return out


def test_the_route_table_flags_exactly_the_writes(env):
    served = routes(env)
    flagged = {k for k, (_, w) in served.items() if w}
    assert sorted(flagged - WRITES) == [], "flagged as writing, not declared here"
    assert sorted(WRITES - flagged) == [], "declared as writing, not flagged (or not served)"
    assert all(m != "GET" for m, _ in flagged)


def test_each_route_on_the_read_only_zesd(env, world):
    ro, tok = world["ro"], world["tok"]
    for (method, path), (roles, writes) in sorted(routes(env).items()):
        role = None if roles == "public" else roles.split(",")[0]
        h = dict(auth(tok[role])) if role else {}
        body = None
        if method in ("POST", "PATCH"):
            h["Content-Type"] = "application/json"
            body = "{}"
        concrete = path.replace("{id}", str(uuid.uuid4())).replace("{municipality}", ROTTERDAM)
        r = ro.request(method, concrete, headers=h, body=body)
        read_only = r.status == 503 and "read-only" in r.body.decode()
        if writes:
            assert read_only, f"{method} {path} as {role}: {r.status} {r.body[:200]!r}"
            assert r.header("Retry-After") is None, f"{method} {path}"
        else:
            assert not read_only and r.status < 500, \
                f"{method} {path} as {role}: {r.status} {r.body[:200]!r}"


def test_no_listen_and_no_audit_linking_in_the_log(world):
    ro = world["ro"]
    start = ro.log_offset()
    ro.signal(signal.SIGHUP)   # a rules reload: no audit entry from a standby's zesd
    ro.wait_log(lambda r: r.get("event") == "reload_not_audited", since=start,
                what="the reload not audited")
    ro.wait_log(lambda r: r.get("event") == "reloaded", since=start, what="the reload")
    for rec in ro.log_records():
        line = json.dumps(rec)
        assert "LISTEN" not in line, line
        assert "cannot execute" not in line, line    # ... during recovery, in a read-only ...
        assert not (rec.get("module") == "audit" and rec.get("level") in ("warn", "error")), line
        assert rec.get("event") not in ("db_error", "reload_audit_failed",
                                        "reload_audit_delayed"), line
    assert any(r.get("event") == "read_only" and r.get("database_in_recovery") in (True, "true")
               for r in ro.log_records()), "the start-up line of read_only"


# -- refusals at start-up

def start_refused(env, tmp_path, name, url, config):
    z = Zesd(env, str(tmp_path / name), url, config=config)
    z.start(wait_ready=False)
    try:
        rc = z.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        z.fail("zesd did not refuse to start within 20 s")
    z._log.close()
    assert rc == 1, f"exit status {rc}\n{z.tail()}"
    recs = [r for r in z.log_records() if r.get("event") == "start_refused"]
    assert len(recs) == 1, z.tail()
    z.expect_error(r'"event":"start_refused"')
    problems = z.check_log()
    assert not problems, problems
    return recs[0]["reason"]


def test_a_read_write_zesd_refuses_the_standby(env, world, tmp_path):
    reason = start_refused(env, tmp_path, "rw-on-standby", world["standby"].url("zesd"), {})
    assert "recovery" in reason and "read_only = true" in reason, reason


def test_a_read_only_zesd_refuses_an_older_schema(env, world, tmp_path):
    versions = newest_migration(env)
    reason = start_refused(env, tmp_path, "ro-old-schema",
                           world["standby"].url(world["old"].name), {"read_only": "true"})
    assert f"at {versions[-2]}" in reason and f"needs {versions[-1]}" in reason, reason
    assert "zesctl migrate on the primary" in reason, reason
