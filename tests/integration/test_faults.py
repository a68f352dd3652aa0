"""Fault tests: the database going away under mixed load, a statement
timeout, and the database's disk full (issue 6, "Tests that prove it").

1. Database away during mixed load (a cluster of the test's own): access
   checks, reads and submissions run on several threads while the cluster
   is stopped for 3 s and started again.  Every access check answers 200
   from the index (none lost, none 5xx); reads and submissions answer
   200/201 or a 503 problem with Retry-After, never 500, never later than
   the request deadline; within 5 s of the database's return every route
   answers normally again without restarting zesd (the recovery time is
   measured and printed); every 201 is in the database, every submission
   answered 503 is retried with its Idempotency-Key and then exists exactly
   once; grants made after the restart reach the access checks.
2. Statement timeout: a submission blocked on a lock the test holds answers
   503 with Retry-After once statement_timeout_ms passes (well before the
   request deadline), and nothing of it stays: no application, exemption,
   Idempotency-Key record or audit entry.  Two places: the plate's advisory
   lock (zes_application_lock: before anything is written), and a trigger
   of the test's own at the end of the statement that writes the
   application, waiting for a lock the test holds (so the application,
   exemption, key and audit rows were written and must be rolled back: the
   table files grow while the tables stay empty).
   The same request after the lock is gone is a 201.
3. Disk full: the test database lives in a tablespace on a small tmpfs
   (mounted by the test, as root) which the test fills; WAL stays on the
   cluster's own disk, so PostgreSQL fails the extension of the table file
   (SQLSTATE 53100) instead of stopping.  Submissions answer 503 with
   Retry-After (docs/decisions.md: "A full disk is 503"), reads and access
   checks still answer, nothing is stored; after the filler is removed the
   same requests (same Idempotency-Keys) are 201.  Without root or mount
   the test is skipped with the reason in the output.

The 10,000 idle connections and the slow-loris client are a separate
command: tests/bench/connections.sh.
"""

import errno
import http.client
import json
import os
import random
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
import warnings
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conftest import Database, LockHolder, auth, http_request, pg_sh, wait_for

AMS = ZoneInfo("Europe/Amsterdam")
ROTTERDAM, DEN_HAAG, DELFT = "GM0599", "GM0518", "GM0503"
ZONES = (ROTTERDAM, DEN_HAAG, DELFT)

REQUEST_TIMEOUT_MS = 3000   # zesd's request deadline in these tests
DEADLINE_SLACK_S = 1.5      # a 503 may come this much after the deadline (sanitizer build)
OUTAGE_S = 3.0              # how long the cluster stays stopped
RECOVERY_BOUND_S = 5.0      # issue 6: everything recovers within 5 s of the database's return
AFTER_S = 7.0               # load keeps running this long after the database is back

# Rate limits off: the load of these tests is not what they are about.
NO_RATE_LIMITS = {"rate_read_per_s": "0", "rate_write_per_s": "0",
                  "rate_enforcement_per_s": "0"}


# -- data

def van(n):
    """A registered diesel van of class 4: refused in every zone on its own."""
    return f"FT{n:02d}ZX"


def load_vans(db, count):
    rows = [f"('{van(n)}', 'N1', 'Bedrijfsauto', 'gesloten opbouw', 'BB', NULL, '{{}}'::int[], "
            "ARRAY['Diesel']::text[], ARRAY['4']::text[], '2015-01-01', 3000, "
            "(SELECT zes_change('vehicles', 'test', 'import')))" for n in range(1, count + 1)]
    db.psql("INSERT INTO vehicles (plate, category, vehicle_type, body_description, body_type, "
            "body_code, special_codes, fuel_names, fuel_classes, first_admission, mass_kg, "
            "change_seq) VALUES " + ",\n".join(rows))


def tomorrow():
    return (datetime.now(AMS).date() + timedelta(days=1)).isoformat()


def day_exemption(plate, municipality):
    """A day exemption for tomorrow for a German plate: granted at once."""
    return {"scope": "municipal", "type": "day_exemption", "municipality": municipality,
            "plate": plate, "country": "DE",
            "applicant": {"kvk": "12345678", "name": "Spedition Beispiel",
                          "email": "dispo@example.de"},
            "period": {"from": tomorrow()}, "evidence": {}}


