"""A small PNG map of the clusters over the regions, for the Dagster UI."""

from __future__ import annotations

import base64
import io

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # headless: no display on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402


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
    dpi = 96
    fig, ax = plt.subplots(figsize=(width_px / dpi, width_px / dpi), dpi=dpi)
    try:
        regions.plot(ax=ax, color="#f2f2f2", edgecolor="#bbbbbb", linewidth=0.3)
        if len(clusters):
            clusters.plot(
                ax=ax,
                column="industry",
                categorical=True,
                legend=True,
                cmap="tab10",
                edgecolor="#333333",
                linewidth=0.8,
                alpha=0.85,
                legend_kwds={
                    "title": "industry",
                    "fontsize": 7,
                    "title_fontsize": 7,
                    "loc": "lower left",
                },
            )
        ax.set_axis_off()
        ax.set_title(f"{len(clusters)} localized cluster(s)", fontsize=9)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
    finally:
        plt.close(fig)
    return buffer.getvalue()


def png_markdown(png: bytes, alt: str = "map") -> str:
    """Markdown that shows PNG bytes inline (Dagster UI renders data URIs)."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"
