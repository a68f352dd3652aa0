"""The comparison of exemption conditions over HTTP: GET /v1/rule-comparisons.

zesd runs on a copy of rules/ that the last test edits.  Covers the shape
of the answer on the real rules (the zoned municipalities only, by code,
each column matching its rule file, every ordered pair, and Rotterdam, Den
Haag and Delft equivalent for every type, the national one included); 400
on a missing, empty, unknown or repeated type and on unknown parameters;
the roles; and reloads of an edited folder changing the verdict: a higher
threshold in Rotterdam makes it stricter than Den Haag (and Den Haag looser
than Rotterdam), a lower one looser, a type it stops offering stricter.
"""

import json
import os
import shutil

import pytest

from conftest import auth, wait_for

ROTTERDAM, DEN_HAAG, DELFT = "GM0599", "GM0518", "GM0503"
ZONED = [DELFT, DEN_HAAG, ROTTERDAM]
TYPES = ["day_exemption", "long_delivery", "business_hardship", "grid_congestion",
         "hardship_clause"]


@pytest.fixture(scope="module")
def world(db, module_zesd_factory, tmp_path_factory, env):
    rules = str(tmp_path_factory.mktemp("rules") / "rules")
    shutil.copytree(os.path.join(env.source_dir, "rules"), rules)
    toks = {r: db.token(r, municipality=ROTTERDAM if r == "assessor" else None)[1]
            for r in ("desk", "assessor", "admin", "auditor", "enforcement")}
    z = module_zesd_factory(db.url, config={"rules_dir": rules})
    return {"z": z, "rules": rules, "tok": toks}


def get(world, query, who="desk"):
    return world["z"].get("/v1/rule-comparisons" + query, headers=auth(world["tok"][who]))


def comparison(world, type_, who="desk"):
    r = get(world, f"?type={type_}", who=who)
    assert r.status == 200, r.body
    assert r.content_type == "application/json"
    return r.json()


def rule_file(rules_dir, code):
    with open(os.path.join(rules_dir, f"{code}.json"), encoding="utf-8") as f:
        return json.load(f)


