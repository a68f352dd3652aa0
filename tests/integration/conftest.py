"""Fixtures for the integration tests: the real zesd and zesctl binaries
against a real PostgreSQL 15.

The shared cluster comes from the environment that scripts/test.sh exports
(ZES_TEST_PGHOST, ZES_TEST_PGPORT, ZES_TEST_PGUSER, ZES_TEST_PGBIN); the
binaries and source paths from the ctest registration (ZESD_BIN, ZESCTL_BIN,
ZES_SOURCE_DIR, ZES_SCHEMA_DIR).  A missing variable is a failure, never a
skip: a suite that silently tests nothing is worse than a red one.

Each test module gets a fresh database, migrated with zesctl and dropped
afterwards.  `Zesd` runs one daemon with its own config file in a temporary
directory on 127.0.0.1:0, learns its port from port_file, and at teardown
stops it with SIGTERM and checks its log: exit status 0, no sanitizer report,
every line JSON, and no error-level line that the test did not declare.

Only the standard library and pytest are used.
"""

import http.client
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

REQUIRED_ENV = {
    "ZESD_BIN": "the zesd binary (set by ctest)",
    "ZESCTL_BIN": "the zesctl binary (set by ctest)",
    "ZES_SOURCE_DIR": "the repository root (set by ctest)",
    "ZES_SCHEMA_DIR": "the repository's schema/ directory (set by ctest)",
    "ZES_TEST_PGHOST": "socket directory of the test cluster (scripts/test.sh: eval \"$(scripts/pg.sh env DIR PORT)\")",
    "ZES_TEST_PGPORT": "port of the test cluster (scripts/pg.sh env)",
    "ZES_TEST_PGUSER": "superuser of the test cluster (scripts/pg.sh env)",
    "ZES_TEST_PGBIN": "PostgreSQL 15 bin directory (scripts/pg.sh env)",
}

SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")

START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0


class Env:
    """The paths and cluster coordinates the suite runs with."""

    def __init__(self):
        missing = [f"  {k}: {v}" for k, v in REQUIRED_ENV.items() if not os.environ.get(k)]
        if missing:
            pytest.fail(
                "integration tests need these environment variables (run them with "
                "scripts/test.sh, or ctest after `eval \"$(scripts/pg.sh env DIR PORT)\"`):\n"
                + "\n".join(missing),
                pytrace=False,
            )
        e = os.environ
        self.zesd = e["ZESD_BIN"]
        self.zesctl = e["ZESCTL_BIN"]
        self.source_dir = e["ZES_SOURCE_DIR"]
        self.schema_dir = e["ZES_SCHEMA_DIR"]
        self.pghost = e["ZES_TEST_PGHOST"]
        self.pgport = e["ZES_TEST_PGPORT"]
        self.pguser = e["ZES_TEST_PGUSER"]
        self.pgbin = e["ZES_TEST_PGBIN"]
        for path in (self.zesd, self.zesctl):
            if not os.access(path, os.X_OK):
                pytest.fail(f"not an executable: {path}", pytrace=False)
        if not os.path.isdir(self.schema_dir):
            pytest.fail(f"ZES_SCHEMA_DIR is not a directory: {self.schema_dir}", pytrace=False)
        if not os.access(os.path.join(self.pgbin, "psql"), os.X_OK):
            pytest.fail(f"no psql in ZES_TEST_PGBIN={self.pgbin}", pytrace=False)

    def openapi(self):
        with open(os.path.join(self.source_dir, "docs", "openapi.json"), encoding="utf-8") as f:
            return json.load(f)

    def api_version(self):
        return self.openapi()["info"]["version"]


