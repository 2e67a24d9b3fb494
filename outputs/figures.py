"""Figures of spatial autocorrelation: Moran scatterplot and LISA / hot-spot maps."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal.graph import Graph
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from outputs.styles import HOTSPOT_CATEGORIES, LISA_CATEGORIES

GEARY_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("HH", "#b2182b", "High-High"),
    ("LL", "#ef8a62", "Low-Low"),
    ("other_positive", "#fddbc7", "Other positive"),
    ("negative", "#67adc7", "Negative"),
    ("ns", "#eeeeee", "Not significant"),
    ("isolate", "#999999", "No neighbours"),
)
"""``cluster`` value of ``local_geary``, fill colour and label (GeoDa's colours)."""

NOT_ANALYSED = ("#ffffff", "Not analysed")
"""Fill and label of regions without a row for the mapped industry."""

_CATEGORIES = {
    "quadrant": LISA_CATEGORIES,
    "hotspot": (*HOTSPOT_CATEGORIES, ("isolate", "#999999", "No neighbours")),
    "cluster": GEARY_CATEGORIES,
}


def moran_scatterplot(
    y: pd.Series,
    graph: Graph,
    *,
    quadrant: pd.Series | None = None,
    title: str | None = None,
) -> Figure:
    """Moran scatterplot: standardised values against their spatial lag.

    Parameters
    ----------
    y : pandas.Series
        One number per region, indexed by region id (every id of ``graph``).
        Not modified.
    graph : libpysal.graph.Graph
        The spatial weights of the analysis (row-standardised, as from
        ``geo.weights.build_weights``).
    quadrant : pandas.Series, optional
        LISA ``quadrant`` per region id (``HH``, ``LL``, ``LH``, ``HL``, ``ns``,
        ``isolate``) to colour the points as the cluster map; default grey.
    title : str, optional
        Figure title; default ``"Moran scatterplot"``.

    Returns
    -------
    matplotlib.figure.Figure
        A 6 x 6 inch figure: one point per region with neighbours (isolates have
        no lag and are left out), axes through 0, and the line through the origin
        whose slope is Moran's I (``n / S0 * z'Wz / z'z``), stated in the legend.
        Not saved: the caller saves it.

    Raises
    ------
    TypeError
        If ``y`` is not a Series or ``graph`` not a Graph.
    ValueError
        If ``y`` lacks graph ids or holds NaN, or is constant.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from geo.weights import build_weights
    >>> cells = gpd.GeoDataFrame({"region_id": list("abcd")},
    ...     geometry=[box(i, 0, i + 1, 1) for i in range(4)])
    >>> y = pd.Series([1.0, 2.0, 3.0, 6.0], index=list("abcd"))
    >>> fig = moran_scatterplot(y, build_weights(cells, "rook"))
    >>> len(fig.axes[0].collections[0].get_offsets())
    4
    """
    if not isinstance(y, pd.Series):
        raise TypeError(
            f"y must be a pandas Series indexed by region id; got {type(y).__name__}."
        )
    if not isinstance(graph, Graph):
        raise TypeError(
            f"graph must be a libpysal.graph.Graph; got {type(graph).__name__}."
        )
    ids = pd.Index([str(i) for i in graph.unique_ids])
    values = pd.Series(y.to_numpy(), index=y.index.astype(str)).reindex(ids)
    if values.isna().any():
        bad = ids[values.isna().to_numpy()]
        raise ValueError(
            f"y has no value (or NaN) for {len(bad)} graph ids (first: "
            f"{bad[:5].tolist()}). Pass one number per region of the graph."
        )
    vec = values.to_numpy(dtype=float)
    sd = vec.std()
    if not sd > 0:
        raise ValueError(
            f"y is constant ({vec[0]:g}) in all {len(vec)} regions; a Moran "
            "scatterplot needs variation."
        )
    z = (vec - vec.mean()) / sd
    lag = np.asarray(graph.lag(z), dtype=float)
    isolated = set(map(str, graph.isolates))
    keep = np.array([rid not in isolated for rid in ids])
    s0 = float(graph.sparse.sum())
    moran_i = len(z) / s0 * float(z @ lag) / float(z @ z)

    fig = Figure(figsize=(6, 6), layout="constrained")
    ax = fig.add_subplot()
    if quadrant is not None:
        labels = (
            pd.Series(quadrant.to_numpy(), index=quadrant.index.astype(str))
            .reindex(ids)
            .fillna("ns")
            .astype(str)
        )
        colours = {code: colour for code, colour, _ in LISA_CATEGORIES}
        face = [colours.get(label, "#eeeeee") for label in labels[keep]]
    else:
        face = "#7f7f7f"
    ax.scatter(z[keep], lag[keep], c=face, edgecolors="#333333", linewidths=0.5, s=30)
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.axvline(0, color="#999999", linewidth=0.8)
    span = np.array([z[keep].min(), z[keep].max()]) if keep.any() else np.zeros(2)
    ax.plot(span, moran_i * span, color="#b2182b", label=f"Moran's I = {moran_i:.3f}")
    if quadrant is not None:
        present = set(labels[keep])
        handles = [
            Patch(facecolor=colour, edgecolor="#333333", label=name)
            for code, colour, name in LISA_CATEGORIES
            if code in present
        ]
        ax.legend(handles=[*ax.get_legend_handles_labels()[0], *handles], loc="best")
    else:
        ax.legend(loc="best")
    ax.set_xlabel("standardised value z")
    ax.set_ylabel("spatial lag of z")
    ax.set_title(title or "Moran scatterplot")
    return fig


def cluster_map(
    regions: gpd.GeoDataFrame,
    lisa: pd.DataFrame,
    *,
    industry: object = None,
    column: str = "quadrant",
    id_column: str = "region_id",
    industry_column: str = "industry",
    title: str | None = None,
) -> Figure:
    """Map of LISA quadrants, Gi* hot spots or local Geary clusters, one industry.

    Parameters
    ----------
    regions : geopandas.GeoDataFrame
        Region polygons with the id in ``id_column`` or the index. Not modified.
    lisa : pandas.DataFrame
        Long table as from ``lisa_table`` (or ``local_geary`` with the region id
        as a column), with ``id_column`` and ``column``. Not modified.
    industry : object, optional
        The industry to map; required when ``lisa`` has several.
    column : {"quadrant", "hotspot", "cluster"}
        ``quadrant``: LISA in GeoDa's colours; ``hotspot``: Gi* classes, red hot
        and blue cold; ``cluster``: local Geary clusters.
    id_column, industry_column : str
        Column names of the region id and the industry.
    title : str, optional
        Figure title; default names the statistic and the industry.

    Returns
    -------
    matplotlib.figure.Figure
        An 8 x 8 inch map, equal aspect, no axes; one colour per category with its
        count in the legend; regions without a row are white ("Not analysed").
        Not saved: the caller saves it.

    Raises
    ------
    TypeError
        If ``regions`` is not a GeoDataFrame or ``lisa`` not a DataFrame.
    ValueError
        For an unknown ``column``, missing columns, several industries without
        ``industry``, an industry absent from ``lisa``, or unknown labels.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame({"region_id": list("abc")},
    ...     geometry=[box(i, 0, i + 1, 1) for i in range(3)])
    >>> lisa = pd.DataFrame({"region_id": list("ab"), "industry": "x",
    ...                      "quadrant": ["HH", "ns"]})
    >>> fig = cluster_map(cells, lisa)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['High-High (1)', 'Not significant (1)', 'Not analysed (1)']
    """
    if not isinstance(regions, gpd.GeoDataFrame):
        raise TypeError(
            f"regions must be a geopandas GeoDataFrame; got {type(regions).__name__}."
        )
    if not isinstance(lisa, pd.DataFrame):
        raise TypeError(f"lisa must be a pandas DataFrame; got {type(lisa).__name__}.")
    if column not in _CATEGORIES:
        raise ValueError(
            f"Unknown column {column!r} to map. Use one of {list(_CATEGORIES)}."
        )
    missing = [c for c in (id_column, column) if c not in lisa.columns]
    if missing:
        raise ValueError(
            f"lisa lacks columns {missing}; it has {list(lisa.columns)[:12]}. "
            "Pass the output of lisa_table (or name the columns)."
        )
    if id_column in regions.columns:
        region_ids = regions[id_column].astype(str).to_numpy()
    elif regions.index.name == id_column:
        region_ids = regions.index.astype(str).to_numpy()
    else:
        raise ValueError(
            f"regions has no column or index named {id_column!r}; columns: "
            f"{list(regions.columns)[:10]}. Pass id_column=... naming the region id."
        )
    rows = lisa
    if industry_column in lisa.columns:
        present = pd.unique(lisa[industry_column])
        if industry is None:
            if len(present) > 1:
                raise ValueError(
                    f"lisa holds {len(present)} industries (first: "
                    f"{[str(p) for p in present[:5]]}); pass industry=... to map one."
                )
            industry = present[0] if len(present) else None
        else:
            rows = lisa[lisa[industry_column].astype(str) == str(industry)]
            if rows.empty:
                raise ValueError(
                    f"industry {industry!r} is not in lisa (first industries: "
                    f"{[str(p) for p in present[:10]]})."
                )
    categories = _CATEGORIES[column]
    known = {code for code, _, _ in categories}
    labels = pd.Series(
        rows[column].astype(str).to_numpy(), index=rows[id_column].astype(str)
    )
    unknown = sorted(set(labels) - known)
    if unknown:
        raise ValueError(
            f"lisa[{column!r}] has labels {unknown[:5]} that a {column} map does not "
            f"know; expected {sorted(known)}."
        )
    mapped = labels.reindex(region_ids).to_numpy()
    geoms = gpd.GeoSeries(regions.geometry.to_numpy(), crs=regions.crs)

    fig = Figure(figsize=(8, 8), layout="constrained")
    ax = fig.add_subplot()
    handles = []
    for code, colour, name in categories:
        mask = mapped == code
        if mask.any():
            geoms[mask].plot(ax=ax, color=colour, edgecolor="#666666", linewidth=0.3)
            handles.append(
                Patch(
                    facecolor=colour,
                    edgecolor="#666666",
                    label=f"{name} ({mask.sum()})",
                )
            )
    absent = pd.isna(mapped)
    if absent.any():
        colour, name = NOT_ANALYSED
        geoms[absent].plot(ax=ax, color=colour, edgecolor="#666666", linewidth=0.3)
        handles.append(
            Patch(
                facecolor=colour, edgecolor="#666666", label=f"{name} ({absent.sum()})"
            )
        )
    ax.legend(handles=handles, loc="best", fontsize="small")
    ax.set_aspect("equal")
    ax.set_axis_off()
    kind = {
        "quadrant": "LISA clusters",
        "hotspot": "Gi* hot spots",
        "cluster": "Local Geary",
    }
    suffix = f": {industry}" if industry is not None else ""
    ax.set_title(title or f"{kind[column]}{suffix}")
    return fig
