#!/usr/bin/python3
"""Generate RDW open-data exports (DOMAIN.md section 8) for N vehicles.

Writes five CSV files into --out, in the RDW's format, for
`zesctl import-rdw`:

    vehicles.csv    Gekentekende_voertuigen
    fuels.csv       Gekentekende_voertuigen_brandstof
    bodies.csv      Gekentekende_voertuigen_carrosserie
    body-codes.csv  Gekentekende_voertuigen_carrosserie_specificatie
    specials.csv    Gekentekende_voertuigen_bijzonderheden

Headers are the API names (datum_eerste_toelating) by default, or the
display names (Datum eerste toelating) with --display-headers; columns the
import does not read are there too, in another order than the import lists
them.  The mix covers every access basis of DOMAIN.md sections 2 to 4:
cars, buses, motorcycles and trailers (out of scope), zero-emission vans and
trucks (electric and hydrogen, some with the class left empty), plug-in
hybrids, vans and rigid trucks and tractors of each emission class in each
DET window (before 2017, 2017-2019, 2020-2024, from 2025), vehicles with an
unknown class, oldtimers, wheelchair-accessible vans (body type SH or a
special code), special bodies (body codes and types SB/SF) and Bedrijfsauto
rows without a category (the fallback of DOMAIN.md section 1).

--fixtures puts the two real rows of DOMAIN.md section 8 first, TT601D and
VTV69T, with exactly the values the sources give (reference:
domain-sources.md section 5) and nothing invented: what they do not give is
left empty.

--bad-fraction F makes that fraction of the vehicles rows invalid in one of
the four ways API.md names (bad plate, no category, bad date, bad mass);
--bad-manifest FILE then lists them as "LINE<TAB>REASON" with the line
number the import reports (the header is line 1).

The same arguments and --seed give the same bytes.  Standard library only.
"""

import argparse
import csv
import os
import random
import sys

LETTERS = "BDFGHJKLMNPRSTVXZ"   # no vowels, C or Q: issued letters only
DIGITS = "0123456789"

# Sidecode shapes (DOMAIN.md section 7) and how often each is drawn.
MODERN_SHAPES = [("XX999X", 3), ("X999XX", 3), ("XXX99X", 3), ("X99XXX", 2),
                 ("9XX999", 2), ("999XX9", 1), ("99XXX9", 1), ("9XXX99", 1)]
OLD_SHAPES = [("XX9999", 1), ("9999XX", 1), ("99XX99", 1), ("XX99XX", 1)]

FIXTURE_PLATES = {"TT601D", "VTV69T"}

# API name -> display name.  Only the first ones matter to the import.
VEHICLE_COLUMNS = [
    ("kenteken", "Kenteken"),
    ("voertuigsoort", "Voertuigsoort"),
    ("merk", "Merk"),
    ("handelsbenaming", "Handelsbenaming"),
    ("datum_tenaamstelling", "Datum tenaamstelling"),
    ("inrichting", "Inrichting"),
    ("aantal_zitplaatsen", "Aantal zitplaatsen"),
    ("massa_ledig_voertuig", "Massa ledig voertuig"),
    ("toegestane_maximum_massa_voertuig", "Toegestane maximum massa voertuig"),
    ("datum_eerste_toelating", "Datum eerste toelating"),
    ("europese_voertuigcategorie", "Europese voertuigcategorie"),
]
FUEL_COLUMNS = [
    ("kenteken", "Kenteken"),
    ("brandstof_volgnummer", "Brandstof volgnummer"),
    ("brandstof_omschrijving", "Brandstof omschrijving"),
    ("uitlaatemissieniveau", "Uitlaatemissieniveau"),
    ("emissiecode_omschrijving", "Emissiecode omschrijving"),
]
BODY_COLUMNS = [
    ("kenteken", "Kenteken"),
    ("carrosserie_volgnummer", "Carrosserie volgnummer"),
    ("carrosserietype", "Carrosserietype"),
    ("type_carrosserie_europese_omschrijving", "Type Carrosserie Europese omschrijving"),
]
BODY_CODE_COLUMNS = [
    ("kenteken", "Kenteken"),
    ("carrosserie_volgnummer", "Carrosserie volgnummer"),
    ("carrosserie_voertuig_nummer_code_volgnummer", "Carrosserie voertuig nummer code volgnummer"),
    ("carrosseriecode", "Carrosseriecode"),
    ("carrosserie_voertuig_nummer_europese_omschrijving", "Carrosserie voertuig nummer europese omschrijving"),
]
SPECIAL_COLUMNS = [
    ("kenteken", "Kenteken"),
    ("bijzonderheid_volgnummer", "Bijzonderheid volgnummer"),
    ("bijzonderheid_code", "Bijzonderheid code"),
    ("bijzonderheid_code_1", "Bijzonderheid code 1"),
]

