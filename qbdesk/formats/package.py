"""Application packages (申报材料), format ``qbdesk.application/1``.

A package is a folder, or a .zip whose root (or single top folder) holds
``application.json`` and the PDFs it declares. :func:`check_package` reads one
package without trusting it: every problem found is returned as a
:class:`PackageProblem` (code + bilingual message), never raised as a
traceback. Nothing is ever extracted to disk; attachments are hashed while
streaming and read again only when the importer stores them.

The format is documented in ``docs/formats.md``; keep the two in step.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import os
import re
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from qbdesk.domain.credit_code import CreditCodeError
from qbdesk.domain.credit_code import validate as validate_credit_code
from qbdesk.domain.messages import Msg, QbdeskError, os_reason
from qbdesk.domain.programs import PROGRAM_CODES, program
from qbdesk.domain.text import unstorable
from qbdesk.formats.regular import FileRefused, check_regular

FORMAT = "qbdesk.application/1"
MANIFEST = "application.json"
PDF_MAGIC = b"%PDF-"
ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
ITEM_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,60}")  # a score sheet keeps item ids as given; 60 is the width other tables use
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_AMOUNT = 2**31 - 1  # an INTEGER column on PostgreSQL
NEEDS_ITEMS = ("per_item", "tiered")  # P3, P4, P6 count items; P5, P7 tiers are earned by items
# Operating-system litter that zip tools and file managers add; never "undeclared".
JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
JUNK_DIRS = frozenset({"__MACOSX"})
_CHUNK = 1 << 20
# What reading a damaged zip entry or a vanishing file can raise. ValueError: a local header whose
# name is flagged UTF-8 but is not (UnicodeDecodeError); LZMAError: a damaged LZMA-compressed entry.
_READ_ERRORS = (zipfile.BadZipFile, EOFError, OSError, zlib.error, NotImplementedError, ValueError, lzma.LZMAError)


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile or broken package from exhausting memory or disk."""

    max_manifest_bytes: int = 1 << 20
    max_file_bytes: int = 256 << 20
    max_total_bytes: int = 1 << 30
    max_files: int = 500
    max_ratio: int = 100  # uncompressed/compressed above which a zip entry is a bomb
    ratio_floor: int = 64 << 10  # entries smaller than this are never called bombs
    # The whole zip: many entries each under the floor, or each just under max_ratio, add up.
    max_package_ratio: int = 20  # uncompressed total / compressed total; PDFs barely compress
    package_ratio_floor: int = 8 << 20  # a package expanding to less than this is never called a bomb


@dataclass(frozen=True)
class RoundRules:
    """What a package must agree with: the round's year, programs and tier tables."""

    year: int
    programs: frozenset[str] = frozenset(PROGRAM_CODES)
    tiers: Mapping[str, frozenset[str]] = field(default_factory=lambda: default_tiers())
    limits: Limits = Limits()


def default_tiers() -> Mapping[str, frozenset[str]]:
    return MappingProxyType({
        code: frozenset(program(code).funding.default_tiers)
        for code in PROGRAM_CODES if program(code).funding.kind == "tiered"
    })


@dataclass(frozen=True)
class PackageProblem:
    code: str
    msg: Msg

    def text(self, lang: str = "zh") -> str:
        return self.msg.text(lang)


def _problem(code: str, zh: str, en: str) -> PackageProblem:
    return PackageProblem(code, Msg(zh, en))


class PackageError(QbdeskError):
    """A package that cannot be used; ``problems`` says every reason found."""

    def __init__(self, source: Path, problems: tuple[PackageProblem, ...]):
        first = problems[0].msg if problems else Msg("申报包无效", "invalid package")
        super().__init__(Msg(f"{source}：{first.zh}", f"{source}: {first.en}"))
        self.source = source
        self.problems = problems


# --- the parsed package ------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicantInfo:
    name: str
    credit_code: str  # normalised (upper case)
    contact: str
    phone: str
    address: str
    email: str | None = None
    website: str | None = None

    def contact_json(self) -> dict[str, Any]:
        """The contact details as stored in ``Applicant.contact``."""
        d = {"contact": self.contact, "phone": self.phone, "address": self.address}
        if self.email:
            d["email"] = self.email
        if self.website:
            d["website"] = self.website
        return d


