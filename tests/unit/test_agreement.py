"""Agreement (ICC(2,k), Kendall's W), leniency and calibration, checked against pingouin and scipy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    pg = pytest.importorskip("pingouin")
st = pytest.importorskip("scipy.stats")
linalg = pytest.importorskip("scipy.linalg")

from qbdesk.domain.agreement import (  # noqa: E402
    agreement,
    complete_block,
    icc2k_values,
    kendall_w_values,
)
from qbdesk.domain.calibration import calibrate  # noqa: E402

# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges; ICC(2,1) = .29, ICC(2,k) = .62.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)


def as_matrix(x: np.ndarray) -> dict[str, dict[str, float]]:
    return {f"A{i:03d}": {f"E{j:02d}": float(x[i, j]) for j in range(x.shape[1]) if not np.isnan(x[i, j])}
            for i in range(x.shape[0])}


def long(x: np.ndarray):
    return pd.DataFrame([(i, j, x[i, j]) for i in range(x.shape[0]) for j in range(x.shape[1])],
                        columns=["target", "rater", "score"])


def pingouin_icc2k(x: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = pg.intraclass_corr(long(x), targets="target", raters="rater", ratings="score")
    return float(t.set_index("Type").loc["ICC(A,k)" if "ICC(A,k)" in set(t["Type"]) else "ICC2k", "ICC"])


def scipy_kendall_w(x: np.ndarray) -> float:
    """W from scipy's tie-corrected Friedman statistic: W = χ²_F / (m (n − 1))."""
    n, m = x.shape
    return float(st.friedmanchisquare(*x).statistic / (m * (n - 1)))


def random_panel(rng: np.random.Generator, n: int, m: int, ties: bool = False) -> np.ndarray:
    quality = rng.normal(70, 8, size=(n, 1))
    lenient = rng.normal(0, 3, size=(1, m))
    x = quality + lenient + rng.normal(0, 4, size=(n, m))
    return np.round(x) if ties else np.round(x * 2) / 2


def test_icc2k_is_shrout_and_fleiss_table_value_and_pingouin():
    assert icc2k_values(SHROUT_FLEISS) == pytest.approx(0.62, abs=0.005)
    assert icc2k_values(SHROUT_FLEISS) == pytest.approx(pingouin_icc2k(SHROUT_FLEISS), abs=1e-12)
    a = agreement(as_matrix(SHROUT_FLEISS))
    assert (a.icc.value, a.icc.applications, a.icc.experts) == (pytest.approx(0.6200505, abs=1e-6), 6, 4)


