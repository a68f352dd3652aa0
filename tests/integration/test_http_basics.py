"""HTTP basics every route shares.

Covers /healthz, /readyz, /metrics (request counters and the duration
histogram), /v1/openapi.json (the repository's docs/openapi.json, served with
CORS `*`), the ADR headers on every response including errors (API-Version
from the document's info.version, Cache-Control, CSP, nosniff, X-Frame-Options,
X-Request-Id), CORS for allowed and other origins and preflights, problem+json
for 404, 405 (with Allow, also for PATCH, which libevent answers 501 by
default), 413 (a 100 KiB body) and 415, request ids, and the one access log
line per request.
"""

import json
import re
import time

import pytest

from conftest import JSON_CT, auth, metric_samples, metric_value, wait_for

ALLOWED_ORIGIN = "https://desk.example.nl"
OTHER_ORIGIN = "https://evil.example.com"


@pytest.fixture(scope="module")
def tokens(db):
    return {role: db.token(role, municipality="GM0599" if role == "assessor" else None)[1]
            for role in ("auditor", "desk")}


@pytest.fixture(scope="module")
def z(db, tokens, module_zesd_factory):
    return module_zesd_factory(db.url, config={
        "cors_origins": f"{ALLOWED_ORIGIN},https://other.example.nl",
    })


def test_healthz(z):
    r = z.get("/healthz")
    assert r.status == 200
    assert r.content_type == "application/json"
    assert r.json().get("status") == "ok", r.json()  # more members are allowed


def test_readyz(z):
    r = z.get("/readyz")
    assert r.status == 200
    assert r.content_type == "application/json"
    assert r.json().get("status") == "ready", r.json()  # more members are allowed


def test_openapi_is_the_repository_document(z, env):
    r = z.get("/v1/openapi.json")
    assert r.status == 200
    assert r.content_type == "application/json"
    doc = r.json()
    assert doc == env.openapi(), "the served document differs from docs/openapi.json"
    assert str(doc.get("openapi", "")).startswith("3.1"), doc.get("openapi")


def test_openapi_needs_no_token_and_ignores_a_bad_one(z):
    r = z.get("/v1/openapi.json", headers={"Authorization": "Bearer nonsense"})
    assert r.status == 200


