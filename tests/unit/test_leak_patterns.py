"""The identity patterns of the leak scan: every written shape of a number, short names, masking, and no false alarms."""

from __future__ import annotations

import pytest

from qbdesk.services.leak_patterns import Identity, LeakMatcher, mask

WHO = Identity(application_id="2026-P1-0001", name="深圳市峻岭纺织有限公司", credit_code="91440304PD4WA4NG14",
               contact="王建国", phones=("0755-31510852", "13912345678"), email="wang.jg@junling-tex.com",
               website="http://www.junling.cn/", address="广东省深圳市南山区粤海街道科技园路88号峻岭大厦5楼")
M = LeakMatcher.for_identity(WHO)


def kinds(text: str) -> set[str]:
    return {m.kind for m in M.find(text)}


@pytest.mark.parametrize("text", [
    "电话(0755)31510852", "电话 +86 755 3151 0852", "0755—31510852", "０７５５－３１５１０８５２", "0755 3151 0852",
    "（0755）3151-0852", "本地拨打 31510852", "0086-755-31510852", "手机 139 1234 5678", "+86 139-1234-5678",
])
def test_phone_numbers_in_every_shape(text):
    assert kinds(text) == {"phone"}


@pytest.mark.parametrize("text", [
    "9144 0304 PD4W A4NG 14", "91440304-PD4W-A4NG14", "９１４４０３０４ＰＤ４ＷＡ４ＮＧ１４", "91440304pd4wa4ng14",
])
def test_credit_code_with_any_separators(text):
    assert kinds(text) == {"credit_code"}


@pytest.mark.parametrize(("text", "kind"), [
    ("本报告由深圳市峻岭纺织有限公司编制", "name"),
    ("峻岭纺织有限公司", "name"),
    ("由峻岭纺织负责实施", "short_name"),
    ("深圳市峻岭\n纺织有限公司", "name"),  # broken over two lines
    ("联系人：王建国", "contact"),
    ("请与王先生联系", "contact"),
    ("王女士", "contact"),
    ("WANG.JG@JUNLING-TEX.COM", "email"),
    ("见 junling-tex.com 的说明", "domain"),
    ("官网 www.junling.cn", "website"),
    ("地址：南山区粤海街道科技园路88号峻岭大厦5楼", "address"),
    ("材料编号：2026-P1-0001", "application_id"),
    ("材料编号：２０２６－Ｐ１－０００１", "application_id"),
    ("someone.else@partner.org", "email"),  # anyone's e-mail
    ("联系 13800138000", "phone"),  # anyone's mobile
])
def test_each_kind_is_found(text, kind):
    assert kind in kinds(text)


@pytest.mark.parametrize("text", [
    "依据GB/T 19580-2012《卓越绩效评价准则》和ISO/IEC 17025:2017开展",
    "CNAS实验室认可（ISO/IEC 17025） 2025-11-25，营业收入31510853元，同比增长13.5%",
    "申报编号 2026-P1-00012 与 12026-P1-0001 都不是本申报",
    "王建华是另一位专家；建国以来的成就",
    "检测样品 1391234 批次 5678",
])
def test_no_false_alarm_on_ordinary_text(text):
    assert M.find(text) == []


def test_the_excerpt_never_shows_the_whole_token():
    for m in M.find("深圳市峻岭纺织有限公司 91440304PD4WA4NG14 王建国 王先生 0755-31510852 wang.jg@junling-tex.com"):
        assert m.excerpt.endswith("***") and m.token not in m.excerpt
    assert mask("深圳市峻岭纺织有限公司", "name") == "深圳市峻岭***"
    assert mask("王建国", "contact") == "王***"


def test_public_mail_domains_are_not_identity():
    who = Identity("X-1", "深圳市甲乙科技有限公司", "91440300MA5D8YQ36T", "李四", (), "lisi@qq.com")
    assert {m.kind for m in LeakMatcher.for_identity(who).find("qq.com 和 lisi@qq.com")} == {"email"}
