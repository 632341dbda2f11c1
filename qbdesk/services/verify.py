"""``qbdesk verify``: what a qbdesk file is, for whom, and whether it is intact.

Knows every file that crosses machines: snapshots (checked without the passphrase:
signature and every ciphertext hash), score files (decrypted and their signature
checked when the coordinator's keys are at hand; otherwise only their framing),
application packages (folder or zip, the full form check) and rubric files.
Only a file found intact counts as verified (exit 0); damaged, unverifiable and
unknown files all exit 1, each saying which.
"""

from __future__ import annotations

import json
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from qbdesk.domain.messages import Msg, os_reason
from qbdesk.services.coordinator_keys import CoordinatorKeys

Status = Literal["intact", "damaged", "unverified", "unknown"]
Kind = Literal["snapshot", "score_file", "package", "rubric", "unknown"]
_HEAD = 64
_MAX_JSON = 16 * 1024 * 1024


@dataclass(frozen=True)
class Fact:
    label: Msg
    value: str


@dataclass(frozen=True)
class FileReport:
    path: Path
    kind: Kind
    status: Status
    what: Msg  # one line: what the file is
    facts: tuple[Fact, ...] = ()
    problems: tuple[Msg, ...] = ()  # why it is not intact
    notes: tuple[Msg, ...] = ()  # what could not be checked, and other remarks

    @property
    def intact(self) -> bool:
        return self.status == "intact"

    def lines(self, lang: str = "zh") -> list[str]:
        intact = {
            "snapshot": Msg("完好：签名与摘要均校验通过", "intact: every signature and hash checks"),
            "score_file": Msg("完好：解密成功，签名校验通过", "intact: it decrypts and its signature checks"),
            "package": Msg("完好：格式有效，附件与清单一致", "intact: well-formed, the attachments match the manifest"),
        }.get(self.kind, Msg("有效：格式与内容均正确", "valid: well-formed and consistent"))
        verdict = {
            "intact": intact,
            "damaged": Msg("不完好：文件已损坏、被改动或不可信", "NOT intact: the file is damaged, altered or not to be trusted"),
            "unverified": Msg("无法在此校验", "cannot be verified here"),
            "unknown": Msg("不是 qbdesk 文件", "not a qbdesk file"),
        }[self.status]
        width = max((_width(f.label.text(lang)) for f in self.facts), default=0)
        out = [f"{self.path}", f"  {self.what.text(lang)}"]
        out += [f"  {f.label.text(lang)}{' ' * (width - _width(f.label.text(lang)))}  {f.value}" for f in self.facts]
        out += [f"  ! {p.text(lang)}" for p in self.problems]
        out += [f"  - {n.text(lang)}" for n in self.notes]
        out.append(f"  => {verdict.text(lang)}")
        return out


def _width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def group4(digest: str) -> str:
    return " ".join(digest[i:i + 4] for i in range(0, len(digest), 4))


def describe_file(path: Path | str, *, keys: CoordinatorKeys | None = None) -> FileReport:
    path = Path(path)
    if path.is_dir():
        return _package(path)
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD)
    except OSError as e:
        return FileReport(path, "unknown", "unknown", Msg(f"无法读取：{os_reason(e).zh}", f"cannot be read: {os_reason(e).en}"))
    from qbdesk.formats.scorefile import AGE_MAGIC

    if head.startswith(AGE_MAGIC):
        return _score_file(path, keys)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip(path, head, keys)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return _json(path)
    return FileReport(path, "unknown", "unknown", Msg("未知文件类型：不是快照、评分文件、申报包或评分细则",
                                                     "unknown file: not a snapshot, score file, package or rubric"))


# --- snapshots ------------------------------------------------------------------------------------


def _zip(path: Path, head: bytes, keys: CoordinatorKeys | None) -> FileReport:
    from qbdesk.formats.package import MANIFEST

    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        names = None  # a truncated snapshot has no directory; its first entry still names it
    if (names is None and head[30:37] == b"qbsnap/") or (names and any(n.startswith("qbsnap/") for n in names)):
        return _snapshot(path, keys)
    if names and any(n == MANIFEST or n.endswith("/" + MANIFEST) for n in names):
        return _package(path)
    return FileReport(path, "unknown", "unknown", Msg("ZIP 文件，但不是快照或申报包", "a ZIP file, but not a snapshot or package"))


