"""Readiness follows the database.

Covers /readyz against a cluster of the test's own (scripts/pg.sh in a
temporary directory on another free port, never the shared one): 200 while
PostgreSQL runs, 503 with Retry-After within 5 s after it stops (while
/healthz stays 200, zes_db_connected drops to 0 and an authenticated request
gets 503 too), and 200 again within a few seconds after it starts, without
restarting zesd; /readyz 503 against a database that was never migrated; and
a /readyz whose query is stuck behind a lock answered 503 once
request_timeout_ms or statement_timeout_ms passes, not held forever.
"""

import json
import re
import time

import pytest

from conftest import Database, LockHolder, auth, metric_value, wait_for


def assert_503(r):
    r.problem(503)
    ra = r.header("Retry-After")
    assert ra is not None and re.fullmatch(r"[0-9]+", ra.strip()), f"Retry-After: {ra!r}"


def db_connected(z):
    r = z.get("/metrics")
    assert r.status == 200
    return metric_value(r.body.decode(), "zes_db_connected")


def test_readyz_follows_the_database(env, private_cluster, zesd_factory):
    name = private_cluster.create_db("readyz")
    database = Database(env, private_cluster, name)
    database.migrate()
    _, token = database.token("auditor")
    z = zesd_factory(database.url, config={"db_connect_timeout_ms": "1000"})
    assert z.get("/readyz").status == 200
    assert z.get("/v1/audit-verification", headers=auth(token)).status == 200
    assert db_connected(z) >= 1

    outage = z.log_offset()
    z.allow_errors(outage)  # losing the database may well be logged as an error
    private_cluster.stop()
    stopped = time.monotonic()

    def not_ready():
        r = z.get("/readyz", timeout=10)
        return r if r.status == 503 else None
    r = wait_for(not_ready, 5, interval=0.1, what="/readyz 503 after the database stopped")
    assert time.monotonic() - stopped <= 5.5
    assert_503(r)
    assert z.get("/healthz").status == 200, "/healthz must not depend on the database"
    assert db_connected(z) == 0
    r = z.get("/v1/audit-verification", headers=auth(token), timeout=20)
    assert_503(r)

    private_cluster.start()
    started = time.monotonic()
    wait_for(lambda: z.get("/readyz", timeout=10).status == 200, 10, interval=0.1,
             what="/readyz 200 after the database came back")
    assert time.monotonic() - started <= 10
    assert z.proc.poll() is None
    assert db_connected(z) >= 1
    # Requests that query the database work again (sessions re-established).
    for _ in range(4):
        r = z.get("/v1/audit-verification", headers=auth(token))
        assert r.status == 200, r
        assert r.json()["ok"] is True


def test_readyz_unmigrated_database(make_db, zesd_factory):
    database = make_db(migrate=False)
    z = zesd_factory(database.url, wait_ready=False)
    z.allow_errors(0)  # a database without the schema is worth an error line
    assert z.get("/healthz").status == 200
    # Give it the time it would need to become ready, and check it does not.
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        assert_503(z.get("/readyz"))
        time.sleep(0.2)


def test_readyz_waits_for_a_schema_this_zesd_needs(make_db, zesd_factory):
    """A new binary on a schema one migration behind (started before
    `zesctl migrate`): not ready, and says what to run, until it is
    migrated; then ready without a restart."""
    database = make_db()
    database.psql("CREATE TABLE newest AS SELECT * FROM schema_migrations "
                  "WHERE version = (SELECT max(version) FROM schema_migrations); "
                  "DELETE FROM schema_migrations WHERE version = (SELECT version FROM newest)")
    z = zesd_factory(database.url, wait_ready=False)
    rec = z.wait_log(lambda r: r.get("event") == "schema_behind", 10.0,
                     what="the schema_behind warning")
    assert "zesctl migrate" in json.dumps(rec), rec
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        assert_503(z.get("/readyz"))
        time.sleep(0.2)
    database.psql("INSERT INTO schema_migrations SELECT * FROM newest")
    wait_for(lambda: z.get("/readyz").status == 200, 10.0, what="ready once migrated")
    said = [r for r in z.log_records() if r.get("event") == "schema_behind"]
    assert len(said) == 1, said


@pytest.mark.parametrize("config", [
    {"request_timeout_ms": "500", "statement_timeout_ms": "20000"},
    {"request_timeout_ms": "20000", "statement_timeout_ms": "500"},
], ids=["request_timeout", "statement_timeout"])
def test_readyz_stuck_query_times_out(db, zesd_factory, config):
    z = zesd_factory(db.url, config=config)
    holder = LockHolder(db)
    try:
        t0 = time.monotonic()
        r = z.get("/readyz", timeout=15)
        elapsed = time.monotonic() - t0
    finally:
        holder.release()
    assert_503(r)
    assert 0.4 <= elapsed < 2, f"answered after {elapsed:.2f}s with a 0.5 s timeout"
    wait_for(lambda: z.get("/readyz").status == 200, 5, what="/readyz 200 after the lock went")