@dataclass(frozen=True)
class Item:
    """A countable item: certificate, accreditation, metrology activity, honour, project."""

    id: str
    kind: str
    title: str
    reference: str | None = None
    date: str | None = None
    tier: str | None = None  # P5, P7: the item's tier (the package's top-level tier when it names none)

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class PackageFile:
    """A declared attachment; ``read()`` gets its bytes and checks they are still the same."""

    file: str
    title: str
    blind: bool
    size: int
    sha256: str
    _opener: Callable[[], Iterator[bytes]] = field(repr=False, compare=False)

    def read(self) -> bytes:
        data = b"".join(self._opener())
        if len(data) != self.size or hashlib.sha256(data).hexdigest() != self.sha256:
            raise QbdeskError(Msg(f"附件“{self.file}”在校验后被修改", f"attachment {self.file!r} changed after it was checked"))
        return data


@dataclass(frozen=True)
class Package:
    source: Path
    id: str
    program: str
    year: int
    applicant: ApplicantInfo
    title: str
    requested_amount: int
    summary: str
    tier: str | None
    items: tuple[Item, ...]
    attachments: tuple[PackageFile, ...]
    digest: str
    manifest_json: str  # canonical form of application.json, as hashed into ``digest``


@dataclass(frozen=True)
class PackageCheck:
    source: Path
    package: Package | None
    problems: tuple[PackageProblem, ...]

    @property
    def ok(self) -> bool:
        return self.package is not None and not self.problems


# --- digest ------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def package_digest(manifest: Mapping[str, Any], file_hashes: Mapping[str, str]) -> str:
    """SHA-256 of the canonical manifest and each attachment's SHA-256.

    Key order, whitespace and folder-versus-zip do not change it; any change
    to a field or a byte of an attachment does.
    """
    body = canonical_json({"manifest": manifest, "files": dict(file_hashes)})
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# --- reading folders and zips --------------------------------------------------------------


def _nfc(name: str) -> str:
    # macOS hands out decomposed names; authors type composed ones.
    return unicodedata.normalize("NFC", name)


def unsafe_reason(name: str) -> Msg | None:
    """Why a relative file name could escape the package (None when it cannot)."""
    if not name:
        return Msg("文件名为空", "the file name is empty")
    if "\\" in name or "\x00" in name:
        return Msg(f"文件名“{name}”含有反斜杠或空字符", f"file name {name!r} contains a backslash or NUL")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return Msg(f"文件名“{name}”是绝对路径", f"file name {name!r} is an absolute path")
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return Msg(f"文件名“{name}”含有“..”、“.”或空的路径段", f"file name {name!r} has a '..', '.' or empty path segment")
    return None


def _is_junk(name: str) -> bool:
    parts = name.split("/")
    return parts[-1] in JUNK_NAMES or parts[-1].startswith("._") or any(p in JUNK_DIRS for p in parts)


