"""TLS and client certificates (issue 6, "Transport and identity").

A test CA, server and client certificates are made in each test run with
the openssl command (no key is ever committed).  Covers: TLS 1.3 by
default and TLS 1.2 with an ECDHE AEAD cipher, TLS 1.1 and weak TLS 1.2
ciphers refused; Strict-Transport-Security on every answer over TLS,
errors included; plain HTTP on the TLS port gets no HTTP answer; a
certificate named in tls_client_map acts as its token (role, rate limit,
revocation), an unmapped one is 401, one from another CA fails the
handshake, a bearer token wins over the certificate; tls_client_verify =
required refuses clients without a certificate; SIGHUP swaps the
certificate and the map for new connections while an open keep-alive
connection goes on with the old one, leaves everything as it was when the
files did not change, and keeps the context in use (with an error line)
when the new files are bad; a bad certificate or key at start-up stops
zesd with a line naming the key and the file.
"""

import hashlib
import http.client
import os
import signal
import socket
import ssl
import subprocess

import pytest

from conftest import auth, clean_env, run, wait_for


# --------------------------------------------------------------------------
# Certificates, made with the openssl command


def openssl(*args, cwd):
    p = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True,
                       timeout=60, env=clean_env())
    assert p.returncode == 0, f"openssl {' '.join(args)}: {p.stderr}"
    return p.stdout


class Pki:
    """A directory of test certificates: CAs, the server's, clients'."""

    def __init__(self, d):
        self.d = str(d)
        os.makedirs(self.d, exist_ok=True)

    def path(self, name):
        return os.path.join(self.d, name)

    def ca(self, name):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
                "-subj", f"/CN={name}", cwd=self.d)
        return self.path(f"{name}.pem")

    def cert(self, name, ca, server=False):
        ext = self.path(f"{name}.ext")
        with open(ext, "w", encoding="ascii") as f:
            if server:
                f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
            else:
                f.write("extendedKeyUsage=clientAuth\n")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", f"/CN={name}", cwd=self.d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
                "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "2",
                "-extfile", ext, "-out", f"{name}.pem", cwd=self.d)
        return self.path(f"{name}.pem"), self.path(f"{name}.key")

    def fingerprint(self, name, colons=True):
        """SHA-256 of the DER certificate: openssl's colon form, or plain hex from Python."""
        if colons:
            out = openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", f"{name}.pem",
                          cwd=self.d)
            return out.strip().split("=", 1)[1]
        with open(self.path(f"{name}.pem"), encoding="ascii") as f:
            return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()

    def der(self, name):
        with open(self.path(f"{name}.pem"), encoding="ascii") as f:
            return ssl.PEM_cert_to_DER_cert(f.read())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    p = Pki(tmp_path_factory.mktemp("pki"))
    p.ca("server-ca")
    p.ca("client-ca")
    p.ca("rogue-ca")
    p.cert("server", "server-ca", server=True)
    p.cert("server2", "server-ca", server=True)
    for c in ("camera", "unmapped", "desk-client"):
        p.cert(c, "client-ca")
    p.cert("rogue", "rogue-ca")
    return p


def write_map(pki, path, entries):
    with open(path, "w", encoding="ascii") as f:
        f.write("# client certificates of the test\n")
        for cert, name, colons in entries:
            f.write(f"{pki.fingerprint(cert, colons)}   {name}\n")


# --------------------------------------------------------------------------
# HTTPS client


def context(pki, cert=None, minimum=None, maximum=None, ciphers=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki.path("server-ca.pem"))
    if cert:
        ctx.load_cert_chain(pki.path(f"{cert}.pem"), pki.path(f"{cert}.key"))
    if ciphers:
        ctx.set_ciphers(ciphers)
    if minimum:
        ctx.minimum_version = minimum
    if maximum:
        ctx.maximum_version = maximum
    return ctx


class Answer:
    def __init__(self, status, headers, body, version, cipher, peer):
        self.status, self.headers, self.body = status, headers, body
        self.version, self.cipher, self.peer = version, cipher, peer

    def header(self, name):
        return self.headers.get(name)


def https(port, path, ctx, method="GET", headers=None, body=None, conn=None):
    """One request over TLS (on conn, kept open, when given)."""
    c = conn or http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    a = Answer(r.status, r.headers, data, c.sock.version(), c.sock.cipher()[0],
               c.sock.getpeercert(binary_form=True))
    if conn is None:
        c.close()
    return a


