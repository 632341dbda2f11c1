"""The shipped rubrics, version 2026.2: every content change docs/rubrics.md names, and 2026.1 kept as it was."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from qbdesk.domain.programs import PROGRAM_CODES
from qbdesk.domain.rubric import RubricError, default_rubric, load_rubric_data, shipped_rubric

KEY = {"P1": "nqi_integration", "P2": "quality_results", "P3": "certification_level", "P4": "accreditation_standing",
       "P5": "technical_level", "P6": "service_results", "P7": "quality_management", "P8": "results",
       "P9": "brand_value"}


def scores(code: str) -> dict[str, float]:
    return {c.id: c.max for c in default_rubric(code).score_criteria}


@pytest.mark.parametrize("code", PROGRAM_CODES)
def test_every_2026_2_rubric_validates_and_names_its_key_criterion(code):
    r = default_rubric(code)
    assert r.version == "2026.2"
    assert r.key_criterion == KEY[code] and r.criterion(KEY[code]).kind == "score"
    assert r.comment_rule.at_or_below == 0.55 and r.comment_rule.at_or_above == 0.9
    op = r.criterion("opinion")
    assert op.required and op.min_length == (150 if code in ("P1", "P8") else 80)
    assert "【优点】" in op.guidance.zh and "【不足】" in op.guidance.zh and "【结论】" in op.guidance.zh
    gate = r.criterion("eligibility").guidance.zh  # what an expert can judge from the material; the rest is the coordinator's
    assert gate.startswith("从申报材料判断") and "资格审查中核实" in gate
    text = json.dumps(r.to_data(), ensure_ascii=False)
    assert "本批次申报期" not in text and "this round's window" not in text


def test_p1_weights_and_the_key_minimum_at_good():
    assert scores("P1") == {"industry_problems": 10, "nqi_integration": 25, "service_capacity": 15,
                            "service_results": 20, "competitiveness": 20, "plan": 10}
    r = default_rubric("P1")
    assert r.key_minimum == "良" and r.key_minimum_points() == 19  # 良 starts at 75 % of 25, on the 0.5 grid
    assert "三类及以上" in r.criterion("nqi_integration").guidance.zh
    assert "资质认定（CMA）、认可（CNAS）" in r.criterion("service_capacity").guidance.zh
    assert "自筹资金占比" in r.criterion("plan").guidance.zh
    assert "有效增强产业竞争力" in r.criterion("competitiveness").guidance.zh


def test_p2_track_check_and_fair_band_wording():
    r = default_rubric("P2")
    track = r.criterion("track")
    assert track.kind == "check" and "技术攻关" in track.guidance.zh and "质量管理理论与方法创新" in track.guidance.zh
    bands = {b.label.zh: b.meaning.zh for b in r.criterion("problem_significance").bands}
    assert "局限于本单位" not in bands["中"] and "局限于本单位" in bands["差"]
    assert scores("P2")["team_basis"] == 10 and scores("P2")["application"] == 20


def test_p3_what_counts_first_certification_and_maintenance():
    r = default_rubric("P3")
    g = r.criterion("certificates").guidance.zh
    for word in ("绿色产品认证", "ISO 9001", "CCC", "自我声明", "绿色工厂", "绿色设计产品", "首次", "申报指南规定的获证期间", "本年度此前批次"):
        assert word in g, word
    assert scores("P3")["maintenance"] == 10


def test_p4_one_type_per_body_and_cnas_standing():
    r = default_rubric("P4")
    g = r.criterion("accreditations").guidance.zh
    for word in ("17025", "17020", "15189", "17065", "17021", "17043", "17034", "CMA", "扩项", "复评审",
                 "ILAC 互认协议（MRA）/IAF 多边承认协议（MLA）"):
        assert word in g, word
    assert "CNAS 本身是" in r.criterion("accreditation_standing").guidance.zh
    assert "检测项目和标准" in r.criterion("scope_capability").guidance.zh


def test_p5_roles_and_no_activity_level():
    r = default_rubric("P5")
    g = r.criterion("activities").guidance.zh
    for word in ("负责起草单位", "前两位", "OIML", "秘书处", "首次取得的市级社会公用计量标准证书", "近三年正式发布", "更正"):
        assert word in g, word
    assert "activity_level" not in scores("P5")


def test_p6_either_direction_and_sme_definition():
    r = default_rubric("P6")
    assert "gba_connectivity" not in scores("P6") and "sme_service" not in scores("P6")
    g = r.criterion("direction_fit").guidance.zh
    assert "任一方向" in g and "《中小企业划型标准规定》" in g


def test_p7_who_confers_what_and_no_honour_level():
    g = default_rubric("P7").criterion("honours").guidance.zh
    for word in ("中国质量奖", "提名奖", "广东省政府质量奖", "深圳市市长质量奖", "中国质量协会", "深圳知名品牌", "补足差额"):
        assert word in g, word
    assert "honour_level" not in scores("P7")


def test_p8_steps_of_five_percent_and_the_standards_bands():
    r = default_rubric("P8")
    assert r.criterion("materials").kind == "check" and r.criterion("self_assessment").kind == "check"
    for c in r.score_criteria:
        m = Decimal(str(c.max))
        assert Decimal(str(c.step)) == m * Decimal("0.05")
        assert sorted((Decimal(str(b.min)) / m * 100, Decimal(str(b.max)) / m * 100) for b in c.bands) == [
            (0, 5), (10, 25), (30, 45), (50, 65), (70, 85), (90, 100)]
    g = r.criterion("opinion").guidance.zh
    assert "各至少列出三条" in g


def test_p9_standards_trademark_gate_and_weights():
    r = default_rubric("P9")
    for word in ("GB/T 29186.1", "2021", "有形要素、质量要素、创新要素、服务要素、无形要素", "GB/T 29188-2022", "ISO 10668",
                 "GB/T 29187", "ISO 20671-1:2021"):
        assert word in r.basis.zh, word
    assert r.criterion("trademark").kind == "check" and "独占许可" in r.criterion("trademark").guidance.zh
    assert "12 个月" in r.criterion("materials").guidance.zh and "独立" in r.criterion("materials").guidance.zh
    assert scores("P9") == {"brand_strategy": 10, "brand_elements": 30, "brand_value": 20, "market_performance": 10,
                            "internationalisation": 15, "reputation": 5, "shenzhen_brand": 10}


@pytest.mark.parametrize("code", PROGRAM_CODES)
def test_2026_1_is_kept_unchanged(code):
    old = shipped_rubric(code, "2026.1")
    assert old.version == "2026.1" and old.key_criterion is None
    assert "key_criterion" not in old.to_data()  # so its hash is the one earlier rounds stored
    assert old.content_hash != default_rubric(code).content_hash


def test_the_2026_1_p3_hash_is_the_one_the_snapshot_vector_carries():
    meta = json.loads((Path(__file__).parents[1] / "vectors" / "snapshot-expected.json").read_text("utf-8"))
    carried = json.dumps(meta, ensure_ascii=False)
    assert shipped_rubric("P3", "2026.1").content_hash in carried


def test_a_verified_rubric_may_verify_items_and_gates_only():
    d = copy.deepcopy(default_rubric("P3").to_data())
    d["criteria"] = [c for c in d["criteria"] if c["kind"] != "score"]
    d.pop("key_criterion")
    with pytest.raises(RubricError, match="total must be 0"):
        load_rubric_data(d, "P3-verify-only.json")
    d["total"] = 0
    r = load_rubric_data(d, "P3-verify-only.json", program="P3")
    assert r.total == 0 and not r.score_criteria and r.items_criterion is not None


def test_key_criterion_must_be_a_score_criterion_and_key_minimum_a_band():
    d = copy.deepcopy(default_rubric("P1").to_data())
    d["key_criterion"], d["key_minimum"] = "opinion", "良"
    with pytest.raises(RubricError) as e:
        load_rubric_data(d, "P1.json")
    assert "key_criterion: “opinion” is not a score criterion" in e.value.msg.en
    d["key_criterion"], d["key_minimum"] = "nqi_integration", "great"
    with pytest.raises(RubricError) as e:
        load_rubric_data(d, "P1.json")
    assert "key_minimum: must be one of the band labels" in e.value.msg.en