class _Source:
    """The files of one package: name (NFC, relative, '/'-separated) -> size and a chunk reader."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[int, Callable[[], Iterator[bytes]]]] = {}
        self.problems: list[PackageProblem] = []
        self.refused: set[str] = set()  # present but unreadable or unsafe: already reported, not "missing"


def _read_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            yield chunk


def _folder_source(root: Path, limits: Limits) -> _Source:
    src = _Source()
    for dirpath, dirnames, filenames in os.walk(root):  # does not follow directory links
        dirnames.sort()
        for d in list(dirnames):
            if (Path(dirpath) / d).is_symlink():
                rel = (Path(dirpath) / d).relative_to(root).as_posix()
                src.problems.append(_problem("unsafe_path", f"“{rel}”是符号链接，不允许", f"{rel!r} is a symbolic link, which is not allowed"))
                dirnames.remove(d)
        for fn in sorted(filenames):
            p = Path(dirpath) / fn
            rel = _nfc(p.relative_to(root).as_posix())
            if _is_junk(rel):
                continue
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
                src.problems.append(_problem("unsafe_path", f"“{rel}”是符号链接或特殊文件，不允许", f"{rel!r} is a symbolic link or special file, which is not allowed"))
                continue
            if len(src.files) >= limits.max_files:
                src.problems.append(_problem("too_many_files", f"申报包文件超过 {limits.max_files} 个", f"the package has more than {limits.max_files} files"))
                return src
            src.files[rel] = (st.st_size, lambda p=p: _read_chunks(p))
    return src


def _zip_name(info: zipfile.ZipInfo) -> str:
    """The entry name as its author meant it.

    Zips made by Windows Explorer on Chinese systems store GBK names without
    the UTF-8 flag; zipfile then decodes them as cp437 mojibake.
    """
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    for enc in ("utf-8", "gbk"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            pass
    return info.filename


def _zip_chunks(path: Path, info: zipfile.ZipInfo) -> Iterator[bytes]:
    with zipfile.ZipFile(path) as zf, zf.open(info) as f:
        while chunk := f.read(_CHUNK):
            yield chunk


def _refuse_entry(name: str, info: zipfile.ZipInfo, seen: Mapping[str, zipfile.ZipInfo],
                  limits: Limits) -> PackageProblem | None:
    """Why a zip entry must not be read, judged from its header before any byte is inflated."""
    if info.flag_bits & 0x1:
        return _problem("bad_zip", f"zip 条目“{name}”已加密，无法读取", f"zip entry {name!r} is encrypted")
    if name in seen:
        return _problem("bad_zip", f"zip 中“{name}”出现了两次", f"zip entry {name!r} appears twice")
    if info.file_size > limits.max_file_bytes:
        return _problem("too_large", f"zip 条目“{name}”解压后 {info.file_size} 字节，超过上限 {limits.max_file_bytes}",
                        f"zip entry {name!r} is {info.file_size} bytes uncompressed, above the limit of {limits.max_file_bytes}")
    if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        return _problem("zip_bomb", f"zip 条目“{name}”压缩比异常（{info.compress_size} → {info.file_size} 字节），疑似压缩炸弹",
                        f"zip entry {name!r} expands from {info.compress_size} to {info.file_size} bytes: a likely zip bomb")
    return None


def _zip_source(path: Path, limits: Limits) -> _Source:
    src = _Source()
    bad = src.problems.append
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError) as e:
        bad(_problem("bad_zip", "不是有效的 zip 文件（已损坏或不是 zip 格式）", f"not a valid zip file ({e})"))
        return src
    if len(infos) > limits.max_files:
        bad(_problem("too_many_files", f"zip 中文件超过 {limits.max_files} 个", f"the zip holds more than {limits.max_files} entries"))
        return src
    entries: dict[str, zipfile.ZipInfo] = {}
    total = packed = 0
    for info in infos:
        name = _nfc(_zip_name(info))
        if info.filename.endswith("/"):  # a folder (ZipInfo.is_dir() raises on an empty name)
            continue
        if (why := unsafe_reason(name)) is not None:
            bad(PackageProblem("unsafe_path", Msg(f"zip 条目不安全：{why.zh}", f"unsafe zip entry: {why.en}")))
            continue
        if _is_junk(name):
            continue
        if (refusal := _refuse_entry(name, info, entries, limits)) is not None:
            bad(refusal)
            src.refused.add(name)
            continue
        total += info.file_size
        packed += info.compress_size
        entries[name] = info
    if total > limits.max_total_bytes:
        bad(_problem("too_large", f"zip 解压后共 {total} 字节，超过上限 {limits.max_total_bytes}",
                     f"the zip expands to {total} bytes, above the limit of {limits.max_total_bytes}"))
        return src
    if total > limits.package_ratio_floor and total > limits.max_package_ratio * max(packed, 1):
        bad(_problem("zip_bomb", f"zip 整体压缩比异常（{packed} → {total} 字节，超过 {limits.max_package_ratio} 倍），疑似压缩炸弹",
                     f"the zip as a whole expands from {packed} to {total} bytes (more than {limits.max_package_ratio} "
                     f"times): a likely zip bomb"))
        return src
    # The package root: the zip root, or its single top folder.
    prefix = ""
    if MANIFEST not in entries:
        tops = {n.split("/", 1)[0] for n in entries}
        if len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST}" in entries:
            prefix = next(iter(tops)) + "/"
    src.refused = {n[len(prefix):] if n.startswith(prefix) else n for n in src.refused}
    for name, info in entries.items():
        if prefix and name.startswith(prefix):
            name = name[len(prefix):]
        src.files[name] = (info.file_size, lambda info=info: _zip_chunks(path, info))
    return src


# --- the manifest --------------------------------------------------------------------------

_JSON_ZH = {
    "Expecting value": "此处应为一个值",
    "Expecting ',' delimiter": "缺少逗号",
    "Expecting ':' delimiter": "缺少冒号",
    "Expecting property name enclosed in double quotes": "属性名应使用双引号",
    "Unterminated string starting at": "字符串没有结束",
    "Extra data": "JSON 结束后还有多余内容",
    "Invalid control character at": "字符串中有非法控制字符",
    "Invalid \\escape": "非法的转义序列",
    "Invalid \\uXXXX escape": "非法的 \\u 转义序列",
}


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for k, v in pairs:
        if k in d:
            raise _DuplicateKey(k)
        d[k] = v
    return d


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def parse_manifest(data: bytes) -> tuple[dict[str, Any] | None, PackageProblem | None]:
    """Decode ``application.json``: the object, or the problem with line and column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return None, _problem("malformed_json", f"{MANIFEST} 不是 UTF-8 编码（第{line}行，第{e.start}字节）",
                              f"{MANIFEST} is not UTF-8 (line {line}, byte {e.start})")
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        zh = next((v for k, v in _JSON_ZH.items() if e.msg.startswith(k)), e.msg)
        return None, _problem("malformed_json", f"{MANIFEST} 第{e.lineno}行第{e.colno}列：{zh}",
                              f"{MANIFEST} line {e.lineno}, column {e.colno}: {e.msg}")
    except _DuplicateKey as e:
        return None, _problem("malformed_json", f"{MANIFEST} 中键“{e}”重复出现", f"{MANIFEST} repeats the key {str(e)!r}")
    except RecursionError:
        return None, _problem("malformed_json", f"{MANIFEST} 嵌套层次过深", f"{MANIFEST} is nested too deeply")
    except ValueError as e:  # NaN / Infinity
        return None, _problem("malformed_json", f"{MANIFEST} 含有 JSON 不允许的数值 {e}", f"{MANIFEST} contains {e}, which JSON does not allow")
    if not isinstance(obj, dict):
        return None, _problem("malformed_json", f"{MANIFEST} 顶层必须是对象 {{…}}", f"{MANIFEST} must hold an object {{…}} at the top level")
    try:  # "\ud800" is valid JSON but no text: it could be neither hashed nor stored
        canonical_json(obj).encode("utf-8")
    except UnicodeEncodeError:
        return None, _problem("malformed_json", f"{MANIFEST} 含有无效的 \\u 转义（单独的代理码 \\ud800–\\udfff，不是字符）",
                              f"{MANIFEST} contains an invalid \\u escape (a lone surrogate \\ud800–\\udfff, not a character)")
    return obj, None


