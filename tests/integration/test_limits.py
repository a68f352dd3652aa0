"""Input limits, rate limits and connection limits (issue 6, "Limits").

Covers, each with the status docs/http.md documents: the URI length (414),
the number of header fields (431), the header bytes past max_header_bytes
(libevent's own answer, the connection closed, zesd serving on), the body
size (413), JSON nesting depth and the items of one array or object (400,
before parsing); per-token rate limits (429 problem with Retry-After, a
token's reads and writes on separate buckets, other tokens unaffected,
recovery after Retry-After, the enforcement role's own higher limit, new
limits on SIGHUP); request_read_timeout_ms (a slow-loris client trickling
its headers or its body, or sending nothing, is cut within the configured
time while a normal client is served at once; idle keep-alive is bounded by
read_timeout_ms instead, and pipelined requests are all answered); and
max_connections_per_worker (the surplus connection is closed at once, and
served again once a slot is free).
"""

import http.client
import json
import signal
import socket
import threading
import time

import pytest

from conftest import auth, http_request, wait_for


@pytest.fixture(scope="module")
def tokens(db):
    return {
        "desk": db.token("desk")[1],
        "desk2": db.token("desk")[1],
        "desk3": db.token("desk")[1],
        "enforcement": db.token("enforcement")[1],
    }


@pytest.fixture(scope="module")
def z(db, tokens, module_zesd_factory):
    """Every limit at its default."""
    return module_zesd_factory(db.url)


@pytest.fixture(scope="module")
def rz(db, tokens, module_zesd_factory):
    """Small rate limits so that tests reach them."""
    return module_zesd_factory(db.url, config={
        "rate_read_per_s": 2, "rate_read_burst": 3,
        "rate_write_per_s": 2, "rate_write_burst": 2,
        "rate_enforcement_per_s": 10, "rate_enforcement_burst": 30,
    })


