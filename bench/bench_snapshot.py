"""Snapshot speed: opening a big snapshot against ``age -d``, and the first page of an attachment.

1. Builds a snapshot with SIZE MiB of random attachments (generated in chunks while
   they are encrypted, never held whole), then times, with the file in the page cache:
   - ``age -d`` (Debian's Go age) decrypting every entry's ciphertext, extracted from
     the zip beforehand, to /dev/null: the baseline;
   - ``SnapshotReader(path, passphrase)`` in a child process: layout, signature, SHA-256
     of every entry, bcrypt unwrap of the identity (64 rounds), meta.json decrypted;
     and ``read_manifest`` alone (no passphrase). The child reports its peak RSS.
   Goals: opening ≥ 0.7× age's throughput; peak memory ≤ 150 MB.
2. Builds a 50-page PDF with reportlab (text and a noise image per page), puts it in a
   snapshot and times ``read_attachment`` (whole entry decrypted into memory and its
   hash checked) plus rendering page 1 with QtPdf when PySide6 is installed, against
   reading the plain file from disk and rendering the same page. Goal: ≤ 150 ms.

Everything lives in a temporary folder under --tmp (default /tmp), removed at the end.

    .venv/bin/python bench/bench_snapshot.py                 # 2048 MiB, 128 MiB entries
    .venv/bin/python bench/bench_snapshot.py --size-mb 256 --repeat 1
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pyrage

from qbdesk.formats import agezip, keys
from qbdesk.formats.snapshot import SnapshotReader, SnapshotWriter, read_manifest, unwrap_identity

MIB = 1 << 20
PASSPHRASE_ENV = "QBDESK_BENCH_PASSPHRASE"


class RandomSource:
    """A file-like object yielding ``size`` random-looking bytes, made chunk by chunk as they are read.

    Python's generators make 150–300 MiB/s, slower than what is measured; so each read
    is a slice of an 8 MiB random pool at a random offset (the ciphertext is random anyway).
    """

    POOL = os.urandom(8 * MIB)

    def __init__(self, size: int, seed: int):
        self.left = size
        self.rng = random.Random(seed)

    def read(self, n: int = -1) -> bytes:
        n = self.left if n is None or n < 0 else min(n, self.left, MIB)
        self.left -= n
        at = self.rng.randrange(len(self.POOL) - n + 1)
        return self.POOL[at : at + n]


def writer(path: Path, passphrase: str) -> SnapshotWriter:
    return SnapshotWriter(
        path, signing_key=keys.generate_private_key(), receiving_recipient=str(pyrage.x25519.Identity.generate().to_public()),
        passphrase=passphrase, snapshot_id="bench", round_id=1, round_name="bench", round_year=2026, expert_id="E01",
    )  # fmt: skip


def build_big(path: Path, passphrase: str, total: int, entry: int) -> float:
    start = time.perf_counter()
    with writer(path, passphrase) as w:
        names, left, seed = [], total, 0
        while left > 0:
            size = min(entry, left)
            names.append(w.add_attachment(RandomSource(size, seed)))
            left, seed = left - size, seed + 1
        w.write_meta({"applications": [], "files": names})
    return time.perf_counter() - start


def extract_entries(path: Path, out: Path) -> list[Path]:
    """Each age entry's ciphertext as its own file, copied straight from the zip's bytes."""
    files = []
    with open(path, "rb", buffering=0) as f, zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if not info.filename.endswith(".age"):
                continue
            target = out / info.filename.replace("/", "_")
            f.seek(agezip.stored_data_offset(f, info))
            with open(target, "wb") as dst:
                left = info.compress_size
                while left:
                    chunk = f.read(min(left, 8 * MIB))
                    dst.write(chunk)
                    left -= len(chunk)
            files.append(target)
    return files


def time_age(age: str, key: Path, files: list[Path]) -> float:
    start = time.perf_counter()
    for f in files:
        subprocess.run([age, "-d", "-i", str(key), "-o", os.devnull, str(f)], check=True)
    return time.perf_counter() - start


def child(mode: str, path: Path) -> dict:
    """Run one open/verify in a fresh process, so its peak RSS is this job's alone."""
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(path)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def child_main(mode: str, path: Path) -> None:
    start = time.perf_counter()
    if mode == "open":
        with SnapshotReader(path, os.environ[PASSPHRASE_ENV]) as reader:
            entries = len(reader.manifest.entries)
    else:
        entries = len(read_manifest(path).entries)
    seconds = time.perf_counter() - start
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": seconds, "maxrss_mb": rss_kb / 1024, "entries": entries}))