def long_delivery(plate, municipality):
    """A long-delivery exemption from today for a registered van: granted at once."""
    t = datetime.now(AMS).date()
    return {"scope": "municipal", "type": "long_delivery", "municipality": municipality,
            "plate": plate,
            "applicant": {"kvk": "12345678", "name": "Bakkerij Jansen", "email": "info@example.nl"},
            "period": {"from": t.isoformat()},
            "evidence": {"orderDate": (t - timedelta(days=30)).isoformat(),
                         "expectedDeliveryDate": (t + timedelta(days=90)).isoformat(),
                         "orderReference": "PO-1234", "replacementZeroEmission": True}}


def submit(port, token, body, key, timeout=15.0):
    h = {"Content-Type": "application/json", "Idempotency-Key": key}
    h.update(auth(token))
    return http_request(port, "POST", "/v1/applications", headers=h,
                        body=json.dumps(body), timeout=timeout)


def access(port, token, plate, municipality=ROTTERDAM):
    h = {"Content-Type": "application/json"}
    h.update(auth(token))
    r = http_request(port, "POST", "/v1/access-checks", headers=h,
                     body=json.dumps({"checks": [{"plate": plate, "municipality": municipality}]}))
    assert r.status == 200, r
    return r.json()["results"][0]


def assert_503(r, what=""):
    """A 503 problem with a positive Retry-After."""
    r.problem(503)
    ra = (r.header("Retry-After") or "").strip()
    assert ra.isdigit() and int(ra) > 0, f"{what}: Retry-After {ra!r}"


def sql_list(values):
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]::text[]"


def counts(db):
    """Rows of the tables a submission writes."""
    out = db.psql("SELECT (SELECT count(*) FROM applications) || ' ' || "
                  "(SELECT count(*) FROM exemptions) || ' ' || "
                  "(SELECT count(*) FROM idempotency_keys) || ' ' || "
                  "(SELECT count(*) FROM audit_entries)")
    a, e, k, au = (int(x) for x in out.split())
    return {"applications": a, "exemptions": e, "idempotency_keys": k, "audit_entries": au}


def sizes(db):
    """Bytes of the table files a submission writes."""
    out = db.psql("SELECT pg_relation_size('applications') || ' ' || "
                  "pg_relation_size('exemptions') || ' ' || pg_relation_size('idempotency_keys')")
    a, e, k = (int(x) for x in out.split())
    return {"applications": a, "exemptions": e, "idempotency_keys": k}


# -- 1. the database away during mixed load

class Call:
    """One request of the load: when it went and came back, and what came."""

    __slots__ = ("route", "t0", "t1", "status", "resp", "error", "key", "body", "plate")

    def __init__(self, route, t0):
        self.route, self.t0 = route, t0
        self.t1 = self.status = self.resp = self.error = None
        self.key = self.body = self.plate = None

    def __repr__(self):
        return (f"<{self.route} t0={self.t0:.2f} t1={self.t1 if self.t1 is None else round(self.t1, 2)}"
                f" status={self.status} error={self.error} body={self.resp.body[:200] if self.resp else None!r}>")


