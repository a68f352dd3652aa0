#!/usr/bin/python3
"""Helpers of the enforcement benchmark (tests/bench/run.sh).  Standard
library only.

    bench.py plates  --vehicles CSV --out FILE [--count N] [--unknown F] [--seed S]
    bench.py ready   --url URL --since EPOCH [--timeout S] [--pid PID]
    bench.py wrk     --results JSONL --name NAME --round R --pid PID --url URL
                     --plates FILE --token TOKEN [--batch N] [--threads T]
                     [--connections C] [--duration S] [--lua FILE]
    bench.py proc    --pid PID
    bench.py metrics --url URL
    bench.py speed   < output of `openssl speed ed25519`
    bench.py lag     --url URL --token TOKEN --pghost DIR --pgport P
                     --grants N --out JSON
    bench.py report  --results JSONL [--meta JSON]

`wrk` runs wrk once against a server whose pid it is given, and appends one
JSON line to the results: wrk's requests/s and latency percentiles (from the
BENCH line of checks.lua), the server's CPU time over the run from
/proc/PID/stat (utime + stime of every thread) per request, and wrk's own
CPU time (it shares the two cores with the server).  `report` prints the
table of run.sh from those lines.
"""

import argparse
import csv
import http.client
import json
import os
import random
import re
import socket
import statistics
import struct
import subprocess
import sys
import time

ZONES = [("GM0599", 50), ("GM0518", 35), ("GM0503", 15)]   # Rotterdam, Den Haag, Delft
LETTERS = "BDFGHJKLMNPRSTVXZ"
SHAPES = ["XX999X", "X999XX", "XXX99X", "X99XXX", "9XX999", "999XX9", "99XXX9", "9XXX99"]


def die(msg):
    print(f"bench.py: {msg}", file=sys.stderr)
    sys.exit(1)


# --------------------------------------------------------------------------
# plates: the list the wrk script draws from.

