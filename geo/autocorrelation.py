"""Global and local spatial autocorrelation (Moran's I, LISA, Getis-Ord Gi*)."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from esda.crand import crand as _crand
from esda.getisord import G_Local, _g_local_crand, _g_local_star_crand
from esda.moran import Moran, Moran_Local, _moran_local_crand
from libpysal.graph import Graph

CORRECTIONS = ("none", "bonferroni", "fdr")
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
_MAX_SEED = 2**32

# Relative tolerance under which a simulated local statistic ties the observed one.
_TIE_RTOL = 1e-9


@dataclass(frozen=True)
class GlobalMoran:
    """Global Moran's I with its analytical and permutation inference.

    Attributes
    ----------
    I : float
        Moran's I.
    expected_I : float
        Expectation under the null, ``-1 / (n - 1)``.
    variance_rand : float
        Variance of I under randomisation (as R spdep ``moran.test``).
    z_rand : float
        ``(I - expected_I) / sqrt(variance_rand)``.
    p_rand : float
        Two-sided normal p-value of ``z_rand``.
    p_sim : float
        Folded permutation pseudo p-value ``(min(#sim >= I, #sim < I) + 1) /
        (permutations + 1)``; NaN when ``permutations == 0``.
    permutations : int
        Number of permutations drawn.
    seed : int or None
        Seed of the permutations (None: not reproducible).
    n : int
        Number of regions.

    Notes
    -----
    With exactly 3 regions the randomisation variance (and so ``z_rand`` and
    ``p_rand``) is undefined and reported as NaN.
    """

    I: float  # noqa: E741 -- the statistic's published name
    expected_I: float
    variance_rand: float
    z_rand: float
    p_rand: float
    p_sim: float
    permutations: int
    seed: int | None
    n: int


def global_moran(
    y: pd.Series | np.ndarray,
    graph: Graph,
    *,
    permutations: int = 999,
    seed: int | None = None,
) -> GlobalMoran:
    """Global Moran's I of ``y`` over ``graph``.

    Parameters
    ----------
    y : pandas.Series or numpy.ndarray
        One number per region: a Series indexed by region id (reordered to
        ``graph.unique_ids``) or an array already in graph order. Not modified.
    graph : libpysal.graph.Graph
        Spatial weights, used as they are (``build_weights`` row-standardises).
    permutations : int
        Random permutations for ``p_sim``; 0 skips them.
    seed : int, optional
        Seed in ``[0, 2**32)`` of the permutations. numpy's global random state is
        restored afterwards.

    Returns
    -------
    GlobalMoran
        I, its expectation, randomisation variance, z, p-values and settings.

    Raises
    ------
    TypeError
        If ``graph`` is not a Graph or ``y`` is not numeric.
    ValueError
        If ``y`` does not match the graph ids, holds NaN, is constant, or there are
        fewer than 3 regions or no neighbour pairs.

    Examples
    --------
    Three squares in a row, rook, row-standardised; y = 1, 2, 6, so z = -2, -1, 3
    and lag(z) = -1, 0.5, -1: I = (2 - 0.5 - 3) / 14.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> g = build_weights(cells, "rook")
    >>> round(global_moran(pd.Series({"w": 1, "m": 2, "e": 6}), g).I, 4)
    -0.1071
    """
    _check_permutations(permutations, minimum=0)
    _check_seed(seed)
    vec = _aligned(y, graph, "y")
    _check_analysable(vec, graph, "y", "Moran's I")
    # n = 3: the randomisation variance divides by n - 3 (NaN, documented).
    with _numpy_seed(seed), np.errstate(divide="ignore", invalid="ignore"):
        m = Moran(
            vec,
            graph,
            transformation=graph.transformation,
            permutations=permutations,
            two_tailed=True,
        )
    return GlobalMoran(
        I=float(m.I),
        expected_I=float(m.EI),
        variance_rand=float(m.VI_rand),
        z_rand=float(m.z_rand),
        p_rand=float(m.p_rand),
        p_sim=float(m.p_sim) if permutations else float("nan"),
        permutations=int(permutations),
        seed=seed,
        n=int(len(vec)),
    )


def local_moran(
    y: pd.Series | np.ndarray,
    graph: Graph,
    *,
    permutations: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
    correction: str = "fdr",
) -> pd.DataFrame:
    """Local Moran's I (LISA) with conditional-permutation inference.

    Parameters
    ----------
    y : pandas.Series or numpy.ndarray
        One number per region: a Series indexed by region id (reordered to
        ``graph.unique_ids``) or an array already in graph order. Not modified.
    graph : libpysal.graph.Graph
        Spatial weights, used as they are (``build_weights`` row-standardises).
    permutations : int
        Conditional permutations per region (at least 1).
    seed : int, optional
        Seed in ``[0, 2**32)`` of esda's permutation draws.
    alpha : float
        A region is significant iff its adjusted p-value is below ``alpha``.
    correction : {"fdr", "bonferroni", "none"}
        Multiple-testing control over the regions that have neighbours.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``region_id`` in graph order: ``local_i``, ``p_value`` (see
        Notes), ``p_adjusted`` and ``quadrant`` (``HH``, ``LL``, ``HL``,
        ``LH`` when significant, else ``ns``; ``isolate`` for regions without
        neighbours).

    Raises
    ------
    TypeError
        If ``graph`` is not a Graph or ``y`` is not numeric.
    ValueError
        If ``y`` does not match the graph ids, holds NaN, is constant, there are
        fewer than 3 regions or no neighbour pairs, or an option is invalid.

    Notes
    -----
    ``p_value`` is a folded conditional-permutation pseudo p-value,
    ``(min(#sim >= I_i, #sim <= I_i) + 1) / (permutations + 1)``, counted by esda's
    own randomisation (same draws as ``Moran_Local`` at the same seed). Without
    ties it equals esda 2.9's ``p_sim`` ('directed', GeoDa's folded p); esda's
    ``#sim < I_i`` for the lower tail makes sites whose simulations all tie (a
    zero among zeros) look significant, which counting ties avoids. esda 2.9.0's
    ``Moran_Local`` has no ``alternative`` argument. esda would give regions
    without neighbours p = 1/(permutations + 1); they are reported as
    ``isolate`` with NaN statistics instead and left out of the multiple-testing
    count.

    Examples
    --------
    Three squares in a row, rook, row-standardised; y = 1, 2, 6: z = -2, -1, 3,
    lag(z) = -1, 0.5, -1, so I_i = (n - 1) z_i lag_i / sum(z**2) = 2 z_i lag_i / 14.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> g = build_weights(cells, "rook")
    >>> y = pd.Series({"w": 1.0, "m": 2.0, "e": 6.0})
    >>> local_moran(y, g, permutations=99, seed=1)["local_i"].round(4).tolist()
    [0.2857, -0.0714, -0.4286]
    """
    _check_local_options(permutations, seed, alpha, correction)
    vec = _aligned(y, graph, "y")
    _check_analysable(vec, graph, "y", "Moran's I")
    # esda computes I_i, the quadrants and the transformed graph; the permutation
    # p-values come from esda's conditional randomisation, made tie-aware below.
    lm = Moran_Local(vec, graph, transformation=graph.transformation, permutations=0)
    p_sim = _tie_aware_p_sim(
        lm.z, lm.w, lm.Is, permutations, seed, _moran_local_crand, scaling=None
    )
    iso = _isolate_mask(graph)
    local_i = np.where(iso, np.nan, np.asarray(lm.Is, dtype=float))
    p = np.where(iso, np.nan, p_sim)
    p_adj = adjust_pvalues(p, method=correction)
    quadrant = pd.Series(np.asarray(lm.q)).map(QUADRANTS).fillna("ns").to_numpy()
    quadrant = np.where(p_adj < alpha, quadrant, "ns")
    quadrant = np.where(iso, "isolate", quadrant)
    return pd.DataFrame(
        {
            "local_i": local_i,
            "p_value": p,
            "p_adjusted": p_adj,
            "quadrant": quadrant.astype(object),
        },
        index=_id_index(graph),
    )


def hot_spots(
    y: pd.Series | np.ndarray,
    graph: Graph,
    *,
    permutations: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
    correction: str = "fdr",
    star: bool = True,
) -> pd.DataFrame:
    """Getis-Ord hot and cold spots (Gi* by default) with confidence levels.

    Parameters
    ----------
    y : pandas.Series or numpy.ndarray
        Non-negative number per region: a Series indexed by region id (reordered to
        ``graph.unique_ids``) or an array already in graph order. Not modified.
    graph : libpysal.graph.Graph
        Spatial weights; only its neighbour structure is used (see Notes).
    permutations : int
        Conditional permutations per region (at least 1).
    seed : int, optional
        Seed in ``[0, 2**32)`` of esda's permutation draws.
    alpha : float
        Largest adjusted p-value labelled hot or cold. The label's confidence is
        99 (p < 0.01), 95 (p < 0.05) or 90 (p < 0.10); with the default 0.05 the
        90 % class is never used, pass ``alpha=0.10`` for the three classes.
    correction : {"fdr", "bonferroni", "none"}
        Multiple-testing control over the regions that have neighbours.
    star : bool
        True: Gi*, the region's own value included (self-weight 1); False: Gi.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``region_id`` in graph order: ``gi_z`` (esda ``Zs``), ``gi_p``
        (``p_sim``), ``gi_p_adjusted`` and ``hotspot`` (``hot_99``, ``hot_95``,
        ``hot_90``, ``cold_99``, ``cold_95``, ``cold_90``, ``ns``, ``isolate``).

    Raises
    ------
    TypeError
        If ``graph`` is not a Graph or ``y`` is not numeric.
    ValueError
        If ``y`` does not match the graph ids, holds NaN or negative values, is
        constant, there are fewer than 3 regions or no neighbour pairs, or an
        option is invalid.

    Notes
    -----
    The graph is made binary and esda's ``G_Local(transform="B", star=star)`` adds
    a self-weight of 1, so ``gi_z`` is the classic Getis-Ord (1995) z-score
    ``(sum_j w_ij y_j - W_i ybar) / (s sqrt((n W_i - W_i**2) / (n - 1))``
    (s the population standard deviation) that ArcGIS's Hot Spot Analysis and
    GeoDa report. esda's Zs with row-standardised weights are not this z.
    ``gi_p`` is the tie-aware folded pseudo p-value described in
    :func:`local_moran` (without it every zero surrounded by zeros would be a
    ``cold_99``); isolates are reported as ``isolate`` with NaN statistics and
    left out of the multiple-testing count.

    Examples
    --------
    Four squares in a row, y = 1, 1, 1, 5 (mean 2, s = sqrt(3)). Square "d" with
    its self-weight sees c and d: z = (6 - 2 * 2) / (sqrt(3) * sqrt(4 / 3)) = 1.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": list("abcd")},
    ...     geometry=[box(i, 0, i + 1, 1) for i in range(4)])
    >>> y = pd.Series([1.0, 1.0, 1.0, 5.0], index=list("abcd"))
    >>> hs = hot_spots(y, build_weights(cells, "rook"), permutations=99, seed=1)
    >>> round(float(hs.loc["d", "gi_z"]), 6)
    1.0
    """
    _check_local_options(permutations, seed, alpha, correction)
    vec = _aligned(y, graph, "y")
    _check_analysable(vec, graph, "y", "Getis-Ord G")
    if (vec < 0).any():
        ids = _id_index(graph)[vec < 0]
        raise ValueError(
            f"y has {len(ids)} negative values (first ids: {ids[:5].tolist()}, "
            f"minimum {vec.min():g}); Getis-Ord G is defined for non-negative "
            "values. Use local_moran for variables that can be negative."
        )
    binary = graph.transform("B")
    gl = G_Local(vec, binary, transform="B", permutations=0, star=bool(star))
    p_sim = _tie_aware_p_sim(
        vec,
        gl.w,
        gl.Gs,
        permutations,
        seed,
        _g_local_star_crand if gl.star else _g_local_crand,
        scaling=vec.sum(),
    )
    iso = _isolate_mask(graph)
    z = np.where(iso, np.nan, np.asarray(gl.Zs, dtype=float))
    p = np.where(iso, np.nan, p_sim)
    p_adj = adjust_pvalues(p, method=correction)
    label = np.full(len(vec), "ns", dtype=object)
    for cut, level in ((0.10, "90"), (0.05, "95"), (0.01, "99")):
        sig = (p_adj < cut) & (p_adj < alpha)
        label[sig & (z > 0)] = f"hot_{level}"
        label[sig & (z < 0)] = f"cold_{level}"
    label[iso] = "isolate"
    return pd.DataFrame(
        {"gi_z": z, "gi_p": p, "gi_p_adjusted": p_adj, "hotspot": label},
        index=_id_index(graph),
    )


def adjust_pvalues(
    p: np.ndarray | pd.Series | list, *, method: str = "fdr"
) -> np.ndarray:
    """P-values adjusted for multiple testing; NaN entries stay NaN and do not count.

    Parameters
    ----------
    p : array-like
        P-values in ``[0, 1]`` or NaN (e.g. isolates). Not modified.
    method : {"fdr", "bonferroni", "none"}
        ``"fdr"``: Benjamini-Hochberg adjusted p-values (monotone in p, capped at
        1); ``"bonferroni"``: ``min(1, p * m)``; ``"none"``: unchanged. ``m`` is
        the number of non-NaN p-values.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values (float), in input order.

    Raises
    ------
    ValueError
        For an unknown method or a p-value outside ``[0, 1]``.

    Examples
    --------
    BH with m = 4: sorted 0.01, 0.03, 0.04, 0.20 times 4/rank give 0.04, 0.06,
    0.0533, 0.20; the running minimum from the top makes rank 2 0.0533.

    >>> adjust_pvalues([0.01, 0.04, 0.03, 0.20]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    """
    if method not in CORRECTIONS:
        raise ValueError(
            f"Unknown multiple-testing correction {method!r}. Use one of "
            f"{list(CORRECTIONS)}."
        )
    arr = np.array(p, dtype=float).reshape(-1)
    ok = ~np.isnan(arr)
    bad = ok & ((arr < 0) | (arr > 1))
    if bad.any():
        raise ValueError(
            f"p-values must lie in [0, 1]; got {int(bad.sum())} outside (first: "
            f"{arr[bad][:5].tolist()}). Pass probabilities, not z-scores."
        )
    out = arr.copy()
    m = int(ok.sum())
    if m == 0 or method == "none":
        return out
    vals = arr[ok]
    if method == "bonferroni":
        out[ok] = np.minimum(1.0, vals * m)
        return out
    order = np.argsort(vals, kind="stable")
    ranked = vals[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1.0, ranked)
    out[ok] = adjusted
    return out


def lisa_table(
    values: pd.DataFrame,
    graph: Graph,
    *,
    region: str = "region_id",
    industry: str = "industry",
    value: str = "lq",
    permutations: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
    correction: str = "fdr",
) -> pd.DataFrame:
    """Local Moran and Gi* hot spots of ``value`` for every industry.

    Parameters
    ----------
    values : pandas.DataFrame
        Long table, one row per (region, industry). A region of the graph missing
        for an industry counts as 0. Not modified.
    graph : libpysal.graph.Graph
        Spatial weights indexed by region id.
    region, industry, value : str
        Column names of the region id, the industry and the analysed number.
    permutations, alpha, correction
        As in :func:`local_moran` and :func:`hot_spots`; the correction is applied
        per industry, over that industry's regions.
    seed : int, optional
        Base seed. Industry ``k`` uses ``(seed + crc32(str(k))) % 2**32`` for both
        statistics, so its result does not depend on which other industries are
        in the table.

    Returns
    -------
    pandas.DataFrame
        Long table sorted by industry then graph order: ``region``, ``industry``,
        ``value``, ``local_i``, ``p_value``, ``p_adjusted``, ``quadrant``,
        ``gi_z``, ``gi_p``, ``gi_p_adjusted``, ``hotspot``. Industries whose value
        is the same in every region (statistics undefined) are left out and listed
        in ``frame.attrs["skipped_industries"]`` as ``{industry: reason}``.

    Raises
    ------
    TypeError
        If ``values`` is not a DataFrame or ``graph`` not a Graph.
    ValueError
        For missing columns, duplicate (region, industry) rows, NaN values, regions
        that are not in the graph, or invalid options.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": list("abcd")},
    ...     geometry=[box(i, 0, i + 1, 1) for i in range(4)])
    >>> t = pd.DataFrame({"region_id": list("abcdabcd"), "industry": list("xxxxyyyy"),
    ...                   "lq": [1, 1, 1, 5, 2, 2, 2, 2]})
    >>> out = lisa_table(t, build_weights(cells, "rook"), permutations=99, seed=7)
    >>> out["industry"].unique().tolist(), list(out.attrs["skipped_industries"])
    (['x'], ['y'])
    """
    _check_local_options(permutations, seed, alpha, correction)
    wide = _wide_values(values, graph, region, industry, value)
    columns = [
        region,
        industry,
        value,
        "local_i",
        "p_value",
        "p_adjusted",
        "quadrant",
        "gi_z",
        "gi_p",
        "gi_p_adjusted",
        "hotspot",
    ]
    frames: list[pd.DataFrame] = []
    skipped: dict[object, str] = {}
    for ind in wide.columns:
        vec = wide[ind]
        reason = _undefined_reason(vec.to_numpy(), value)
        if reason is not None:
            skipped[ind] = reason
            continue
        ind_seed = _derived_seed(seed, ind)
        lm = local_moran(
            vec,
            graph,
            permutations=permutations,
            seed=ind_seed,
            alpha=alpha,
            correction=correction,
        )
        hs = hot_spots(
            vec,
            graph,
            permutations=permutations,
            seed=ind_seed,
            alpha=alpha,
            correction=correction,
        )
        part = pd.concat([lm, hs], axis=1)
        part.insert(0, value, vec.to_numpy())
        part.insert(0, industry, ind)
        part.insert(0, region, part.index.to_numpy())
        frames.append(part.reset_index(drop=True))
    if frames:
        out = pd.concat(frames, ignore_index=True)[columns]
    else:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    out.attrs["skipped_industries"] = skipped
    return out


def global_moran_table(
    values: pd.DataFrame,
    graph: Graph,
    *,
    region: str = "region_id",
    industry: str = "industry",
    value: str = "lq",
    permutations: int = 999,
    seed: int | None = None,
) -> pd.DataFrame:
    """Global Moran's I of ``value`` for every industry.

    Parameters
    ----------
    values : pandas.DataFrame
        Long table, one row per (region, industry); a missing region counts as 0.
        Not modified.
    graph : libpysal.graph.Graph
        Spatial weights indexed by region id.
    region, industry, value : str
        Column names of the region id, the industry and the analysed number.
    permutations : int
        Permutations for ``p_sim``; 0 skips them.
    seed : int, optional
        Base seed; industry ``k`` uses ``(seed + crc32(str(k))) % 2**32``.

    Returns
    -------
    pandas.DataFrame
        One row per analysed industry, sorted: ``industry``, ``moran_i``,
        ``expected_i``, ``z_rand``, ``p_rand``, ``p_sim``. Constant industries
        are left out and listed in ``frame.attrs["skipped_industries"]``.

    Raises
    ------
    TypeError
        If ``values`` is not a DataFrame or ``graph`` not a Graph.
    ValueError
        For missing columns, duplicate (region, industry) rows, NaN values, regions
        that are not in the graph, or invalid options.

    Examples
    --------
    Three squares in a row, rook; industry x has y = 1, 2, 6 (I by hand in
    :func:`global_moran`: -1.5 / 14).

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> t = pd.DataFrame({"region_id": ["w", "m", "e"], "industry": "x",
    ...                   "lq": [1.0, 2.0, 6.0]})
    >>> global_moran_table(t, build_weights(cells, "rook"))["moran_i"].round(4).tolist()
    [-0.1071]
    """
    _check_permutations(permutations, minimum=0)
    _check_seed(seed)
    wide = _wide_values(values, graph, region, industry, value)
    rows = []
    skipped: dict[object, str] = {}
    for ind in wide.columns:
        vec = wide[ind]
        reason = _undefined_reason(vec.to_numpy(), value)
        if reason is not None:
            skipped[ind] = reason
            continue
        gm = global_moran(
            vec, graph, permutations=permutations, seed=_derived_seed(seed, ind)
        )
        rows.append(
            {
                industry: ind,
                "moran_i": gm.I,
                "expected_i": gm.expected_I,
                "z_rand": gm.z_rand,
                "p_rand": gm.p_rand,
                "p_sim": gm.p_sim,
            }
        )
    columns = [industry, "moran_i", "expected_i", "z_rand", "p_rand", "p_sim"]
    out = pd.DataFrame(rows, columns=columns)
    out.attrs["skipped_industries"] = skipped
    return out


# ----------------------------------------------------------------- helpers


def _id_index(graph: Graph) -> pd.Index:
    return pd.Index([str(i) for i in graph.unique_ids], name="region_id")


def _isolate_mask(graph: Graph) -> np.ndarray:
    return np.asarray(graph.unique_ids.isin(graph.isolates), dtype=bool)


def _aligned(y: pd.Series | np.ndarray, graph: Graph, name: str) -> np.ndarray:
    """``y`` as a float vector in graph order (a new array)."""
    if not isinstance(graph, Graph):
        raise TypeError(
            f"graph must be a libpysal.graph.Graph; got {type(graph).__name__}. "
            "Build one with geo.weights.build_weights(...)."
        )
    ids = _id_index(graph)
    if isinstance(y, pd.DataFrame):
        raise TypeError(
            f"{name} must be a Series or 1-D array; got a DataFrame with columns "
            f"{list(y.columns)[:5]}. Select one column."
        )
    if isinstance(y, pd.Series):
        index = pd.Index([str(i) for i in y.index])
        dup = index[index.duplicated()].unique()
        if len(dup):
            raise ValueError(
                f"{name} has duplicate region ids (first: {dup[:5].tolist()}). "
                "Give one value per region."
            )
        missing = ids.difference(index, sort=False)
        extra = index.difference(ids, sort=False)
        if len(missing) or len(extra):
            raise ValueError(
                f"{name} has {len(index)} values but graph has {len(ids)} ids; "
                f"first ids without a value: {missing[:5].tolist()}; first values "
                f"without a graph id: {extra[:5].tolist()}. Reindex {name} on "
                "graph.unique_ids."
            )
        values = pd.Series(y.to_numpy(), index=index).reindex(ids).to_numpy()
    else:
        values = np.asarray(y)
        if values.ndim != 1:
            raise ValueError(
                f"{name} must be 1-D; got shape {values.shape}. Pass one value "
                "per region."
            )
        if len(values) != len(ids):
            raise ValueError(
                f"{name} has {len(values)} values but graph has {len(ids)} ids. "
                "Pass a Series indexed by region id, or an array in graph order."
            )
    try:
        vec = np.array(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be numeric; got dtype {np.asarray(values).dtype}. "
            "Convert it with pd.to_numeric first."
        ) from None
    bad = ~np.isfinite(vec)
    if bad.any():
        raise ValueError(
            f"{name} has {int(bad.sum())} NaN or infinite values (first ids: "
            f"{ids[bad][:5].tolist()}). Fill or drop those regions first."
        )
    return vec


def _undefined_reason(vec: np.ndarray, name: str) -> str | None:
    """Why a statistic of ``vec`` is undefined (constant values), else None."""
    spread = float(np.ptp(vec)) if len(vec) else 0.0
    scale = float(np.abs(vec).max()) if len(vec) else 0.0
    if spread <= 1e-12 * scale or spread == 0.0:
        return (
            f"{name} has constant values ({vec[0]:g}) in all {len(vec)} regions, "
            "so Moran's I and Getis-Ord G are undefined (zero variance)."
        )
    return None


def _check_analysable(vec: np.ndarray, graph: Graph, name: str, stat: str) -> None:
    if len(vec) < 3:
        raise ValueError(
            f"{stat} needs at least 3 regions; got {len(vec)}. Use a larger study area."
        )
    if len(graph.isolates) == graph.n:
        raise ValueError(
            f"graph has no neighbour pairs (all {graph.n} regions are isolates), so "
            f"{stat} is undefined. Use another weights method or a larger "
            "threshold_m."
        )
    if _undefined_reason(vec, name) is not None:
        raise ValueError(
            f"{name} has constant values ({vec[0]:g}) in all {len(vec)} regions, so "
            f"{stat} is undefined (zero variance). Drop this variable."
        )


def _check_permutations(permutations: int, *, minimum: int) -> None:
    if (
        isinstance(permutations, bool)
        or not isinstance(permutations, int | np.integer)
        or permutations < minimum
    ):
        raise ValueError(
            f"permutations must be an integer >= {minimum}; got {permutations!r}. "
            "999 is the usual choice."
        )


def _check_seed(seed: int | None) -> None:
    if seed is None:
        return
    if (
        isinstance(seed, bool)
        or not isinstance(seed, int | np.integer)
        or not 0 <= seed < _MAX_SEED
    ):
        raise ValueError(
            f"seed must be None or an integer in [0, 2**32); got {seed!r}."
        )


def _check_local_options(
    permutations: int, seed: int | None, alpha: float, correction: str
) -> None:
    _check_permutations(permutations, minimum=1)
    _check_seed(seed)
    if not isinstance(alpha, int | float | np.floating) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a probability in (0, 1); got {alpha!r}.")
    if correction not in CORRECTIONS:
        raise ValueError(
            f"Unknown multiple-testing correction {correction!r}. Use one of "
            f"{list(CORRECTIONS)}."
        )


def _derived_seed(seed: int | None, industry: object) -> int | None:
    if seed is None:
        return None
    return (int(seed) + zlib.crc32(str(industry).encode("utf-8"))) % _MAX_SEED


def _wide_values(
    values: pd.DataFrame, graph: Graph, region: str, industry: str, value: str
) -> pd.DataFrame:
    """Region x industry table in graph order (missing -> 0), industries sorted."""
    if not isinstance(values, pd.DataFrame):
        raise TypeError(
            f"values must be a pandas DataFrame; got {type(values).__name__}."
        )
    if not isinstance(graph, Graph):
        raise TypeError(
            f"graph must be a libpysal.graph.Graph; got {type(graph).__name__}."
        )
    missing = [c for c in (region, industry, value) if c not in values.columns]
    if missing:
        raise ValueError(
            f"values lacks columns {missing}; it has {list(values.columns)[:10]}. "
            "Pass region=, industry=, value= naming them."
        )
    table = pd.DataFrame(
        {
            "r": values[region].astype(str).to_numpy(),
            "i": values[industry].to_numpy(),
            "v": pd.to_numeric(values[value], errors="coerce").to_numpy(),
        }
    )
    bad = table["v"].isna() & values[value].notna().to_numpy()
    nan = ~np.isfinite(table["v"].to_numpy(dtype=float))
    if bad.any() or nan.any():
        rows = table[nan | bad.to_numpy()]
        raise ValueError(
            f"values has {len(rows)} rows with a missing or non-numeric {value} "
            f"(first regions: {rows['r'][:5].tolist()}). Fill them first."
        )
    dup = table.duplicated(["r", "i"])
    if dup.any():
        first = table.loc[dup, ["r", "i"]].head(5).values.tolist()
        raise ValueError(
            f"values has {int(dup.sum())} duplicate ({region}, {industry}) rows "
            f"(first: {first}). Aggregate to one row per pair."
        )
    ids = _id_index(graph)
    unknown = pd.Index(table["r"].unique()).difference(ids, sort=False)
    if len(unknown):
        raise ValueError(
            f"values has {len(unknown)} regions that are not in the graph (first: "
            f"{unknown[:5].tolist()}). Build the graph on the same regions."
        )
    wide = table.pivot(index="r", columns="i", values="v")
    industries = sorted(wide.columns, key=str)
    return wide.reindex(index=ids, columns=industries).fillna(0.0)


def _tie_aware_p_sim(
    z: np.ndarray,
    w: Graph,
    observed: np.ndarray,
    permutations: int,
    seed: int | None,
    stat_func: object,
    *,
    scaling: float | None,
) -> np.ndarray:
    """Folded conditional-permutation p-value that counts ties on both sides.

    esda 2.9's 'directed' p-value is ``(min(#sim >= obs, #sim < obs) + 1) / (P + 1)``:
    a site whose simulated values all tie or exceed the observed one (e.g. a zero
    surrounded by zeros, common for location quotients) gets ``#sim < obs = 0`` and
    so p = 1 / (P + 1), a spurious cold spot. Here the two tails are
    ``#sim >= obs - tol`` and ``#sim <= obs + tol``, counted by esda's own
    randomisation (``alternative='greater'`` / ``'lesser'``) with the same seed, so
    the draws are identical; without ties the result equals esda's ``p_sim``.
    """
    if seed is None:
        seed = int(np.random.randint(12345, 12345000))  # esda's own rule
    obs = np.asarray(observed, dtype=float)
    scale = float(np.nanmax(np.abs(obs))) if obs.size else 0.0
    tol = _TIE_RTOL * scale if scale > 0 else 1e-300
    counts = []
    for alternative, shifted in (("greater", obs - tol), ("lesser", obs + tol)):
        # crand zeroes the diagonal of ``w.sparse`` in place: give it a fresh copy
        p, _ = _crand(
            z,
            w.copy(),
            shifted,
            permutations,
            False,
            1,
            stat_func,
            scaling=scaling,
            seed=seed,
            alternative=alternative,
        )
        # esda stores p in float32; recover the exact integer counts
        counts.append(np.rint(np.asarray(p, dtype=float) * (permutations + 1)) - 1)
    return (np.minimum(counts[0], counts[1]) + 1.0) / (permutations + 1.0)


@contextmanager
def _numpy_seed(seed: int | None) -> Iterator[None]:
    """Seed numpy's global RNG (esda's Moran uses it) and restore it afterwards."""
    if seed is None:
        yield
        return
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)