class _Fields:
    """Typed access to a JSON object that records every problem instead of stopping at the first."""

    def __init__(self, problems: list[PackageProblem]):
        self.problems = problems

    def bad(self, where: str, zh: str, en: str, code: str = "bad_field") -> None:
        self.problems.append(_problem(code, f"{where}：{zh}", f"{where}: {en}"))

    def only(self, obj: dict[str, Any], where: str, allowed: set[str]) -> None:
        for k in obj:
            if k not in allowed:
                self.bad(f"{where}{k}", "未知字段（拼写错误？）", "unknown field (a typo?)")

    def text(self, obj: dict[str, Any], key: str, where: str, *, max_len: int,
             required: bool = True, empty: bool = False) -> str | None:
        v = obj.get(key)
        if v is None:
            if required:
                self.bad(where + key, "缺少此字段", "missing")
            return None
        if not isinstance(v, str):
            self.bad(where + key, "必须是文本", "must be a string")
            return None
        if not v.strip() and not empty:
            self.bad(where + key, "不能为空", "must not be empty")
            return None
        if len(v) > max_len:
            self.bad(where + key, f"长度 {len(v)} 超过上限 {max_len}", f"length {len(v)} is above the limit of {max_len}")
            return None
        if (problem := unstorable(v)) is not None:
            self.bad(where + key, problem.zh, problem.en)
            return None
        return v

    def integer(self, obj: dict[str, Any], key: str, where: str = "") -> int | None:
        v = obj.get(key)
        if v is None:
            self.bad(where + key, "缺少此字段", "missing")
        elif isinstance(v, bool) or not isinstance(v, int):
            self.bad(where + key, "必须是整数", "must be a whole number")
        else:
            return v
        return None

    def obj(self, obj: dict[str, Any], key: str) -> dict[str, Any] | None:
        v = obj.get(key)
        if not isinstance(v, dict):
            self.bad(key, "缺少此字段" if v is None else "必须是对象 {…}", "missing" if v is None else "must be an object {…}")
            return None
        return v

    def array(self, obj: dict[str, Any], key: str, *, required: bool) -> list[Any] | None:
        v = obj.get(key)
        if v is None and not required:
            return []
        if not isinstance(v, list):
            self.bad(key, "缺少此字段" if v is None else "必须是数组 […]", "missing" if v is None else "must be an array […]")
            return None
        return v