def read_plates(csv_path):
    """The kenteken column; a CSV reader, since gen_rdw.py writes quoted
    fields with line breaks in them, as the RDW's files have."""
    plates = []
    with open(csv_path, encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        header = next(rows, [""])
        if header[0].strip().lower() != "kenteken":
            die(f"{csv_path}: the first column is not kenteken")
        for row in rows:
            p = row[0].strip() if row else ""
            if p:
                plates.append(p)
    return plates


def random_plate(rng):
    shape = rng.choice(SHAPES)
    return "".join(rng.choice(LETTERS) if c == "X" else rng.choice("0123456789") for c in shape)


def cmd_plates(a):
    rng = random.Random(a.seed)
    known = read_plates(a.vehicles)
    known_set = set(known)
    munis = [m for m, _ in ZONES]
    weights = [w for _, w in ZONES]
    n_unknown = int(round(a.count * a.unknown))
    out = []
    for p in rng.sample(known, min(a.count - n_unknown, len(known))):
        out.append(p)
    while len(out) < a.count:
        p = random_plate(rng)
        if p not in known_set:
            out.append(p)
    rng.shuffle(out)
    with open(a.out, "w") as f:
        for p in out:
            f.write(f"{p} {rng.choices(munis, weights)[0]}\n")
    print(f"bench.py: {len(out)} plates in {a.out} ({len(out) - n_unknown} in the register, "
          f"{n_unknown} unknown)", file=sys.stderr)


# --------------------------------------------------------------------------
# ready: seconds from --since to the first /readyz 200.

def split_url(url):
    m = re.match(r"^http://([^:/]+):(\d+)$", url)
    if not m:
        die(f"bad url {url}")
    return m.group(1), int(m.group(2))


def cmd_ready(a):
    host, port = split_url(a.url)
    deadline = time.time() + a.timeout
    last = "no answer"
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection(host, port, timeout=2)
            c.request("GET", "/readyz")
            r = c.getresponse()
            body = r.read()
            c.close()
            if r.status == 200:
                took = time.time() - a.since
                if a.pid:
                    # The CPU zesd spent getting there (the rest of the wall
                    # time is mostly PostgreSQL sending the COPY).
                    cpu = proc_cpu_ticks(a.pid) / os.sysconf("SC_CLK_TCK")
                    print(f"{took:.3f} {cpu:.2f}")
                else:
                    print(f"{took:.3f}")
                return
            last = f"{r.status} {body[:200]!r}"
        except OSError as e:
            last = str(e)
        time.sleep(0.01)
    die(f"not ready within {a.timeout} s: {last}")


# --------------------------------------------------------------------------
# /proc figures of a process.

def proc_cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    rest = s[s.rindex(")") + 2:].split()
    return int(rest[11]) + int(rest[12])      # utime + stime, every thread


def machine_busy_ticks():
    """Ticks every core spent not idle, from the first line of /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)          # idle + iowait
    steal = v[7] if len(v) > 7 else 0
    return sum(v[:8]) - idle - steal, steal


def proc_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def proc_huge_kb(pid):
    """Anonymous memory in transparent huge pages (smaps_rollup), or None."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("AnonHugePages:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cmd_proc(a):
    print(json.dumps({"ticks": proc_cpu_ticks(a.pid), "hz": os.sysconf("SC_CLK_TCK"),
                      "rss_kb": proc_rss_kb(a.pid), "huge_kb": proc_huge_kb(a.pid)}))


# --------------------------------------------------------------------------
# wrk: one run, one result line.

def cmd_wrk(a):
    hz = os.sysconf("SC_CLK_TCK")
    lua = a.lua or os.path.join(os.path.dirname(os.path.abspath(__file__)), "checks.lua")
    cmd = ["wrk", f"-t{a.threads}", f"-c{a.connections}", f"-d{a.duration}s",
           "--timeout", "10s", "-s", lua, a.url, "--", a.plates, a.token, str(a.batch)]
    t0 = proc_cpu_ticks(a.pid)
    m0, st0 = machine_busy_ticks()
    w0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate()
    # communicate() reaped it; its rusage comes from the children total.
    wall = time.monotonic() - w0
    t1 = proc_cpu_ticks(a.pid)
    m1, st1 = machine_busy_ticks()
    ru = os.times()
    if p.returncode != 0:
        die(f"wrk failed ({p.returncode}): {err.decode(errors='replace')[-2000:]}")
    line = next((ln for ln in out.decode().splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        die(f"no BENCH line in wrk's output:\n{out.decode(errors='replace')}")
    res = json.loads(line[6:])
    res.update({
        "name": a.name, "round": a.round, "batch": a.batch, "threads": a.threads,
        "connections": a.connections, "duration_s": a.duration, "wall_s": round(wall, 3),
        "server_cpu_s": (t1 - t0) / hz,
        "client_cpu_total_s": ru.children_user + ru.children_system,
        "machine_busy_s": (m1 - m0) / hz, "steal_s": (st1 - st0) / hz,
        "rss_kb": proc_rss_kb(a.pid),
    })
    n = max(res["requests"], 1)
    res["server_cpu_us_per_req"] = res["server_cpu_s"] * 1e6 / n
    # wrk's CPU includes building its requests in init(): a fraction of a second.
    res["client_cpu_us_per_req"] = res["client_cpu_total_s"] * 1e6 / n
    errors = sum(res[k] for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout"))
    res["errors"] = errors
    # CPU that neither the server nor wrk used: other processes on the machine
    # (PostgreSQL, zesd's builder is part of the server).  Noise when large.
    res["other_cpu_s"] = max(0.0, res["machine_busy_s"] - res["server_cpu_s"] - res["client_cpu_total_s"])
    with open(a.results, "a") as f:
        f.write(json.dumps(res) + "\n")
    print(f"  {a.name:<14} round {a.round}: {res['rps']:>10.0f} req/s  p50 {res['p50_us'] / 1000:7.3f} ms"
          f"  p99 {res['p99_us'] / 1000:7.3f} ms  server CPU {res['server_cpu_us_per_req']:7.2f} us/req"
          f"  other CPU {res['other_cpu_s']:5.2f} s  errors {errors}", file=sys.stderr)


# --------------------------------------------------------------------------
# metrics: the index figures of /metrics.

def get(url, path, headers=None):
    host, port = split_url(url)
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def cmd_metrics(a):
    status, body = get(a.url, "/metrics")
    if status != 200:
        die(f"/metrics answered {status}")
    out = {}
    for line in body.decode().splitlines():
        m = re.match(r"^(zes_index_[a-z_]+) ([0-9.eE+-]+)$", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    print(json.dumps(out))


# --------------------------------------------------------------------------
# speed: the Ed25519 sign rate of `openssl speed ed25519`.

def cmd_speed(a):
    text = sys.stdin.read()
    for line in text.splitlines():
        # "                              sign    verify    sign/s verify/s"
        # " 253 bits EdDSA (Ed25519)   0.0000s   0.0001s  40000.0  12000.0"
        m = re.search(r"EdDSA \(Ed25519\)\s+([0-9.]+)s\s+([0-9.]+)s\s+([0-9.]+)\s+([0-9.]+)", line)
        if m:
            print(json.dumps({"sign_s": float(m.group(3)), "verify_s": float(m.group(4))}))
            return
    die("no Ed25519 line in openssl speed's output:\n" + text[-1500:])


# --------------------------------------------------------------------------
# lag: from the commit of a grant to the first access check that sees it.

class Pg:
    """The PostgreSQL wire protocol (v3), simple queries only, over a unix
    socket with trust authentication: enough to time a COMMIT exactly."""

    def __init__(self, sockdir, port, user="postgres", database="zesd"):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(f"{sockdir}/.s.PGSQL.{port}")
        self.buf = b""
        params = b"".join(k.encode() + b"\0" + v.encode() + b"\0"
                          for k, v in (("user", user), ("database", database),
                                       ("application_name", "zes-bench-lag"))) + b"\0"
        self.s.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        self._until_ready()

    def _recv(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise OSError("the server closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _msg(self):
        t, ln = struct.unpack("!ci", self._recv(5))
        return t, self._recv(ln - 4)

    def _until_ready(self):
        rows, error = [], None
        while True:
            t, body = self._msg()
            if t == b"R":
                code = struct.unpack("!i", body[:4])[0]
                if code != 0:
                    raise OSError(f"authentication {code} asked: the bench cluster uses trust")
            elif t == b"D":
                n = struct.unpack("!h", body[:2])[0]
                off, row = 2, []
                for _ in range(n):
                    ln = struct.unpack("!i", body[off:off + 4])[0]
                    off += 4
                    if ln < 0:
                        row.append(None)
                    else:
                        row.append(body[off:off + ln].decode())
                        off += ln
                rows.append(row)
            elif t == b"E":
                fields = dict((f[:1], f[1:].decode(errors="replace")) for f in body.split(b"\0") if f)
                error = fields.get(b"M", "error")
            elif t == b"Z":
                if error:
                    raise RuntimeError(error)
                return rows

    def query(self, sql):
        data = sql.encode() + b"\0"
        self.s.sendall(b"Q" + struct.pack("!i", 4 + len(data)) + data)
        return self._until_ready()


class Api:
    def __init__(self, url, token):
        self.host, self.port = split_url(url)
        self.token = token
        self.c = http.client.HTTPConnection(self.host, self.port, timeout=10)

    def checks(self, items):
        body = json.dumps({"checks": items})
        self.c.request("POST", "/v1/access-checks", body=body, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        r = self.c.getresponse()
        data = r.read()
        if r.status != 200:
            die(f"access check answered {r.status}: {data[:300]!r}")
        return json.loads(data)["results"]


def cmd_fixed(a):
    """The same requests in the same order on one keep-alive connection:
    --singles single checks, then --batches batches of --batch checks, the
    plates taken in turn from the plate list.  For counting instructions."""
    with open(a.plates) as f:
        plates = [ln.split() for ln in f if len(ln.split()) == 2]
    if not plates:
        die(f"no plates in {a.plates}")
    api = Api(a.url, a.token)
    k = decisions = 0

    def take(n):
        nonlocal k
        items = [{"plate": plates[(k + i) % len(plates)][0],
                  "municipality": plates[(k + i) % len(plates)][1]} for i in range(n)]
        k += n
        return items

    for _ in range(a.singles):
        decisions += len(api.checks(take(1)))
    for _ in range(a.batches):
        decisions += len(api.checks(take(a.batch)))
    print(json.dumps({"requests": a.singles + a.batches, "decisions": decisions}))


LAG_AT = "2026-06-01T12:00:00Z"
LAG_MUNI = "GM0599"


def cmd_lag(a):
    pg = Pg(a.pghost, a.pgport)
    api = Api(a.url, a.token)
    rng = random.Random(7)
    # Plates of the register with no exemption whose answer in Rotterdam is
    # `none`: a long_delivery grant of Rotterdam turns it into
    # municipal_exemption.
    cands = [r[0] for r in pg.query(
        "SELECT plate FROM vehicles v WHERE category IN ('N1','N2','N3') "
        "AND NOT EXISTS (SELECT 1 FROM exemptions e WHERE e.plate = v.plate) "
        f"ORDER BY md5(plate || 'lag') LIMIT {a.grants * 12}")]
    plates = []
    for i in range(0, len(cands), 1000):
        chunk = cands[i:i + 1000]
        res = api.checks([{"plate": p, "municipality": LAG_MUNI, "at": LAG_AT} for p in chunk])
        plates += [p for p, r in zip(chunk, res) if r.get("basis") == "none"]
        if len(plates) >= a.grants:
            break
    if len(plates) < a.grants:
        die(f"only {len(plates)} plates answer `none` in {LAG_MUNI}; {a.grants} needed")
    plates = plates[:a.grants]
    lags, missed = [], 0
    for i, plate in enumerate(plates):
        time.sleep(rng.uniform(0.002, 0.010))
        item = [{"plate": plate, "municipality": LAG_MUNI, "at": LAG_AT}]
        pg.query("BEGIN; INSERT INTO exemptions (plate, country, scope, type, issuer, "
                 "valid_from, valid_until) VALUES "
                 f"('{plate}', 'NL', 'municipal', 'long_delivery', '{LAG_MUNI}', "
                 "'2026-01-01T00:00:00+01', '2027-01-01T00:00:00+01')")
        pg.query("COMMIT")
        t0 = time.perf_counter()
        while True:
            r = api.checks(item)[0]
            now = time.perf_counter()
            if r.get("basis") == "municipal_exemption":
                lags.append(now - t0)
                break
            if now - t0 > a.give_up:
                missed += 1
                break
            time.sleep(a.poll_ms / 1000.0)
    out = {"grants": len(plates), "seen": len(lags), "missed": missed, "poll_ms": a.poll_ms,
           "p50_ms": pct(lags, 50) * 1000 if lags else None,
           "p99_ms": pct(lags, 99) * 1000 if lags else None,
           "max_ms": max(lags) * 1000 if lags else None}
    with open(a.out, "w") as f:
        json.dump(out, f)
    print(f"  lag: {out['seen']} grants seen, p50 {fmt(out['p50_ms'], 2)} ms, "
          f"p99 {fmt(out['p99_ms'], 2)} ms, max {fmt(out['max_ms'], 2)} ms, missed {missed}",
          file=sys.stderr)


def pct(values, p):
    """Nearest-rank percentile."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


def fmt(v, nd=1):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return f"{v:,.{nd}f}"


# --------------------------------------------------------------------------
# report: the table.

def med(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def verdict(val, op, target):
    if val is None:
        return "n/a"
    ok = val >= target if op == ">=" else val <= target
    return "met" if ok else "MISSED"


def round_ratios(by, a, b, key, key_b=None, scale=1):
    """Per round, a's figure (times scale) over b's, for the rounds both ran."""
    rb = {r["round"]: r.get(key_b or key) for r in by.get(b, [])}
    return [r[key] * scale / rb[r["round"]] for r in by.get(a, [])
            if rb.get(r["round"]) and r.get(key) is not None]


def med_ratio(by, a, b, key, key_b=None, scale=1):
    """The median of the per-round ratios (None without a common round)."""
    v = round_ratios(by, a, b, key, key_b, scale)
    return statistics.median(v) if v else None


def per_round(by, a, b, key, key_b=None, scale=1):
    return ", ".join(f"{x:.3f}" for x in round_ratios(by, a, b, key, key_b, scale))


def quartiles(v):
    """First quartile, median, third quartile (statistics.quantiles, n=4)."""
    if len(v) < 2:
        return (v[0], v[0], v[0]) if v else (None, None, None)
    q = statistics.quantiles(v, n=4, method="inclusive")
    return q[0], statistics.median(v), q[2]


def agreement_rows(by, meta, row):
    """zesd with agreements over zesd without them, in pairs of short runs."""
    if not by.get("agr-without"):
        return
    n = meta.get("agreements", 0)
    sec = f"{n} agreements"
    nb = (by.get("agr-with-batch") or [{}])[0].get("batch", 1000)

    def m(name, key):
        return med(by.get(name, []), key)

    def pairs(what, a, b, key, scale, nd, op, target, tgt_text):
        """One row: medians of each side; the median of the pairs' ratios
        is the figure judged, its quartiles beside it."""
        v = round_ratios(by, a, b, key)
        q1, q2, q3 = quartiles(v)
        va, vb = m(a, key), m(b, key)
        row(sec, f"{what} (with | without); median of {len(v)} pair ratios",
            fmt(va and va * scale, nd), fmt(vb and vb * scale, nd), fmt(q2, 3),
            tgt_text, verdict(q2, op, target) if tgt_text else "")
        row(sec, "  pair ratios: quartiles; ratio of the medians",
            f"{fmt(q1, 3)} - {fmt(q3, 3)}", "", fmt(ratio(va, vb), 3))

    iw, io = (by.get("agr-with-instr") or [None])[0], (by.get("agr-without-instr") or [None])[0]
    if iw and io:
        pw, po = ratio(iw["ir"], iw["decisions"]), ratio(io["ir"], io["decisions"])
        row(sec, f"instructions per decision, {iw['requests']:,} requests "
            f"({iw['decisions']:,} decisions; callgrind)", fmt(pw, 0), fmt(po, 0), fmt(ratio(pw, po), 4),
            "<= 1.05x without", verdict(ratio(pw, po), "<=", 1.05))
        row(sec, "  of them in zes_recognition_find, per decision",
            fmt(ratio(iw["recognition_ir"], iw["decisions"]), 3),
            fmt(ratio(io["recognition_ir"], io["decisions"]), 3), "")
    pairs("single checks/s", "agr-with", "agr-without", "rps", 1, 0, ">=", 0.95, ">= 0.95 of without")
    pairs("server CPU us/request", "agr-with", "agr-without", "server_cpu_us_per_req", 1, 2,
          "<=", 1.05, "<= 1.05x without")
    pairs("single-check p99 ms", "agr-with", "agr-without", "p99_us", 0.001, 3, "<=", 1.05,
          "<= 1.05x without")
    pairs(f"decisions/s in {nb}-check batches", "agr-with-batch", "agr-without-batch", "rps", nb, 0,
          ">=", 0.95, ">= 0.95 of without")
    pairs("server CPU us/decision in batches", "agr-with-batch", "agr-without-batch",
          "server_cpu_us_per_req", 1 / nb, 3, "<=", 1.05, "<= 1.05x without")
    cmp = meta.get("cmp") or {}
    cw, co = cmp.get("with") or {}, cmp.get("without") or {}
    ixw, ixo = (cw.get("index") or {}).get("zes_index_bytes"), (co.get("index") or {}).get("zes_index_bytes")
    row(sec, "index bytes (with | without)", fmt(ixw, 0), fmt(ixo, 0), fmt(ratio(ixw, ixo), 4))
    rw, ro = cw.get("rss_kb"), co.get("rss_kb")
    row(sec, "zesd RSS MiB after the runs (with | without)", fmt(rw and rw / 1024, 1),
        fmt(ro and ro / 1024, 1), fmt(ratio(rw, ro), 3))
    nblk = len(by.get("agr-with-ready", []))
    tw, to = m("agr-with-ready", "ready_s"), m("agr-without-ready", "ready_s")
    row(sec, f"start to /readyz 200, s (with | without; medians of {nblk} starts)", fmt(tw, 2), fmt(to, 2),
        fmt(ratio(tw, to), 3))


def cmd_report(a):
    rows = [json.loads(ln) for ln in open(a.results) if ln.strip()]
    meta = json.load(open(a.meta)) if a.meta else {}
    by = {}
    for r in rows:
        by.setdefault(r["name"], []).append(r)

    def m(name, key):
        return med(by.get(name, []), key)

    z, c, zs, zb = "zesd", "ceiling", "zesd-signed", "zesd-batch"
    t = []      # (section, figure, zesd, reference, ratio, target, verdict)

    def row(section, what, val, ref=None, rat=None, target="", ver=""):
        t.append((section, what, val, ref, rat, target, ver))

    # zesd and the ceiling run alternately: each ratio is the median of the
    # rounds' own ratios, since the machine's speed drifts between rounds.
    rz, rc = m(z, "rps"), m(c, "rps")
    rr = med_ratio(by, z, c, "rps")
    row("single check", "requests/s (zesd | ceiling); ratio: median of the rounds'", fmt(rz, 0),
        fmt(rc, 0), fmt(rr, 3), ">= 0.8 of ceiling", verdict(rr, ">=", 0.8))
    row("single check", f"  per round: {per_round(by, z, c, 'rps')}", "", "", "")
    p50z, p50c = m(z, "p50_us"), m(c, "p50_us")
    row("single check", "p50 ms", fmt(p50z and p50z / 1000, 3), fmt(p50c and p50c / 1000, 3),
        fmt(med_ratio(by, z, c, "p50_us"), 2))
    p99z, p99c = m(z, "p99_us"), m(c, "p99_us")
    pr = med_ratio(by, z, c, "p99_us")
    row("single check", "p99 ms", fmt(p99z and p99z / 1000, 3), fmt(p99c and p99c / 1000, 3),
        fmt(pr, 2), "<= 1.5x ceiling p99", verdict(pr, "<=", 1.5))
    cz, cc = m(z, "server_cpu_us_per_req"), m(c, "server_cpu_us_per_req")
    row("single check", "server CPU us/request", fmt(cz, 2), fmt(cc, 2),
        fmt(med_ratio(by, z, c, "server_cpu_us_per_req"), 2))

    wz, wc = m(z, "client_cpu_us_per_req"), m(c, "client_cpu_us_per_req")
    row("single check", "wrk (client) CPU us/request", fmt(wz, 2), fmt(wc, 2), fmt(ratio(wz, wc), 2))

    rs, cs = m(zs, "rps"), m(zs, "server_cpu_us_per_req")
    sign = meta.get("openssl", {}).get("sign_s")
    sign_all = meta.get("openssl_all", {}).get("sign_s")
    ncpu = meta.get("ncpu", 2)
    per_core = 1e6 / cs if cs else None
    row("signed", "requests/s (zesd signed | ceiling)", fmt(rs, 0), fmt(rc, 0), fmt(ratio(rs, rc), 3))
    row("signed", "p50 / p99 ms", f"{fmt(m(zs, 'p50_us') and m(zs, 'p50_us') / 1000, 3)} / "
        f"{fmt(m(zs, 'p99_us') and m(zs, 'p99_us') / 1000, 3)}", "", "")
    row("signed", "server CPU us/request", fmt(cs, 2), fmt(cz, 2) + " unsigned",
        fmt(ratio(cs, cz), 2))
    # Each signed round is followed by its own `openssl speed ed25519`; the
    # target's ratio is the median of the rounds' own ratios.
    so = m("openssl", "sign_s")
    sr = med_ratio(by, zs, "openssl", "rps", "sign_s") if so is not None else ratio(rs, sign)
    after = " after each round" if so is not None else ""
    row("signed", f"signed checks/s | `openssl speed ed25519` sign/s{after}", fmt(rs, 0),
        fmt(so if so is not None else sign, 0), fmt(sr, 3), ">= 0.8 of sign rate", verdict(sr, ">=", 0.8))
    if so is not None:
        row("signed", f"  per round: {per_round(by, zs, 'openssl', 'rps', 'sign_s')}", "", "", "")
    row("signed", f"signed checks/s | `openssl speed -multi {ncpu}` sign/s (all cores)", fmt(rs, 0),
        fmt(sign_all, 0), fmt(ratio(rs, sign_all), 3))
    row("signed", "signed checks per zesd CPU-s | openssl sign/s (1 core)", fmt(per_core, 0),
        fmt(sign, 0), fmt(ratio(per_core, sign), 3))

    zsb = "zesd-signed-batch"
    rsb, csb = m(zsb, "rps"), m(zsb, "server_cpu_us_per_req")
    if rsb is not None:
        nb = (by.get(zsb) or [{}])[0].get("batch", 1000)
        per_core_b = 1e6 * nb / csb if csb else None
        sob = m("openssl-batch", "sign_s")
        sbr = (med_ratio(by, zsb, "openssl-batch", "rps", "sign_s", nb) if sob is not None
               else ratio(rsb * nb, sign))
        after = " after each round" if sob is not None else ""
        row("signed", f"signed decisions/s in {nb}-check batches | sign/s{after}",
            fmt(rsb * nb, 0), fmt(sob if sob is not None else sign, 0), fmt(sbr, 3),
            ">= 0.8 of sign rate", verdict(sbr, ">=", 0.8))
        row("signed", f"same | `openssl speed -multi {ncpu}` sign/s (all cores)", fmt(rsb * nb, 0),
            fmt(sign_all, 0), fmt(ratio(rsb * nb, sign_all), 3))
        row("signed", "signed decisions per zesd CPU-s in batches | sign/s (1 core)", fmt(per_core_b, 0),
            fmt(sign, 0), fmt(ratio(per_core_b, sign), 3))

    rb = m(zb, "rps")
    batch = (by.get(zb) or [{}])[0].get("batch", 1000)
    dps = rb * batch if rb is not None else None
    cb = m(zb, "server_cpu_us_per_req")
    row("batches", f"decisions/s ({batch}-check batches)", fmt(dps, 0), "", "",
        ">= 1,000,000", verdict(dps, ">=", 1e6))
    row("batches", "batch requests/s; p50 / p99 ms per batch", fmt(rb, 1),
        f"{fmt(m(zb, 'p50_us') and m(zb, 'p50_us') / 1000, 2)} / "
        f"{fmt(m(zb, 'p99_us') and m(zb, 'p99_us') / 1000, 2)}", "")
    row("batches", "server CPU us/decision", fmt(cb and cb / batch, 3), "", "")

    ix = meta.get("index", {})
    nveh = ix.get("zes_index_vehicles")
    bpv = ratio(ix.get("zes_index_bytes"), nveh)
    row("memory", "zesd RSS MiB (after the runs)", fmt(meta.get("rss_kb", 0) / 1024, 1), "", "")
    if meta.get("huge_kb") is not None:
        row("memory", "  of it in transparent huge pages, MiB", fmt(meta["huge_kb"] / 1024, 1), "", "")
    row("memory", "index bytes | vehicles", fmt(ix.get("zes_index_bytes"), 0), fmt(nveh, 0), "")
    row("memory", "index bytes per vehicle", fmt(bpv, 1), "", "", "<= 64", verdict(bpv, "<=", 64))
    rss_pv = ratio(meta.get("rss_kb", 0) * 1024, nveh)
    row("memory", "RSS bytes per vehicle (whole process)", fmt(rss_pv, 1), "", "")

    ready = meta.get("ready_s")
    nv = meta.get("vehicles", 0)
    target = "<= 10 s" + ("" if nv >= 2_000_000 else " (at 2,000,000)")
    row("start-up", f"start to /readyz 200, s ({nv:,} vehicles)", fmt(ready, 2), "", "", target,
        verdict(ready, "<=", 10.0) + ("" if nv >= 2_000_000 else " (not at size)"))
    if meta.get("ready_cpu_s") is not None:
        row("start-up", "zesd CPU-s used until ready", fmt(meta["ready_cpu_s"], 2), "", "")
    if meta.get("ready2_s") is not None:
        row("start-up", "restart (signed), s", fmt(meta["ready2_s"], 2), "", "")
    if ix.get("zes_index_build_seconds") is not None:
        row("start-up", "index full load (zes_index_build_seconds)", fmt(ix["zes_index_build_seconds"], 2), "", "")

    lag = meta.get("lag", {})
    row("grant lag", f"commit to first check that sees it, p50 ms ({lag.get('seen', 0)} of "
        f"{lag.get('grants', 0)} grants)", fmt(lag.get("p50_ms"), 2), "", "")
    row("grant lag", "p99 ms", fmt(lag.get("p99_ms"), 2), fmt(lag.get("max_ms"), 2) + " max", "",
        "<= 100 ms", verdict(lag.get("p99_ms"), "<=", 100.0))

    agreement_rows(by, meta, row)

    errs = sum(r.get("errors", 0) for r in rows)
    other = sum(r.get("other_cpu_s", 0) for r in rows)
    wall = sum(r.get("wall_s", 0) for r in rows)
    steal = sum(r.get("steal_s", 0) for r in rows)

    hdr = ("", "figure", "zesd", "reference", "ratio", "target", "")
    widths = [max(len(str(x[i])) for x in t + [hdr]) for i in range(7)]
    line = "+".join("-" * (w + 2) for w in widths)
    print()
    print("zesd enforcement benchmark: medians of %s rounds of %s s; wrk -t%s -c%s keep-alive" % (
        meta.get("rounds"), meta.get("duration"), meta.get("wrk_threads"), meta.get("connections")))
    for note in meta.get("notes", []):
        print("  " + note)
    print(line)
    print(" " + " | ".join(str(h).ljust(w) for h, w in zip(hdr, widths)))
    print(line)
    last = None
    for r in t:
        cells = list(r)
        if cells[0] == last:
            cells[0] = ""
        else:
            if last is not None:
                print(line)
            last = cells[0]
        print(" " + " | ".join(str(x if x is not None else "").ljust(w)
                               for x, w in zip(cells, widths)).rstrip())
    print(line)
    print(f"wrk errors (socket or non-2xx) over every run: {errs}")
    if wall:
        print(f"CPU used by other processes during the runs: {other / wall:.2f} cores on average "
              f"(steal {steal / wall:.2f}); above ~0.1 the figures are disturbed: run again on a quiet machine")
    if errs:
        print("WARNING: some requests failed; the figures above count only answered requests")


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("plates")
    p.add_argument("--vehicles", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--count", type=int, default=100000)
    p.add_argument("--unknown", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=1)

    p = sub.add_parser("ready")
    p.add_argument("--url", required=True)
    p.add_argument("--since", type=float, required=True)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--pid", type=int)

    p = sub.add_parser("wrk")
    p.add_argument("--results", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--round", type=int, default=1)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--plates", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--lua")

    p = sub.add_parser("proc")
    p.add_argument("--pid", type=int, required=True)

    p = sub.add_parser("metrics")
    p.add_argument("--url", required=True)

    sub.add_parser("speed")

    p = sub.add_parser("lag")
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--pghost", required=True)
    p.add_argument("--pgport", required=True)
    p.add_argument("--grants", type=int, default=1000)
    p.add_argument("--poll-ms", type=float, default=1.0)
    p.add_argument("--give-up", type=float, default=5.0)
    p.add_argument("--out", required=True)

    p = sub.add_parser("fixed")
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--plates", required=True)
    p.add_argument("--singles", type=int, default=3000)
    p.add_argument("--batches", type=int, default=20)
    p.add_argument("--batch", type=int, default=1000)

    p = sub.add_parser("report")
    p.add_argument("--results", required=True)
    p.add_argument("--meta")

    a = ap.parse_args()
    {"plates": cmd_plates, "ready": cmd_ready, "wrk": cmd_wrk, "proc": cmd_proc,
     "metrics": cmd_metrics, "speed": cmd_speed, "lag": cmd_lag, "fixed": cmd_fixed,
     "report": cmd_report}[a.cmd](a)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