def adr_requests(tokens):
    """(name, method, path, headers, body, expected status) for many kinds of response."""
    a = auth(tokens["auditor"])
    return [
        ("healthz", "GET", "/healthz", {}, None, 200),
        ("readyz", "GET", "/readyz", {}, None, 200),
        ("metrics", "GET", "/metrics", {}, None, 200),
        ("openapi", "GET", "/v1/openapi.json", {}, None, 200),
        ("audit", "GET", "/v1/audit-entries", a, None, 200),
        ("400", "GET", "/v1/audit-entries?limit=0", a, None, 400),
        ("401", "GET", "/v1/audit-entries", {}, None, 401),
        ("403", "GET", "/v1/audit-entries", auth(tokens["desk"]), None, 403),
        ("404", "GET", "/no/such/path", {}, None, 404),
        ("404-v1", "GET", "/v1/no-such-collection", a, None, 404),
        ("405", "DELETE", "/v1/audit-entries", a, None, 405),
        ("413", "POST", "/v1/audit-entries/_search", {**a, **JSON_CT}, b"{" + b" " * (100 * 1024) + b"}", 413),
        ("415", "POST", "/v1/audit-entries/_search", {**a, "Content-Type": "text/plain"}, b"{}", 415),
        ("preflight", "OPTIONS", "/v1/audit-entries",
         {"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "GET"}, None, 204),
    ]


def test_adr_headers_on_every_response(z, env, tokens):
    version = env.api_version()
    rids = set()
    bad = []
    for name, method, path, headers, body, status in adr_requests(tokens):
        r = z.request(method, path, headers=headers, body=body)
        if r.status != status:
            bad.append(f"{name}: status {r.status}, expected {status}")
        want = {
            "API-Version": version,
            "Cache-Control": "no-store",
            "Content-Security-Policy": "frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
        }
        for h, v in want.items():
            if r.header(h) != v:
                bad.append(f"{name}: {h} is {r.header(h)!r}, expected {v!r}")
        rid = r.header("X-Request-Id")
        if not rid:
            bad.append(f"{name}: no X-Request-Id")
        elif rid in rids:
            bad.append(f"{name}: X-Request-Id {rid} repeated")
        rids.add(rid)
        if r.header("Strict-Transport-Security") is not None:
            bad.append(f"{name}: Strict-Transport-Security over plain HTTP")
    assert not bad, "\n".join(bad)


def test_not_found_is_a_problem(z):
    for path in ("/no/such/path", "/v1", "/healthz/", "/v1/audit-entries/extra/segments"):
        doc = z.get(path).problem(404)
        assert doc["status"] == 404


def test_encoded_nul_in_the_query_is_refused(z, tokens):
    # evhttp would decode "GM0599%00x" into a C string "GM0599": refused
    # before any handler sees a value cut short.
    for query in ("municipality=GM0599%00x", "a=1&b=%00"):
        doc = z.get(f"/v1/audit-entries?{query}", headers=auth(tokens["auditor"])).problem(400)
        assert "%00" in doc["detail"], doc
    assert z.get("/v1/audit-entries?limit=1", headers=auth(tokens["auditor"])).status == 200


@pytest.mark.parametrize("method", ["DELETE", "PATCH", "PUT", "POST"])
def test_method_not_allowed(z, tokens, method):
    r = z.request(method, "/v1/audit-entries", headers={**auth(tokens["auditor"]), **JSON_CT}, body=b"{}")
    r.problem(405)
    allow = [m.strip().upper() for m in (r.header("Allow") or "").split(",")]
    assert "GET" in allow, f"Allow: {r.header('Allow')!r}"
    assert method not in allow


def test_method_not_allowed_on_operations_routes(z):
    r = z.request("POST", "/healthz", headers=JSON_CT, body=b"{}")
    r.problem(405)
    assert "GET" in (r.header("Allow") or ""), r.header("Allow")
    r = z.request("GET", "/v1/audit-entries/_search", headers=auth("x"))
    assert r.status in (401, 405), r  # unauthenticated may be told 401 first
    if r.status == 405:
        assert "POST" in (r.header("Allow") or "")


def test_body_too_large(z, tokens):
    body = b'{"object":"' + b"a" * (100 * 1024) + b'"}'
    r = z.request("POST", "/v1/audit-entries/_search", headers={**auth(tokens["auditor"]), **JSON_CT}, body=body)
    r.problem(413)


def test_wrong_content_type(z, tokens):
    for ct in ("text/plain", "application/x-www-form-urlencoded"):
        r = z.request("POST", "/v1/audit-entries/_search",
                      headers={**auth(tokens["auditor"]), "Content-Type": ct}, body=b"{}")
        r.problem(415)


def test_missing_content_type(z, tokens):
    # A JSON body sent without saying so is not JSON to the server.
    r = z.request("POST", "/v1/audit-entries/_search", headers=auth(tokens["auditor"]), body=b"{}")
    r.problem(415)


def test_json_content_type_with_charset_is_accepted(z, tokens):
    r = z.request("POST", "/v1/audit-entries/_search",
                  headers={**auth(tokens["auditor"]), "Content-Type": "application/json; charset=utf-8"},
                  body=b"{}")
    assert r.status == 200, r


def test_cors_allowed_origin(z):
    r = z.get("/healthz", headers={"Origin": ALLOWED_ORIGIN})
    assert r.status == 200
    assert r.header("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
    vary = [v.strip().lower() for h in r.header_all("Vary") for v in h.split(",")]
    assert "origin" in vary, r.header_all("Vary")


def test_cors_on_errors_too(z):
    r = z.get("/v1/audit-entries", headers={"Origin": ALLOWED_ORIGIN})
    r.problem(401)
    assert r.header("Access-Control-Allow-Origin") == ALLOWED_ORIGIN


@pytest.mark.parametrize("origin", [OTHER_ORIGIN, ALLOWED_ORIGIN + ".evil.com", "null",
                                    ALLOWED_ORIGIN.upper(), ALLOWED_ORIGIN + "/"])
def test_cors_other_origin(z, origin):
    r = z.get("/healthz", headers={"Origin": origin})
    assert r.status == 200
    assert r.header("Access-Control-Allow-Origin") is None, r.header("Access-Control-Allow-Origin")


def test_cors_openapi_any_origin(z):
    for headers in ({"Origin": OTHER_ORIGIN}, {"Origin": ALLOWED_ORIGIN}):
        r = z.get("/v1/openapi.json", headers=headers)
        assert r.status == 200
        assert r.header("Access-Control-Allow-Origin") == "*"


def test_cors_preflight(z):
    r = z.request("OPTIONS", "/v1/audit-entries/_search", headers={
        "Origin": ALLOWED_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    })
    assert r.status == 204, r
    assert r.header("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
    methods = [m.strip().upper() for m in (r.header("Access-Control-Allow-Methods") or "").split(",")]
    assert "POST" in methods, r.header("Access-Control-Allow-Methods")
    allowed = [h.strip().lower() for h in (r.header("Access-Control-Allow-Headers") or "").split(",")]
    for h in ("authorization", "content-type", "idempotency-key", "if-match"):
        assert h in allowed, f"{h} not in Access-Control-Allow-Headers: {r.header('Access-Control-Allow-Headers')!r}"


def test_cors_preflight_other_origin(z):
    r = z.request("OPTIONS", "/v1/audit-entries", headers={
        "Origin": OTHER_ORIGIN, "Access-Control-Request-Method": "GET"})
    assert r.status < 500, r
    assert r.header("Access-Control-Allow-Origin") is None


def test_request_ids_are_unique(z):
    rids = [z.get("/healthz").header("X-Request-Id") for _ in range(20)]
    assert all(rids), rids
    assert len(set(rids)) == len(rids), rids


def one_access_record(z, rid):
    """Wait for the access line of request rid and check there is exactly one."""
    wait_for(lambda: z.access_records(rid), 5, what=f"the access log line of {rid}")
    time.sleep(0.05)  # a second line, if any, would be written right after
    recs = z.access_records(rid)
    assert len(recs) == 1, f"{len(recs)} access lines for {rid}: {recs}"
    rec = recs[0]
    for k in ("ts", "level", "module", "event", "rid", "method", "route", "status", "duration_ms"):
        assert k in rec, f"access line lacks {k!r}: {rec}"
    assert isinstance(rec["status"], int) and not isinstance(rec["status"], bool), rec
    assert isinstance(rec["duration_ms"], (int, float)) and rec["duration_ms"] >= 0, rec
    return rec


# For a 405 the path matched a route but the method did not: the contract
# allows reading that either way.
@pytest.mark.parametrize("method,path,routes,status,who", [
    ("GET", "/healthz", ["/healthz"], 200, None),
    ("GET", "/v1/audit-entries?limit=5", ["/v1/audit-entries"], 200, "auditor"),
    ("GET", "/v1/audit-entries", ["/v1/audit-entries"], 401, None),
    ("GET", "/no/such/thing", ["-"], 404, None),
    ("DELETE", "/v1/audit-entries", ["/v1/audit-entries", "-"], 405, "auditor"),
])
def test_access_log(z, tokens, method, path, routes, status, who):
    r = z.request(method, path, headers=auth(tokens[who]) if who else {})
    assert r.status == status, r
    rec = one_access_record(z, r.header("X-Request-Id"))
    assert rec["method"] == method
    assert rec["route"] in routes, rec
    assert rec["status"] == status


def test_log_lines_are_json_objects(z):
    z.get("/healthz")
    lines = [l for l in z.log_text().splitlines() if l.strip()]
    assert lines, "zesd logged nothing"
    for line in lines:
        rec = json.loads(line)
        assert isinstance(rec, dict), line
        for k in ("ts", "level", "module", "event"):
            assert k in rec, f"log line lacks {k!r}: {line}"


def metrics(z):
    r = z.get("/metrics")
    assert r.status == 200
    assert r.content_type == "text/plain", r.header("Content-Type")
    text = r.body.decode("utf-8")
    assert text.endswith("\n"), "the exposition must end with a newline"
    return text


def test_metrics_count_requests(z):
    before = metrics(z)
    n0 = metric_value(before, "zes_http_requests_total", route="/healthz", method="GET", code="200")
    c0 = metric_value(before, "zes_http_request_duration_seconds_count", route="/healthz")
    for _ in range(3):
        assert z.get("/healthz").status == 200
    z.get("/no/such/thing")
    # Counters may be updated after the reply is sent: poll briefly.
    def counted():
        t = metrics(z)
        return t if metric_value(t, "zes_http_requests_total", route="/healthz", method="GET",
                                 code="200") >= n0 + 3 else None
    after = wait_for(counted, 3, what="the healthz counter to grow by 3")
    assert metric_value(after, "zes_http_requests_total", route="/healthz", method="GET", code="200") == n0 + 3
    assert metric_value(after, "zes_http_requests_total", method="GET", code="404") >= 1
    c1 = metric_value(after, "zes_http_request_duration_seconds_count", route="/healthz")
    if c0 or c1:  # the histogram is labelled by route
        assert c1 == c0 + 3, (c0, c1)


def test_metrics_format(z):
    text = metrics(z)
    samples = metric_samples(text)
    names = {n for n, _, _ in samples}
    for n in ("zes_http_requests_total", "zes_http_request_duration_seconds_bucket",
              "zes_http_request_duration_seconds_sum", "zes_http_request_duration_seconds_count",
              "zes_db_connected"):
        assert n in names, f"no {n} in /metrics"
    assert re.search(r"^# TYPE zes_http_requests_total counter$", text, re.M)
    assert re.search(r"^# TYPE zes_http_request_duration_seconds histogram$", text, re.M)
    assert re.search(r"^# TYPE zes_db_connected gauge$", text, re.M)
    # Every histogram series: a +Inf bucket equal to its _count, buckets cumulative.
    series = {}
    for n, labels, v in samples:
        if n.startswith("zes_http_request_duration_seconds_"):
            key = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
            series.setdefault(key, {}).setdefault(n, []).append((labels.get("le"), v))
    assert series
    for key, parts in series.items():
        buckets = parts.get("zes_http_request_duration_seconds_bucket", [])
        inf = [v for le, v in buckets if le == "+Inf"]
        assert inf, f"no +Inf bucket for {key}"
        count = parts.get("zes_http_request_duration_seconds_count", [(None, None)])[0][1]
        assert inf[0] == count, f"{key}: +Inf bucket {inf[0]} != _count {count}"
        assert "zes_http_request_duration_seconds_sum" in parts, key
        finite = sorted((float(le), v) for le, v in buckets if le != "+Inf")
        values = [v for _, v in finite] + inf
        assert values == sorted(values), f"{key}: buckets not cumulative: {buckets}"
    assert metric_value(text, "zes_db_connected") >= 1