TOP_FIELDS = {"format", "id", "program", "year", "applicant", "title", "requested_amount", "summary",
              "tier", "items", "attachments"}
APPLICANT_FIELDS = {"name", "credit_code", "contact", "phone", "address", "email", "website"}
ITEM_FIELDS = {"id", "kind", "title", "reference", "date", "tier"}
ATTACHMENT_FIELDS = {"file", "title", "blind"}


def _check_manifest(m: dict[str, Any], rules: RoundRules, problems: list[PackageProblem]) -> dict[str, Any]:
    """Validate every field; return the typed values found (None where a field is bad)."""
    f = _Fields(problems)
    f.only(m, "", TOP_FIELDS)
    out: dict[str, Any] = {}
    pid = m.get("id")
    if not isinstance(pid, str) or not ID_RE.fullmatch(pid):
        f.bad("id", "必须是 1 至 64 个字母、数字、点、下划线或连字符", "must be 1 to 64 letters, digits, '.', '_' or '-'")
        pid = None
    out["id"] = pid

    prog = m.get("program")
    if prog is None:
        problems.append(_problem("unknown_program", "program：缺少此字段（应为 P1 至 P9 之一）",
                                 "program: missing (one of P1..P9)"))
    elif prog not in PROGRAM_CODES:
        problems.append(_problem("unknown_program", f"未知的项目类别“{prog}”，应为 P1 至 P9 之一",
                                 f"unknown program {prog!r}; expected one of P1..P9"))
        prog = None
    elif prog not in rules.programs:
        listed = "、".join(sorted(rules.programs)) or "无"
        problems.append(_problem("unknown_program", f"项目类别 {prog} 不在本批次中（本批次：{listed}）",
                                 f"program {prog} is not part of this round (the round has {', '.join(sorted(rules.programs)) or 'none'})"))
        prog = None
    out["program"] = prog

    year = f.integer(m, "year")
    if year is not None and year != rules.year:
        problems.append(_problem("wrong_year", f"申报年度为 {year}，本批次年度为 {rules.year}",
                                 f"the package is for year {year} but the round is for {rules.year}"))
    out["year"] = year

    out["applicant"] = None
    if (a := f.obj(m, "applicant")) is not None:
        f.only(a, "applicant.", APPLICANT_FIELDS)
        name = f.text(a, "name", "applicant.", max_len=300)
        code = a.get("credit_code")
        try:
            code = validate_credit_code(code) if code is not None else None
            if code is None:
                f.bad("applicant.credit_code", "缺少此字段", "missing", code="bad_credit_code")
        except CreditCodeError as e:
            f.bad("applicant.credit_code", e.zh, e.en, code="bad_credit_code")
            code = None
        contact = f.text(a, "contact", "applicant.", max_len=100)
        phone = f.text(a, "phone", "applicant.", max_len=40)
        address = f.text(a, "address", "applicant.", max_len=300)
        email = f.text(a, "email", "applicant.", max_len=200, required=False, empty=True)
        if email and "@" not in email:
            f.bad("applicant.email", "不是电子邮件地址", "is not an email address")
        website = f.text(a, "website", "applicant.", max_len=200, required=False, empty=True)
        if None not in (name, code, contact, phone, address):
            out["applicant"] = ApplicantInfo(name.strip(), code, contact, phone, address, email or None, website or None)

    out["title"] = f.text(m, "title", "", max_len=500)
    out["summary"] = f.text(m, "summary", "", max_len=100_000, empty=True)
    amount = f.integer(m, "requested_amount")
    if amount is not None and not (0 < amount <= MAX_AMOUNT):
        f.bad("requested_amount", "必须是正整数（元）", "must be a positive whole number of yuan")
        amount = None
    out["requested_amount"] = amount

    raw_items = f.array(m, "items", required=False)
    every_item_tiered = bool(raw_items) and all(isinstance(it, dict) and it.get("tier") is not None for it in raw_items)
    out["tier"] = _check_tier(m.get("tier"), prog, rules, f, required=not every_item_tiered)
    out["items"] = _check_items(raw_items, prog, f, rules, out["tier"])
    out["attachments"], out["declared"] = _check_attachments(f.array(m, "attachments", required=True), f)
    return out