def raw(port, data, timeout=5.0):
    """Send bytes on a new connection; returns everything read until the server closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


# --------------------------------------------------------------------------
# Input limits


def test_uri_too_long_is_414(z):
    r = z.get("/v1/municipalities?x=" + "a" * 2100)
    doc = r.problem(414)
    assert "2048" in doc["detail"], doc
    # Just under the limit the request goes on to its route.
    r = z.get("/healthz?x=" + "a" * 1900)
    assert r.status != 414, r


def test_too_many_header_fields_is_431(z):
    headers = {f"X-Filler-{i}": "1" for i in range(101)}
    doc = z.get("/healthz", headers=headers).problem(431)
    assert "100" in doc["detail"], doc
    headers = {f"X-Filler-{i}": "1" for i in range(90)}
    assert z.get("/healthz", headers=headers).status == 200


def test_header_bytes_past_the_limit_closed_by_libevent(z):
    # max_header_bytes is 8 KiB by default: libevent answers this itself and closes.
    answer = raw(z.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    assert answer == b"" or answer.split(b" ", 2)[1] in (b"400", b"413"), answer[:200]
    assert z.get("/healthz").status == 200


def test_body_too_large_is_413(z, tokens):
    body = json.dumps({"plate": "x" * 70000})
    doc = z.post_json("/v1/vehicles/_search", body, token=tokens["desk"]).problem(413)
    assert "65536" in doc["detail"], doc


def test_json_depth_and_items_are_400(z, tokens):
    tok = tokens["desk"]
    deep = '{"plate":' + "[" * 40 + "]" * 40 + "}"
    doc = z.post_json("/v1/vehicles/_search", deep, token=tok).problem(400)
    assert any("deeper than 32" in e["message"] for e in doc["errors"]), doc
    # 32 levels are allowed through to the field checks (plate is not a string).
    ok = '{"plate":' + "[" * 31 + "]" * 31 + "}"
    doc = z.post_json("/v1/vehicles/_search", ok, token=tok).problem(400)
    assert not any("deeper" in e["message"] for e in doc["errors"]), doc

    long = json.dumps({"plate": list(range(1001))})
    doc = z.post_json("/v1/vehicles/_search", long, token=tok).problem(400)
    assert any("more than 1000 items" in e["message"] for e in doc["errors"]), doc
    wide = json.dumps({f"k{i}": 1 for i in range(1001)})
    doc = z.post_json("/v1/vehicles/_search", wide, token=tok).problem(400)
    assert any("more than 1000 items" in e["message"] for e in doc["errors"]), doc
    # Brackets and commas inside strings are text, not structure.
    text = json.dumps({"plate": "[" * 100 + "," * 2000})
    doc = z.post_json("/v1/vehicles/_search", text, token=tok).problem(400)
    assert not any("deeper" in e["message"] or "items" in e["message"] for e in doc["errors"]), doc


# --------------------------------------------------------------------------
# Rate limits


def test_rate_limit_429_with_retry_after_and_recovery(rz, tokens):
    z = rz
    tok = auth(tokens["desk"])
    # A burst of 3 reads, then 429 until a token is back (2 a second).
    statuses = [z.get("/v1/municipalities", headers=tok).status for _ in range(3)]
    assert statuses == [200, 200, 200], statuses
    r = z.get("/v1/municipalities", headers=tok)
    doc = r.problem(429)
    retry = r.header("Retry-After")
    assert retry is not None and retry.isdigit() and 1 <= int(retry) <= 2, retry
    assert "2 reads a second" in doc["detail"], doc
    for h in ("API-Version", "X-Request-Id", "Cache-Control"):
        assert r.header(h), h

    # Writes draw on their own bucket: this one is full.
    w = z.post_json("/v1/applications/00000000-0000-0000-0000-000000000000/withdrawal",
                    {}, token=tokens["desk"])
    assert w.status == 404, w
    # Another token's reads are its own.
    assert z.get("/v1/municipalities", headers=auth(tokens["desk2"])).status == 200

    time.sleep(int(retry))
    assert z.get("/v1/municipalities", headers=tok).status == 200


def test_write_limit(rz, tokens):
    path = "/v1/applications/00000000-0000-0000-0000-000000000001/withdrawal"
    got = [rz.post_json(path, {}, token=tokens["desk3"]).status for _ in range(3)]
    assert got == [404, 404, 429], got


def test_enforcement_has_its_own_higher_limit(rz, tokens):
    tok = auth(tokens["enforcement"])
    statuses = [rz.get("/v1/municipalities", headers=tok).status for _ in range(20)]
    assert statuses == [200] * 20, statuses
    # Past its burst of 30 (10 a second) it is limited too.
    statuses = [rz.get("/v1/signing-keys", headers=tok).status for _ in range(40)]
    assert 429 in statuses, statuses


def test_unauthenticated_routes_are_not_limited(rz):
    assert [rz.get("/healthz").status for _ in range(30)] == [200] * 30


def test_new_limits_on_sighup(db, zesd_factory):
    _, desk = db.token("desk")
    z = zesd_factory(db.url, config={"rate_read_per_s": 1, "rate_read_burst": 1})
    assert z.get("/v1/municipalities", headers=auth(desk)).status == 200
    assert z.get("/v1/municipalities", headers=auth(desk)).status == 429
    z.config.update({"rate_read_per_s": 0})
    z.write_config()
    since = z.log_offset()
    z.signal(signal.SIGHUP)
    z.wait_log(lambda r: r.get("event") == "reloaded", since=since, what="the reload")
    assert [z.get("/v1/municipalities", headers=auth(desk)).status for _ in range(10)] == [200] * 10


# --------------------------------------------------------------------------
# Slow clients and connections


@pytest.fixture
def slow_z(db, zesd_factory):
    return zesd_factory(db.url, config={
        "threads": 1, "request_read_timeout_ms": 1500, "read_timeout_ms": 30000,
    })


def trickle(port, head, data, interval, result):
    """Send head at once, then data one byte per interval; result gets the
    seconds until the server closed the connection."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    t0 = time.monotonic()
    try:
        s.sendall(head)
        for b in data:
            s.sendall(bytes([b]))
            time.sleep(interval)
        s.settimeout(30)
        while s.recv(4096):
            pass
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        result.append(time.monotonic() - t0)
        s.close()