BODY_TYPES = {
    "AA": "Sedan", "AB": "Hatchback", "AC": "Stationwagen", "AF": "MPV",
    "BA": "Vrachtwagen", "BB": "Bestelwagen", "BC": "Trekker voor oplegger",
    "CA": "Bus", "DA": "Oplegger", "SB": "Gepantserd voertuig",
    "SF": "Mobiele kraan", "SH": "Rolstoeltoegankelijk voertuig",
}
BODY_CODES = {
    "03": "Gesloten opbouw", "04": "Open laadvloer", "05": "Kipper",
    "09": "Huifopbouw", "10": "Koelwagen", "15": "Betonmixer",
    "16": "Kraanwagen", "19": "Hoogwerker", "23": "Kolkenzuiger",
    "26": "Vuilniswagen", "27": "Veegwagen", "31": "Takelwagen",
}
SPECIAL_BODY_CODES = ["15", "16", "19", "23", "26", "27", "31"]
WHEELCHAIR_CODES = [70, 145, 146, 147, 149]
OTHER_SPECIAL_CODES = [5, 36, 80, 101, 172, 180]

CAR_MAKES = [("VOLKSWAGEN", "GOLF"), ("TOYOTA", "YARIS"), ("KIA", "NIRO"),
             ("PEUGEOT", "208"), ("SKODA", "OCTAVIA"), ("OPEL", "CORSA"),
             ("RENAULT", "CLIO"), ("TESLA", "MODEL 3"), ("BMW", "3ER REIHE")]
VAN_MAKES = [("VOLKSWAGEN", "TRANSPORTER"), ("MERCEDES-BENZ", "SPRINTER 316 CDI"),
             ("FORD", "TRANSIT CUSTOM"), ("RENAULT", "KANGOO"), ("PEUGEOT", "PARTNER"),
             ("CITROEN", 'JUMPY "WORKER"'), ("IVECO", "DAILY, 35S14")]
TRUCK_MAKES = [("DAF", "XF 480"), ("SCANIA", "R 450"), ("VOLVO", "FH 500"),
               ("MERCEDES-BENZ", "ACTROS 1845"), ("MAN", "TGX 18.470"), ("DAF", "LF 230")]

EURO_NAMES = {"0": "", "1": "EURO 1", "2": "EURO 2", "3": "EURO 3", "4": "EURO 4",
              "5": "EURO 5", "6": "EURO 6"}
EURO_HEAVY = {"0": "", "1": "EURO I", "2": "EURO II", "3": "EURO III", "4": "EURO IV",
              "5": "EURO V", "6": "EURO VI"}

# DET windows of DOMAIN.md section 3 (inclusive years).
WINDOWS = {
    "old": (2008, 2016),       # before 2017: no transition for trucks
    "w17": (2017, 2019),       # transition_rigid_ek6_old / tractors
    "w20": (2020, 2024),       # transition_rigid_ek6_young / tractors
    "new": (2025, 2026),       # after the cut-off: none
}


