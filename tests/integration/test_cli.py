"""The command lines of zesd and zesctl.

Covers `zesd --help` (exit 0, every configuration key listed), `zesd
--version`, an unknown option (exit 2), configuration errors from the file and
from ZES_<KEY> environment variables (exit 1, one line on stderr naming the key
or the variable), the environment winning over the file, zesctl's help,
version and usage errors, and `zesctl migrate` run twice: the second run says
"schema is up to date" and changes neither schema_migrations nor the schema.
"""

import os
import re

import pytest

from conftest import clean_env, run

CONFIG_KEYS = [
    "database_url", "listen", "threads", "rules_dir", "tls_cert", "tls_key", "tls_client_ca",
    "signing_key", "cors_origins", "max_body_bytes", "max_header_bytes", "read_timeout_ms",
    "request_timeout_ms", "statement_timeout_ms", "shutdown_timeout_ms", "db_connect_timeout_ms",
    "db_queue_max", "token_refresh_ms", "port_file", "log_level", "log_format",
]


def project_version(env):
    with open(os.path.join(env.source_dir, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(\s*zesd\b[^)]*\bVERSION\s+([0-9][0-9.]*)", f.read())
    assert m, "no project(zesd VERSION x.y.z) in CMakeLists.txt"
    return m.group(1)


def zesd(env, *args, environ=None, timeout=20):
    return run([env.zesd, *args], env=clean_env(environ), timeout=timeout)


def test_zesd_help_lists_every_key(env):
    p = zesd(env, "--help")
    assert p.returncode == 0, p.stderr
    missing = [k for k in CONFIG_KEYS if not re.search(rf"\b{k}\b", p.stdout)]
    assert not missing, f"--help does not mention {missing}:\n{p.stdout}"


def test_zesd_version(env):
    p = zesd(env, "--version")
    assert p.returncode == 0, p.stderr
    m = re.match(r"zesd (\S+)", p.stdout)
    assert m and p.stdout.count("\n") == 1, f"expected one line 'zesd <version>': {p.stdout!r}"
    assert m.group(1) == project_version(env), p.stdout


@pytest.mark.parametrize("args", [["--no-such-option"], ["-Z"], ["--config"]])
def test_zesd_usage_errors_exit_2(env, args):
    p = zesd(env, *args)
    assert p.returncode == 2, f"{args}: exit {p.returncode}, stderr {p.stderr!r}"
    assert p.stderr.strip(), "a usage error should say something on stderr"


def write_conf(tmp_path, text):
    path = tmp_path / "zesd.conf"
    path.write_text(text)
    return str(path)


def assert_one_line_naming(p, name):
    assert p.returncode == 1, f"exit {p.returncode}, stderr {p.stderr!r}"
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {p.stderr!r}"
    assert name in lines[0], f"stderr should name {name!r}: {lines[0]!r}"


BASE_CONF = "listen = 127.0.0.1:0\nlog_format = json\n# a comment\n\n"


@pytest.mark.parametrize("line,name", [
    ("no_such_key = 1", "no_such_key"),
    ("threads = abc", "threads"),
    ("threads = -1", "threads"),
    ("max_body_bytes = 12x", "max_body_bytes"),
    ("listen = 127.0.0.1", "listen"),
    ("listen = 127.0.0.1:99999", "listen"),
    ("log_level = loud", "log_level"),
    ("log_format = xml", "log_format"),
    ("read_timeout_ms = 99999999999999999999", "read_timeout_ms"),
])
def test_bad_config_file_line(env, tmp_path, line, name):
    conf = write_conf(tmp_path, BASE_CONF + line + "\n")
    assert_one_line_naming(zesd(env, "--config", conf), name)


@pytest.mark.parametrize("var,value", [
    ("ZES_THREADS", "abc"),
    ("ZES_LOG_LEVEL", "loud"),
    ("ZES_MAX_BODY_BYTES", "-5"),
    ("ZES_LISTEN", "nowhere"),
])
def test_bad_config_env(env, tmp_path, var, value):
    conf = write_conf(tmp_path, BASE_CONF)
    assert_one_line_naming(zesd(env, "--config", conf, environ={var: value}), var)


def test_missing_config_file(env, tmp_path):
    missing = str(tmp_path / "nope.conf")
    p = zesd(env, "--config", missing)
    assert p.returncode == 1, f"exit {p.returncode}, stderr {p.stderr!r}"
    assert missing in p.stderr, p.stderr


def test_env_wins_over_file(env, db, zesd_factory, tmp_path):
    # The file names one port_file, ZES_PORT_FILE another: zesd must write
    # the environment's, and serve on the port it names.
    env_port_file = str(tmp_path / "port-from-env")
    z = zesd_factory(db.url, environ={"ZES_PORT_FILE": env_port_file}, start=False)
    file_port_file = z.config["port_file"]
    z.port_file = env_port_file   # where start() waits for the port
    z.start()
    assert not os.path.exists(file_port_file), "zesd wrote the config file's port_file, not the environment's"
    assert z.get("/healthz").status == 200


def zesctl(env, *args, environ=None):
    return run([env.zesctl, *args], env=clean_env(environ), timeout=60)


def test_zesctl_help(env):
    p = zesctl(env, "--help")
    assert p.returncode == 0, p.stderr
    for word in ("migrate", "token"):
        assert word in p.stdout, f"zesctl --help does not mention {word}:\n{p.stdout}"


def test_zesctl_version(env):
    p = zesctl(env, "--version")
    assert p.returncode == 0, p.stderr
    assert project_version(env) in p.stdout, p.stdout


@pytest.mark.parametrize("args", [[], ["no-such-command"], ["token"], ["token", "create"],
                                  ["token", "create", "--role", "desk"]])
def test_zesctl_usage_errors_exit_2(env, args):
    p = zesctl(env, *args)
    assert p.returncode == 2, f"{args}: exit {p.returncode}, stderr {p.stderr!r}"


def test_zesctl_bad_role(env, db):
    p = db.zesctl("token", "create", "--role", "janitor", "--name", "x", check=False)
    assert p.returncode in (1, 2), p
    assert p.stdout == "", "no token may be printed for a refused role"


def schema_snapshot(env, database):
    mig = database.psql("SELECT * FROM schema_migrations ORDER BY 1")
    p = run([os.path.join(env.pgbin, "pg_dump"), "--schema-only", "--no-owner",
             "-h", database.cluster.host, "-p", database.cluster.port, "-U", database.cluster.user,
             database.name], env=clean_env())
    assert p.returncode == 0, p.stderr
    # pg_dump 15.14+ brackets the dump with \restrict KEY / \unrestrict KEY, a new random KEY each run.
    dump = "\n".join(l for l in p.stdout.splitlines() if not re.match(r"\\(un)?restrict ", l))
    return mig, dump


def test_migrate_twice(env, make_db):
    database = make_db(migrate=False)
    first = database.zesctl("migrate")
    assert "schema is up to date" not in first.stdout, "the first run had work to do"
    before = schema_snapshot(env, database)
    assert before[0], "schema_migrations is empty after migrate"
    second = database.zesctl("migrate")
    assert "schema is up to date" in second.stdout, f"stdout: {second.stdout!r} stderr: {second.stderr!r}"
    after = schema_snapshot(env, database)
    assert after[0] == before[0], "the second migrate changed schema_migrations"
    assert after[1] == before[1], "the second migrate changed the schema"


def test_migrate_unreachable_database(env, tmp_path):
    url = f"host={tmp_path} port=1 user=postgres dbname=nothing connect_timeout=2"
    p = run([env.zesctl, "--database-url", url, "migrate"],
            env=clean_env({"ZES_SCHEMA_DIR": env.schema_dir}), timeout=30)
    assert p.returncode == 1, f"exit {p.returncode}: {p.stderr}"
    assert p.stderr.strip(), "a failure should be explained on stderr"