class Load:
    """Threads of access checks, reads and submissions until stopped."""

    def __init__(self, port, toks, vans, seen_app):
        self.port, self.toks, self.vans, self.seen_app = port, toks, vans, seen_app
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.calls = []
        self.tag = secrets.token_hex(2).upper()
        self.n = 0
        self.epoch = time.monotonic()
        # (what, pause between its requests): checks as fast as they come,
        # database requests paced so that the retries afterwards stay few.
        self.threads = [threading.Thread(target=self._loop, args=(f, pause), daemon=True)
                        for f, pause in ((self._check, 0.002), (self._check, 0.002),
                                         (self._read, 0.02), (self._submit, 0.04),
                                         (self._submit, 0.04))]

    def now(self):
        return time.monotonic() - self.epoch

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(60)
            assert not t.is_alive(), "a load thread did not finish"

    def _loop(self, fn, pause):
        rng = random.Random()
        while not self.stop.is_set():
            fn(rng)
            time.sleep(pause)

    def _run(self, call, method, path, token, body=None, headers=None):
        h = dict(auth(token))
        if body is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        try:
            call.resp = http_request(self.port, method, path, headers=h,
                                     body=json.dumps(body) if body is not None else None,
                                     timeout=REQUEST_TIMEOUT_MS / 1000 + 10)
            call.status = call.resp.status
        except (OSError, http.client.HTTPException) as e:
            call.error = repr(e)
        call.t1 = self.now()
        with self.lock:
            self.calls.append(call)

    def _check(self, rng):
        c = Call("check", self.now())
        self._run(c, "POST", "/v1/access-checks", self.toks["enforcement"],
                  {"checks": [{"plate": rng.choice(self.vans), "municipality": ROTTERDAM}]})

    def _read(self, rng):
        if rng.random() < 0.5:
            c = Call("list", self.now())
            self._run(c, "GET", "/v1/applications?limit=5", self.toks["desk"])
        else:
            c = Call("get", self.now())
            self._run(c, "GET", f"/v1/applications/{self.seen_app}", self.toks["desk"])

    def _submit(self, rng):
        with self.lock:
            self.n += 1
            n = self.n
        c = Call("submit", self.now())
        c.plate = f"L{self.tag}{n:05d}"
        c.key = str(uuid.uuid4())
        c.body = day_exemption(c.plate, ZONES[n % 3])
        self._run(c, "POST", "/v1/applications", self.toks["desk"], c.body,
                  headers={"Idempotency-Key": c.key})


