"""The demo round to its published result, through the CLI: snapshots out, twelve simulated experts
score in their workspaces and finalise, ``scores import``, then ``qbdesk results`` in json, xlsx and
csv (read back with openpyxl, and converted by LibreOffice), ``results freeze``, a changed score,
``results diff`` and ``status``; ``round config`` shows and changes the aggregation settings; and
every action that changed the round is in the audit log."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import unicodedata
from decimal import Decimal

import openpyxl
import pytest
from cli_run import cli, ok

from qbdesk.cli.main import main

pytestmark = pytest.mark.slow

OPINION = "【优点】申报材料完整，技术路线清晰，实施效果有数据支撑，对行业质量提升有明显带动作用，服务覆盖面广，质量指标改善可以核实。【不足】绩效目标的量化程度仍可提高，部分成效数据的第三方佐证不足，后续运营机制和资金保障的说明偏简略，推广计划尚欠具体。【结论】符合资助条件，建议予以支持，资助后请加强绩效跟踪，按期报送实施进展和成效数据。"
RECUSAL = "本人曾为该单位提供咨询服务"


def _share(expert: int, app: int) -> float:
    """Each expert's share of every maximum: 60–85 % (no extreme needs a comment), varied by app and expert."""
    return 0.6 + 0.25 * ((expert * 7 + app * 3) % 11) / 10


def _fill(ws, expert: int, *, bump: str | None = None) -> None:
    edits = []
    for n, app in enumerate(sorted(ws.applications, key=lambda a: a.code)):
        if app.code in ws.recusals:
            continue
        share = _share(expert, n)
        for c in ws.rubric(app.code).criteria:
            if c.kind == "score":
                v = round(c.max * share / c.step) * c.step
                if bump == app.code:
                    v = round(c.max * 0.85 / c.step) * c.step
                edits.append((app.code, c.id, "", v, ""))
            elif c.kind == "check":
                edits.append((app.code, c.id, "", True, ""))
            elif c.kind == "items":
                edits += [(app.code, c.id, i, True, "") for i in app.item_ids]
            else:
                edits.append((app.code, c.id, "", OPINION, ""))
    ws.apply(edits)


@pytest.fixture(scope="module")
def published(tmp_path_factory, copy_demo):
    """The demo round with every expert's score file imported (one expert recused from one application)."""
    from qbdesk.services.reviewer.workspace import open_snapshot

    root = tmp_path_factory.mktemp("results")
    copy_demo(root / "demo")
    db = str(root / "demo" / "demo.sqlite")
    assert main(["--lang", "en", "snapshots", "build", "--db", db, "--out", str(root / "usb"), "--keys", str(root / "keys"),
                 "--passphrases-out", str(root / "pp.csv")]) == 0
    with open(root / "pp.csv", encoding="utf-8-sig") as f:
        slips = sorted(csv.DictReader(f), key=lambda r: r["expert_id"])
    files, homes, recused = [], {}, None
    for k, slip in enumerate(slips):
        home = root / "laptops" / slip["expert_id"]
        with open_snapshot(root / "usb" / slip["file"], home, slip["passphrase"], kdf_rounds=1) as ws:
            if k == 0:
                recused = sorted(a.code for a in ws.applications)[0]
                ws.recuse(recused, RECUSAL)
            _fill(ws, k)
            ws.declare(True)
            out = root / f"{slip['expert_id']}.qbscore"
            ws.finalize(out)
        files.append(out)
        homes[slip["expert_id"]] = (home, slip["passphrase"], k)
    assert main(["--lang", "en", "scores", "import", "--db", db, "--keys", str(root / "keys"), *map(str, files)]) == 0
    return {"root": root, "db": db, "homes": homes, "keys": root / "keys", "experts": [s["expert_id"] for s in slips]}


