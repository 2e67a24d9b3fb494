"""A small PNG map of the clusters over the regions, for the Dagster UI."""

from __future__ import annotations

import base64
import io

import geopandas as gpd
import numpy as np
from matplotlib import colormaps
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch


def cluster_preview_png(
    regions: gpd.GeoDataFrame, clusters: gpd.GeoDataFrame, *, width_px: int = 480
) -> bytes:
    """Render regions in grey with each cluster filled by industry; return PNG bytes.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> r = gpd.GeoDataFrame({"region_id": ["a"]}, geometry=[box(0, 0, 1, 1)],
    ...                      crs="EPSG:32616")
    >>> c = r.assign(industry="3141")
    >>> cluster_preview_png(r, c)[:4] == b"\\x89PNG"
    True
    """
    from outputs.report import _polygon_paths

    dpi = 96
    # A bare Figure with two path collections: geopandas' plot() and
    # bbox_inches="tight" cost several draws of the whole map per preview.
    fig = Figure(figsize=(width_px / dpi, width_px / dpi), dpi=dpi)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.93)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.add_collection(
        PathCollection(
            _polygon_paths(regions.geometry),
            facecolors="#f2f2f2",
            edgecolors="#bbbbbb",
            linewidths=0.3,
        )
    )
    if len(clusters):
        industries = clusters["industry"].astype(str)
        categories = sorted(industries.unique())
        tab10 = colormaps["tab10"]
        colour = {c: tab10(i % 10) for i, c in enumerate(categories)}
        ax.add_collection(
            PathCollection(
                _polygon_paths(clusters.geometry),
                facecolors=[colour[i] for i in industries],
                edgecolors="#333333",
                linewidths=0.8,
                alpha=0.85,
            )
        )
        ax.legend(
            handles=[Patch(facecolor=colour[c], label=c) for c in categories],
            title="industry",
            fontsize=7,
            title_fontsize=7,
            loc="lower left",
        )
    bounds = np.asarray(regions.total_bounds if len(regions) else clusters.total_bounds)
    if np.isfinite(bounds).all():
        ax.set_xlim(bounds[0], bounds[2])
        ax.set_ylim(bounds[1], bounds[3])
    ax.set_aspect("equal")
    ax.set_title(f"{len(clusters)} localized cluster(s)", fontsize=9)
    buffer = io.BytesIO()
    # zlib level 1: half the encoding time of the default, a few % more bytes
    fig.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def png_markdown(png: bytes, alt: str = "map") -> str:
    """Markdown that shows PNG bytes inline (Dagster UI renders data URIs)."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"