def bench_big(tmp: Path, size_mb: int, entry_mb: int, repeat: int) -> None:
    age = shutil.which("age")
    total = size_mb * MIB
    need = 2 * total + 512 * MIB  # the snapshot and its entries extracted for age
    free = shutil.disk_usage(tmp).free
    if free < need:
        print(f"[big] skipped: {free / MIB:,.0f} MiB free under {tmp}, {need / MIB:,.0f} MiB needed")
        return
    passphrase = keys.generate_passphrase()
    os.environ[PASSPHRASE_ENV] = passphrase
    path = tmp / "big.qbsnap"
    built = build_big(path, passphrase, total, entry_mb * MIB)
    size = path.stat().st_size
    print(f"[big] built {size / MIB:,.0f} MiB ({-(-size_mb // entry_mb)} attachments of ≤{entry_mb} MiB) "
          f"in {built:.1f} s ({size / MIB / built:,.0f} MiB/s, read back included)")  # fmt: skip

    opened = min((child("open", path) for _ in range(repeat)), key=lambda r: r["seconds"])
    verified = min((child("verify", path) for _ in range(repeat)), key=lambda r: r["seconds"])
    ours = size / MIB / opened["seconds"]
    print(f"[big] SnapshotReader (verify + unwrap + meta): {opened['seconds']:.2f} s = {ours:,.0f} MiB/s, "
          f"peak RSS {opened['maxrss_mb']:.0f} MB (goal ≤ 150 MB)")  # fmt: skip
    print(f"[big] read_manifest (verify only):           {verified['seconds']:.2f} s = "
          f"{size / MIB / verified['seconds']:,.0f} MiB/s, peak RSS {verified['maxrss_mb']:.0f} MB")  # fmt: skip
    if age is None:
        print("[big] age is not installed: no baseline (apt-get install age)")
        return
    key = tmp / "identity"
    key.write_bytes(unwrap_identity(path, passphrase))
    key.chmod(0o600)
    files = extract_entries(path, tmp)
    cipher = sum(f.stat().st_size for f in files)
    age_s = min(time_age(age, key, files) for _ in range(repeat))
    theirs = cipher / MIB / age_s
    print(f"[big] age -d, {len(files)} entries:                 {age_s:.2f} s = {theirs:,.0f} MiB/s")
    print(f"[big] ratio opening / age -d throughput: {ours / theirs:.2f}× (goal ≥ 0.7×); "
          f"verify only: {size / MIB / verified['seconds'] / theirs:.2f}×")  # fmt: skip


def make_pdf(pages: int, image_px: int) -> bytes:
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rng = random.Random(50)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for page in range(1, pages + 1):
        c.setFont("Helvetica", 11)
        for line in range(1, 46):
            c.drawString(50, 800 - line * 16, f"Page {page}, line {line}: technical plan, test data for the benchmark.")
        w, h = image_px, image_px * 3 // 4
        c.drawImage(ImageReader(Image.frombytes("RGB", (w, h), rng.randbytes(w * h * 3))), 300, 60, 240, 180)
        c.showPage()
    c.save()
    return buf.getvalue()


def first_page_renderer():
    """render(pdf_bytes) -> page count, via QtPdf offscreen; None without PySide6."""
    try:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
        from PySide6.QtGui import QGuiApplication
        from PySide6.QtPdf import QPdfDocument
    except ImportError:
        return None
    app = QGuiApplication.instance() or QGuiApplication([])

    def render(pdf: bytes) -> int:
        data = QByteArray(pdf)  # keep a reference: QBuffer does not own it
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        doc = QPdfDocument()
        doc.load(buffer)
        image = doc.render(0, QSize(1240, 1754))  # A4 at 150 dpi
        assert not image.isNull()
        return doc.pageCount()

    render.app = app  # type: ignore[attr-defined]  # keep the application alive
    return render


def bench_first_page(tmp: Path, pages: int, image_px: int, repeat: int) -> None:
    pdf = make_pdf(pages, image_px)
    plain = tmp / "plan.pdf"
    plain.write_bytes(pdf)
    passphrase = keys.generate_passphrase()
    path = tmp / "pdf.qbsnap"
    with writer(path, passphrase) as w:
        entry = w.add_attachment(io.BytesIO(pdf))
        w.write_meta({"applications": [], "files": [entry]})
    render = first_page_renderer()
    runs = max(5, repeat)
    with SnapshotReader(path, passphrase) as reader:
        decrypt = min(_timed(lambda: reader.read_attachment(entry)) for _ in range(runs))
        baseline = min(_timed(plain.read_bytes) for _ in range(runs))
        assert reader.read_attachment(entry) == pdf
    print(f"[page] {pages}-page PDF, {len(pdf) / MIB:.1f} MiB: read_attachment {decrypt * 1000:.0f} ms "
          f"vs reading the plain file {baseline * 1000:.1f} ms")  # fmt: skip
    if render is None:
        print(f"[page] QtPdf not installed: first page = decrypt only, {decrypt * 1000:.0f} ms (goal ≤ 150 ms)")
        return
    assert render(pdf) == pages
    shown = min(_timed(lambda: render(pdf)) for _ in range(runs))
    total, base = decrypt + shown, baseline + shown
    print(f"[page] first page shown (decrypt + QtPdf render of page 1): {total * 1000:.0f} ms (goal ≤ 150 ms); "
          f"from the plain file: {base * 1000:.0f} ms; ratio {total / base:.2f}×")  # fmt: skip


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=2048, help="attachment bytes in the big snapshot (MiB)")
    parser.add_argument("--entry-mb", type=int, default=128, help="size of each attachment (MiB)")
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--image-px", type=int, default=200, help="width of the noise image on each PDF page")
    parser.add_argument("--repeat", type=int, default=2, help="best of N")
    parser.add_argument("--tmp", type=Path, default=Path("/tmp"))
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child[0], Path(args.child[1]))
        return
    tmp = Path(tempfile.mkdtemp(prefix="qbdesk-bench-snapshot-", dir=args.tmp))
    try:
        if not args.skip_big:
            bench_big(tmp, args.size_mb, args.entry_mb, args.repeat)
        bench_first_page(tmp, args.pages, args.image_px, args.repeat)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
