#!/usr/bin/python3
"""Helpers of the submission benchmark (tests/bench/submit.sh).  Standard
library only; shares the /proc and formatting helpers of bench.py.

    submit.py wrk     --results JSONL --name NAME --round R --pid PID --url URL
                      --token TOKEN --tag A --day D --statement D --requested D
                      --ids FILE --pgpid PID [--threads T] [--connections C]
                      [--duration S]
    submit.py pgbench --results JSONL --name NAME --round R --pghost DIR
                      --pgport P --dbname DB --script SQL --logdir DIR
                      --pgpid PID [--clients N] [--duration S] [--set NAME=VALUE ...]
    submit.py report  --results JSONL --meta JSON

`wrk` runs wrk once with submit.lua against zesd and appends one JSON line:
201 answers/s, latency percentiles, the statuses, zesd's CPU per request
(/proc/PID/stat) and the CPU of the cluster (its postmaster --pgpid and
every process under it) over the run.  `pgbench` runs pgbench once with the single-row insert transaction
and appends the same kind of line: tps without the initial connection
time (pgbench's own figure) and latency percentiles from its per-
transaction log.  `report` prints the table of submit.sh: medians over the
rounds and the ratio of durable submissions/s to pgbench's tps.
"""

import argparse
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

from bench import fmt, machine_busy_ticks, pct, proc_cpu_ticks, ratio, verdict

TARGET = 0.5


def die(msg):
    print(f"submit.py: {msg}", file=sys.stderr)
    sys.exit(1)


def ppid_and_ticks(pid):
    """(parent pid, utime + stime, cutime + cstime) of a process."""
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    rest = s[s.rindex(")") + 2:].split()
    return int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[13]) + int(rest[14])


def postgres_children(postmaster):
    """The pids of the processes under the postmaster."""
    out = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if ppid_and_ticks(int(d))[0] == postmaster:
                    out.add(int(d))
            except (OSError, ValueError, IndexError):
                continue
    return out


def postgres_ticks(postmaster):
    """CPU ticks of a PostgreSQL cluster: its postmaster, every live child
    (backends, WAL writer, checkpointer, ...), and the children it has
    reaped (their ticks move to the postmaster's cutime + cstime), so the
    difference over a run counts backends that ended during it too."""
    if not postmaster:
        return 0
    _, own, reaped = ppid_and_ticks(postmaster)
    total = own + reaped
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == postmaster:
            continue
        try:
            ppid, ticks, _ = ppid_and_ticks(int(d))
        except (OSError, ValueError, IndexError):
            continue
        if ppid == postmaster:
            total += ticks
    return total


class Meter:
    """CPU of a process, of PostgreSQL and of the machine over a run."""

    def __init__(self, pid, postmaster):
        self.hz = os.sysconf("SC_CLK_TCK")
        self.pid, self.postmaster = pid, postmaster
        self.p0 = proc_cpu_ticks(pid) if pid else 0
        self.children0 = postgres_children(postmaster) if postmaster else set()
        self.pg0 = postgres_ticks(postmaster)
        self.m0, self.st0 = machine_busy_ticks()
        self.w0 = time.monotonic()

    def stop(self, res, reaped=False):
        hz = self.hz
        # The backends of a client that just ended (pgbench's) count once
        # the postmaster has reaped them: with `reaped`, wait until those
        # that were not there before are gone (up to 2 s).
        deadline = time.monotonic() + 2.0
        while reaped and self.postmaster and time.monotonic() < deadline:
            if not (postgres_children(self.postmaster) - self.children0):
                break
            time.sleep(0.01)
        res["wall_s"] = round(time.monotonic() - self.w0, 3)
        if self.pid:
            res["server_cpu_s"] = (proc_cpu_ticks(self.pid) - self.p0) / hz
        res["postgres_cpu_s"] = (postgres_ticks(self.postmaster) - self.pg0) / hz
        m1, st1 = machine_busy_ticks()
        res["machine_busy_s"] = (m1 - self.m0) / hz
        res["steal_s"] = (st1 - self.st0) / hz
        ru = os.times()
        res["client_cpu_total_s"] = ru.children_user + ru.children_system
        return res


def append(path, res):
    with open(path, "a") as f:
        f.write(json.dumps(res) + "\n")


# --------------------------------------------------------------------------
# wrk against zesd

