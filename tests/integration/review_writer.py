"""The child process of the durability test: applies seeded changes, printing each once it returned.

``python -m tests.integration.review_writer HOME SEED`` loads the workspace in HOME, then makes
the changes of :func:`changes` one after another through ``set_value``/``set_note``, printing
``saved N`` (flushed) after each call returned, until it is killed. ``COMPACT_EVERY`` is small
so that kills also land inside compactions.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator

from qbdesk.services.reviewer import ReviewWorkspace, store
from tests.unit.review_snapshot import PASSPHRASE

COMPACT_EVERY = 7


def changes(ws: ReviewWorkspace, seed: int) -> Iterator[tuple]:
    """("value", code, criterion, value) or ("note", code, text), forever, the same for a seed."""
    rng = random.Random(seed)
    scores = [(a.code, c) for a in ws.applications for c in ws.rubric(a.code).criteria if c.kind == "score"]
    codes = [a.code for a in ws.applications]
    n = 0
    while True:
        n += 1
        if n % 5 == 0:
            yield ("note", rng.choice(codes), f"笔记 {seed}-{n}：" + "再看一遍" * rng.randint(1, 40))
            continue
        code, c = rng.choice(scores)
        steps = int(c.max / c.step)
        yield ("value", code, c.id, rng.randint(int(steps * 0.3), int(steps * 0.7)) * c.step)


def apply_change(ws: ReviewWorkspace, change: tuple) -> None:
    if change[0] == "note":
        ws.set_note(change[1], change[2])
    else:
        ws.set_value(change[1], change[2], change[3])


def main(home: str, seed: int) -> None:
    store.COMPACT_EVERY = COMPACT_EVERY
    with ReviewWorkspace.load(home, PASSPHRASE) as ws:
        print("ready", flush=True)
        for n, change in enumerate(changes(ws, seed), start=1):
            apply_change(ws, change)
            print(f"saved {n}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