def wait_ready(z, ctx):
    """Wait until /readyz, asked over TLS with ctx, is 200."""
    def ready():
        try:
            return https(z.port, "/readyz", ctx).status == 200
        except (OSError, http.client.HTTPException):
            return False
    wait_for(ready, 20, what="zesd ready over TLS")


def start_tls(zesd_factory, db, config, pki):
    """A zesd serving TLS, ready (its /readyz asked over TLS)."""
    cfg = {"tls_cert": pki.path("server.pem"), "tls_key": pki.path("server.key")}
    cfg.update(config)
    z = zesd_factory(db.url, config=cfg, wait_ready=False)
    wait_ready(z, context(pki))
    return z


def server_alert(port, ctx):
    """The handshake fails with an alert from the server: its text, else None."""
    try:
        https(port, "/healthz", ctx)
    except ssl.SSLError as e:
        return str(e) if "alert" in str(e).lower() else None
    return None


def refused(port, ctx, path="/v1/municipalities", headers=None):
    """True when the TLS connection or the request on it fails (no HTTP answer)."""
    try:
        https(port, path, ctx, headers=headers)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        return True
    return False


# --------------------------------------------------------------------------
# Tests


@pytest.fixture(scope="module")
def tokens(db):
    cam_name, cam = db.token("enforcement", name="camera-gateway-1")
    desk_name, desk = db.token("desk", name="desk frontend")
    return {"camera": (cam_name, cam), "desk": (desk_name, desk)}


@pytest.fixture
def tls_z(db, tokens, pki, zesd_factory, tmp_path):
    mp = str(tmp_path / "clients.map")
    write_map(pki, mp, [("camera", "camera-gateway-1", True), ("desk-client", "desk frontend", False)])
    return start_tls(zesd_factory, db, {
        "tls_client_ca": pki.path("client-ca.pem"), "tls_client_map": mp,
    }, pki)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_versions_and_ciphers(tls_z, pki):
    port = tls_z.port
    a = https(port, "/healthz", context(pki))
    assert a.status == 200 and a.version == "TLSv1.3", (a.status, a.version)
    a = https(port, "/healthz", context(pki, maximum=ssl.TLSVersion.TLSv1_2))
    assert a.version == "TLSv1.2" and a.cipher.startswith("ECDHE-ECDSA-") and \
        ("GCM" in a.cipher or "CHACHA20" in a.cipher), (a.version, a.cipher)
    # TLS 1.1, and TLS 1.2 ciphers without forward secrecy or with CBC, are refused.
    old = context(pki, minimum=ssl.TLSVersion.TLSv1_1, maximum=ssl.TLSVersion.TLSv1_1,
                  ciphers="DEFAULT:@SECLEVEL=0")
    assert "protocol version" in (server_alert(port, old) or "")
    for weak in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384"):
        ctx = context(pki, maximum=ssl.TLSVersion.TLSv1_2, ciphers=weak + ":@SECLEVEL=0")
        assert "handshake failure" in (server_alert(port, ctx) or ""), weak


def test_hsts_on_every_answer(tls_z, pki, tokens):
    ctx = context(pki)
    for path, hdrs, status in (("/healthz", {}, 200), ("/no/such", {}, 404),
                               ("/v1/municipalities", {}, 401),
                               ("/v1/municipalities", auth(tokens["desk"][1]), 200)):
        a = https(tls_z.port, path, ctx, headers=hdrs)
        assert a.status == status, (path, a.status)
        assert a.header("Strict-Transport-Security") == "max-age=31536000", (path, a.headers)


def test_plain_http_on_the_tls_port_gets_no_http_answer(tls_z):
    s = socket.create_connection(("127.0.0.1", tls_z.port), timeout=5)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            data = b""
    finally:
        s.close()
    assert not data.startswith(b"HTTP/"), data[:100]


def test_plain_http_has_no_hsts(db, zesd_factory):
    z = zesd_factory(db.url)
    assert z.get("/healthz").header("Strict-Transport-Security") is None


