"""Signals: SIGTERM drains, SIGHUP reloads.

Covers SIGTERM with a request in flight (GET /readyz held up by a psql
session that keeps schema_migrations locked): zesd stops accepting connections
at once, still answers the request 200 once the lock goes, and exits 0; an idle
zesd, and one with an idle keep-alive connection, exit 0 promptly; SIGHUP
logs a reload event and keeps serving, with a new log_level taking effect
both ways (debug lines appear after a reload to debug and none after a
reload to info) and a bad config file leaving zesd running with the old one.
"""

import signal
import socket
import threading
import time

from conftest import LockHolder, lock_waiters, wait_for


def connect_refused(port):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
    except (ConnectionRefusedError, ConnectionResetError):
        # Reset: the listener closed while this connection sat in its backlog.
        return True
    s.close()
    return False


def test_sigterm_drains_a_request_in_flight(db, zesd_factory):
    z = zesd_factory(db.url)
    holder = LockHolder(db)
    try:
        result = {}

        def slow():
            try:
                result["r"] = z.get("/readyz", timeout=30)
            except Exception as e:  # reported below
                result["e"] = e

        t = threading.Thread(target=slow, daemon=True)
        t.start()
        wait_for(lambda: lock_waiters(db) >= 1 or not t.is_alive(), 10,
                 what="zesd's /readyz query to wait on the lock")
        assert t.is_alive(), f"/readyz did not wait for the locked table: {result}"

        z.signal(signal.SIGTERM)
        wait_for(lambda: connect_refused(z.port), 2, interval=0.02,
                 what="new connections to be refused after SIGTERM")
        assert z.proc.poll() is None, "zesd exited with a request in flight"
        assert t.is_alive(), f"the request in flight was answered before the lock went: {result}"
    finally:
        holder.release()
    t.join(15)
    assert not t.is_alive(), "the request in flight was never answered"
    assert "e" not in result, f"the request in flight failed: {result['e']!r}"
    r = result["r"]
    assert r.status == 200, r
    assert r.json().get("status") == "ready", r.json()
    assert z.wait_exit(15) == 0, f"exit status {z.returncode}"


def test_sigterm_idle_exits_promptly(db, zesd_factory):
    z = zesd_factory(db.url)
    assert z.get("/healthz").status == 200
    t0 = time.monotonic()
    z.signal(signal.SIGTERM)
    assert z.wait_exit(15) == 0, f"exit status {z.returncode}"
    assert time.monotonic() - t0 < 5, "an idle zesd took more than 5 s to stop"
    assert connect_refused(z.port)


def test_sigterm_with_idle_keepalive_connection(db, zesd_factory):
    z = zesd_factory(db.url)
    s = socket.create_connection(("127.0.0.1", z.port), timeout=5)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            assert chunk, "connection closed before the response"
            data += chunk
        assert data.startswith(b"HTTP/1.1 200"), data[:100]
        # The connection stays open and idle: no request is in flight.
        t0 = time.monotonic()
        z.signal(signal.SIGTERM)
        assert z.wait_exit(15) == 0, f"exit status {z.returncode}"
        assert time.monotonic() - t0 < 5, "an idle keep-alive connection held up shutdown for 5 s or more"
    finally:
        s.close()


def debug_records(z, since):
    return [r for r in z.log_records(since) if str(r.get("level")).lower() == "debug"]


def reload_record(rec):
    return "reload" in str(rec.get("event", "")).lower()


def sighup(z, config):
    off = z.log_offset()
    z.write_config(config)
    z.signal(signal.SIGHUP)
    z.wait_log(reload_record, timeout=5, since=off, what="a reload event after SIGHUP")
    return z.log_offset()


# Which events zesd logs at debug is its own business; these tests only rely
# on it logging some between the reload and its exit (stopping workers and
# database sessions, say), and compare the two directions of a change.

def test_sighup_raises_log_level(db, zesd_factory):
    z = zesd_factory(db.url, config={"log_level": "info"})
    for _ in range(3):
        assert z.get("/readyz").status == 200
    assert not debug_records(z, 0), "debug lines at log_level info"
    off = sighup(z, dict(z.config, log_level="debug"))
    for _ in range(3):
        assert z.get("/readyz").status == 200
    assert z.proc.poll() is None
    z.signal(signal.SIGTERM)
    assert z.wait_exit(15) == 0, f"exit status {z.returncode}"
    assert debug_records(z, off), "no debug line after reloading with log_level debug"


def test_sighup_lowers_log_level(db, zesd_factory):
    z = zesd_factory(db.url, config={"log_level": "debug"})
    assert z.get("/readyz").status == 200
    assert debug_records(z, 0), "no debug line at log_level debug"
    off = sighup(z, dict(z.config, log_level="info"))
    for _ in range(3):
        assert z.get("/readyz").status == 200
    z.signal(signal.SIGTERM)
    assert z.wait_exit(15) == 0, f"exit status {z.returncode}"
    assert not debug_records(z, off), "debug lines after reloading with log_level info"


def test_sighup_with_a_bad_config_keeps_serving(db, zesd_factory):
    z = zesd_factory(db.url, config={"log_level": "info"})
    z.expect_error(r"log_level|reload|config")
    off = z.log_offset()
    z.write_config(dict(z.config, log_level="loud"))
    z.signal(signal.SIGHUP)
    z.wait_log(lambda r: "log_level" in str(r), timeout=5, since=off,
               what="a log line naming the bad key after SIGHUP")
    assert z.proc.poll() is None, "zesd died on a bad reload"
    assert z.get("/healthz").status == 200
    assert z.get("/readyz").status == 200
    # The old settings stay (no debug lines), and a good file reloads again.
    assert not debug_records(z, 0), "debug lines although log_level stayed info"
    sighup(z, dict(z.config, log_level="info"))
    assert z.get("/readyz").status == 200
    assert z.proc.poll() is None