def _check_tier(tier: Any, prog: str | None, rules: RoundRules, f: _Fields, *, required: bool = True,
                where: str = "tier") -> str | None:
    """The top-level tier (the default for every item), or one item's own ``tier``."""
    if prog is None:
        return None
    table = rules.tiers.get(prog)
    if program(prog).funding.kind != "tiered":
        if tier is not None:
            f.bad(where, f"项目 {prog} 不分档次，应省略或为 null", f"program {prog} has no tiers; omit it or use null")
        return None
    choices = ", ".join(sorted(table or ()))
    if tier is None and not required:
        return None
    if not isinstance(tier, str):
        f.bad(where, f"项目 {prog} 必须填写档次（可选：{choices}）", f"program {prog} needs a tier (one of: {choices})",
              code="unknown_tier")
        return None
    if table is None or tier not in table:
        f.bad(where, f"“{tier}”不在项目 {prog} 的档次表中（可选：{choices}）",
              f"{tier!r} is not in the tier table of {prog} (one of: {choices})", code="unknown_tier")
        return None
    return tier


def _check_items(raw: list[Any] | None, prog: str | None, f: _Fields, rules: RoundRules | None = None,
                 default_tier: str | None = None) -> tuple[Item, ...]:
    if raw is None:
        return ()
    items: list[Item] = []
    seen: set[str] = set()
    for i, it in enumerate(raw):
        where = f"items[{i}]."
        if not isinstance(it, dict):
            f.bad(f"items[{i}]", "必须是对象 {…}", "must be an object {…}")
            continue
        f.only(it, where, ITEM_FIELDS)
        iid = it.get("id")
        if not isinstance(iid, str) or not ITEM_ID_RE.fullmatch(iid):
            f.bad(where + "id", "必须是 1 至 60 个字母、数字、点、下划线或连字符", "must be 1 to 60 letters, digits, '.', '_' or '-'")
            iid = None
        elif iid in seen:
            f.bad(where + "id", f"条目编号“{iid}”重复", f"item id {iid!r} is used twice", code="duplicate_item")
            iid = None
        kind = f.text(it, "kind", where, max_len=60)
        title = f.text(it, "title", where, max_len=500)
        ref = f.text(it, "reference", where, max_len=200, required=False, empty=True)
        when = f.text(it, "date", where, max_len=10, required=False)
        if when is not None:
            try:
                if not DATE_RE.fullmatch(when):
                    raise ValueError(when)
                date.fromisoformat(when)
            except ValueError:
                f.bad(where + "date", "日期格式应为 YYYY-MM-DD", "must be a date as YYYY-MM-DD")
                when = None
        if iid is not None:
            seen.add(iid)
        tier = None
        if rules is not None and prog is not None and (it.get("tier") is not None or program(prog).funding.kind == "tiered"):
            before = len(f.problems)
            given = it.get("tier")
            tier = _check_tier(given, prog, rules, f, required=False, where=where + "tier")
            tier = tier if given is not None else default_tier
            if len(f.problems) > before:
                continue
        if None not in (iid, kind, title):
            items.append(Item(iid, kind, title, ref, when, tier))
    if prog is not None and not raw:
        rule = program(prog).funding
        if rule.kind in NEEDS_ITEMS:
            what_zh = rule.item_zh or rule.tier_zh
            what_en = rule.item_en or rule.tier_en
            f.problems.append(_problem("no_items", f"项目 {prog} 至少需要在 items 中列出一项（{what_zh}）",
                                       f"program {prog} needs at least one entry in items ({what_en})"))
    return tuple(items)


