"""Panel agreement (评审一致性): ICC(2,k) and Kendall's W over one program's totals.

Shown to the coordinator, never applied to a result. The input is a program's matrix of totals,
application -> {counted expert -> total} (:meth:`ProgramAggregate.totals_matrix`).

Both statistics need a complete block: every chosen expert scored every chosen application. A
program whose whole panel scores everything is complete already; with k experts per application
out of a larger panel, :func:`complete_block` finds one greedily (docs/results.md):

1. start with every expert (the block is the applications all of them scored) and repeatedly drop
   the expert whose removal leaves the most complete applications (ties: the expert who scored
   fewer applications, then the larger id), down to two experts;
2. start with the pair of experts who share the most applications (ties: the smaller ids) and
   repeatedly add the expert who shares the most of the block's applications (ties: the smaller
   id), while at least two applications remain;
3. of all the blocks met on the way with at least 2 applications and 2 experts, keep the one with
   the most cells (applications × experts), ties to more experts, then the one met first.

Each statistic says how many applications and experts it rests on, and is ``None`` with a reason
when it cannot be computed (fewer than 2 of either, or no variance at all).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from qbdesk.domain.messages import Msg

Matrix = Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class Statistic:
    name: str  # "icc2k" | "kendall_w"
    value: float | None
    applications: int
    experts: int
    reason: Msg | None = None  # why value is None

    def to_data(self) -> dict:
        return {"value": self.value, "applications": self.applications, "experts": self.experts,
                "reason": None if self.reason is None else {"zh": self.reason.zh, "en": self.reason.en}}


@dataclass(frozen=True)
class Block:
    applications: tuple[str, ...]
    experts: tuple[str, ...]
    values: np.ndarray  # applications × experts


def dense(matrix: Matrix) -> tuple[list[str], list[str], np.ndarray]:
    """(application ids, expert ids, values with NaN where an expert did not score), both id lists sorted."""
    apps = sorted(matrix)
    experts = sorted({e for row in matrix.values() for e in row})
    col = {e: j for j, e in enumerate(experts)}
    x = np.full((len(apps), len(experts)), np.nan)
    for i, a in enumerate(apps):
        for e, v in matrix[a].items():
            x[i, col[e]] = v
    return apps, experts, x


def complete_block(matrix: Matrix) -> Block:
    """The complete block the statistics rest on (see the module's docstring); may be empty."""
    apps, experts, x = dense(matrix)
    have = ~np.isnan(x)
    scored = have.sum(axis=0)
    m = len(experts)
    best: tuple[tuple[int, int, int], list[int], np.ndarray] | None = None
    order = 0

    def consider(cols: list[int], rows: np.ndarray) -> None:
        nonlocal best, order
        n = int(rows.sum())
        if n >= 2 and len(cols) >= 2:
            score = (n * len(cols), len(cols), -order)
            if best is None or score > best[0]:
                best = (score, sorted(cols), rows)
        order += 1

    # 1. from every expert, drop the one whose removal leaves the most complete applications
    keep = list(range(m))
    while len(keep) >= 2:
        rows = have[:, keep].all(axis=1)
        consider(keep, rows)
        if len(keep) == 2 or (best is not None and best[0][0] >= len(apps) * (len(keep) - 1)):
            break  # no smaller set of experts can give more cells
        missing = (~have[:, keep]).sum(axis=1)
        after = int((missing == 0).sum()) + ((missing == 1)[:, None] & ~have[:, keep]).sum(axis=0)
        # most complete applications after the drop, then fewer scored, then the larger id
        keep.pop(max(range(len(keep)), key=lambda j: (after[j], -scored[keep[j]], keep[j])))
    # 2. from the pair that shares the most applications, add the expert who keeps the most
    if m >= 2:
        h = have.astype(np.int64)
        shared = h.T @ h
        np.fill_diagonal(shared, -1)
        i, j = np.unravel_index(int(np.argmax(shared)), shared.shape)  # the first best pair
        cols, rows = [int(i), int(j)], have[:, i] & have[:, j]
        consider(cols, rows)
        while len(cols) < m:
            rest = [e for e in range(m) if e not in cols]
            counts = (rows[:, None] & have[:, rest]).sum(axis=0)
            pick = int(np.argmax(counts))  # the first of equal counts: the smaller id
            if counts[pick] < 2:
                break
            cols, rows = [*cols, rest[pick]], rows & have[:, rest[pick]]
            consider(cols, rows)
    if best is None:
        return Block((), (), np.empty((0, 0)))
    _, cols, rows = best
    idx = np.flatnonzero(rows)
    return Block(tuple(apps[i] for i in idx), tuple(experts[j] for j in cols), x[np.ix_(idx, cols)])


def _too_small(name: str, n: int, k: int) -> Statistic:
    return Statistic(name, None, n, k, Msg(
        f"数据不足：完整评分的申报 {n} 个、专家 {k} 位（各至少需要 2）",
        f"not enough data: {n} application{'s' if n != 1 else ''} and {k} expert{'s' if k != 1 else ''} "
        "with complete scores (at least 2 of each are needed)"))


def icc2k_values(x: np.ndarray) -> float | None:
    """ICC(2,k) of a complete n × k array (Shrout & Fleiss 1979; McGraw & Wong's ICC(A,k)).

    (BMS − EMS) / (BMS + (JMS − EMS) / n), from the two-way ANOVA without replication.
    None when the denominator is zero (no variance at all).
    """
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_err = ((x - grand) ** 2).sum() - ss_rows - ss_cols
    bms, jms, ems = ss_rows / (n - 1), ss_cols / (k - 1), ss_err / ((n - 1) * (k - 1))
    denom = bms + (jms - ems) / n
    if not denom > 1e-12 * max(1.0, abs(grand)) ** 2:
        return None
    return float((bms - ems) / denom)


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (1 = lowest) down each column, ties sharing the mean of their ranks."""
    out = np.empty_like(x, dtype=float)
    n = x.shape[0]
    for j in range(x.shape[1]):
        col = x[:, j]
        order = np.argsort(col, kind="mergesort")
        ranks = np.empty(n)
        ranks[order] = np.arange(1, n + 1)
        uniq, inverse = np.unique(col, return_inverse=True)
        sums = np.bincount(inverse, weights=ranks)
        counts = np.bincount(inverse)
        out[:, j] = (sums / counts)[inverse]
    return out


def kendall_w_values(x: np.ndarray) -> float | None:
    """Kendall's W of a complete n × m array (n applications ranked by m experts), tie-corrected.

    W = 12 S / (m² (n³ − n) − m Σ_j Σ (t³ − t)), t the sizes of each expert's tie groups.
    None when every expert tied every application (the denominator is zero).
    """
    n, m = x.shape
    r = _ranks(x)
    s = ((r.sum(axis=1) - m * (n + 1) / 2) ** 2).sum()
    ties = 0.0
    for j in range(m):
        _, counts = np.unique(x[:, j], return_counts=True)
        ties += float((counts ** 3 - counts).sum())
    denom = m * m * (n ** 3 - n) - m * ties
    if denom <= 0:
        return None
    return float(12 * s / denom)


def icc2k(matrix: Matrix, block: Block | None = None) -> Statistic:
    block = block if block is not None else complete_block(matrix)
    n, k = len(block.applications), len(block.experts)
    if n < 2 or k < 2:
        return _too_small("icc2k", n, k)
    v = icc2k_values(block.values)
    if v is None:
        return Statistic("icc2k", None, n, k, Msg("所有分数相同，无法计算", "every total is the same: nothing to compute"))
    return Statistic("icc2k", v, n, k)


def kendall_w(matrix: Matrix, block: Block | None = None) -> Statistic:
    block = block if block is not None else complete_block(matrix)
    n, k = len(block.applications), len(block.experts)
    if n < 2 or k < 2:
        return _too_small("kendall_w", n, k)
    v = kendall_w_values(block.values)
    if v is None:
        return Statistic("kendall_w", None, n, k, Msg("每位专家对所有申报的排序都相同（全部并列），无法计算",
                                                      "every expert tied every application: nothing to compute"))
    return Statistic("kendall_w", v, n, k)


@dataclass(frozen=True)
class Agreement:
    icc: Statistic
    kendall_w: Statistic
    block: Block


def agreement(matrix: Matrix) -> Agreement:
    """Both statistics of one program, on the same complete block."""
    block = complete_block(matrix)
    return Agreement(icc2k(matrix, block), kendall_w(matrix, block), block)
