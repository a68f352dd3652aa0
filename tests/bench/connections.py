#!/usr/bin/env python3
"""Helpers of tests/bench/connections.sh (standard library only).

  connections.py run --out FILE --zesd-pid PID -- CMD...
      Run CMD (a `conns measure`), which prints one JSON line; write it to
      FILE with the CPU used meanwhile added: zesd_cores (zesd's utime +
      stime), client_cores (the client's own, from its cpu_s) and
      other_cores (the machine's busy time minus both), per second of the
      run.  Prints a one-line summary on stderr.

  connections.py report --dir DIR --rounds N --idle N --rate R --duration S
                        --request-read-timeout-ms MS --cut-logged K
                        --rss0 KB --nofile N --per-worker N
      Read DIR/{alone,loaded,idle,loris}-<round>.json and DIR/rss-<round>,
      print the table, the medians, the p99 ratio and the checks; exit 1
      when a check fails.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def busy_ticks():
    with open("/proc/stat", encoding="ascii") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]


def proc_ticks(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])   # utime, stime (fields 14 and 15)


def cmd_run(a):
    b0, z0, t0 = busy_ticks(), proc_ticks(a.zesd_pid), time.monotonic()
    p = subprocess.run(a.argv, stdout=subprocess.PIPE, text=True)
    b1, z1, t1 = busy_ticks(), proc_ticks(a.zesd_pid), time.monotonic()
    if p.returncode != 0:
        sys.exit(f"connections.py: {' '.join(a.argv)} exited {p.returncode}")
    r = json.loads(p.stdout.strip().splitlines()[-1])
    wall = t1 - t0
    zesd = (z1 - z0) / HZ
    r["wall_s"] = round(wall, 3)
    r["zesd_cores"] = round(zesd / wall, 3)
    r["client_cores"] = round(r["cpu_s"] / wall, 3)
    r["other_cores"] = round(max(0.0, (b1 - b0) / HZ - zesd - r["cpu_s"]) / wall, 3)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(r, f)
    print(f"connections:   {os.path.basename(a.out)[:-5]:10} {r['requests']} requests, "
          f"p50 {r['p50_us']:.0f} us, p99 {r['p99_us']:.0f} us; zesd {r['zesd_cores']:.2f} "
          f"cores, other CPU {r['other_cores']:.2f} cores", file=sys.stderr)


def cmd_report(a):
    def load(name):
        with open(os.path.join(a.dir, f"{name}.json"), encoding="utf-8") as f:
            return json.load(f)

    rounds = range(1, a.rounds + 1)
    alone = [load(f"alone-{r}") for r in rounds]
    loaded = [load(f"loaded-{r}") for r in rounds]
    held = [load(f"idle-{r}") for r in rounds]
    loris = [load(f"loris-{r}") for r in rounds]
    rss = []
    for r in rounds:
        with open(os.path.join(a.dir, f"rss-{r}"), encoding="ascii") as f:
            rss.append(int(f.read()))

    def med(runs, k):
        return statistics.median(x[k] for x in runs)

    p99a, p99l = med(alone, "p99_us"), med(loaded, "p99_us")
    ratio = p99l / p99a if p99a else float("inf")
    other = max(x["other_cores"] for x in alone + loaded)
    bound = a.request_read_timeout_ms / 1000

    print(f"normal client: {a.rate} single access checks/s on one keep-alive connection, "
          f"{a.duration} s per run, {a.rounds} rounds alternating; latency from each "
          "request's due time")
    print(f"{'run':16}{'requests':>9}{'p50 us':>9}{'p90 us':>9}{'p99 us':>9}{'p99.9 us':>10}"
          f"{'max us':>9}{'zesd cores':>11}{'other cores':>12}")
    for i in range(a.rounds):
        for name, x in ((f"alone {i + 1}", alone[i]), (f"idle+loris {i + 1}", loaded[i])):
            print(f"{name:16}{x['requests']:>9}{x['p50_us']:>9.0f}{x['p90_us']:>9.0f}"
                  f"{x['p99_us']:>9.0f}{x['p999_us']:>10.0f}{x['max_us']:>9.0f}"
                  f"{x['zesd_cores']:>11.2f}{x['other_cores']:>12.2f}")
    print(f"medians: p50 alone {med(alone, 'p50_us'):.0f} us, loaded {med(loaded, 'p50_us'):.0f} us;"
          f" p99 alone {p99a:.0f} us, loaded {p99l:.0f} us: p99 ratio {ratio:.2f} (target <= 2)")
    print(f"idle connections: {a.idle} per round, set up in "
          f"{', '.join(str(h['set_up_s']) for h in held)} s; zesd RSS {a.rss0} kB without them, "
          f"{max(rss)} kB with them ({(max(rss) - a.rss0) / max(1, a.idle):.1f} kB per connection)")
    print(f"zesd open-file limit {a.nofile}: {a.per_worker} connections per worker "
          "(max_connections_per_worker = 0: derived)")
    print(f"slow-loris: closed after {', '.join(str(x['after_s']) for x in loris)} s "
          f"({', '.join(x['how'] for x in loris)}; bytes sent "
          f"{', '.join(str(x['bytes_sent']) for x in loris)})")
    if other > 0.1:
        print(f"note: up to {other:.2f} cores of other CPU during the runs: something else ran "
              "and the figures are disturbed; run again on a quiet machine")
    checks = [
        ("normal client: every request answered 200 in every run",
         all(x["errors"] == 0 and x["non200"] == 0 and x["requests"] > 0
             for x in alone + loaded)),
        (f"median p99 loaded / alone = {ratio:.2f} <= 2", ratio <= 2.0),
        (f"{a.idle} idle connections answered 200 in every round",
         all(h["answered"] == a.idle and h["failed"] == 0 and h["non200"] == 0 for h in held)),
        ("idle connections kept open through each round (closed by zesd: "
         f"{', '.join(str(h['closed_by_server']) for h in held)})",
         all(h["closed_by_server"] == 0 for h in held)),
        (f"slow-loris closed by zesd within {bound:.0f} s + 2 in every round",
         all(x["closed_by_server"] and x["how"] in ("closed", "reset") and
             x["after_s"] <= bound + 2 for x in loris)),
        ("zesd logged the cuts (connection_limits lines with slow_requests_cut >= 1: "
         f"{a.cut_logged})", a.cut_logged >= 1),
    ]
    failed = 0
    for what, ok in checks:
        print(("ok    " if ok else "FAIL  ") + what)
        failed += not ok
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--out", required=True)
    r.add_argument("--zesd-pid", type=int, required=True)
    r.add_argument("argv", nargs=argparse.REMAINDER, help="-- CMD...")
    p = sub.add_parser("report")
    p.add_argument("--dir", required=True)
    for k in ("rounds", "idle", "rate", "duration", "request-read-timeout-ms", "cut-logged",
              "rss0", "nofile", "per-worker"):
        p.add_argument(f"--{k}", type=int, required=True)
    a = ap.parse_args()
    if a.cmd == "run":
        a.argv = a.argv[1:] if a.argv[:1] == ["--"] else a.argv
        if not a.argv:
            ap.error("run needs a command after --")
        cmd_run(a)
        return 0
    return cmd_report(a)


if __name__ == "__main__":
    sys.exit(main())