def write_rule_file(rules_dir, code, doc):
    with open(os.path.join(rules_dir, f"{code}.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent="\t", ensure_ascii=False)
        f.write("\n")


def pair(doc, a, b):
    found = [p for p in doc["pairs"] if (p["a"], p["b"]) == (a, b)]
    assert len(found) == 1, (a, b, doc["pairs"])
    return found[0]


def column(doc, code):
    found = [m for m in doc["municipalities"] if m["municipality"] == code]
    assert len(found) == 1, code
    return found[0]


def test_shape_on_the_real_rules(world):
    for type_ in TYPES + ["special_vehicle"]:
        doc = comparison(world, type_)
        assert set(doc) == {"type", "scope", "label", "municipalities", "pairs"}, doc.keys()
        assert doc["type"] == type_
        assert doc["scope"] == ("national" if type_ == "special_vehicle" else "municipal")
        # Municipalities with a zone only (the other 18 have none), by code.
        assert [m["municipality"] for m in doc["municipalities"]] == ZONED
        want_pairs = [(a, b) for a in ZONED for b in ZONED if a != b]
        assert [(p["a"], p["b"]) for p in doc["pairs"]] == want_pairs
        for p in doc["pairs"]:
            assert set(p) == {"a", "b", "verdict", "summary", "because"}
            assert "grant the same applications" in p["summary"]
            # The three have the same defaults today.
            assert (p["verdict"], p["because"]) == ("equivalent", []), (type_, p)
        for m in doc["municipalities"]:
            source = rule_file(world["rules"], "national" if type_ == "special_vehicle"
                               else m["municipality"])
            t = source["types"][type_]
            assert m["name"] == rule_file(world["rules"], m["municipality"])["name"]
            assert (m["declared"], m["offered"], m["label"]) == (True, t["offered"], t["label"])
            assert m["feeEur"] == t.get("feeEur", 0)
            assert m["quota"] == t.get("quota")
            assert m["outcome"]["decision"] == t["outcome"]["decision"]
            assert [c["reason"] for c in m["conditions"]] == \
                [c["reason"] for c in t.get("conditions", [])]
            for c, tc in zip(m["conditions"], t.get("conditions", [])):
                assert c["require"] == tc["require"] and c.get("when") == tc.get("when")
                assert c["message"] == tc["message"]
                assert isinstance(c["text"], str) and c["text"]
            assert [e["name"] for e in m["evidence"]] == list(t.get("evidence", {}))
            assert m["maxDuration"]["validity"] == t["validity"]
            assert isinstance(m["maxDuration"]["text"], str) and m["maxDuration"]["text"]

    doc = comparison(world, "day_exemption")
    rot = column(doc, ROTTERDAM)
    assert rot["quota"] == {"perPlatePerCalendarYear": 12} and rot["feeEur"] == 30
    assert rot["maxDuration"]["text"].startswith("period.from only, until 06:00 the next day")
    assert rot["conditions"][0]["text"] == \
        "application.periodFrom le application.submittedOn + 365 days"
    doc = comparison(world, "business_hardship")
    text = [c["text"] for c in column(doc, DELFT)["conditions"]]
    assert "evidence.zoneEntriesPerYear ge 13" in text
    # municipality.zoneStart is shown with the day it stands for.
    assert "evidence.registeredToApplicantSince lt municipality.zoneStart (2025-01-01)" in text
    assert column(doc, DELFT)["outcome"] == {"decision": "review",
                                             "reason": "financial_assessment_required"}


def test_bad_requests(world):
    p = get(world, "").problem(400)
    assert [e["field"] for e in p["errors"]] == ["type"]
    for bad in ("", "no_such_type", "Day_exemption", "x" * 300, "day%20exemption"):
        p = get(world, f"?type={bad}").problem(400)
        assert [e["field"] for e in p["errors"]] == ["type"], (bad, p)
    p = get(world, "?type=day_exemption&type=long_delivery").problem(400)
    assert [e["field"] for e in p["errors"]] == ["type"]
    p = get(world, "?type=day_exemption&municipality=GM0599").problem(400)
    assert [e["field"] for e in p["errors"]] == ["municipality"]
    # Every error at once.
    p = get(world, "?at=2026-01-01").problem(400)
    assert sorted(e["field"] for e in p["errors"]) == ["at", "type"]


def test_roles(world):
    want = comparison(world, "long_delivery")
    for who in ("assessor", "admin", "auditor"):
        assert comparison(world, "long_delivery", who=who) == want
    get(world, "?type=long_delivery", who="enforcement").problem(403)
    r = world["z"].get("/v1/rule-comparisons?type=long_delivery")
    r.problem(401)
    r = world["z"].request("POST", "/v1/rule-comparisons?type=long_delivery",
                           headers=auth(world["tok"]["admin"]))
    r.problem(405)


def reload(world, version):
    r = world["z"].request("POST", "/v1/rule-set-reloads", headers=auth(world["tok"]["admin"]),
                           timeout=30.0)
    assert r.status == 200, r.body

    def loaded():
        doc = comparison(world, "business_hardship")
        return doc if column(doc, ROTTERDAM)["ruleSet"]["version"] == version else None
    return wait_for(loaded, 10.0, what=f"Rotterdam's rule set {version} in the comparison")


def set_entries(doc, value, version):
    for c in doc["types"]["business_hardship"]["conditions"]:
        if c["reason"] == "too_few_zone_entries":
            c["require"]["value"] = value
    doc["version"] = version
    return doc


def test_reload_changes_the_verdict(world):
    rules = world["rules"]
    original = rule_file(rules, ROTTERDAM)
    try:
        # A higher threshold: Rotterdam grants less, so Den Haag may recognise it.
        write_rule_file(rules, ROTTERDAM, set_entries(json.loads(json.dumps(original)), 15,
                                                      "test.1"))
        doc = reload(world, "test.1")
        p = pair(doc, ROTTERDAM, DEN_HAAG)
        assert p["verdict"] == "stricter", p
        assert p["summary"].startswith("Every application Rotterdam (GM0599) grants, "
                                       "Den Haag (GM0518) would grant too"), p["summary"]
        assert p["because"] == [{
            "kind": "condition", "field": "evidence.zoneEntriesPerYear", "a": "ge 15",
            "b": "ge 13", "effect": "a stricter",
            "explanation": p["because"][0]["explanation"]}]
        assert "Rotterdam (GM0599)" in p["because"][0]["explanation"]
        back = pair(doc, DEN_HAAG, ROTTERDAM)
        assert back["verdict"] == "looser"
        assert back["because"][0]["effect"] == "a looser"
        assert back["because"][0]["a"] == "ge 13" and back["because"][0]["b"] == "ge 15"
        assert pair(doc, DELFT, DEN_HAAG)["verdict"] == "equivalent"
        assert "evidence.zoneEntriesPerYear ge 15" in \
            [c["text"] for c in column(doc, ROTTERDAM)["conditions"]]
        # The other types did not change.
        assert pair(comparison(world, "grid_congestion"), ROTTERDAM, DEN_HAAG)["verdict"] == \
            "equivalent"

        # A lower one: looser.
        write_rule_file(rules, ROTTERDAM, set_entries(json.loads(json.dumps(original)), 10,
                                                      "test.2"))
        doc = reload(world, "test.2")
        assert pair(doc, ROTTERDAM, DELFT)["verdict"] == "looser"
        assert pair(doc, DELFT, ROTTERDAM)["verdict"] == "stricter"

        # Not offered any more: Rotterdam grants none, stricter than everyone.
        changed = json.loads(json.dumps(original))
        changed["types"]["business_hardship"]["offered"] = False
        changed["version"] = "test.3"
        write_rule_file(rules, ROTTERDAM, changed)
        doc = reload(world, "test.3")
        assert column(doc, ROTTERDAM)["offered"] is False
        p = pair(doc, ROTTERDAM, DELFT)
        assert p["verdict"] == "stricter"
        assert [(e["kind"], e["a"], e["b"]) for e in p["because"]] == \
            [("offered", "not offered", "offered")]
    finally:
        write_rule_file(rules, ROTTERDAM, original)
    doc = reload(world, original["version"])
    assert all(p["verdict"] == "equivalent" for p in doc["pairs"])