def test_database_away_during_mixed_load(env, private_cluster, zesd_factory):
    database = Database(env, private_cluster, private_cluster.create_db("faults"))
    database.migrate()
    load_vans(database, 12)
    toks = {r: database.token(r)[1] for r in ("enforcement", "desk")}
    config = {"threads": "2", "db_connect_timeout_ms": "1000",
              "request_timeout_ms": str(REQUEST_TIMEOUT_MS), "statement_timeout_ms": "2000"}
    config.update(NO_RATE_LIMITS)
    z = zesd_factory(database.url, config=config)
    pid = z.proc.pid
    # The stream checks vans 1-8 (never granted); 9-12 get grants after the restart.
    stream_vans = [van(n) for n in range(1, 9)]
    late_vans = [van(n) for n in range(9, 13)]
    for p in stream_vans + late_vans:
        assert access(z.port, toks["enforcement"], p)["basis"] == "none"
    first = submit(z.port, toks["desk"], day_exemption(f"S{secrets.token_hex(3).upper()}", ROTTERDAM),
                   str(uuid.uuid4()))
    assert first.status == 201, first
    seen_app = first.json()["id"]

    load = Load(z.port, toks, stream_vans, seen_app)
    load.start()
    try:
        time.sleep(1.5)
        z.allow_errors(z.log_offset())   # losing the database may well be logged as an error
        t_stop = load.now()
        private_cluster.stop()
        t_down = load.now()
        time.sleep(OUTAGE_S)
        t_start = load.now()             # the bound is measured from here: conservative
        private_cluster.start()
        t_up = load.now()
        time.sleep(AFTER_S)
    finally:
        load.finish()
    calls = sorted(load.calls, key=lambda c: c.t0)

    # Nothing failed at the transport level, nothing but the allowed statuses.
    broken = [c for c in calls if c.error is not None]
    assert not broken, f"{len(broken)} requests got no answer, first: {broken[:3]}"
    allowed = {"check": {200}, "list": {200, 503}, "get": {200, 503}, "submit": {201, 503}}
    wrong = [c for c in calls if c.status not in allowed[c.route]]
    assert not wrong, f"{len(wrong)} unexpected answers, first: {wrong[:5]}"

    # Access checks: all 200 (checked above) from the index, also while the
    # database was away, and a real decision every time.
    checks = [c for c in calls if c.route == "check"]
    for c in checks:
        res = c.resp.json()["results"][0]
        assert (res["basis"], res["ground"]) == ("none", "emission_class_too_low"), c
    during = [c for c in checks if c.t0 >= t_down and c.t1 <= t_start]
    assert len(during) >= 20, f"only {len(during)} access checks while the database was away"

    # Database routes: every 503 a problem with Retry-After, none past the deadline.
    db_calls = [c for c in calls if c.route != "check"]
    for c in db_calls:
        if c.status == 503:
            assert_503(c.resp, repr(c))
        assert c.t1 - c.t0 <= REQUEST_TIMEOUT_MS / 1000 + DEADLINE_SLACK_S, \
            f"answered {c.t1 - c.t0:.2f}s after it was sent: {c}"
    for route in ("list", "get", "submit"):
        mine = [c for c in db_calls if c.route == route]
        assert any(c.status == 503 and c.t0 >= t_down and c.t1 <= t_start for c in mine), \
            f"{route}: no 503 while the database was away: the outage was not seen"
        assert any(c.status != 503 and c.t1 < t_stop for c in mine), f"{route}: no success before"

    # Recovery: the last failure of any route, from the moment the start began.
    fails_after = [c for c in db_calls if c.status == 503 and c.t1 > t_start]
    last_fail = max((c.t1 for c in fails_after), default=t_start)
    recovery = last_fail - t_start
    print(f"\nfaults: database stopped in {t_down - t_stop:.2f}s, away {t_start - t_down:.2f}s, "
          f"started in {t_up - t_start:.2f}s; recovery {recovery:.2f}s after the start began "
          f"({max(0.0, last_fail - t_up):.2f}s after it returned); {len(checks)} access checks "
          f"(all 200, {len(during)} while away), {len(db_calls)} database requests, "
          f"{sum(c.status == 503 for c in db_calls)} of them 503")
    assert recovery <= RECOVERY_BOUND_S, \
        f"routes still failed {recovery:.2f}s after the database came back: {fails_after[-5:]}"
    for route in ("list", "get", "submit"):
        ok_after = [c for c in db_calls if c.route == route and c.t0 > last_fail]
        assert len(ok_after) >= 3 and all(c.status != 503 for c in ok_after), \
            f"{route}: too few answers after recovery to show it: {ok_after[:3]}"
    assert z.proc.poll() is None and z.proc.pid == pid, "zesd was restarted or died"

    # Every 201 is in the database with its exemption.
    subs = [c for c in calls if c.route == "submit"]
    created = {c.resp.json()["id"]: c for c in subs if c.status == 201}
    assert created
    rows = database.psql("SELECT id::text || ' ' || status || ' ' || (exemption_id IS NOT NULL) "
                         f"FROM applications WHERE id::text = ANY({sql_list(created)})")
    found = {line.split()[0]: line.split()[1:] for line in rows.splitlines()}
    missing = set(created) - set(found)
    assert not missing, f"{len(missing)} applications answered 201 are not in the database"
    assert all(v == ["granted", "true"] for v in found.values()), found

    # Every submission answered 503 is retried with its key: a 201 now (the
    # first attempt's stored answer when it had committed after all).
    retried = [c for c in subs if c.status == 503]
    for c in retried:
        r = submit(z.port, toks["desk"], c.body, c.key)
        assert r.status == 201, (c, r)
    plates = [c.plate for c in subs]
    per_plate = database.psql("SELECT count(*), count(DISTINCT plate) FROM applications "
                              f"WHERE plate = ANY({sql_list(plates)})").split("|")
    assert per_plate == [str(len(plates))] * 2, \
        f"{len(plates)} submissions, applications (rows, plates): {per_plate}"

    # The index follows grants made after the restart.
    assert z.get("/readyz").status == 200
    for p in late_vans:
        r = submit(z.port, toks["desk"], long_delivery(p, ROTTERDAM), str(uuid.uuid4()))
        assert r.status == 201 and r.json()["status"] == "granted", r
        t0 = time.monotonic()
        res = wait_for(lambda: (lambda x: x if x["basis"] == "municipal_exemption" else None)(
            access(z.port, toks["enforcement"], p)), 2.0, interval=0.02,
            what=f"the grant for {p} in access checks")
        assert res["exemptionId"] == r.json()["exemption"]["id"]
        assert time.monotonic() - t0 < 2.0


# -- 2. a statement timeout

STATEMENT_TIMEOUT_MS = 1000


