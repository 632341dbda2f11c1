"""normalise_org: the spellings of one organisation meet, different organisations stay apart."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qbdesk.domain.orgname import normalise_org

SAME = [
    # region prefix, bare region, bracketed region (full and half width), legal forms
    ["深圳市某某科技有限公司", "深圳某某科技有限公司", "某某科技（深圳）有限公司", "某某科技(深圳)有限公司",
     "某某科技有限责任公司", "某某科技股份有限公司", "广东省深圳市某某科技有限公司",
     "深圳市南山区某某科技有限公司", "某某科技【深圳】有限公司", " 深圳市 某某科技 有限公司 ",
     "某某科技集团有限公司", "某某科技有限公司深圳分公司", "某某科技（中国）有限公司"],
    ["某某（集团）股份有限公司", "深圳市某某集团有限公司", "某某股份有限公司"],
    ["Huawei Technologies Co., Ltd.", "HUAWEI TECHNOLOGIES CO LTD", "Ｈｕａｗｅｉ　Ｔｅｃｈｎｏｌｏｇｉｅｓ Co.,Ltd"],
    # not a company: the region stays, written one way
    ["深圳市计量质量检测研究院", "深圳计量质量检测研究院", "广东省深圳市计量质量检测研究院"],
    # the region is the trade name when the rest is generic
    ["深圳航空有限责任公司", "深圳市航空有限公司"],
]

DIFFERENT = [
    ("深圳大学", "北京大学"),
    ("深圳航空有限责任公司", "四川航空股份有限公司"),
    ("中国银行股份有限公司", "中国建设银行股份有限公司"),
    ("某某科技有限公司", "某某电子有限公司"),
    ("深圳市光明区某某科技有限公司", "光明某某科技有限公司"),  # 光明 without 区 is a trade name
    ("中国科学院深圳先进技术研究院", "深圳先进技术研究院"),
    ("华为技术有限公司", "华为终端有限公司"),
]


@pytest.mark.parametrize("names", SAME, ids=lambda names: names[0])
def test_spellings_of_one_organisation_compare_equal(names: list[str]) -> None:
    keys = {normalise_org(n) for n in names}
    assert len(keys) == 1, keys
    assert keys.pop()  # and the key is not empty


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_organisations_stay_apart(a: str, b: str) -> None:
    assert normalise_org(a) != normalise_org(b)


def test_expected_keys() -> None:
    assert normalise_org("深圳市某某科技有限公司") == "某某科技"
    assert normalise_org("中国银行股份有限公司") == "中国银行"
    assert normalise_org("深圳大学") == "深圳大学"
    assert normalise_org("Huawei Technologies Co., Ltd.") == "huaweitechnologies"


@pytest.mark.parametrize("name", ["", "   ", "（）", "——"])
def test_empty_names_give_empty_key(name: str) -> None:
    assert normalise_org(name) == ""


@pytest.mark.parametrize("name", ["有限公司", "深圳市", "集团有限公司", "Ltd"])
def test_names_that_are_only_noise_keep_something(name: str) -> None:
    assert normalise_org(name) != ""


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_total_and_idempotent_enough(name: str) -> None:
    key = normalise_org(name)
    assert isinstance(key, str)
    assert all(ch.isalnum() for ch in key)
    # Spacing and width never change the key.
    assert normalise_org(f"  {name}\u3000") == key


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="某甲乙丙丁科技电子光华创新", min_size=2, max_size=8))
def test_region_and_form_variants_of_any_trade_name(core: str) -> None:
    base = normalise_org(f"{core}有限公司")
    assert normalise_org(f"深圳市{core}有限公司") in (base, "深圳" + base)
    assert normalise_org(f"{core}（深圳）有限责任公司") == base
