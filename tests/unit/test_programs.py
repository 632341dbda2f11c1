"""The nine programs as the seed's chapter 4 states them (resources/programs.json)."""

from __future__ import annotations

import re

import pytest

from qbdesk.domain.programs import PROGRAM_CODES, ProgramSettings, program, programs

# Article, direction and funding numbers as chapter 4 of the Operating Procedures gives them.
SEED = {
    "P1": ("8(1)", "行业质量提升项目", "予以300万元资助"),
    "P2": ("8(2)", "质量技术攻关与质量创新项目", "予以30万元资助"),
    "P3": ("8(3)", "绿色认证等高端认证发展项目", "每获一张认证证书，予以不超过5万元资助，每家企业每年资助不超过3项"),
    "P4": ("9(1)", "国际认可发展项目", "每获得一个国家或国际机构认可资质，予以不超过30万元资助，每家企业每年资助不超过2项"),
    "P5": ("9(2)", "先进计量支撑体系扶持项目", "分别予以3万元至80万元资助"),
    "P6": ("9(3)", "质量基础设施协同服务项目", "每个项目资助20万元，每年每家单位资助不超过2项"),
    "P7": ("10(1)", "国家、省、市质量品牌标杆项目", "分别予以10万元至300万元质量工作资助"),
    "P8": ("10(2)", "高质量发展示范单位项目", "予以30万元资助"),
    "P9": ("10(3)", "高价值品牌示范单位项目", "予以50万元支持"),
}
# The seed's summary line: "主要为供给体系升级、质量基础建设、质量品牌培育3个方向的9个扶持项目",
# in article order (its sub-headings for Art. 8 and 10 are swapped; the articles win).
DIRECTIONS = {8: ("supply", "供给体系升级"), 9: ("infrastructure", "质量基础建设"), 10: ("brand", "质量品牌培育")}


def wan(text: str) -> list[int]:
    """Every 'N万元' in a sentence, in yuan."""
    return [int(n) * 10_000 for n in re.findall(r"(\d+)万元", text)]


def test_nine_programs_in_order():
    assert tuple(programs()) == PROGRAM_CODES == tuple(f"P{i}" for i in range(1, 10))


@pytest.mark.parametrize("code", PROGRAM_CODES)
def test_name_article_and_seed_sentence(code):
    article, zh, clause = SEED[code]
    p = program(code)
    assert (p.article, p.zh) == (article, zh)
    assert p.en and p.name("en") == p.en and p.name() == p.zh
    assert clause in p.seed


@pytest.mark.parametrize("code", PROGRAM_CODES)
def test_direction_follows_the_article(code):
    p = program(code)
    art = int(p.article.split("(")[0])
    key, zh = DIRECTIONS[art]
    assert (p.direction.key, p.direction.article, p.direction.zh) == (key, art, zh)
    assert p.direction.en


@pytest.mark.parametrize(("code", "amount"), [("P1", 3_000_000), ("P2", 300_000), ("P8", 300_000), ("P9", 500_000)])
def test_fixed_amounts_exactly_as_the_seed(code, amount):
    f = program(code).funding
    assert (f.kind, f.amount) == ("fixed", amount)
    assert wan(program(code).seed) == [amount]


@pytest.mark.parametrize(
    ("code", "per", "cap", "exact"), [("P3", 50_000, 3, False), ("P4", 300_000, 2, False), ("P6", 200_000, 2, True)]
)
def test_per_item_rules_as_the_seed(code, per, cap, exact):
    p = program(code)
    f = p.funding
    assert (f.kind, f.max_per_item, f.max_items_per_year, f.exact) == ("per_item", per, cap, exact)
    assert wan(p.seed) == [per]
    assert f"不超过{cap}项" in p.seed
    assert ("不超过" + str(per // 10_000) + "万元" in p.seed) == (not exact)  # "at most" unless exact
    assert f.item_zh and f.item_en


@pytest.mark.parametrize(("code", "lo", "hi"), [("P5", 30_000, 800_000), ("P7", 100_000, 3_000_000)])
def test_tier_ranges_and_default_tiers_inside_them(code, lo, hi):
    p = program(code)
    f = p.funding
    assert (f.kind, f.min, f.max) == ("tiered", lo, hi)
    assert wan(p.seed) == [lo, hi]
    assert f.default_tiers, "a tiered program needs a documented default table"
    for key, t in f.default_tiers.items():
        assert t.key == key and t.zh and t.en
        assert isinstance(t.amount, int) and lo <= t.amount <= hi
    assert ProgramSettings(code).validate() == []
    assert ProgramSettings(code).tier_table() is f.default_tiers


def test_p5_default_tiers_cover_each_metrology_activity_the_seed_lists():
    names = " ".join(t.zh for t in program("P5").funding.default_tiers.values())
    for activity in ("国际", "国家", "省", "TC、SC", "示范和标杆", "市级社会公用计量标准证书"):
        assert activity in names


def test_p7_default_tiers_cover_national_provincial_municipal():
    names = " ".join(t.zh for t in program("P7").funding.default_tiers.values())
    for level in ("国家级", "省级", "市级"):
        assert level in names


def test_only_tiered_programs_have_tiers():
    for code, p in programs().items():
        assert bool(p.funding.default_tiers) == (p.funding.kind == "tiered"), code


def test_unknown_program_code():
    with pytest.raises(KeyError, match="P1, P2"):
        program("P0")


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        (ProgramSettings("P1", budget=-1), "P1.budget"),
        (ProgramSettings("P2", per_application=0), "P2.per_application"),
    ],
)
def test_settings_validation_names_the_field(settings, field):
    errors = settings.validate()
    assert len(errors) == 1 and errors[0].en.startswith(field) and errors[0].zh.startswith(field)
