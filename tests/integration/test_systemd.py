"""zesd under systemd: the sd_notify protocol, the unit file, the man pages.

A Python datagram socket plays systemd's NOTIFY_SOCKET.  READY=1 must come
only once /readyz answers 200 on every worker: not while the database has
no schema, not while the schema question is stuck behind a lock, and right
after it every connection gets 200.  SIGHUP gives RELOADING=1 with a
MONOTONIC_USEC taken during the reload, then READY=1, also when the new
configuration is broken; SIGTERM gives STOPPING=1 and nothing after it.  A
NOTIFY_SOCKET nobody listens on is logged once and changes nothing else.

systemd/zesd.service scores 2.0 or lower in `systemd-analyze security
--offline=true` and `systemd-analyze verify` has nothing to say about it
(run on a copy whose ExecStart names the zesd under test, since /usr/sbin/zesd
exists only where the package is installed; scripts/check-package.sh
verifies the installed unit as shipped).  The man pages document every
configuration key and every zesctl command, and groff has no warning.
"""

import os
import re
import select
import signal
import socket
import subprocess
import time

import pytest

from conftest import LockHolder, run, wait_for

SOURCE = os.environ.get("ZES_SOURCE_DIR", "")
UNIT = os.path.join(SOURCE, "systemd", "zesd.service")
MAN = os.path.join(SOURCE, "docs", "man")


