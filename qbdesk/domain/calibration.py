"""Expert leniency and calibration (评分宽严度与校准): shown beside the raw figures, never applied.

The input is one program's matrix of totals, application -> {counted expert -> total}.

**Leniency** (mean z). For each application an expert scored together with at least two others,
z = (their total − the others' mean) / the others' sample standard deviation (n − 1); an
application where the others all gave the same total (deviation 0) is left out. The expert's
``mean_z`` is the mean of these z; above 0 is lenient (宽), below 0 harsh (严); ``None`` when no
application qualifies.

**Offset**. The additive model total(a, e) = quality(a) + offset(e) + noise, fitted by least
squares over the experts and applications connected through shared applications. Eliminating the
qualities leaves the normal equations C·o = r with C = diag(nₑ) − Σₐ (1/kₐ) 1_{E(a)} 1_{E(a)}ᵀ and
rₑ = Σ_{a∈A(e)} (total(a, e) − mean(a)); C is singular once per connected component (adding the
same constant to a component's offsets and subtracting it from its qualities fits equally well),
so the model is identified by **the offsets of each connected component summing to zero**, solved
as (C + Σ_c 1_c 1_cᵀ)·o = r. Offsets from different components are not comparable: each expert
carries its ``component`` (numbered from 1 in the order of their smallest expert id). An expert
who shares no application with any other forms a component of their own: their offset is
``None`` (not identifiable) and their calibrated totals equal the raw ones.

**Calibrated total** = raw total − the expert's offset, beside the raw one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from qbdesk.domain.agreement import Matrix, dense
from qbdesk.domain.messages import Msg

_ALONE = Msg("该专家与其他专家没有共同评审的申报，无法估计偏移", "this expert shares no application with another: no offset can be estimated")
_NO_Z = Msg("没有与至少两位其他专家（且其他专家分数不全相同）共同评审的申报，无法计算 z 分数",
            "no application scored with at least two others whose totals differ: no z-score")


@dataclass(frozen=True)
class ExpertCalibration:
    expert: str
    scored: int  # applications in the matrix
    mean_z: float | None
    z_applications: int  # applications the mean z rests on
    offset: float | None
    component: int
    reason: Msg | None = None  # why mean_z or offset is None

    def to_data(self) -> dict:
        return {"expert": self.expert, "scored": self.scored, "mean_z": self.mean_z,
                "z_applications": self.z_applications, "offset": self.offset, "component": self.component,
                "reason": None if self.reason is None else {"zh": self.reason.zh, "en": self.reason.en}}


@dataclass(frozen=True)
class Calibration:
    experts: Mapping[str, ExpertCalibration]
    quality: Mapping[str, float]  # application -> estimated quality (in rubric points)
    calibrated: Mapping[str, Mapping[str, float]]  # application -> expert -> raw total − offset
    components: int


def _components(have: np.ndarray) -> np.ndarray:
    """Connected component of each expert (column) through shared applications, numbered from 1."""
    m = have.shape[1]
    parent = list(range(m))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for row in have:
        cols = np.flatnonzero(row)
        if len(cols) > 1:
            root = find(int(cols[0]))
            for j in cols[1:]:
                r = find(int(j))
                if r != root:
                    parent[max(r, root)] = min(r, root)
                    root = min(r, root)
    roots = [find(j) for j in range(m)]
    number: dict[int, int] = {}
    for r in roots:  # columns are in expert id order, so the first seen has the smallest id
        number.setdefault(r, len(number) + 1)
    return np.array([number[r] for r in roots], dtype=int)


def mean_z(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean z per expert with NaN where none, applications per expert) of an array with NaN gaps."""
    have = ~np.isnan(x)
    v = np.where(have, x, 0.0)
    cnt = have.sum(axis=1, keepdims=True).astype(float)
    s, ss = v.sum(axis=1, keepdims=True), (v * v).sum(axis=1, keepdims=True)
    k = cnt - 1  # the others
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_o = (s - v) / k
        var_o = (ss - v * v - k * mean_o * mean_o) / (k - 1)
        scale = np.maximum(1.0, np.abs(mean_o)) ** 2
        ok = have & (k >= 2) & (var_o > 1e-9 * scale)
        z = np.where(ok, (v - mean_o) / np.sqrt(np.where(ok, var_o, 1.0)), 0.0)
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore"):
        mz = np.where(n > 0, z.sum(axis=0) / np.maximum(n, 1), np.nan)
    return mz, n


def offsets(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offset per expert, quality per application, component per expert) by least squares."""
    have = ~np.isnan(x)
    h = have.astype(float)
    k = h.sum(axis=1)
    rows = k > 0
    v = np.where(have, x, 0.0)
    row_mean = np.where(rows, v.sum(axis=1) / np.maximum(k, 1), 0.0)
    r = (h * (v - row_mean[:, None])).sum(axis=0)
    c = np.diag(h.sum(axis=0)) - (h[rows] / k[rows, None]).T @ h[rows]
    comp = _components(have)
    same = (comp[:, None] == comp[None, :]).astype(float)
    o = np.linalg.solve(c + same, r)
    for cid in np.unique(comp):  # the exact constraint, against rounding
        members = comp == cid
        o[members] -= o[members].mean()
    q = np.where(rows, (h * (v - o[None, :])).sum(axis=1) / np.maximum(k, 1), np.nan)
    return o, q, comp


def calibrate(matrix: Matrix) -> Calibration:
    """Leniency, offsets and calibrated totals of one program's experts."""
    apps, experts, x = dense(matrix)
    if not experts:
        return Calibration({}, {}, {a: {} for a in apps}, 0)
    have = ~np.isnan(x)
    mz, zn = mean_z(x)
    o, q, comp = offsets(x)
    sizes = np.bincount(comp)
    out: dict[str, ExpertCalibration] = {}
    for j, e in enumerate(experts):
        alone = sizes[comp[j]] == 1
        z = None if np.isnan(mz[j]) else float(mz[j])
        reason = _ALONE if alone else (_NO_Z if z is None else None)
        out[e] = ExpertCalibration(e, int(have[:, j].sum()), z, int(zn[j]), None if alone else _clean(o[j]),
                                   int(comp[j]), reason)
    applied = np.array([0.0 if out[e].offset is None else o[j] for j, e in enumerate(experts)])
    cal = _clean_array(x - applied[None, :])
    calibrated: dict[str, dict[str, float]] = {a: {} for a in apps}
    for i, j in zip(*np.nonzero(have)):
        calibrated[apps[i]][experts[j]] = float(cal[i, j])
    quality = {a: float(v) for a, v in zip(apps, _clean_array(q)) if not np.isnan(v)}
    return Calibration(out, quality, calibrated, int(comp.max()))


def _clean_array(v: np.ndarray) -> np.ndarray:
    r = np.round(v, 9)
    return np.where(r == 0, 0.0, r)


def _clean(v: float) -> float:
    """Round off the last bits of linear algebra (−1e-15 is 0) without hiding a real figure."""
    r = round(float(v), 9)
    return 0.0 if r == 0 else r