def _snapshot(path: Path, keys: CoordinatorKeys | None) -> FileReport:
    from qbdesk.formats.snapshot import FORMAT, SnapshotError, read_manifest

    what = Msg(f"评审快照（{FORMAT}）", f"review snapshot ({FORMAT})")
    try:  # with the coordinator's keys at hand, a snapshot signed by any other key is not ours
        m = read_manifest(path, check_entries=True, coordinator_key=keys.signing_public if keys else None)
    except SnapshotError as e:
        return FileReport(path, "snapshot", "damaged", what, problems=(e.msg,))
    size = sum(e.size for e in m.entries)
    facts = (
        Fact(Msg("评审批次", "round"), f"{m.round_name} ({m.round_year}, id {m.round_id})"),
        Fact(Msg("评审专家", "expert"), m.expert_id),
        Fact(Msg("快照编号", "snapshot id"), m.snapshot_id),
        Fact(Msg("生成时间", "built"), m.created_at),
        Fact(Msg("评审组织方密钥指纹", "coordinator key"), m.coordinator_fingerprint),
        Fact(Msg("快照摘要", "snapshot digest"), group4(m.digest)),
        Fact(Msg("附件", "attachments"), f"{len(m.attachments)} ({size:,} bytes encrypted)"),
    )
    notes = [Msg("未用口令：已校验签名和每个加密条目的摘要；内容须用交接单上的口令才能打开",
                 "no passphrase used: the signature and every encrypted entry's hash were checked; the content "
                 "opens only with the passphrase on the handover slip")]
    if keys is not None:
        notes.append(Msg("由本机的评审组织方密钥签名", "signed by this computer's coordinator key"))
    return FileReport(path, "snapshot", "intact", what, facts, notes=tuple(notes))


# --- score files ----------------------------------------------------------------------------------


def _score_file(path: Path, keys: CoordinatorKeys | None) -> FileReport:
    from qbdesk.formats.scorefile import FORMAT, ScoreFileError, read_score_file

    what = Msg(f"评分文件（{FORMAT}，age 加密给评审组织方）", f"score file ({FORMAT}, age-encrypted to the coordinator)")
    if keys is None:
        return FileReport(path, "score_file", "unverified", what, notes=(Msg(
            "此文件只有评审组织方的接收密钥能解开：专家、批次、评分和签名都在加密内容中，需用 --keys 指定评审组织方密钥文件夹才能校验",
            "only the coordinator's receiving key opens this file: the expert, round, scores and signature are inside "
            "the encryption and can be checked only with the coordinator's keys (--keys)"),))
    try:
        score = read_score_file(path, receiving_identity=keys.receiving_identity)
    except ScoreFileError as e:
        status: Status = "unverified" if e.code == "cannot_decrypt" else "damaged"
        return FileReport(path, "score_file", status, what, problems=(e.msg,))
    d = score.data
    facts = (
        Fact(Msg("评审专家", "expert"), str(d["expert_id"])),
        Fact(Msg("评审批次", "round"), f"id {d['round']['id']} ({d['round']['year']})"),
        Fact(Msg("快照", "snapshot"), f"{d['snapshot_id']}  {group4(d['snapshot_digest'])[:39]}…"),
        Fact(Msg("序号", "sequence"), str(d["sequence"])),
        Fact(Msg("生成时间", "created"), str(d["created_at"])),
        Fact(Msg("评分 / 回避", "scores / recusals"), f"{len(d['scores'])} / {len(d['recusals'])}"),
        Fact(Msg("评分文件摘要", "score digest"), group4(score.digest)),
        Fact(Msg("专家密钥指纹", "expert key"), score.fingerprint),
        Fact(Msg("签名", "signature"), "ok (SSHSIG qbdesk-score@1)"),
    )
    return FileReport(path, "score_file", "intact", what, facts, notes=(Msg(
        "是否属于本批次、密钥是否与该专家的快照绑定，由 qbdesk scores import 对照数据库检查",
        "whether it belongs to this round and its key is bound to the expert's snapshot is checked against the "
        "database by qbdesk scores import"),))


# --- packages and rubrics -------------------------------------------------------------------------


