"""Reading score files for an import, ahead of the merge (``services.scores``): each file read,
decrypted and verified, and its scores checked against the snapshot it names and packed into score
sheets, all without the database (``Reader``), from the round as loaded before the batch.

In a batch of several files this runs in worker processes, forked with the reader, while the files
before are merged (``opened_in_order``); a worker sends back the packed sheets, not 3,600 score
objects. Fewer files, another platform, or a process with other threads read here, serially.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qbdesk.domain.messages import Msg
from qbdesk.formats import scorefile
from qbdesk.formats.regular import FileRefused, read_regular
from qbdesk.formats.scorefile import ScoreFileError, read_score_file
from qbdesk.services.score_checks import Rejection, check_scores, reject
from qbdesk.services.workers import fork_context as _fork_context  # a name of this module: tests replace it
from qbdesk.services.workers import ignore_interrupts, stop_pool
from qbdesk.store import score_sheets

if TYPE_CHECKING:
    from qbdesk.services.scores import RoundContext


@dataclass(frozen=True)
class Checked:
    """A file's scores checked against the snapshot it names (``check_scores``) and packed into
    score sheets; or why they do not fit it. Picklable and small: what a worker sends back in place
    of the file's 3,600 score objects."""

    snapshot_id: str
    sheets: list[tuple[int, str]] = field(default_factory=list)  # (application id, entries): score_sheets.pack
    recusals: list[tuple[Any, ...]] = field(default_factory=list)  # RECUSAL_COLUMNS
    values: int = 0
    rejection: tuple[str, Msg] | None = None

    @property
    def scored(self) -> set[int]:
        return {app_id for app_id, _ in self.sheets}


def check(rnd: RoundContext, snapshot_id: str, codes: dict[str, Any], items: dict[str, Any] | None,
           data: dict[str, Any]) -> Checked:
    try:
        checked = check_scores(data, rnd.contexts_of(snapshot_id, codes, items))
    except Rejection as r:
        return Checked(snapshot_id, rejection=(r.code, r.msg))
    return Checked(snapshot_id, score_sheets.pack(checked.scores), checked.recusals, len(checked.scores))


@dataclass(frozen=True)
class Opened:
    """One file read and verified on its own (no database), as merging needs it; picklable."""

    content: bytes = b""
    data: dict[str, Any] | None = None  # score.json without edit_log (its chain is verified; not merged),
    # and without scores when ``checked`` holds them
    digest: str | None = None
    fingerprint: str | None = None
    rejection: tuple[str, Msg] | None = None  # code and why, when the file itself is unusable
    checked: Checked | None = None  # the scores checked against the snapshot the file names, as the round was loaded


def _read(path: Path, max_payload: int) -> bytes:
    try:
        return read_regular(path, scorefile.max_file_bytes(max_payload))
    except FileRefused as e:
        code = "too_large" if e.code == "too_large" else "unreadable"
        if code == "too_large":
            raise reject(code, f"{e.msg.zh}（本批次的快照能容纳的评分至多 {max_payload} 字节）",
                         f"{e.msg.en} (this round's snapshots hold at most {max_payload} bytes of scores)") from None
        raise reject(code, e.msg.zh, e.msg.en) from None


@dataclass(frozen=True)
class Reader:
    """Reads, decrypts and verifies one file at a time, and checks its scores against the snapshot
    it names, as far as that needs no database: ``rnd`` as loaded before the batch, with every
    snapshot's maps (``RoundContext.load_snapshot_maps``). In a batch it runs in worker processes,
    forked with it; the merge then checks that the snapshot's maps are still those
    (``scores._checked_now``)."""

    identity: str
    max_payload: int
    rnd: RoundContext

    def scores(self, content: bytes) -> dict[str, Any]:
        """score.json again, from bytes already verified once (the rare case that the merge needs them)."""
        return read_score_file(content, receiving_identity=self.identity, max_payload=self.max_payload).data

    def open(self, path: Path) -> Opened:
        """At most ``max_payload`` bytes of score.json are ever decrypted."""
        try:
            content = _read(path, self.max_payload)
            score = read_score_file(content, receiving_identity=self.identity, max_payload=self.max_payload)
        except Rejection as r:
            return Opened(rejection=(r.code, r.msg))
        except ScoreFileError as e:
            return Opened(rejection=(e.code, e.msg))
        data = {k: v for k, v in score.data.items() if k != "edit_log"}  # half the bytes to send back
        sid = data["snapshot_id"]
        maps = self.rnd.snapshot_maps.get(sid) if isinstance(sid, str) else None
        if maps is None:  # not a snapshot of the round as loaded: the merge says what is wrong
            return Opened(content, data, score.digest, score.fingerprint)
        checked = check(self.rnd, sid, *maps, data)
        del data["scores"]  # the other half: checked holds them, packed
        return Opened(content, data, score.digest, score.fingerprint, checked=checked)