def test_client_certificate_acts_as_its_token(tls_z, pki, tokens, db):
    port = tls_z.port
    cam = context(pki, cert="camera")
    # The camera's certificate is the enforcement token camera-gateway-1.
    assert https(port, "/v1/municipalities", cam).status == 200
    assert https(port, "/v1/applications", cam).status == 403
    # Mapped by plain hex too.
    assert https(port, "/v1/applications", context(pki, cert="desk-client")).status == 200
    # A certificate of the client CA that the map does not name.
    a = https(port, "/v1/municipalities", context(pki, cert="unmapped"))
    assert a.status == 401 and b"not mapped" in a.body, a.body
    # No certificate, no token.
    a = https(port, "/v1/municipalities", context(pki))
    assert a.status == 401 and b"mapped client certificate" in a.body, a.body
    assert a.header("WWW-Authenticate") == "Bearer"
    assert https(port, "/v1/municipalities", context(pki),
                 headers=auth(tokens["desk"][1])).status == 200
    # Public routes need neither.
    assert https(port, "/healthz", context(pki, cert="unmapped")).status == 200
    # Another CA's certificate does not get through the handshake.
    assert refused(port, context(pki, cert="rogue"))


def test_bearer_token_wins_over_the_certificate(tls_z, pki, tokens):
    port = tls_z.port
    cam = context(pki, cert="camera")
    # The desk token decides: the enforcement certificate does not add its role.
    assert https(port, "/v1/applications", cam, headers=auth(tokens["desk"][1])).status == 200
    assert https(port, "/v1/municipalities", cam, headers=auth(tokens["desk"][1])).status == 200
    # A bad token is 401 even with a mapped certificate.
    a = https(port, "/v1/municipalities", cam, headers={"Authorization": "Bearer zes_nonsense"})
    assert a.status == 401, a.status


def test_revoking_the_token_ends_the_certificate(db, pki, zesd_factory, tmp_path):
    name, _ = db.token("enforcement", name="camera-to-revoke")
    mp = str(tmp_path / "m.map")
    write_map(pki, mp, [("camera", name, True)])
    z = start_tls(zesd_factory, db, {"tls_client_ca": pki.path("client-ca.pem"),
                                     "tls_client_map": mp}, pki)
    cam = context(pki, cert="camera")
    # One keep-alive connection across the revocation: it is asked each request.
    c = http.client.HTTPSConnection("127.0.0.1", z.port, context=cam, timeout=10)
    assert https(z.port, "/v1/municipalities", cam, conn=c).status == 200
    db.revoke(name)
    wait_for(lambda: https(z.port, "/v1/municipalities", cam, conn=c).status == 401, 3,
             what="the revocation to reach the certificate")
    a = https(z.port, "/v1/municipalities", cam)
    assert a.status == 401 and b"unknown or revoked" in a.body, a.body
    c.close()


def test_certificate_and_token_share_a_rate_limit(db, pki, zesd_factory, tmp_path):
    name, tok = db.token("enforcement", name="camera-limited")
    mp = str(tmp_path / "m.map")
    write_map(pki, mp, [("camera", name, False)])
    z = start_tls(zesd_factory, db, {
        "tls_client_ca": pki.path("client-ca.pem"), "tls_client_map": mp,
        "rate_enforcement_per_s": 1, "rate_enforcement_burst": 2}, pki)
    cam = context(pki, cert="camera")
    assert [https(z.port, "/v1/municipalities", cam).status for _ in range(2)] == [200, 200]
    a = https(z.port, "/v1/municipalities", context(pki), headers=auth(tok))
    assert a.status == 429 and a.header("Retry-After") == "1", (a.status, a.headers)


def test_required_client_certificate(db, pki, tokens, zesd_factory, tmp_path):
    mp = str(tmp_path / "m.map")
    write_map(pki, mp, [("camera", "camera-gateway-1", True)])
    cfg = {"tls_cert": pki.path("server.pem"), "tls_key": pki.path("server.key"),
           "tls_client_ca": pki.path("client-ca.pem"), "tls_client_map": mp,
           "tls_client_verify": "required"}
    z = zesd_factory(db.url, config=cfg, wait_ready=False)
    cam = context(pki, cert="camera")
    wait_ready(z, cam)
    assert https(z.port, "/v1/municipalities", cam).status == 200
    # Without a certificate, not even /healthz.
    assert refused(z.port, context(pki), "/healthz")
    assert refused(z.port, context(pki), "/v1/municipalities", headers=auth(tokens["desk"][1]))


def replace(pki, src, dst):
    """Put certificate and key `src` in the place of `dst`, each file by a rename."""
    for ext in ("pem", "key"):
        tmp = pki.path(f"{dst}.{ext}.new")
        with open(pki.path(f"{src}.{ext}"), "rb") as f, open(tmp, "wb") as g:
            g.write(f.read())
        os.replace(tmp, pki.path(f"{dst}.{ext}"))