@pytest.mark.parametrize("what", ["headers", "body", "nothing"])
def test_slow_loris_is_cut_while_others_are_served(slow_z, what):
    z = slow_z
    if what == "headers":
        head, data = b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
    elif what == "body":
        head = (b"POST /v1/vehicles/_search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 200\r\n\r\n")
        data = b" " * 200
    else:
        head, data = b"", b""
    result = []
    t = threading.Thread(target=trickle, args=(z.port, head, data, 0.1, result), daemon=True)
    t.start()
    # A normal client on the same worker is served at once throughout.
    latencies = []
    deadline = time.monotonic() + 4.0
    while t.is_alive() and time.monotonic() < deadline:
        t0 = time.monotonic()
        assert z.get("/healthz").status == 200
        latencies.append(time.monotonic() - t0)
        time.sleep(0.05)
    t.join(30)
    assert not t.is_alive()
    assert result and 1.3 <= result[0] <= 3.5, f"cut after {result}"
    assert latencies and max(latencies) < 0.5, latencies
    z.wait_log(lambda r: r.get("event") == "connection_limits" and r.get("level") == "warn",
               timeout=15, what="the connection-limits warning")


def test_idle_keep_alive_bounded_by_read_timeout_not_request_deadline(db, zesd_factory):
    z = zesd_factory(db.url, config={"request_read_timeout_ms": 1000, "read_timeout_ms": 2500})
    c = http.client.HTTPConnection("127.0.0.1", z.port, timeout=10)
    c.request("GET", "/healthz")
    r = c.getresponse()
    assert r.status == 200
    r.read()
    time.sleep(1.6)  # idle longer than the request deadline: still open
    c.request("GET", "/healthz")
    r = c.getresponse()
    assert r.status == 200
    r.read()
    # Idle past read_timeout_ms: evhttp closes the connection.
    sock = c.sock
    t0 = time.monotonic()
    sock.settimeout(10)
    assert sock.recv(1) == b""
    assert 2.0 <= time.monotonic() - t0 <= 5.0
    c.close()


def test_pipelined_requests_are_all_answered(slow_z):
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = raw(slow_z.port, req * 3 + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.count(b"HTTP/1.1 200") == 4, answer[:500]


def test_max_connections_per_worker(db, zesd_factory):
    z = zesd_factory(db.url, config={
        "threads": 1, "max_connections_per_worker": 4, "request_read_timeout_ms": 60000,
    })
    # Churn first: connections closed by the client before, during and after
    # a request, and by zesd.  Each must leave the count as it found it, or
    # the limit below would bite early (counted up) or late (counted down).
    for i in range(60):
        s = socket.create_connection(("127.0.0.1", z.port), timeout=5)
        if i % 3 == 1:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        elif i % 3 == 2:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
        s.close()
    assert _served(z.port)
    time.sleep(0.3)
    held = [socket.create_connection(("127.0.0.1", z.port), timeout=5) for _ in range(4)]
    time.sleep(0.2)
    # The fifth is accepted by the kernel and closed by zesd at once, unanswered.
    extra = socket.create_connection(("127.0.0.1", z.port), timeout=5)
    t0 = time.monotonic()
    try:
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = extra.recv(4096)
    except (ConnectionResetError, BrokenPipeError):
        data = b""
    assert data == b"" and time.monotonic() - t0 < 2.0, data
    extra.close()
    # A held connection is served; once one closes, a new one is too.
    held[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert held[0].recv(4096).startswith(b"HTTP/1.1 200")
    held[1].close()
    wait_for(lambda: _served(z.port), 5, what="a free connection slot")
    for s in held:
        s.close()
    z.wait_log(lambda r: r.get("event") == "connection_limits", timeout=15,
               what="the connection-limits warning")


def _served(port):
    try:
        return http_request(port, "GET", "/healthz", timeout=2).status == 200
    except (OSError, http.client.HTTPException):
        return False