def _package_year(path: Path) -> int:
    """The year the package says it is for, so it is checked on its own terms (no round here)."""
    from qbdesk.formats.package import MANIFEST

    raw: bytes | None = None
    try:
        if path.is_dir():
            candidates = [path / MANIFEST] + [d / MANIFEST for d in sorted(path.iterdir()) if d.is_dir()]
            found = next((c for c in candidates if c.is_file()), None)
            raw = found.read_bytes()[:_MAX_JSON] if found else None
        else:
            with zipfile.ZipFile(path) as zf:
                name = next((n for n in zf.namelist() if n == MANIFEST or n.count("/") == 1 and n.endswith("/" + MANIFEST)), None)
                raw = zf.read(name)[:_MAX_JSON] if name else None
        year = json.loads(raw.decode("utf-8-sig")).get("year") if raw else None
    except (OSError, ValueError, zipfile.BadZipFile, AttributeError, EOFError):
        year = None
    return year if isinstance(year, int) and not isinstance(year, bool) else date.today().year


def _package(path: Path) -> FileReport:
    from qbdesk.formats.package import FORMAT, RoundRules, check_package

    what = Msg(f"申报包（{FORMAT}）", f"application package ({FORMAT})")
    result = check_package(path, RoundRules(year=_package_year(path)))
    pkg = result.package
    if pkg is None:
        if any(p.code == "missing_manifest" for p in result.problems) and path.is_dir():
            return FileReport(path, "unknown", "unknown", Msg("文件夹中没有 application.json：不是申报包",
                                                             "the folder has no application.json: not a package"))
        return FileReport(path, "package", "damaged", what, problems=tuple(p.msg for p in result.problems))
    blind = sum(a.blind for a in pkg.attachments)
    facts = (
        Fact(Msg("申报编号", "id"), pkg.id),
        Fact(Msg("项目类别", "program"), f"{pkg.program} ({pkg.year})"),
        Fact(Msg("申报单位", "applicant"), f"{pkg.applicant.name} ({pkg.applicant.credit_code})"),
        Fact(Msg("附件", "attachments"), f"{len(pkg.attachments)} ({blind} blind)"),
        Fact(Msg("申报包摘要", "package digest"), group4(pkg.digest)),
    )
    return FileReport(path, "package", "intact", what, facts, notes=(Msg(
        "形式审查通过（年度按申报包自身所写检查；是否属于某一批次在导入时检查）",
        "passes the form check (the year is taken from the package itself; whether it fits a round is checked "
        "on import)"),))


def _json(path: Path) -> FileReport:
    from qbdesk.domain.rubric import FORMAT as RUBRIC_FORMAT
    from qbdesk.domain.rubric import RubricError, load_rubric
    from qbdesk.formats.package import FORMAT as PACKAGE_FORMAT

    try:
        data = json.loads(path.read_bytes()[:_MAX_JSON].decode("utf-8-sig"))
        fmt = data.get("format") if isinstance(data, dict) else None
    except (OSError, ValueError, RecursionError):
        fmt = None
    if fmt == PACKAGE_FORMAT:
        return _package(path.parent)
    if fmt != RUBRIC_FORMAT:
        shown = f"（format：{str(fmt)[:40]}）" if fmt else ""
        return FileReport(path, "unknown", "unknown", Msg(f"JSON 文件，但不是评分细则或申报包{shown}",
                                                         f"a JSON file, but not a rubric or package{shown}"))
    what = Msg(f"评分细则（{RUBRIC_FORMAT}）", f"rubric ({RUBRIC_FORMAT})")
    try:
        r = load_rubric(path)
    except RubricError as e:
        return FileReport(path, "rubric", "damaged", what, problems=tuple(Msg(p.text("zh"), p.text("en")) for p in e.problems))
    facts = (
        Fact(Msg("项目类别", "program"), f"{r.program}  {r.title.zh} / {r.title.en}"),
        Fact(Msg("版本", "version"), r.version),
        Fact(Msg("评分项", "criteria"), f"{len(r.criteria)} (total {r.total:g})"),
        Fact(Msg("内容摘要", "content hash"), group4(r.content_hash)),
    )
    return FileReport(path, "rubric", "intact", what, facts, notes=(Msg(
        "评分细则没有签名：“完好”指格式和内容有效；快照和评分文件按内容摘要引用它",
        "rubrics are not signed: intact means well-formed and valid; snapshots and score files refer to it by "
        "its content hash"),))
