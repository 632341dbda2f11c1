"""``qbdesk selftest``: the expert's whole path, headless, on the bundled TEST-ONLY snapshot.

Checks that this installation (a checkout, a wheel or the frozen laptop app) has what it needs and
that it works end to end: the shipped resources and migrations, opening the snapshot into a
temporary workspace, the declaration, a valid value for every criterion of every application,
finalising, and reading the score file back as the coordinator would (decrypt with the TEST-ONLY
receiving key, verify the signature, the key binding and every value). Then everything is removed,
unless ``keep``. Checks that need Qt are handed in by the caller (``probes``): the core never
imports Qt.

The fixture (``resources/selftest/``, made by ``tools/make_selftest_snapshot.py``) is TEST-ONLY:
its passphrase and coordinator keys are published with the program, its round is named
``TEST-ONLY …`` and its expert ``SELFTEST``; the self-test refuses a snapshot not marked so.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qbdesk.domain.messages import Msg, QbdeskError
from qbdesk.paths import migrations_path, resource_path

TEST_ONLY = "TEST-ONLY: published with qbdesk for its self-test; never use it for a real review"
ROUND_NAME = "TEST-ONLY 自检轮次（非真实评审）"
EXPERT_ID = "SELFTEST"
SNAPSHOT_FILE = "selftest.qbsnap"
PASSPHRASE_FILE = "selftest.passphrase"
COORDINATOR_FILE = "selftest-coordinator.json"
COORDINATOR_FORMAT = "qbdesk.selftest-coordinator/1"
OPINION = "TEST-ONLY 自检意见：材料齐全，论证充分，指标可信，结论明确。"


class SelftestFailure(QbdeskError):
    """One step's check did not hold (the message says what)."""


@dataclass
class Step:
    """One line of the report: ``ok`` True, False (failed) or None (skipped, ``detail`` says why)."""

    key: str
    title: Msg
    ok: bool | None
    detail: Msg
    seconds: float = 0.0

    def as_json(self, lang: str) -> dict[str, Any]:
        return {"step": self.key, "title": self.title.text(lang),
                "status": {True: "ok", False: "fail", None: "skipped"}[self.ok],
                "detail": self.detail.text(lang), "seconds": round(self.seconds, 3)}


@dataclass
class SelftestResult:
    steps: list[Step] = field(default_factory=list)
    kept: Path | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(s.ok is not False for s in self.steps)


@dataclass
class Probe:
    """A check the caller adds (the Qt ones): ``run(pdf_bytes)`` returns a detail, or raises to fail;
    ``skip`` is a reason not to run it (then it is reported as skipped)."""

    key: str
    title: Msg
    run: Callable[[bytes], Msg]
    skip: Msg | None = None
    needs_pdf: bool = False  # run only once an attachment was decrypted


def _fail(zh: str, en: str) -> SelftestFailure:
    return SelftestFailure(Msg(zh, en))


def fixture_dir() -> Path:
    return resource_path("selftest")


@dataclass
class _Fixture:
    snapshot: Path
    passphrase: str
    coordinator: dict[str, Any]


def _load_fixture(folder: Path) -> _Fixture:
    for name in (SNAPSHOT_FILE, PASSPHRASE_FILE, COORDINATOR_FILE):
        if not (folder / name).is_file():
            raise _fail(f"缺少自检文件 {folder / name}", f"the self-test file {folder / name} is missing")
    coordinator = json.loads((folder / COORDINATOR_FILE).read_text("utf-8"))
    if coordinator.get("format") != COORDINATOR_FORMAT or coordinator.get("test_only") != TEST_ONLY:
        raise _fail(f"{COORDINATOR_FILE} 不是自检专用（TEST-ONLY）文件", f"{COORDINATOR_FILE} is not the TEST-ONLY self-test file")
    passphrase = (folder / PASSPHRASE_FILE).read_text("utf-8").strip()
    return _Fixture(folder / SNAPSHOT_FILE, passphrase, coordinator)


def _check_resources() -> Msg:
    from qbdesk.domain.programs import programs as load_programs
    from qbdesk.domain.rubric import shipped_rubric

    programs = load_programs()
    for code in programs:
        shipped_rubric(code)
    fonts = sorted(resource_path("fonts").glob("*.ttf"))
    catalogues = sorted(resource_path("translations").glob("*.qm"))
    versions = sorted((migrations_path() / "versions").glob("*.py"))
    if not fonts or not catalogues or not versions:
        raise _fail(f"缺少资源：字体 {len(fonts)} 个、翻译 {len(catalogues)} 个、数据库迁移 {len(versions)} 个",
                    f"resources missing: {len(fonts)} fonts, {len(catalogues)} translations, {len(versions)} migrations")
    return Msg(f"{len(programs)} 个项目及其评分细则、{len(fonts)} 个字体、{len(catalogues)} 个翻译、{len(versions)} 个数据库迁移",
               f"{len(programs)} programs and their rubrics, {len(fonts)} font(s), {len(catalogues)} translation(s), "
               f"{len(versions)} migrations")