def test_sighup_swaps_certificates_without_dropping_connections(db, pki, tokens, zesd_factory,
                                                                tmp_path):
    # Our own copies, so that other tests keep theirs.
    live = Pki(tmp_path / "live")
    for n in ("server", "server2"):
        for ext in ("pem", "key"):
            with open(pki.path(f"{n}.{ext}"), "rb") as f, open(live.path(f"{n}.{ext}"), "wb") as g:
                g.write(f.read())
    mp = str(tmp_path / "m.map")
    write_map(pki, mp, [("camera", "camera-gateway-1", True)])
    cfg = {"tls_cert": live.path("server.pem"), "tls_key": live.path("server.key"),
           "tls_client_ca": pki.path("client-ca.pem"), "tls_client_map": mp}
    z = zesd_factory(db.url, config=cfg, wait_ready=False)
    ctx = context(pki)
    wait_ready(z, ctx)
    first, second = pki.der("server"), pki.der("server2")

    # A keep-alive connection made before the reload.
    old = http.client.HTTPSConnection("127.0.0.1", z.port, context=ctx, timeout=10)
    a = https(z.port, "/healthz", ctx, conn=old)
    assert a.status == 200 and a.peer == first

    # Nothing changed: nothing is rebuilt.
    since = z.log_offset()
    z.signal(signal.SIGHUP)
    z.wait_log(lambda r: r.get("module") == "tls" and r.get("event") == "unchanged", since=since,
               what="tls unchanged")

    # New certificate and a map that also names the desk client.
    replace(live, "server2", "server")
    write_map(pki, mp, [("camera", "camera-gateway-1", True),
                        ("desk-client", "desk frontend", True)])
    since = z.log_offset()
    z.signal(signal.SIGHUP)
    z.wait_log(lambda r: r.get("module") == "tls" and r.get("event") == "reloaded", since=since,
               what="tls reloaded")
    a = https(z.port, "/healthz", ctx)
    assert a.status == 200 and a.peer == second, "a new connection should see the new certificate"
    a = https(z.port, "/healthz", ctx, conn=old)
    assert a.status == 200 and a.peer == first, "the open connection goes on with its own"
    assert https(z.port, "/v1/applications", context(pki, cert="desk-client")).status == 200

    # A bad key: the context in use stays, with an error line.
    with open(live.path("server.key"), "w", encoding="ascii") as f:
        f.write("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    z.expect_error(r'"module":\s*"tls".*"event":\s*"reload_failed"|reload_failed')
    since = z.log_offset()
    z.signal(signal.SIGHUP)
    rec = z.wait_log(lambda r: r.get("module") == "tls" and r.get("event") == "reload_failed",
                     since=since, what="tls reload_failed")
    assert "tls_key" in rec.get("error", ""), rec
    a = https(z.port, "/healthz", ctx)
    assert a.status == 200 and a.peer == second
    assert https(z.port, "/healthz", ctx, conn=old).status == 200
    old.close()


def test_bad_files_at_start_are_fatal(db, pki, tmp_path, env):
    junk = str(tmp_path / "junk.pem")
    with open(junk, "w", encoding="ascii") as f:
        f.write("not a certificate\n")
    cases = [
        ({"tls_cert": junk, "tls_key": pki.path("server.key")}, ["tls_cert", junk]),
        ({"tls_cert": pki.path("server.pem"), "tls_key": pki.path("camera.key")},
         ["tls_key", "camera.key", "mismatch"]),
        ({"tls_cert": pki.path("server.pem"), "tls_key": pki.path("server.key"),
          "tls_client_ca": str(tmp_path / "missing-ca.pem")}, ["tls_client_ca", "missing-ca.pem"]),
        ({"tls_cert": pki.path("server.pem"), "tls_key": pki.path("server.key"),
          "tls_client_ca": pki.path("client-ca.pem"), "tls_client_map": junk},
         ["tls_client_map", "line 1"]),
    ]
    for i, (cfg, words) in enumerate(cases):
        conf = tmp_path / f"bad{i}.conf"
        lines = [f"database_url = {db.url}", "listen = 127.0.0.1:0",
                 f"rules_dir = {os.path.join(env.source_dir, 'rules')}"]
        lines += [f"{k} = {v}" for k, v in cfg.items()]
        conf.write_text("\n".join(lines) + "\n")
        p = run([env.zesd, "--config", str(conf)], env=clean_env(), timeout=30)
        assert p.returncode != 0, (cfg, p.stdout, p.stderr)
        out = p.stdout + p.stderr
        for w in words:
            assert w in out, (w, out)