def _check_attachments(raw: list[Any] | None, f: _Fields) -> tuple[list[tuple[str, str, bool]], set[str]]:
    """The good declarations, and every declared name (a bad title does not make its file undeclared)."""
    out: list[tuple[str, str, bool]] = []
    seen: set[str] = set()
    if raw is None:
        return out, seen
    if not raw:
        f.bad("attachments", "至少需要一个附件", "at least one attachment is required")
    for i, a in enumerate(raw):
        where = f"attachments[{i}]."
        if not isinstance(a, dict):
            f.bad(f"attachments[{i}]", "必须是对象 {…}", "must be an object {…}")
            continue
        f.only(a, where, ATTACHMENT_FIELDS)
        name = f.text(a, "file", where, max_len=300)
        if name is not None:
            name = _nfc(name)
            if (why := unsafe_reason(name)) is not None:
                f.bad(where + "file", why.zh, why.en, code="unsafe_path")
                name = None
            elif name in seen:
                f.bad(where + "file", f"文件“{name}”被声明了两次", f"file {name!r} is declared twice")
                name = None
        title = f.text(a, "title", where, max_len=300)
        blind = a.get("blind")
        if not isinstance(blind, bool):
            f.bad(where + "blind", "必须是 true 或 false", "must be true or false")
        if name is not None:
            seen.add(name)
            if title is not None and isinstance(blind, bool):
                out.append((name, title, blind))
    return out, seen


# --- putting it together -------------------------------------------------------------------


def _hash_pdf(name: str, opener: Callable[[], Iterator[bytes]]) -> tuple[str | None, PackageProblem | None]:
    h = hashlib.sha256()
    head = b""
    try:
        for chunk in opener():
            if len(head) < len(PDF_MAGIC):
                head += chunk[: len(PDF_MAGIC)]
            h.update(chunk)
    except _READ_ERRORS as e:
        why = os_reason(e) if isinstance(e, OSError) else Msg(str(e), str(e))
        return None, _problem("unreadable" if isinstance(e, OSError) else "bad_zip",
                              f"无法读取附件“{name}”（{why.zh}）", f"cannot read attachment {name!r} ({why.en})")
    if not head.startswith(PDF_MAGIC):
        return None, _problem("not_pdf", f"附件“{name}”不是 PDF 文件（文件开头不是 %PDF-）",
                              f"attachment {name!r} is not a PDF (it does not start with %PDF-)")
    return h.hexdigest(), None


