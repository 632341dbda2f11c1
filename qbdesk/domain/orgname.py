"""Organisation names compared for conflicts of interest (同单位回避).

:func:`normalise_org` maps the spellings one organisation commonly goes by to
one key, so that "深圳市某某科技有限公司", "深圳某某科技有限公司" and
"某某科技（深圳）有限公司" compare equal. It follows the shape Chinese
enterprise names take (行政区划 + 字号 + 行业 + 组织形式, with the region
allowed in brackets after the trade name):

1. NFKC (full-width letters, digits and brackets become half-width), case-fold;
2. brackets of every kind become ``( )``; English legal suffixes
   (Co., Ltd., Limited, Inc., Corp., LLC, GmbH, ...) are dropped;
3. for a *company* (the name has 公司 / 集团 / 合伙 or an English legal
   suffix): bracketed regions and 集团/股份 are dropped, a trailing branch
   (……有限公司深圳分公司) is cut back to the parent, the legal form
   (股份有限公司, 有限责任公司, 有限公司, 公司, 集团, ...) is dropped, and
   leading regions (中国, 广东省, 深圳市, 南山区, ...) are dropped;
4. for anything else (universities, institutes, associations, bureaus) the
   region is part of the name, so it is only written one way (深圳市 → 深圳);
5. everything but letters and digits is removed.

Limits, on purpose or known:

- Only the regions listed below are recognised (provinces, Guangdong's cities,
  Shenzhen's districts, the main cities elsewhere, and any bracketed word
  ending in 省/市/区/县); an unlisted city prefix stays part of the key.
- When dropping the region would leave only generic words (深圳航空 → 航空,
  中国银行 → 银行), the region is kept, as it is then the trade name.
- Two companies whose names differ only by region ("深圳某某科技" and
  "广州某某科技") get the same key. For conflicts that errs on the safe side:
  an expert is kept away from an applicant that may be their employer.
- No translation or abbreviation: "华为" ≠ "华为技术" ≠ "Huawei".
- A name that would normalise to nothing keeps its letters and digits; an
  empty name gives ``""``, which callers must never treat as a match.
"""

from __future__ import annotations

import re
import unicodedata

# Provinces and regions, Guangdong's cities, big cities elsewhere: may stand bare or
# with their administrative suffix (广东 / 广东省, 深圳 / 深圳市).
_PLACES = (
    "中国 中华人民共和国 北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 "
    "河南 湖北 湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 "
    "深圳 广州 珠海 汕头 佛山 韶关 湛江 肇庆 江门 茂名 惠州 梅州 汕尾 河源 阳江 清远 东莞 中山 潮州 "
    "揭阳 云浮 杭州 南京 苏州 武汉 成都 西安 长沙 郑州 济南 青岛 厦门 宁波 合肥 福州 南昌 沈阳 大连 "
    "长春 哈尔滨 石家庄 太原 昆明 贵阳 南宁 兰州 西宁 银川 乌鲁木齐 拉萨 呼和浩特 海口 三亚 无锡"
).split()
# Shenzhen's districts only count with 区 (光明乳业 is not in 光明区).
_DISTRICTS = "福田 罗湖 南山 盐田 宝安 龙岗 龙华 坪山 光明 大鹏 前海 深汕".split()
_PLACE_SUFFIX = "(?:特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|省|市)?"
_PLACE_ALT = "|".join(sorted(_PLACES, key=len, reverse=True))
_DISTRICT_ALT = "|".join(_DISTRICTS)
_REGION = re.compile(rf"(?:(?P<place>{_PLACE_ALT}){_PLACE_SUFFIX}|(?P<district>{_DISTRICT_ALT})(?:新区|区))")
_GENERIC_REGION = re.compile(r"\w{1,6}[省市区县]")

_OPENING = "(（[［{｛【〔〖〈《「『"
_CLOSING = ")）]］}｝】〕〗〉》」』"
_BRACKETS = str.maketrans({**{c: "(" for c in _OPENING}, **{c: ")" for c in _CLOSING}})
_PAREN = re.compile(r"\(([^()]*)\)")