class NotifySocket:
    """A unix datagram socket standing in for systemd's notify socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.messages = []      # [(monotonic time received, {key: value})]

    def poll(self, timeout=0.0):
        """Collect what arrived, waiting at most timeout for a first message."""
        wait = timeout
        while select.select([self.sock], [], [], wait)[0]:
            data = self.sock.recv(4096)
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if line)
            self.messages.append((time.monotonic(), fields))
            wait = 0
        return self.messages

    def wait(self, key, value="1", after=0, timeout=20.0):
        """Wait for a message (index >= after) with key=value; returns its index."""
        deadline = time.monotonic() + timeout
        while True:
            for i, (_, m) in enumerate(self.messages[after:], after):
                if m.get(key) == value:
                    return i
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no {key}={value} on the notify socket within {timeout}s; "
                            f"got {[m for _, m in self.messages]}")
            self.poll(min(left, 0.2))

    def with_key(self, key, value="1"):
        return [i for i, (_, m) in enumerate(self.poll()) if m.get(key) == value]

    def close(self):
        self.sock.close()


@pytest.fixture
def notify(tmp_path):
    n = NotifySocket(str(tmp_path / "notify"))
    yield n
    n.close()


def readyz_everywhere(z, n=8):
    """/readyz on n fresh connections (SO_REUSEPORT spreads them over the workers)."""
    return [z.get("/readyz").status for _ in range(n)]


def test_ready_only_once_readyz_answers_200(make_db, zesd_factory, notify):
    database = make_db(migrate=False)
    z = zesd_factory(database.url, config={"threads": "2"},
                     environ={"NOTIFY_SOCKET": notify.path}, wait_ready=False)
    z.allow_errors(0)  # until the schema exists, errors are expected (narrowed below)
    # Started before `zesctl migrate`: serving /readyz 503, and silent.
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        assert z.get("/readyz").status == 503
        time.sleep(0.1)
    assert notify.with_key("READY") == [], notify.messages
    starting = [m for _, m in notify.messages if m.get("STATUS", "").startswith("starting")]
    assert starting, f"expected a STATUS=starting... message, got {notify.messages}"

    database.migrate()
    i = notify.wait("READY", timeout=20)
    assert readyz_everywhere(z) == [200] * 8
    assert notify.messages[i][1].get("STATUS") == "serving"
    assert len(notify.with_key("READY")) == 1
    z.allowed_ranges[-1] = (0, z.log_offset())  # no error from here on


def test_ready_waits_for_the_schema_question(db, zesd_factory, notify):
    # The schema question of /readyz stuck behind a lock: tokens and index
    # load, the database answers other queries, and still no READY=1.
    holder = LockHolder(db)
    try:
        z = zesd_factory(db.url, config={"threads": "2", "statement_timeout_ms": "300",
                                         "request_timeout_ms": "1000"},
                         environ={"NOTIFY_SOCKET": notify.path}, wait_ready=False)
        wait_for(lambda: z.get("/metrics").body.find(b"zes_index_ready 1") >= 0, 10,
                 what="the access index to load")
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            assert z.get("/readyz").status == 503
        assert notify.with_key("READY") == [], notify.messages
    finally:
        holder.release()
    notify.wait("READY", timeout=20)
    assert readyz_everywhere(z) == [200] * 8


def test_reload_and_stop(db, zesd_factory, notify):
    z = zesd_factory(db.url, config={"threads": "2"}, environ={"NOTIFY_SOCKET": notify.path})
    ready = notify.wait("READY")

    # A good reload: RELOADING=1 with the monotonic time of the reload, then READY=1.
    before = time.monotonic_ns() // 1000
    z.signal(signal.SIGHUP)
    r = notify.wait("RELOADING", after=ready + 1)
    done = notify.wait("READY", after=r + 1)
    after = time.monotonic_ns() // 1000
    usec = notify.messages[r][1].get("MONOTONIC_USEC", "")
    assert re.fullmatch(r"[0-9]+", usec), notify.messages[r]
    assert before <= int(usec) <= after, (before, usec, after)
    z.wait_log(lambda rec: rec.get("event") == "reloaded", what="the reload to finish")
    assert z.get("/readyz").status == 200

    # A broken configuration: the reload fails, zesd serves on, and says so.
    mark = z.log_offset()
    z.expect_error(r'"event":"reload_failed"')
    with open(z.conf_path, "a", encoding="utf-8") as f:
        f.write("no_such_key = 1\n")
    z.signal(signal.SIGHUP)
    r2 = notify.wait("RELOADING", after=done + 1)
    done2 = notify.wait("READY", after=r2 + 1)
    assert "failed" in notify.messages[done2][1].get("STATUS", ""), notify.messages[done2]
    z.wait_log(lambda rec: rec.get("event") == "reload_failed", since=mark, what="reload_failed")
    assert z.get("/readyz").status == 200
    z.write_config()

    # SIGTERM: STOPPING=1, exit 0, and nothing after STOPPING=1.
    z.signal(signal.SIGTERM)
    s = notify.wait("STOPPING", after=done2 + 1)
    assert z.wait_exit() == 0
    notify.poll(0.3)
    assert len(notify.messages) == s + 1, f"messages after STOPPING=1: {notify.messages[s + 1:]}"
    order = [k for _, m in notify.messages for k in ("READY", "RELOADING", "STOPPING") if k in m]
    assert order == ["READY", "RELOADING", "READY", "RELOADING", "READY", "STOPPING"], order


def test_notify_socket_without_listener(db, zesd_factory, tmp_path):
    # Nobody listens: zesd warns once and serves as ever.
    z = zesd_factory(db.url, environ={"NOTIFY_SOCKET": str(tmp_path / "nobody")})
    z.signal(signal.SIGHUP)
    z.wait_log(lambda rec: rec.get("event") == "reloaded", what="the reload")
    assert z.get("/readyz").status == 200
    warned = [r for r in z.log_records() if r.get("event") == "sd_notify_failed"]
    assert len(warned) == 1, warned


def analyze(*args):
    p = run(["systemd-analyze", *args], timeout=60)
    return p.returncode, p.stdout + p.stderr


def test_unit_security_score():
    rc, out = analyze("security", "--offline=true", "--threshold=20", UNIT)
    score = re.search(r"Overall exposure level for zesd\.service: ([0-9.]+)", out)
    assert score, out
    assert rc == 0 and float(score.group(1)) <= 2.0, out


def test_unit_verifies(env, tmp_path):
    with open(UNIT, encoding="utf-8") as f:
        text = f.read()
    assert text.count("ExecStart=/usr/sbin/zesd ") == 1
    unit = tmp_path / "zesd.service"
    unit.write_text(text.replace("ExecStart=/usr/sbin/zesd ", f"ExecStart={env.zesd} "))
    rc, out = analyze("verify", "--man=no", str(unit))
    assert rc == 0 and out.strip() == "", out
    # The checks above must be able to fail: a misspelt key is reported.
    unit.write_text(text.replace("NoNewPrivileges=", "NoNewPrivilege="))
    rc, out = analyze("verify", "--man=no", str(unit))
    assert "NoNewPrivilege" in out, out


def test_man_pages_cover_the_keys_and_commands(env):
    with open(os.path.join(MAN, "zesd.conf.5"), encoding="utf-8") as f:
        conf5 = f.read()
    keys = re.findall(r"^  ([a-z_]+) ", run([env.zesd, "--help"]).stdout, re.M)
    assert len(keys) >= 20, keys
    documented = set(re.findall(r"^\.TP\n\.B ([a-z_]+)$", conf5, re.M))
    assert sorted(set(keys) - documented) == [], "keys missing from zesd.conf(5)"
    assert sorted(documented - set(keys)) == [], "zesd.conf(5) documents keys zesd does not know"

    with open(os.path.join(MAN, "zesctl.8"), encoding="utf-8") as f:
        ctl8 = f.read().replace("\\-", "-")
    commands = re.findall(r"^  ([a-z][a-z-]*(?: [a-z]+)?)(?: |$)", run([env.zesctl, "--help"]).stdout, re.M)
    assert "check-rules" in commands and "token create" in commands, commands
    for c in commands:
        assert re.search(r"^\.(TP\n\.)?B[IR]? \"?" + re.escape(c), ctl8, re.M), f"zesctl {c} not in zesctl(8)"

    for page in ("zesd.8", "zesctl.8", "zesd.conf.5"):
        p = subprocess.run(["groff", "-man", "-ww", "-z", os.path.join(MAN, page)],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0 and p.stderr == "", f"{page}: {p.stderr}"