def check_package(path: Path, rules: RoundRules) -> PackageCheck:
    """Read and validate one package (folder or .zip); never raises on bad input."""
    path = Path(path)
    problems: list[PackageProblem] = []
    try:
        if path.is_dir():
            src = _folder_source(path, rules.limits)
        elif not path.exists():
            return PackageCheck(path, None, (_problem("not_found", "找不到此路径", "no such file or folder"),))
        else:
            try:  # a regular file only: a FIFO or a device is refused before it is opened as a zip
                check_regular(path)
            except FileRefused as e:
                code = {"not_found": "not_found", "not_regular": "not_regular"}.get(e.code, "unreadable")
                return PackageCheck(path, None, (PackageProblem(code, e.msg),))
            src = _zip_source(path, rules.limits)
    except OSError as e:
        return PackageCheck(path, None, (_problem("unreadable", f"无法读取（{os_reason(e).zh}）", f"cannot be read ({os_reason(e).en})"),))
    problems.extend(src.problems)
    if MANIFEST not in src.files:
        if MANIFEST not in src.refused and not any(p.code in ("bad_zip", "too_large", "too_many_files") for p in problems):
            problems.append(_problem("missing_manifest", f"缺少 {MANIFEST}（应位于申报包根目录或唯一的顶层文件夹中）",
                                     f"no {MANIFEST} (it belongs at the package root or in its single top folder)"))
        return PackageCheck(path, None, tuple(problems))
    size, opener = src.files.pop(MANIFEST)
    if size > rules.limits.max_manifest_bytes:
        problems.append(_problem("too_large", f"{MANIFEST} 有 {size} 字节，超过上限", f"{MANIFEST} is {size} bytes, above the limit"))
        return PackageCheck(path, None, tuple(problems))
    try:
        manifest, bad = parse_manifest(b"".join(opener()))
    except _READ_ERRORS as e:
        why = os_reason(e) if isinstance(e, OSError) else Msg(str(e), str(e))
        manifest, bad = None, _problem("unreadable", f"无法读取 {MANIFEST}（{why.zh}）", f"cannot read {MANIFEST} ({why.en})")
    if manifest is None:
        return PackageCheck(path, None, tuple(problems) + (bad,))
    fmt = manifest.get("format")
    if fmt is None:
        problems.append(_problem("unknown_format", f"缺少 format 字段（应为 {FORMAT}）", f"no format field (expected {FORMAT})"))
        return PackageCheck(path, None, tuple(problems))
    if fmt != FORMAT:
        problems.append(_problem("unknown_format", f"format 为 {json.dumps(fmt, ensure_ascii=False)}，本程序只读取 {FORMAT}",
                                 f"format is {json.dumps(fmt)}; this qbdesk reads {FORMAT}"))
        return PackageCheck(path, None, tuple(problems))

    fields = _check_manifest(manifest, rules, problems)
    files: list[PackageFile] = []
    declared = fields["declared"]
    for name, title, blind in fields["attachments"]:
        if name in src.refused:
            continue
        if name not in src.files:
            hint = [n for n in src.files if n.casefold() == name.casefold()]
            zh = f"声明的附件“{name}”不在申报包中" + (f"（包中有“{hint[0]}”，仅大小写不同）" if hint else "")
            en = f"declared attachment {name!r} is not in the package" + (f" ({hint[0]!r} differs only in letter case)" if hint else "")
            problems.append(_problem("missing_file", zh, en))
            continue
        size, opener = src.files[name]
        if size > rules.limits.max_file_bytes:
            problems.append(_problem("too_large", f"附件“{name}”有 {size} 字节，超过上限 {rules.limits.max_file_bytes}",
                                     f"attachment {name!r} is {size} bytes, above the limit of {rules.limits.max_file_bytes}"))
            continue
        digest, bad = _hash_pdf(name, opener)
        if bad is not None:
            problems.append(bad)
            continue
        files.append(PackageFile(name, title, blind, size, digest, opener))
    total = sum(pf.size for pf in files)
    if total > rules.limits.max_total_bytes:
        problems.append(_problem("too_large", f"附件共 {total} 字节，超过上限 {rules.limits.max_total_bytes}",
                                 f"the attachments total {total} bytes, above the limit of {rules.limits.max_total_bytes}"))
    for name in sorted(set(src.files) - declared):
        problems.append(_problem("undeclared_file", f"文件“{name}”未在 attachments 中声明", f"file {name!r} is not declared in attachments"))
    if problems:
        return PackageCheck(path, None, tuple(problems))

    pkg = Package(
        source=path, id=fields["id"], program=fields["program"], year=fields["year"],
        applicant=fields["applicant"], title=fields["title"], requested_amount=fields["requested_amount"],
        summary=fields["summary"], tier=fields["tier"], items=fields["items"], attachments=tuple(files),
        digest=package_digest(manifest, {pf.file: pf.sha256 for pf in files}),
        manifest_json=canonical_json(manifest),
    )
    return PackageCheck(path, pkg, ())


def read_package(path: Path, rules: RoundRules) -> Package:
    """Like :func:`check_package`, but raise :class:`PackageError` unless the package is good."""
    result = check_package(path, rules)
    if result.package is None:
        raise PackageError(Path(path), result.problems)
    return result.package


def write_package(dest_dir: Path, manifest: dict[str, Any], files: Mapping[str, bytes], *,
                  as_zip: bool = False) -> Path:
    """Write a package as a folder ``dest_dir`` (or the zip ``dest_dir.zip``); for tests, demos, benches.

    Writes what it is given, valid or not, but never outside ``dest_dir``.
    """
    dest_dir = Path(dest_dir)
    text = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    for name in files:
        if unsafe_reason(name) is not None:
            raise ValueError(f"refusing to write unsafe file name {name!r}")
    if as_zip:
        target = dest_dir.with_name(dest_dir.name + ".zip")
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(MANIFEST, text)
            for name, data in files.items():
                zf.writestr(name, data)
        return target
    dest_dir.mkdir(parents=True, exist_ok=True)
    (dest_dir / MANIFEST).write_bytes(text)
    for name, data in files.items():
        p = dest_dir / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return dest_dir