class Plates:
    """Unique Dutch plates: per shape, a counter mapped by an affine
    permutation onto the shape's whole space, so plates look random but
    never repeat."""

    def __init__(self, rng):
        self.rng = rng
        self.counters = {}
        self.used = set()

    @staticmethod
    def capacity(shape):
        n = 1
        for ch in shape:
            n *= len(LETTERS) if ch == "X" else 10
        return n

    def _decode(self, shape, k):
        out = []
        for ch in reversed(shape):
            alphabet = LETTERS if ch == "X" else DIGITS
            k, r = divmod(k, len(alphabet))
            out.append(alphabet[r])
        return "".join(reversed(out))

    def next(self, shapes):
        while True:
            shape = self.rng.choices([s for s, _ in shapes], [w for _, w in shapes])[0]
            cap = self.capacity(shape)
            c = self.counters.get(shape, 0)
            if c >= cap:
                continue
            self.counters[shape] = c + 1
            # 1000003 is prime and does not divide cap (2^a 5^b 17^c).
            plate = self._decode(shape, (c * 1000003 + 7919) % cap)
            if plate in FIXTURE_PLATES or plate in self.used:
                continue
            return plate


def det(rng, lo_year, hi_year):
    y = rng.randint(lo_year, hi_year)
    m = rng.randint(1, 12)
    d = rng.randint(1, 28)
    return f"{y:04d}{m:02d}{d:02d}"


def fuel(name, cls, euro=""):
    return (name, cls, euro)


def combustion(rng, cls, heavy=False, name=None):
    name = name or ("Diesel" if heavy or rng.random() < 0.8 else "Benzine")
    euro = (EURO_HEAVY if heavy else EURO_NAMES).get(cls, "")
    # Now and then the class is left empty and only the Euro level says it.
    if cls != "" and euro and rng.random() < 0.03:
        return fuel(name, "", euro)
    return fuel(name, cls, euro)


class Vehicle:
    def __init__(self, **kw):
        self.plate = kw["plate"]
        self.soort = kw.get("soort", "Personenauto")
        self.make, self.model = kw.get("make", ("", ""))
        self.inrichting = kw.get("inrichting", "")
        self.seats = kw.get("seats", "")
        self.mass = kw.get("mass", "")
        self.empty_mass = kw.get("empty_mass", "")
        self.det = kw.get("det", "")
        self.category = kw.get("category", "")
        self.fuels = kw.get("fuels", [])
        self.bodies = kw.get("bodies", [])
        self.codes = kw.get("codes", [])
        self.specials = kw.get("specials", [])
        self.profile = kw.get("profile", "")


# --------------------------------------------------------------------------
# Profiles: each returns a Vehicle for a plate.

def p_car(rng, plate):
    kind = rng.random()
    if kind < 0.15:
        fuels = [fuel("Elektriciteit", "Z")]
    elif kind < 0.22:
        fuels = [fuel("Benzine", "6", "EURO 6"), fuel("Elektriciteit", "Z")]
    else:
        fuels = [combustion(rng, rng.choice("3456"), name=rng.choice(["Benzine", "Diesel"]))]
    body = rng.choice(["AA", "AB", "AC", "AF"])
    m = rng.choice(CAR_MAKES)
    mass = rng.randint(1100, 2400)
    return Vehicle(plate=plate, soort="Personenauto", make=m, inrichting=BODY_TYPES[body].lower(),
                   seats=5, mass=mass, empty_mass=mass - 450, det=det(rng, 2003, 2026),
                   category="M1", fuels=fuels, bodies=[body], profile="car")


def p_other_out_of_scope(rng, plate):
    r = rng.random()
    if r < 0.45:
        return Vehicle(plate=plate, soort="Motorfiets", make=("YAMAHA", "MT-07"), inrichting="N.v.t.",
                       seats=2, mass=rng.randint(300, 450), det=det(rng, 2000, 2026),
                       category="L3e", fuels=[combustion(rng, rng.choice("345"), name="Benzine")],
                       profile="motorcycle")
    if r < 0.65:
        return Vehicle(plate=plate, soort="Bus", make=("VDL", "CITEA"), inrichting="N.v.t.",
                       seats=40, mass=19000, det=det(rng, 2010, 2026), category="M3",
                       fuels=[combustion(rng, rng.choice("56Z"), heavy=True)
                              if rng.random() < 0.7 else fuel("Elektriciteit", "Z")],
                       bodies=["CA"], profile="bus")
    return Vehicle(plate=plate, soort="Oplegger", make=("KRONE", "SD"), inrichting="gesloten opbouw",
                   mass=rng.choice([27000, 35000, 39000]), det=det(rng, 2000, 2026),
                   category="O4", bodies=["DA"], profile="trailer")


