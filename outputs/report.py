"""Static HTML report: LQ, LISA and hot-spot maps, Moran scatterplots, cluster table."""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath

from outputs.styles import HOTSPOT_CATEGORIES, LISA_CATEGORIES, LQ_CLASSES

__all__ = ["CLUSTER_COLUMNS", "moran_scatter_data", "write_report"]

CLUSTER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("cluster_id", "Cluster"),
    ("industry", "Industry"),
    ("n_regions", "Regions"),
    ("employment", "Employment"),
    ("firms", "Firms"),
    ("mean_lq", "Mean LQ"),
    ("maturity_index", "Maturity index"),
    ("maturity_stage", "Stage"),
    ("strongest_group", "Strongest"),
    ("weakest_group", "Weakest"),
)
"""Columns of the cluster table (when present) and their headings; the
``score_*`` columns of the maturity groups follow."""

_TEXT_COLUMNS = frozenset(
    {"cluster_id", "industry", "maturity_stage", "strongest_group", "weakest_group"}
)

_PNG = {"format": "png", "pil_kwargs": {"compress_level": 1}}
"""savefig options of the report's PNGs: zlib level 1 encodes in half the time of
Pillow's default level 6, for files about 4 % larger."""

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1400px;color:#222;padding:0 1em}
img.radar{width:300px;display:inline-block;margin:0 .5em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td.text,th.text{text-align:left}
img{max-width:100%;height:auto}.note{color:#555;font-size:.9em}
code{background:#f6f6f6;padding:0 .2em}
"""


# ---------------------------------------------------------------------- numbers


def moran_scatter_data(
    lisa: pd.DataFrame,
    weights: object,
    industry: str,
    *,
    value: str = "lq",
) -> pd.DataFrame:
    """Standardised values and their spatial lag for one industry's Moran scatterplot.

    Parameters
    ----------
    lisa : pandas.DataFrame
        Rows per region and industry with ``region_id``, ``industry`` and
        ``value``. Not modified.
    weights : libpysal.graph.Graph
        The (row-standardised) weights of the analysis, indexed by ``region_id``.
    industry : str
        Industry to plot.
    value : str
        Column analysed (default ``lq``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``region_id`` in the graph's order: ``z`` (mean 0, population
        standard deviation 1) and ``lag`` (``W z``). With row-standardised weights
        the least-squares slope of ``lag`` on ``z`` is Moran's I.

    Raises
    ------
    ValueError
        If the industry has no rows, a region of the graph has no value, or the
        values are constant (no variance to standardise).

    Examples
    --------
    >>> from libpysal.graph import Graph
    >>> g = Graph.from_adjacency(pd.DataFrame({"focal": ["a", "b", "b", "c"],
    ...     "neighbor": ["b", "a", "c", "b"], "weight": 1.0})).transform("r")
    >>> t = pd.DataFrame({"region_id": ["a", "b", "c"], "industry": "x",
    ...                   "lq": [1.0, 2.0, 3.0]})
    >>> moran_scatter_data(t, g, "x").round(4).to_dict("list")
    {'z': [-1.2247, 0.0, 1.2247], 'lag': [0.0, 0.0, 0.0]}
    """
    rows = lisa[lisa["industry"].astype(str) == str(industry)]
    if rows.empty:
        raise ValueError(
            f"industry {industry!r} has no rows; industries found: "
            f"{sorted(lisa['industry'].astype(str).unique())[:12]}."
        )
    values = rows.set_index("region_id")[value].astype("float64")
    ids = list(weights.unique_ids)
    missing = [i for i in ids if i not in values.index]
    if missing:
        raise ValueError(
            f"industry {industry!r} has no {value!r} for {len(missing)} region(s) of "
            f"the weights (first: {missing[:5]}). Pass the analysed table."
        )
    x = values.reindex(ids).to_numpy()
    spread = x.std()
    if not np.isfinite(spread) or spread == 0:
        raise ValueError(
            f"industry {industry!r}: {value!r} is constant or not finite, so it "
            "cannot be standardised for a Moran scatterplot."
        )
    z = (x - x.mean()) / spread
    lag = np.asarray(weights.lag(z), dtype="float64")
    return pd.DataFrame({"z": z, "lag": lag}, index=pd.Index(ids, name="region_id"))


# ------------------------------------------------------------------------ plots


def _lq_colour(value: float) -> str:
    if not np.isfinite(value):
        return "#ffffff"
    for lower, upper, colour, _label in LQ_CLASSES:
        if lower <= value < upper:
            return colour
    return LQ_CLASSES[-1][2] if value >= LQ_CLASSES[-1][0] else LQ_CLASSES[0][2]


def _categorical(values: pd.Series, table: Sequence[tuple[str, str, str]]) -> list:
    colours = {value: colour for value, colour, _ in table}
    return [colours.get(str(v), "#cccccc") for v in values]


def _polygon_path(geometry) -> MplPath:
    """A matplotlib path of a (multi)polygon, holes included (even-odd parts)."""
    parts = []
    if geometry is not None and not geometry.is_empty:
        for polygon in getattr(geometry, "geoms", [geometry]):
            if polygon.geom_type != "Polygon":
                continue
            for ring in (polygon.exterior, *polygon.interiors):
                xy = shapely.get_coordinates(ring)
                codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
                codes[0], codes[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
                parts.append(MplPath(xy, codes))
    return MplPath.make_compound_path(*parts) if parts else MplPath(np.empty((0, 2)))


class _Paths:
    """Paths by geometry (WKB), so each region's outline is built once per report
    and a map whose regions did not change keeps its collection's paths."""

    def __init__(self) -> None:
        self._by_wkb: dict[bytes | None, MplPath] = {}

    def __call__(self, geometries: gpd.GeoSeries) -> list[MplPath]:
        values = np.asarray(geometries.array)
        keys = shapely.to_wkb(values)
        paths = []
        for key, geometry in zip(keys, values, strict=True):
            path = self._by_wkb.get(key)
            if path is None:
                path = self._by_wkb[key] = _polygon_path(geometry)
            paths.append(path)
        return paths


class _ByIndustry:
    """A layer's rows and region outlines per industry, split once per report
    (one outline per distinct region, shared by all industries)."""

    def __init__(self, layer: gpd.GeoDataFrame | None, paths: _Paths) -> None:
        self.layer = layer
        self.paths: list[MplPath] = []
        self.at: dict[str, np.ndarray] = {}
        if layer is not None:
            self.paths = paths(layer.geometry)
            codes = layer["industry"].astype(str).to_numpy()
            self.at = pd.Series(np.arange(len(layer))).groupby(codes).indices

    def __call__(self, code: str) -> tuple[gpd.GeoDataFrame | None, list[MplPath]]:
        if self.layer is None:
            return None, []
        at = self.at.get(code, np.empty(0, dtype=int))
        return self.layer.iloc[at], [self.paths[i] for i in at]


def _polygon_paths(geometries: gpd.GeoSeries) -> list[MplPath]:
    """One matplotlib path per (multi)polygon, holes included (even-odd parts)."""
    return [_polygon_path(geometry) for geometry in geometries]


def _draw_polygons(ax, geometries, *, facecolors, edgecolor, linewidth) -> None:
    # A collection drawn once: geopandas' plot() redraws the figure on every call,
    # which made the report several times slower.
    collection = PathCollection(
        _polygon_paths(geometries),
        facecolors=facecolors,
        edgecolors=edgecolor,
        linewidths=linewidth,
    )
    ax.add_collection(collection)


def _legend(ax, legend) -> None:
    if legend:
        ax.legend(
            handles=[
                Patch(facecolor=c, edgecolor="#777", label=lab) for c, lab in legend
            ],
            loc="lower left",
            fontsize=6.5,
            frameon=True,
            framealpha=0.85,
        )
    elif ax.get_legend() is not None:
        ax.get_legend().remove()


class _MapPanel:
    """One map axes of the industry figure: a collection of the regions (filled per
    industry) and one of the industry's cluster outlines, made once and updated."""

    def __init__(self, ax, title: str) -> None:
        ax.set_axis_off()
        # y=1.0 is where matplotlib puts the title anyway; given, it skips the
        # search for tick labels above the axes on every draw
        ax.set_title(title, fontsize=10, y=1.0)
        self.ax = ax
        self.regions = PathCollection(
            [], edgecolors="#9a9a9a", linewidths=0.2, facecolors="none"
        )
        self.outlines = PathCollection(
            [], facecolors="none", edgecolors="#3c0000", linewidths=1.2
        )
        ax.add_collection(self.regions, autolim=False)
        ax.add_collection(self.outlines, autolim=False)
        ax.set_aspect("equal")
        self.legend: list | None = None

    def update(self, frame, paths, colours, outlines, legend) -> None:
        self.regions.set_paths(paths)
        self.regions.set_facecolor(colours)
        self.outlines.set_paths(outlines)
        xmin, ymin, xmax, ymax = frame.total_bounds
        self.ax.set_xlim(xmin, xmax)
        self.ax.set_ylim(ymin, ymax)
        if legend != self.legend:  # industries often share a legend: keep it
            _legend(self.ax, legend)
            self.legend = legend


class _IndustryFigure:
    """The per-industry figure (LQ map, LISA map, hot-spot map, Moran scatterplot).

    Every industry of a report has the same panels, so one figure is laid out once
    (``tight_layout`` draws the whole figure) and redrawn per industry with new
    colours, outlines, legends and scatter points: several times faster than a new
    figure per industry.
    """

    def __init__(self, layout: tuple[bool, ...]) -> None:
        has_lq, has_lisa, quadrant, hotspot, has_scatter = layout
        n = int(has_lq) + 2 * int(has_lisa) + int(has_scatter)
        self.figure = Figure(figsize=(4.6 * n, 4.8), dpi=90)
        # a canvas of its own: savefig reuses its renderer, and with it the text
        # sizes measured for the previous industry
        FigureCanvasAgg(self.figure)
        axes = list(np.atleast_1d(self.figure.subplots(1, n)))
        self.lq = _MapPanel(axes.pop(0), "Location quotient") if has_lq else None
        self.maps = {}
        if has_lisa:
            for column, present, title in (
                ("quadrant", quadrant, "LISA clusters"),
                ("hotspot", hotspot, "Hot spots (Gi*)"),
            ):
                ax = axes.pop(0)
                if present:
                    self.maps[column] = _MapPanel(ax, title)
                else:
                    ax.set_axis_off()
        self.scatter = _ScatterPanel(axes.pop(0)) if has_scatter else None
        # Laid out once, before any industry is drawn, so an industry's figure
        # looks the same whichever industry came first (tight_layout draws the
        # figure: once per report, not per industry). The layout engine it leaves
        # would make every savefig draw the figure twice; the layout is done.
        self.figure.tight_layout()
        self.figure.set_layout_engine(None)

    def draw(self, lisa, lq, own, scatter, moran_i) -> None:
        """``lisa`` and ``lq`` are (rows, region outlines) of one industry."""
        lisa, lisa_paths = lisa
        lq, lq_paths = lq
        if self.lq is not None:
            present = [
                c for c in LQ_CLASSES if ((lq["lq"] >= c[0]) & (lq["lq"] < c[1])).any()
            ]
            self.lq.update(
                lq,
                lq_paths,
                [_lq_colour(v) for v in lq["lq"].astype("float64")],
                own,
                [(c[2], c[3]) for c in present],
            )
        tables = {"quadrant": LISA_CATEGORIES, "hotspot": HOTSPOT_CATEGORIES}
        for column, panel in self.maps.items():
            table = tables[column]
            seen = set(lisa[column].astype(str))
            panel.update(
                lisa,
                lisa_paths,
                _categorical(lisa[column], table),
                own,
                [(c, lab) for v, c, lab in table if v in seen],
            )
        if self.scatter is not None:
            self.scatter.update(lisa, scatter, moran_i)


class _IndustryFigures:
    """The industry figures of one report: one `_IndustryFigure` per set of panels,
    cluster outlines selected per industry."""

    def __init__(self, clusters: gpd.GeoDataFrame | None) -> None:
        self.clusters = clusters
        self.cluster_paths = []
        if clusters is not None and "industry" in clusters:
            self.cluster_paths = _polygon_paths(clusters.geometry)
        self.figures: dict[tuple[bool, ...], _IndustryFigure] = {}

    def save(self, code, lisa, lq, scatter, moran_i, path: Path) -> None:
        """``lisa`` and ``lq`` are (rows or None, region outlines) of ``code``."""
        layout = (
            lq[0] is not None,
            lisa[0] is not None,
            lisa[0] is not None and "quadrant" in lisa[0],
            lisa[0] is not None and "hotspot" in lisa[0],
            scatter is not None,
        )
        if layout not in self.figures:
            self.figures[layout] = _IndustryFigure(layout)
        figure = self.figures[layout]
        own: list[MplPath] = []
        if self.cluster_paths:
            mine = (self.clusters["industry"].astype(str) == code).to_numpy()
            own = [p for p, keep in zip(self.cluster_paths, mine, strict=True) if keep]
        figure.draw(lisa, lq, own, scatter, moran_i)
        figure.figure.savefig(path, **_PNG)


class _ScatterPanel:
    """The Moran scatterplot axes: points, axes lines and the least-squares line,
    made on the first draw and then moved to each industry's values."""

    def __init__(self, ax) -> None:
        self.ax = ax
        self.points = self.fit = None
        ax.set_xlabel("standardised LQ (z)", fontsize=8)
        ax.set_ylabel("spatial lag of z", fontsize=8)
        ax.tick_params(labelsize=7)
        # what the figure is laid out with, before any industry (see _IndustryFigure)
        ax.set_xlim(-2.5, 2.5)
        ax.set_ylim(-2.5, 2.5)
        ax.set_title("Moran scatterplot, I = 0.000", fontsize=10, y=1.0)

    def update(self, lisa, scatter: pd.DataFrame, moran_i: float | None) -> None:
        ax = self.ax
        quadrant = (
            lisa.set_index("region_id")["quadrant"].reindex(scatter.index).astype(str)
            if lisa is not None and "quadrant" in lisa
            else pd.Series("ns", index=scatter.index)
        )
        colours = _categorical(quadrant, LISA_CATEGORIES)
        slope = float(np.polyfit(scatter["z"], scatter["lag"], 1)[0])
        xs = np.array([scatter["z"].min(), scatter["z"].max()])
        if self.points is None:
            self.points = ax.scatter(
                scatter["z"],
                scatter["lag"],
                s=14,
                c=colours,
                edgecolors="#555",
                linewidths=0.3,
            )
            ax.axhline(0, color="#999", linewidth=0.6)
            ax.axvline(0, color="#999", linewidth=0.6)
            (self.fit,) = ax.plot(xs, slope * xs, color="#b2182b", linewidth=1.2)
        else:
            self.points.set_offsets(np.column_stack([scatter["z"], scatter["lag"]]))
            self.points.set_facecolor(colours)
            self.fit.set_data(xs, slope * xs)
        # the limits from this industry's points and lines alone (relim leaves
        # collections out, so the points are added as ax.scatter adds them)
        ax.relim()
        ax.update_datalim(np.column_stack([scatter["z"], scatter["lag"]]))
        ax.set_autoscale_on(True)
        ax.autoscale_view()
        shown = moran_i if moran_i is not None else slope
        ax.set_title(f"Moran scatterplot, I = {shown:.3f}", fontsize=10, y=1.0)


def _overview_figure(
    regions: gpd.GeoDataFrame | None, clusters: gpd.GeoDataFrame, path: Path
) -> None:
    figure = Figure(figsize=(7, 7), dpi=90)
    ax = figure.subplots()
    ax.set_axis_off()
    frame = regions if regions is not None else clusters
    if regions is not None:
        _draw_polygons(
            ax,
            regions.geometry,
            facecolors="#f2f2f2",
            edgecolor="#aaaaaa",
            linewidth=0.3,
        )
    cmap = mpl.colormaps["tab10"]
    colours = [cmap(k % 10) for k in range(len(clusters))]
    _draw_polygons(
        ax,
        clusters.geometry,
        facecolors=[(*c[:3], 0.55) for c in colours],
        edgecolor="#3c0000",
        linewidth=1,
    )
    handles = [
        Patch(facecolor=c, alpha=0.55, label=str(cluster_id))
        for c, cluster_id in zip(colours, clusters["cluster_id"], strict=True)
    ]
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=7)
    xmin, ymin, xmax, ymax = frame.total_bounds
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.set_title("Localized clusters", fontsize=11, y=1.0)
    figure.tight_layout()
    figure.set_layout_engine(None)  # laid out: savefig need not draw twice
    figure.savefig(path, **_PNG)


class _Radars:
    """The maturity radars of one report: one figure redrawn per cluster.

    Each is saved as ``savefig(bbox_inches="tight")`` saves it, without that
    option's extra layout pass: the tight box is measured on the figure as it
    stands (no layout engine moves anything at draw time), with one renderer kept
    for all clusters, so the text sizes of the shared labels are measured once.
    """

    def __init__(self, *, dpi: float = 80) -> None:
        self.dpi = dpi
        self.figure: Figure | None = None
        self.renderer: RendererAgg | None = None

    def save(self, row: pd.Series, path: Path) -> None:
        from outputs.ecosystem_figures import maturity_radar

        self.figure = maturity_radar(row, figure=self.figure)
        if self.renderer is None:
            self.figure.set_dpi(self.dpi)
            FigureCanvasAgg(self.figure)
            width, height = self.figure.bbox.size
            self.renderer = RendererAgg(width, height, self.dpi)
        box = self.figure.get_tightbbox(self.renderer)
        box = box.padded(mpl.rcParams["savefig.pad_inches"])
        self.figure.savefig(path, dpi=self.dpi, bbox_inches=box, **_PNG)


# ------------------------------------------------------------------------- html


def _industry_label(code: str, names: Mapping[str, str]) -> str:
    return f"{code} {names[code]}" if code in names else code


def _cluster_table(clusters: pd.DataFrame, names: Mapping[str, str]) -> str:
    columns = [(c, h) for c, h in CLUSTER_COLUMNS if c in clusters.columns]
    scores = sorted(c for c in clusters.columns if c.startswith("score_"))
    columns += [(c, c.removeprefix("score_").replace("_", " ")) for c in scores]
    head = "".join(
        f'<th class="{"text" if c in _TEXT_COLUMNS else "num"}">{html.escape(h)}</th>'
        for c, h in columns
    )
    body = []
    for row in clusters.itertuples(index=False):
        cells = []
        for column, _ in columns:
            value = getattr(row, column)
            if column == "industry" and str(value) in names:
                text, cls = f"{value} {names[str(value)]}", "text"
            elif isinstance(value, float | np.floating):
                digits = (
                    0 if column in ("employment",) else 2 if column == "mean_lq" else 3
                )
                text = "" if pd.isna(value) else f"{value:,.{digits}f}"
                cls = "num"
            elif isinstance(value, int | np.integer):
                text, cls = f"{value:,}", "num"
            else:
                text, cls = ("" if value is None else str(value)), "text"
            cells.append(f'<td class="{cls}">{html.escape(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _strength_table(rows: pd.DataFrame, limit: int = 10) -> str:
    """Regions with three cluster stars or a strong cluster, highest LQ first."""
    flags = pd.Series(False, index=rows.index)
    if "stars" in rows:
        flags |= rows["stars"].fillna(0) >= 3
    if "strong_cluster" in rows:
        flags |= rows["strong_cluster"].fillna(False).astype(bool)
    top = rows[flags].sort_values("lq", ascending=False).head(limit)
    if top.empty:
        return "<p class='note'>No region has three stars or a strong cluster.</p>"
    name = "name" if "name" in top else "region_id"
    body = "".join(
        f"<tr><td class='text'>{html.escape(str(r[name]))}</td>"
        f"<td>{float(r['lq']):.2f}</td><td>{int(r.get('stars', 0))}</td>"
        f"<td class='text'>{'yes' if r.get('strong_cluster', False) else ''}</td></tr>"
        for _, r in top.iterrows()
    )
    return (
        f"<p class='note'>{int(flags.sum())} region(s) with three stars (ECO: size,"
        " LQ &ge; 2, focus) or a strong cluster (top regions by LQ); the first "
        f"{len(top)}:</p><table><tr><th class='text'>Region</th><th>LQ</th>"
        f"<th>Stars</th><th class='text'>Strong</th></tr>{body}</table>"
    )


def _maturity_radars(clusters: pd.DataFrame, folder: Path) -> list[str]:
    """One radar of the maturity group scores per cluster (when scores exist)."""
    from geo.maturity import MATURITY_GROUPS

    if not {f"score_{group}" for group in MATURITY_GROUPS} <= set(clusters.columns):
        return []  # no maturity scores (e.g. a study without interaction data)
    parts = ["<h2>Cluster maturity</h2><div class='radars'>"]
    radars = _Radars(dpi=80)
    for _, row in clusters.iterrows():
        name = f"maturity_{_safe_name(str(row['cluster_id']))}.png"
        radars.save(row, folder / name)
        parts.append(
            f"<img class='radar' src='{name}' alt='Maturity of cluster "
            f"{html.escape(str(row['cluster_id']))}'>"
        )
    parts.append("</div>")
    return parts


def _safe_name(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)


def _provenance_html(provenance: Mapping) -> str:
    items = []
    for key in ("run_id", "study", "partition", "created"):
        if key in provenance:
            items.append(
                f"<li>{key}: <code>{html.escape(str(provenance[key]))}</code></li>"
            )
    for name, entry in (provenance.get("inputs") or {}).items():
        if isinstance(entry, Mapping):
            items.append(
                f"<li>input {html.escape(name)}: <code>"
                f"{html.escape(str(entry.get('path', '')))}</code> sha256 <code>"
                f"{html.escape(str(entry.get('sha256', '')))}</code></li>"
            )
    versions = provenance.get("versions") or {}
    if versions:
        text = ", ".join(f"{k} {v}" for k, v in versions.items())
        items.append(f"<li>versions: {html.escape(text)}</li>")
    parameters = provenance.get("parameters")
    if parameters:
        items.append(
            "<li>parameters: <code>"
            + html.escape(json.dumps(parameters, sort_keys=True, default=str))
            + "</code></li>"
        )
    return "<ul class='note'>" + "".join(items) + "</ul>"


def write_report(
    layers: Mapping[str, gpd.GeoDataFrame],
    folder: str | os.PathLike[str],
    *,
    title: str,
    weights: object | None = None,
    moran: pd.DataFrame | None = None,
    industries: Sequence[str] | None = None,
    industry_names: Mapping[str, str] | None = None,
    provenance: Mapping | None = None,
) -> Path:
    """Write ``index.html`` and its PNG figures into ``folder``.

    Parameters
    ----------
    layers : mapping of str to geopandas.GeoDataFrame
        Published layers; uses ``lisa`` (``quadrant``, ``hotspot``, ``lq``),
        ``location_quotients`` (``lq``), ``clusters`` and ``regions`` when present.
        Not modified.
    folder : path-like
        Created if needed; ``index.html``, ``clusters.png`` and
        ``industry_<code>.png`` are (over)written.
    title : str
        Page title.
    weights : libpysal.graph.Graph, optional
        The analysis weights; without them the Moran scatterplots are left out.
    moran : pandas.DataFrame, optional
        Global Moran table (``industry``, ``moran_i``, ``p_sim``) for the headings.
    industries : sequence of str, optional
        Industries to show (default: those of ``lisa``, else of
        ``location_quotients``).
    industry_names : mapping of str to str, optional
        Readable industry names.
    provenance : mapping, optional
        Run id, inputs with hashes, parameters and versions, listed at the end.

    Returns
    -------
    pathlib.Path
        The ``index.html`` written.

    Raises
    ------
    ValueError
        If ``layers`` has neither ``lisa`` nor ``location_quotients``.

    Examples
    --------
    >>> import tempfile
    >>> from shapely.geometry import box
    >>> lq = gpd.GeoDataFrame({"region_id": ["a", "b"], "industry": "3141",
    ...     "lq": [0.5, 2.0]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=32616)
    >>> out = write_report({"location_quotients": lq}, tempfile.mkdtemp(), title="T")
    >>> sorted(p.name for p in out.parent.iterdir())
    ['index.html', 'industry_3141.png']
    """
    source = layers.get("lisa")
    lq_layer = layers.get("location_quotients")
    base = source if source is not None else lq_layer
    if base is None:
        raise ValueError(
            f"write_report needs a 'lisa' or 'location_quotients' layer; got "
            f"{sorted(layers)}."
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = {str(k): v for k, v in (industry_names or {}).items()}
    codes = (
        [str(i) for i in industries]
        if industries is not None
        else sorted(base["industry"].astype(str).unique())
    )
    moran_by = {}
    if moran is not None and not moran.empty:
        moran_by = {str(r["industry"]): r for _, r in moran.iterrows()}
    clusters = layers.get("clusters")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if clusters is not None and not clusters.empty:
        _overview_figure(layers.get("regions"), clusters, folder / "clusters.png")
        parts += [
            "<h2>Localized clusters</h2>",
            "<img src='clusters.png' alt='Map of the localized clusters'>",
            _cluster_table(pd.DataFrame(clusters.drop(columns="geometry")), names),
        ]
        parts += _maturity_radars(clusters, folder)
    elif clusters is not None:
        parts.append("<h2>Localized clusters</h2><p>No cluster was found.</p>")
    if moran_by:
        rows = "".join(
            f"<tr><td class='text'>{html.escape(_industry_label(c, names))}</td>"
            f"<td>{float(moran_by[c]['moran_i']):.3f}</td>"
            f"<td>{float(moran_by[c].get('p_sim', np.nan)):.3f}</td></tr>"
            for c in codes
            if c in moran_by
        )
        parts += [
            "<h2>Global Moran's I of the location quotient</h2>",
            "<table><tr><th class='text'>Industry</th><th>Moran's I</th>"
            f"<th>pseudo p</th></tr>{rows}</table>",
        ]
    figures = _IndustryFigures(clusters)
    paths = _Paths()
    lisa_by = _ByIndustry(source, paths)
    lq_by = _ByIndustry(lq_layer, paths)
    for code in codes:
        lisa = lisa_by(code)
        lq = lq_by(code)
        lisa_rows, lq_rows = lisa[0], lq[0]
        if lq_rows is None and lisa_rows is not None and "lq" in lisa_rows:
            lq = lisa
            lq_rows = lisa_rows
        scatter = None
        if weights is not None and lisa_rows is not None and "lq" in lisa_rows:
            try:
                scatter = moran_scatter_data(lisa_rows, weights, code)
            except ValueError:
                scatter = None  # constant LQ: nothing to scatter
        moran_i = float(moran_by[code]["moran_i"]) if code in moran_by else None
        image = f"industry_{code}.png"
        figures.save(code, lisa, lq, scatter, moran_i, folder / image)
        heading = _industry_label(code, names)
        if moran_i is not None:
            heading += f" (Moran's I {moran_i:.3f})"
        parts += [
            f"<h2>{html.escape(heading)}</h2>",
            f"<img src='{image}' alt='Maps of industry {html.escape(code)}'>",
        ]
        if lq_rows is not None and {"stars", "strong_cluster"} & set(lq_rows):
            parts.append(_strength_table(lq_rows))
    if weights is None:
        parts.append(
            "<p class='note'>Moran scatterplots are left out: no weights given.</p>"
        )
    if provenance:
        parts += ["<h2>Provenance</h2>", _provenance_html(provenance)]
    parts.append("</body></html>")
    out = folder / "index.html"
    out.write_text("\n".join(parts), encoding="utf-8")
    return out