def clean_env(extra=None):
    """The environment for zesd/zesctl: ours minus every ZES_* variable (they
    would be read as configuration), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZES_")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    env.update(extra or {})
    return env


def run(argv, env=None, timeout=60, input=None):
    return subprocess.run(argv, env=env, input=input, capture_output=True, text=True, timeout=timeout)


class Cluster:
    """A PostgreSQL cluster reached through a unix socket directory."""

    def __init__(self, host, port, user, pgbin):
        self.host, self.port, self.user, self.pgbin = host, str(port), user, pgbin

    def url(self, dbname):
        return f"host={self.host} port={self.port} user={self.user} dbname={dbname}"

    def psql(self, dbname, sql, check=True, timeout=60):
        """Run sql with psql -tA; returns stdout (stripped).  check=False
        returns the CompletedProcess instead."""
        p = run([os.path.join(self.pgbin, "psql"), "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1",
                 "-h", self.host, "-p", self.port, "-U", self.user, "-d", dbname, "-c", sql],
                env=clean_env(), timeout=timeout)
        if not check:
            return p
        assert p.returncode == 0, f"psql failed ({p.returncode}) on {sql!r}: {p.stderr}"
        return p.stdout.strip()

    def create_db(self, prefix):
        name = re.sub(r"[^a-z0-9_]", "_", f"zt_{prefix}_{os.getpid()}_{secrets.token_hex(3)}".lower())[:63]
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        return name

    def drop_db(self, name):
        self.psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Database:
    """One database of a cluster, with zesctl helpers bound to it."""

    def __init__(self, env, cluster, name):
        self.env, self.cluster, self.name = env, cluster, name
        self.url = cluster.url(name)
        self._n = 0

    def psql(self, sql, check=True, timeout=60):
        return self.cluster.psql(self.name, sql, check=check, timeout=timeout)

    def zesctl(self, *args, check=True, timeout=60):
        p = run([self.env.zesctl, "--database-url", self.url, *args],
                env=clean_env({"ZES_SCHEMA_DIR": self.env.schema_dir}), timeout=timeout)
        if check:
            assert p.returncode == 0, (f"zesctl {' '.join(args)} exited {p.returncode}\n"
                                       f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def migrate(self):
        return self.zesctl("migrate")

    def token(self, role, municipality=None, name=None):
        """Create a token; returns (name, token)."""
        self._n += 1
        name = name or f"t-{role}-{self._n}-{secrets.token_hex(3)}"
        args = ["token", "create", "--role", role, "--name", name]
        if municipality:
            args += ["--municipality", municipality]
        p = self.zesctl(*args)
        lines = p.stdout.splitlines()
        assert len(lines) == 1 and lines[0].strip() and not re.search(r"\s", lines[0]), \
            f"token create should print the token alone on one line, got {p.stdout!r}"
        return name, lines[0]

    def revoke(self, name):
        return self.zesctl("token", "revoke", name)


@pytest.fixture(scope="session")
def env():
    return Env()


@pytest.fixture(scope="session")
def cluster(env):
    return Cluster(env.pghost, env.pgport, env.pguser, env.pgbin)


@pytest.fixture(scope="module")
def make_db(request, env, cluster):
    """Factory: make_db(migrate=True) -> a fresh Database, dropped at the end of the module."""
    made = []

    def make(migrate=True):
        name = cluster.create_db(request.module.__name__.rsplit(".", 1)[-1].replace("test_", ""))
        made.append(name)
        db = Database(env, cluster, name)
        if migrate:
            db.migrate()
        return db

    yield make
    for name in made:
        cluster.drop_db(name)


@pytest.fixture(scope="module")
def db(make_db):
    """The module's migrated database."""
    return make_db()


# --------------------------------------------------------------------------
# HTTP