def van_base(rng, plate, fuels, det_value, profile, **kw):
    m = rng.choice(VAN_MAKES)
    mass = kw.pop("mass", rng.choice([2000, 2500, 2800, 3000, 3200, 3500]))
    body = kw.pop("body", "BB")
    code = kw.pop("code", rng.choice(["03", "3", "04"]))
    cat = kw.pop("category", "N1")
    return Vehicle(plate=plate, soort="Bedrijfsauto", make=m,
                   inrichting=kw.pop("inrichting", "gesloten opbouw"), seats=rng.choice([2, 3]),
                   mass=mass, empty_mass=mass - 1300, det=det_value, category=cat, fuels=fuels,
                   bodies=[body], codes=[code] if code else [], profile=profile, **kw)


def p_van_ze(rng, plate):
    r = rng.random()
    if r < 0.85:
        fuels = [fuel("Elektriciteit", "Z")]
    elif r < 0.93:
        fuels = [fuel("Elektriciteit", "")]          # class empty: fuel fallback
    else:
        fuels = [fuel("Waterstof", "Z"), fuel("Elektriciteit", "Z")]
    return van_base(rng, plate, fuels, det(rng, 2012, 2026), "van_zero_emission")


def p_van_phev(rng, plate):
    fuels = [fuel("Benzine", "6", "EURO 6"), fuel("Elektriciteit", "Z")]
    if rng.random() < 0.5:
        fuels.reverse()
    return van_base(rng, plate, fuels, det(rng, 2018, 2026), "van_plugin_hybrid")


def p_van(rng, plate):
    cls = rng.choices("0123456", [1, 1, 2, 3, 8, 20, 40])[0]
    window = {"0": (1992, 1997), "1": (1993, 1998), "2": (1997, 2001), "3": (2001, 2006),
              "4": (2006, 2011), "5": (2010, 2016), "6": (2015, 2024)}[cls]
    return van_base(rng, plate, [combustion(rng, cls)], det(rng, *window), f"van_ek{cls}")


def p_van_after_cutoff(rng, plate):
    return van_base(rng, plate, [combustion(rng, "6")], det(rng, 2025, 2026), "van_after_cutoff")


def p_van_unknown_class(rng, plate):
    return van_base(rng, plate, [fuel("Diesel", "")], det(rng, 2005, 2020), "van_class_unknown")


def p_van_fallback(rng, plate):
    return van_base(rng, plate, [combustion(rng, rng.choice("56"))], det(rng, 2012, 2024),
                    "van_no_category", category="", mass=rng.choice([2800, 3500]))


def truck_base(rng, plate, fuels, det_value, profile, tractor=False, **kw):
    m = rng.choice(TRUCK_MAKES)
    if tractor:
        mass = kw.pop("mass", rng.choice([18000, 19500, 20500]))
        body, inr, code = "BC", "opleggertrekker", None
    else:
        mass = kw.pop("mass", rng.choice([7500, 11990, 12000, 16000, 19000, 26000, 32000]))
        body = kw.pop("body", "BA")
        inr = kw.pop("inrichting", rng.choice(["gesloten opbouw", "open laadvloer", "kipper",
                                               "huifopbouw", "koelwagen"]))
        code = kw.pop("code", rng.choice(["03", "04", "05", "09", "10"]))
    cat = kw.pop("category", "N2" if mass <= 12000 else "N3")
    return Vehicle(plate=plate, soort="Bedrijfsauto", make=m, inrichting=inr, seats=2,
                   mass=mass, empty_mass=mass // 2, det=det_value, category=cat, fuels=fuels,
                   bodies=[body], codes=[code] if code else [], profile=profile, **kw)


def p_truck(rng, plate, tractor=False):
    window = rng.choices(list(WINDOWS), [3, 3, 4, 1])[0]
    cls = "6" if window != "old" or rng.random() < 0.6 else rng.choice("345")
    kind = "tractor" if tractor else "rigid"
    return truck_base(rng, plate, [combustion(rng, cls, heavy=True)], det(rng, *WINDOWS[window]),
                      f"{kind}_ek{cls}_{window}", tractor=tractor)


def p_tractor(rng, plate):
    return p_truck(rng, plate, tractor=True)


