"""Space-time patterns: Mann-Kendall trend test and emerging hot spot classes."""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy.special import ndtr

from geo.autocorrelation import hot_spots

HOT_PATTERNS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)
PATTERNS = (
    *(f"{p}_hot" for p in HOT_PATTERNS),
    *(f"{p}_cold" for p in HOT_PATTERNS),
    "no_pattern",
    "isolate",
)
_MAX_SEED = 2**32
# Share of time steps that makes a location a persistent (etc.) hot or cold spot.
_MOST = 0.9


@dataclass(frozen=True)
class MannKendall:
    """Mann-Kendall test of a monotone trend in one series.

    Attributes
    ----------
    s : int
        ``S = sum_{i<j} sign(x_j - x_i)``.
    var_s : float
        Variance of S under no trend, corrected for ties.
    z : float
        Normal score of S (with continuity correction unless disabled).
    p : float
        Two-sided p-value ``2 (1 - Phi(|z|))``.
    tau : float
        Kendall's tau-b between the series and time, ``S / sqrt(n0 (n0 - n1))``.
    n : int
        Length of the series.
    """

    s: int
    var_s: float
    z: float
    p: float
    tau: float
    n: int


def mann_kendall(
    y: np.ndarray | pd.Series | list, *, continuity: bool = True
) -> MannKendall:
    """Mann-Kendall trend test of a series observed at equally spaced times.

    Parameters
    ----------
    y : array-like
        The series in time order (at least 3 finite values). Not modified.
    continuity : bool
        Apply the continuity correction ``S - sign(S)`` in ``z`` (the usual
        Mann-Kendall test; Kendall 1975). False gives the plain normal score.

    Returns
    -------
    MannKendall
        ``s``, ``var_s``, ``z``, ``p``, ``tau`` and ``n``.

    Raises
    ------
    ValueError
        If ``y`` is not 1-D numeric, has fewer than 3 values, or holds NaN.

    Notes
    -----
    ``S = sum_{i<j} sign(y_j - y_i)``; under no trend E[S] = 0 and

    ``Var(S) = [n (n-1) (2n+5) - sum_t t (t-1) (2t+5)] / 18``

    with ``t`` the size of each group of tied values. ``z = (S - sign(S)) /
    sqrt(Var(S))`` and ``p = 2 (1 - Phi(|z|))``.

    S is Kendall's rank correlation between ``y`` and time, unnormalised:
    time has no ties, so ``scipy.stats.kendalltau(range(n), y)`` gives tau-b
    ``= S / sqrt(n0 (n0 - n1))`` (``n0 = n (n-1) / 2``, ``n1`` the tied pairs of
    ``y``) and, with ``method="asymptotic"``, the same tie-corrected variance, so
    its p-value equals ``mann_kendall(y, continuity=False).p``. It is written
    out here because scipy offers no continuity correction, and vectorised over
    many series in :func:`classify_emerging`.

    Examples
    --------
    A rising series of 5: all 10 pairs increase, S = 10, Var(S) = 5 * 4 * 15 / 18
    = 16.667, z = 9 / 4.082 = 2.2045, p = 0.0275.

    >>> r = mann_kendall([1.0, 2.0, 3.0, 4.0, 5.0])
    >>> r.s, round(r.var_s, 3), round(r.z, 4), round(r.p, 4)
    (10, 16.667, 2.2045, 0.0275)
    """
    arr = np.asarray(y)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(
            f"y must be a 1-D numeric series; got dtype {arr.dtype} and shape "
            f"{arr.shape}."
        )
    if len(arr) < 3:
        raise ValueError(
            f"the Mann-Kendall test needs at least 3 time steps; got {len(arr)}."
        )
    if not np.isfinite(arr).all():
        raise ValueError(
            f"y holds {int((~np.isfinite(arr)).sum())} NaN or infinite values; "
            "drop or fill them first."
        )
    s, var, z, p, tau = _mann_kendall_rows(arr[None, :].astype(float), continuity)
    return MannKendall(
        s=int(s[0]),
        var_s=float(var[0]),
        z=float(z[0]),
        p=float(p[0]),
        tau=float(tau[0]),
        n=len(arr),
    )


