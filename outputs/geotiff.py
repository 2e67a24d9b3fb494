"""Cloud-Optimized GeoTIFF writer for single-band rasters (firm density), atomic."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS
from rasterio.crs import CRS as RasterioCRS

__all__ = ["COG_OPTIONS", "write_cog"]

COG_OPTIONS: dict[str, str] = {
    "COMPRESS": "DEFLATE",
    "PREDICTOR": "YES",  # floating-point predictor for float data, horizontal else
    "BLOCKSIZE": "256",
    "OVERVIEWS": "AUTO",
    "OVERVIEW_RESAMPLING": "AVERAGE",
    "RESAMPLING": "AVERAGE",
    "BIGTIFF": "IF_SAFER",
}
"""Creation options of GDAL's COG driver (GDAL >= 3.1) used for every raster."""

_DTYPES = {
    np.dtype(t)
    for t in (
        "uint8",
        "int8",
        "uint16",
        "int16",
        "uint32",
        "int32",
        "float32",
        "float64",
    )
}


def _check_raster(array: object, transform: object, crs: object) -> tuple:
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"array must be a numpy.ndarray; got {type(array).__name__}. Pass the "
            "first value returned by geo.points.density_grid."
        )
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(
            f"array must be 2-D (rows, cols) with at least one cell; got shape "
            f"{array.shape}. Write one band at a time."
        )
    if array.dtype not in _DTYPES:
        raise ValueError(
            f"array has dtype {array.dtype}, which GeoTIFF cannot store; use one of "
            f"{sorted(str(t) for t in _DTYPES)} (e.g. array.astype('float32'))."
        )
    if not isinstance(transform, Affine):
        raise TypeError(
            f"transform must be an affine.Affine; got {type(transform).__name__}. "
            "Build one with rasterio.transform.from_origin(west, north, xres, yres)."
        )
    if transform.is_degenerate:
        raise ValueError(f"transform {tuple(transform)} is degenerate (zero area).")
    try:
        pyproj_crs = CRS.from_user_input(crs)
    except Exception as error:
        raise ValueError(
            f"crs is not a CRS pyproj understands: {crs!r} ({error}). Pass e.g. "
            "'EPSG:32616'."
        ) from None
    return array, transform, RasterioCRS.from_wkt(pyproj_crs.to_wkt())


def write_cog(
    array: np.ndarray,
    transform: Affine,
    crs: object,
    path: str | os.PathLike[str],
    *,
    nodata: float | None = None,
    qml: str | None = None,
) -> Path:
    """Write a 2-D array as a single-band Cloud-Optimized GeoTIFF, atomically.

    Parameters
    ----------
    array : numpy.ndarray
        Values, shape ``(rows, cols)``, row 0 at the north edge (as returned by
        `geo.points.density_grid`). Any GeoTIFF data type. Not modified.
    transform : affine.Affine
        Pixel (col, row) to the upper-left corner of the cell in ``crs``.
    crs : object
        The raster's CRS (anything pyproj accepts).
    path : path-like
        Destination ``.tif``; its folder is created. An existing file is replaced
        only once the new one is complete.
    nodata : float, optional
        Value flagged as "no data" in the file (e.g. ``-9999``); ``None`` for none.
        A density grid has no missing cells: zero is a real value.
    qml : str, optional
        QGIS style written beside the raster as ``<stem>.qml`` (QGIS applies it when
        the raster is added), e.g. `outputs.styles.density_style`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If ``array`` is not an ndarray or ``transform`` not an Affine.
    ValueError
        If the array is not 2-D or has an unsupported dtype, the transform is
        degenerate, the CRS is unknown, ``nodata`` does not fit the dtype or the
        path does not end in ``.tif``/``.tiff``.

    Notes
    -----
    GDAL's COG driver (`COG_OPTIONS`: DEFLATE with predictor, 256 px tiles,
    averaged overviews until the image fits one tile) writes the file as
    ``.<name>.tmp-<pid>-<random>.tif`` beside ``path``; it is then renamed. GDAL's
    ``validate_cloud_optimized_geotiff`` accepts the result (tests/outputs).

    Examples
    --------
    >>> import tempfile
    >>> grid = np.arange(12, dtype="float32").reshape(3, 4)  # 3 rows of 1 km cells
    >>> north_up = Affine(1000, 0, 0, 0, -1000, 3000)  # west 0, north 3000 m
    >>> out = write_cog(grid, north_up, "EPSG:32616",
    ...                 Path(tempfile.mkdtemp()) / "density.tif")
    >>> with rasterio.open(out) as src:
    ...     layout = src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"]
    ...     src.read(1)[2, 3], src.crs.to_epsg(), layout
    (np.float32(11.0), 32616, 'COG')
    """
    array, transform, rio_crs = _check_raster(array, transform, crs)
    path = Path(path)
    if path.suffix.lower() not in (".tif", ".tiff"):
        raise ValueError(
            f"path must end in .tif or .tiff (GeoTIFF); got {str(path)!r}."
        )
    if nodata is not None:
        info = (
            np.finfo(array.dtype) if array.dtype.kind == "f" else np.iinfo(array.dtype)
        )
        if not (np.isnan(nodata) and array.dtype.kind == "f") and not (
            info.min <= nodata <= info.max
        ):
            raise ValueError(
                f"nodata {nodata} does not fit dtype {array.dtype} (range {info.min} "
                f"to {info.max}). Pick a value inside it, e.g. {info.min}."
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}.tif")
    style_path = path.with_suffix(".qml")
    style_tmp = style_path.with_name(f".{style_path.name}.tmp-{secrets.token_hex(4)}")
    try:
        profile = {
            "driver": "COG",
            "width": array.shape[1],
            "height": array.shape[0],
            "count": 1,
            "dtype": array.dtype.name,
            "crs": rio_crs,
            "transform": transform,
            "nodata": nodata,
            **COG_OPTIONS,
        }
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(array, 1)
        if qml is not None:
            style_tmp.write_text(qml, encoding="utf-8")
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        if qml is not None:
            os.replace(style_tmp, style_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        style_tmp.unlink(missing_ok=True)
        raise
    return path
