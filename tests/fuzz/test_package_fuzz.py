"""Fuzz the application package reader: a hostile folder or .zip ends in problems (or a good package), never a traceback.

check_package promises never to raise on bad input: everything wrong is a PackageProblem with a
code and a message in both languages, and read_package turns that into a PackageError.
"""

from __future__ import annotations

import copy
import io
import json
import random
import warnings
import zipfile
from functools import lru_cache
from pathlib import Path

import pytest
from fuzzing import apply_changes, changes_to, fuzz, json_values, mutate, mutations
from hypothesis import given
from hypothesis import strategies as st

from qbdesk.domain.credit_code import generate
from qbdesk.formats.package import (
    FORMAT,
    MANIFEST,
    Limits,
    PackageCheck,
    PackageError,
    RoundRules,
    check_package,
    read_package,
    write_package,
)

# Small limits, so that the size checks are reached by small inputs too.
RULES = RoundRules(year=2026, limits=Limits(max_manifest_bytes=4096, max_file_bytes=4096, max_total_bytes=8192,
                                            max_files=8, ratio_floor=64))
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NAMES = ["申报书.pdf", "技术方案（脱敏）.pdf"]
# File names an attacker or a careless zip tool produces.
HOSTILE_NAMES = ["../x.pdf", "../../etc/passwd", "/abs.pdf", "C:/x.pdf", "c:x.pdf", "a\\b.pdf", "x\x00.pdf", "",
                 ".", "..", "a//b.pdf", "./a.pdf", "a/", "申报书.pdf", "申报书.PDF", "申报书.pdf", MANIFEST,
                 "__MACOSX/._a.pdf", ".DS_Store", "x" * 400 + ".pdf", "\u202egdp.exe"]
name_texts = st.sampled_from(HOSTILE_NAMES) | st.text(max_size=20)


@lru_cache(maxsize=1)
def manifest() -> dict:
    return {
        "format": FORMAT, "id": "2026-P3-0007", "program": "P3", "year": 2026,
        "applicant": {"name": "深圳市某某科技有限公司", "credit_code": generate(random.Random(7)),
                      "contact": "张三", "phone": "0755-12345678", "address": "深圳市南山区科技园", "email": "a@b.cn"},
        "title": "绿色产品认证", "requested_amount": 150000, "summary": "取得绿色产品认证证书一张。",
        "items": [{"id": "C1", "kind": "certificate", "title": "绿色产品认证", "reference": "123", "date": "2026-03-01"}],
        "attachments": [{"file": NAMES[0], "title": "申报书", "blind": False},
                        {"file": NAMES[1], "title": "技术方案", "blind": True}],
    }


def files() -> dict[str, bytes]:
    return {NAMES[0]: PDF, NAMES[1]: PDF + b"%blind\n"}


