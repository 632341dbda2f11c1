"""Round configuration as a coordinator writes it: every problem at once, in the chosen language;
modes, blindness and pass lines shown wherever a program is; the README's example as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from qbdesk.cli.main import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def init(capsys, tmp_path, config_text: str, *lang: str, suffix: str = ".toml"):
    cfg = tmp_path / f"round{suffix}"
    cfg.write_text(config_text, encoding="utf-8")
    db = tmp_path / "r.sqlite"
    return (*run(capsys, *lang, "round", "init", "--db", str(db), "--name", "2026年度评审", "--year", "2026",
                 "--config", str(cfg)), db)


BAD = """
[programs.P2]
pass_threshold = 170
[programs.P5]
budjet = 3000000
per_application = 0
[programs.P5.tiers]
national_regulation_lead = 900000
"""


def test_every_problem_of_a_config_file_is_reported_together_in_chinese(tmp_path, capsys):
    code, out, err, db = init(capsys, tmp_path, BAD)
    assert code == 1 and out == ""
    assert "有 4 处错误" in err
    assert "P2.pass_threshold：及格线 170 超过评分细则总分 100" in err
    assert "programs.P5.budjet：未知设置（是否应为「budget」？）" in err
    assert "P5.per_application：每个申报至少1位专家" in err
    assert "P5.tiers.national_regulation_lead.amount：900,000 元超出《操作规程》规定的范围 30,000–800,000 元" in err
    # no English detail under the default language
    assert not re.search(r"unknown setting|must be|outside|seed", err)


def test_the_same_problems_in_english_with_lang_en(tmp_path, capsys):
    code, _, err, _ = init(capsys, tmp_path, BAD, "--lang", "en")
    assert code == 1 and "has 4 errors" in err
    assert "P2.pass_threshold: 170 is above the rubric's total of 100" in err
    assert "programs.P5.budjet: unknown setting (did you mean “budget”?)" in err
    assert "900,000 yuan is outside the range the Operating Procedures set, 30,000–800,000 yuan" in err
    assert not re.search(r"[\u4e00-\u9fff]", err.split("\n", 1)[1])  # the details: no Chinese left in


def test_wrong_types_and_a_verified_threshold_are_named(tmp_path, capsys):
    code, _, err, _ = init(capsys, tmp_path, '[programs.P3]\nbudget = "lots"\nmode = "verified"\npass_threshold = 60\n'
                                             '[programs.P1]\nblind = "no"\nshortfall = "lottery"\n', "--lang", "en")
    assert code == 1
    assert "programs.P3.budget: must be a whole number, not 'lots'" in err
    assert "P3.pass_threshold: a verified program has no pass threshold" in err
    assert "programs.P1.blind: must be true or false" in err
    assert "P1.shortfall: must be pro_rata or rank_order" in err


def test_the_readme_example_works_as_written(tmp_path, capsys):
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    assert 'rubric = "rubrics/P5.json"' in example
    code, out, err, db = init(capsys, tmp_path, example)  # in a folder with no rubrics/ next to it
    assert code == 0, err
    assert "P5：核准类，公开评审（材料载明申报单位），不设及格线，预算300万元，评分细则 2026.2" in out
    assert "P2：评审类，盲评，及格线 75 分" in out
    code, out, _ = run(capsys, "status", "--db", str(db), "--json")
    p5 = json.loads(out)["programs"]["P5"]
    assert (p5["mode"], p5["blind"], p5["pass_threshold"], p5["budget"]) == ("verified", False, None, 3_000_000)


def test_a_bare_rubric_name_and_an_archived_version_resolve_to_the_shipped_files(tmp_path, capsys):
    code, out, err, _ = init(capsys, tmp_path, '[programs.P3]\nrubric = "2026.1/P3.json"\n[programs.P8]\nrubric = "P8"\n',
                             "--lang", "en")
    assert code == 0, err
    assert "P3: verified, open (the evidence names the applicant), no pass threshold, no budget cap, rubric 2026.1" in out
    assert "P8: scored, blind, pass threshold 700, no budget cap, rubric 2026.2" in out
    code, _, err, _ = init(capsys, tmp_path, '[programs.P3]\nrubric = "nowhere/P3.json"\n', "--lang", "en")
    assert code == 1 and "programs.P3.rubric: no rubric file “nowhere/P3.json”" in err


def test_mode_and_blindness_can_be_changed_and_show_in_status(tmp_path, capsys):
    code, out, err, db = init(capsys, tmp_path, '[programs.P5]\nmode = "scored"\nblind = true\n'
                                                '[programs.P1]\nkey_minimum = 20\n')
    assert code == 0, err
    assert "P5：评审类，盲评，及格线 70 分" in out
    assert "P1：评审类，盲评，及格线 75 分，关键评分项至少 20 分" in out
    assert "P2：评审类，盲评，及格线 70 分，预算不限，评分细则 2026.2" in out
    code, out, _ = run(capsys, "status", "--db", str(db))
    assert re.search(r"^P5 .* 评审类·盲评 ", out, re.M) and re.search(r"^P7 .* 核准类·公开 ", out, re.M)
    code, out, _ = run(capsys, "--lang", "en", "status", "--db", str(db))
    assert re.search(r"^P3 .* verified, open ", out, re.M) and "mode" in out.splitlines()[1]


def test_default_pass_lines_and_key_minimum(tmp_path, capsys):
    code, out, err = run(capsys, "round", "init", "--db", str(tmp_path / "d.sqlite"), "--name", "x", "--year", "2026")
    assert code == 0, err
    eng = create_engine(f"sqlite:///{tmp_path / 'd.sqlite'}")
    with eng.connect() as c:
        rows = {r.program: r for r in c.execute(text(
            "select program, mode, blind, pass_threshold, key_minimum, rules from program_config"))}
    eng.dispose()
    assert rows["P1"].pass_threshold == 75 and rows["P1"].key_minimum == 19
    assert rows["P8"].pass_threshold == 700 and rows["P2"].key_minimum is None
    for code_ in ("P3", "P4", "P5", "P7"):
        assert (rows[code_].mode, bool(rows[code_].blind), rows[code_].pass_threshold) == ("verified", False, None)
    assert {r.rules for r in rows.values()} == {"2026.2"}


def test_a_round_made_before_the_program_rules_keeps_computing_as_it_did(tmp_path):
    """An 0002 database with a round: after the upgrade its programs are scored, blind, 2026.1 rules."""
    from alembic import command

    from qbdesk.services.rounds import program_settings
    from qbdesk.store.engine import alembic_config, make_engine, open_database
    from qbdesk.store.models import ProgramConfig

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    eng = make_engine(url)
    command.upgrade(alembic_config(eng), "0002")
    with eng.begin() as c:
        c.execute(text("insert into round (id, name, year, created_at, settings) values (1, 'old', 2026, '2026-03-01', '{}')"))
        c.execute(text("insert into program_config (round_id, program, budget, pass_threshold, tiers, per_application) "
                       "values (1, 'P5', 1000000, 60, null, null)"))
    eng.dispose()
    db = open_database(url)
    with db.sessions() as s:
        pc = s.query(ProgramConfig).one()
        st = program_settings(pc)
    db.dispose()
    assert (st.mode, st.blind, st.rules, st.pass_threshold, st.shortfall) == ("scored", True, "2026.1", 60, "pro_rata")


@pytest.mark.parametrize("suffix", [".json"])
def test_json_config_gets_the_same_checks(tmp_path, capsys, suffix):
    code, _, err, _ = init(capsys, tmp_path, json.dumps({"programs": {"P9": {"pass_threshold": 101, "mdoe": "scored"}}}),
                           "--lang", "en", suffix=suffix)
    assert code == 1 and "has 2 errors" in err
    assert "P9.pass_threshold: 101 is above the rubric's total of 100" in err
    assert "programs.P9.mdoe: unknown setting (did you mean “mode”?)" in err
