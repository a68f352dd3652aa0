"""The authorisation matrix: every route zesd serves, called with every role
and with no token, against the role table of API.md written out below.

zesd prints its own route table (`zesd --routes`: method, path template,
roles); a route it serves that this table does not declare fails the test,
as does a route whose roles differ from API.md's, or a route of the OpenAPI
document zesd does not serve (and the other way round).  Then each route is
called over HTTP with a token of each role: a role the table allows must
never get 401 or 403, every other role must get 403, and no token 401.
"""

import json
import subprocess
import uuid

import pytest

from conftest import auth

DESK, ASSESSOR, ENFORCEMENT, ADMIN, AUDITOR = "desk", "assessor", "enforcement", "admin", "auditor"
ROLES = (DESK, ASSESSOR, ENFORCEMENT, ADMIN, AUDITOR)
EVERY = set(ROLES)
READERS = {DESK, ASSESSOR, ADMIN}        # API.md: desk reads; assessor what desk reads; admin what assessor may

# API.md, "Authentication and roles" and each section.  "public": no token.
EXPECTED = {
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("GET", "/metrics"): "public",
    ("GET", "/v1/openapi.json"): "public",
    # The admin page (issue 7): static files; the page sends its own token.
    ("GET", "/admin"): "public",
    ("GET", "/admin/admin.css"): "public",
    ("GET", "/admin/admin.js"): "public",
    # Audit and statistics (auditor, admin)
    ("GET", "/v1/audit-entries"): {AUDITOR, ADMIN},
    ("POST", "/v1/audit-entries/_search"): {AUDITOR, ADMIN},
    ("GET", "/v1/audit-verification"): {AUDITOR, ADMIN},
    ("GET", "/v1/statistics"): {AUDITOR, ADMIN},
    # Enforcement: access checks; signing keys and municipalities: any valid token
    ("POST", "/v1/access-checks"): {ENFORCEMENT},
    ("GET", "/v1/signing-keys"): EVERY,
    ("GET", "/v1/municipalities"): EVERY,
    # Reference data: desk reads vehicles
    ("POST", "/v1/vehicles/_search"): READERS,
    # Applications: desk submits, reads, searches, withdraws; assessor and
    # admin read and decide; evaluations for desk, assessor, admin
    ("POST", "/v1/applications"): {DESK},
    ("GET", "/v1/applications"): READERS,
    ("POST", "/v1/applications/_search"): READERS,
    ("GET", "/v1/applications/{id}"): READERS,
    ("POST", "/v1/applications/{id}/decision"): {ASSESSOR, ADMIN},
    ("POST", "/v1/applications/{id}/withdrawal"): {DESK},
    ("POST", "/v1/evaluations"): READERS,
    # Exemptions: read by desk, assessor, admin; revoked by assessor, admin
    ("GET", "/v1/exemptions"): READERS,
    ("POST", "/v1/exemptions/_search"): READERS,
    ("GET", "/v1/exemptions/{id}"): READERS,
    ("POST", "/v1/exemptions/{id}/revocation"): {ASSESSOR, ADMIN},
    # Rule sets: read by desk, assessor, admin (and auditor: decisions name
    # them, docs/decisions.md); reloads by admin
    ("GET", "/v1/rule-sets"): READERS | {AUDITOR},
    ("GET", "/v1/rule-sets/{municipality}"): READERS | {AUDITOR},
    ("POST", "/v1/rule-set-reloads"): {ADMIN},
    # Mutual recognition: admin writes; desk and assessor read
    ("POST", "/v1/recognition-agreements"): {ADMIN},
    ("GET", "/v1/recognition-agreements"): READERS,
    ("GET", "/v1/recognition-agreements/{id}"): READERS,
    ("PATCH", "/v1/recognition-agreements/{id}"): {ADMIN},
    ("DELETE", "/v1/recognition-agreements/{id}"): {ADMIN},
    ("GET", "/v1/recognition-matrix"): READERS,
    ("GET", "/v1/rule-comparisons"): READERS | {AUDITOR},
}


def served_routes(env):
    p = subprocess.run([env.zesd, "--routes"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    routes = {}
    for line in p.stdout.splitlines():
        method, path, roles = line.split(" ")[:3]    # then writes/reads: test_replica.py
        routes[(method, path)] = "public" if roles == "public" else set(roles.split(","))
    assert len(routes) >= 30, p.stdout
    return routes


def test_every_served_route_has_the_roles_of_api_md(env):
    served = served_routes(env)
    undeclared = sorted(set(served) - set(EXPECTED))
    assert not undeclared, f"routes without a declared role in this test: {undeclared}"
    wrong = {k: (served[k], EXPECTED[k]) for k in served if served[k] != EXPECTED[k]}
    assert not wrong, f"roles differ from API.md (served, expected): {wrong}"


def test_openapi_document_and_served_routes_agree(env):
    """Both ways: every operation of the document is served, every route
    served is in the document (servers: /v1, so /v1 paths are relative)."""
    doc = json.loads(open(f"{env.source_dir}/docs/openapi.json", encoding="utf-8").read())
    base = "/v1"
    documented = set()
    for path, item in doc["paths"].items():
        full = path if path in ("/healthz", "/readyz", "/metrics") or \
            path.startswith("/admin") else base + path
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                documented.add((method.upper(), full))
    served = set(served_routes(env))
    assert sorted(served - documented) == [], "served but not documented"
    assert sorted(documented - served) == [], "documented but not served"


@pytest.fixture(scope="module")
def z(db, tokens, module_zesd_factory):
    """Started after the tokens exist, so its first token load has them."""
    return module_zesd_factory(db.url)


@pytest.fixture(scope="module")
def tokens(db):
    toks = {r: db.token(r)[1] for r in (DESK, ENFORCEMENT, ADMIN, AUDITOR)}
    toks[ASSESSOR] = db.token(ASSESSOR, municipality="GM0599")[1]
    return toks


def concrete(path):
    return (path.replace("{id}", str(uuid.uuid4()))
                .replace("{municipality}", "GM0599"))


@pytest.mark.parametrize("route", sorted(EXPECTED), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_route_with_each_role(env, z, tokens, route):
    if route not in served_routes(env):
        pytest.fail(f"{route} is declared here but zesd does not serve it")
    method, path = route
    allowed = EXPECTED[route]
    body = "{}" if method in ("POST", "PATCH") else None

    def call(token):
        h = dict(auth(token)) if token else {}
        if body is not None:
            h["Content-Type"] = "application/json"
        return z.request(method, concrete(path), headers=h, body=body)

    if allowed == "public":
        assert call(None).status not in (401, 403)
        return
    assert call(None).status == 401, f"{method} {path} without a token"
    for role in ROLES:
        st = call(tokens[role]).status
        if role in allowed:
            assert st not in (401, 403), f"{method} {path} as {role}: {st}"
        else:
            assert st == 403, f"{method} {path} as {role}: {st}, expected 403"