_EN_SUFFIXES = {
    "co", "company", "ltd", "limited", "inc", "incorporated", "corp", "corporation", "llc", "plc",
    "gmbh", "ag", "sa", "group", "holdings",
}
# Longest first so 股份有限公司 is not cut as 有限公司 + 股份.
_CN_FORMS = sorted(
    ["股份有限公司", "有限责任公司", "有限公司", "股份公司", "总公司", "公司", "集团", "有限合伙", "普通合伙",
     "合伙企业"],
    key=len, reverse=True,
)
_BRANCH = re.compile(r"^(.*?(?:有限责任公司|有限公司|公司))\w*?(?:分公司|分厂|分部|办事处)$")
_DROPPABLE_IN_BRACKETS = {"集团", "股份", "有限合伙", "普通合伙", "控股"}
# Words that say what a company does, not which one it is: a key made only of these
# keeps its region (深圳航空, 中国银行).
_GENERIC = sorted(
    ("科技 技术 电子 信息 通信 网络 软件 数据 智能 航空 银行 保险 证券 实业 投资 发展 控股 贸易 商贸 "
     "建设 建筑 工程 工业 电器 电气 电力 能源 新能源 医药 医疗 生物 材料 新材料 机械 设备 制造 汽车 交通 "
     "物流 地铁 燃气 水务 环保 环境 检测 检验 认证 计量 质量 标准 咨询 服务 管理 文化 传媒 食品 农业 化工 "
     "纺织 服装 钢铁 矿业 光电 半导体 精密 仪器 机场 港口 国际 创新 产业 企业 开发 城市 科学 集团 股份 "
     "有限 责任 总 分 商业 航运 铁路 邮政 电信 移动 联通 石油 石化 电网 供电 烟草 报业 广电 出版 人寿 财产").split(),
    key=len, reverse=True,
)


def _compact(s: str) -> str:
    """Only letters and digits survive (categories L* and N*)."""
    return "".join(ch for ch in s if unicodedata.category(ch)[0] in "LN")


def _is_region(s: str) -> bool:
    s = _compact(s)
    if not s:
        return False
    pos = 0
    while pos < len(s):
        m = _REGION.match(s, pos)
        if not m:
            break
        pos = m.end()
    return pos == len(s) or bool(_GENERIC_REGION.fullmatch(s))


def _short_region(m: re.Match[str]) -> str:
    return m.group("place") or m.group("district")


def _leading_regions(s: str) -> tuple[list[str], str]:
    """Split leading regions off ``s``: (their short forms, the rest)."""
    found: list[str] = []
    while True:
        m = _REGION.match(s)
        if not m or m.end() == len(s):
            return found, s
        found.append(_short_region(m))
        s = s[m.end():]


def _only_generic(s: str) -> bool:
    """True when ``s`` is made up entirely of generic words (or is too short to name anything)."""
    if len(s) < 2:
        return True
    ok = [False] * (len(s) + 1)  # ok[i]: s[:i] splits into generic words
    ok[0] = True
    for i in range(1, len(s) + 1):
        ok[i] = any(ok[i - len(w)] and s.startswith(w, i - len(w)) for w in _GENERIC if len(w) <= i)
    return ok[len(s)]


def _words(s: str) -> list[str]:
    return [w for w in re.split(r"[^\w]+|_", s) if w]


def _strip_en_suffixes(s: str) -> str:
    """Drop trailing English legal words (co ltd, inc, ...); keep at least one word."""
    words = _words(s)
    while len(words) > 1 and words[-1] in _EN_SUFFIXES:
        words.pop()
    return " ".join(words)


def _strip_forms(s: str) -> str:
    changed = True
    while changed:
        changed = False
        for form in _CN_FORMS:
            if s.endswith(form):
                if len(s) == len(form):  # nothing but a legal form: keep it whole
                    return s
                s = s[: -len(form)]
                changed = True
                break
    return s


def normalise_org(name: str) -> str:
    """The comparison key of an organisation name (see the module doc for what it equates)."""
    if not name:
        return ""
    s = unicodedata.normalize("NFKC", name).casefold().translate(_BRACKETS)
    compact_all = _compact(s)
    words = _words(s)
    en_legal = len(words) > 1 and words[-1] in _EN_SUFFIXES
    company = en_legal or any(form in compact_all for form in ("公司", "集团", "合伙"))
    if company:
        # Bracketed regions and legal words go; other bracketed words stay, unbracketed.
        def bracket(m: re.Match[str]) -> str:
            inner = m.group(1)
            return " " if _is_region(inner) or _compact(inner) in _DROPPABLE_IN_BRACKETS else f" {inner} "

        while (t := _PAREN.sub(bracket, s)) != s:
            s = t
    key = _compact(_strip_en_suffixes(s))
    if not key:
        return compact_all
    if not company:
        regions, rest = _leading_regions(key)
        return (regions[-1] if regions else "") + rest  # 广东省深圳市X and 深圳市X alike
    m = _BRANCH.match(key)
    if m:
        key = m.group(1)
    key = _strip_forms(key)
    regions, rest = _leading_regions(key)
    if not regions:
        return key
    if _only_generic(rest):
        return regions[-1] + rest  # the region is the trade name here (深圳航空)
    return rest
