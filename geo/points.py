"""Point patterns of firms: density grids, DBSCAN/HDBSCAN clusters, K-density."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from numba import njit
from pyproj import CRS
from scipy import ndimage
from scipy.spatial.distance import pdist
from sklearn.cluster import DBSCAN, HDBSCAN

from geo.crs import require_metric_crs

CLUSTER_METHODS = ("dbscan", "hdbscan")
HULL_KINDS = ("convex", "concave")
K_CLASSES = ("localised", "dispersed", "neither")

# Largest density grid built (cells); above it the caller should coarsen cell_m.
_MAX_CELLS = 50_000_000
# K-density: pair distances are linearly binned on a grid of step bandwidth / 25
# (relative error of the estimate below 1e-4, see the docs), at most this many bins.
_BINS_PER_BANDWIDTH = 25
_MAX_BINS = 100_000
# Kernel mass beyond 5 bandwidths (< 3e-7) is ignored.
_KERNEL_REACH = 5.0
# Pool sites used to estimate the default maximum distance (median pair distance).
_MEDIAN_SAMPLE = 2000
# Binned counts held at once (floats, 8 MB): the simulations are binned in chunks
# of this many over the number of bins (up to 100,000 with a small bandwidth).
_COUNTS_CHUNK = 1 << 20


def density_grid(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    cell_m: float,
    bandwidth_m: float,
    bounds: tuple[float, float, float, float] | None = None,
    weights: str | np.ndarray | pd.Series | None = None,
) -> tuple[np.ndarray, Affine, CRS]:
    """Kernel density of points on a north-up grid, in points (or weight) per km2.

    Parameters
    ----------
    points : geopandas.GeoDataFrame or geopandas.GeoSeries
        Points in a projected CRS in metres. Rows with an empty or missing point
        are dropped with a ``UserWarning``. Not modified.
    cell_m : float
        Side of a square grid cell, in metres.
    bandwidth_m : float
        Standard deviation of the Gaussian kernel, in metres; 0 gives the raw
        counts per cell (divided by the cell area).
    bounds : tuple of float, optional
        ``(minx, miny, maxx, maxy)`` in the points' CRS. Default: the points'
        bounds widened by ``3 * bandwidth_m``. The grid is snapped outward to
        multiples of ``cell_m``, so grids built on the same bounds align cell for
        cell (pass the study area's bounds for every industry). Points outside
        the grid are dropped with a ``UserWarning``.
    weights : str or array-like, optional
        Column name or one non-negative number per row (e.g. employees); default
        1 per point.

    Returns
    -------
    density : numpy.ndarray
        ``float32``, shape ``(rows, cols)``, row 0 at the north edge.
    transform : affine.Affine
        Maps (col, row) to the cell's upper-left corner, as rasterio expects.
    crs : pyproj.CRS
        The points' CRS.

    Raises
    ------
    TypeError
        If ``points`` is not a GeoDataFrame or GeoSeries.
    ValueError
        For a missing or non-metric CRS, non-point geometries, a non-positive
        ``cell_m``, a negative ``bandwidth_m``, invalid bounds or weights, no
        points and no bounds, or a grid above 50 million cells.

    Notes
    -----
    Counts per cell are ``np.bincount`` of the flat cell index (the fastest
    known way, PERFORMANCE-NOTES), divided by the cell area in km2, then
    smoothed with ``scipy.ndimage.gaussian_filter(sigma=bandwidth_m / cell_m,
    mode="constant")``. The result is the Gaussian kernel density estimate
    ``sum_i w_i exp(-|x - x_i|**2 / (2 h**2)) / (2 pi h**2)`` discretised on the
    grid; its sum times the cell area is the total weight, less the kernel mass
    that falls outside the grid (under 1 % with the default bounds).

    Examples
    --------
    Three points in the 3 x 3 km grid, no smoothing: 1 km2 cells hold 1, 1 and 1
    points, so the densities sum to 3 per km2.

    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoSeries([Point(500, 500), Point(1500, 2500), Point(2500, 500)],
    ...                     crs="EPSG:32616")
    >>> d, t, crs = density_grid(pts, cell_m=1000, bandwidth_m=0,
    ...                          bounds=(0, 0, 3000, 3000))
    >>> d.tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 1.0]]
    >>> (t.c, t.f, t.e)
    (0.0, 3000.0, -1000.0)
    """
    xy, kept = _located_xy(points, "points")
    _require_positive(cell_m, "cell_m", "e.g. 500 for 500 m cells")
    _require_number(bandwidth_m, "bandwidth_m")
    if bandwidth_m < 0:
        raise ValueError(
            f"bandwidth_m must be >= 0 metres; got {bandwidth_m!r}. Use 0 for raw "
            "counts per cell."
        )
    w = _row_weights(points, weights, kept)
    if bounds is None:
        if len(xy) == 0:
            raise ValueError(
                "points has no located point, so the grid bounds are unknown. Pass "
                "bounds=(minx, miny, maxx, maxy), e.g. the study area's total_bounds."
            )
        pad = 3.0 * float(bandwidth_m)
        minx, miny = xy.min(axis=0) - pad
        maxx, maxy = xy.max(axis=0) + pad
    else:
        minx, miny, maxx, maxy = _check_bounds(bounds)
    cell = float(cell_m)
    x0 = math.floor(minx / cell) * cell
    y_top = math.ceil(maxy / cell) * cell
    cols = max(1, math.ceil((maxx - x0) / cell - 1e-9))
    rows = max(1, math.ceil((y_top - miny) / cell - 1e-9))
    if rows * cols > _MAX_CELLS:
        raise ValueError(
            f"the grid would have {rows} x {cols} = {rows * cols} cells (limit "
            f"{_MAX_CELLS}). Use a larger cell_m (got {cell_m}) or smaller bounds."
        )
    x_right, y_bottom = x0 + cols * cell, y_top - rows * cell
    inside = (
        (xy[:, 0] >= x0)
        & (xy[:, 0] <= x_right)
        & (xy[:, 1] >= y_bottom)
        & (xy[:, 1] <= y_top)
    )
    if not inside.all():
        warnings.warn(
            f"density_grid dropped {int((~inside).sum())} points outside the grid "
            f"({x0}, {y_bottom}, {x_right}, {y_top}); widen bounds to keep them.",
            UserWarning,
            stacklevel=2,
        )
    col = np.clip(((xy[inside, 0] - x0) // cell).astype(np.int64), 0, cols - 1)
    row = np.clip(((y_top - xy[inside, 1]) // cell).astype(np.int64), 0, rows - 1)
    counts = np.bincount(row * cols + col, weights=w[inside], minlength=rows * cols)
    density = counts.reshape(rows, cols) / (cell * cell / 1e6)
    if bandwidth_m > 0:
        density = ndimage.gaussian_filter(
            density, sigma=float(bandwidth_m) / cell, mode="constant", cval=0.0
        )
    transform = Affine(cell, 0.0, x0, 0.0, -cell, y_top)
    return density.astype(np.float32), transform, CRS.from_user_input(points.crs)


def point_clusters(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    method: str = "dbscan",
    eps_m: float | None = None,
    min_samples: int = 5,
    min_cluster_size: int = 10,
) -> pd.Series:
    """Density-based clusters of points (DBSCAN or HDBSCAN, scikit-learn).

    Parameters
    ----------
    points : geopandas.GeoDataFrame or geopandas.GeoSeries
        Points in a projected CRS in metres. Not modified.
    method : {"dbscan", "hdbscan"}
        ``"dbscan"``: points with at least ``min_samples`` points (themselves
        included) within ``eps_m`` are cores; cores within ``eps_m`` of each other
        and the points they reach form a cluster. ``"hdbscan"``: the stable
        clusters of the mutual-reachability hierarchy with at least
        ``min_cluster_size`` points.
    eps_m : float, optional
        DBSCAN's neighbourhood radius in metres (required for ``"dbscan"``). For
        ``"hdbscan"``, ``cluster_selection_epsilon``: clusters closer than this
        are merged (default 0).
    min_samples : int
        Neighbourhood size of a core point (both methods).
    min_cluster_size : int
        Smallest HDBSCAN cluster; DBSCAN ignores it.

    Returns
    -------
    pandas.Series
        ``Int64`` named ``cluster``, aligned with ``points``' index: 0, 1, ... by
        decreasing cluster size (ties: first row first), -1 for noise, ``<NA>``
        for rows without a point.

    Raises
    ------
    TypeError
        If ``points`` is not a GeoDataFrame or GeoSeries.
    ValueError
        For a missing or non-metric CRS, non-point geometries, an unknown method,
        a missing or non-positive ``eps_m`` for DBSCAN, or invalid sizes.

    Notes
    -----
    Firms geocoded to a postcode or settlement centroid share one point; a
    centroid holding ``min_samples`` firms is then a DBSCAN cluster on its own.
    Run on firms located at the ``coordinates`` level, or read such clusters
    with the match levels in mind. HDBSCAN keeps as members of a selected
    cluster the points that fell out of it after it split from its parent (with
    a low membership probability), so a hull can reach out to a few strays near
    a cluster; DBSCAN does not.

    Examples
    --------
    Two blobs of three points 10 km apart and one stray point, eps 100 m:

    >>> from shapely.geometry import Point
    >>> xy = [(0, 0), (10, 0), (0, 10), (10000, 0), (10010, 0), (10000, 10),
    ...       (5000, 5000)]
    >>> pts = gpd.GeoSeries([Point(p) for p in xy], crs="EPSG:32616")
    >>> point_clusters(pts, eps_m=100, min_samples=3).tolist()
    [0, 0, 0, 1, 1, 1, -1]
    """
    xy, kept = _located_xy(points, "points", warn=False)
    if method not in CLUSTER_METHODS:
        raise ValueError(
            f"Unknown clustering method {method!r}. Use one of {list(CLUSTER_METHODS)}."
        )
    _require_count(min_samples, "min_samples", 1)
    _require_count(min_cluster_size, "min_cluster_size", 2)
    if method == "dbscan" and eps_m is None:
        raise ValueError(
            "method='dbscan' needs eps_m, the neighbourhood radius in metres "
            "(e.g. eps_m=500); got None."
        )
    if eps_m is not None:
        _require_positive(eps_m, "eps_m", "the neighbourhood radius in metres")
    labels = np.full(len(xy), -1, dtype=np.int64)
    if method == "dbscan" and len(xy):
        labels = DBSCAN(eps=float(eps_m), min_samples=int(min_samples)).fit_predict(xy)
    elif method == "hdbscan" and len(xy) >= 2:
        labels = HDBSCAN(
            min_cluster_size=int(min_cluster_size),
            min_samples=int(min_samples),
            cluster_selection_epsilon=float(eps_m or 0.0),
            copy=True,
        ).fit_predict(xy)
    labels = _relabel_by_size(np.where(labels < 0, -1, labels))
    out = pd.Series(pd.NA, index=points.index, dtype="Int64", name="cluster")
    out[kept] = labels
    return out


def cluster_hulls(
    points: gpd.GeoDataFrame,
    labels: pd.Series,
    *,
    kind: str = "convex",
    ratio: float = 0.3,
    employees: str | None = "employees",
    degenerate_buffer_m: float = 50.0,
) -> gpd.GeoDataFrame:
    """One hull polygon per point cluster, with its firm and employee counts.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Points in a projected CRS in metres. Not modified.
    labels : pandas.Series
        Cluster label per row of ``points`` (same index), as from
        :func:`point_clusters`; -1 (noise) and ``<NA>`` rows are left out.
    kind : {"convex", "concave"}
        Convex hull, or ``shapely.concave_hull`` with ``ratio``.
    ratio : float
        Concave hull ratio in ``[0, 1]``: 1 is the convex hull, smaller values
        follow the points more tightly.
    employees : str, optional
        Column summed into ``employees``; None leaves the column out.
    degenerate_buffer_m : float
        Hulls that are a point or a line (all members on one or two sites, or
        collinear) are buffered by this many metres, so every row is a polygon.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cluster, sorted by ``cluster``: ``cluster``, ``firms``,
        ``employees`` (unless None), ``area_km2`` and the hull ``geometry``, in
        the points' CRS.

    Raises
    ------
    TypeError
        If ``points`` is not a GeoDataFrame or ``labels`` not a Series.
    ValueError
        For a missing or non-metric CRS, non-point geometries, labels not on the
        points' index, a missing ``employees`` column, an unknown ``kind`` or an
        invalid ``ratio`` or buffer.

    Examples
    --------
    Four points on the corners of a 1 km square form one cluster; its convex hull
    is the square (1 km2).

    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoDataFrame({"employees": [1, 2, 3, 4]},
    ...     geometry=[Point(0, 0), Point(1000, 0), Point(1000, 1000), Point(0, 1000)],
    ...     crs="EPSG:32616")
    >>> hulls = cluster_hulls(pts, pd.Series([0, 0, 0, 0]))
    >>> hulls.drop(columns="geometry").to_dict("records")
    [{'cluster': 0, 'firms': 4, 'employees': 10, 'area_km2': 1.0}]
    """
    if not isinstance(points, gpd.GeoDataFrame):
        raise TypeError(
            f"points must be a GeoDataFrame; got {type(points).__name__}. Build one "
            "with geopandas.GeoDataFrame(..., crs=...)."
        )
    if not isinstance(labels, pd.Series):
        raise TypeError(
            f"labels must be a pandas Series on points' index; got "
            f"{type(labels).__name__}. Use the Series point_clusters returns."
        )
    xy, kept = _located_xy(points, "points", warn=False)
    if kind not in HULL_KINDS:
        raise ValueError(f"Unknown hull kind {kind!r}. Use one of {list(HULL_KINDS)}.")
    _require_number(ratio, "ratio")
    if not 0 <= ratio <= 1:
        raise ValueError(f"ratio must lie in [0, 1]; got {ratio!r}. 1 = convex hull.")
    _require_positive(degenerate_buffer_m, "degenerate_buffer_m", "in metres")
    if not labels.index.equals(points.index):
        raise ValueError(
            f"labels has {len(labels)} rows on another index than points "
            f"({len(points)} rows); pass the Series point_clusters(points) returns."
        )
    if employees is not None and employees not in points.columns:
        raise ValueError(
            f"points lacks the employees column {employees!r}; it has "
            f"{list(points.columns)[:10]}. Pass employees=None to leave it out."
        )
    lab = pd.to_numeric(labels, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    member = kept & np.isfinite(lab) & (lab >= 0)
    columns = ["cluster", "firms", *(["employees"] if employees else []), "area_km2"]
    if not member.any():
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype="int64") for c in columns}, geometry=[], crs=points.crs
        )
    codes = lab[member].astype(np.int64)
    uniq, inv = np.unique(codes, return_inverse=True)
    xy_member = shapely.get_coordinates(points.geometry.to_numpy()[member])
    order = np.argsort(inv, kind="stable")  # shapely wants sorted part indices
    multi = shapely.multipoints(xy_member[order], indices=inv[order])
    if kind == "convex":
        hulls = shapely.convex_hull(multi)
    else:
        hulls = shapely.concave_hull(multi, ratio=float(ratio))
    flat = shapely.get_type_id(hulls) != 3  # 3 = Polygon
    hulls[flat] = shapely.buffer(hulls[flat], float(degenerate_buffer_m))
    data = {"cluster": uniq, "firms": np.bincount(inv).astype(np.int64)}
    if employees:
        emp = pd.to_numeric(points.loc[member, employees], errors="coerce")
        data["employees"] = emp.groupby(inv).sum().to_numpy()
    data["area_km2"] = shapely.area(hulls) / 1e6
    return gpd.GeoDataFrame(data, geometry=hulls, crs=points.crs)


@dataclass(frozen=True, eq=False)
class KDensityResult:
    """Duranton-Overman K-density of one industry against its counterfactual.

    Attributes
    ----------
    industry : str or None
        The industry analysed (None when given as a mask).
    distances_m : numpy.ndarray
        Evaluation distances ``d``, from 0 to the maximum distance, in metres.
    k_observed : numpy.ndarray
        K-density of the industry's pair distances at ``d``, per metre.
    local_lower, local_upper : numpy.ndarray
        5th and 95th percentiles of the simulated K at each ``d``.
    global_lower, global_upper : numpy.ndarray
        Global bands: hit (crossed anywhere in ``[0, max]``) by at most 5 % of
        the simulations each.
    classification : str
        ``"localised"`` if K is above the global upper band at some distance,
        else ``"dispersed"`` if below the global lower band at some distance,
        else ``"neither"``.
    localised_ranges_m, dispersed_ranges_m : tuple of (float, float)
        Runs of evaluation distances where K is above the upper (below the lower)
        global band, as ``(first, last)`` distances.
    localisation_index : float
        ``Gamma = sum_d max(K(d) - global_upper(d), 0) * step``: the excess share
        of pairs at localised distances (0 if never localised).
    dispersion_index : float
        ``Psi = sum_d max(global_lower(d) - K(d), 0) * step`` if not localised,
        else 0.
    bandwidth_m : float
        Kernel bandwidth (Silverman's rule on the observed distances by default).
    n_sites, n_used, n_pool : int
        Industry sites located, sites used (after the ``max_sites`` cap), and
        sites of all industries the counterfactual draws from.
    simulations : int
        Counterfactual draws.
    seed : int or None
        Seed of the draws.
    """

    industry: str | None
    distances_m: np.ndarray
    k_observed: np.ndarray
    local_lower: np.ndarray
    local_upper: np.ndarray
    global_lower: np.ndarray
    global_upper: np.ndarray
    classification: str
    localised_ranges_m: tuple[tuple[float, float], ...]
    dispersed_ranges_m: tuple[tuple[float, float], ...]
    localisation_index: float
    dispersion_index: float
    bandwidth_m: float
    n_sites: int
    n_used: int
    n_pool: int
    simulations: int
    seed: int | None

    @property
    def localised_from_m(self) -> float | None:
        """Smallest distance at which the industry is localised, or None."""
        return self.localised_ranges_m[0][0] if self.localised_ranges_m else None

    @property
    def localised_to_m(self) -> float | None:
        """Largest distance at which the industry is localised, or None."""
        return self.localised_ranges_m[-1][1] if self.localised_ranges_m else None

    def to_frame(self) -> pd.DataFrame:
        """Curves as a table: one row per distance, bands and above/below flags.

        Returns
        -------
        pandas.DataFrame
            ``industry``, ``distance_m``, ``k_observed``, ``local_lower``,
            ``local_upper``, ``global_lower``, ``global_upper``, ``localised``,
            ``dispersed``.

        Examples
        --------
        >>> r = KDensityResult("x", np.array([0.0, 1.0]), np.array([2.0, 0.0]),
        ...     np.zeros(2), np.ones(2), np.zeros(2), np.ones(2), "localised",
        ...     ((0.0, 0.0),), (), 1.0, 0.0, 1.0, 3, 3, 9, 99, 1)
        >>> r.to_frame()["localised"].tolist()
        [True, False]
        """
        return pd.DataFrame(
            {
                "industry": self.industry,
                "distance_m": self.distances_m,
                "k_observed": self.k_observed,
                "local_lower": self.local_lower,
                "local_upper": self.local_upper,
                "global_lower": self.global_lower,
                "global_upper": self.global_upper,
                "localised": self.k_observed > self.global_upper,
                "dispersed": self.k_observed < self.global_lower,
            }
        )


def k_density(
    points: gpd.GeoDataFrame,
    industry: object,
    *,
    industry_column: str = "industry",
    bandwidth_m: float | None = None,
    max_distance_m: float | None = None,
    n_steps: int = 101,
    simulations: int = 999,
    seed: int | None = None,
    max_sites: int = 1000,
    band_level: float = 0.05,
) -> KDensityResult:
    """Duranton-Overman (2005) K-density test of localisation of one industry.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Sites of all industries (the counterfactual's pool), in a projected CRS in
        metres; rows without a point are dropped with a ``UserWarning``. Not
        modified.
    industry : object
        An industry code looked up in ``industry_column``, or a boolean mask (a
        Series on ``points``' index or an array of ``len(points)``) of the
        industry's rows.
    industry_column : str
        Column holding the industry codes (when ``industry`` is a code).
    bandwidth_m : float, optional
        Gaussian kernel bandwidth in metres. Default: Silverman's rule of thumb
        on the observed pair distances (see Notes).
    max_distance_m : float, optional
        Largest distance tested. Default: the median distance between pairs of
        pool sites (Duranton and Overman's choice), estimated on at most 2,000
        pool sites drawn with ``seed``.
    n_steps : int
        Evaluation distances, evenly spaced on ``[0, max_distance_m]``.
    simulations : int
        Counterfactual draws (999 in Duranton and Overman; fewer in tests).
    seed : int, optional
        Seed of every random draw (subsample, median, counterfactuals).
    max_sites : int
        Cap on the industry's sites: above it, ``max_sites`` sites are drawn at
        random (with ``seed``) and the counterfactuals draw as many. Cost grows as
        ``simulations * max_sites**2``.
    band_level : float
        Share of simulations allowed to hit each global band (0.05 in the paper).

    Returns
    -------
    KDensityResult
        Observed K, local and global bands, classification and distance ranges.

    Raises
    ------
    TypeError
        If ``points`` is not a GeoDataFrame.
    ValueError
        For a missing or non-metric CRS, non-point geometries, an unknown industry
        or bad mask, fewer than 3 industry sites, an industry holding every pool
        site, all sites at one location, or invalid options.

    Notes
    -----
    For the ``n`` sites of the industry with pair distances ``d_ij`` (``m = n (n -
    1) / 2`` pairs) the K-density is the kernel density of the pair distances,
    reflected at 0 because distances are non-negative:

    ``K(d) = 1 / (m h) * sum_{i<j} [phi((d - d_ij) / h) + phi((d + d_ij) / h)]``

    with ``phi`` the standard normal density. It integrates to 1 over ``d >= 0``;
    Duranton and Overman's sum over ``i<j`` divided by ``n (n - 1) h`` is half of
    it, which changes no test. The bandwidth is Silverman's (1986, eq. 3.31)
    ``h = 0.9 min(sd, IQR / 1.34) m**(-1/5)`` of the observed distances (``sd``
    alone when the IQR is 0), used for the simulations too. Distances are
    linearly binned on a grid of step ``h / 25`` before smoothing, which keeps
    the cost linear in the number of pairs (relative error below 1e-4). The
    observed and simulated pair distances are binned in one compiled pass (numba,
    cached on disk) that gives the same floats as ``pdist`` and ``np.bincount``
    when every site has a location of its own (sites sharing one, such as firms
    geocoded to a postcode centroid, are paired once with their multiplicities:
    the same sums to a relative 1e-14, about 2.5 times faster on the demo);
    the median and quartiles come from one partition each, equal to
    ``np.median`` and ``np.percentile`` bit for bit.

    The counterfactual draws ``n`` sites without replacement from all pool sites
    (the locations of existing firms of every industry) ``simulations`` times.
    Local bands are the 5th and 95th percentiles at each ``d``. The global upper
    band is the ``k``-th largest simulated value at each ``d``, ``k`` chosen
    largest such that at most ``band_level`` of the simulations exceed it at any
    ``d``; the lower band likewise from below.

    Examples
    --------
    Twenty sites of industry "a" packed in a 100 m square among 80 sites of other
    industries spread over 20 km: "a" is localised at short distances.

    >>> from shapely.geometry import Point
    >>> rng = np.random.default_rng(0)
    >>> xy = np.vstack([rng.uniform(0, 100, (20, 2)), rng.uniform(0, 2e4, (80, 2))])
    >>> pts = gpd.GeoDataFrame({"industry": ["a"] * 20 + ["b"] * 80},
    ...     geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32616")
    >>> r = k_density(pts, "a", simulations=99, seed=1)
    >>> r.classification, r.localised_from_m
    ('localised', 0.0)
    """
    if not isinstance(points, gpd.GeoDataFrame):
        raise TypeError(
            f"points must be a GeoDataFrame; got {type(points).__name__}. Build one "
            "with geopandas.GeoDataFrame(..., crs=...)."
        )
    mask_all, label = _industry_mask(points, industry, industry_column)
    xy, kept = _located_xy(points, "points")
    _require_count(n_steps, "n_steps", 2)
    _require_count(simulations, "simulations", 19)
    _require_count(max_sites, "max_sites", 3)
    _require_number(band_level, "band_level")
    if not 0 < band_level < 0.5:
        raise ValueError(
            f"band_level must lie in (0, 0.5); got {band_level!r}. 0.05 is the "
            "usual choice."
        )
    if bandwidth_m is not None:
        _require_positive(bandwidth_m, "bandwidth_m", "in metres")
    if max_distance_m is not None:
        _require_positive(max_distance_m, "max_distance_m", "in metres")
    in_industry = mask_all[kept]
    n_sites, n_pool = int(in_industry.sum()), len(xy)
    if n_sites < 3:
        raise ValueError(
            f"industry {label!r} has {n_sites} located sites; the K-density needs at "
            "least 3. Leave this industry out of the point-level analysis."
        )
    if n_sites >= n_pool:
        raise ValueError(
            f"industry {label!r} holds all {n_pool} located sites, so its "
            "counterfactual equals the observation. Pass the sites of all industries."
        )
    rng = np.random.default_rng(seed)
    sites = np.flatnonzero(in_industry)
    if n_sites > max_sites:
        sites = sites[rng.choice(n_sites, size=max_sites, replace=False)]
    n_used = len(sites)
    if bandwidth_m is None:
        h = _silverman(pdist(xy[sites]), label)
    else:
        h = float(bandwidth_m)
    if max_distance_m is None:
        sample = xy
        if n_pool > _MEDIAN_SAMPLE:
            sample = xy[rng.choice(n_pool, size=_MEDIAN_SAMPLE, replace=False)]
        max_d = _median(pdist(sample))
        if max_d <= 0:
            raise ValueError(
                "the median distance between pool sites is 0 (most sites share one "
                "location); pass max_distance_m explicitly."
            )
    else:
        max_d = float(max_distance_m)
    grid = np.linspace(0.0, max_d, int(n_steps))
    kde = _BinnedKDE(grid, h)
    x, y = xy[:, 0].copy(), xy[:, 1].copy()
    k_obs = kde.of_draws(x, y, sites[None, :])[0]
    draws = [rng.choice(n_pool, size=n_used, replace=False) for _ in range(simulations)]
    sims = kde.of_draws(x, y, np.stack(draws))
    local_lower, local_upper = np.quantile(sims, [0.05, 0.95], axis=0)
    global_upper = _global_band(sims, band_level, upper=True)
    global_lower = _global_band(sims, band_level, upper=False)
    tol = 1e-9 * max(float(np.abs(sims).max()), float(np.abs(k_obs).max()), 1e-300)
    above = k_obs > global_upper + tol
    below = k_obs < global_lower - tol
    step = float(grid[1] - grid[0])
    gamma = float(np.clip(k_obs - global_upper, 0, None)[above].sum() * step)
    psi = 0.0
    if above.any():
        classification = "localised"
    elif below.any():
        classification = "dispersed"
        psi = float(np.clip(global_lower - k_obs, 0, None)[below].sum() * step)
    else:
        classification = "neither"
    return KDensityResult(
        industry=label,
        distances_m=grid,
        k_observed=k_obs,
        local_lower=local_lower,
        local_upper=local_upper,
        global_lower=global_lower,
        global_upper=global_upper,
        classification=classification,
        localised_ranges_m=_runs(grid, above),
        dispersed_ranges_m=_runs(grid, below),
        localisation_index=gamma,
        dispersion_index=psi,
        bandwidth_m=h,
        n_sites=n_sites,
        n_used=n_used,
        n_pool=n_pool,
        simulations=int(simulations),
        seed=seed,
    )


def k_density_table(results: Mapping[object, KDensityResult]) -> pd.DataFrame:
    """One summary row per industry of a set of K-density results.

    Parameters
    ----------
    results : mapping
        Industry -> :class:`KDensityResult`.

    Returns
    -------
    pandas.DataFrame
        Sorted by industry: ``industry``, ``classification``,
        ``localised_from_m``, ``localised_to_m``, ``localisation_index``,
        ``dispersion_index``, ``bandwidth_m``, ``max_distance_m``, ``n_sites``,
        ``n_used``, ``n_pool``, ``simulations``, ``seed``.

    Raises
    ------
    TypeError
        If a value is not a KDensityResult.

    Examples
    --------
    >>> z = np.array([0.0, 500.0])
    >>> r = KDensityResult("3141", z, z, z, z, z, z, "localised", ((0.0, 500.0),),
    ...     (), 0.2, 0.0, 900.0, 40, 40, 900, 999, 7)
    >>> k_density_table({"3141": r})[["industry", "localised_to_m"]].values.tolist()
    [['3141', 500.0]]
    """
    rows = []
    for key, r in sorted(results.items(), key=lambda item: str(item[0])):
        if not isinstance(r, KDensityResult):
            raise TypeError(
                f"results[{key!r}] must be a KDensityResult; got {type(r).__name__}."
            )
        rows.append(
            {
                "industry": str(key),
                "classification": r.classification,
                "localised_from_m": r.localised_from_m,
                "localised_to_m": r.localised_to_m,
                "localisation_index": r.localisation_index,
                "dispersion_index": r.dispersion_index,
                "bandwidth_m": r.bandwidth_m,
                "max_distance_m": float(r.distances_m[-1]),
                "n_sites": r.n_sites,
                "n_used": r.n_used,
                "n_pool": r.n_pool,
                "simulations": r.simulations,
                "seed": r.seed,
            }
        )
    columns = [
        "industry", "classification", "localised_from_m", "localised_to_m",
        "localisation_index", "dispersion_index", "bandwidth_m", "max_distance_m",
        "n_sites", "n_used", "n_pool", "simulations", "seed",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def detection_agreement(
    region_clusters: pd.DataFrame,
    point_results: Mapping[object, KDensityResult | str],
    *,
    industry: str = "industry",
) -> pd.DataFrame:
    """Whether region-level clusters and point-level localisation agree per industry.

    Parameters
    ----------
    region_clusters : pandas.DataFrame
        Localized clusters (one row per cluster) with an ``industry`` column, as
        ``localized_clusters``. Not modified.
    point_results : mapping
        Industry -> :class:`KDensityResult` (or its classification string) of the
        industries analysed at point level.
    industry : str
        Industry column of ``region_clusters``.

    Returns
    -------
    pandas.DataFrame
        One row per industry of either input, sorted: ``industry`` (str),
        ``region_level`` (bool: at least one localized cluster),
        ``point_level`` (boolean: K-density says ``"localised"``; ``<NA>`` when
        not analysed at point level) and ``agree`` (boolean; ``<NA>`` likewise).

    Raises
    ------
    TypeError
        If ``region_clusters`` is not a DataFrame or ``point_results`` not a
        mapping.
    ValueError
        If the industry column is missing or a point result is not a known
        classification.

    Examples
    --------
    3116 has a region cluster but no point-level localisation (disagree); 3141 has
    both; 7225 has neither (agree).

    >>> clusters = pd.DataFrame({"industry": ["3141", "3141", "3116"]})
    >>> t = detection_agreement(clusters, {"3141": "localised", "7225": "neither",
    ...                                    "3116": "neither"})
    >>> t["agree"].tolist()
    [False, True, True]
    """
    if not isinstance(region_clusters, pd.DataFrame):
        raise TypeError(
            f"region_clusters must be a DataFrame; got "
            f"{type(region_clusters).__name__}."
        )
    if not isinstance(point_results, Mapping):
        raise TypeError(
            f"point_results must be a mapping industry -> KDensityResult; got "
            f"{type(point_results).__name__}."
        )
    if industry not in region_clusters.columns:
        raise ValueError(
            f"region_clusters lacks the column {industry!r}; it has "
            f"{list(region_clusters.columns)[:10]}. Pass industry= naming it."
        )
    point: dict[str, str] = {}
    for key, result in point_results.items():
        cls = result.classification if isinstance(result, KDensityResult) else result
        if cls not in K_CLASSES:
            raise ValueError(
                f"point result for industry {key!r} is {cls!r}; expected a "
                f"KDensityResult or one of {list(K_CLASSES)}."
            )
        point[str(key)] = cls
    regional = set(region_clusters[industry].dropna().astype(str))
    industries = sorted(regional | set(point))
    point_level = pd.array(
        [point[i] == "localised" if i in point else pd.NA for i in industries],
        dtype="boolean",
    )
    region_level = np.array([i in regional for i in industries], dtype=bool)
    return pd.DataFrame(
        {
            "industry": pd.Series(industries, dtype=object),
            "region_level": region_level,
            "point_level": point_level,
            "agree": point_level == region_level,
        }
    )


class _BinnedKDE:
    """Reflected Gaussian KDE of distances on a fixed grid, via linear binning."""

    def __init__(self, grid: np.ndarray, h: float) -> None:
        reach = float(grid[-1]) + _KERNEL_REACH * h
        self.step = max(h / _BINS_PER_BANDWIDTH, reach / _MAX_BINS)
        self.n_bins = math.ceil(reach / self.step) + 2
        centres = np.arange(self.n_bins) * self.step
        u = (grid[:, None] - centres[None, :]) / h
        v = (grid[:, None] + centres[None, :]) / h
        norm = 1.0 / (h * math.sqrt(2.0 * math.pi))
        self.kernel = norm * (np.exp(-0.5 * u * u) + np.exp(-0.5 * v * v))
        self.reach = reach
        self.reach_sq = _squared_limit(reach)

    def __call__(self, distances: np.ndarray) -> np.ndarray:
        m = len(distances)
        near = distances[distances < self.reach]
        pos = near / self.step
        lo = pos.astype(np.int64)
        frac = pos - lo
        counts = np.bincount(lo, weights=1.0 - frac, minlength=self.n_bins)
        counts += np.bincount(lo + 1, weights=frac, minlength=self.n_bins)
        return self.kernel @ counts[: self.n_bins] / m

    def of_sites(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``self(pdist(sites))`` without the pair-distance array, bit for bit."""
        return self.of_draws(x, y, np.arange(len(x))[None, :])[0]

    def of_draws(self, x: np.ndarray, y: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """``of_sites`` of the sites ``draws[s]`` (indices into x, y), one row each."""
        n = draws.shape[1]
        # one dtype and layout for every caller: a new one would compile anew
        xy = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
        # Sites sharing a location (firms geocoded to one postcode centroid: the
        # demo's 6,361 firms stand on 1,427 points) are paired once, weighted.
        locations, location_of = np.unique(xy, axis=0, return_inverse=True)
        location_x = np.ascontiguousarray(locations[:, 0])
        location_y = np.ascontiguousarray(locations[:, 1])
        location_of = np.ascontiguousarray(location_of.ravel(), np.int64)
        draws = np.ascontiguousarray(draws, np.int64)
        out = np.empty((len(draws), len(self.kernel)))
        chunk = max(1, _COUNTS_CHUNK // self.n_bins)
        bins = (self.reach_sq, self.step, self.n_bins)
        for start in range(0, len(draws), chunk):
            counts = _binned_pair_counts(
                location_x, location_y, location_of, draws[start : start + chunk], *bins
            )
            for s, row in enumerate(counts, start):
                # one matrix-vector product per draw as in __call__: one matrix
                # product would sum in another order and change the last bits
                out[s] = self.kernel @ row / (n * (n - 1) // 2)
        return out


def _squared_limit(reach: float) -> float:
    """Smallest float ``t`` with ``sqrt(t) >= reach``.

    A correctly rounded ``sqrt`` never decreases, so ``sqrt(d2) < reach`` exactly
    when ``d2 < t``: pairs beyond reach are told apart before any ``sqrt``.
    """
    t = reach * reach
    while math.sqrt(t) >= reach:
        t = math.nextafter(t, 0.0)
    while math.sqrt(t) < reach:
        t = math.nextafter(t, math.inf)
    return t


@njit(cache=True, nogil=True)
def _binned_pair_counts(
    location_x, location_y, location_of, draws, reach_sq, step, n_bins
):  # pragma: no cover
    # _BinnedKDE's two bincounts over pdist(xy[draw]) for each draw, without the
    # 500k-pair temporaries. The sites of a draw are grouped by location (first
    # seen first) with their multiplicity w: a pair of locations counts w_i w_j
    # times, the w (w - 1) / 2 pairs within a location at distance 0. When every
    # site has a location of its own the weights are 1.0 and this is pdist's
    # order (i < j, row by row) and its floats, bit for bit; with shared ones the
    # bins are the same sums grouped otherwise (relative 1e-14). Per row: squared
    # distances (vectorised); pairs within reach kept without a branch (a third
    # are beyond it, at random) and before the sqrt, as sqrt and the division
    # bound the speed (exact, see _squared_limit); bin and fraction (vectorised:
    # AVX2 converts to int32 in vector registers, not to int64); the scatter.
    # All draws in one call: no per-draw dispatch and copies.
    n_draws, n = draws.shape
    counts = np.empty((n_draws, n_bins))
    multiplicity = np.zeros(len(location_x), dtype=np.int64)
    seen = np.empty(n, dtype=np.int64)
    xs = np.empty(n)
    ys = np.empty(n)
    ws = np.empty(n)
    sq = np.empty(n)
    near = np.empty(n)
    near_w = np.empty(n)
    lo = np.empty(n, dtype=np.int32)
    frac = np.empty(n)
    lower = np.empty(n_bins)
    upper = np.empty(n_bins)
    for s in range(n_draws):
        u = 0
        for j in range(n):
            loc = location_of[draws[s, j]]
            if multiplicity[loc] == 0:
                seen[u] = loc
                u += 1
            multiplicity[loc] += 1
        same = 0.0
        for k in range(u):
            loc = seen[k]
            w = multiplicity[loc]
            xs[k] = location_x[loc]
            ys[k] = location_y[loc]
            ws[k] = w
            same += w * (w - 1) // 2
            multiplicity[loc] = 0
        lower[:] = 0.0
        upper[:] = 0.0
        for i in range(u - 1):
            xi = xs[i]
            yi = ys[i]
            wi = ws[i]
            m = u - i - 1
            for k in range(m):
                dx = xi - xs[i + 1 + k]
                dy = yi - ys[i + 1 + k]
                sq[k] = dx * dx + dy * dy
            kept = 0
            for k in range(m):
                near[kept] = sq[k]
                near_w[kept] = wi * ws[i + 1 + k]
                kept += sq[k] < reach_sq
            for k in range(kept):
                pos = np.sqrt(near[k]) / step
                b = np.int32(pos)
                lo[k] = b
                frac[k] = pos - b
            for k in range(kept):
                b = np.uint32(lo[k])  # unsigned: no negative-index wraparound
                lower[b] += (1.0 - frac[k]) * near_w[k]
                upper[b + np.uint32(1)] += frac[k] * near_w[k]
        lower[0] += same  # distance 0: bin 0, fraction 0
        for b in range(n_bins):
            counts[s, b] = lower[b] + upper[b]
    return counts


def _global_band(sims: np.ndarray, level: float, *, upper: bool) -> np.ndarray:
    """Per-distance band crossed (strictly) by at most ``level`` of the simulations."""
    n_sims = sims.shape[0]
    ordered = np.sort(sims, axis=0)
    if upper:
        ordered = ordered[::-1]
    order = np.argsort(-sims if upper else sims, axis=0, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(n_sims)[:, None], axis=0)
    best = np.sort(ranks.min(axis=1))
    allowed = int(math.floor(level * n_sims + 1e-9))
    k = int(best[min(allowed, n_sims - 1)])
    return ordered[k]


def _silverman(distances: np.ndarray, label: object) -> float:
    m = len(distances)
    sd = float(np.std(distances, ddof=1)) if m > 1 else 0.0
    iqr = (_percentile(distances, 75) - _percentile(distances, 25)) / 1.34
    spread = min(sd, iqr) if iqr > 0 else sd
    if spread <= 0:
        raise ValueError(
            f"all sites of industry {label!r} share one location (every pair "
            "distance is 0), so the bandwidth is 0. Pass bandwidth_m, or use sites "
            "geocoded more precisely."
        )
    return 0.9 * spread * m ** (-0.2)


def _median(values: np.ndarray) -> float:
    """``np.median(values)`` of finite values, bit for bit, about 4x faster.

    Examples
    --------
    >>> _median(np.array([4.0, 1.0, 3.0, 2.0]))
    2.5
    """
    k = len(values) // 2
    # np.median partitions at k - 1 and k together, which numpy does far slower
    # than at k alone; below k, the largest value is the (k - 1)-th.
    part = np.partition(values, k)
    middle = [part[:k].max(), part[k]] if len(values) % 2 == 0 else [part[k]]
    # numpy's own last step: the mean of the one or two middle values
    return float(np.median(np.array(middle)))


def _percentile(values: np.ndarray, q: float) -> float:
    """``np.percentile(values, q)`` (linear) of finite values, bit for bit.

    Examples
    --------
    >>> _percentile(np.array([3.0, 4.0, 5.0]), 75)
    4.5
    """
    # numpy's virtual index (n - 1) * q / 100 falls between two order statistics;
    # one partition (at the upper one) finds both, as in _median
    index = (len(values) - 1) * (q / 100)
    below = math.floor(index)
    above = min(below + 1, len(values) - 1)
    part = np.partition(values, above)
    low = part[:above].max() if above > below else part[above]
    # numpy's own interpolation: on [low, high] the index is the fraction itself
    return float(np.quantile(np.array([low, part[above]]), index - below))


def _runs(grid: np.ndarray, flag: np.ndarray) -> tuple[tuple[float, float], ...]:
    if not flag.any():
        return ()
    edges = np.diff(np.concatenate([[0], flag.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return tuple(
        (float(grid[a]), float(grid[b])) for a, b in zip(starts, ends, strict=True)
    )


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Relabel clusters 0, 1, ... by decreasing size (ties: first row first)."""
    out = np.full(len(labels), -1, dtype=np.int64)
    found = labels[labels >= 0]
    if not len(found):
        return out
    uniq, first, sizes = np.unique(found, return_index=True, return_counts=True)
    order = np.lexsort((first, -sizes))
    new = np.empty(len(uniq), dtype=np.int64)
    new[order] = np.arange(len(uniq))
    out[labels >= 0] = new[np.searchsorted(uniq, found)]
    return out


def _industry_mask(
    points: gpd.GeoDataFrame, industry: object, column: str
) -> tuple[np.ndarray, str | None]:
    if isinstance(industry, pd.Series | np.ndarray | list):
        mask = industry
        if isinstance(mask, pd.Series):
            if not mask.index.equals(points.index):
                raise ValueError(
                    "the industry mask is not on points' index; build it from "
                    "points, e.g. points['industry'] == '3141'."
                )
            mask = mask.to_numpy()
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (len(points),):
            raise ValueError(
                f"an industry mask must be {len(points)} booleans; got dtype "
                f"{mask.dtype} and shape {mask.shape}."
            )
        return mask, None
    if column not in points.columns:
        raise ValueError(
            f"points lacks the industry column {column!r}; it has "
            f"{list(points.columns)[:10]}. Pass industry_column= or a boolean mask."
        )
    codes = points[column].astype(str)
    mask = (codes == str(industry)).to_numpy()
    if not mask.any():
        raise ValueError(
            f"industry {industry!r} is not in points[{column!r}] (first codes: "
            f"{sorted(codes.unique())[:5]}). Pass a code present in the data."
        )
    return mask, str(industry)


def _located_xy(
    points: gpd.GeoDataFrame | gpd.GeoSeries, name: str, *, warn: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of rows with a point, and the mask of those rows."""
    require_metric_crs(points, name)
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    arr = geoms.to_numpy()
    kept = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    kinds = shapely.get_type_id(arr[kept])
    if (kinds != 0).any():
        bad = pd.Index(geoms.index[kept][kinds != 0])
        found = sorted(set(geoms[bad].geom_type))
        raise ValueError(
            f"{name} must be Points; got {len(bad)} other rows ({found}, first ids: "
            f"{bad[:5].tolist()}). Use .representative_point()."
        )
    if warn and not kept.all():
        warnings.warn(
            f"{name}: dropped {int((~kept).sum())} rows without a point (unmatched "
            "firms); filter them out first to silence this warning.",
            UserWarning,
            stacklevel=3,
        )
    return shapely.get_coordinates(arr[kept]).reshape(-1, 2), kept


def _row_weights(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    weights: str | np.ndarray | pd.Series | None,
    kept: np.ndarray,
) -> np.ndarray:
    if weights is None:
        return np.ones(int(kept.sum()))
    if isinstance(weights, str):
        if not isinstance(points, gpd.GeoDataFrame) or weights not in points.columns:
            have = list(getattr(points, "columns", []))[:10]
            raise ValueError(
                f"weights column {weights!r} is not in points (columns: {have}). "
                "Pass an existing column name or an array."
            )
        values = points[weights].to_numpy()
    else:
        values = np.asarray(weights)
        if values.shape != (len(points),):
            raise ValueError(
                f"weights must hold one number per row ({len(points)}); got shape "
                f"{values.shape}."
            )
    try:
        w = np.asarray(values, dtype=float)[kept]
    except (TypeError, ValueError):
        raise ValueError(
            f"weights must be numeric; got dtype {np.asarray(values).dtype}. Convert "
            "with pd.to_numeric first."
        ) from None
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise ValueError(
            f"weights must be finite and >= 0; got {int(bad.sum())} bad values "
            f"(first: {w[bad][:5].tolist()}). Fill or drop those rows."
        )
    return w


def _check_bounds(bounds: object) -> tuple[float, float, float, float]:
    try:
        minx, miny, maxx, maxy = (float(v) for v in bounds)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(
            f"bounds must be four numbers (minx, miny, maxx, maxy); got {bounds!r}."
        ) from None
    if not all(map(math.isfinite, (minx, miny, maxx, maxy))) or (
        minx >= maxx or miny >= maxy
    ):
        raise ValueError(
            f"bounds must be finite with minx < maxx and miny < maxy; got {bounds!r}."
        )
    return minx, miny, maxx, maxy


def _require_number(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{name} must be a number; got {value!r}.")
    if not math.isfinite(float(value)):
        raise ValueError(f"{name} must be finite; got {value!r}.")


def _require_positive(value: object, name: str, hint: str) -> None:
    _require_number(value, name)
    if float(value) <= 0:  # type: ignore[arg-type]
        raise ValueError(f"{name} must be > 0 ({hint}); got {value!r}.")


def _require_count(value: object, name: str, minimum: int) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or value < minimum
    ):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
