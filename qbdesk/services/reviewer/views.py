"""What the expert sees of the round: the snapshot's blind metadata as plain read-only values.

The snapshot is signed by the coordinator, so its metadata is trusted for content; it is still
checked for shape here, once, so that a snapshot from a newer or broken coordinator build gives a
clear message rather than a traceback deep inside a screen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from qbdesk.domain.messages import Msg
from qbdesk.domain.rubric import (
    Rubric,
    RubricError,
    canonical_json,
    content_hash,
    load_rubric_data,
)
from qbdesk.formats.snapshot_manifest import MAX_APPLICATION_ENTRIES, MAX_APPLICATIONS
from qbdesk.services.reviewer.state import WorkspaceError


@dataclass(frozen=True)
class ItemView:
    id: str
    kind: str
    title: str
    date: str = ""
    tier: str = ""  # P5, P7: the tier the application declares for this item


@dataclass(frozen=True)
class ProgramView:
    """How a program is reviewed: verified (核准类) or scored (评审类), blind or open."""

    mode: str = "scored"
    blind: bool = True
    tiers: Mapping[str, Msg] = field(default_factory=dict)  # P5, P7: tier key -> name

    @property
    def notice(self) -> Msg | None:
        """What an open program's expert is told (None for a blind one)."""
        if self.blind:
            return None
        return Msg("本项目为公开评审：证书、获奖文件等证明材料本身载明申报单位，不实行盲评；回避规定照常适用。",
                   "This program is reviewed openly: the evidence (certificates, award notices) names the applicant, "
                   "so the review is not blind; the conflict-of-interest rules still apply.")


@dataclass(frozen=True)
class AttachmentView:
    entry: str  # the snapshot entry to pass to ReviewWorkspace.read_attachment
    title: str
    size: int
    sha256: str  # of the plaintext


@dataclass(frozen=True)
class QualificationFact:
    """One result of the coordinator's qualification check (资格审查), read-only for the expert."""

    check: str
    label: Msg
    veto: bool  # a failed veto gives 0 whatever the scores
    result: str  # pass | fail
    date: str  # ISO date of the check
    source: str  # where the coordinator looked it up (redacted)

    def text(self, lang: str = "zh") -> str:
        passed = self.result == "pass"
        if lang == "en":
            return (f"{self.label.en}: {'pass' if passed else 'FAIL'}" + (" (veto)" if self.veto and not passed else "")
                    + f" — checked {self.date}, {self.source}")
        return (f"{self.label.zh}：{'通过' if passed else '不通过'}" + ("（一票否决）" if self.veto and not passed else "")
                + f"——{self.date} 核查，来源：{self.source}")


@dataclass(frozen=True)
class ApplicationView:
    """One application as the expert sees it: opaque code, blind content, no applicant identity."""

    code: str
    program: str
    rubric_hash: str
    title: str
    summary: str
    requested_amount: int
    tier: str | None
    items: tuple[ItemView, ...]
    attachments: tuple[AttachmentView, ...]
    qualification: tuple[QualificationFact, ...] = ()  # absent from snapshots built before the check existed

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)


@dataclass(frozen=True)
class Declaration:
    accepted: bool
    at: str  # ISO 8601, "" when not accepted
    conflicts: str  # what the expert declared
    text: Msg  # the declaration as the snapshot carries it


class Missing(NamedTuple):
    """A required value still empty or not acceptable: (code, criterion, item, why)."""

    code: str
    criterion: str
    item: str
    msg: Msg


class Edit(NamedTuple):
    """One value to set; ``value`` None clears it. Plain 5-tuples are accepted wherever an Edit is."""

    application: str
    criterion: str
    item: str
    value: Any
    comment: str = ""


@dataclass(frozen=True)
class ApplicationProgress:
    code: str
    program: str
    recused: bool
    missing: int  # required values still empty or not acceptable (0 when recused)

    @property
    def done(self) -> bool:
        return self.recused or self.missing == 0


@dataclass(frozen=True)
class FinalizeResult:
    """What the scorecard prints: the score digest and the expert key fingerprint."""

    path: str
    digest: str
    fingerprint: str
    sequence: int
    created_at: str
    scored: int  # applications scored
    recused: int


def declaration_sha256(text: Mapping[str, str]) -> str:
    """The hash that ``declaration.text_sha256`` carries: SHA-256 of the canonical JSON of
    ``{"zh": …, "en": …}``, the declaration's two texts as the snapshot carried them (one hash for both)."""
    return hashlib.sha256(canonical_json({"zh": text["zh"], "en": text["en"]})).hexdigest()


def _bad(where: str) -> WorkspaceError:
    return WorkspaceError(Msg(f"快照中的评审数据不合规（{where}）；请向评审组织方索取新的快照",
                              f"the snapshot's review data is malformed ({where}); ask the coordinator for a new snapshot"),
                          "bad_snapshot")


def _str(d: Mapping[str, Any], key: str, where: str, *, empty: bool = True) -> str:
    value = d.get(key)
    if value is None and empty:
        return ""
    if not isinstance(value, str) or (not empty and not value):
        raise _bad(f"{where}.{key}")
    return value