def _trimmed(totals: list[float]) -> Decimal:
    d = sorted(Decimal(str(t)) for t in totals)
    if len(d) >= 5:
        d = d[1:-1]
    return sum(d, Decimal(0)) / len(d)


def _display(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_results_in_json_xlsx_and_csv(published, tmp_path, capsys, need_tool):
    db = published["db"]
    out = ok(capsys, "results", "--db", db, "--out", tmp_path / "r.json")
    assert "P1: 7 applications" in out and f"wrote {tmp_path / 'r.json'}" in out
    doc = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert doc["format"] == "qbdesk.results/1" and doc["since_frozen"] is None
    assert [p["program"] for p in doc["programs"]] == [f"P{i}" for i in range(1, 10)]
    experts = set(published["experts"])
    funded = 0
    for p in doc["programs"]:
        assert set(p) >= {"program", "mode", "rule", "budget", "allocated", "left", "agreement", "applications"}
        assert set(p["agreement"]) >= {"icc", "kendall_w", "applications", "experts"}
        assert p["allocated"] == sum(a["amount"] for a in p["applications"]) and p["left"] == p["budget"] - p["allocated"]
        for a in p["applications"]:
            assert set(a) >= {"application", "rank", "aggregate", "counted", "totals", "passed", "amount", "flags", "reasons"}
            assert set(a["totals"]) <= experts and set(a["totals"]) == set(a["counted"])
            assert a["aggregate"] == pytest.approx(float(_trimmed(list(a["totals"].values()))))
            assert all({"code", "expert"} <= set(f) for f in a["flags"]) and all({"zh", "en"} == set(r) for r in a["reasons"])
            funded += bool(a["amount"])
        if p["mode"] == "verified":
            assert all(a["rank"] is None for a in p["applications"])
            assert [a["application"] for a in p["applications"]] == sorted(a["application"] for a in p["applications"])
        else:
            assert [a["rank"] for a in p["applications"]] == list(range(1, len(p["applications"]) + 1))
            aggs = [a["aggregate"] for a in p["applications"]]
            assert aggs == sorted(aggs, reverse=True)
    assert funded > 10
    recused = [a for p in doc["programs"] for a in p["applications"] if a["recused"]]
    assert len(recused) == 1 and "recused and is not counted" in " ".join(r["en"] for r in recused[0]["reasons"])
    assert {x["expert"] for x in doc["experts"]} == experts and all("name" not in x for x in doc["experts"])
    vetoed = [a for p in doc["programs"] for a in p["applications"] if "veto" in a["capped_by"]]
    assert len(vetoed) == 1 and vetoed[0]["amount"] == 0  # the demo's one failed double_funding check

    # xlsx: a summary and a sheet per program; frozen header; formats; widths fit the Chinese headings
    ok(capsys, "results", "--db", db, "--out", tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert wb.sheetnames == ["汇总 Summary", *[f"P{i}" for i in range(1, 10)]]
    for p in doc["programs"]:
        ws = wb[p["program"]]
        assert ws.freeze_panes == "A2"
        head = [c.value for c in ws[1]]
        assert head[:5] == ["排名 Rank", "申报编号 Application", "申报单位 Applicant", "项目名称 Title", "汇总分 Aggregate"]
        for col, title in enumerate(head, start=1):
            letter = openpyxl.utils.get_column_letter(col)
            assert ws.column_dimensions[letter].width >= min(60, _display(title)), title
        amount_col = head.index("建议资助（元） Amount (yuan)") + 1
        rows = list(ws.iter_rows(min_row=2))
        assert [r[1].value for r in rows] == [a["application"] for a in p["applications"]]
        assert [r[amount_col - 1].value for r in rows] == [a["amount"] for a in p["applications"]]
        assert {r[4].number_format for r in rows} == {"0.00"} and {r[amount_col - 1].number_format for r in rows} == {"#,##0"}
    summary = list(wb["汇总 Summary"].iter_rows(values_only=True))
    assert summary[1][0] == "P1" and summary[1][5] == doc["programs"][0]["allocated"]
    import sqlite3

    con = sqlite3.connect(db)
    try:
        roster = [n for (n,) in con.execute("select name from expert")]
    finally:
        con.close()
    text = " ".join(str(v) for s in wb for row in s.iter_rows(values_only=True) for v in row if v is not None)
    assert "E01" in text and roster and not [n for n in roster if n in text]  # experts by id only
    soffice = need_tool("soffice")
    conv = tmp_path / "conv"
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path / 'lo'}",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(conv),
                    str(tmp_path / "r.xlsx")], check=True, capture_output=True, timeout=180)
    converted = list(csv.reader(io.StringIO((conv / "r.csv").read_text("utf-8"))))
    assert converted[0][0] == "项目 Program" and converted[1][0] == "P1"
    assert int(converted[1][5].replace(",", "")) == doc["programs"][0]["allocated"]

    # csv: the publication list, UTF-8 with BOM
    ok(capsys, "results", "--db", db, "--out", tmp_path / "r.csv")
    raw = (tmp_path / "r.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == sum(len(p["applications"]) for p in doc["programs"]) == 63
    by_id = {a["application"]: a for p in doc["programs"] for a in p["applications"]}
    for row in rows:
        a = by_id[row["申报编号 Application"]]
        assert int(row["建议资助金额（元） Amount (yuan)"]) == a["amount"]
        assert row["是否通过 Passed"] == ("是" if a["passed"] else "否")


def test_calibrated_and_named_results_never_change_the_ranking(published, tmp_path, capsys):
    db = published["db"]
    ok(capsys, "results", "--db", db, "--out", tmp_path / "raw.json", "--program", "P1,P8")
    ok(capsys, "results", "--db", db, "--out", tmp_path / "cal.json", "--program", "P1", "--program", "P8",
       "--calibrated", "--with-names")
    raw, cal = (json.loads((tmp_path / f).read_text("utf-8")) for f in ("raw.json", "cal.json"))
    assert [p["program"] for p in cal["programs"]] == ["P1", "P8"]
    for p, q in zip(raw["programs"], cal["programs"]):
        assert [(a["application"], a["rank"], a["amount"]) for a in p["applications"]] == \
               [(a["application"], a["rank"], a["amount"]) for a in q["applications"]]
        assert all("calibrated_aggregate" in a and "calibrated_totals" in a for a in q["applications"])
    assert all(x["name"] for x in cal["experts"])
    code, _, err = cli(capsys, "results", "--db", db, "--out", tmp_path / "x.json", "--program", "P0")
    assert code == 1 and "the round has no program P0" in err


def test_bad_output_paths_are_refused_clearly(published, tmp_path, capsys):
    db = published["db"]
    for target, words in ((tmp_path, "is a folder, not a regular file"), (tmp_path / "nope" / "r.json", "does not exist"),
                          (tmp_path / "r.pdf", "a results file is .json, .xlsx or .csv")):
        code, out, err = cli(capsys, "results", "--db", db, "--out", target)
        assert code == 1 and words in err and "Traceback" not in err, err
    assert main(["results", "--db", db, "--out", str(tmp_path / "r.pdf")]) == 1
    assert "结果文件须为 .json、.xlsx 或 .csv" in capsys.readouterr().err
    code, _, err = cli(capsys, "results", "--db", db)
    assert code == 1 and "--out" in err
    assert not list(tmp_path.iterdir())


def test_round_config_shows_and_changes_the_aggregation_settings(published, capsys):
    db = published["db"]
    out = ok(capsys, "round", "config", "--db", db)
    assert "P1: scored, blind" in out and "aggregation trimmed_mean" in out and out.count("aggregation ") == 9
    cfg = json.loads(ok(capsys, "round", "config", "--db", db, "--program", "P3", "--json"))
    assert cfg["programs"][0]["aggregation"]["min_experts"] == 3  # the demo's experts per application
    code, out, err = cli(capsys, "round", "config", "--db", db, "--program", "P9", "--set", "aggregation=mode",
                         "--set", "gate_tie=maybe")
    assert code == 1 and "2 problems" in err and "P9.aggregation" in err and "P9.gate_tie" in err
    code, out, err = cli(capsys, "round", "config", "--db", db, "--set", "aggregation=mean")
    assert code == 1 and "--set needs --program" in err


def test_freeze_then_a_changed_score_and_setting_show_as_a_difference(published, tmp_path, capsys):
    from qbdesk.services.reviewer.workspace import ReviewWorkspace

    db = published["db"]
    code, _, err = cli(capsys, "results", "diff", "--db", db)
    assert code == 1 and "no frozen result yet" in err
    out = ok(capsys, "results", "freeze", "--db", db)
    assert "froze round 1's results as #1" in out and "recorded in the audit log" in out
    again = json.loads(ok(capsys, "results", "--db", db, "freeze", "--json"))  # the parent's --db reaches the subcommand
    assert again["new"] is False and again["frozen"] == 1
    assert "identical to frozen result #1" in ok(capsys, "results", "diff", "--db", db)
    assert main(["results", "diff", "--db", db, "--exit-code"]) == 0  # 0 when identical
    capsys.readouterr()
    status = json.loads(ok(capsys, "status", "--db", db, "--json"))
    assert status["results_frozen"]["identical"] and not [p for p in status["problems"] if p["code"] == "results_changed"]

    # an expert re-scores one scored application at 85 % of every maximum and sends a second file
    for _expert, (home, passphrase, k) in sorted(published["homes"].items()):
        ws = ReviewWorkspace.load(home, passphrase)
        try:
            target = next((a for a in sorted(ws.applications, key=lambda a: a.code)
                           if a.program in ("P1", "P2", "P8") and a.code not in ws.recusals), None)
            if target is None:
                continue
            _fill(ws, k, bump=target.code)
            ws.finalize(tmp_path / "E05-2.qbscore")
            break
        finally:
            ws.close()
    out = ok(capsys, "scores", "import", "--db", db, "--keys", published["keys"], tmp_path / "E05-2.qbscore")
    assert "replaces the earlier file" in out
    info = json.loads(ok(capsys, "results", "diff", "--db", db, "--json"))
    assert not info["identical"]
    assert main(["results", "diff", "--db", db, "--exit-code", "--json"]) == 3  # … and 3 when they differ
    assert json.loads(capsys.readouterr().out) == info
    # never silent: the document differs; the aggregate moves unless the trimmed mean drops the new total
    fields = {(c["program"], c["field"]) for c in info["changes"]}
    assert not info["changes"] or (target.program, "aggregate") in fields
    if not info["changes"]:
        assert "no rank, aggregate, pass or amount changed" in ok(capsys, "results", "diff", "--db", db)
    out = ok(capsys, "results", "--db", db, "--out", tmp_path / "after.json")
    assert "the results changed since frozen result #1" in out
    assert json.loads((tmp_path / "after.json").read_text("utf-8"))["since_frozen"]["changes"] == info["changes"]
    status = json.loads(ok(capsys, "status", "--db", db, "--json"))
    assert not status["results_frozen"]["identical"]
    assert [p for p in status["problems"] if p["code"] == "results_changed"]
    out = ok(capsys, "status", "--db", db)
    assert "results frozen: #1" in out and "the results now differ (qbdesk results diff)" in out

    # a configuration change is a difference too, and is audited
    out = ok(capsys, "round", "config", "--db", db, "--program", "P2", "--set", "aggregation=median",
             "--set", "budget=300000")
    assert "P2.aggregation: trimmed_mean → median (recorded in the audit log)" in out
    info = json.loads(ok(capsys, "results", "diff", "--db", db, "--json"))
    changed = {(c["program"], c["application"], c["field"]) for c in info["changes"]}
    assert ("P2", None, "rule") in changed and ("P2", None, "budget") in changed
    assert any(p == "P2" and f == "amount" for p, _, f in changed)
    out = ok(capsys, "results", "diff", "--db", db)
    assert "P2 setting rule: trimmed_mean when frozen, median now" in out
    assert main(["results", "diff", "--db", db]) == 0 and "P2 设置 rule：固化时 trimmed_mean，现在 median" in capsys.readouterr().out


def test_every_action_that_changed_the_round_is_in_the_audit_log(published, tmp_path, capsys):
    db = published["db"]
    ok(capsys, "experts", "draw", "--db", db, "--program", "P3", "--count", "2", "--seed", "20261201")
    import sqlite3

    con = sqlite3.connect(db)
    try:
        some, pdf = con.execute("select a.external_id, t.file from application a join attachment t "
                                "on t.application_id = a.id where t.blind order by a.external_id, t.file").fetchone()
    finally:
        con.close()
    ok(capsys, "leaks", "exclude", "--db", db, some, pdf, "--reason", "该附件含申报单位标识，已人工复核")
    bad = tmp_path / "bad.qbscore"
    bad.write_bytes(b"not a score file")
    code, _, _ = cli(capsys, "scores", "import", "--db", db, "--keys", published["keys"], bad)
    assert code == 1
    ok(capsys, "round", "config", "--db", db, "--program", "P9", "--set", "deviation_points=15")
    ok(capsys, "results", "freeze", "--db", db)
    actions = {e["action"] for e in json.loads(ok(capsys, "audit", "show", "--db", db, "--json"))}
    expected = {"round.init", "import_packages", "experts.import", "experts.draw", "assign", "snapshots.build",
                "scores.import", "scores.rejected", "round.config", "leaks.exclude", "qualification.import",
                "results.freeze"}
    assert expected <= actions, expected - actions
    ok(capsys, "audit", "verify", "--db", db)  # and the chain holds


def test_round_init_takes_the_aggregation_settings_from_the_configuration(tmp_path, capsys):
    cfg = tmp_path / "round.toml"
    cfg.write_text('[programs.P2]\naggregation = "median"\ndeviation_points = 12.5\nmin_experts = 4\n'
                   '[programs.P3]\nitem_tie = "accept"\n', encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    out = ok(capsys, "round", "init", "--db", db, "--name", "配置", "--year", "2026", "--programs", "P2,P3,P8",
             "--config", cfg)
    assert "aggregation median" in out and "deviation threshold 12.5 points" in out and "items accept" in out
    assert out.count("aggregation ") == 2  # P8 set none: its line is as before
    cfg_json = json.loads(ok(capsys, "round", "config", "--db", db, "--json"))
    p2, p3, p8 = cfg_json["programs"]
    assert p2["aggregation"] == {"aggregation": "median", "item_tie": "reject", "gate_tie": "fail", "tier_tie": "lower",
                                 "deviation_points": 12.5, "deviation_share": 0.2, "min_experts": 4}
    assert p3["aggregation_set"] == {"item_tie": "accept"} and p8["aggregation_set"] == {}

    bad = tmp_path / "bad.toml"
    bad.write_text('[programs.P2]\naggregation = "mode"\nmin_experts = 0\ngate_ties = "pass"\n', encoding="utf-8")
    code, _, err = cli(capsys, "round", "init", "--db", f"sqlite:///{tmp_path / 'b.sqlite'}", "--name", "x",
                       "--year", "2026", "--config", bad)
    assert code == 1 and "3 errors" in err and "programs.P2.aggregation: must be one of" in err
    assert "programs.P2.min_experts" in err and "gate_ties: unknown setting (did you mean “gate_tie”?)" in err
    assert not (tmp_path / "b.sqlite").exists()