def cmd_wrk(a):
    lua = os.path.join(os.path.dirname(os.path.abspath(__file__)), "submit.lua")
    cmd = ["wrk", f"-t{a.threads}", f"-c{a.connections}", f"-d{a.duration}s", "--timeout", "10s",
           "-s", lua, a.url, "--", a.token, a.tag, a.day, a.statement, a.requested]
    env = dict(os.environ, ZES_BENCH_IDS=a.ids)
    meter = Meter(a.pid, a.pgpid)
    ru0 = os.times()
    p = subprocess.run(cmd, capture_output=True, env=env)
    if p.returncode != 0:
        die(f"wrk failed ({p.returncode}): {p.stderr.decode(errors='replace')[-2000:]}")
    line = next((ln for ln in p.stdout.decode().splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        die(f"no BENCH line in wrk's output:\n{p.stdout.decode(errors='replace')}")
    res = json.loads(line[6:])
    meter.stop(res)
    res["client_cpu_total_s"] -= ru0.children_user + ru0.children_system
    res.update({"name": a.name, "round": a.round, "kind": "zesd", "threads": a.threads,
                "connections": a.connections, "duration_s": a.duration})
    n = max(res["status_201"], 1)
    res["server_cpu_us_per_tx"] = res["server_cpu_s"] * 1e6 / n
    res["postgres_cpu_us_per_tx"] = res["postgres_cpu_s"] * 1e6 / n
    res["errors"] = sum(res[k] for k in ("err_connect", "err_read", "err_write", "err_timeout")) \
        + res["status_other"]
    res["tps"] = res["rps_201"]
    res["other_cpu_s"] = max(0.0, res["machine_busy_s"] - res["server_cpu_s"] - res["postgres_cpu_s"]
                             - res["client_cpu_total_s"])
    append(a.results, res)
    print(f"  {a.name:<8} round {a.round}: {res['tps']:>8.1f} submissions/s (201)  "
          f"p50 {res['p50_us'] / 1000:7.2f} ms  p99 {res['p99_us'] / 1000:7.2f} ms  "
          f"zesd CPU {res['server_cpu_us_per_tx']:6.0f} us/tx  "
          f"PostgreSQL CPU {res['postgres_cpu_us_per_tx']:6.0f} us/tx  "
          f"other CPU {res['other_cpu_s']:5.2f} s  errors {res['errors']}", file=sys.stderr)


# --------------------------------------------------------------------------
# pgbench: the single-row insert transaction

def cmd_pgbench(a):
    pgbench = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    os.makedirs(a.logdir, exist_ok=True)
    prefix = os.path.join(a.logdir, f"{a.name}-r{a.round}")
    for old in glob.glob(prefix + ".*"):
        os.unlink(old)
    cmd = [pgbench, "-n", "-h", a.pghost, "-p", str(a.pgport), "-U", "postgres",
           "-c", str(a.clients), "-j", str(a.clients), "-T", str(a.duration),
           "-M", "extended", "-f", a.script, "-l", f"--log-prefix={prefix}"]
    for s in a.set or []:
        cmd += ["-D", s]
    cmd.append(a.dbname)
    meter = Meter(None, a.pgpid)
    ru0 = os.times()
    p = subprocess.run(cmd, capture_output=True, text=True)
    res = {}
    meter.stop(res, reaped=True)
    res["client_cpu_total_s"] -= ru0.children_user + ru0.children_system
    if p.returncode != 0:
        die(f"pgbench failed ({p.returncode}): {p.stderr[-2000:]}{p.stdout[-2000:]}")
    out = p.stdout
    m = re.search(r"^tps = ([0-9.]+) \(without initial connection time\)", out, re.M)
    if not m:
        die(f"no tps line in pgbench's output:\n{out}")
    tps = float(m.group(1))
    m = re.search(r"^number of transactions actually processed: (\d+)", out, re.M)
    ntx = int(m.group(1)) if m else None
    m = re.search(r"^number of failed transactions: (\d+)", out, re.M)
    failed = int(m.group(1)) if m else 0
    lat = []
    for path in glob.glob(prefix + ".*"):
        with open(path) as f:
            for ln in f:
                parts = ln.split()
                # client_id transaction_no time script_no time_epoch time_us
                if len(parts) >= 6 and parts[2].isdigit():
                    lat.append(int(parts[2]))
    if not lat:
        die(f"no transactions in pgbench's log {prefix}.*")
    res.update({"name": a.name, "round": a.round, "kind": "pgbench", "clients": a.clients,
                "duration_s": a.duration, "tps": tps, "transactions": ntx, "failed": failed,
                "p50_us": pct(lat, 50), "p90_us": pct(lat, 90), "p99_us": pct(lat, 99),
                "max_us": max(lat), "mean_us": statistics.fmean(lat)})
    res["postgres_cpu_us_per_tx"] = res["postgres_cpu_s"] * 1e6 / max(ntx or len(lat), 1)
    res["errors"] = failed
    res["other_cpu_s"] = max(0.0, res["machine_busy_s"] - res["postgres_cpu_s"]
                             - res["client_cpu_total_s"])
    append(a.results, res)
    print(f"  {a.name:<8} round {a.round}: {tps:>8.1f} tps (w/o connection time)  "
          f"p50 {res['p50_us'] / 1000:7.2f} ms  p99 {res['p99_us'] / 1000:7.2f} ms  "
          f"PostgreSQL CPU {res['postgres_cpu_us_per_tx']:6.0f} us/tx  "
          f"other CPU {res['other_cpu_s']:5.2f} s  failed {failed}", file=sys.stderr)


# --------------------------------------------------------------------------
# report

def cmd_report(a):
    rows = [json.loads(ln) for ln in open(a.results) if ln.strip()]
    meta = json.load(open(a.meta))
    z = [r for r in rows if r["kind"] == "zesd"]
    g = [r for r in rows if r["kind"] == "pgbench"]

    def med(rs, key, scale=1.0):
        vals = [r[key] for r in rs if r.get(key) is not None]
        return statistics.median(vals) / scale if vals else None

    tz, tg = med(z, "tps"), med(g, "tps")
    t = []      # (figure, zesd, pgbench, ratio, target, verdict)
    t.append(("durable transactions/s (zesd: 201 answers/s | pgbench: tps)",
              fmt(tz, 1), fmt(tg, 1), fmt(ratio(tz, tg), 3), f">= {TARGET}",
              verdict(ratio(tz, tg), ">=", TARGET)))
    for p in ("p50", "p99"):
        vz, vg = med(z, f"{p}_us", 1000), med(g, f"{p}_us", 1000)
        t.append((f"{p} latency ms", fmt(vz, 2), fmt(vg, 2), fmt(ratio(vz, vg), 2), "", ""))
    t.append(("zesd CPU us per submission", fmt(med(z, "server_cpu_us_per_tx"), 0), "", "", "", ""))
    vz, vg = med(z, "postgres_cpu_us_per_tx"), med(g, "postgres_cpu_us_per_tx")
    t.append(("PostgreSQL CPU us per transaction", fmt(vz, 0), fmt(vg, 0), fmt(ratio(vz, vg), 2),
              "", ""))
    per_round = []
    for r in sorted({r["round"] for r in rows}):
        a_ = next((x["tps"] for x in z if x["round"] == r), None)
        b_ = next((x["tps"] for x in g if x["round"] == r), None)
        per_round.append(f"round {r}: {fmt(a_, 1)} | {fmt(b_, 1)} = {fmt(ratio(a_, b_), 3)}")

    hdr = ("figure", "zesd", "pgbench", "ratio", "target", "")
    widths = [max(len(str(x[i])) for x in t + [hdr]) for i in range(len(hdr))]
    line = "+".join("-" * (w + 2) for w in widths)
    print()
    print(f"zesd submission benchmark: medians of {meta['rounds']} rounds of {meta['duration']} s each, "
          f"alternately")
    for note in meta.get("notes", []):
        print("  " + note)
    print(line)
    print(" " + " | ".join(h.ljust(w) for h, w in zip(hdr, widths)))
    print(line)
    for r in t:
        print(" " + " | ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip())
    print(line)
    print("per round (submissions/s | tps = ratio): " + "; ".join(per_round))
    c = meta["count"]
    print(f"201 answers in the run (warm-up included): {c['answered']}; of them rows in applications: "
          f"{c['found']}, missing: {c['missing']}; applications in the database: {c['rows']} "
          f"(the difference, {c['rows'] - c['found']}, were in flight when a wrk run ended)")
    errs = sum(r.get("errors", 0) for r in rows)
    other = sum(r.get("other_cpu_s", 0) for r in rows)
    wall = sum(r.get("wall_s", 0) for r in rows)
    print(f"errors over every run (socket errors and non-201 answers; failed pgbench transactions): {errs}")
    if wall:
        print(f"CPU used by other processes during the runs: {other / wall:.2f} cores on average; "
              "above ~0.1 the figures are disturbed: run again on a quiet machine")
    if c["missing"]:
        print("FAILED: some 201 answers have no row in applications")
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("wrk")
    p.add_argument("--results", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--round", type=int, default=1)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--tag", required=True)
    p.add_argument("--day", required=True)
    p.add_argument("--statement", required=True)
    p.add_argument("--requested", required=True)
    p.add_argument("--ids", required=True)
    p.add_argument("--pgpid", type=int, required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--duration", type=int, default=10)

    p = sub.add_parser("pgbench")
    p.add_argument("--results", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--round", type=int, default=1)
    p.add_argument("--pghost", required=True)
    p.add_argument("--pgport", required=True)
    p.add_argument("--dbname", required=True)
    p.add_argument("--script", required=True)
    p.add_argument("--logdir", required=True)
    p.add_argument("--clients", type=int, default=2)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--set", action="append")
    p.add_argument("--pgpid", type=int, required=True)

    p = sub.add_parser("report")
    p.add_argument("--results", required=True)
    p.add_argument("--meta", required=True)

    a = ap.parse_args()
    {"wrk": cmd_wrk, "pgbench": cmd_pgbench, "report": cmd_report}[a.cmd](a)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