def p_truck_ze(rng, plate):
    fuels = [fuel("Elektriciteit", "Z")] if rng.random() < 0.8 else [fuel("Waterstof", "Z")]
    return truck_base(rng, plate, fuels, det(rng, 2019, 2026), "truck_zero_emission",
                      tractor=rng.random() < 0.3)


def p_truck_fallback(rng, plate):
    return truck_base(rng, plate, [combustion(rng, "6", heavy=True)], det(rng, 2017, 2024),
                      "truck_no_category", category="")


def p_oldtimer(rng, plate):
    cls = rng.choice(["", "0", "1"])
    d = det(rng, 1955, 1986)
    if rng.random() < 0.6:
        v = van_base(rng, plate, [fuel(rng.choice(["Benzine", "Diesel"]), cls)], d, "oldtimer_van",
                     mass=rng.choice([2200, 2700, 3000]), code=None)
    else:
        v = truck_base(rng, plate, [fuel("Diesel", cls)], d, "oldtimer_truck", code=None)
    return v


def p_wheelchair(rng, plate):
    fuels = [combustion(rng, rng.choice("456"))]
    d = det(rng, 2010, 2024)
    if rng.random() < 0.5:
        return van_base(rng, plate, fuels, d, "wheelchair_sh", body="SH",
                        inrichting="voor rolstoelen toegankelijk voertuig", code=None)
    codes = sorted(rng.sample(WHEELCHAIR_CODES, rng.choice([1, 1, 2])))
    return van_base(rng, plate, fuels, d, "wheelchair_code", specials=codes)


def p_special_body(rng, plate):
    fuels = [combustion(rng, rng.choice("56"), heavy=True)]
    d = det(rng, 2008, 2024)
    if rng.random() < 0.7:
        code = rng.choice(SPECIAL_BODY_CODES)
        if rng.random() < 0.3:
            code = code.lstrip("0")
        return truck_base(rng, plate, fuels, d, "special_body_code", code=code,
                          inrichting=BODY_CODES[code.zfill(2)].lower())
    body = rng.choice(["SB", "SF"])
    return truck_base(rng, plate, fuels, d, "special_body_type", body=body, code=None,
                      inrichting=BODY_TYPES[body].lower())


PROFILES = [
    (p_car, 40), (p_other_out_of_scope, 6),
    (p_van_ze, 8), (p_van_phev, 1.5), (p_van, 20), (p_van_after_cutoff, 2),
    (p_van_unknown_class, 1), (p_van_fallback, 1),
    (p_truck, 8), (p_tractor, 4), (p_truck_ze, 1), (p_truck_fallback, 0.5),
    (p_oldtimer, 1), (p_wheelchair, 1), (p_special_body, 1.5),
]


def fixtures():
    """DOMAIN.md section 8 and domain-sources.md section 5, as given."""
    tt = Vehicle(plate="TT601D", soort="Personenauto", det="20130517", category="M1",
                 fuels=[fuel("Diesel", "5", "EURO 5 G")], bodies=["AF"], profile="fixture")
    vt = Vehicle(plate="VTV69T", soort="Bedrijfsauto", category="N1", mass=3500,
                 inrichting="gesloten opbouw", fuels=[fuel("Elektriciteit", "Z")],
                 bodies=["BB"], codes=["3"], profile="fixture")
    return [tt, vt]


BAD_KINDS = ["bad plate", "no category", "bad date", "bad mass"]


