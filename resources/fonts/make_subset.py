"""Build qbdesk's embedded CJK font: a TrueType subset of WenQuanYi Micro Hei.

Why a subset: the full face is ~5 MB; qbdesk needs ASCII, common punctuation,
CJK punctuation, full-width forms and the GB2312 repertoire (6,763 hanzi plus
its symbols), plus any rarer character that qbdesk's own text uses (programs,
rubrics, translations, demo word lists), which this script finds by scanning
the repository. The result is a plain .ttf with glyf outlines, which
reportlab can embed in PDFs and Qt can load with addApplicationFont.

Run from the repository root after adding text with rare characters:

    .venv/bin/python resources/fonts/make_subset.py

Debian: the source is ``fonts-wqy-microhei`` (apt-get install -y fonts-wqy-microhei).
The output is deterministic for a given source font and repository text.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_SOURCE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
DEFAULT_OUT = HERE / "wqy-microhei-gb2312.ttf"

# Where qbdesk keeps text it will print or show; globs relative to the repo root.
SCAN_GLOBS = (
    "resources/**/*.json",
    "resources/**/*.ts",
    "resources/**/*.md",
    "qbdesk/**/*.py",
)

RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1: ° ± × · é …
    (0x2010, 0x2027),  # dashes, quotes, bullets, ellipsis
    (0x2030, 0x203B),  # ‰ ′ ″ ※
    (0x2103, 0x2103),  # ℃
    (0x2116, 0x2116),  # №
    (0x2122, 0x2122),  # ™
    (0x2160, 0x216B),  # Ⅰ..Ⅻ
    (0x2190, 0x2193),  # arrows
    (0x2460, 0x2473),  # ①..⑳
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF01, 0xFF5E),  # full-width ASCII forms
    (0xFFE0, 0xFFE6),  # full-width ￥ etc.
)


def gb2312_chars() -> set[str]:
    """Every character of GB2312, by decoding each valid two-byte code."""
    chars: set[str] = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def range_chars() -> set[str]:
    return {chr(c) for lo, hi in RANGES for c in range(lo, hi + 1)}


def repository_chars(root: Path = REPO) -> set[str]:
    """Non-ASCII characters in qbdesk's own text files."""
    chars: set[str] = set()
    for pattern in SCAN_GLOBS:
        for path in sorted(root.glob(pattern)):
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            chars.update(ch for ch in text if ord(ch) > 0x7F and ch.isprintable())
    return chars


def wanted_chars(root: Path = REPO) -> set[str]:
    return gb2312_chars() | range_chars() | repository_chars(root)


def build(source: Path, out: Path, root: Path = REPO) -> tuple[int, int, list[str]]:
    """Write the subset; return (characters kept, bytes written, characters the source lacks)."""
    # face 0 of the .ttc is "Micro Hei"; keep head.modified from the source so builds are reproducible
    font = TTFont(str(source), fontNumber=0, lazy=False, recalcTimestamp=False)
    cmap = font.getBestCmap()
    wanted = wanted_chars(root)
    # Only report gaps that matter: text qbdesk uses or GB2312, not the filler of the ranges.
    must = gb2312_chars() | repository_chars(root)
    missing = sorted(ch for ch in must if ord(ch) not in cmap and not ch.isspace())
    unicodes = sorted(ord(ch) for ch in wanted if ord(ch) in cmap)

    options = subset.Options()
    options.name_IDs = ["*"]  # keep copyright, licence and URLs (name IDs 0, 13, 14)
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.drop_tables += ["FFTM"]  # FontForge's timestamps: useless, and not subsettable
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(out))
    return len(unicodes), out.stat().st_size, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="wqy-microhei.ttc")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"source font not found: {args.source} (apt-get install -y fonts-wqy-microhei)", file=sys.stderr)
        return 2
    kept, size, missing = build(args.source, args.out)
    print(f"{args.out}: {kept} characters, {size / 1e6:.2f} MB")
    if missing:
        print(f"not in the source font ({len(missing)}): {''.join(missing)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