def zipped(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        warnings.simplefilter("ignore")  # "Duplicate name": duplicates are the point
        for name, data in entries:
            zf.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


@lru_cache(maxsize=1)
def good_zip() -> bytes:
    return zipped([(MANIFEST, json.dumps(manifest(), ensure_ascii=False).encode()), *files().items()])


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("package")


def check(path: Path) -> PackageCheck:
    """What an importer does with a package: check it, and read every attachment of a good one."""
    result = check_package(path, RULES)
    assert isinstance(result, PackageCheck)
    for p in result.problems:
        assert p.code and p.msg.zh and p.msg.en
    if result.package is None:
        assert result.problems
        with pytest.raises(PackageError) as e:
            read_package(path, RULES)
        assert e.value.problems and e.value.msg.zh and e.value.msg.en
    else:
        assert not result.problems
        for pf in result.package.attachments:
            assert pf.read()[:5] == b"%PDF-"
    return result


def test_the_unmutated_package_is_good(work):
    (work / "good.zip").write_bytes(good_zip())
    assert check(work / "good.zip").ok


@fuzz(60)
@given(st.binary(max_size=1024), st.sampled_from([b"", b"PK\x03\x04", b"PK\x05\x06" + bytes(18)]))
def test_random_bytes_as_a_zip(work, data, prefix):
    path = work / "random.zip"
    path.write_bytes(prefix + data)
    assert not check(path).ok


@fuzz(80)
@given(mutations)
def test_mutated_zip(work, changes):
    path = work / "mutated.zip"
    path.write_bytes(mutate(good_zip(), changes))
    check(path)


@fuzz(60)
@given(mutations)
def test_mutated_manifest_bytes(work, changes):
    raw = mutate(json.dumps(manifest(), ensure_ascii=False, indent=1).encode(), changes)
    path = work / "raw.zip"
    path.write_bytes(zipped([(MANIFEST, raw), *files().items()]))
    check(path)


def written(target: Path, m: dict, as_zip: bool) -> Path:
    """The package as a folder or a zip; the manifest with \\u escapes, so that a lone surrogate can be written."""
    raw = json.dumps(m).encode()
    if as_zip:
        target = target.with_suffix(".zip")
        target.write_bytes(zipped([(MANIFEST, raw), *files().items()]))
    else:
        write_package(target, {}, files())
        (target / MANIFEST).write_bytes(raw)
    return target


@fuzz(100)
@given(changes_to(manifest()), st.booleans())
def test_manifest_with_wrong_values(work, changes, as_zip):
    """Wrong types, missing fields, huge numbers, odd unicode (lone surrogates too) in any field; folder or zip."""
    m = copy.deepcopy(manifest())
    apply_changes(m, changes)
    check(written(work / "values", m, as_zip))


@fuzz(60)
@given(st.lists(st.fixed_dictionaries({"file": name_texts, "title": json_values, "blind": json_values}),
                max_size=4),
       st.lists(st.tuples(name_texts, st.binary(max_size=24) | st.just(PDF)), max_size=4),
       st.booleans())
def test_hostile_attachment_names_and_contents(work, declared, entries, top_folder):
    """Declared names that escape, repeat or are not text; zip entries likewise, with contents that are not PDFs."""
    m = {**manifest(), "attachments": declared}
    prefix = "pkg/" if top_folder else ""
    raw = json.dumps(m).encode()
    path = work / "names.zip"
    path.write_bytes(zipped([(prefix + MANIFEST, raw), *((prefix + n, d) for n, d in entries)]))
    check(path)


@fuzz(30)
@given(st.sampled_from(["top", "items", "applicant", "attachments"]), st.integers(min_value=1, max_value=3))
def test_duplicate_entries(work, where, times):
    """The same key, item or attachment given more than once."""
    m = copy.deepcopy(manifest())
    if where == "items":
        m["items"] *= times + 1
    elif where == "attachments":
        m["attachments"] = m["attachments"] * (times + 1)
    text = json.dumps(m, ensure_ascii=False)
    if where == "top":
        text = text[:-1] + ', "year": 2026' * times + "}"
    elif where == "applicant":
        text = text.replace('"contact": "张三"', '"contact": "张三", "contact": "李四"' * times)
    path = work / "dup.zip"
    entries = [(MANIFEST, text.encode()), *files().items()]
    path.write_bytes(zipped(entries + entries[1:] * (times - 1)))
    assert not check(path).ok


# --- what the fuzz found: each case once, plainly -------------------------------------------------


def only(result: PackageCheck, code: str, en: str) -> None:
    assert result.package is None and [p.code for p in result.problems] == [code], result.problems
    assert en in result.problems[0].msg.en and result.problems[0].msg.zh


def test_local_header_name_flagged_utf8_but_not_utf8(work):
    """zipfile raised UnicodeDecodeError while reading the entry, past the checks of the central directory."""
    raw = bytearray(good_zip())
    name = NAMES[0].encode()
    at = zipfile.ZipFile(io.BytesIO(good_zip())).getinfo(NAMES[0]).header_offset + 30  # the central directory keeps it
    raw[at : at + len(name)] = b"\xff" * len(name)
    (work / "utf8.zip").write_bytes(bytes(raw))
    only(check(work / "utf8.zip"), "bad_zip", f"cannot read attachment {NAMES[0]!r}")


def test_damaged_lzma_entry(work):
    """lzma.LZMAError is no OSError: it escaped check_package."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_LZMA) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest(), ensure_ascii=False))
        for name, data in files().items():
            zf.writestr(name, data + bytes(range(256)) * 4)
    raw = bytearray(buf.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(raw))).getinfo(NAMES[1])
    raw[info.header_offset + 30 + len(NAMES[1].encode()) + info.compress_size // 2] ^= 0xFF
    (work / "lzma.zip").write_bytes(bytes(raw))
    only(check(work / "lzma.zip"), "bad_zip", f"cannot read attachment {NAMES[1]!r}")


def test_zip_entry_with_an_empty_name(work):
    """ZipInfo.is_dir() raised IndexError on an entry named ""."""
    (work / "empty-name.zip").write_bytes(zipped([(MANIFEST, json.dumps(manifest()).encode()), *files().items(),
                                                  ("", PDF)]))
    only(check(work / "empty-name.zip"), "unsafe_path", "the file name is empty")


def test_manifest_with_a_lone_surrogate(work):
    """"\\ud800" is valid JSON; hashing the manifest for the digest raised UnicodeEncodeError."""
    only(check(written(work / "surrogate", {**manifest(), "title": "\ud800"}, as_zip=True)), "malformed_json",
         "lone surrogate")
