"""Global and local spatial autocorrelation: Moran, Geary, Getis-Ord, LISA, Gi*."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from esda.crand import crand as _crand
from esda.geary import Geary
from esda.geary_local import _local_geary as _local_geary_crand
from esda.getisord import G, G_Local, _g_local_crand, _g_local_star_crand
from esda.moran import (
    Moran,
    Moran_BV,
    Moran_Local,
    Moran_Local_BV,
    _moran_local_bv_crand,
    _moran_local_crand,
)
from esda.smoothing import assuncao_rate
from libpysal.graph import Graph
from scipy.stats import norm

from geo.fast_lisa import local_statistics

CORRECTIONS = ("none", "bonferroni", "fdr")
ENGINES = ("fast", "esda")
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
            permutations=0,
            two_tailed=True,
        )
        p_sim = _moran_p_sim(m, permutations) if permutations else float("nan")
    return GlobalMoran(
        I=float(m.I),
        expected_I=float(m.EI),
        variance_rand=float(m.VI_rand),
        z_rand=float(m.z_rand),
        p_rand=float(m.p_rand),
        p_sim=p_sim,
        permutations=int(permutations),
        seed=seed,
        n=int(len(vec)),
    )


def _moran_p_sim(m: Moran, permutations: int) -> float:
    """esda's ``Moran(..., permutations=permutations).p_sim`` for the fitted ``m``
    (built with ``permutations=0``), from numpy's global random state.

    esda (2.9) lags each permutation in a Python loop, ~45 ms for 999 of them on
    the demo's 159 regions. The same permutations are drawn here, in the same
    order from the same state, and lagged in one sparse product (~5 ms): the same
    simulated I's, row by row, so the same ``p_sim``.
    """
    z = m.y - m.y.mean()  # esda's z before it standardises m.z, float for float
    draws = np.stack([np.random.permutation(z) for _ in range(permutations)])
    lags = np.asarray(m.w.sparse @ draws.T).T
    s0 = m.summary.s0
    sims = m.n / s0 * (draws * lags).sum(axis=1) / m.z2ss
    larger = int((sims >= m.I).sum())
    if permutations - larger < larger:
        larger = permutations - larger
    return (larger + 1.0) / (permutations + 1.0)


@dataclass(frozen=True)
class GlobalGeary:
    """Global Geary's C with its analytical and permutation inference.

    Attributes
    ----------
    C : float
        Geary's C; below 1 (its expectation) means positive autocorrelation.
    expected_C : float
        Expectation under the null, 1.
    variance_rand : float
        Variance of C under randomisation (as R spdep ``geary.test``).
    z_rand : float
        ``(C - 1) / sqrt(variance_rand)``: negative for positive autocorrelation
        (spdep prints ``(1 - C) / sd``, the same number with the sign flipped).
    p_rand : float
        Two-sided normal p-value of ``z_rand`` (spdep's one-sided p is half).
    p_sim : float
        Folded permutation pseudo p-value; NaN when ``permutations == 0``.
    permutations : int
        Number of permutations drawn.
    seed : int or None
        Seed of the permutations.
    n : int
        Number of regions.
    """

    C: float
    expected_C: float
    variance_rand: float
    z_rand: float
    p_rand: float
    p_sim: float
    permutations: int
    seed: int | None
    n: int


@dataclass(frozen=True)
class GlobalGetisOrd:
    """Global Getis-Ord G (binary weights) with normal and permutation inference.

    Attributes
    ----------
    G : float
        ``sum_ij w_ij y_i y_j / sum_{i != j} y_i y_j`` with binary ``w``.
    expected_G : float
        Expectation under the null, ``S0 / (n (n - 1))``.
    variance : float
        Variance of G under randomisation (as R spdep ``globalG.test``).
    z : float
        ``(G - expected_G) / sqrt(variance)``; positive: high values cluster.
    p_norm : float
        Two-sided normal p-value of ``z`` (spdep's one-sided p is half).
    p_sim : float
        Folded permutation pseudo p-value; NaN when ``permutations == 0``.
    permutations : int
        Number of permutations drawn.
    seed : int or None
        Seed of the permutations.
    n : int
        Number of regions.
    """

    G: float
    expected_G: float
    variance: float
    z: float
    p_norm: float
    p_sim: float
    permutations: int
    seed: int | None
    n: int


@dataclass(frozen=True)
class BivariateMoran:
    """Global bivariate Moran's I of x against the spatial lag of y.

    Attributes
    ----------
    I : float
        ``sum_i zx_i lag(zy)_i / sum_i zx_i**2`` (z standardised, row weights).
    expected_I_sim : float
        Mean of the permuted statistics (NaN without permutations).
    z_sim : float
        ``(I - mean) / sd`` of the permuted statistics.
    p_sim : float
        Folded permutation pseudo p-value; NaN when ``permutations == 0``.
    permutations : int
        Number of permutations drawn.
    seed : int or None
        Seed of the permutations.
    n : int
        Number of regions.
    """

    I: float  # noqa: E741 -- the statistic's published name
    expected_I_sim: float
    z_sim: float
    p_sim: float
    permutations: int
    seed: int | None
    n: int


def global_geary(
    y: pd.Series | np.ndarray,
    graph: Graph,
    *,
    permutations: int = 999,
    seed: int | None = None,
) -> GlobalGeary:
    """Global Geary's C of ``y`` over ``graph``.

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
        Seed in ``[0, 2**32)`` of the permutations (numpy's global state is
        restored afterwards).

    Returns
    -------
    GlobalGeary
        C, its expectation, randomisation variance, z, p-values and settings.

    Raises
    ------
    TypeError
        If ``graph`` is not a Graph or ``y`` is not numeric.
    ValueError
        If ``y`` does not match the graph ids, holds NaN, is constant, or there are
        fewer than 3 regions or no neighbour pairs.

    Examples
    --------
    Three squares in a row, rook, row-standardised (S0 = 3), y = 1, 2, 6: the
    squared differences over the 4 directed links are 1, 1, 16, 16 with weights
    1, 1/2, 1/2, 1, so C = (n - 1) / (2 S0) * 25.5 / sum(z**2) = 2/6 * 25.5 / 14.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> g = build_weights(cells, "rook")
    >>> round(global_geary(pd.Series({"w": 1, "m": 2, "e": 6}), g).C, 4)
    0.6071
    """
    _check_permutations(permutations, minimum=0)
    _check_seed(seed)
    vec = _aligned(y, graph, "y")
    _check_analysable(vec, graph, "y", "Geary's C")
    with _numpy_seed(seed), np.errstate(divide="ignore", invalid="ignore"):
        gc = Geary(
            vec, graph, transformation=graph.transformation, permutations=permutations
        )
    z = float(gc.z_rand)
    return GlobalGeary(
        C=float(gc.C),
        expected_C=float(gc.EC),
        variance_rand=float(gc.VC_rand),
        z_rand=z,
        p_rand=_two_sided(z),
        p_sim=float(gc.p_sim) if permutations else float("nan"),
        permutations=int(permutations),
        seed=seed,
        n=int(len(vec)),
    )


def global_getis_ord(
    y: pd.Series | np.ndarray,
    graph: Graph,
    *,
    permutations: int = 999,
    seed: int | None = None,
) -> GlobalGetisOrd:
    """Global Getis-Ord G of non-negative ``y`` over the binary form of ``graph``.

    Parameters
    ----------
    y : pandas.Series or numpy.ndarray
        Non-negative number per region: a Series indexed by region id (reordered
        to ``graph.unique_ids``) or an array already in graph order. Not modified.
    graph : libpysal.graph.Graph
        Spatial weights; only the neighbour structure is used (binary, as spdep's
        ``globalG.test`` with style "B" and ArcGIS's High/Low Clustering).
    permutations : int
        Random permutations for ``p_sim``; 0 skips them.
    seed : int, optional
        Seed in ``[0, 2**32)`` of the permutations.

    Returns
    -------
    GlobalGetisOrd
        G, its expectation and variance, z, p-values and settings.

    Raises
    ------
    TypeError
        If ``graph`` is not a Graph or ``y`` is not numeric.
    ValueError
        If ``y`` does not match the graph ids, holds NaN or negative values, is
        constant, or there are fewer than 3 regions or no neighbour pairs.

    Examples
    --------
    Three squares in a row, rook; y = 1, 2, 6. Linked pairs (both directions)
    give 2 (1*2 + 2*6) = 28; all ordered pairs i != j give 2 (2 + 6 + 12) = 40.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> g = build_weights(cells, "rook")
    >>> global_getis_ord(pd.Series({"w": 1, "m": 2, "e": 6}), g).G
    0.7
    """
    _check_permutations(permutations, minimum=0)
    _check_seed(seed)
    vec = _aligned(y, graph, "y")
    _check_analysable(vec, graph, "y", "Getis-Ord G")
    _check_non_negative(vec, graph, "y")
    with _numpy_seed(seed), np.errstate(divide="ignore", invalid="ignore"):
        g = G(vec, graph.transform("B"), permutations=permutations)
    z = float(g.z_norm)
    return GlobalGetisOrd(
        G=float(g.G),
        expected_G=float(g.EG),
        variance=float(g.VG),
        z=z,
        p_norm=_two_sided(z),
        p_sim=float(g.p_sim) if permutations else float("nan"),
        permutations=int(permutations),
        seed=seed,
        n=int(len(vec)),
    )


def bivariate_moran(
    x: pd.Series | np.ndarray,
    y: pd.Series | np.ndarray,
    graph: Graph,
    *,
    permutations: int = 999,
    seed: int | None = None,
) -> BivariateMoran:
    """Global bivariate Moran's I: ``x`` in a region against ``y`` next door.

    Parameters
    ----------
    x, y : pandas.Series or numpy.ndarray
        One number per region each (Series indexed by region id, or arrays in
        graph order), e.g. the LQs of two industries, or an LQ and a covariate.
        Not modified.
    graph : libpysal.graph.Graph
        Spatial weights, used as they are (``build_weights`` row-standardises).
    permutations : int
        Random permutations of ``y`` for the inference; 0 skips them.
    seed : int, optional
        Seed in ``[0, 2**32)`` of the permutations.

    Returns
    -------
    BivariateMoran
        I, the permutation mean, z and p-value, and settings. There is no
        analytical inference for the bivariate statistic (as in esda and GeoDa).

    Raises
    ------
    TypeError
        If ``graph`` is not a Graph or a variable is not numeric.
    ValueError
        If a variable does not match the graph ids, holds NaN or is constant, or
        there are fewer than 3 regions or no neighbour pairs.

    Notes
    -----
    esda's ``Moran_BV``: ``I = zx' W zy / zx' zx`` with both variables
    standardised. It is not symmetric in x and y.

    Examples
    --------
    Three squares in a row, rook, row-standardised, and y = x = 1, 2, 6: the
    statistic is then the ordinary Moran's I, -1.5 / 14 (see :func:`global_moran`).

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> g = build_weights(cells, "rook")
    >>> x = pd.Series({"w": 1.0, "m": 2.0, "e": 6.0})
    >>> round(bivariate_moran(x, x, g, permutations=0).I, 4)
    -0.1071
    """
    _check_permutations(permutations, minimum=0)
    _check_seed(seed)
    xv = _aligned(x, graph, "x")
    yv = _aligned(y, graph, "y")
    _check_analysable(xv, graph, "x", "bivariate Moran's I")
    _check_analysable(yv, graph, "y", "bivariate Moran's I")
    with _numpy_seed(seed), np.errstate(divide="ignore", invalid="ignore"):
        m = Moran_BV(
            xv,
            yv,
            graph,
            transformation=graph.transformation,
            permutations=permutations,
        )
    nan = float("nan")
    return BivariateMoran(
        I=float(m.I),
        expected_I_sim=float(m.EI_sim) if permutations else nan,
        z_sim=float(m.z_sim) if permutations else nan,
        p_sim=float(m.p_sim) if permutations else nan,
        permutations=int(permutations),
        seed=seed,
        n=int(len(xv)),
    )


def moran_rate(
    events: pd.Series | np.ndarray,
    base: pd.Series | np.ndarray,
    graph: Graph,
    *,
    permutations: int = 999,
    seed: int | None = None,
) -> GlobalMoran:
    """Global Moran's I of a rate after Empirical Bayes standardisation.

    Parameters
    ----------
    events : pandas.Series or numpy.ndarray
        Non-negative counts per region (e.g. employees of an industry).
    base : pandas.Series or numpy.ndarray
        Positive population at risk per region (e.g. total employment).
    graph : libpysal.graph.Graph
        Spatial weights, used as they are.
    permutations : int
        Random permutations for ``p_sim``; 0 skips them.
    seed : int, optional
        Seed in ``[0, 2**32)`` of the permutations.

    Returns
    -------
    GlobalMoran
        As :func:`global_moran`, computed on the standardised rates.

    Raises
    ------
    TypeError
        If ``graph`` is not a Graph or a variable is not numeric.
    ValueError
        If a variable does not match the graph ids or holds NaN, ``events`` is
        negative, ``base`` is not positive, or the rates are constant.

    Notes
    -----
    Assuncao and Reis (1999), as esda's ``Moran_Rate(adjusted=True)`` and
    GeoDa's "Moran's I with EB rate": with ``p_i = e_i / b_i``,
    ``beta = sum e / sum b``, ``alpha = sum b_i (p_i - beta)**2 / sum b - beta /
    mean(b)``, the standardised rate is ``(p_i - beta) / sqrt(alpha + beta /
    b_i)`` (``beta / b_i`` alone where that sum is negative). Small bases no
    longer dominate the map by their noise.

    Examples
    --------
    Rates 0.1, 0.2, 0.6 over equal bases of 10: every region gets the same
    variance, so the standardised rates are proportional to p - beta and I equals
    Moran's I of the raw rates (the three-squares value of :func:`global_moran`).

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> g = build_weights(cells, "rook")
    >>> e = pd.Series({"w": 1, "m": 2, "e": 6})
    >>> round(moran_rate(e, pd.Series(10, index=e.index), g).I, 4)
    -0.1071
    """
    rates = eb_rates(events, base, graph)
    return global_moran(rates, graph, permutations=permutations, seed=seed)


def eb_rates(
    events: pd.Series | np.ndarray, base: pd.Series | np.ndarray, graph: Graph
) -> pd.Series:
    """Empirical Bayes standardised rates (Assuncao-Reis) in graph order.

    Parameters
    ----------
    events : pandas.Series or numpy.ndarray
        Non-negative counts per region (Series by region id, or graph order).
    base : pandas.Series or numpy.ndarray
        Positive population at risk per region.
    graph : libpysal.graph.Graph
        Defines the regions and their order.

    Returns
    -------
    pandas.Series
        Standardised rate per region id (see :func:`moran_rate`, Notes).

    Raises
    ------
    TypeError
        If ``graph`` is not a Graph or a variable is not numeric.
    ValueError
        If a variable does not match the graph ids or holds NaN, ``events`` is
        negative or ``base`` is not positive.

    Examples
    --------
    esda's ``assuncao_rate`` docstring example: events 30, 25, 25, 15, ... over
    bases 100, 100, 110, 90, ... give 1.0384, -0.0410, -0.5625, -1.7306, ...

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": list("abcdefgh")},
    ...     geometry=[box(i, 0, i + 1, 1) for i in range(8)])
    >>> e = [30, 25, 25, 15, 33, 21, 30, 20]
    >>> b = [100, 100, 110, 90, 100, 90, 110, 90]
    >>> eb_rates(e, b, build_weights(cells, "rook")).round(4).tolist()[:4]
    [1.0384, -0.041, -0.5625, -1.7306]
    """
    ev = _aligned(events, graph, "events")
    bv = _aligned(base, graph, "base")
    ids = _id_index(graph)
    if (ev < 0).any():
        bad = ids[ev < 0]
        raise ValueError(
            f"events has {len(bad)} negative counts (first ids: "
            f"{bad[:5].tolist()}). Pass counts (e.g. employees), not differences."
        )
    if (bv <= 0).any():
        bad = ids[bv <= 0]
        raise ValueError(
            f"base has {len(bad)} values that are not positive (first ids: "
            f"{bad[:5].tolist()}). A rate needs a population at risk > 0; drop "
            "those regions."
        )
    return pd.Series(assuncao_rate(ev, bv), index=ids, name="eb_rate")


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
    ``(min(#sim >= I_i, #sim <= I_i) + 1) / (permutations + 1)``, counted over
    esda's random neighbour sets (:func:`geo.fast_lisa.local_statistics` draws the
    same ones as ``Moran_Local`` at the same seed, in numba code cached on disk,
    so no per-process compile of esda's code). Without
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
    local_i, p_sim, quadrant = _moran_arrays(vec, graph, permutations, seed, "fast")
    return _local_frame(
        graph, "local_i", local_i, p_sim, quadrant, "quadrant", alpha, correction
    )


def _moran_arrays(
    vec: np.ndarray, graph: Graph, permutations: int, seed: int | None, engine: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local I, tie-aware p and quadrant of one variable, by either engine."""
    if engine == "fast":
        # geo.fast_lisa: esda's definitions and esda's draws at the same seed (so
        # the same p-values as esda's randomisation), compiled with a disk cache
        res = local_statistics(
            vec[:, None], graph, permutations=permutations, seed=seed, getis_ord=False
        )
        return res.local_i[:, 0], res.p_moran[:, 0], res.quadrant[:, 0]
    # esda computes I_i, the quadrants and the transformed graph; the permutation
    # p-values come from esda's conditional randomisation, made tie-aware.
    lm = Moran_Local(vec, graph, transformation=graph.transformation, permutations=0)
    p_sim = _tie_aware_p_sim(
        lm.z, lm.w, lm.Is, permutations, seed, _moran_local_crand, scaling=None
    )
    quadrant = pd.Series(np.asarray(lm.q)).map(QUADRANTS).fillna("ns").to_numpy()
    return np.asarray(lm.Is, dtype=float), p_sim, quadrant.astype(object)


def _gi_arrays(
    vec: np.ndarray,
    graph: Graph,
    permutations: int,
    seed: int | None,
    star: bool,
    engine: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Getis-Ord z and tie-aware p of one non-negative variable, by either engine."""
    if engine == "fast":
        res = local_statistics(
            vec[:, None], graph, permutations=permutations, seed=seed, star=star
        )
        return res.gi_z[:, 0], res.p_gi[:, 0]
    binary = graph.transform("B")
    gl = G_Local(vec, binary, transform="B", permutations=0, star=star)
    p_sim = _tie_aware_p_sim(
        vec,
        gl.w,
        gl.Gs,
        permutations,
        seed,
        _g_local_star_crand if gl.star else _g_local_crand,
        scaling=vec.sum(),
    )
    return np.asarray(gl.Zs, dtype=float), p_sim


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
    _check_non_negative(vec, graph, "y")
    # geo.fast_lisa: esda's G_Local on the binary graph, esda's draws at the seed
    gi_z, p_sim = _gi_arrays(vec, graph, permutations, seed, bool(star), "fast")
    return _hot_spot_frame(graph, gi_z, p_sim, alpha, correction)


def _hot_spot_frame(
    graph: Graph, gi_z: np.ndarray, p_sim: np.ndarray, alpha: float, correction: str
) -> pd.DataFrame:
    """Gi z, p, adjusted p and confidence label; isolates NaN and ``isolate``."""
    iso = _isolate_mask(graph)
    z = np.where(iso, np.nan, gi_z)
    p = np.where(iso, np.nan, p_sim)
    p_adj = adjust_pvalues(p, method=correction)
    label = np.full(len(z), "ns", dtype=object)
    for cut, level in ((0.10, "90"), (0.05, "95"), (0.01, "99")):
        sig = (p_adj < cut) & (p_adj < alpha)
        label[sig & (z > 0)] = f"hot_{level}"
        label[sig & (z < 0)] = f"cold_{level}"
    label[iso] = "isolate"
    return pd.DataFrame(
        {"gi_z": z, "gi_p": p, "gi_p_adjusted": p_adj, "hotspot": label},
        index=_id_index(graph),
    )


def local_geary(
    y: pd.Series | np.ndarray,
    graph: Graph,
    *,
    permutations: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
    correction: str = "fdr",
) -> pd.DataFrame:
    """Local Geary c with conditional-permutation inference and GeoDa's clusters.

    Parameters
    ----------
    y : pandas.Series or numpy.ndarray
        One number per region: a Series indexed by region id (reordered to
        ``graph.unique_ids``) or an array already in graph order. Not modified.
    graph : libpysal.graph.Graph
        Spatial weights; row-standardised here, as esda and GeoDa do.
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
        Indexed by ``region_id`` in graph order: ``local_c``, ``p_value``,
        ``p_adjusted`` and ``cluster``: ``HH``, ``LL``, ``other_positive`` (a
        small c, i.e. similar neighbours, outside the HH/LL quadrants),
        ``negative`` (a large c: dissimilar neighbours), ``ns``, or ``isolate``.

    Raises
    ------
    TypeError
        If ``graph`` is not a Graph or ``y`` is not numeric.
    ValueError
        If ``y`` does not match the graph ids, holds NaN, is constant, there are
        fewer than 3 regions or no neighbour pairs, or an option is invalid.

    Notes
    -----
    ``c_i = sum_j w_ij (z_i - z_j)**2`` with ``z`` standardised by the population
    standard deviation (esda's ``Geary_Local``; R spdep's ``localC`` scales by
    the sample deviation, so its values are these times ``(n - 1) / n``).
    esda 2.9.0's ``Geary_Local`` returns a Graph's values in sorted-id order,
    not graph order, so ``c_i`` is computed here; the p-value uses esda's
    conditional randomisation and is the tie-aware folded pseudo p-value of
    :func:`local_moran`. As in GeoDa, a significant region is a positive
    association when ``c_i`` is at most its expectation under conditional
    randomisation, ``W_i n (z_i**2 + 1) / (n - 1)`` (GeoDa compares with the
    mean of the permuted values, which estimates it), and then ``HH`` when
    ``z_i`` and the lag of z are positive, ``LL`` when both are negative.

    Examples
    --------
    Three squares in a row, rook, y = 1, 2, 6: z = (-2, -1, 3) / sqrt(14/3);
    c of "w" is (z_w - z_m)**2 = 1 / (14/3) = 0.2143.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> y = pd.Series({"w": 1.0, "m": 2.0, "e": 6.0})
    >>> g = build_weights(cells, "rook")
    >>> local_geary(y, g, permutations=99, seed=1)["local_c"].round(4).tolist()
    [0.2143, 1.8214, 3.4286]
    """
    _check_local_options(permutations, seed, alpha, correction)
    vec = _aligned(y, graph, "y")
    _check_analysable(vec, graph, "y", "local Geary's c")
    w = graph.transform("R")
    z = (vec - vec.mean()) / vec.std()
    sparse = w.sparse.tocsr()
    sparse.setdiag(0)
    sparse.eliminate_zeros()
    row_sum = np.asarray(sparse.sum(axis=1)).ravel()
    lag = sparse @ z
    local_c = row_sum * z**2 - 2.0 * z * lag + sparse @ (z**2)
    p_sim = _tie_aware_p_sim(
        z, w, local_c, permutations, seed, _local_geary_crand, scaling=None
    )
    n = len(z)
    expected = row_sum * n * (z**2 + 1.0) / (n - 1.0)
    label = np.where(
        local_c <= expected,
        np.where(
            (z > 0) & (lag > 0),
            "HH",
            np.where((z < 0) & (lag < 0), "LL", "other_positive"),
        ),
        "negative",
    ).astype(object)
    return _local_frame(
        graph, "local_c", local_c, p_sim, label, "cluster", alpha, correction
    )


def local_moran_bv(
    x: pd.Series | np.ndarray,
    y: pd.Series | np.ndarray,
    graph: Graph,
    *,
    permutations: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
    correction: str = "fdr",
) -> pd.DataFrame:
    """Bivariate local Moran: ``x`` in each region against the lag of ``y``.

    Parameters
    ----------
    x, y : pandas.Series or numpy.ndarray
        One number per region each (Series by region id, or arrays in graph
        order): e.g. the LQ of an industry and the LQ of a related industry, or a
        covariate. Not modified.
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
        Indexed by ``region_id`` in graph order: ``local_i``, ``p_value``,
        ``p_adjusted``, ``quadrant`` (first letter: ``x`` in the region; second:
        the lag of ``y``; ``ns`` when not significant; ``isolate``).

    Raises
    ------
    TypeError
        If ``graph`` is not a Graph or a variable is not numeric.
    ValueError
        If a variable does not match the graph ids, holds NaN or is constant,
        there are fewer than 3 regions or no neighbour pairs, or an option is
        invalid.

    Notes
    -----
    esda's ``Moran_Local_BV``: ``I_i = (n - 1) / n * zx_i * lag(zy)_i`` (both
    standardised by the population deviation), with the region's ``x`` held
    fixed and ``y`` permuted over the other regions; the p-value is the
    tie-aware folded pseudo p-value of :func:`local_moran`.

    Examples
    --------
    Three squares in a row, rook; x = 1, 2, 6 and y = 6, 2, 1: zx = (-2, -1, 3) /
    sqrt(14/3), lag(zy)_w = zy_m = -1 / sqrt(14/3), so I_w = 2/3 * 2 / (14/3).

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> g = build_weights(cells, "rook")
    >>> x = pd.Series({"w": 1.0, "m": 2.0, "e": 6.0})
    >>> y = pd.Series({"w": 6.0, "m": 2.0, "e": 1.0})
    >>> out = local_moran_bv(x, y, g, permutations=99, seed=1)
    >>> round(float(out.loc["w", "local_i"]), 4)
    0.2857
    """
    _check_local_options(permutations, seed, alpha, correction)
    xv = _aligned(x, graph, "x")
    yv = _aligned(y, graph, "y")
    _check_analysable(xv, graph, "x", "bivariate local Moran")
    _check_analysable(yv, graph, "y", "bivariate local Moran")
    lm = Moran_Local_BV(
        xv, yv, graph, transformation=graph.transformation, permutations=0
    )
    p_sim = _tie_aware_p_sim(
        np.column_stack((lm.zx, lm.zy)),
        lm.w,
        lm.Is,
        permutations,
        seed,
        _moran_local_bv_crand,
        scaling=None,
    )
    quadrant = pd.Series(np.asarray(lm.q)).map(QUADRANTS).fillna("ns").to_numpy()
    return _local_frame(
        graph,
        "local_i",
        np.asarray(lm.Is, dtype=float),
        p_sim,
        quadrant.astype(object),
        "quadrant",
        alpha,
        correction,
    )


def local_moran_rate(
    events: pd.Series | np.ndarray,
    base: pd.Series | np.ndarray,
    graph: Graph,
    *,
    permutations: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
    correction: str = "fdr",
) -> pd.DataFrame:
    """Local Moran of a rate after Empirical Bayes standardisation.

    Parameters
    ----------
    events : pandas.Series or numpy.ndarray
        Non-negative counts per region (e.g. employees of an industry).
    base : pandas.Series or numpy.ndarray
        Positive population at risk per region (e.g. total employment).
    graph : libpysal.graph.Graph
        Spatial weights, used as they are.
    permutations, seed, alpha, correction
        As in :func:`local_moran`.

    Returns
    -------
    pandas.DataFrame
        ``eb_rate`` (see :func:`eb_rates`) and the columns of
        :func:`local_moran`, indexed by ``region_id`` in graph order.

    Raises
    ------
    TypeError
        If ``graph`` is not a Graph or a variable is not numeric.
    ValueError
        As :func:`eb_rates` and :func:`local_moran`.

    Notes
    -----
    esda's ``Moran_Local_Rate(adjusted=True)`` and GeoDa's "Local Moran with EB
    rate" (same standardised rates, so the same ``local_i``).

    Examples
    --------
    Equal bases: the standardised rates are proportional to the raw rates minus
    their mean, so ``local_i`` equals :func:`local_moran`'s on the counts.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> g = build_weights(cells, "rook")
    >>> e = pd.Series({"w": 1, "m": 2, "e": 6})
    >>> out = local_moran_rate(e, pd.Series(10, index=e.index), g, seed=1)
    >>> out["local_i"].round(4).tolist()
    [0.2857, -0.0714, -0.4286]
    """
    rates = eb_rates(events, base, graph)
    out = local_moran(
        rates,
        graph,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        correction=correction,
    )
    out.insert(0, "eb_rate", rates.to_numpy())
    return out


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
    star: bool = True,
    engine: str = "fast",
) -> pd.DataFrame:
    """Local Moran and Getis-Ord hot spots (Gi* by default) for every industry.

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
        Seed of the permutation draws. ``engine="fast"``: one table of draws from
        ``seed`` shared by all industries and both statistics, so an industry's
        p-values equal ``local_moran(..., seed=seed)``'s; ``engine="esda"``:
        industry ``k`` uses ``(seed + crc32(str(k))) % 2**32`` for both
        statistics. Either way an industry's result does not depend on which
        other industries are in the table.
    star : bool
        True: Gi* (the region's own value included); False: Gi.
    engine : {"fast", "esda"}
        ``"fast"``: :func:`geo.fast_lisa.local_statistics`, all industries in one
        numba pass (about 30x faster than esda on 100 industries); ``"esda"``:
        :func:`local_moran` and :func:`hot_spots` per industry. Both give the
        same statistics, and the same p-values at the same draws (the fast
        engine reproduces esda's draws); they differ only through the seeding
        rule above, i.e. within Monte Carlo error.

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
        For missing columns, duplicate (region, industry) rows, NaN or negative
        values, regions that are not in the graph, or invalid options (engine
        included).

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
    if engine not in ENGINES:
        raise ValueError(f"Unknown engine {engine!r}. Use one of {list(ENGINES)}.")
    wide = _wide_values(values, graph, region, industry, value)
    if engine == "fast":
        return _lisa_table_fast(
            wide,
            graph,
            region,
            industry,
            value,
            permutations,
            seed,
            alpha,
            correction,
            star,
        )
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
        y = _aligned(vec, graph, "y")
        _check_analysable(y, graph, value, "Moran's I")
        _check_non_negative(y, graph, value)
        local_i, p_sim, quadrant = _moran_arrays(
            y, graph, permutations, ind_seed, "esda"
        )
        lm = _local_frame(
            graph, "local_i", local_i, p_sim, quadrant, "quadrant", alpha, correction
        )
        gi_z, gi_p = _gi_arrays(y, graph, permutations, ind_seed, bool(star), "esda")
        hs = _hot_spot_frame(graph, gi_z, gi_p, alpha, correction)
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


def bivariate_lisa_table(
    values: pd.DataFrame,
    graph: Graph,
    *,
    x: object,
    y: object,
    region: str = "region_id",
    industry: str = "industry",
    value: str = "lq",
    permutations: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
    correction: str = "fdr",
) -> pd.DataFrame:
    """Bivariate local Moran of one industry against another or a covariate.

    Parameters
    ----------
    values : pandas.DataFrame
        Long table, one row per (region, industry), as for :func:`lisa_table`;
        a region missing for an industry counts as 0. Not modified.
    graph : libpysal.graph.Graph
        Spatial weights indexed by region id.
    x, y : str or pandas.Series
        An industry code of ``values`` (its ``value`` column is used), or a
        covariate Series indexed by region id (e.g. population density).
    region, industry, value : str
        Column names of the region id, the industry and the analysed number.
    permutations, alpha, correction
        As in :func:`local_moran_bv`.
    seed : int, optional
        Base seed; the pair uses ``(seed + crc32("<x>|<y>")) % 2**32`` with the
        industry codes or Series names.

    Returns
    -------
    pandas.DataFrame
        One row per region in graph order: ``region``, ``x``, ``y`` (the codes or
        Series names), ``local_i``, ``p_value``, ``p_adjusted``, ``quadrant``.

    Raises
    ------
    TypeError
        If ``values`` is not a DataFrame or ``graph`` not a Graph.
    ValueError
        For an industry that is not in ``values``, and as :func:`lisa_table` and
        :func:`local_moran_bv`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": list("abcd")},
    ...     geometry=[box(i, 0, i + 1, 1) for i in range(4)])
    >>> t = pd.DataFrame({"region_id": list("abcdabcd"), "industry": list("xxxxyyyy"),
    ...                   "lq": [1, 1, 1, 5, 1, 2, 3, 4]})
    >>> out = bivariate_lisa_table(t, build_weights(cells, "rook"), x="x", y="y",
    ...                            permutations=99, seed=7)
    >>> out[["x", "y"]].drop_duplicates().values.tolist()
    [['x', 'y']]
    """
    _check_local_options(permutations, seed, alpha, correction)
    wide = _wide_values(values, graph, region, industry, value)
    columns = {}
    for name, spec in (("x", x), ("y", y)):
        if isinstance(spec, pd.Series):
            columns[name] = (str(spec.name) if spec.name is not None else name, spec)
            continue
        if spec not in wide.columns:
            raise ValueError(
                f"{name}={spec!r} is not an industry of values (first industries: "
                f"{list(wide.columns)[:10]}). Pass an industry code or a Series "
                "indexed by region id."
            )
        columns[name] = (str(spec), wide[spec])
    (x_label, x_values), (y_label, y_values) = columns["x"], columns["y"]
    pair_seed = _derived_seed(seed, f"{x_label}|{y_label}")
    out = local_moran_bv(
        x_values,
        y_values,
        graph,
        permutations=permutations,
        seed=pair_seed,
        alpha=alpha,
        correction=correction,
    )
    out.insert(0, "y", y_label)
    out.insert(0, "x", x_label)
    out.insert(0, region, out.index.to_numpy())
    return out.reset_index(drop=True)


def global_statistics_table(
    values: pd.DataFrame,
    graph: Graph,
    *,
    region: str = "region_id",
    industry: str = "industry",
    value: str = "lq",
    permutations: int = 999,
    seed: int | None = None,
) -> pd.DataFrame:
    """Global Moran's I, Geary's C and Getis-Ord G of ``value`` for every industry.

    Parameters
    ----------
    values : pandas.DataFrame
        Long table, one row per (region, industry); a missing region counts as 0.
        Not modified.
    graph : libpysal.graph.Graph
        Spatial weights indexed by region id.
    region, industry, value : str
        Column names of the region id, the industry and the analysed number
        (non-negative, for G).
    permutations : int
        Permutations for the ``*_p_sim`` columns; 0 skips them.
    seed : int, optional
        Base seed; industry ``k`` uses ``(seed + crc32(str(k))) % 2**32``.

    Returns
    -------
    pandas.DataFrame
        One row per analysed industry, sorted: ``industry``, ``moran_i``,
        ``moran_z``, ``moran_p_sim``, ``geary_c``, ``geary_z``, ``geary_p_sim``,
        ``getis_ord_g``, ``getis_ord_z``, ``getis_ord_p_sim``. Constant
        industries are listed in ``frame.attrs["skipped_industries"]``.

    Raises
    ------
    TypeError
        If ``values`` is not a DataFrame or ``graph`` not a Graph.
    ValueError
        As :func:`global_moran_table`, and for negative values.

    Examples
    --------
    Three squares in a row, rook; industry x has y = 1, 2, 6 (hand values in
    :func:`global_moran`, :func:`global_geary`, :func:`global_getis_ord`).

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> t = pd.DataFrame({"region_id": ["w", "m", "e"], "industry": "x",
    ...                   "lq": [1.0, 2.0, 6.0]})
    >>> out = global_statistics_table(t, build_weights(cells, "rook"), permutations=0)
    >>> out[["moran_i", "geary_c", "getis_ord_g"]].round(4).values.tolist()
    [[-0.1071, 0.6071, 0.7]]
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
        ind_seed = _derived_seed(seed, ind)
        opts = {"permutations": permutations, "seed": ind_seed}
        gm = global_moran(vec, graph, **opts)
        gc = global_geary(vec, graph, **opts)
        gg = global_getis_ord(vec, graph, **opts)
        rows.append(
            {
                industry: ind,
                "moran_i": gm.I,
                "moran_z": gm.z_rand,
                "moran_p_sim": gm.p_sim,
                "geary_c": gc.C,
                "geary_z": gc.z_rand,
                "geary_p_sim": gc.p_sim,
                "getis_ord_g": gg.G,
                "getis_ord_z": gg.z,
                "getis_ord_p_sim": gg.p_sim,
            }
        )
    columns = [
        industry,
        "moran_i",
        "moran_z",
        "moran_p_sim",
        "geary_c",
        "geary_z",
        "geary_p_sim",
        "getis_ord_g",
        "getis_ord_z",
        "getis_ord_p_sim",
    ]
    out = pd.DataFrame(rows, columns=columns)
    out.attrs["skipped_industries"] = skipped
    return out


def _lisa_table_fast(
    wide: pd.DataFrame,
    graph: Graph,
    region: str,
    industry: str,
    value: str,
    permutations: int,
    seed: int | None,
    alpha: float,
    correction: str,
    star: bool,
) -> pd.DataFrame:
    """:func:`lisa_table` with one pass of :func:`geo.fast_lisa.local_statistics`."""
    skipped: dict[object, str] = {}
    kept = []
    for ind in wide.columns:
        reason = _undefined_reason(wide[ind].to_numpy(), value)
        if reason is None:
            kept.append(ind)
        else:
            skipped[ind] = reason
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
    if not kept:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        out.attrs["skipped_industries"] = skipped
        return out
    sub = wide[kept]
    neg = (sub < 0).any(axis=0)
    if neg.any():
        bad = list(sub.columns[neg.to_numpy()])
        raise ValueError(
            f"{value} has negative values for {len(bad)} industries (first: "
            f"{bad[:5]}); Getis-Ord G is defined for non-negative values. Use "
            "local_moran for variables that can be negative."
        )
    _check_analysable(sub.iloc[:, 0].to_numpy(), graph, value, "Moran's I")
    res = local_statistics(
        sub, graph, permutations=permutations, seed=seed, getis_ord=True, star=star
    )
    iso = res.isolates
    p_adj = np.column_stack(
        [adjust_pvalues(res.p_moran[:, k], method=correction) for k in range(len(kept))]
    )
    gi_adj = np.column_stack(
        [adjust_pvalues(res.p_gi[:, k], method=correction) for k in range(len(kept))]
    )
    quadrant = np.where(p_adj < alpha, res.quadrant, "ns")
    quadrant[iso] = "isolate"
    hotspot = np.full(p_adj.shape, "ns", dtype=object)
    for cut, level in ((0.10, "90"), (0.05, "95"), (0.01, "99")):
        sig = (gi_adj < cut) & (gi_adj < alpha)
        hotspot[sig & (res.gi_z > 0)] = f"hot_{level}"
        hotspot[sig & (res.gi_z < 0)] = f"cold_{level}"
    hotspot[iso] = "isolate"
    n, m = p_adj.shape

    def long(a: np.ndarray) -> np.ndarray:
        # (regions, industries) -> industry-major, graph order within an industry
        return np.asarray(a).T.reshape(-1)

    out = pd.DataFrame(
        {
            region: np.tile(res.ids.to_numpy(dtype=object), m),
            industry: np.repeat(np.asarray(kept, dtype=object), n),
            value: long(sub.to_numpy(dtype=float)),
            "local_i": long(res.local_i),
            "p_value": long(res.p_moran),
            "p_adjusted": long(p_adj),
            "quadrant": long(quadrant).astype(object),
            "gi_z": long(res.gi_z),
            "gi_p": long(res.p_gi),
            "gi_p_adjusted": long(gi_adj),
            "hotspot": long(hotspot).astype(object),
        }
    )
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


def _local_frame(
    graph: Graph,
    stat_name: str,
    stat: np.ndarray,
    p_sim: np.ndarray,
    label: np.ndarray,
    label_name: str,
    alpha: float,
    correction: str,
) -> pd.DataFrame:
    """Local statistic, p, adjusted p and label; isolates NaN and ``isolate``."""
    iso = _isolate_mask(graph)
    value = np.where(iso, np.nan, np.asarray(stat, dtype=float))
    p = np.where(iso, np.nan, p_sim)
    p_adj = adjust_pvalues(p, method=correction)
    out_label = np.where(p_adj < alpha, label, "ns")
    out_label = np.where(iso, "isolate", out_label)
    return pd.DataFrame(
        {
            stat_name: value,
            "p_value": p,
            "p_adjusted": p_adj,
            label_name: out_label.astype(object),
        },
        index=_id_index(graph),
    )


def _two_sided(z: float) -> float:
    return float(2.0 * norm.sf(abs(z))) if np.isfinite(z) else float("nan")


def _check_non_negative(vec: np.ndarray, graph: Graph, name: str) -> None:
    if (vec < 0).any():
        ids = _id_index(graph)[vec < 0]
        raise ValueError(
            f"{name} has {len(ids)} negative values (first ids: {ids[:5].tolist()}, "
            f"minimum {vec.min():g}); Getis-Ord G is defined for non-negative "
            "values. Use local_moran for variables that can be negative."
        )


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
