"""zesctl import-rdw against a real PostgreSQL: the RDW exports into the
vehicles table (docs/register.md, API.md "Command line", DOMAIN.md section 8).

Covers: a generated set with bad rows (each reported as "line N: reason"
with the line the file has, the rest loaded, the summary line last); a
re-import that replaces the records of its plates and keeps the others,
leaving equal records (and their change_seq) alone; display-name headers in
another column order; CSV quoting, CRLF and a BOM; a missing required
column (exit 1, nothing loaded, the header checked before the database);
duplicate plates; detail rows without a vehicle and fuel and special-code
lists over the struct's bounds; a database error in the middle (everything
rolled back: no vehicle, no change_log row, no audit entry); the committed
demo set (tests/data/rdw-demo) imports cleanly; and the real fixture rows
TT601D and VTV69T read back with the values DOMAIN.md section 8 gives.
"""

import csv
import io
import json
import os
import re
import subprocess

import pytest

from conftest import clean_env, run

SUMMARY = re.compile(r"^read (\d+), loaded (\d+), rejected (\d+)$")
REJECT = re.compile(r"^line (\d+): (.+)$")
FILES = ("vehicles", "fuels", "bodies", "body-codes", "specials")


def gen(env, out, n, seed, *extra):
    """Run tests/bench/gen_rdw.py into directory out."""
    script = os.path.join(env.source_dir, "tests", "bench", "gen_rdw.py")
    p = subprocess.run(["/usr/bin/python3", script, "-n", str(n), "--seed", str(seed),
                        "--out", str(out), *extra], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return out


def import_rdw(db, d, files=FILES, check=None, names=None):
    """zesctl import-rdw with the files of directory d; returns the process."""
    args = ["import-rdw"]
    for f in files:
        args += [f"--{f}", os.path.join(str(d), (names or {}).get(f, f + ".csv"))]
    p = db.zesctl(*args, check=False, timeout=300)
    if check is not None:
        assert p.returncode == check, f"exit {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    return p


def summary(p):
    lines = p.stdout.splitlines()
    assert lines, f"no output; stderr: {p.stderr}"
    m = SUMMARY.match(lines[-1])
    assert m, f"last line is not the summary: {lines[-1]!r}"
    rejects = []
    for line in lines[:-1]:
        r = REJECT.match(line)
        assert r, f"not a 'line N: reason' line: {line!r}"
        rejects.append((int(r.group(1)), r.group(2)))
    return tuple(int(x) for x in m.groups()), rejects


def write_csv(path, header, rows, crlf=False, bom=False):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    with open(path, "wb") as f:
        f.write((b"\xef\xbb\xbf" if bom else b"") + data)


VEH_HEADER = ["kenteken", "voertuigsoort", "europese_voertuigcategorie",
              "toegestane_maximum_massa_voertuig", "datum_eerste_toelating", "inrichting"]
FUEL_HEADER = ["kenteken", "brandstof_volgnummer", "brandstof_omschrijving",
               "emissiecode_omschrijving", "uitlaatemissieniveau"]


def small_set(d, vehicles, fuels=(), bodies=(), codes=(), specials=(), **kw):
    """Write the five files of a hand-made set into d."""
    os.makedirs(d, exist_ok=True)
    write_csv(os.path.join(d, "vehicles.csv"), VEH_HEADER, vehicles, **kw)
    write_csv(os.path.join(d, "fuels.csv"), FUEL_HEADER, fuels, **kw)
    write_csv(os.path.join(d, "bodies.csv"), ["kenteken", "carrosserie_volgnummer", "carrosserietype"],
              bodies, **kw)
    write_csv(os.path.join(d, "body-codes.csv"), ["kenteken", "carrosserie_volgnummer", "carrosseriecode"],
              codes, **kw)
    write_csv(os.path.join(d, "specials.csv"), ["kenteken", "bijzonderheid_volgnummer", "bijzonderheid_code"],
              specials, **kw)
    return d


def row(db, plate):
    """The register's record of a plate as a dict (None when absent)."""
    out = db.psql("SELECT row_to_json(v) FROM (SELECT plate, category, vehicle_type, "
                  "body_description, body_type, body_code, special_codes, fuel_names, "
                  "fuel_classes, first_admission::text, mass_kg, change_seq "
                  f"FROM vehicles WHERE plate = '{plate}') v")
    return json.loads(out) if out else None


def counts(db):
    return tuple(int(x) for x in db.psql(
        "SELECT (SELECT count(*) FROM vehicles), (SELECT count(*) FROM change_log), "
        "(SELECT count(*) FROM audit_entries)").split("|"))


@pytest.fixture(scope="module")
def rdb(make_db):
    """A migrated database for this module, empty register."""
    return make_db()


def test_bad_rows_reported_rest_loaded(rdb, env, tmp_path):
    d = gen(env, tmp_path / "g", 2000, 11, "--bad-fraction", "0.05",
            "--bad-manifest", str(tmp_path / "bad.tsv"), "--newline-fraction", "0.01",
            "--fixtures")
    expected = []
    with open(tmp_path / "bad.tsv", encoding="utf-8") as f:
        for line in f:
            n, reason = line.rstrip("\n").split("\t")
            expected.append((int(n), reason))
    assert len(expected) > 50
    before = counts(rdb)
    p = import_rdw(rdb, d, check=0)
    (read, loaded, rejected), rejects = summary(p)
    assert read == 2000
    assert rejected == len(expected)
    assert loaded == read - rejected
    # Each bad row, in file order, with the line the file has and its reason.
    assert [n for n, _ in rejects] == [n for n, _ in expected]
    for (n, why), (_, want) in zip(rejects, expected):
        assert why.startswith(want), f"line {n}: {why!r}, expected {want!r}"
    after = counts(rdb)
    assert after[0] - before[0] == loaded
    assert after[1] - before[1] == 1, "one change_log row per import"
    assert after[2] - before[2] == 1, "one audit entry per import"
    seq = int(rdb.psql("SELECT max(seq) FROM change_log"))
    assert rdb.psql(f"SELECT kind || ' ' || object_id || ' ' || op FROM change_log WHERE seq = {seq}") \
        == "vehicles import import"
    assert int(rdb.psql(f"SELECT count(*) FROM vehicles WHERE change_seq = {seq}")) == loaded
    audit = json.loads(rdb.psql("SELECT json_build_object('actor', actor, 'action', action, "
                                "'object', object, 'detail', detail) FROM audit_entries "
                                "ORDER BY seq DESC LIMIT 1"))
    assert audit["actor"] == "zesctl" and audit["action"] == "register.import"
    assert audit["object"] == "register/vehicles"
    det = audit["detail"]
    assert (det["read"], det["loaded"], det["rejected"]) == (read, loaded, rejected)
    assert set(det["files"]) == set(FILES)
    assert det["files"]["vehicles"]["rows"] == 2000
    assert re.fullmatch(r"[0-9a-f]{64}", det["files"]["fuels"]["sha256"])
    assert rdb.zesctl("--help").returncode == 0


def test_fixture_rows_read_back(rdb, env, tmp_path):
    d = gen(env, tmp_path / "g", 50, 3, "--fixtures")
    import_rdw(rdb, d, check=0)
    tt = row(rdb, "TT601D")
    assert tt["category"] == "M1" and tt["vehicle_type"] == "Personenauto"
    assert tt["first_admission"] == "2013-05-17"
    assert tt["fuel_names"] == ["Diesel"] and tt["fuel_classes"] == ["5"]
    assert tt["body_type"] == "AF"
    vt = row(rdb, "VTV69T")
    assert vt["category"] == "N1" and vt["vehicle_type"] == "Bedrijfsauto"
    assert vt["mass_kg"] == 3500 and vt["body_description"] == "gesloten opbouw"
    assert vt["body_type"] == "BB" and vt["body_code"] == 3
    assert vt["fuel_names"] == ["Elektriciteit"] and vt["fuel_classes"] == ["Z"]
    assert vt["special_codes"] == []


def test_reimport_replaces_and_keeps(rdb, tmp_path):
    a = small_set(tmp_path / "a", [
        ["AB12BD", "Bedrijfsauto", "N1", "3000", "20180101", "gesloten opbouw"],
        ["BD34FG", "Bedrijfsauto", "N2", "7500", "20190101", "kipper"],
        ["FG56HJ", "Bedrijfsauto", "N1", "2500", "20200101", "gesloten opbouw"],
    ], fuels=[["AB12BD", "1", "Diesel", "6", ""], ["BD34FG", "1", "Diesel", "6", ""],
              ["FG56HJ", "1", "Elektriciteit", "Z", ""]],
        bodies=[["AB12BD", "1", "BB"], ["FG56HJ", "1", "BB"]],
        codes=[["AB12BD", "1", "03"]], specials=[["BD34FG", "1", "70"]])
    import_rdw(rdb, a, check=0)
    seq1 = int(rdb.psql("SELECT max(seq) FROM change_log"))
    assert row(rdb, "AB12BD")["body_code"] == 3
    assert row(rdb, "BD34FG")["special_codes"] == [70]

    # The second export: AB12BD changed (mass, fuel, no body code any more),
    # FG56HJ unchanged, HJ78KL new; BD34FG is not in it and stays as it was.
    b = small_set(tmp_path / "b", [
        ["AB12BD", "Bedrijfsauto", "N1", "3500", "20180101", "gesloten opbouw"],
        ["FG56HJ", "Bedrijfsauto", "N1", "2500", "20200101", "gesloten opbouw"],
        ["HJ78KL", "Bedrijfsauto", "", "14000", "20210101", "opleggertrekker"],
    ], fuels=[["AB12BD", "2", "Elektriciteit", "Z", ""], ["AB12BD", "1", "Benzine", "6", ""],
              ["FG56HJ", "1", "Elektriciteit", "Z", ""], ["HJ78KL", "1", "Diesel", "", "EURO VI D"],
              ["BD34FG", "1", "Elektriciteit", "Z", ""]],
        bodies=[["AB12BD", "1", "BB"], ["FG56HJ", "1", "BB"], ["HJ78KL", "1", "BC"]],
        specials=[["BD34FG", "1", "145"]])
    p = import_rdw(rdb, b, check=0)
    assert summary(p)[0] == (3, 3, 0)
    seq2 = int(rdb.psql("SELECT max(seq) FROM change_log"))
    assert seq2 > seq1
    ab = row(rdb, "AB12BD")
    assert ab["mass_kg"] == 3500 and ab["change_seq"] == seq2
    # Fuel rows in brandstof_volgnummer order, not file order.
    assert ab["fuel_names"] == ["Benzine", "Elektriciteit"] and ab["fuel_classes"] == ["6", "Z"]
    assert ab["body_code"] is None
    hj = row(rdb, "HJ78KL")
    assert hj["category"] == "N3" and hj["fuel_classes"] == ["6"] and hj["change_seq"] == seq2
    # Equal record: not rewritten, keeps the seq of the import that wrote it.
    assert row(rdb, "FG56HJ")["change_seq"] == seq1
    # Not in the file: kept, and its rows in the other files were ignored.
    bd = row(rdb, "BD34FG")
    assert bd["change_seq"] == seq1 and bd["special_codes"] == [70] and bd["fuel_names"] == ["Diesel"]


def test_display_headers_other_order_quotes_crlf_bom(rdb, env, tmp_path):
    d = gen(env, tmp_path / "g", 300, 5, "--display-headers", "--crlf")
    with open(d / "vehicles.csv", "rb") as f:
        head = f.readline()
    assert head.startswith(b"Kenteken,Voertuigsoort,") and head.endswith(b"\r\n")
    # And a BOM in front of one file.
    with open(d / "fuels.csv", "rb") as f:
        data = f.read()
    with open(d / "fuels.csv", "wb") as f:
        f.write(b"\xef\xbb\xbf" + data)
    p = import_rdw(rdb, d, check=0)
    assert summary(p)[0] == (300, 300, 0)
    assert p.stderr == ""

    e = small_set(tmp_path / "e", [], fuels=[])
    write_csv(os.path.join(e, "vehicles.csv"),
              ["Inrichting", "Merk", "Handelsbenaming", "Datum eerste toelating", "KENTEKEN",
               "Toegestane Maximum Massa Voertuig", "Voertuigsoort", "Europese voertuigcategorie"],
              [["gesloten opbouw", "IVECO", 'DAILY, 35S14 "L2"', "20170301", "jk-90-lm",
                "3500", "Bedrijfsauto", "N1"],
               ["kipper", "DAF", "LF\nline two", "20170301", "LM12NP", "12000", "Bedrijfsauto", ""]],
              crlf=True, bom=True)
    write_csv(os.path.join(e, "fuels.csv"),
              ["Kenteken", "Brandstof volgnummer", "Brandstof omschrijving", "Emissieklasse"],
              [["JK90LM", "1", "Diesel", "6"], ["LM12NP", "1", "Diesel", "5"]], crlf=True)
    p = import_rdw(rdb, e, check=0)
    assert summary(p)[0] == (2, 2, 0)
    assert row(rdb, "JK90LM")["mass_kg"] == 3500
    lm = row(rdb, "LM12NP")
    assert lm["category"] == "N2" and lm["body_description"] == "kipper"


def test_vehicles_without_inrichting(rdb, tmp_path):
    """inrichting is optional: the rows load with an unknown body description,
    and a tractor is still known by its body type."""
    d = small_set(tmp_path / "ni", [], fuels=[["NP56TU", "1", "Diesel", "6", ""]],
                  bodies=[["NP56TU", "1", "BC"]])
    write_csv(os.path.join(d, "vehicles.csv"),
              ["kenteken", "voertuigsoort", "europese_voertuigcategorie",
               "toegestane_maximum_massa_voertuig", "datum_eerste_toelating"],
              [["NP56TU", "Bedrijfsauto", "N3", "40000", "20190301"]])
    p = import_rdw(rdb, d, check=0)
    assert p.stdout.strip().splitlines()[-1] == "read 1, loaded 1, rejected 0", p.stdout
    r = row(rdb, "NP56TU")
    assert r["category"] == "N3" and r["body_description"] == "" and r["body_type"] == "BC", r
    assert r["first_admission"] == "2019-03-01" and r["mass_kg"] == 40000, r


def test_missing_column_refuses_everything(rdb, env, tmp_path):
    d = small_set(tmp_path / "m", [["NP34RS", "Bedrijfsauto", "N1", "3000", "20200101", ""]],
                  fuels=[["NP34RS", "1", "Diesel", "6", ""]])
    write_csv(os.path.join(d, "vehicles.csv"),
              ["kenteken", "voertuigsoort", "europese_voertuigcategorie", "inrichting"],
              [["NP34RS", "Bedrijfsauto", "N1", ""]])
    before = counts(rdb)
    p = import_rdw(rdb, d, check=1)
    assert p.stdout == ""
    assert "missing columns toegestane_maximum_massa_voertuig, datum_eerste_toelating" in p.stderr
    assert "nothing was loaded" in p.stderr
    assert counts(rdb) == before

    # In a detail file too; and the headers are checked before connecting.
    d2 = small_set(tmp_path / "m2", [["NP34RS", "Bedrijfsauto", "N1", "3000", "20200101", ""]])
    write_csv(os.path.join(d2, "body-codes.csv"), ["kenteken", "code"], [["NP34RS", "3"]])
    p = run([env.zesctl, "--database-url", "host=/nonexistent dbname=x", "import-rdw",
             "--vehicles", os.path.join(d2, "vehicles.csv"),
             "--fuels", os.path.join(d2, "fuels.csv"),
             "--body-codes", os.path.join(d2, "body-codes.csv")], env=clean_env())
    assert p.returncode == 1
    assert "missing column carrosseriecode" in p.stderr and "connect" not in p.stderr
    p = import_rdw(rdb, d2, check=1)
    assert "body-codes file" in p.stderr and "missing column carrosseriecode" in p.stderr
    assert counts(rdb) == before

    # An empty file, a missing file, and the usage errors.
    open(os.path.join(d2, "empty.csv"), "w").close()
    p = import_rdw(rdb, d2, files=("vehicles", "fuels"), names={"fuels": "empty.csv"}, check=1)
    assert "no header line" in p.stderr
    p = import_rdw(rdb, d2, files=("vehicles", "fuels"), names={"fuels": "nope.csv"}, check=1)
    assert "nope.csv" in p.stderr
    p = rdb.zesctl("import-rdw", "--vehicles", os.path.join(d2, "vehicles.csv"), check=False)
    assert p.returncode == 2 and "--fuels is required" in p.stderr
    assert counts(rdb) == before


def test_every_reject_reason_and_duplicates(rdb, tmp_path):
    long_body = "x" * 70000
    d = small_set(tmp_path / "r", [
        ["PR12ST", "Bedrijfsauto", "N1", "3000", "20200101", ""],        # 2 ok
        ["PR-12-ST", "Bedrijfsauto", "N1", "3000", "20200101", ""],      # 3 duplicate
        ["ABCDEF", "Bedrijfsauto", "N1", "3000", "20200101", ""],        # 4 bad plate
        ["RS34TV", "Personenauto", "", "1500", "20200101", ""],          # 5 no category
        ["RS34TX", "Bedrijfsauto", "", "", "20200101", ""],              # 6 no category
        ["ST56VX", "Bedrijfsauto", "N1", "3000", "20201340", ""],        # 7 bad date
        ["TV78XZ", "Bedrijfsauto", "N1", "3.5t", "20200101", ""],        # 8 bad mass
        ["VX90ZB", "Bedrijfsauto", "N1", "3000", "20200101", long_body],  # 9 line too long
        ["XZ12BD", "Bedrijfsauto", "N1"],                                # 10 too few fields
        ["ZB34DF", "Bedrijfsauto", "", "3400", "", ""],                  # 11 ok: N1, no DET
    ], fuels=[["PR12ST", "1", "Diesel", "6", ""], ["ZB34DF", "1", "Diesel", "5", ""],
              ["QQ", "1", "Diesel", "6", ""], ["ZB34DF", "x", "Diesel", "5", ""]])
    p = import_rdw(rdb, d, check=0)
    (read, loaded, rejected), rejects = summary(p)
    assert (read, loaded, rejected) == (10, 2, 8)
    got = {n: why for n, why in rejects}
    assert got[3].startswith("duplicate plate (loaded from line 2)")
    assert got[4].startswith("bad plate")
    assert got[5].startswith("no category") and got[6].startswith("no category")
    assert got[7].startswith("bad date")
    assert got[8].startswith("bad mass")
    assert got[9].startswith("line too long")
    assert got[10].startswith("too few fields")
    assert sorted(got) == [3, 4, 5, 6, 7, 8, 9, 10]
    zb = row(rdb, "ZB34DF")
    assert zb["category"] == "N1" and zb["first_admission"] is None and zb["fuel_classes"] == ["5"]
    # Unreadable rows of a detail file are counted on stderr, never on stdout.
    assert "fuels file: 2 rows not read (the first on line 4: bad plate" in p.stderr


def test_bounds_of_the_record(rdb, tmp_path):
    d = small_set(tmp_path / "b", [["BD12FG", "Bedrijfsauto", "N3", "40000", "20190101", "kraanwagen"]],
                  fuels=[["BD12FG", str(k), f"Brandstof{k}", "6", ""] for k in (6, 5, 4, 3, 2, 1)],
                  bodies=[["BD12FG", "2", "SF"], ["BD12FG", "1", "BA"]],
                  codes=[["BD12FG", "2", "16"], ["BD12FG", "1", "3"]],
                  specials=[["BD12FG", str(k), str(c)] for k, c in
                            enumerate([200, 149, 70, 70, 5, 6, 7, 8, 9, 10, 11], 1)])
    p = import_rdw(rdb, d, check=0)
    assert "1 vehicles have more than 4 fuel rows" in p.stderr
    assert "1 vehicles have more than 8 special codes" in p.stderr
    r = row(rdb, "BD12FG")
    assert r["fuel_names"] == ["Brandstof1", "Brandstof2", "Brandstof3", "Brandstof4"]
    assert r["body_type"] == "BA" and r["body_code"] == 3
    assert r["special_codes"] == [5, 6, 7, 8, 9, 10, 11, 70]


def test_database_error_rolls_back(rdb, tmp_path):
    d = small_set(tmp_path / "x", [
        ["DF12GH", "Bedrijfsauto", "N1", "3000", "20200101", ""],
        ["FG34HJ", "Bedrijfsauto", "N1", "3000", "20200101", ""],
    ], fuels=[["DF12GH", "1", "Diesel", "6", ""]])
    rdb.psql("ALTER TABLE vehicles ADD CONSTRAINT test_no_fg34hj CHECK (plate <> 'FG34HJ')")
    try:
        before = counts(rdb)
        p = import_rdw(rdb, d, check=1)
        assert "test_no_fg34hj" in p.stderr and "nothing was loaded" in p.stderr
        assert not SUMMARY.search(p.stdout)
        assert counts(rdb) == before
        assert row(rdb, "DF12GH") is None
    finally:
        rdb.psql("ALTER TABLE vehicles DROP CONSTRAINT test_no_fg34hj")
    # Without the constraint the same files load.
    import_rdw(rdb, d, check=0)
    assert row(rdb, "FG34HJ") is not None


def test_demo_set_imports_cleanly(make_db, env):
    db = make_db()
    d = os.path.join(env.source_dir, "tests", "data", "rdw-demo")
    p = import_rdw(db, d, check=0)
    (read, loaded, rejected), rejects = summary(p)
    assert rejected == 0 and rejects == [] and read == loaded and read >= 3000
    assert p.stderr == ""
    assert int(db.psql("SELECT count(*) FROM vehicles")) == loaded
    assert row(db, "TT601D")["fuel_classes"] == ["5"]
    assert row(db, "VTV69T")["fuel_classes"] == ["Z"]
    # Every access basis of DOMAIN.md sections 2-4 has vehicles to show it.
    q = {
        "out of scope": "category NOT IN ('N1', 'N2', 'N3')",
        "zero-emission van": "category = 'N1' AND fuel_classes = '{Z}'",
        "plug-in hybrid": "'Z' = ANY(fuel_classes) AND cardinality(fuel_classes) = 2 "
                          "AND NOT fuel_classes <@ '{Z}'",
        "van class 5": "category = 'N1' AND fuel_classes = '{5}'",
        "tractor": "body_type = 'BC' AND category IN ('N2', 'N3')",
        "rigid class 6 young": "body_type <> 'BC' AND category IN ('N2', 'N3') "
                               "AND fuel_classes = '{6}' AND first_admission >= '2020-01-01'",
        "oldtimer": "category IN ('N1', 'N2', 'N3') AND first_admission < '1986-01-01'",
        "wheelchair": "body_type = 'SH' OR special_codes && '{70,145,146,147,149}'",
        "special body": "body_code IN (15, 16, 19, 23, 26, 27, 31) OR body_type IN ('SB', 'SF')",
        "after cut-off": "category IN ('N1', 'N2', 'N3') AND first_admission >= '2025-01-01' "
                         "AND NOT fuel_classes <@ '{Z}'",
        "class unknown": "category IN ('N1', 'N2', 'N3') AND fuel_classes = '{\"\"}'",
    }
    for what, where in q.items():
        assert int(db.psql(f"SELECT count(*) FROM vehicles WHERE {where}")) > 0, what