_READER: Reader | None = None  # in a worker process: the batch's reader, inherited when it was forked


def _open_in_worker(path: Path) -> Opened:
    assert _READER is not None
    return _READER.open(path)


PARALLEL_FROM = 4  # fewer files are read here: starting workers would cost more than it saves


def _worker_start(reader: Reader) -> None:
    """Workers yield the CPU to this process: the merge here is what the batch waits for."""
    global _READER
    _READER = reader  # forked: the reader (and its round) is this process's copy, never pickled
    ignore_interrupts()
    try:
        os.nice(10)
    except OSError:
        pass


def _start_pool(workers: int, reader: Reader) -> ProcessPoolExecutor | None:
    context = _fork_context()
    if context is None:
        return None
    try:
        return ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_start, initargs=(reader,))
    except (OSError, ValueError):
        return None


AHEAD_FILES, AHEAD_BYTES = 32, 64 * 1024 * 1024  # read ahead of the merge: at most so many files, so many bytes


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # the reader says what is wrong with it
        return 0


def opened_in_order(paths: list[Path], reader: Reader, workers: int) -> Iterator[Opened]:
    """Each path read and verified, in order. With workers, files ahead are read in worker
    processes meanwhile: two per worker, and more while they are small (``AHEAD_FILES``,
    ``AHEAD_BYTES``), so the workers go on while a commit waits for the disk, and memory does not
    grow with the batch. If the pool cannot start or breaks, the rest are read here."""
    workers = min(workers, len(paths))
    pool = _start_pool(workers, reader) if workers > 0 and len(paths) >= PARALLEL_FROM else None
    if pool is None:
        yield from map(reader.open, paths)
        return
    ahead: deque[tuple[Future[Opened], int]] = deque()
    queue = iter(paths)
    in_flight = done = 0

    def fill() -> None:
        nonlocal in_flight
        while len(ahead) < 2 * workers or (len(ahead) < AHEAD_FILES and in_flight < AHEAD_BYTES):
            following = next(queue, None)
            if following is None:
                return
            size = _size(following)
            ahead.append((pool.submit(_open_in_worker, following), size))  # the first submit forks the workers
            in_flight += size

    finished = broken = False
    try:
        fill()
        while ahead:
            future, size = ahead.popleft()
            opened = future.result()
            in_flight -= size
            fill()
            done += 1
            yield opened
        finished = True
    except BrokenProcessPool:  # a worker died (out of memory?): read what is left here
        finished = broken = True
    finally:  # interrupted, or the merge failed and closed this: the workers are ended at once
        stop_pool(pool, abandon=not finished)
    if broken:
        yield from map(reader.open, paths[done:])


@contextlib.contextmanager
def long_lived_frozen() -> Iterator[None]:
    """The cyclic collector leaves what existed before the batch alone until it ends: each file's
    parse and merge allocate thousands of containers, and every full collection would walk the
    whole heap again. Forked workers share those objects' pages, which a collection would copy.
    Meanwhile the youngest generation is collected every 50,000 new containers rather than 700: a
    file's parse (its 7,200 dicts hold no cycles) would otherwise set off a dozen collections, about
    4 % of reading it; the workers forked here inherit the setting."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], 50_000), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