def yearly_hot_spots(
    table: pd.DataFrame,
    graph: Graph,
    *,
    region: str = "region_id",
    time: str = "year",
    value: str = "lq",
    industry: str | None = "industry",
    permutations: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
    correction: str = "fdr",
) -> pd.DataFrame:
    """Getis-Ord Gi* hot spots of every time step (and industry) of a long table.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table, one row per region x time step (x industry). A graph region
        missing at a step counts as 0, as in ``lisa_table``. Not modified.
    graph : libpysal.graph.Graph
        Spatial weights indexed by region id, the same every step.
    region, time, value : str
        Columns of the region id, the time step (sortable, e.g. year) and the
        non-negative analysed number.
    industry : str, optional
        Column of the industry; None when ``table`` holds one variable.
    permutations, alpha, correction
        As in :func:`geo.autocorrelation.hot_spots` (applied per step).
    seed : int, optional
        Base seed; step ``t`` of industry ``k`` uses ``(seed +
        crc32(f"{k}|{t}")) % 2**32``, so a step's result does not depend on the
        other steps or industries.

    Returns
    -------
    pandas.DataFrame
        ``region``, (``industry``,) ``time``, ``gi_z``, ``gi_p``,
        ``gi_p_adjusted``, ``hotspot``, sorted by industry, time and graph order.
        At a step where ``value`` is the same in every region Gi* is undefined:
        its rows get ``gi_z = 0``, ``gi_p = 1`` and ``ns`` (no clustering), and
        the steps are listed in ``frame.attrs["constant_steps"]``.

    Raises
    ------
    TypeError
        If ``table`` is not a DataFrame or ``graph`` not a Graph.
    ValueError
        For missing columns, duplicate rows, non-numeric or negative values,
        regions not in the graph, or invalid options.

    Examples
    --------
    Four squares in a row, one value per square in two years:

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": list("abcd")},
    ...     geometry=[box(i, 0, i + 1, 1) for i in range(4)])
    >>> t = pd.DataFrame({"region_id": list("abcdabcd"), "year": [1] * 4 + [2] * 4,
    ...                   "lq": [1.0, 1.0, 1.0, 5.0, 2.0, 2.0, 2.0, 2.0]})
    >>> hs = yearly_hot_spots(t, build_weights(cells, "rook"), industry=None,
    ...                       permutations=99, seed=1)
    >>> hs.loc[hs["region_id"] == "d", "gi_z"].round(6).tolist()
    [1.0, 0.0]
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"table must be a pandas DataFrame; got {type(table).__name__}."
        )
    if not isinstance(graph, Graph):
        raise TypeError(
            f"graph must be a libpysal.graph.Graph; got {type(graph).__name__}."
        )
    keys = [region, time] + ([industry] if industry else [])
    missing = [c for c in (*keys, value) if c not in table.columns]
    if missing:
        raise ValueError(
            f"table lacks columns {missing}; it has {list(table.columns)[:10]}. "
            "Pass region=, time=, value=, industry= naming them."
        )
    frame = table[[*keys, value]].copy()
    frame[region] = frame[region].astype(str)
    values = pd.to_numeric(frame[value], errors="coerce")
    if values.isna().any():
        bad = frame.loc[values.isna(), region]
        raise ValueError(
            f"table has {len(bad)} missing or non-numeric {value} values (first "
            f"regions: {bad[:5].tolist()}). Fill them first."
        )
    frame[value] = values.astype(float)
    dup = frame.duplicated(keys)
    if dup.any():
        first = frame.loc[dup, keys].head(5).values.tolist()
        raise ValueError(
            f"table has {int(dup.sum())} duplicate rows for {keys} (first: {first}). "
            "Aggregate to one row per key."
        )
    ids = pd.Index([str(i) for i in graph.unique_ids])
    unknown = pd.Index(frame[region].unique()).difference(ids, sort=False)
    if len(unknown):
        raise ValueError(
            f"table has {len(unknown)} regions that are not in the graph (first: "
            f"{unknown[:5].tolist()}). Build the graph on the same regions."
        )
    steps = sorted(frame[time].unique())
    groups = [(None, frame)] if industry is None else frame.groupby(industry, sort=True)
    parts, constant = [], []
    for code, sub in groups:
        wide = sub.pivot(index=region, columns=time, values=value)
        # a region or a whole step missing for this industry counts as 0
        wide = wide.reindex(index=ids, columns=steps).fillna(0.0)
        for step in steps:
            vec = wide[step].to_numpy()
            if float(np.ptp(vec)) == 0.0:
                constant.append(step if industry is None else (code, step))
                out = _undefined_step(graph, ids)
            else:
                out = hot_spots(
                    vec,
                    graph,
                    permutations=permutations,
                    seed=_step_seed(seed, code, step),
                    alpha=alpha,
                    correction=correction,
                )
            out = out.reset_index(drop=True)
            out.insert(0, time, step)
            if industry is not None:
                out.insert(0, industry, code)
            out.insert(0, region, ids.to_numpy())
            parts.append(out)
    result = pd.concat(parts, ignore_index=True)
    result.attrs["constant_steps"] = constant
    return result


def classify_emerging(
    yearly: pd.DataFrame,
    *,
    region: str = "region_id",
    time: str = "year",
    industry: str | None = "industry",
    trend_alpha: float = 0.05,
) -> pd.DataFrame:
    """Emerging hot spot pattern of every region from its series of Gi* results.

    Parameters
    ----------
    yearly : pandas.DataFrame
        One row per region x time step (x industry) with ``gi_z`` and
        ``hotspot`` (``hot_*``, ``cold_*``, ``ns`` or ``isolate``), as
        :func:`yearly_hot_spots` returns. Every region needs every step. Not
        modified.
    region, time : str
        Columns of the region id and the time step (sortable).
    industry : str, optional
        Column of the industry; None for a single variable.
    trend_alpha : float
        Significance level of the Mann-Kendall trend of the Gi* z-scores.

    Returns
    -------
    pandas.DataFrame
        One row per region (x industry): ``region``, (``industry``,) ``n_steps``,
        ``hot_steps``, ``cold_steps``, ``final_hotspot``, ``mk_s``, ``mk_z``,
        ``mk_p``, ``mk_tau``, ``trend`` (``increasing``, ``decreasing``,
        ``none``) and ``pattern`` (one of :data:`PATTERNS`).

    Raises
    ------
    TypeError
        If ``yearly`` is not a DataFrame.
    ValueError
        For missing columns, duplicate rows, regions missing a step, fewer than 3
        steps, unknown ``hotspot`` labels or an invalid ``trend_alpha``.

    Notes
    -----
    Rules after ArcGIS Pro's *How Emerging Hot Spot Analysis works* (wording of
    the Pro 2.8 page, also implemented by R ``sfdep``). ``n`` steps; a step is hot
    (cold) when ``hotspot`` is ``hot_*`` (``cold_*``), i.e. Gi* significant after
    the multiple-testing correction; "most" means at least 90 % of the steps (all
    of them when ``n < 10``). The trend is the Mann-Kendall test of the ``gi_z``
    series: increasing if ``mk_p < trend_alpha`` and ``S > 0``, decreasing if
    ``S < 0``. The first matching rule wins.

    Final step hot:

    1. ``intensifying_hot``: hot in most steps, increasing trend.
    2. ``diminishing_hot``: hot in most steps, decreasing trend.
    3. ``persistent_hot``: hot in most steps, no significant trend.
    4. ``oscillating_hot``: cold in some earlier step (and hot in fewer than 90 %).
    5. ``new_hot``: hot in the final step only (never significant before).
    6. ``consecutive_hot``: one uninterrupted run of at least two hot steps at the
       end, never significant before it.
    7. ``sporadic_hot``: otherwise (hot on and off, never cold).

    Final step cold: the same rules mirrored (``intensifying_cold`` needs a
    decreasing trend, ``diminishing_cold`` an increasing one).

    Final step not significant:

    8. ``historical_hot`` (``historical_cold``): hot (cold) in most steps.
    9. ``sporadic_hot`` (``sporadic_cold``): hot (cold) in some steps and never
       cold (hot).
    10. ``no_pattern``: otherwise (never significant, or both hot and cold).

    Regions without neighbours are ``isolate``. With fewer than 5 steps no trend
    reaches p < 0.05 (at n = 4 the largest z is 1.70), so intensifying and
    diminishing need at least 5 steps; historical needs at least 10.

    Examples
    --------
    Region "r" is hot in all five years with rising z: intensifying.

    >>> y = pd.DataFrame({"region_id": "r", "year": range(2020, 2025),
    ...                   "gi_z": [2.0, 2.5, 3.0, 3.5, 4.0], "hotspot": "hot_99"})
    >>> classify_emerging(y, industry=None)["pattern"].tolist()
    ['intensifying_hot']
    """
    if not isinstance(yearly, pd.DataFrame):
        raise TypeError(
            f"yearly must be a pandas DataFrame; got {type(yearly).__name__}."
        )
    if (
        isinstance(trend_alpha, bool)
        or not isinstance(trend_alpha, int | float | np.floating)
        or not 0 < trend_alpha < 1
    ):
        raise ValueError(
            f"trend_alpha must be a probability in (0, 1); got {trend_alpha!r}."
        )
    rows = [industry, region] if industry else [region]
    missing = [c for c in (*rows, time, "gi_z", "hotspot") if c not in yearly.columns]
    if missing:
        raise ValueError(
            f"yearly lacks columns {missing}; it has {list(yearly.columns)[:10]}. "
            "Pass the table yearly_hot_spots returns."
        )
    labels = yearly["hotspot"].astype(str)
    known = labels.str.match(r"^(hot|cold)_\d+$") | labels.isin(["ns", "isolate"])
    if not known.all():
        raise ValueError(
            f"yearly has {int((~known).sum())} unknown hotspot labels (first: "
            f"{labels[~known].unique()[:5].tolist()}); expected hot_*, cold_*, ns or "
            "isolate."
        )
    if yearly.duplicated([*rows, time]).any():
        raise ValueError(
            f"yearly has duplicate rows for {[*rows, time]}; give one row per "
            "region and step."
        )
    frame = yearly[[*rows, time, "gi_z"]].copy()
    frame["state"] = np.select(
        [
            labels.str.startswith("hot"),
            labels.str.startswith("cold"),
            labels == "isolate",
        ],
        [1, -1, 9],
        0,
    )
    z = frame.pivot(index=rows, columns=time, values="gi_z")
    state = frame.pivot(index=rows, columns=time, values="state")
    steps = sorted(state.columns)
    z, state = z[steps], state[steps]
    if state.isna().any().any():
        gaps = state.index[state.isna().any(axis=1)]
        raise ValueError(
            f"{len(gaps)} regions lack some time steps (first: {list(gaps[:5])}); "
            "every region needs a result at every step."
        )
    n = len(steps)
    if n < 3:
        raise ValueError(
            f"emerging hot spot analysis needs at least 3 time steps; got {n} "
            f"({steps}). Add years."
        )
    st = state.to_numpy(dtype=np.int64)
    isolate = (st == 9).any(axis=1)
    zz = np.where(isolate[:, None], 0.0, z.to_numpy(dtype=float))
    zz = np.nan_to_num(zz, nan=0.0)
    s, _var, mk_z, mk_p, tau = _mann_kendall_rows(zz, True)
    sig = mk_p < trend_alpha
    trend = np.where(
        sig & (s > 0), "increasing", np.where(sig & (s < 0), "decreasing", "none")
    )
    pattern = _patterns(st == 1, st == -1, trend, n)
    pattern = np.where(isolate, "isolate", pattern)
    frame["label"] = labels.to_numpy()
    final_label = frame.pivot(index=rows, columns=time, values="label")[steps[-1]]
    out = state.index.to_frame(index=False)
    out[region] = out[region].astype(str)
    out["n_steps"] = n
    out["hot_steps"] = (st == 1).sum(axis=1)
    out["cold_steps"] = (st == -1).sum(axis=1)
    out["final_hotspot"] = final_label.reindex(state.index).to_numpy()
    out["mk_s"] = s.astype(np.int64)
    out["mk_z"] = np.where(isolate, np.nan, mk_z)
    out["mk_p"] = np.where(isolate, np.nan, mk_p)
    out["mk_tau"] = np.where(isolate, np.nan, tau)
    out["trend"] = np.where(isolate, "none", trend)
    out["pattern"] = pattern
    return out[[region, *([industry] if industry else []), *out.columns[len(rows) :]]]


def emerging_hot_spots(
    table: pd.DataFrame,
    graph: Graph,
    *,
    region: str = "region_id",
    time: str = "year",
    value: str = "lq",
    industry: str | None = "industry",
    permutations: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
    correction: str = "fdr",
    trend_alpha: float = 0.05,
) -> pd.DataFrame:
    """Emerging hot spot analysis (as ArcGIS Pro) of a region x time (x industry) table.

    Gi* per time step (:func:`yearly_hot_spots`), then the Mann-Kendall trend of
    each region's Gi* z-scores and its pattern (:func:`classify_emerging`).

    Parameters
    ----------
    table : pandas.DataFrame
        Long table, one row per region x time step (x industry). Not modified.
    graph : libpysal.graph.Graph
        Spatial weights indexed by region id.
    region, time, value, industry : str
        Column names, as in :func:`yearly_hot_spots`.
    permutations, seed, alpha, correction
        Gi* inference per step, as in :func:`yearly_hot_spots`.
    trend_alpha : float
        Significance level of the Mann-Kendall trend.

    Returns
    -------
    pandas.DataFrame
        As :func:`classify_emerging`; ``attrs["constant_steps"]`` lists the steps
        whose values were all equal (treated as not significant).

    Raises
    ------
    TypeError
        If ``table`` is not a DataFrame or ``graph`` not a Graph.
    ValueError
        As :func:`yearly_hot_spots` and :func:`classify_emerging`.

    Examples
    --------
    Four squares in a row over three years. With four regions no conditional
    permutation p-value can fall below 0.05 (a square's one or two neighbours
    are drawn from the three others), so nothing is ever significant.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": list("abcd")},
    ...     geometry=[box(i, 0, i + 1, 1) for i in range(4)])
    >>> t = pd.DataFrame({"region_id": list("abcd") * 3,
    ...                   "year": [1] * 4 + [2] * 4 + [3] * 4,
    ...                   "lq": [1, 1, 1, 5] + [1, 1, 2, 6] + [1, 2, 3, 7]})
    >>> r = emerging_hot_spots(t, build_weights(cells, "rook"), industry=None,
    ...     permutations=99, seed=3)
    >>> r["pattern"].tolist()
    ['no_pattern', 'no_pattern', 'no_pattern', 'no_pattern']
    """
    yearly = yearly_hot_spots(
        table,
        graph,
        region=region,
        time=time,
        value=value,
        industry=industry,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        correction=correction,
    )
    result = classify_emerging(
        yearly, region=region, time=time, industry=industry, trend_alpha=trend_alpha
    )
    result.attrs["constant_steps"] = yearly.attrs["constant_steps"]
    return result


def _patterns(
    hot: np.ndarray, cold: np.ndarray, trend: np.ndarray, n: int
) -> np.ndarray:
    """Pattern per row from boolean hot/cold matrices (rows x steps) and trends."""
    most = math.ceil(_MOST * n - 1e-9)
    up, down = trend == "increasing", trend == "decreasing"
    out = np.full(hot.shape[0], "no_pattern", dtype=object)

    def side(sig: np.ndarray, other: np.ndarray, grow: np.ndarray, fade: np.ndarray):
        count = sig.sum(axis=1)
        final = sig[:, -1]
        mostly = count >= most
        other_before = other[:, :-1].any(axis=1)
        # length of the run of significant steps that ends at the final step
        off = ~sig
        last_off = np.where(
            off.any(axis=1), n - 1 - np.argmax(off[:, ::-1], axis=1), -1
        )
        run = n - 1 - last_off
        return (
            np.select(
                [
                    final & mostly & grow,
                    final & mostly & fade,
                    final & mostly,
                    final & other_before,
                    final & (count == 1),
                    final & (run >= 2) & (count == run),
                    final,
                ],
                [
                    "intensifying",
                    "diminishing",
                    "persistent",
                    "oscillating",
                    "new",
                    "consecutive",
                    "sporadic",
                ],
                "",
            ),
            count,
            mostly,
        )

    hot_final, n_hot, mostly_hot = side(hot, cold, up, down)
    cold_final, n_cold, mostly_cold = side(cold, hot, down, up)
    out = np.where(hot_final != "", np.char.add(hot_final.astype(str), "_hot"), out)
    out = np.where(cold_final != "", np.char.add(cold_final.astype(str), "_cold"), out)
    quiet = (hot_final == "") & (cold_final == "")
    rules = [
        quiet & mostly_hot,
        quiet & mostly_cold,
        quiet & (n_hot > 0) & (n_cold == 0),
        quiet & (n_cold > 0) & (n_hot == 0),
    ]
    labels = ["historical_hot", "historical_cold", "sporadic_hot", "sporadic_cold"]
    return np.select(rules, labels, out).astype(object)


def _mann_kendall_rows(
    y: np.ndarray, continuity: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall S, Var(S), z, p and tau-b of every row of ``y`` (rows x steps)."""
    n = y.shape[1]
    i, j = np.triu_indices(n, k=1)
    s = np.sign(y[:, j] - y[:, i]).sum(axis=1)
    ties = np.zeros(len(y))
    tied_pairs = np.zeros(len(y))
    ordered = np.sort(y, axis=1)
    has_ties = (np.diff(ordered, axis=1) == 0).any(axis=1)
    for r in np.flatnonzero(has_ties):
        _, counts = np.unique(ordered[r], return_counts=True)
        ties[r] = float(np.sum(counts * (counts - 1) * (2 * counts + 5)))
        tied_pairs[r] = float(np.sum(counts * (counts - 1) / 2))
    var = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    shifted = s - np.sign(s) if continuity else s.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, shifted / np.sqrt(var), 0.0)
        n0 = n * (n - 1) / 2
        denom = np.sqrt(n0 * (n0 - tied_pairs))
        tau = np.where(denom > 0, s / denom, 0.0)
    p = 2.0 * ndtr(-np.abs(z))
    return s, var, z, p, tau


def _undefined_step(graph: Graph, ids: pd.Index) -> pd.DataFrame:
    """Gi* result of a step whose values are all equal: no clustering anywhere."""
    isolated = np.isin(ids.to_numpy(), [str(i) for i in graph.isolates])
    return pd.DataFrame(
        {
            "gi_z": np.where(isolated, np.nan, 0.0),
            "gi_p": np.where(isolated, np.nan, 1.0),
            "gi_p_adjusted": np.where(isolated, np.nan, 1.0),
            "hotspot": np.where(isolated, "isolate", "ns").astype(object),
        },
        index=ids,
    )


def _step_seed(seed: int | None, industry: object, step: object) -> int | None:
    if seed is None:
        return None
    key = f"{industry}|{step}".encode()
    return (int(seed) + zlib.crc32(key)) % _MAX_SEED
