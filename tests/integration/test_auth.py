"""Authentication and roles on the current routes.

Covers 401 problems (with `WWW-Authenticate: Bearer`) without a token, with
malformed Authorization headers, with an unknown token of the right shape, and
with a revoked token (revocation must take effect within 1 s); tokens made
while zesd runs becoming usable; the 403 matrix of every role against the
audit routes; the operations routes needing no token; and that no token ever
appears in the log.
"""

import string
import time

import pytest

from conftest import JSON_CT, auth, wait_for

ROLES = ("desk", "assessor", "enforcement", "admin", "auditor")
AUDIT_ROLES = {"auditor", "admin"}

# (method, path, body) of every route that needs a token today.
AUDIT_ROUTES = [
    ("GET", "/v1/audit-entries", None),
    ("GET", "/v1/audit-entries?limit=1", None),
    ("POST", "/v1/audit-entries/_search", b"{}"),
    ("GET", "/v1/audit-verification", None),
]


@pytest.fixture(scope="module")
def tokens(db):
    return {role: db.token(role, municipality="GM0599" if role == "assessor" else None)[1]
            for role in ROLES}


@pytest.fixture(scope="module")
def z(db, tokens, module_zesd_factory):
    return module_zesd_factory(db.url)


def call(z, method, path, body, headers):
    h = dict(headers)
    if body is not None:
        h.update(JSON_CT)
    return z.request(method, path, headers=h, body=body)


def assert_401(r):
    r.problem(401)
    www = r.header("WWW-Authenticate") or ""
    assert www.split(" ")[0].lower() == "bearer", f"WWW-Authenticate: {www!r}"


@pytest.mark.parametrize("method,path,body", AUDIT_ROUTES)
def test_no_token(z, method, path, body):
    assert_401(call(z, method, path, body, {}))


def mangle(token):
    """Another token of the same shape: every character after the first
    third replaced by a different one of the same class."""
    alphabet = string.ascii_letters + string.digits
    keep = len(token) // 3
    out = []
    for c in token[keep:]:
        if c.isalnum():
            out.append(alphabet[(alphabet.index(c) + 7) % len(alphabet)])
        else:
            out.append(c)
    return token[:keep] + "".join(out)


def bad_headers(tokens):
    t = tokens["auditor"]
    return {
        "empty": {"Authorization": ""},
        "scheme only": {"Authorization": "Bearer"},
        "scheme and space": {"Authorization": "Bearer "},
        "basic": {"Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
        "garbage": {"Authorization": "Bearer not-a-token"},
        "two tokens": {"Authorization": f"Bearer {t} {t}"},
        "token with suffix": {"Authorization": f"Bearer {t}x"},
        "truncated token": {"Authorization": f"Bearer {t[:-1]}"},
        "no scheme": {"Authorization": t},
        "unknown token": {"Authorization": f"Bearer {mangle(t)}"},
        "very long": {"Authorization": "Bearer " + "A" * 4000},
    }


@pytest.mark.parametrize("case", list(bad_headers({"auditor": "x" * 47}).keys()))
def test_bad_tokens(z, tokens, case):
    headers = bad_headers(tokens)[case]
    for method, path, body in AUDIT_ROUTES:
        assert_401(call(z, method, path, body, headers))


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(z, tokens, role):
    wrong = []
    for method, path, body in AUDIT_ROUTES:
        r = call(z, method, path, body, auth(tokens[role]))
        if role in AUDIT_ROLES:
            if r.status != 200:
                wrong.append(f"{method} {path}: {r.status}, expected 200: {r.body[:200]!r}")
        else:
            if r.status != 403:
                wrong.append(f"{method} {path}: {r.status}, expected 403")
            else:
                r.problem(403)
    assert not wrong, f"role {role}:\n" + "\n".join(wrong)


def test_operations_routes_need_no_token(z):
    for path in ("/healthz", "/readyz", "/metrics", "/v1/openapi.json"):
        assert z.get(path).status == 200, path


def test_token_created_while_running_becomes_usable(z, db):
    _, token = db.token("auditor")
    wait_for(lambda: z.get("/v1/audit-verification", headers=auth(token)).status == 200, 2,
             what="a new token to be accepted")


def test_revocation_within_one_second(z, db):
    name, token = db.token("admin")
    wait_for(lambda: z.get("/v1/audit-verification", headers=auth(token)).status == 200, 2,
             what="the new token to be accepted")
    db.revoke(name)
    revoked_at = time.monotonic()
    while True:
        r = z.get("/v1/audit-verification", headers=auth(token))
        elapsed = time.monotonic() - revoked_at
        if r.status == 401:
            break
        assert r.status == 200, r
        assert elapsed <= 1.0, f"a revoked token still worked {elapsed:.2f}s after `token revoke` returned"
        time.sleep(0.02)
    assert_401(r)
    for method, path, body in AUDIT_ROUTES:
        assert_401(call(z, method, path, body, auth(token)))


def test_revoking_one_token_leaves_others(z, db, tokens):
    name, _ = db.token("auditor")
    db.revoke(name)
    time.sleep(0.3)  # past a refresh of the token cache (token_refresh_ms 250)
    assert z.get("/v1/audit-verification", headers=auth(tokens["auditor"])).status == 200


def test_no_token_in_the_log(z, tokens):
    # Every test above has run by now (module order): none of the tokens, nor
    # the bad ones we sent, may appear in the log.
    for headers in bad_headers(tokens).values():
        call(z, "GET", "/v1/audit-entries", None, headers)
    log = z.log_text()
    for role, t in tokens.items():
        assert t not in log, f"the {role} token appears in the log"
        assert t[:24] not in log, f"a prefix of the {role} token appears in the log"
    assert mangle(tokens["auditor"]) not in log, "an unknown token appears in the log"
    assert "not-a-token" not in log, "a bad Authorization value appears in the log"