def spoil(rng, v, kind):
    """Make v invalid in the way kind names."""
    if kind == "bad plate":
        v.plate = rng.choice(["ABCDEF", "XX-1", "12345678", "AA-AA-AA"])
        v.fuels = v.bodies = v.codes = v.specials = []
    elif kind == "no category":
        v.category = ""
        v.soort = rng.choice(["Personenauto", "Bus", ""])
    elif kind == "bad date":
        v.det = rng.choice(["20231340", "2023-05-01", "19990229", "2023051", "morgen"])
    elif kind == "bad mass":
        v.mass = rng.choice(["-5", "3.5t", "3500,0", "1e4"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--vehicles", type=int, default=1000, help="number of vehicles rows")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--out", default=".", help="directory for the five files")
    ap.add_argument("--display-headers", action="store_true",
                    help="display names (Datum eerste toelating) instead of API names")
    ap.add_argument("--fixtures", action="store_true", help="put TT601D and VTV69T first")
    ap.add_argument("--bad-fraction", type=float, default=0.0,
                    help="fraction of vehicles rows made invalid (default 0)")
    ap.add_argument("--bad-manifest", help="write the invalid rows as LINE<TAB>REASON here")
    ap.add_argument("--crlf", action="store_true", help="end lines with CR LF")
    ap.add_argument("--newline-fraction", type=float, default=0.0002,
                    help="fraction of rows with a line break inside a quoted field")
    args = ap.parse_args()
    if args.vehicles < 0 or not 0.0 <= args.bad_fraction <= 1.0:
        ap.error("bad -n or --bad-fraction")

    rng = random.Random(args.seed)
    plates = Plates(rng)
    os.makedirs(args.out, exist_ok=True)
    term = "\r\n" if args.crlf else "\n"
    col = 1 if args.display_headers else 0

    def open_csv(name, columns):
        f = open(os.path.join(args.out, name), "w", encoding="utf-8", newline="")
        w = csv.writer(f, lineterminator=term)
        w.writerow([c[col] for c in columns])
        return f, w

    fv, wv = open_csv("vehicles.csv", VEHICLE_COLUMNS)
    ff, wf = open_csv("fuels.csv", FUEL_COLUMNS)
    fb, wb = open_csv("bodies.csv", BODY_COLUMNS)
    fc, wc = open_csv("body-codes.csv", BODY_CODE_COLUMNS)
    fs, ws = open_csv("specials.csv", SPECIAL_COLUMNS)
    manifest = []
    counts = {}
    line = 2
    funcs = [p for p, _ in PROFILES]
    weights = [w for _, w in PROFILES]
    fixed = fixtures() if args.fixtures else []

    for i in range(args.vehicles):
        if i < len(fixed):
            v = fixed[i]
        else:
            f = rng.choices(funcs, weights)[0]
            shapes = OLD_SHAPES if f is p_oldtimer else MODERN_SHAPES
            v = f(rng, plates.next(shapes))
        bad = None
        if i >= len(fixed) and args.bad_fraction > 0 and rng.random() < args.bad_fraction:
            bad = rng.choice(BAD_KINDS)
            spoil(rng, v, bad)
            manifest.append((line, bad))
        counts[bad or v.profile] = counts.get(bad or v.profile, 0) + 1
        model = v.model
        if rng.random() < args.newline_fraction:
            model = model + "\nUITVOERING 2"
        row = [v.plate, v.soort, v.make, model, det(rng, 2015, 2025) if v.make else "",
               v.inrichting, v.seats, v.empty_mass, v.mass, v.det, v.category]
        wv.writerow(row)
        line += 1 + model.count("\n")
        for k, (name, cls, euro) in enumerate(v.fuels, 1):
            wf.writerow([v.plate, k, name, euro, cls])
        for k, body in enumerate(v.bodies, 1):
            wb.writerow([v.plate, k, body, BODY_TYPES.get(body, "")])
        for k, code in enumerate(v.codes, 1):
            wc.writerow([v.plate, 1, k, code, BODY_CODES.get(code.zfill(2), "")])
        specials = list(v.specials)
        if v.soort == "Bedrijfsauto" and rng.random() < 0.05:
            specials.append(rng.choice(OTHER_SPECIAL_CODES))
        for k, code in enumerate(specials, 1):
            ws.writerow([v.plate, k, code, "rolstoelplaats" if code in WHEELCHAIR_CODES else ""])

    for f in (fv, ff, fb, fc, fs):
        f.close()
    if args.bad_manifest:
        with open(args.bad_manifest, "w", encoding="utf-8") as m:
            for ln, reason in manifest:
                m.write(f"{ln}\t{reason}\n")
    print(f"gen_rdw: {args.vehicles} vehicles in {args.out} (seed {args.seed}, "
          f"{len(manifest)} bad)", file=sys.stderr)
    for k in sorted(counts):
        print(f"  {k:24} {counts[k]}", file=sys.stderr)


if __name__ == "__main__":
    main()