class Response:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def header(self, name):
        return self.headers.get(name)

    def header_all(self, name):
        return self.headers.get_all(name) or []

    @property
    def content_type(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise AssertionError(f"body is not JSON ({e}): {self.body[:500]!r}") from None

    def problem(self, status):
        """Assert an RFC 9457 problem with this status; returns the document."""
        assert self.status == status, f"expected {status}, got {self.status}: {self.body[:500]!r}"
        assert self.content_type == "application/problem+json", \
            f"expected application/problem+json, got {self.headers.get('Content-Type')!r}"
        doc = self.json()
        for k in ("type", "title", "status", "detail"):
            assert k in doc, f"problem lacks {k!r}: {doc}"
        assert doc["status"] == status, doc
        assert isinstance(doc["title"], str) and doc["title"], doc
        assert isinstance(doc["detail"], str) and doc["detail"], doc
        return doc

    def __repr__(self):
        return f"<Response {self.status} {self.body[:200]!r}>"


def http_request(port, method, path, headers=None, body=None, timeout=15.0, host="127.0.0.1"):
    """One request on a new connection.  The request is written in full with
    sendall (a server that answers early and closes does not lose us its
    answer); the response is parsed by http.client."""
    headers = dict(headers or {})
    if body is not None and not isinstance(body, (bytes, bytearray)):
        body = body.encode("utf-8")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    if body is not None and not any(k.lower() == "content-length" for k in headers):
        headers["Content-Length"] = str(len(body))
    lines += [f"{k}: {v}" for k, v in headers.items()]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered before reading everything; read that answer
        resp = http.client.HTTPResponse(sock, method=method)
        resp.begin()
        data = resp.read()
        return Response(resp.status, resp.reason, resp.headers, data)
    finally:
        sock.close()


def auth(token):
    return {"Authorization": f"Bearer {token}"}


JSON_CT = {"Content-Type": "application/json"}


def wait_for(predicate, timeout, interval=0.05, what="condition"):
    """Poll predicate() until it returns a true value; returns it, or fails."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# The daemon


class Zesd:
    """One zesd process with its own config file and log."""

    def __init__(self, env, workdir, database_url, config=None, environ=None):
        self.env = env
        self.dir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.conf_path = os.path.join(workdir, "zesd.conf")
        self.port_file = os.path.join(workdir, "port")
        self.log_path = os.path.join(workdir, "zesd.log")
        self.config = {
            "listen": "127.0.0.1:0",
            "port_file": self.port_file,
            "log_format": "json",
            "database_url": database_url,
            "rules_dir": os.path.join(env.source_dir, "rules"),
        }
        self.config.update(config or {})
        self.environ = dict(environ or {})
        self.proc = None
        self.port = None
        self.expected_errors = []   # regexes on the raw line
        self.allowed_ranges = []    # byte ranges of the log where error lines are expected
        self.returncode = None

    def write_config(self, config=None):
        if config is not None:
            self.config = config
        with open(self.conf_path, "w", encoding="utf-8") as f:
            f.write("# written by tests/integration/conftest.py\n")
            for k, v in self.config.items():
                if v is not None:
                    f.write(f"{k} = {v}\n")

    def start(self, wait_ready=True):
        self.write_config()
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.env.zesd, "--config", self.conf_path],
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                     env=clean_env(self.environ))
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                self.fail(f"zesd exited with status {self.proc.returncode} while starting")
            port = self._read_port()
            if port:
                self.port = port
                break
            if time.monotonic() > deadline:
                self.fail(f"zesd wrote no port to {self.port_file} within {START_TIMEOUT}s")
            time.sleep(0.02)
        if wait_ready:
            while True:
                try:
                    if http_request(self.port, "GET", "/readyz", timeout=5).status == 200:
                        break
                except (OSError, http.client.HTTPException):
                    pass
                if self.proc.poll() is not None:
                    self.fail(f"zesd exited with status {self.proc.returncode} while starting")
                if time.monotonic() > deadline:
                    self.fail(f"zesd was not ready (/readyz 200) within {START_TIMEOUT}s")
                time.sleep(0.05)
        return self

    def _read_port(self):
        try:
            with open(self.port_file, encoding="ascii") as f:
                text = f.read()
        except FileNotFoundError:
            return None
        if not text.endswith("\n"):
            return None  # not complete yet
        assert re.fullmatch(r"[0-9]+\n", text), f"port_file should hold a decimal port and a newline: {text!r}"
        port = int(text)
        assert 0 < port < 65536, text
        return port

    # -- requests

    def request(self, method, path, headers=None, body=None, timeout=15.0):
        try:
            return http_request(self.port, method, path, headers=headers, body=body, timeout=timeout)
        except (OSError, http.client.HTTPException) as e:
            state = "running" if self.proc.poll() is None else f"exited with status {self.proc.returncode}"
            raise AssertionError(f"{method} {path} failed: {e!r} (zesd {state})\n"
                                 f"--- zesd log, last lines:\n{self.tail()}") from e

    def get(self, path, headers=None, timeout=15.0):
        return self.request("GET", path, headers=headers, timeout=timeout)

    def post_json(self, path, body, token=None, headers=None, timeout=15.0):
        h = dict(JSON_CT)
        if token:
            h.update(auth(token))
        h.update(headers or {})
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        return self.request("POST", path, headers=h, body=body, timeout=timeout)

    # -- log

    def log_bytes(self):
        with open(self.log_path, "rb") as f:
            return f.read()

    def log_text(self):
        return self.log_bytes().decode("utf-8", "replace")

    def log_offset(self):
        return os.path.getsize(self.log_path)

    def log_records(self, since=0):
        """The JSON log lines from byte offset `since` (non-JSON lines skipped)."""
        out = []
        for line in self.log_bytes()[since:].decode("utf-8", "replace").splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                out.append(rec)
        return out

    def wait_log(self, predicate, timeout=5.0, since=0, what="a log line"):
        """Wait for a JSON log record matching predicate; returns it."""
        def find():
            for rec in self.log_records(since):
                if predicate(rec):
                    return rec
            return None
        return wait_for(find, timeout, what=what)

    def access_records(self, rid):
        return [r for r in self.log_records() if r.get("event") == "access" and r.get("rid") == rid]

    def expect_error(self, regex):
        """Declare that error-level lines matching regex are expected."""
        self.expected_errors.append(re.compile(regex))

    def allow_errors(self, start, end=None):
        """Declare error-level lines between these log offsets expected (end None: to the end)."""
        self.allowed_ranges.append((start, end))

    def tail(self, n=40):
        try:
            return "\n".join(self.log_text().splitlines()[-n:])
        except FileNotFoundError:
            return "(no log)"

    def fail(self, msg):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        pytest.fail(f"{msg}\n--- zesd log ({self.log_path}), last lines:\n{self.tail()}", pytrace=False)

    # -- lifecycle

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=STOP_TIMEOUT):
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.returncode = None
        return self.returncode

    def stop(self):
        """SIGTERM; returns a list of problems (empty when all is well)."""
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.wait_exit()
            if rc is None:
                problems.append(f"zesd did not exit within {STOP_TIMEOUT}s of SIGTERM (killed)")
            elif rc != 0:
                problems.append(f"zesd exited with status {rc} after SIGTERM, not 0")
        elif self.returncode is None:
            self.returncode = self.proc.returncode
            if self.returncode != 0:
                problems.append(f"zesd had exited with status {self.returncode}")
        self._log.close()
        problems += self.check_log()
        return problems

    def check_log(self):
        problems = []
        data = self.log_bytes()
        pos = 0
        for raw in data.split(b"\n"):
            start, pos = pos, pos + len(raw) + 1
            if not raw.strip():
                continue
            line = raw.decode("utf-8", "replace")
            for m in SANITIZER_MARKERS:
                if m in line:
                    problems.append(f"sanitizer report in the log: {line}")
            if self.config.get("log_format", "json") != "json":
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                problems.append(f"log line is not JSON: {line[:300]}")
                continue
            if not isinstance(rec, dict):
                problems.append(f"log line is not a JSON object: {line[:300]}")
                continue
            if str(rec.get("level", "")).lower() in ("error", "fatal", "crit", "critical"):
                if any(r.search(line) for r in self.expected_errors):
                    continue
                if any(start >= lo and (hi is None or start < hi) for lo, hi in self.allowed_ranges):
                    continue
                problems.append(f"unexpected error-level log line: {line[:500]}")
        # One problem per kind is enough to read; keep the first few.
        return problems[:10]


@pytest.fixture
def zesd_factory(env, tmp_path):
    """Factory for daemons stopped and checked at the end of the test."""
    made = []

    def make(database_url, config=None, environ=None, start=True, wait_ready=True):
        z = Zesd(env, str(tmp_path / f"zesd{len(made)}"), database_url, config, environ)
        made.append(z)
        if start:
            z.start(wait_ready=wait_ready)
        return z

    yield make
    problems = []
    for z in made:
        for p in z.stop():
            problems.append(f"{z.dir}: {p}")
    if problems:
        pytest.fail("zesd teardown:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def module_zesd_factory(env, tmp_path_factory):
    """Like zesd_factory, for a daemon shared by the tests of a module."""
    made = []

    def make(database_url, config=None, environ=None):
        z = Zesd(env, str(tmp_path_factory.mktemp("zesd")), database_url, config, environ)
        made.append(z)
        return z.start()

    yield make
    problems = []
    for z in made:
        for p in z.stop():
            problems.append(f"{z.dir}: {p}")
    if problems:
        pytest.fail("zesd teardown:\n" + "\n".join(problems), pytrace=False)


def metric_samples(text):
    """Parse Prometheus text: a list of (name, {label: value}, float value)."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?', line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        val = m.group(4)
        out.append((m.group(1), labels, float(val.replace("+Inf", "inf").replace("-Inf", "-inf"))))
    return out


def metric_value(text, name, **labels):
    """The value of the sample `name` whose labels include `labels` (0 when absent).
    Several matching samples are summed."""
    total = 0.0
    for n, lab, v in metric_samples(text):
        if n == name and all(lab.get(k) == str(val) for k, val in labels.items()):
            total += v
    return total


def pg_sh(env, *args, extra_env=None):
    e = dict(os.environ)
    e.update(extra_env or {})
    return subprocess.run([os.path.join(env.source_dir, "scripts", "pg.sh"), *args],
                          capture_output=True, text=True, env=e, timeout=120)


@pytest.fixture
def private_cluster(env):
    """A throw-away cluster of our own (scripts/pg.sh) on a free port."""
    top = tempfile.mkdtemp(prefix="zes-it-")
    os.chmod(top, 0o755)  # our own directory: let postgres traverse it
    datadir = os.path.join(top, "pgdata")
    port = free_port()
    p = pg_sh(env, "start", datadir, str(port), extra_env={"PG_FAST": "1"})
    assert p.returncode == 0, f"pg.sh start failed: {p.stdout}{p.stderr}"
    url = pg_sh(env, "url", datadir, str(port), "postgres").stdout.strip()
    host = re.search(r"host=(\S+)", url).group(1)

    class Private(Cluster):
        def stop(self):
            r = pg_sh(env, "stop", datadir)
            assert r.returncode == 0, f"pg.sh stop failed: {r.stdout}{r.stderr}"

        def start(self):
            r = pg_sh(env, "start", datadir, str(port), extra_env={"PG_FAST": "1"})
            assert r.returncode == 0, f"pg.sh start failed: {r.stdout}{r.stderr}"

    c = Private(host, port, "postgres", env.pgbin)
    c.datadir = datadir
    yield c
    pg_sh(env, "destroy", datadir)
    shutil.rmtree(top, ignore_errors=True)


class LockHolder:
    """A psql session that runs `sql` in an open transaction until release();
    by default it keeps schema_migrations locked."""

    def __init__(self, db, sql="LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE"):
        c = db.cluster
        self.proc = subprocess.Popen(
            [os.path.join(c.pgbin, "psql"), "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1",
             "-h", c.host, "-p", c.port, "-U", c.user, "-d", db.name],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=clean_env(), text=True, bufsize=1)
        self.proc.stdin.write(f"BEGIN;\n{sql};\nSELECT 'held';\n")
        self.proc.stdin.flush()
        # Output before ours (an empty line for a void result) is skipped. The
        # pipe is read unbuffered: a buffered readline() could take "held"
        # into Python's buffer with the line before it, and select() would then
        # wait for bytes that already arrived.
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + 30
        seen = b""
        while b"held\n" not in seen:
            ready, _, _ = select.select([fd], [], [], max(0, deadline - time.monotonic()))
            chunk = os.read(fd, 4096) if ready else b""
            seen += chunk
            if not chunk:
                locks = db.psql("SELECT pid, locktype, relation::regclass, classid, objid, granted "
                                "FROM pg_locks WHERE locktype IN ('advisory', 'relation') "
                                "AND NOT granted", check=False)
                self.proc.kill()
                pytest.fail(f"psql did not take the lock (output {seen!r}): "
                            f"{self.proc.stderr.read()}\n"
                            f"waiting locks: {getattr(locks, 'stdout', locks)}")

    def release(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("COMMIT;\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=10)


def lock_waiters(db):
    return int(db.psql("SELECT count(*) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND wait_event_type = 'Lock'"))
