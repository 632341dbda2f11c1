"""What the demo PDFs say: a small document model and the builders that fill it.

The model (headings, paragraphs, tables, page breaks) keeps text apart from
layout, so a test can read exactly the strings fed into a blind PDF and
:mod:`qbdesk.demo.pdf` only has to lay them out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from qbdesk.demo.people import Applicant
from qbdesk.demo.program_texts import Metric, ProgramText
from qbdesk.demo.texts import (
    BLIND_NOTE,
    BUDGET_LINES,
    COMMITMENT,
    EQUIPMENT,
    GENERIC_SENTENCES,
    IMPROVEMENTS,
    RISKS,
    SCHEDULE_PHASES,
    SECTION_HEADINGS,
    TEAM_ROLES,
    TEST_ITEMS,
)
from qbdesk.domain.programs import Program

CN_NUM = "一二三四五六七八九十"


@dataclass(frozen=True)
class Title:
    text: str
    lines: tuple[str, ...] = ()  # centred lines under the title


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Para:
    text: str
    boxed: bool = False  # a framed note


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, ...], ...]  # first row is the header
    widths: tuple[float, ...]  # relative column widths


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Title | Heading | Para | Table | PageBreak


@dataclass
class DocSpec:
    file: str
    title: str
    blind: bool
    header: str
    blocks: list[Block] = field(default_factory=list)

    def strings(self) -> list[str]:
        """Every string that ends up on the pages (besides page numbers)."""
        out = [self.header]
        for b in self.blocks:
            if isinstance(b, Title):
                out += [b.text, *b.lines]
            elif isinstance(b, (Heading, Para)):
                out.append(b.text)
            elif isinstance(b, Table):
                out += [cell for row in b.rows for cell in row]
        return out


@dataclass(frozen=True)
class DocContext:
    """What the builders know about one application (no identity for blind documents)."""

    app_id: str
    year: int
    program: Program
    text: ProgramText
    title: str
    summary: str
    field: str
    product: str
    topic: str
    requested_amount: int
    tier_zh: str | None
    items: tuple[dict[str, Any], ...]
    p8_scores: tuple[tuple[str, int, int], ...] = ()  # (category, max, score)


def number_slots(rng: random.Random, year: int) -> dict[str, Any]:
    """Numbers for the report sentences, drawn once per document so repeats agree."""
    rate_a = round(rng.uniform(90.0, 96.5), 1)
    loss_a = round(rng.uniform(1.2, 3.5), 2)
    coal = rng.randrange(80, 900)
    return {
        "n1": rng.randrange(40, 400), "n2": rng.randrange(5, 40), "n3": rng.randrange(80, 900),
        "n4": rng.randrange(6, 30), "n5": rng.randrange(3, 12), "n6": rng.randrange(10, 120),
        "n7": rng.randrange(30, 400), "n8": rng.randrange(8, 60),
        "pct1": rng.randrange(30, 70), "pct2": rng.randrange(5, 25), "pct3": rng.randrange(10, 45),
        "pct4": rng.randrange(3, 15), "money1": rng.randrange(800, 9000), "money2": rng.randrange(500, 6000),
        "rate_a": rate_a, "rate_b": round(rng.uniform(rate_a + 1.0, 99.6), 1),
        "score": rng.randrange(86, 96), "year": year - 1,
        "loss_a": loss_a, "loss_b": round(loss_a * rng.uniform(0.6, 0.9), 2),
        "coal": coal, "co2": round(coal * rng.uniform(2.4, 2.7)),  # tonnes of CO2 per tonne of standard coal
    }


def _fill(template: str, slots: dict[str, Any]) -> str:
    return template.format_map(slots)


def _paragraphs(rng: random.Random, sentences: list[str], slots: dict[str, Any], per_para: tuple[int, int]) -> list[Para]:
    out, i = [], 0
    while i < len(sentences):
        n = rng.randint(*per_para)
        out.append(Para("".join(_fill(s, slots) for s in sentences[i:i + n])))
        i += n
    return out


def _take(rng: random.Random, pool: tuple[str, ...], k: int) -> list[str]:
    return rng.sample(pool, min(k, len(pool)))


def _fmt(value: float, like: float) -> str:
    if like >= 100:
        return f"{value:,.0f}"
    if like >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def metrics_table(rng: random.Random, metrics: tuple[Metric, ...]) -> Table:
    rows = [("指标", "单位", "实施前", "实施后", "变化")]
    for m in metrics:
        before = rng.uniform(m.lo, m.hi)
        if m.top is not None:  # close part of the gap to the top
            after = before + (m.top - before) * rng.uniform(0.05, 0.3)
        else:
            gain = rng.uniform(0.08, 0.35)
            after = before * (1 + gain) if m.higher_is_better else before * (1 - gain)
        change = (after - before) / before * 100
        rows.append((m.name, m.unit or "—", _fmt(before, m.hi), _fmt(after, m.hi), f"{change:+.1f}%"))
    return Table(tuple(rows), (3.2, 1.6, 1.4, 1.4, 1.2))


def yearly_table(rng: random.Random, metrics: tuple[Metric, ...], year: int) -> Table:
    years = [year - 3, year - 2, year - 1]
    rows = [("指标", *(f"{y}年" for y in years))]
    for m in metrics:
        v = rng.uniform(m.lo, m.hi)
        vals = []
        for _ in years:
            vals.append(_fmt(v, m.hi))
            if m.top is not None:
                v = v + (m.top - v) * rng.uniform(0.02, 0.12)
            else:
                v = v * (1 + rng.uniform(0.02, 0.15)) if m.higher_is_better else v * (1 - rng.uniform(0.02, 0.12))
        rows.append((f"{m.name}（{m.unit}）" if m.unit else m.name, *vals))
    return Table(tuple(rows), (3.6, 1.6, 1.6, 1.6))


def schedule_table(rng: random.Random, year: int) -> Table:
    rows = [("阶段", "时间", "主要任务")]
    month = rng.randrange(1, 4)
    for phase, task in SCHEDULE_PHASES:
        span = rng.randrange(2, 5)
        end = month + span - 1
        y0, m0 = year + (month - 1) // 12, (month - 1) % 12 + 1
        y1, m1 = year + (end - 1) // 12, (end - 1) % 12 + 1
        rows.append((phase, f"{y0}年{m0}月—{y1}年{m1}月", task))
        month = end + 1
    return Table(tuple(rows), (1.4, 2.6, 4.4))


def budget_table(rng: random.Random, total_yuan: int) -> Table:
    lines = rng.sample(BUDGET_LINES, 4)
    weights = [rng.uniform(1, 4) for _ in lines]
    total_wan = total_yuan / 10000 * rng.uniform(1.6, 2.5)  # the applicant co-funds the project
    amounts = [round(total_wan * w / sum(weights), 1) for w in weights]
    rows = [("科目", "金额（万元）", "说明")] + [(n, f"{a:.1f}", d) for (n, d), a in zip(lines, amounts)]
    rows.append(("合计", f"{sum(amounts):.1f}", "其中申请专项资金资助" + f"{total_yuan / 10000:.0f}万元"))
    return Table(tuple(rows), (2.0, 1.6, 4.6))


def team_table(rng: random.Random) -> Table:
    rows = [("序号", "岗位", "职称", "专业", "项目分工")]
    for i, (role, title, major, duty) in enumerate(rng.sample(TEAM_ROLES, rng.randrange(5, len(TEAM_ROLES) + 1)), 1):
        rows.append((str(i), role, title, major, duty))
    return Table(tuple(rows), (0.7, 1.6, 2.0, 1.6, 3.6))


def equipment_table(rng: random.Random) -> Table:
    rows = [("序号", "设备名称", "数量（台/套）", "主要用途")]
    for i, (name, use) in enumerate(rng.sample(EQUIPMENT, rng.randrange(7, len(EQUIPMENT) + 1)), 1):
        rows.append((str(i), name, str(rng.randrange(1, 6)), use))
    return Table(tuple(rows), (0.7, 3.4, 1.6, 2.8))


def improvements_table(rng: random.Random) -> Table:
    rows = [("序号", "问题", "改进措施", "进展")]
    for i, (issue, fix, state) in enumerate(rng.sample(IMPROVEMENTS, rng.randrange(5, len(IMPROVEMENTS) + 1)), 1):
        rows.append((str(i), issue, fix, state))
    return Table(tuple(rows), (0.7, 2.4, 4.4, 1.2))


def test_data_table(rng: random.Random) -> Table:
    rows = [("序号", "检测项目", "技术要求", "实测结果", "判定")]
    for i, (item, unit, limit, kind) in enumerate(rng.sample(TEST_ITEMS, rng.randrange(14, len(TEST_ITEMS) + 1)), 1):
        sign = "≥" if kind == "min" else "≤"
        value = limit * (rng.uniform(1.05, 1.8) if kind == "min" else rng.uniform(0.2, 0.9))
        if unit == "%" and limit <= 100:
            value = min(value, 100.0)
        digits = 3 if limit < 1 else 1 if limit < 100 else 0
        rows.append((str(i), item, f"{sign} {limit:g} {unit}".strip(), f"{value:.{digits}f} {unit}".strip(), "符合"))
    return Table(tuple(rows), (0.7, 3.0, 2.0, 2.0, 1.0))


def risks_table(rng: random.Random) -> Table:
    rows = [("序号", "风险", "应对措施")]
    rows += [(str(i), r, m) for i, (r, m) in enumerate(rng.sample(RISKS, rng.randrange(4, len(RISKS) + 1)), 1)]
    return Table(tuple(rows), (0.7, 3.6, 4.4))


def appendices(rng: random.Random, ctx: DocContext, count: int, *, yearly: bool = True) -> list[Block]:
    """Up to six appendix tables: how a report grows past three pages."""
    tables = [("近三年主要指标", lambda: yearly_table(rng, ctx.text.metrics, ctx.year)),
              ("项目团队构成", lambda: team_table(rng)),
              ("主要仪器设备", lambda: equipment_table(rng)),
              ("问题清单与改进措施", lambda: improvements_table(rng)),
              ("检测数据汇总", lambda: test_data_table(rng)),
              ("风险分析与应对措施", lambda: risks_table(rng))]
    if not yearly:
        tables = tables[1:]
    out: list[Block] = []
    for i, (name, make) in enumerate(tables[:count], 1):
        out += [Heading(f"附表{i}  {name}", level=2), make()]
    return out


def items_table(ctx: DocContext, *, with_reference: bool) -> Table | None:
    if not ctx.items:
        return None
    header = ("序号", "类别", "名称", "编号", "日期") if with_reference else ("序号", "类别", "名称", "日期")
    kind_zh = {"certificate": "认证证书", "accreditation": "认可资质", "metrology_activity": "计量活动",
               "project": "服务项目", "honour": "质量荣誉"}
    rows = [header]
    for i, it in enumerate(ctx.items, 1):
        cells = [str(i), kind_zh.get(it["kind"], it["kind"]), it["title"]]
        if with_reference:
            cells.append(it["reference"])
        cells.append(it["date"])
        rows.append(tuple(cells))
    widths = (0.8, 1.4, 4.0, 2.4, 1.6) if with_reference else (0.8, 1.6, 5.0, 1.8)
    return Table(tuple(rows), widths)


def _blind_header(ctx: DocContext) -> str:
    return f"{ctx.year}年度质量品牌领域专项资金 · {ctx.program.zh} · 评审材料（已脱敏）"


def _blind_title(ctx: DocContext, title: str) -> list[Block]:
    # No 材料编号: the package id names the applicant's application as surely as its name does.
    return [Title(title, (f"项目名称：{ctx.title}", f"项目类别：{ctx.program.code} {ctx.program.zh}")),
            Para(BLIND_NOTE, boxed=True)]


MAX_SIZE = 7


def blind_main(ctx: DocContext, rng: random.Random, file: str, title: str, size: int) -> DocSpec:
    """The main de-identified report; ``size`` 0..MAX_SIZE adds text, then appendix tables."""
    extra = min(size, 2)
    slots = number_slots(rng, ctx.year) | {"field": ctx.field, "product": ctx.product, "topic": ctx.topic}
    doc = DocSpec(file, title, True, _blind_header(ctx), _blind_title(ctx, title))
    per = (3, 4)
    sec = iter(CN_NUM)

    def section(heading: str) -> None:
        doc.blocks.append(Heading(f"{next(sec)}、{heading}"))

    section(SECTION_HEADINGS["background"])
    doc.blocks += _paragraphs(rng, _take(rng, GENERIC_SENTENCES["background"], 5 + extra), slots, per)
    section(SECTION_HEADINGS["basis"])
    doc.blocks += _paragraphs(rng, _take(rng, GENERIC_SENTENCES["basis"], 4 + extra), slots, per)
    if ctx.text.sections:  # P8: one subsection per GB/T 19580 category, then the self-assessment
        section(ctx.text.content_heading)
        for i, (name, sentences) in enumerate(ctx.text.sections):
            doc.blocks.append(Heading(f"（{CN_NUM[i]}）{name}", level=2))
            doc.blocks.append(Para("".join(_fill(s, slots) for s in sentences)))
        rows = [("类目", "分值", "自评得分", "得分率")]
        rows += [(n, str(mx), str(sc), f"{sc / mx:.0%}") for n, mx, sc in ctx.p8_scores]
        total = sum(sc for _, _, sc in ctx.p8_scores)
        rows.append(("合计", "1000", str(total), f"{total / 1000:.0%}"))
        doc.blocks += [Para("依据GB/T 19580《卓越绩效评价准则》开展自我评价，各类目得分如下表。"),
                       Table(tuple(rows), (3.0, 1.4, 1.6, 1.4))]
    else:
        section(ctx.text.content_heading)
        core = _take(rng, ctx.text.core, 6 + 2 * extra)
        lead = _take(rng, GENERIC_SENTENCES["content"], 2)
        doc.blocks += _paragraphs(rng, lead + core, slots, (2, 3))
        table = items_table(ctx, with_reference=False)
        if table is not None:
            doc.blocks += [Para("本次申报涉及的事项如下表所示。"), table]
    section(SECTION_HEADINGS["results"])
    doc.blocks += _paragraphs(rng, _take(rng, GENERIC_SENTENCES["results"], 4 + extra), slots, per)
    doc.blocks += [Para("主要指标变化情况见下表。"), metrics_table(rng, ctx.text.metrics)]
    section(SECTION_HEADINGS["innovation"])
    innov = GENERIC_SENTENCES["innovation"]
    doc.blocks.append(Para("".join(_fill(s, slots) for s in innov[:4])))
    if extra >= 2:
        doc.blocks.append(Para("".join(_fill(s, slots) for s in innov[4:])))
    section(SECTION_HEADINGS["impact"])
    doc.blocks += _paragraphs(rng, _take(rng, GENERIC_SENTENCES["impact"], 3 + extra), slots, per)
    section(SECTION_HEADINGS["plan"])
    doc.blocks += _paragraphs(rng, _take(rng, GENERIC_SENTENCES["plan"], 4 + extra), slots, per)
    doc.blocks.append(schedule_table(rng, ctx.year))
    if ctx.program.code in ("P1", "P2", "P6"):
        doc.blocks += [Para("项目经费预算如下表。"), budget_table(rng, ctx.requested_amount)]
    if size > 1:
        doc.blocks += [Heading(f"{next(sec)}、附表")] + appendices(rng, ctx, size - 1)
    return doc


def blind_supplement(ctx: DocContext, rng: random.Random, file: str, title: str, size: int) -> DocSpec:
    """A de-identified annex: results, data tables, evidence list; ``size`` as for :func:`blind_main`."""
    extra = min(size, 2)
    slots = number_slots(rng, ctx.year) | {"field": ctx.field, "product": ctx.product, "topic": ctx.topic}
    doc = DocSpec(file, title, True, _blind_header(ctx), _blind_title(ctx, title))
    doc.blocks += [Heading("一、概述"), Para(ctx.summary)]
    doc.blocks += _paragraphs(rng, _take(rng, GENERIC_SENTENCES["background"], 3 + extra), slots, (3, 4))
    doc.blocks.append(Heading("二、主要成果"))
    pool = GENERIC_SENTENCES["results"] + (ctx.text.core or tuple(s for _, ss in ctx.text.sections for s in ss))
    doc.blocks += _paragraphs(rng, _take(rng, pool, 8 + 2 * extra), slots, (3, 4))
    doc.blocks += [Heading("三、关键数据"), Para("实施前后主要指标对比如下。"), metrics_table(rng, ctx.text.metrics),
                   Para("近三年主要指标变化情况如下。"), yearly_table(rng, ctx.text.metrics, ctx.year)]
    table = items_table(ctx, with_reference=False)
    if table is not None:
        doc.blocks += [Para("申报事项情况如下。"), table]
    doc.blocks.append(Heading("四、典型做法"))
    doc.blocks += _paragraphs(rng, _take(rng, GENERIC_SENTENCES["impact"] + GENERIC_SENTENCES["innovation"][4:],
                                         4 + extra), slots, (2, 3))
    doc.blocks.append(Heading("五、佐证材料目录"))
    rows = [("序号", "材料名称", "页数", "备注")]
    for i, name in enumerate(ctx.text.evidence, 1):
        rows.append((str(i), name, str(rng.randrange(2, 30)), "原件备查"))
    doc.blocks += [Table(tuple(rows), (0.8, 4.6, 1.0, 1.6)),
                   Para("以上材料均已隐去可识别申报单位身份的信息，原件由申报单位留存备查。")]
    if size > 1:  # the yearly table is already in section three
        doc.blocks += [Heading("六、附表")] + appendices(rng, ctx, size - 1, yearly=False)
    return doc


def rmb_upper(amount: int) -> str:
    """Chinese upper-case amount for whole yuan, as on financial forms (150000 -> 壹拾伍万元整)."""
    if amount < 0 or amount >= 10**12:
        raise ValueError(f"amount out of range: {amount}")
    if amount == 0:
        return "零元整"
    digits, units, groups = "零壹贰叁肆伍陆柒捌玖", ("", "拾", "佰", "仟"), ("", "万", "亿")
    parts = [amount // 10**(4 * i) % 10000 for i in range(3)]
    out = ""
    for gi in (2, 1, 0):
        group = parts[gi]
        if group == 0:
            continue
        # A gap before this group (a zero group, or fewer than 4 digits) is read as one 零.
        need_zero = bool(out) and (group < 1000 or parts[gi + 1] == 0)  # out is set: gi < 2
        s = ""
        for pos in (3, 2, 1, 0):
            d = group // 10**pos % 10
            if d == 0:
                need_zero = need_zero or bool(s)
                continue
            if need_zero and (out or s):
                s += "零"
            need_zero = False
            s += digits[d] + units[pos]
        out += s + groups[gi]
    return out + "元整"


def application_form(ctx: DocContext, applicant: Applicant, attachments: list[tuple[str, str, bool]]) -> DocSpec:
    """The non-blind 申报书 (2-3 pages): identity, summary, items, amount, attachments, commitment."""
    a = applicant
    header = f"{ctx.year}年度深圳市质量品牌领域专项资金申报材料"
    doc = DocSpec("申报书.pdf", "申报书", False, header)
    doc.blocks.append(Title(f"{ctx.year}年度深圳市质量品牌领域专项资金\n项目申报书",
                            (f"项目类别：{ctx.program.code} {ctx.program.zh}", f"申报编号：{ctx.app_id}")))
    info = [("项目", "内容"),
            ("项目名称", ctx.title),
            ("申报单位", a.name),
            ("统一社会信用代码", a.credit_code),
            ("注册地址", a.address),
            ("法定代表人", a.legal_rep),
            ("联系人", a.contact),
            ("联系电话", f"{a.phone}　手机：{a.mobile}"),
            ("电子邮箱", a.email or "—"),
            ("申请资助金额", f"{ctx.requested_amount:,}元（{rmb_upper(ctx.requested_amount)}）")]
    if ctx.tier_zh:
        info.append(("申报档次", ctx.tier_zh))
    doc.blocks += [Table(tuple(info), (2.2, 6.2)),
                   Para(f"申报单位（盖章）：{a.name}"),
                   Para(f"填报日期：{ctx.year}年3月"),
                   PageBreak()]
    doc.blocks += [
        Heading("一、申报单位基本情况"),
        Para(f"{a.name}成立于{a.founded}年，注册资本{a.capital}万元，现有员工{a.staff}人，注册地址为{a.address}。"
             f"单位主要从事{ctx.field}领域相关产品与服务的研发、生产和销售，是深圳市{ctx.field}领域的骨干单位之一。"),
        Heading("二、项目摘要"),
        Para(ctx.summary),
    ]
    table = items_table(ctx, with_reference=True)
    if table is not None:
        doc.blocks += [Heading("三、申报事项清单"), table]
    else:
        doc.blocks += [Heading("三、申报事项"), Para(f"申报{ctx.program.zh}（《操作规程》第{ctx.program.article}项）。")]
    doc.blocks += [
        Heading("四、申请资助金额"),
        Para(f"申请资助金额：人民币{ctx.requested_amount:,}元（大写：{rmb_upper(ctx.requested_amount)}）。"),
        Heading("五、附件清单"),
        Table(tuple([("序号", "文件", "是否脱敏")] +
                    [(str(i), f, "是" if blind else "否") for i, (f, _t, blind) in enumerate(attachments, 1)]),
              (0.8, 6.0, 1.6)),
        Heading("六、申报单位承诺"),
        Para(COMMITMENT),
        Para(f"法定代表人（签字）：{a.legal_rep}　　　　申报单位（盖章）：{a.name}"),
        Para(f"日期：{ctx.year}年　　月　　日"),
    ]
    return doc
