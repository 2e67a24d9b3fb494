"""Open vector formats beside the GeoPackage: GeoParquet 1.1 and RFC 7946 GeoJSON."""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

__all__ = [
    "GEOJSON_PRECISION",
    "GEOPARQUET_VERSION",
    "write_geojson",
    "write_geojson_layers",
    "write_geoparquet",
]

GEOPARQUET_VERSION = "1.1.0"
"""GeoParquet specification version written (PROJJSON CRS, bbox covering column)."""

GEOJSON_PRECISION = 6
"""Decimal places of GeoJSON coordinates: 1e-6 degree is about 0.1 m."""


def _check_frame(gdf: object, name: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(
            f"{name} must be a geopandas.GeoDataFrame; got {type(gdf).__name__}."
        )
    try:
        crs = gdf.geometry.crs
    except AttributeError:
        raise ValueError(
            f"{name} has no active geometry column; columns found: "
            f"{list(gdf.columns)[:12]}. Call gdf.set_geometry(...) first."
        ) from None
    if crs is None:
        raise ValueError(
            f"{name} has no CRS, so its coordinates cannot be published. Set it "
            "with gdf.set_crs(...) first."
        )
    return gdf


def _plain_index(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Named index levels become columns (unless already there); others are dropped."""
    names = [n for n in gdf.index.names if n is not None and n not in gdf.columns]
    if names:
        return gdf.reset_index(level=names).reset_index(drop=True)
    return gdf.reset_index(drop=True)


def _atomic(
    path: Path, suffixes: tuple[str, ...], write: Callable[[Path], None]
) -> Path:
    if path.suffix.lower() not in suffixes:
        raise ValueError(
            f"path must end in {' or '.join(suffixes)}; got {str(path)!r}."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(
        f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}{path.suffix}"
    )
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_geoparquet(gdf: gpd.GeoDataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a layer as GeoParquet 1.1 (WKB, PROJJSON CRS, bbox covering), atomically.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer, in its own CRS (kept; no reprojection). Named index levels
        become columns. Not modified.
    path : path-like
        Destination ending in ``.parquet``; replaced only once complete.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If ``gdf`` is not a GeoDataFrame.
    ValueError
        If it has no active geometry or CRS, or ``path`` has another suffix.

    Notes
    -----
    ``to_parquet(schema_version="1.1.0", write_covering_bbox=True)``: the file
    metadata ``geo`` declares version 1.1.0, the CRS as PROJJSON and a ``bbox``
    struct column (xmin, ymin, xmax, ymax) as the covering, so readers such as
    DuckDB or GDAL >= 3.9 can skip row groups by extent.

    Examples
    --------
    >>> import json, tempfile
    >>> import pyarrow.parquet as pq
    >>> from shapely.geometry import Point
    >>> firms = gpd.GeoDataFrame({"firm_id": ["f1"]}, geometry=[Point(1, 2)],
    ...                          crs="EPSG:32616")
    >>> out = write_geoparquet(firms, Path(tempfile.mkdtemp()) / "firms.parquet")
    >>> geo = json.loads(pq.read_schema(out).metadata[b"geo"])
    >>> geo["version"], geo["columns"]["geometry"]["crs"]["id"]["code"]
    ('1.1.0', 32616)
    """
    frame = _plain_index(_check_frame(gdf, "gdf"))
    return _atomic(
        Path(path),
        (".parquet",),
        lambda tmp: frame.to_parquet(
            tmp,
            schema_version=GEOPARQUET_VERSION,
            write_covering_bbox=True,
            index=False,
            compression="zstd",
        ),
    )


def _geojson_options(precision: int) -> dict[str, str]:
    if not isinstance(precision, int) or not 0 <= precision <= 15:
        raise ValueError(
            f"precision must be an int of decimal places from 0 to 15; got "
            f"{precision!r}."
        )
    return {
        "RFC7946": "YES",
        "COORDINATE_PRECISION": str(precision),
        "WRITE_BBOX": "YES",
        "WRITE_NAME": "NO",
    }


def write_geojson(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    precision: int = GEOJSON_PRECISION,
) -> Path:
    """Write a layer as RFC 7946 GeoJSON in EPSG:4326 for web maps, atomically.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer in any CRS; reprojected to WGS 84 longitude/latitude. Named
        index levels become properties. Not modified.
    path : path-like
        Destination ending in ``.geojson`` or ``.json``.
    precision : int
        Decimal places of the coordinates (default 6, about 0.1 m).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If ``gdf`` is not a GeoDataFrame.
    ValueError
        If it has no geometry or CRS, ``precision`` is outside 0..15, or the path
        has another suffix.

    Notes
    -----
    GDAL's GeoJSON driver with ``RFC7946=YES``: longitude-latitude order, no
    ``crs`` member, polygons wound counter-clockwise (exterior), geometries split at
    the antimeridian, and a ``bbox`` per feature and collection. A layer that
    repeats its geometries (regions x industries) has each distinct geometry
    reprojected and written once, and the features put together from that and
    the attributes: the same bytes as writing every feature, several times
    faster.

    Examples
    --------
    >>> import json, tempfile
    >>> from shapely.geometry import Point
    >>> firms = gpd.GeoDataFrame({"firm_id": ["f1"]}, geometry=[Point(500000, 0)],
    ...                          crs="EPSG:32616")  # on the equator at 87 W
    >>> out = write_geojson(firms, Path(tempfile.mkdtemp()) / "firms.geojson")
    >>> json.loads(out.read_text())["features"][0]["geometry"]["coordinates"]
    [-87.0, 0.0]
    """
    frame = _plain_index(_check_frame(gdf, "gdf"))
    options = _geojson_options(precision)
    return _atomic(
        Path(path),
        (".geojson", ".json"),
        lambda tmp: tmp.write_bytes(_geojson(frame, options, {})),
    )


def write_geojson_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    folder: str | os.PathLike[str],
    *,
    precision: int = GEOJSON_PRECISION,
) -> dict[str, Path]:
    """Write every layer as ``<folder>/<name>.geojson``, as `write_geojson` does.

    Parameters
    ----------
    layers : mapping of str to geopandas.GeoDataFrame
        Layer name to data (any CRS). Not modified.
    folder : path-like
        Created if needed.
    precision : int
        Decimal places of the coordinates (default 6, about 0.1 m).

    Returns
    -------
    dict of str to pathlib.Path
        Layer name to the file written: the bytes `write_geojson` writes.

    Raises
    ------
    TypeError, ValueError
        As `write_geojson`.

    Notes
    -----
    Layers with the same geometries (the regions, and the regions x industries
    of the statistics layers) share their GeoJSON geometries: each distinct
    geometry is reprojected and written once for all of them.

    Examples
    --------
    >>> import json, tempfile
    >>> from shapely.geometry import box
    >>> regions = gpd.GeoDataFrame({"region_id": ["a", "b"]},
    ...     geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs=32616)
    >>> lq = regions.loc[[0, 1, 0, 1]].assign(industry=["x", "x", "y", "y"])
    >>> out = write_geojson_layers({"regions": regions, "lq": lq}, tempfile.mkdtemp())
    >>> len(json.loads(out["lq"].read_text())["features"])
    4
    """
    frames = {
        name: _plain_index(_check_frame(gdf, f"layers[{name!r}]"))
        for name, gdf in layers.items()
    }
    options = _geojson_options(precision)
    folder = Path(folder)
    shared: dict = {}
    written = {}
    for name, frame in frames.items():
        written[name] = _atomic(
            folder / f"{name}.geojson",
            (".geojson",),
            lambda tmp, frame=frame: tmp.write_bytes(_geojson(frame, options, shared)),
        )
    return written


_NULL_GEOMETRY = b'"geometry": null }'
_BBOX = b'"bbox": ['


def _geojson_parts(text: bytes) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """GDAL's GeoJSON as header lines, one line per feature (no comma), footer."""
    lines = text.split(b"\n")
    start = lines.index(b'"features": [') + 1
    end = len(lines) - 1 - lines[::-1].index(b"]")
    body = [line.removesuffix(b",") for line in lines[start:end]]
    return lines[:start], body, lines[end:]


def _geojson_bytes(frame: gpd.GeoDataFrame, options: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    # Arrow hands the columns to GDAL in one go: the same bytes, a quarter faster
    pyogrio.write_dataframe(
        frame, buffer, driver="GeoJSON", layer_options=options, use_arrow=True
    )
    return buffer.getvalue()


def _geometry_features(
    text: bytes, wkb: Sequence[bytes]
) -> tuple[list[bytes], dict[bytes, bytes], list[bytes]] | None:
    """Header, feature geometry (from its ``"bbox"`` on) by WKB, and footer of the
    GeoJSON GDAL wrote for geometries ``wkb``, in order; None if not laid out so."""
    try:
        head, features, tail = _geojson_parts(text)
        # a feature is `{ "type": "Feature", "properties": {...}, "bbox": [...],
        # "geometry": {...} }`: its geometry part starts at the last "bbox"
        bodies = [f[f.rindex(_BBOX) :] for f in features]
    except ValueError:  # not the layout expected of GDAL's writer
        return None
    if len(bodies) != len(wkb):
        return None
    return head, dict(zip(wkb, bodies, strict=True)), tail


def _geojson(frame: gpd.GeoDataFrame, options: dict[str, str], shared: dict) -> bytes:
    """The GeoJSON GDAL writes for ``frame``.

    A layer that repeats its geometries, or has the same geometries as a layer
    written before with the same ``shared`` dict, is put together from one write
    of its attributes and the features of its distinct geometries (written once;
    kept in ``shared``). Layers with missing or empty geometries, or a second
    geometry column, are written feature by feature.
    """
    geometry = frame.geometry
    values = geometry.to_numpy()
    others = [c for c in frame.columns if c != geometry.name]
    if (
        len(frame) < 2
        or "geometry" in others
        or shapely.is_missing(values).any()
        or shapely.is_empty(values).any()
        or any(isinstance(frame[c].dtype, gpd.array.GeometryDtype) for c in others)
    ):
        return _geojson_bytes(frame.to_crs("EPSG:4326"), options)
    wkb = shapely.to_wkb(values)
    codes, distinct = pd.factorize(pd.Series(wkb, dtype=object))
    key = (frozenset(distinct), geometry.crs)
    found = shared.get(key)
    if found is None and 2 * len(distinct) > len(frame):
        # few geometries repeat: GDAL writes the layer; a later layer with the same
        # geometries takes them from this text (split only then)
        text = _geojson_bytes(frame.to_crs("EPSG:4326"), options)
        shared[key] = (text, wkb)
        return text
    if found is None:
        first = np.full(len(distinct), len(frame))
        np.minimum.at(first, codes, np.arange(len(frame)))
        shapes = gpd.GeoDataFrame(
            geometry=geometry.iloc[first].reset_index(drop=True)
        ).to_crs("EPSG:4326")
        found = _geometry_features(_geojson_bytes(shapes, options), list(distinct))
    elif isinstance(found[0], bytes):  # a whole layer's text, not split yet
        found = _geometry_features(*found)
    shared[key] = found
    attributes = gpd.GeoDataFrame(
        pd.DataFrame(frame[others]),
        geometry=gpd.GeoSeries([None] * len(frame), index=frame.index),
        crs="EPSG:4326",
    )
    try:
        _, features, _ = _geojson_parts(_geojson_bytes(attributes, options))
    except ValueError:  # not the layout expected of GDAL's writer
        found = None
    if (
        found is None
        or len(features) != len(frame)
        or not all(f.endswith(_NULL_GEOMETRY) for f in features)
    ):
        return _geojson_bytes(frame.to_crs("EPSG:4326"), options)
    head, bodies, tail = found
    cut = len(_NULL_GEOMETRY)
    joined = b",\n".join(
        f[:-cut] + bodies[w] for f, w in zip(features, wkb, strict=True)
    )
    return b"\n".join([*head, joined, *tail])