@pytest.mark.parametrize("where", ["plate_lock", "after_write"])
def test_statement_timeout_leaves_nothing(make_db, zesd_factory, where):
    db = make_db()
    desk = db.token("desk")[1]
    auditor = db.token("auditor")[1]
    config = {"statement_timeout_ms": str(STATEMENT_TIMEOUT_MS), "request_timeout_ms": "10000"}
    config.update(NO_RATE_LIMITS)
    z = zesd_factory(db.url, config=config)
    plate = f"T{secrets.token_hex(4).upper()}"
    body = day_exemption(plate, ROTTERDAM)
    key = str(uuid.uuid4())
    assert sizes(db) == {"applications": 0, "exemptions": 0, "idempotency_keys": 0}
    before = counts(db)
    if where == "plate_lock":
        # The lock zes_application_lock takes for this plate, before any write.
        sql = f"SELECT pg_advisory_xact_lock(2053468978, hashtext('DE/{plate}'))"
    else:
        # A trigger of the test's own that waits for a lock the test holds,
        # fired at the end of the statement that wrote the application: its
        # rows (application, exemption, key record, audit entries) are all
        # written when it blocks.
        db.psql("CREATE FUNCTION fault_wait() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN PERFORM pg_advisory_xact_lock(4242, 1); RETURN NULL; END $$; "
                "CREATE TRIGGER fault_wait AFTER INSERT ON applications "
                "FOR EACH ROW EXECUTE FUNCTION fault_wait()")
        sql = "SELECT pg_advisory_xact_lock(4242, 1)"
    holder = LockHolder(db, sql)
    try:
        t0 = time.monotonic()
        r = submit(z.port, desk, body, key, timeout=30)
        elapsed = time.monotonic() - t0
        waiting = db.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                          "AND wait_event_type = 'Lock' AND application_name LIKE 'zesd%'")
    finally:
        holder.release()
    doc = r.problem(503)
    assert_503(r, where)
    assert "time" in doc["detail"], doc
    # statement_timeout, not the request deadline (10 s) nor a hang.
    assert STATEMENT_TIMEOUT_MS / 1000 * 0.9 <= elapsed < STATEMENT_TIMEOUT_MS / 1000 + 2.0, elapsed
    assert waiting == "0", "a zesd session still waits for the lock after the answer"
    assert counts(db) == before, "the timed-out submission left rows behind"
    assert db.psql(f"SELECT count(*) FROM applications WHERE plate = '{plate}'") == "0"
    assert db.psql(f"SELECT count(*) FROM exemptions WHERE plate = '{plate}'") == "0"
    assert db.psql(f"SELECT count(*) FROM idempotency_keys WHERE key = '{key}'") == "0"
    grown = sizes(db)
    if where == "after_write":
        # The rows were written (the files grew) before the lock stopped the
        # transaction, and rolled back: the partial state that must not stay.
        assert all(v > 0 for v in grown.values()), grown
    else:
        assert all(v == 0 for v in grown.values()), grown
    # The same request, once the lock is gone, is created.
    r = submit(z.port, desk, body, key)
    assert r.status == 201, r
    a = r.json()
    assert a["status"] == "granted"
    after = counts(db)
    assert (after["applications"], after["exemptions"], after["idempotency_keys"]) == \
        (before["applications"] + 1, before["exemptions"] + 1, before["idempotency_keys"] + 1)
    assert after["audit_entries"] == before["audit_entries"] + 2   # submit and grant
    # The chain still verifies (the linker links the two new entries).
    v = z.request("GET", "/v1/audit-verification", headers=auth(auditor))
    assert v.status == 200 and v.json()["ok"] is True, v


# -- 3. the database's disk full

def fill(path):
    """Write zeros to `path` until the file system is full; returns the bytes written."""
    chunk = 1 << 20
    total = 0
    with open(path, "wb", buffering=0) as f:
        while chunk >= 1:
            try:
                total += f.write(b"\0" * chunk)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                chunk //= 2
    return total