@pytest.mark.parametrize("seed", range(6))
def test_icc2k_and_kendall_w_against_pingouin_and_scipy(seed):
    rng = np.random.default_rng(seed)
    x = random_panel(rng, n=int(rng.integers(5, 40)), m=int(rng.integers(3, 8)), ties=seed % 2 == 0)
    assert icc2k_values(x) == pytest.approx(pingouin_icc2k(x), abs=1e-10)
    assert kendall_w_values(x) == pytest.approx(scipy_kendall_w(x), abs=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w_pg = pg.friedman(long(x), dv="score", within="target", subject="rater")["W"].iloc[0]
    assert kendall_w_values(x) == pytest.approx(w_pg, abs=1e-10)


def test_kendall_w_tie_correction_matters_and_matches_scipy():
    x = np.array([[1, 1, 2], [1, 2, 2], [3, 3, 2], [4, 4, 1]], float)  # raters with ties
    assert kendall_w_values(x) == pytest.approx(scipy_kendall_w(x), abs=1e-12)
    assert kendall_w_values(np.array([[1, 1], [2, 2], [3, 3]], float)) == pytest.approx(1.0)


def test_not_enough_data_is_none_with_a_reason():
    one_expert = agreement({"A1": {"E1": 70}, "A2": {"E1": 80}})
    assert one_expert.icc.value is None and one_expert.kendall_w.value is None
    assert "数据不足" in one_expert.icc.reason.zh and "not enough data" in one_expert.icc.reason.en
    one_app = agreement({"A1": {"E1": 70, "E2": 80}})
    assert one_app.icc.value is None and one_app.icc.applications == 0
    flat = agreement({"A1": {"E1": 70, "E2": 70}, "A2": {"E1": 70, "E2": 70}})
    assert flat.icc.value is None and flat.kendall_w.value is None
    assert (flat.icc.applications, flat.icc.experts) == (2, 2)
    assert "相同" in flat.icc.reason.zh and "tied" in flat.kendall_w.reason.en
    assert agreement({}).icc.value is None


def test_the_complete_block_of_an_incomplete_design():
    """E4 scored only two applications: dropping E4 leaves all 6 complete for E1–E3 (18 cells)."""
    x = SHROUT_FLEISS.copy()
    x[2:, 3] = np.nan
    b = complete_block(as_matrix(x))
    assert b.experts == ("E00", "E01", "E02") and len(b.applications) == 6
    a = agreement(as_matrix(x))
    assert (a.icc.applications, a.icc.experts) == (6, 3)
    assert a.icc.value == pytest.approx(pingouin_icc2k(SHROUT_FLEISS[:, :3]), abs=1e-12)
    assert a.kendall_w.value == pytest.approx(scipy_kendall_w(SHROUT_FLEISS[:, :3]), abs=1e-12)


def test_the_complete_block_of_k_per_application():
    """3 of 6 experts per application: the block is the largest one the greedy search meets."""
    rng = np.random.default_rng(7)
    full = random_panel(rng, 60, 6)
    x = np.full_like(full, np.nan)
    for i in range(60):
        cols = rng.choice(6, 3, replace=False)
        x[i, cols] = full[i, cols]
    b = complete_block(as_matrix(x))
    assert len(b.experts) >= 2 and len(b.applications) >= 2
    assert not np.isnan(b.values).any()
    rows = [int(a[1:]) for a in b.applications]
    cols = [int(e[1:]) for e in b.experts]
    assert np.array_equal(b.values, x[np.ix_(rows, cols)])
    # no pair of experts shares more applications than the block has cells over its experts
    best_pair = max(int((~np.isnan(x[:, [i, j]])).all(axis=1).sum()) for i in range(6) for j in range(i + 1, 6))
    assert len(b.applications) * len(b.experts) >= 2 * best_pair


# ---------------------------------------------------------------- leniency and offsets


def others_z(x: np.ndarray, i: int, j: int) -> float | None:
    row = x[i]
    others = np.array([row[k] for k in range(len(row)) if k != j and not np.isnan(row[k])])
    if len(others) < 2 or st.tstd(others) == 0:
        return None
    return float((row[j] - st.tmean(others)) / st.tstd(others))


@pytest.mark.parametrize("gaps", [False, True])
def test_mean_z_against_scipy(gaps):
    rng = np.random.default_rng(3)
    x = random_panel(rng, 30, 5)
    if gaps:
        x[rng.random(x.shape) < 0.3] = np.nan
    cal = calibrate(as_matrix(x))
    for j in range(5):
        zs = [z for i in range(30) if not np.isnan(x[i, j]) and (z := others_z(x, i, j)) is not None]
        e = cal.experts[f"E{j:02d}"]
        assert e.z_applications == len(zs)
        assert e.mean_z == pytest.approx(float(np.mean(zs)), abs=1e-9)
        assert e.scored == int((~np.isnan(x[:, j])).sum())


def lstsq_offsets(x: np.ndarray) -> np.ndarray:
    """The additive model by scipy's least squares on the full design matrix, centred afterwards."""
    n, m = x.shape
    cells = [(i, j) for i in range(n) for j in range(m) if not np.isnan(x[i, j])]
    design = np.zeros((len(cells), n + m))
    for r, (i, j) in enumerate(cells):
        design[r, i] = design[r, n + j] = 1
    sol, *_ = linalg.lstsq(design, np.array([x[i, j] for i, j in cells]))
    o = sol[n:]
    return o - o.mean()


def test_offsets_match_scipy_least_squares_on_a_connected_incomplete_design():
    rng = np.random.default_rng(11)
    true = np.array([4.0, -2.0, 0.0, -3.0, 1.0])
    x = np.round(rng.normal(70, 8, (40, 1)) + true + rng.normal(0, 1, (40, 5)), 1)
    x[rng.random(x.shape) < 0.4] = np.nan
    x[0, :] = 70 + true  # keeps every expert connected
    cal = calibrate(as_matrix(x))
    assert cal.components == 1
    got = np.array([cal.experts[f"E{j:02d}"].offset for j in range(5)])
    assert got == pytest.approx(lstsq_offsets(x), abs=1e-7)
    assert got.sum() == pytest.approx(0, abs=1e-8)
    assert got == pytest.approx(true - true.mean(), abs=1.0)  # the model finds the planted leniency
    for i in range(40):
        for j in range(5):
            if not np.isnan(x[i, j]):
                assert cal.calibrated[f"A{i:03d}"][f"E{j:02d}"] == pytest.approx(x[i, j] - got[j], abs=1e-7)


def test_disconnected_components_each_sum_to_zero_and_a_lone_expert_has_no_offset():
    m = {
        "A1": {"E1": 80, "E2": 70}, "A2": {"E1": 60, "E2": 56},  # component 1: E1 and E2
        "A3": {"E3": 90, "E4": 84}, "A4": {"E3": 75, "E4": 75},  # component 2: E3 and E4
        "A5": {"E5": 66},  # E5 alone
    }
    cal = calibrate(m)
    e = cal.experts
    assert cal.components == 3 and [e[k].component for k in ("E1", "E2", "E3", "E4", "E5")] == [1, 1, 2, 2, 3]
    assert (e["E1"].offset, e["E2"].offset) == (3.5, -3.5)  # differences 10 and 4: mean 7, halved
    assert (e["E3"].offset, e["E4"].offset) == (1.5, -1.5)
    assert e["E5"].offset is None and "no offset" in e["E5"].reason.en
    assert cal.calibrated["A5"] == {"E5": 66} and cal.calibrated["A1"] == {"E1": 76.5, "E2": 73.5}
    assert cal.quality["A1"] == 75
    assert e["E1"].mean_z is None and "z" in e["E1"].reason.en  # only one other expert per application


def test_plain_data():
    a = agreement(as_matrix(SHROUT_FLEISS))
    assert a.icc.to_data() == {"value": a.icc.value, "applications": 6, "experts": 4, "reason": None}
    none = agreement({"A1": {"E1": 70}}).kendall_w.to_data()
    assert none["value"] is None and "not enough data" in none["reason"]["en"]
    e = calibrate(as_matrix(SHROUT_FLEISS)).experts["E00"].to_data()
    assert (e["expert"], e["scored"], e["offset"], e["component"]) == ("E00", 6, 2.375, 1)