@dataclass(frozen=True)
class Blind:
    """The parsed metadata of one snapshot."""

    applications: tuple[ApplicationView, ...]
    rubrics: dict[str, Rubric]  # hash -> rubric
    binding_secret: bytes
    declaration: Msg
    declaration_sha256: str
    expert_id: str
    expert_name: str
    round_id: int
    round_name: str
    round_year: int
    programs: Mapping[str, ProgramView] = field(default_factory=dict)  # absent in older snapshots: scored, blind

    def program(self, code: str) -> ProgramView:
        return self.programs.get(code, ProgramView())


def parse_meta(meta: Mapping[str, Any]) -> Blind:
    """Check and convert a decrypted meta.json; every problem is a ``bad_snapshot`` WorkspaceError."""
    try:
        return _parse(meta)
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError):  # RecursionError: nested past any rubric
        raise _bad("meta.json") from None


def _qualification(raw: Any, where: str) -> tuple[QualificationFact, ...]:
    facts = []
    for q in raw:
        label = q["label"]
        fact = QualificationFact(_str(q, "check", f"{where}.qualification", empty=False),
                                 Msg(_str(label, "zh", f"{where}.qualification"), _str(label, "en", f"{where}.qualification")),
                                 q["veto"], _str(q, "result", f"{where}.qualification"),
                                 _str(q, "date", f"{where}.qualification"), _str(q, "source", f"{where}.qualification"))
        if fact.result not in ("pass", "fail") or not isinstance(fact.veto, bool):
            raise _bad(f"{where}.qualification")
        facts.append(fact)
    return tuple(facts)


def _parse(meta: Mapping[str, Any]) -> Blind:
    rubrics: dict[str, Rubric] = {}
    for h, content in meta["rubrics"].items():
        if content_hash(content) != h:
            raise _bad(f"rubrics.{h[:12]}")
        try:
            rubrics[h] = load_rubric_data(content, f"snapshot rubric {h[:12]}")
        except RubricError:
            raise _bad(f"rubrics.{h[:12]}") from None
    apps: list[ApplicationView] = []
    seen: set[str] = set()  # the codes so far (a set: 500 applications, not 125,000 comparisons)
    if len(meta["applications"]) > MAX_APPLICATIONS:
        raise _bad(f"applications: more than {MAX_APPLICATIONS}")
    for i, a in enumerate(meta["applications"]):
        where = f"applications[{i}]"
        if any(len(a.get(k) or ()) > MAX_APPLICATION_ENTRIES for k in ("items", "attachments")):
            raise _bad(f"{where}: more than {MAX_APPLICATION_ENTRIES} items or attachments")
        code = _str(a, "code", where, empty=False)
        if a["rubric"] not in rubrics or code in seen:
            raise _bad(f"{where}.code/rubric")
        seen.add(code)
        items = tuple(ItemView(_str(it, "id", f"{where}.items", empty=False), _str(it, "kind", where),
                               _str(it, "title", where), _str(it, "date", where), _str(it, "tier", where))
                      for it in a.get("items") or [])
        if len({it.id for it in items}) != len(items):
            raise _bad(f"{where}.items")
        attachments = tuple(AttachmentView(_str(f, "entry", where, empty=False), _str(f, "title", where),
                                           int(f["size"]), _str(f, "sha256", where)) for f in a.get("attachments") or [])
        amount = a.get("requested_amount") or 0
        if not isinstance(amount, int):
            raise _bad(f"{where}.requested_amount")
        tier = a.get("tier")
        apps.append(ApplicationView(code, _str(a, "program", where, empty=False), a["rubric"], _str(a, "title", where),
                                    _str(a, "summary", where), amount, tier if isinstance(tier, str) else None,
                                    items, attachments, _qualification(a.get("qualification") or [], where)))
    decl = meta["declaration"]
    text = Msg(_str(decl, "zh", "declaration", empty=False), _str(decl, "en", "declaration", empty=False))
    expert, rnd = meta["expert"], meta["round"]
    secret = bytes.fromhex(meta["binding_secret"])
    if len(secret) < 16 or type(rnd["id"]) is not int or type(rnd["year"]) is not int:
        raise _bad("binding_secret/round")
    programs: dict[str, ProgramView] = {}
    for code, pv in (meta.get("programs") or {}).items():
        if pv.get("mode") not in ("verified", "scored") or type(pv.get("blind")) is not bool:
            raise _bad(f"programs.{code}")
        tiers = {str(k): Msg(_str(t, "zh", f"programs.{code}.tiers"), _str(t, "en", f"programs.{code}.tiers"))
                 for k, t in (pv.get("tiers") or {}).items()}
        programs[str(code)] = ProgramView(pv["mode"], pv["blind"], tiers)
    return Blind(tuple(apps), rubrics, secret, text, declaration_sha256({"zh": text.zh, "en": text.en}),
                 _str(expert, "id", "expert", empty=False), _str(expert, "name", "expert"),
                 rnd["id"], _str(rnd, "name", "round"), rnd["year"], programs)
