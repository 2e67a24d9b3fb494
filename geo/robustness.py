"""Robustness of LISA High-High labels to the choice of spatial weights."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy.spatial import cKDTree

from geo.autocorrelation import (
    _check_analysable,
    _check_local_options,
    _undefined_reason,
    _wide_values,
    adjust_pvalues,
)
from geo.crs import require_metric_crs
from geo.fast_lisa import local_statistics
from geo.weights import _geometry_by_id, build_weights

DEFAULT_KNN = tuple(range(4, 13))
"""KNN specifications of the default robustness set: k = 4..12."""

DEFAULT_BAND_FACTORS = (1.0, 1.5, 2.0)
"""Distance bands of the default set, as multiples of the smallest band that gives
every region a neighbour."""


def min_connecting_band_m(
    regions: gpd.GeoDataFrame, *, id_column: str = "region_id"
) -> float:
    """Smallest distance band (metres) that gives every region a neighbour.

    Parameters
    ----------
    regions : geopandas.GeoDataFrame
        At least two regions, id in ``id_column`` or the index, metric CRS. Not
        modified.
    id_column : str
        Column (or index name) of the region id.

    Returns
    -------
    float
        The largest nearest-neighbour distance between representative points
        (the points :func:`geo.weights.build_weights` measures between).

    Raises
    ------
    TypeError
        If ``regions`` is not a GeoDataFrame.
    ValueError
        For fewer than two regions, bad ids or geometries, or a CRS that is not
        metric.

    Examples
    --------
    Squares centred 1 km apart, and a fourth 3 km east of the third: 3000 m.

    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame({"region_id": list("abcd")}, crs=3035,
    ...     geometry=[box(x, 0, x + 1000, 1000) for x in (0, 1000, 2000, 5000)])
    >>> min_connecting_band_m(cells)
    3000.0
    """
    geoms = _geometry_by_id(regions, id_column)
    require_metric_crs(geoms, "regions")
    if len(geoms) < 2:
        raise ValueError(f"A distance band needs at least 2 regions; got {len(geoms)}.")
    points = geoms.representative_point()
    xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    dist, _ = cKDTree(xy).query(xy, k=2)
    return float(dist[:, 1].max())


def robustness_graphs(
    regions: gpd.GeoDataFrame,
    *,
    id_column: str = "region_id",
    knn: Iterable[int] = DEFAULT_KNN,
    bands_m: Iterable[float] | None = None,
    band_factors: Iterable[float] = DEFAULT_BAND_FACTORS,
    islands: str = "keep",
) -> dict[str, Graph]:
    """The weight specifications a robustness check runs over, by name.

    Parameters
    ----------
    regions : geopandas.GeoDataFrame
        Region polygons, id in ``id_column`` or the index, metric CRS. Not
        modified.
    id_column : str
        Column (or index name) of the region id.
    knn : iterable of int
        Numbers of nearest neighbours; values that are not below the number of
        regions are left out.
    bands_m : iterable of float, optional
        Distance bands in metres. Default: ``band_factors`` times
        :func:`min_connecting_band_m`.
    band_factors : iterable of float
        Multiples of the smallest connecting band, used when ``bands_m`` is None.
    islands : {"keep", "drop", "attach"}
        Passed to :func:`geo.weights.build_weights` for every specification.

    Returns
    -------
    dict of str to libpysal.graph.Graph
        Row-standardised graphs named ``queen``, ``knn_<k>`` and
        ``distance_band_<metres>m``, in that order.

    Raises
    ------
    TypeError
        If ``regions`` is not a GeoDataFrame.
    ValueError
        As :func:`geo.weights.build_weights`, and for a non-positive band factor.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame({"region_id": list("abcdef")}, crs=3035,
    ...     geometry=[box(x, 0, x + 1000, 1000) for x in range(0, 6000, 1000)])
    >>> list(robustness_graphs(cells, knn=[2, 4, 6], band_factors=[1, 2]))
    ['queen', 'knn_2', 'knn_4', 'distance_band_1000m', 'distance_band_2000m']
    """
    geoms = _geometry_by_id(regions, id_column)
    require_metric_crs(geoms, "regions")
    frame = gpd.GeoDataFrame(
        {id_column: geoms.index.to_numpy()}, geometry=geoms.to_numpy(), crs=geoms.crs
    )
    graphs = {
        "queen": build_weights(frame, "queen", id_column=id_column, islands=islands)
    }
    for k in knn:
        if int(k) < len(frame):
            graphs[f"knn_{int(k)}"] = build_weights(
                frame, "knn", id_column=id_column, k=int(k), islands=islands
            )
    if bands_m is None:
        factors = [float(f) for f in band_factors]
        bad = [f for f in factors if not np.isfinite(f) or f <= 0]
        if bad:
            raise ValueError(
                f"band_factors must be positive multiples; got {bad}. Use e.g. "
                "(1.0, 1.5, 2.0)."
            )
        if factors and len(frame) > 1:
            base = min_connecting_band_m(frame, id_column=id_column)
            bands_m = [base * f for f in factors]
        else:
            bands_m = []
    for band in bands_m:
        graphs[f"distance_band_{round(float(band))}m"] = build_weights(
            frame,
            "distance_band",
            id_column=id_column,
            threshold_m=float(band),
            islands=islands,
        )
    return graphs


def hh_robustness(
    values: pd.DataFrame,
    graphs: Mapping[str, Graph],
    *,
    region: str = "region_id",
    industry: str = "industry",
    value: str = "lq",
    permutations: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
    correction: str = "fdr",
) -> pd.DataFrame:
    """Share of weight specifications in which each region stays High-High.

    Parameters
    ----------
    values : pandas.DataFrame
        Long table, one row per (region, industry), as for
        :func:`geo.autocorrelation.lisa_table`. Not modified.
    graphs : mapping of str to libpysal.graph.Graph
        The specifications, e.g. :func:`robustness_graphs`. A graph may lack
        some regions (dropped islands); their rows are left out of that
        specification.
    region, industry, value : str
        Column names of the region id, the industry and the analysed number.
    permutations, seed, alpha, correction
        As :func:`geo.autocorrelation.lisa_table` (default engine): every
        industry and specification uses ``seed`` itself, so the specification
        the study publishes reproduces the published quadrants exactly.

    Returns
    -------
    pandas.DataFrame
        One row per region and analysed industry (regions sorted by id within
        industry, industries sorted): ``region``, ``industry``, ``hh_share``
        (HH count / ``n_specs``; NaN when ``n_specs`` is 0) and ``n_specs`` (the
        specifications in which the region was in the graph and had a
        neighbour). ``frame.attrs["specs"]`` lists the specification names,
        ``frame.attrs["skipped_industries"]`` the constant industries.

    Raises
    ------
    TypeError
        If ``values`` is not a DataFrame or a graph is not a Graph.
    ValueError
        If ``graphs`` is empty, and as :func:`geo.autocorrelation.lisa_table`.

    Notes
    -----
    "High-High" means significant after the multiple-testing ``correction`` at
    ``alpha`` in that specification (the ``quadrant`` of ``lisa_table``). Each
    specification is one pass of :func:`geo.fast_lisa.local_statistics` over all
    industries.

    Examples
    --------
    Four squares in a row, y = 1, 1, 5, 5: no region is HH at n = 4.

    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": list("abcd")}, crs=3035,
    ...     geometry=[box(x, 0, x + 1000, 1000) for x in range(0, 4000, 1000)])
    >>> t = pd.DataFrame({"region_id": list("abcd"), "industry": "x",
    ...                   "lq": [1.0, 1.0, 5.0, 5.0]})
    >>> graphs = {"rook": build_weights(cells, "rook"),
    ...           "knn_2": build_weights(cells, "knn", k=2)}
    >>> out = hh_robustness(t, graphs, permutations=99, seed=1)
    >>> out["hh_share"].tolist(), out["n_specs"].tolist()
    ([0.0, 0.0, 0.0, 0.0], [2, 2, 2, 2])
    """
    _check_local_options(permutations, seed, alpha, correction)
    if not isinstance(values, pd.DataFrame):
        raise TypeError(
            f"values must be a pandas DataFrame; got {type(values).__name__}."
        )
    if not graphs:
        raise ValueError(
            "graphs is empty; pass at least one weight specification, e.g. "
            "robustness_graphs(regions)."
        )
    for name, graph in graphs.items():
        if not isinstance(graph, Graph):
            raise TypeError(
                f"graphs[{name!r}] must be a libpysal.graph.Graph; got "
                f"{type(graph).__name__}."
            )
    missing = [c for c in (region, industry, value) if c not in values.columns]
    if missing:
        raise ValueError(
            f"values lacks columns {missing}; it has {list(values.columns)[:10]}. "
            "Pass region=, industry=, value= naming them."
        )
    region_ids = values[region].astype(str)
    all_ids = sorted(region_ids.unique())
    hh_count: dict[object, pd.Series] = {}
    analysed: dict[object, pd.Series] = {}
    skipped: dict[object, str] = {}
    for graph in graphs.values():
        graph_ids = {str(i) for i in graph.unique_ids}
        subset = values[region_ids.isin(graph_ids).to_numpy()]
        wide = _wide_values(subset, graph, region, industry, value)
        kept = []
        for ind in wide.columns:
            reason = _undefined_reason(wide[ind].to_numpy(), value)
            if reason is not None:
                skipped.setdefault(ind, reason)
            else:
                kept.append(ind)
        if not kept:
            continue
        _check_analysable(wide[kept[0]].to_numpy(), graph, value, "Moran's I")
        # all industries in one pass over shared draws (geo.fast_lisa), with the
        # seed lisa_table's default engine uses, so the published specification
        # reproduces the published quadrants exactly
        res = local_statistics(
            wide[kept], graph, permutations=permutations, seed=seed, getis_ord=False
        )
        ids = pd.Index([str(i) for i in graph.unique_ids], name=region)
        zero = pd.Series(0, index=pd.Index(all_ids, name=region), dtype=np.int64)
        for k, ind in enumerate(kept):
            p_adj = adjust_pvalues(res.p_moran[:, k], method=correction)
            quad = res.quadrant[:, k]
            hh = pd.Series(((p_adj < alpha) & (quad == "HH")).astype(np.int64), ids)
            ok = pd.Series((quad != "isolate").astype(np.int64), ids)
            hh_count[ind] = hh_count.get(ind, zero).add(hh, fill_value=0)
            analysed[ind] = analysed.get(ind, zero).add(ok, fill_value=0)
    frames = []
    for ind in sorted(analysed, key=str):
        n_specs = analysed[ind].reindex(all_ids, fill_value=0).astype(np.int64)
        count = hh_count[ind].reindex(all_ids, fill_value=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(n_specs > 0, count / n_specs.replace(0, 1), np.nan)
        frames.append(
            pd.DataFrame(
                {
                    region: all_ids,
                    industry: ind,
                    "hh_share": share.astype(float),
                    "n_specs": n_specs.to_numpy(),
                }
            )
        )
    columns = [region, industry, "hh_share", "n_specs"]
    if frames:
        out = pd.concat(frames, ignore_index=True)[columns]
    else:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    out.attrs["specs"] = list(graphs)
    out.attrs["skipped_industries"] = {
        k: v for k, v in skipped.items() if k not in analysed
    }
    return out