def _check_database(tmp: Path) -> Msg:
    from qbdesk.store.engine import open_database

    db = open_database(f"sqlite:///{tmp / 'selftest.sqlite'}")
    db.dispose()
    return Msg("已新建并升级一个 SQLite 数据库", "created and migrated a SQLite database")


def _values(ws) -> dict[tuple[str, str, str], Any]:
    """A valid value for every criterion of every application (mid-range scores, gates passed, items accepted)."""
    entered: dict[tuple[str, str, str], Any] = {}
    for app in ws.applications:
        for c in ws.rubric(app.code).criteria:
            if c.kind == "score":
                entered[(app.code, c.id, "")] = round(c.max * 0.6 / c.step) * c.step
            elif c.kind == "check":
                entered[(app.code, c.id, "")] = True
            elif c.kind == "items":
                entered.update({(app.code, c.id, item): True for item in app.item_ids})
            else:
                entered[(app.code, c.id, "")] = OPINION * (c.min_length // len(OPINION) + 1)
    return entered


def _row_value(row: dict[str, Any]) -> Any:
    value = row["value"]
    return value["accepted"] if row["item"] and isinstance(value, dict) else value


class _Run:
    """The steps, in order, sharing the open workspace and what was entered."""

    def __init__(self, tmp: Path, fixture_folder: Path):
        self.tmp = tmp
        self.fixture_folder = fixture_folder
        self.fixture: _Fixture | None = None
        self.ws = None
        self.entered: dict[tuple[str, str, str], Any] = {}
        self.pdf = b""
        self.result = None

    def resources(self) -> Msg:
        self.fixture = _load_fixture(self.fixture_folder)
        return _check_resources()

    def database(self) -> Msg:
        return _check_database(self.tmp)

    def open(self) -> Msg:
        from qbdesk.services.reviewer import open_snapshot

        assert self.fixture is not None
        self.ws = open_snapshot(self.fixture.snapshot, self.tmp / "home", self.fixture.passphrase)
        ws, expected = self.ws, self.fixture.coordinator
        _, round_name, _ = ws.round
        if not round_name.startswith("TEST-ONLY") or ws.expert_id != EXPERT_ID:
            raise _fail(f"快照不是自检专用（TEST-ONLY）快照：{round_name}", f"the snapshot is not the TEST-ONLY one: {round_name}")
        if ws.coordinator_fingerprint != expected["coordinator_fingerprint"] or ws.snapshot_digest != expected["snapshot_digest"]:
            raise _fail("快照的评审组织方指纹或摘要与自检文件不符", "the snapshot's coordinator fingerprint or digest differs from the self-test file")
        return Msg(f"{len(ws.applications)} 份申报，评审组织方指纹 {ws.coordinator_fingerprint}",
                   f"{len(ws.applications)} applications, coordinator fingerprint {ws.coordinator_fingerprint}")

    def attachment(self) -> Msg:
        import hashlib

        app = next(a for a in self.ws.applications if a.attachments)
        att = app.attachments[0]
        self.pdf = self.ws.read_attachment(att.entry)
        if not self.pdf.startswith(b"%PDF") or hashlib.sha256(self.pdf).hexdigest() != att.sha256:
            raise _fail(f"附件 {app.code} 解密后不是预期的 PDF", f"the attachment of {app.code} did not decrypt to the expected PDF")
        return Msg(f"在内存中解密了 {app.code} 的附件（{len(self.pdf)} 字节）",
                   f"decrypted the attachment of {app.code} in memory ({len(self.pdf)} bytes)")

    def score(self) -> Msg:
        ws = self.ws
        ws.declare(True)
        self.entered = _values(ws)
        ws.apply([(code, cid, item, value, "") for (code, cid, item), value in self.entered.items()])
        missing = ws.missing()
        if missing:
            m = missing[0]
            raise _fail(f"仍有 {len(missing)} 项未完成（{m.code} {m.criterion}：{m.msg.zh}）",
                        f"{len(missing)} values still missing ({m.code} {m.criterion}: {m.msg.en})")
        return Msg(f"已签署承诺书，填写了 {len(self.entered)} 项", f"declaration accepted, {len(self.entered)} values entered")

    def finalize(self) -> Msg:
        out = self.tmp / "out"  # stands for the USB stick the expert exports to
        out.mkdir()
        self.result = self.ws.finalize(out / "selftest.qbscore")
        return Msg(f"评分文件 {Path(self.result.path).name}，序号 {self.result.sequence}，摘要 {self.result.digest[:16]}…",
                   f"score file {Path(self.result.path).name}, sequence {self.result.sequence}, digest {self.result.digest[:16]}…")

    def verify(self) -> Msg:
        from qbdesk.formats.scorefile import check_binding, read_score_file

        expected = self.fixture.coordinator
        score = read_score_file(self.result.path, receiving_identity=expected["receiving_identity"])
        data = score.data
        if score.digest != self.result.digest or score.fingerprint != self.ws.expert_fingerprint:
            raise _fail("评分文件的摘要或专家密钥指纹与定稿时不符", "the score file's digest or expert key fingerprint differs from finalising")
        if (data["snapshot_digest"], data["expert_id"]) != (expected["snapshot_digest"], EXPERT_ID):
            raise _fail("评分文件不属于自检快照", "the score file is not bound to the self-test snapshot")
        if not check_binding(bytes.fromhex(expected["binding_secret"]), data["expert_key"], data["key_binding"]):
            raise _fail("评分文件的密钥绑定校验失败", "the score file's key binding does not verify")
        got = {(r["application"], r["criterion"], r["item"]): _row_value(r) for r in data["scores"]}
        if got != self.entered:
            wrong = sorted(set(got.items()) ^ set(self.entered.items()), key=str)[:3]
            raise _fail(f"评分文件中的值与填写的不一致：{wrong}", f"the score file's values differ from those entered: {wrong}")
        return Msg(f"已解密并验证签名、密钥绑定和全部 {len(got)} 项值", f"decrypted; signature, key binding and all {len(got)} values verified")

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None


def run_selftest(*, keep: bool = False, probes: Sequence[Probe] = (), fixture: Path | None = None,
                 on_step: Callable[[Step], None] | None = None) -> SelftestResult:
    """Run every step (a failed one stops those that need it); report each through ``on_step``."""
    started = time.perf_counter()
    result = SelftestResult()
    tmp = Path(tempfile.mkdtemp(prefix="qbdesk-selftest-"))
    run = _Run(tmp, fixture or fixture_dir())

    def step(key: str, title: Msg, fn: Callable[[], Msg], *, blocked: bool = False, skip: Msg | None = None) -> bool:
        t0 = time.perf_counter()
        if blocked or skip is not None:
            s = Step(key, title, None, skip or Msg("未运行：前面的步骤失败", "not run: an earlier step failed"))
        else:
            try:
                s = Step(key, title, True, fn())
            except QbdeskError as e:
                s = Step(key, title, False, e.msg)
            except Exception as e:  # a self-test reports what broke, in one line, never a traceback
                s = Step(key, title, False, Msg(f"{type(e).__name__}：{e}", f"{type(e).__name__}: {e}"))
        s.seconds = time.perf_counter() - t0
        result.steps.append(s)
        if on_step is not None:
            on_step(s)
        return s.ok is True

    try:
        good = step("resources", Msg("程序资源", "shipped resources"), run.resources)
        step("database", Msg("数据库迁移", "database migrations"), run.database)
        good = step("open", Msg("打开自检快照", "open the self-test snapshot"), run.open, blocked=not good)
        read = step("attachment", Msg("读取附件", "read an attachment"), run.attachment, blocked=not good)
        good = step("score", Msg("签署承诺书并评分", "declare and score"), run.score, blocked=not good)
        good = step("finalize", Msg("定稿", "finalise"), run.finalize, blocked=not good)
        step("verify", Msg("按评审组织方方式核验评分文件", "verify the score file as the coordinator"), run.verify, blocked=not good)
        for probe in probes:
            step(probe.key, probe.title, lambda p=probe: p.run(run.pdf), blocked=probe.needs_pdf and not read, skip=probe.skip)
    finally:
        run.close()
        if keep:
            result.kept = tmp
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    def cleaned() -> Msg:
        if keep:
            return Msg(f"已保留：{tmp}", f"kept: {tmp}")
        if tmp.exists():
            raise _fail(f"未能删除 {tmp}", f"could not remove {tmp}")
        return Msg("临时工作区已删除，未留下任何文件", "the temporary workspace is removed; nothing is left behind")

    step("cleanup", Msg("清理", "clean up"), cleaned)
    result.seconds = time.perf_counter() - started
    return result