@pytest.fixture
def small_disk(env, private_cluster):
    """A 48 MiB tmpfs holding a tablespace of the private cluster; unmounted
    however the test ends (after zesd stopped: request this fixture before
    zesd_factory)."""
    if os.geteuid() != 0:
        reason = "the disk-full test mounts a tmpfs and needs root"
        warnings.warn(reason)
        pytest.skip(reason)
    top = tempfile.mkdtemp(prefix="zes-disk-")
    os.chmod(top, 0o755)   # postgres traverses it
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m,mode=0755", "zes-disk", top],
                       capture_output=True, text=True)
    if p.returncode != 0:
        os.rmdir(top)
        reason = f"cannot mount a tmpfs here ({p.stderr.strip()}): disk-full test not run"
        warnings.warn(reason)
        pytest.skip(reason)
    ts = os.path.join(top, "ts")
    os.mkdir(ts, 0o700)
    shutil.chown(ts, "postgres", "postgres")
    name = "zes_small_" + secrets.token_hex(3)
    state = {"top": top, "ts": ts, "filler": os.path.join(top, "filler"), "tablespace": name,
             "dbs": []}
    try:
        private_cluster.psql("postgres", f"CREATE TABLESPACE {name} LOCATION '{ts}'")
        yield state
    finally:
        try:
            if os.path.exists(state["filler"]):
                os.unlink(state["filler"])
            for db in state["dbs"]:
                private_cluster.psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)',
                                     check=False)
            private_cluster.psql("postgres", f"DROP TABLESPACE IF EXISTS {name}", check=False)
        finally:
            pg_sh(env, "stop", private_cluster.datadir)
            if subprocess.run(["umount", top], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", top], capture_output=True)
            shutil.rmtree(top, ignore_errors=True)


def test_disk_full_is_503_and_leaves_nothing(env, private_cluster, small_disk, zesd_factory):
    name = private_cluster.create_db("diskfull")
    private_cluster.psql("postgres", f'DROP DATABASE "{name}"')
    private_cluster.psql("postgres", f'CREATE DATABASE "{name}" TABLESPACE {small_disk["tablespace"]}')
    small_disk["dbs"].append(name)
    db = Database(env, private_cluster, name)
    db.migrate()
    load_vans(db, 2)
    assert db.psql("SELECT spcname FROM pg_tablespace t JOIN pg_database d "
                   "ON d.dattablespace = t.oid WHERE d.datname = current_database()") == \
        small_disk["tablespace"]
    toks = {r: db.token(r)[1] for r in ("desk", "enforcement")}
    config = {"request_timeout_ms": "10000"}
    config.update(NO_RATE_LIMITS)
    z = zesd_factory(db.url, config=config)
    # Empty tables: a submission must extend their files, which needs space.
    assert sizes(db) == {"applications": 0, "exemptions": 0, "idempotency_keys": 0}
    before = counts(db)

    z.allow_errors(z.log_offset())   # a full disk is worth an error line
    filled = fill(small_disk["filler"])
    st = os.statvfs(small_disk["top"])
    assert st.f_bavail == 0, "the tmpfs is not full"
    reqs = [(day_exemption(f"D{secrets.token_hex(4).upper()}", ROTTERDAM), str(uuid.uuid4()))
            for _ in range(3)]
    for b, key in reqs:
        r = submit(z.port, toks["desk"], b, key)
        assert_503(r, "disk full")
    # Reads and access checks do not need the space.
    r = z.request("GET", "/v1/applications", headers=auth(toks["desk"]))
    assert r.status == 200 and r.json()["items"] == [], r
    assert access(z.port, toks["enforcement"], van(1))["ground"] == "emission_class_too_low"
    assert counts(db) == before, "a submission on a full disk left rows behind"
    logged = [rec for rec in z.log_records() if "53100" in json.dumps(rec)]
    assert logged, "the full disk (SQLSTATE 53100) is not in zesd's log"

    os.unlink(small_disk["filler"])
    print(f"\nfaults: filled the tablespace's disk with {filled >> 20} MiB; "
          f"3 submissions answered 503, then 201 after the space came back")
    ids = []
    for b, key in reqs:
        r = submit(z.port, toks["desk"], b, key)
        assert r.status == 201 and r.json()["status"] == "granted", r
        ids.append(r.json()["id"])
    after = counts(db)
    assert after["applications"] == before["applications"] + 3
    assert after["exemptions"] == before["exemptions"] + 3
    assert after["idempotency_keys"] == before["idempotency_keys"] + 3
    assert db.psql(f"SELECT count(*) FROM applications WHERE id::text = ANY({sql_list(ids)})") == "3"
