"""One-pass local Moran's I and Getis-Ord G_i for many variables with shared draws."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from numba import njit, prange

# Relative tolerance under which a simulated local statistic ties the observed one
# (the same rule as geo.autocorrelation's tie-aware p-value).
TIE_RTOL = 1e-9
QUADRANT_CODES = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
_MAX_SEED = 2**32


@dataclass(frozen=True)
class LocalStatistics:
    """Local Moran's I and Getis-Ord G_i of many variables over one graph.

    Every array is ``(n_regions, n_variables)`` in graph order; regions without
    neighbours (``isolates``) hold NaN in every statistic and p-value.

    Attributes
    ----------
    ids : pandas.Index
        Region ids in graph order (``region_id``).
    variables : pandas.Index
        Variable names (the input columns).
    local_i : numpy.ndarray
        Local Moran's I, as esda's ``Moran_Local.Is``.
    quadrant : numpy.ndarray
        Moran scatterplot quadrant of each value: ``HH``, ``LH``, ``LL``, ``HL``
        (significance not applied); ``isolate`` for isolates.
    p_moran : numpy.ndarray
        Tie-aware folded pseudo p-value of ``local_i`` (see
        :func:`local_statistics`).
    gi : numpy.ndarray or None
        Getis-Ord G_i (G_i* when ``star``), as esda's ``G_Local.Gs`` on the binary
        graph; None when not computed.
    gi_z : numpy.ndarray or None
        Analytical z-score of ``gi`` (esda's ``G_Local.Zs``).
    p_gi : numpy.ndarray or None
        Tie-aware folded pseudo p-value of ``gi``.
    isolates : numpy.ndarray
        Boolean ``(n_regions,)``: regions without neighbours.
    permutations : int
        Conditional permutations drawn (shared by all variables).
    seed : int
        Seed of the draws (drawn at random when none was given).
    star : bool
        Whether ``gi`` is G_i* (the region's own value included).
    """

    ids: pd.Index
    variables: pd.Index
    local_i: np.ndarray
    quadrant: np.ndarray
    p_moran: np.ndarray
    gi: np.ndarray | None
    gi_z: np.ndarray | None
    p_gi: np.ndarray | None
    isolates: np.ndarray
    permutations: int
    seed: int
    star: bool


def permutation_draws(
    n: int, max_neighbours: int, *, permutations: int = 999, seed: int = 0
) -> np.ndarray:
    """Random neighbour sets of esda's conditional randomisation, bit for bit.

    Parameters
    ----------
    n : int
        Number of regions (each draw picks among the ``n - 1`` others).
    max_neighbours : int
        Largest number of neighbours of a region: the length of each draw.
    permutations : int
        Number of draws (rows).
    seed : int
        Seed in ``[0, 2**32)``.

    Returns
    -------
    numpy.ndarray
        ``(permutations, max_neighbours)`` int64: row ``k`` is a sample without
        replacement from ``0 .. n - 2``; for region ``i`` an entry ``j`` means
        region ``j`` if ``j < i`` else ``j + 1``. Equal to
        ``esda.crand.vec_permutations(max_neighbours, n, permutations, seed)``
        (the same numba sampler, compiled here with ``cache=True``).

    Raises
    ------
    ValueError
        If ``max_neighbours`` is not in ``[1, n - 1]``, ``permutations < 1`` or
        the seed is out of range.

    Examples
    --------
    Three regions, one neighbour each: every draw is 0 or 1.

    >>> d = permutation_draws(3, 1, permutations=5, seed=1)
    >>> d.shape, bool(((d == 0) | (d == 1)).all())
    ((5, 1), True)
    """
    if not 1 <= int(max_neighbours) <= int(n) - 1:
        raise ValueError(
            f"max_neighbours must lie in [1, n - 1] = [1, {int(n) - 1}]; got "
            f"{max_neighbours}. Pass the largest neighbour count of the graph."
        )
    _check_permutations(permutations)
    _check_seed(seed)
    return _draws(int(max_neighbours), int(n), int(permutations), int(seed))


def local_statistics(
    values: pd.DataFrame | np.ndarray,
    graph: Graph,
    *,
    permutations: int = 999,
    seed: int | None = None,
    getis_ord: bool = True,
    star: bool = True,
) -> LocalStatistics:
    """Local Moran's I and G_i of every column in one pass over shared draws.

    Parameters
    ----------
    values : pandas.DataFrame or numpy.ndarray
        One column per variable (e.g. the LQ of each industry), one row per
        region: a DataFrame indexed by region id (reordered to
        ``graph.unique_ids``) or a 2-D array in graph order. Not modified.
    graph : libpysal.graph.Graph
        Spatial weights for Moran's I, used as they are (``build_weights``
        row-standardises); G_i uses their binary form.
    permutations : int
        Conditional permutations (at least 1), shared by all variables.
    seed : int, optional
        Seed in ``[0, 2**32)`` of the draws; the same seed gives esda's draws.
    getis_ord : bool
        Also compute G_i (needs non-negative values).
    star : bool
        G_i* (the region's own value included, self-weight 1) or G_i.

    Returns
    -------
    LocalStatistics
        Statistics, quadrants and p-values per region and variable.

    Raises
    ------
    TypeError
        If ``graph`` is not a Graph or ``values`` is not numeric.
    ValueError
        If ``values`` does not match the graph ids, holds NaN, a constant or (with
        ``getis_ord``) a negative column, there are fewer than 3 regions or no
        neighbour pairs, or an option is invalid.

    Notes
    -----
    Same definitions as esda 2.9's ``Moran_Local`` and ``G_Local`` (z standardised
    with the population deviation; ``I_i = (n - 1) z_i lag(z)_i / sum(z**2)``).
    The p-value is ``(min(#sim >= obs - tol, #sim <= obs + tol) + 1) /
    (permutations + 1)`` with ``tol = 1e-9 max|obs|`` per variable: esda's folded
    ('directed') p-value with ties counted on both sides, as
    :func:`geo.autocorrelation.local_moran`. The draws are esda's
    (``vec_permutations`` at the same seed), so each variable's p-values equal
    those of ``local_moran(y, graph, seed=seed)``. Sharing one table of draws
    across variables keeps every variable's test valid (each is a conditional
    permutation test on its own); only the tests of different variables are
    no longer independent. The kernel runs in numba, in parallel over regions,
    compiled once and cached on disk (``cache=True``).

    Examples
    --------
    Three squares in a row, rook, row-standardised; y = 1, 2, 6 gives local I
    2 z_i lag_i / 14 = 0.2857, -0.0714, -0.4286 (see ``local_moran``).

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": ["w", "m", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> y = pd.DataFrame({"a": [1.0, 2.0, 6.0]}, index=["w", "m", "e"])
    >>> res = local_statistics(y, build_weights(cells, "rook"), seed=1)
    >>> res.local_i[:, 0].round(4).tolist()
    [0.2857, -0.0714, -0.4286]
    """
    _check_permutations(permutations)
    _check_seed(seed)
    if not isinstance(graph, Graph):
        raise TypeError(
            f"graph must be a libpysal.graph.Graph; got {type(graph).__name__}."
        )
    ids = pd.Index([str(i) for i in graph.unique_ids], name="region_id")
    y, variables = _matrix(values, ids)
    n, m = y.shape
    if n < 3:
        raise ValueError(
            f"local statistics need at least 3 regions; got {n}. Use a larger "
            "study area."
        )
    spread = np.ptp(y, axis=0)
    flat = spread <= 1e-12 * np.abs(y).max(axis=0)
    if flat.any():
        raise ValueError(
            f"{int(flat.sum())} columns are constant in all {n} regions (first: "
            f"{variables[flat][:5].tolist()}), so their statistics are undefined. "
            "Drop those columns."
        )
    if getis_ord and (y < 0).any():
        cols = variables[(y < 0).any(axis=0)]
        raise ValueError(
            f"{len(cols)} columns have negative values (first: {cols[:5].tolist()}); "
            "Getis-Ord G is defined for non-negative values. Pass getis_ord=False."
        )
    if seed is None:
        seed = int(np.random.randint(12345, 12345000))  # esda's own rule

    # the CSR that esda's crand sees: graph transformed, diagonal split off
    w = graph.transform(graph.transformation)
    adj = w.sparse.tocsr().copy()
    self_w = np.asarray(adj.diagonal(), dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adj.setdiag(0)
    adj.eliminate_zeros()
    indptr = adj.indptr.astype(np.int64)
    weights = adj.data.astype(float)
    card = np.diff(indptr)
    iso = card == 0
    if iso.all():
        raise ValueError(
            f"graph has no neighbour pairs (all {n} regions are isolates), so the "
            "local statistics are undefined. Use another weights method."
        )
    draws = _draws(int(card.max()), n, int(permutations), int(seed))

    mean = y.mean(axis=0)
    sd = y.std(axis=0)
    z = np.ascontiguousarray((y - mean) / sd)
    den = (z * z).sum(axis=0)
    lag = adj @ z + self_w[:, None] * z
    local_i = (n - 1) * z * lag / den
    scaling = (n - 1) / den
    tol_i = _tolerance(local_i)

    total = y.sum(axis=0)
    if getis_ord:
        binary_lag = adj.astype(bool).astype(float) @ y
        if star:
            gi = (binary_lag + y) / total
            size = (card + 1).astype(float)[:, None]
            n_eff, own = float(n), np.zeros_like(y)
        else:
            gi = binary_lag / (total - y)
            size = card.astype(float)[:, None]
            n_eff, own = float(n - 1), y
        with np.errstate(divide="ignore", invalid="ignore"):
            emp_mean = (total - own) / n_eff
            emp_var = ((y**2).sum(axis=0) - own**2) / n_eff - emp_mean**2
            var_g = size * (n_eff - size) / (n_eff - 1) / n_eff**2
            var_g = var_g * emp_var / emp_mean**2
            gi_z = (gi - size / n_eff) / np.sqrt(var_g)
        tol_g = _tolerance(gi)
    else:
        gi = gi_z = np.zeros((0, 0))
        tol_g = np.zeros(m)

    # a row whose weights are all equal (row-standardised contiguity, KNN) needs
    # one running sum per draw; other rows (kernels) a weighted one as well
    first = np.repeat(weights[indptr[:-1][~iso]], card[~iso])
    uniform = np.ones(n, dtype=np.bool_)
    if len(first):
        differs = np.abs(weights - first) > 1e-12 * np.abs(first)
        uniform[np.repeat(np.flatnonzero(~iso), card[~iso])[differs]] = False
    if getis_ord:
        gi_c = np.ascontiguousarray(gi)
        lo_g, hi_g = gi_c - tol_g, gi_c + tol_g
    else:
        lo_g = hi_g = np.zeros((n, m))
    counts = _count_tails(
        z,
        indptr,
        weights,
        uniform,
        self_w,
        draws,
        np.ascontiguousarray(local_i - tol_i),
        np.ascontiguousarray(local_i + tol_i),
        scaling,
        bool(getis_ord),
        bool(star),
        mean,
        sd,
        total,
        lo_g,
        hi_g,
    )
    p_moran = (np.minimum(counts[0], counts[1]) + 1.0) / (permutations + 1.0)
    quad = np.where(
        z > 0, np.where(lag > 0, "HH", "HL"), np.where(lag > 0, "LH", "LL")
    ).astype(object)
    quad[iso] = "isolate"
    nan_iso = iso[:, None]
    p_gi = None
    if getis_ord:
        p_gi = (np.minimum(counts[2], counts[3]) + 1.0) / (permutations + 1.0)
        p_gi = np.where(nan_iso, np.nan, p_gi)
        gi = np.where(nan_iso, np.nan, gi)
        gi_z = np.where(nan_iso, np.nan, gi_z)
    return LocalStatistics(
        ids=ids,
        variables=variables,
        local_i=np.where(nan_iso, np.nan, local_i),
        quadrant=quad,
        p_moran=np.where(nan_iso, np.nan, p_moran),
        gi=gi if getis_ord else None,
        gi_z=gi_z if getis_ord else None,
        p_gi=p_gi,
        isolates=iso,
        permutations=int(permutations),
        seed=int(seed),
        star=bool(star),
    )


# ----------------------------------------------------------------- numba kernels


@njit(cache=True)
def _draws(max_card, n, permutations, seed):  # pragma: no cover - numba
    # esda.crand.vec_permutations, line for line: numba's choice without
    # replacement shuffles all n - 1 ids, so the same seed gives the same table.
    np.random.seed(seed)
    result = np.empty((permutations, max_card), dtype=np.int64)
    for k in range(permutations):
        result[k] = np.random.choice(n - 1, size=max_card, replace=False)
    return result


@njit(cache=True, parallel=True)
def _count_tails(
    z,
    indptr,
    weights,
    uniform,
    self_w,
    draws,
    lo_i,
    hi_i,
    scaling,
    getis_ord,
    star,
    mean,
    sd,
    total,
    lo_g,
    hi_g,
):  # pragma: no cover - numba
    """Per region and variable: #sim >= obs - tol and #sim <= obs + tol.

    Moran: sim = z_i (sum_t w_t z_j(t) + w_ii z_i) (n - 1) / sum(z**2), as esda's
    ``_moran_local_crand``; G_i from the unweighted sum of the drawn neighbours'
    values, ``y_j = sd z_j + mean``, as esda's ``_g_local(_star)_crand``.
    """
    n, m = z.shape
    n_perm = draws.shape[0]
    counts = np.zeros((4, n, m), dtype=np.int64)
    for i in prange(n):
        start = indptr[i]
        card = indptr[i + 1] - start
        if card == 0:
            continue
        acc = np.empty(m)
        acc_b = np.empty(m)
        a_i = np.empty(m)  # Moran sim = a_i * acc + b_i
        b_i = np.empty(m)
        a_g = np.empty(m)  # G sim = a_g * acc_b + b_g
        b_g = np.empty(m)
        c = np.zeros((4, m), dtype=np.int64)
        uni = uniform[i]
        w0 = weights[start] if uni else 1.0
        for v in range(m):
            zi = z[i, v]
            a_i[v] = zi * scaling[v] * w0
            b_i[v] = zi * self_w[i] * zi * scaling[v]
            yi = zi * sd[v] + mean[v]
            den = total[v] if star else total[v] - yi
            a_g[v] = sd[v] / den
            b_g[v] = (card * mean[v] + (yi if star else 0.0)) / den
        for k in range(n_perm):
            acc[:] = 0.0
            if uni:
                for t in range(card):
                    j = draws[k, t]
                    if j >= i:
                        j += 1
                    for v in range(m):
                        acc[v] += z[j, v]
            else:
                acc_b[:] = 0.0
                for t in range(card):
                    j = draws[k, t]
                    if j >= i:
                        j += 1
                    wt = weights[start + t]
                    for v in range(m):
                        acc[v] += wt * z[j, v]
                        acc_b[v] += z[j, v]
            for v in range(m):
                sim = a_i[v] * acc[v] + b_i[v]
                c[0, v] += 1 if sim >= lo_i[i, v] else 0
                c[1, v] += 1 if sim <= hi_i[i, v] else 0
            if getis_ord:
                for v in range(m):
                    g = a_g[v] * (acc[v] if uni else acc_b[v]) + b_g[v]
                    c[2, v] += 1 if g >= lo_g[i, v] else 0
                    c[3, v] += 1 if g <= hi_g[i, v] else 0
        counts[:, i, :] = c
    return counts


# ----------------------------------------------------------------- helpers


def _tolerance(obs: np.ndarray) -> np.ndarray:
    scale = np.nanmax(np.abs(obs), axis=0)
    return np.where(scale > 0, TIE_RTOL * scale, 1e-300)


def _matrix(values: pd.DataFrame | np.ndarray, ids: pd.Index) -> tuple:
    """``values`` as a float (n, m) array in graph order, and the column names."""
    if isinstance(values, pd.DataFrame):
        index = pd.Index([str(i) for i in values.index])
        if index.has_duplicates or len(index) != len(ids) or len(index.difference(ids)):
            raise ValueError(
                f"values has {len(index)} rows (ids unique: {index.is_unique}) but "
                f"graph has {len(ids)} ids; first ids without a row: "
                f"{ids.difference(index)[:5].tolist()}. Index values by the "
                "graph's region ids, one row each."
            )
        frame = values.set_axis(index).reindex(ids)
        variables = pd.Index(values.columns)
        raw = frame.to_numpy()
    else:
        raw = np.asarray(values)
        if raw.ndim != 2 or raw.shape[0] != len(ids):
            raise ValueError(
                f"values must be 2-D with one row per graph id ({len(ids)}); got "
                f"shape {raw.shape}. Pass a (regions, variables) array in graph order."
            )
        variables = pd.RangeIndex(raw.shape[1])
    if raw.shape[1] == 0:
        raise ValueError("values has no columns. Pass at least one variable.")
    try:
        y = np.array(raw, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"values must be numeric; got dtype {raw.dtype}. Convert with "
            "pd.to_numeric first."
        ) from None
    bad = ~np.isfinite(y)
    if bad.any():
        raise ValueError(
            f"values has {int(bad.sum())} NaN or infinite entries (first region: "
            f"{ids[bad.any(axis=1)][0]!r}). Fill or drop them first."
        )
    return y, variables


def _check_permutations(permutations: int) -> None:
    if (
        isinstance(permutations, bool)
        or not isinstance(permutations, int | np.integer)
        or permutations < 1
    ):
        raise ValueError(
            f"permutations must be an integer >= 1; got {permutations!r}. "
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
