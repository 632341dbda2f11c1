"""The results of a round, hand-computed: aggregation, ranking, funding, vetoes, year caps, budgets.

Each case builds its round in the database (tests/integration/results_round.py) and reads the
results document ``round_results`` returns — what ``qbdesk results`` writes.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from results_round import RoundBuilder, accept, reject, values_for

from qbdesk.services.results import round_results
from qbdesk.services.results_freeze import freeze_results
from qbdesk.services.round_config import change_program_config
from qbdesk.store.models import QualificationRecord

pytestmark = pytest.mark.postgresql  # every case on SQLite and on PostgreSQL


def _program(doc, code):
    return next(p for p in doc["programs"] if p["program"] == code)


def _apps(doc, code):
    return {a["application"]: a for a in _program(doc, code)["applications"]}


def _results(db, rid, **kw):
    with db.sessions() as s:
        return round_results(s, rid, **kw)


def _en(a):
    return " | ".join(r["en"] for r in a["reasons"])


def test_trimmed_mean_at_four_five_and_seven_experts(db):
    r = RoundBuilder(db, settings={"P2": {}})
    for ext in ("A4", "A5", "A7"):
        r.application("P2", ext)
    r.panel("P2", "A4", [70, 80, 90, 100])
    r.panel("P2", "A5", [60, 70, 80, 90, 100])
    r.panel("P2", "A7", [50, 72, 74, 76, 78, 80, 99])
    doc = _results(db, r.round_id)
    p = _program(doc, "P2")
    assert p["mode"] == "scored" and p["rule"] == "trimmed_mean"
    apps = _apps(doc, "P2")
    four, five, seven = apps["A4"], apps["A5"], apps["A7"]
    assert four["aggregate"] == 85 and four["method"] == "mean" and four["dropped"] == []
    assert "fewer than 5" in _en(four)
    assert five["aggregate"] == 80 and five["method"] == "trimmed_mean" and five["dropped"] == ["E01", "E05"]
    assert seven["aggregate"] == 76 and seven["dropped"] == ["E01", "E07"] and len(seven["counted"]) == 7
    assert seven["totals"] == {"E01": 50, "E02": 72, "E03": 74, "E04": 76, "E05": 78, "E06": 80, "E07": 99}
    assert [(a["application"], a["rank"]) for a in p["applications"]] == [("A4", 1), ("A5", 2), ("A7", 3)]
    assert all(a["passed"] and a["amount"] == 300_000 for a in p["applications"])  # P2: a fixed 300,000
    assert p["budget"] is None and p["allocated"] == 900_000 and p["left"] is None


def test_a_budget_exhausted_mid_ranking(db):
    r = RoundBuilder(db, settings={"P2": {"budget": 700_000}})
    for n, total in enumerate((90, 85, 80, 75), start=1):
        r.application("P2", f"B{n}")
        r.panel("P2", f"B{n}", [total] * 3)
    doc = _results(db, r.round_id)
    p = _program(doc, "P2")
    assert [(a["application"], a["rank"], a["amount"]) for a in p["applications"]] == [
        ("B1", 1, 300_000), ("B2", 2, 300_000), ("B3", 3, 100_000), ("B4", 4, 0)]
    b3, b4 = _apps(doc, "P2")["B3"], _apps(doc, "P2")["B4"]
    assert b3["capped_by"] == ["budget"] and "Capped at the remaining budget of 100,000 yuan" in _en(b3)
    assert b4["passed"] and b4["capped_by"] == ["budget"] and "The program budget is exhausted: not funded" in _en(b4)
    assert "本项目预算已用完，不予资助" in "".join(x["zh"] for x in b4["reasons"])
    assert (p["budget"], p["allocated"], p["left"]) == (700_000, 700_000, 0)


def test_ties_in_the_ranking_at_each_level(db):
    r = RoundBuilder(db, settings={"P2": {}})
    # T0 is ahead on the aggregate alone; T1..T3 share 80; T2 and T3 also share the key criterion.
    for ext, total, key in (("T0", 81, 10), ("T1", 80, 20), ("T2", 80, 22), ("T3", 80, 22)):
        r.application("P2", ext)
        r.panel("P2", ext, [total] * 3, keys=[key] * 3)
    p = _program(_results(db, r.round_id), "P2")
    order = [(a["application"], a["rank"], a["tie_break"]) for a in p["applications"]]
    assert order == [("T0", 1, None), ("T2", 2, "application_id"), ("T3", 3, "application_id"),
                     ("T1", 4, "key_criterion")]
    apps = {a["application"]: a for a in p["applications"]}
    assert apps["T0"]["key_score"] == 10 and apps["T2"]["key_score"] == 22
    assert "by the earlier application id ranked ahead of T3" in _en(apps["T2"])
    assert "by the earlier application id ranked after T2" in _en(apps["T3"])
    assert "(20 against 22) ranked after T3" in _en(apps["T1"])


def test_pass_threshold_and_key_minimum_are_exact(db):
    r = RoundBuilder(db, settings={"P2": {"key_minimum": 20}})
    for ext, total, key in (("K1", 70, 20), ("K2", 69.5, 20), ("K3", 90, 19.5)):
        r.application("P2", ext)
        r.panel("P2", ext, [total] * 3, keys=[key] * 3)
    apps = _apps(_results(db, r.round_id), "P2")
    assert apps["K1"]["passed"] and apps["K1"]["amount"] == 300_000  # 70 of 100 reaches the 70 % line
    assert not apps["K2"]["passed"] and apps["K2"]["capped_by"] == ["threshold"]
    assert "below the pass threshold of 70" in _en(apps["K2"])
    assert not apps["K3"]["passed"] and apps["K3"]["capped_by"] == ["key_criterion"] and apps["K3"]["rank"] == 1
    assert "below the minimum of 20" in _en(apps["K3"])


def test_the_deviation_flag_at_its_threshold(db):
    r = RoundBuilder(db, settings={"P2": {}}, aggregation={"P2": {"deviation_points": 10}})
    r.application("P2", "D1")
    r.application("P2", "D2")
    r.panel("P2", "D1", [70, 80, 80])  # E01 is exactly 10 below the others' mean: no flag
    r.panel("P2", "D2", [69.5, 80, 80])  # 10.5 below: flagged
    apps = _apps(_results(db, r.round_id), "P2")
    assert [f for f in apps["D1"]["flags"] if f["code"] == "deviation"] == []
    (flag,) = [f for f in apps["D2"]["flags"] if f["code"] == "deviation"]
    assert flag["expert"] == "E01" and "beyond the deviation threshold of 10" in flag["en"]


def test_a_recused_expert_does_not_count(db):
    r = RoundBuilder(db, settings={"P2": {}})
    r.application("P2", "R1")
    r.panel("P2", "R1", [70, 80, 90, 100])
    r.score("E05", "R1", values_for("P2", 40))  # values present, but E05 recused: not counted
    r.recuse("E05", "R1")
    a = _apps(_results(db, r.round_id), "P2")["R1"]
    assert a["recused"] == ["E05"] and "E05" not in a["counted"] and a["missing"] == []
    assert a["aggregate"] == 85 and a["method"] == "mean"  # 4 counted: no trimming
    assert "expert E05 recused and is not counted" in _en(a)


def test_a_gate_failed_by_the_majority_and_a_veto(db):
    r = RoundBuilder(db, settings={"P2": {}})
    r.application("P2", "G1")
    r.application("P2", "V1")
    for n, ok in enumerate((False, False, True), start=1):
        r.score(f"E{n:02d}", "G1", values_for("P2", 90, gates={"eligibility": ok}))
    r.panel("P2", "V1", [90, 90, 90])
    with db.sessions.begin() as s:
        s.add(QualificationRecord(application_id=r.apps["V1"], check="double_funding", result="fail",
                                  source="市专项资金系统", checked_on=date(2026, 11, 20), note="同一项目已获资助"))
    apps = _apps(_results(db, r.round_id), "P2")
    g = apps["G1"]
    assert not g["passed"] and g["amount"] == 0 and g["capped_by"] == ["gate"]
    assert {f["code"] for f in g["flags"]} >= {"gate_failed", "gate_split"}
    assert "failed by a majority (1 passed, 2 failed)" in _en(g)
    v = apps["V1"]
    assert not v["passed"] and v["amount"] == 0 and v["capped_by"] == ["veto"]
    assert v["rank"] == 2  # ranked on its scores (tied with G1 at 90, G1's id first), but vetoed
    assert "veto: the qualification check" in _en(v) and "failed: not funded" in _en(v)


def test_a_verified_program_over_budget_is_scaled_pro_rata(db):
    r = RoundBuilder(db, settings={"P3": {"budget": 250_000}})
    certs = {"V1": 2, "V2": 1, "V3": 3}
    for ext, n in certs.items():
        r.application("P3", ext, requested=1_000_000,
                      items=[{"id": f"C{k}", "kind": "certificate", "title": "证书"} for k in range(1, n + 1)])
        for e in ("E01", "E02", "E03"):
            r.score(e, ext, values_for("P3", 80, items={f"C{k}": accept() for k in range(1, n + 1)}))
    p = _program(_results(db, r.round_id), "P3")
    assert p["mode"] == "verified"
    assert [(a["application"], a["rank"], a["amount"]) for a in p["applications"]] == [
        ("V1", None, 83_333), ("V2", None, 41_666), ("V3", None, 125_000)]
    assert p["allocated"] == 249_999 and p["left"] == 1
    assert all("pro_rata" in a["capped_by"] and a["passed"] for a in p["applications"])
    assert "scaled pro rata" in p["note"]["en"]


def test_items_by_majority_and_a_tie_resolved_by_the_configured_rule(db):
    r = RoundBuilder(db, settings={"P3": {}})
    items = [{"id": f"C{k}", "kind": "certificate", "title": "证书"} for k in (1, 2)]
    r.application("P3", "M1", requested=1_000_000, items=items)
    r.application("P3", "M2", requested=1_000_000, items=items[:1])
    for e, c1, c2 in (("E01", accept(), reject()), ("E02", accept(), reject()), ("E03", reject(), accept())):
        r.score(e, "M1", values_for("P3", 80, items={"C1": c1, "C2": c2}))
    r.score("E01", "M2", values_for("P3", 80, items={"C1": accept()}))
    r.score("E02", "M2", values_for("P3", 80, items={"C1": reject()}))
    apps = _apps(_results(db, r.round_id), "P3")
    m1 = apps["M1"]
    assert [(i["item"], i["accepted"]) for i in m1["items"]] == [("C1", True), ("C2", False)]
    assert m1["amount"] == 50_000
    m2 = apps["M2"]
    assert m2["items"] == [{"item": "C1", "accepted": False, "tie": True, "tier": None}] and m2["amount"] == 0
    assert [f["code"] for f in m2["flags"] if f["code"] == "item_tie"] == ["item_tie"]
    assert "rejected by the tie rule (item_tie = reject)" in _en(m2)

    change_program_config(db.sessions, r.round_id, "P3", {"item_tie": "accept"})
    m2 = _apps(_results(db, r.round_id), "P3")["M2"]
    assert m2["items"][0]["accepted"] and m2["amount"] == 50_000
    assert "accepted by the tie rule (item_tie = accept)" in _en(m2)


def test_an_item_tier_corrected_by_the_majority(db):
    r = RoundBuilder(db, settings={"P5": {}})
    r.application("P5", "T1", requested=1_000_000,
                  items=[{"id": "M1", "kind": "activity", "title": "国家计量技术规范", "tier": "national_regulation_lead"}])
    for e, d in (("E01", accept()), ("E02", accept("national_regulation_join")), ("E03", accept("national_regulation_join"))):
        r.score(e, "T1", values_for("P5", 80, items={"M1": d}))
    a = _apps(_results(db, r.round_id), "P5")["T1"]
    assert a["items"] == [{"item": "M1", "accepted": True, "tie": False, "tier": "national_regulation_join"}]
    assert a["amount"] == 200_000 and a["rank"] is None
    assert "the declared tier national_regulation_lead corrected to national_regulation_join by a majority" in _en(a)


def test_a_per_year_cap_reached_across_two_rounds_of_the_same_year(db):
    code = "91440300MA5FLY0X2W"
    items = [{"id": f"C{k}", "kind": "certificate", "title": "证书"} for k in (1, 2)]

    def p3_round(year: int, name: str) -> RoundBuilder:
        r = RoundBuilder(db, year=year, settings={"P3": {}}, name=name)
        r.application("P3", f"{year}-{name}", code=code, requested=1_000_000, items=items)
        for e in ("E01", "E02", "E03"):
            r.score(e, f"{year}-{name}", values_for("P3", 80, items={"C1": accept(), "C2": accept()}))
        return r

    last_year = p3_round(2025, "去年")
    freeze_results(db.sessions, last_year.round_id)  # another fund year: never counted
    first = p3_round(2026, "第一批")
    second = p3_round(2026, "第二批")
    (a,) = _results(db, second.round_id)["programs"][0]["applications"]
    assert a["amount"] == 100_000  # round 1 is not frozen yet: nothing granted there, and it says so
    notes = " ".join(n["en"] for n in _results(db, second.round_id)["notes"])
    assert f"round {first.round_id}" in notes and "no frozen result" in notes

    freeze_results(db.sessions, first.round_id)  # round 1 published: 2 certificates granted
    (b,) = _results(db, first.round_id)["programs"][0]["applications"]
    assert b["amount"] == 100_000 and b["items_granted"] == 2
    (a,) = _results(db, second.round_id)["programs"][0]["applications"]
    assert a["amount"] == 50_000 and a["capped_by"] == ["year_cap"]  # at most 3 a year: 1 left
    assert "Already granted 2 certificates (100,000 yuan) in this program this year; at most 3 a year, 1 left" in _en(a)


def test_freeze_then_a_changed_score_shows_as_a_difference(db):
    from qbdesk.services.results_freeze import since_frozen
    from qbdesk.store.models import AuditEntry, ScoreSheet

    r = RoundBuilder(db, settings={"P2": {"budget": 300_000}})
    r.application("P2", "F1")
    r.application("P2", "F2")
    r.panel("P2", "F1", [90, 90, 90])
    r.panel("P2", "F2", [80, 80, 80])
    out = freeze_results(db.sessions, r.round_id)
    assert out["new"]
    again = freeze_results(db.sessions, r.round_id)
    assert not again["new"] and again["frozen"] == out["frozen"]
    with db.sessions() as s:
        assert since_frozen(s, r.round_id)["identical"]
        (entry,) = s.query(AuditEntry).filter(AuditEntry.action == "results.freeze").all()
        assert entry.detail["sha256"] == out["sha256"]
    with db.sessions.begin() as s:  # F2's experts now give 95: F2 overtakes F1 and takes the budget
        now = {"application": "20", "team_basis": "5"}  # were 10 and 0
        for sheet in s.query(ScoreSheet).filter(ScoreSheet.application_id == r.apps["F2"]):
            sheet.entries = json.dumps([[c, i, now.get(c, v), m] for c, i, v, m in json.loads(sheet.entries)],
                                       ensure_ascii=False)
    with db.sessions() as s:
        info = since_frozen(s, r.round_id)
    assert not info["identical"]
    got = {(c["application"], c["field"]): (c["frozen"], c["now"]) for c in info["changes"]}
    assert got[("F2", "rank")] == (2, 1) and got[("F1", "rank")] == (1, 2)
    assert got[("F2", "amount")] == (0, 300_000) and got[("F1", "amount")] == (300_000, 0)
    assert got[("F2", "aggregate")] == (80, 95)


@pytest.mark.parametrize("bad, words", [({"aggregation": "mode"}, "P2.aggregation: must be one of"),
                                        ({"deviation_share": 2}, "P2.deviation_share"),
                                        ({"budget": -5}, "P2.budget"),
                                        ({"colour": "red"}, "P2.colour: cannot be changed here")])
def test_a_bad_configuration_change_changes_nothing(db, bad, words):
    from qbdesk.domain.messages import QbdeskError
    from qbdesk.store.models import AuditEntry

    r = RoundBuilder(db, settings={"P2": {}})
    with pytest.raises(QbdeskError) as e:
        change_program_config(db.sessions, r.round_id, "P2", bad)
    assert words in e.value.msg.en and "nothing changed" in e.value.msg.en and "未作任何更改" in e.value.msg.zh
    with db.sessions() as s:
        assert not s.query(AuditEntry).filter(AuditEntry.action == "round.config").count()


def test_the_plain_command_and_its_refusals_on_a_small_round(db, db_url, tmp_path, capsys):
    import json
    import os

    from cli_run import cli, ok

    r = RoundBuilder(db, settings={"P2": {"budget": 400_000}})
    r.application("P2", "S1")
    r.panel("P2", "S1", [90, 80, 70])
    out = ok(capsys, "results", "--db", db_url, "--out", tmp_path / "s.json")
    assert "P2: 1 application, 1 passed, 1 funded, 300,000 yuan in all (budget 400,000 yuan, 100,000 yuan left)" in out
    (a,) = json.loads((tmp_path / "s.json").read_text("utf-8"))["programs"][0]["applications"]
    assert (a["rank"], a["aggregate"], a["amount"]) == (1, 80, 300_000)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    code, _, err = cli(capsys, "results", "--db", db_url, "--out", fifo)
    assert code == 1 and "is a named pipe (FIFO), not a regular file" in err
    from qbdesk.cli.main import main

    assert main(["results", "--db", db_url, "--out", str(fifo)]) == 1
    assert "是命名管道（FIFO），不是普通文件" in capsys.readouterr().err
    code, _, err = cli(capsys, "results", "--db", db_url, "--round", "9", "--out", tmp_path / "t.json")
    assert code == 1 and "there is no round 9" in err


def test_the_round_starts_and_changes_its_configuration_in_the_audit_log(db):
    from qbdesk.store.models import AuditEntry

    r = RoundBuilder(db, settings={"P2": {"budget": 1_000_000}}, aggregation={"P2": {"aggregation": "median"}})
    diff = change_program_config(db.sessions, r.round_id, "P2", {"aggregation": None, "deviation_points": 12})
    assert diff == {"aggregation": {"from": "median", "to": "trimmed_mean"},
                    "deviation_points": {"from": None, "to": 12}}
    assert change_program_config(db.sessions, r.round_id, "P2", {"deviation_points": 12}) == {}  # nothing new
    assert change_program_config(db.sessions, r.round_id, "P2", {"pass_threshold": 80}) == {
        "pass_threshold": {"from": 70, "to": 80}}
    assert change_program_config(db.sessions, r.round_id, "P2", {"pass_threshold": None}) == {  # default: 70 % again
        "pass_threshold": {"from": 80, "to": 70}}
    with db.sessions() as s:
        entries = s.query(AuditEntry).filter(AuditEntry.round_id == r.round_id).order_by(AuditEntry.id).all()
    assert [e.action for e in entries] == ["round.init", "round.config", "round.config", "round.config"]
    start = entries[0].detail["settings"]["P2"]
    assert start["budget"] == 1_000_000 and start["aggregation"] == {"aggregation": "median"} and start["mode"] == "scored"
    assert entries[1].detail == {"program": "P2", "changes": diff}
