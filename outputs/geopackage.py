"""Atomic GeoPackage 1.2 publisher: all layers, default QGIS styles and metadata."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from outputs.qgis_project import layer_metadata_xml
from outputs.styles import alternative_styles, geometry_family, style_for

__all__ = [
    "GEOMETRY_COLUMN",
    "METADATA_DDL",
    "PROVENANCE_STANDARD_URI",
    "QGIS_METADATA_URI",
    "GPKG_APPLICATION_ID",
    "GPKG_USER_VERSION",
    "LAYER_STYLES_DDL",
    "publish_geopackage",
    "provenance_history",
    "read_layer_metadata",
    "read_layer_styles",
    "style_for",
]

LAYER_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
"""Allowed layer (table) names: they become SQLite identifiers, nothing else passes."""

_RESERVED_PREFIXES = ("gpkg_", "rtree_", "sqlite_")
STYLE_TABLE = "layer_styles"

GEOMETRY_COLUMN = "geom"
"""Geometry column written for every layer (GDAL's GPKG default, set explicitly)."""

GPKG_APPLICATION_ID = 0x47504B47  # 'GPKG'
GPKG_USER_VERSION = 10200  # GeoPackage 1.2.0; GDAL 3.12 would write 1.4 (10400)

LAYER_STYLES_DDL = (
    "CREATE TABLE layer_styles ("
    "id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "f_table_catalog TEXT(256), "
    "f_table_schema TEXT(256), "
    "f_table_name TEXT(256), "
    "f_geometry_column TEXT(256), "
    "styleName TEXT(30), "
    "styleQML TEXT, "
    "styleSLD TEXT, "
    "useAsDefault BOOLEAN, "
    "description TEXT, "
    "owner TEXT(30), "
    "ui TEXT, "
    "update_time DATETIME DEFAULT CURRENT_TIMESTAMP)"
)
"""The ``layer_styles`` table exactly as QGIS creates it in a GeoPackage."""

_LAYER_STYLES_COLUMNS = [
    "id",
    "f_table_catalog",
    "f_table_schema",
    "f_table_name",
    "f_geometry_column",
    "styleName",
    "styleQML",
    "styleSLD",
    "useAsDefault",
    "description",
    "owner",
    "ui",
    "update_time",
]

METADATA_DDL = (
    "CREATE TABLE gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL,"
    "md_scope TEXT NOT NULL DEFAULT 'dataset',md_standard_uri TEXT NOT NULL,"
    "mime_type TEXT NOT NULL DEFAULT 'text/xml',metadata TEXT NOT NULL DEFAULT '')",
    "CREATE TABLE gpkg_metadata_reference (reference_scope TEXT NOT NULL,"
    "table_name TEXT,column_name TEXT,row_id_value INTEGER,"
    "timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "md_file_id INTEGER NOT NULL,md_parent_id INTEGER,"
    "CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id),"
    "CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id))",
)
"""The metadata extension tables exactly as GDAL creates them (GeoPackage 1.2 F.8)."""

_METADATA_EXTENSION = "http://www.geopackage.org/spec120/#extension_metadata"

QGIS_METADATA_URI = "http://mrcc.com/qgis.dtd"
"""``md_standard_uri`` under which QGIS stores (and finds) its layer metadata."""

PROVENANCE_STANDARD_URI = "urn:agglo:provenance:1"
"""``md_standard_uri`` of the machine-readable provenance (JSON, GeoPackage scope)."""

# GeoPackage's DATETIME format (as in gpkg_contents.last_change).
_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


# ------------------------------------------------------------------------ validation


def _check_layer_name(name: object) -> str:
    if not isinstance(name, str) or not LAYER_NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"layer name {name!r} is not allowed: names become SQLite table names and "
            f"must match {LAYER_NAME_PATTERN.pattern} (lower-case letter first, then "
            "lower-case letters, digits or '_', at most 63 characters). Rename it, "
            "e.g. 'location_quotients'."
        )
    if name == STYLE_TABLE or name.startswith(_RESERVED_PREFIXES):
        raise ValueError(
            f"layer name {name!r} is reserved by GeoPackage or QGIS ({STYLE_TABLE!r} "
            f"and the prefixes {list(_RESERVED_PREFIXES)}). Choose another name."
        )
    return name


def _check_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
) -> dict[str, gpd.GeoDataFrame]:
    if not isinstance(layers, Mapping):
        raise TypeError(
            f"layers must be a mapping of layer name to GeoDataFrame; got "
            f"{type(layers).__name__}. Pass e.g. {{'regions': regions_gdf}}."
        )
    if not layers:
        raise ValueError(
            "layers is empty, so there is nothing to publish. Pass at least one layer."
        )
    checked: dict[str, gpd.GeoDataFrame] = {}
    for name, gdf in layers.items():
        _check_layer_name(name)
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise TypeError(
                f"layer {name!r} must be a geopandas.GeoDataFrame; got "
                f"{type(gdf).__name__}. Build one with "
                "gpd.GeoDataFrame(df, geometry=...)."
            )
        try:
            crs = gdf.geometry.crs
        except AttributeError:
            raise ValueError(
                f"layer {name!r} has no active geometry column; columns found: "
                f"{list(gdf.columns)[:12]}. Call gdf.set_geometry(...) first."
            ) from None
        if crs is None:
            raise ValueError(
                f"layer {name!r} has no CRS, and every published layer must declare "
                "one. Set it with gdf.set_crs(...) (the analysis CRS) before "
                "publishing."
            )
        for column in gdf.columns:
            values = gdf[column]
            if isinstance(values.dtype, pd.StringDtype):
                # vectorised: pandas' str columns are Arrow arrays
                nul = values.str.contains("\x00", regex=False, na=False)
            elif values.dtype == object or pd.api.types.is_string_dtype(values):
                nul = values.map(lambda v: isinstance(v, str) and "\x00" in v)
            else:
                continue
            if nul.any():
                raise ValueError(
                    f"layer {name!r} column {column!r} holds a NUL character in "
                    f"{int(nul.sum())} row(s) (first: row "
                    f"{int(nul.to_numpy().argmax())}); GDAL would cut the text "
                    "there. Remove NUL characters first."
                )
        checked[name] = gdf
    return checked


def _check_titles(
    descriptions: Mapping[str, tuple[str, str]] | None, layers: Mapping[str, object]
) -> dict[str, tuple[str, str]]:
    """Title (gpkg_contents.identifier) and abstract of every layer, checked unique."""
    descriptions = {} if descriptions is None else descriptions
    unknown = sorted(set(descriptions) - set(layers))
    if unknown:
        raise ValueError(
            f"descriptions names layer(s) {unknown} that are not in layers "
            f"({sorted(layers)}). Fix the layer names or drop those entries."
        )
    titles: dict[str, tuple[str, str]] = {}
    for name in layers:
        entry = descriptions.get(name, (name, ""))
        if (
            not isinstance(entry, tuple)
            or len(entry) != 2
            or not all(isinstance(part, str) for part in entry)
        ):
            raise TypeError(
                f"descriptions[{name!r}] must be a (title, abstract) tuple of two "
                f"strings; got {entry!r}."
            )
        titles[name] = entry
    seen: dict[str, str] = {STYLE_TABLE: STYLE_TABLE}
    for name, (title, _abstract) in titles.items():
        if title in seen:
            raise ValueError(
                f"layer {name!r} has title {title!r}, which is already the title of "
                f"{seen[title]!r}; GeoPackage identifiers must be unique. Give each "
                "layer its own title."
            )
        seen[title] = name
    return titles


def _check_styles(
    styles: Mapping[str, str] | None, layers: Mapping[str, gpd.GeoDataFrame]
) -> dict[str, str]:
    """QML per layer: the given ones (checked to be QGIS documents), else defaults."""
    styles = {} if styles is None else styles
    unknown = sorted(set(styles) - set(layers))
    if unknown:
        raise ValueError(
            f"styles names layer(s) {unknown} that are not in layers "
            f"({sorted(layers)}). Fix the layer names or drop those entries."
        )
    resolved: dict[str, str] = {}
    for name, gdf in layers.items():
        if name in styles:
            qml = styles[name]
            if not isinstance(qml, str):
                raise TypeError(
                    f"styles[{name!r}] must be a QML document as str; got "
                    f"{type(qml).__name__}."
                )
            try:
                root = ET.fromstring(qml)
            except ET.ParseError as error:
                raise ValueError(
                    f"styles[{name!r}] is not well-formed XML ({error}). Pass a QML "
                    "document saved by QGIS or built by outputs.styles."
                ) from None
            if root.tag != "qgis":
                raise ValueError(
                    f"styles[{name!r}] has root element <{root.tag}>, but a QGIS style "
                    "document has <qgis>. Pass a .qml document, not SLD."
                )
            resolved[name] = qml
        else:
            qml = style_for(name, gdf)
            if qml is not None:
                resolved[name] = qml
    return resolved


def _check_provenance(provenance: Mapping | None) -> dict | None:
    """The provenance as plain JSON data (checked serialisable, no NaN)."""
    if provenance is None:
        return None
    if not isinstance(provenance, Mapping):
        raise TypeError(
            f"provenance must be a mapping (run_id, inputs, parameters, versions); "
            f"got {type(provenance).__name__}. Build it with "
            "outputs.publication.build_provenance(...)."
        )
    try:
        plain = json.loads(json.dumps(provenance, allow_nan=False, default=_jsonable))
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"provenance must be JSON-serialisable without NaN ({error}). Convert "
            "values to str, int, float, bool, lists or mappings."
        ) from None
    run_id = plain.get("run_id")
    if run_id is not None and not isinstance(run_id, str):
        raise ValueError(
            f"provenance['run_id'] must be a string; got {run_id!r}. Pass the "
            "Dagster run id (context.run_id)."
        )
    return plain


def _jsonable(value: object) -> object:
    """numpy scalars and paths as plain JSON values; anything else is refused."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return value.item()
    raise TypeError(f"{type(value).__name__} {value!r} is not JSON-serialisable")


def _flatten(prefix: str, value: object) -> list[tuple[str, object]]:
    if isinstance(value, Mapping) and value:
        out: list[tuple[str, object]] = []
        for key in value:
            out.extend(_flatten(f"{prefix}.{key}" if prefix else str(key), value[key]))
        return out
    return [(prefix, value)]


def provenance_history(provenance: Mapping) -> list[str]:
    """One readable line per provenance fact, for QGIS's metadata History list.

    Parameters
    ----------
    provenance : mapping
        ``run_id``, ``study``, ``partition``, ``created``, ``inputs`` (name to
        ``{"path", "sha256", "bytes"}``), ``parameters`` (nested), ``versions``
        (package to version) and any further JSON values. Not modified.

    Returns
    -------
    list of str
        ``run_id: ...``, ``input registry: registry.csv sha256 ...``,
        ``parameter methods.alpha = 0.05``, ``version geopandas 1.2.0``, ... in that
        order; other keys last as ``key: json``.

    Examples
    --------
    >>> for line in provenance_history({"run_id": "r1",
    ...     "inputs": {"registry": {"path": "r.csv", "sha256": "ab12", "bytes": 10}},
    ...     "parameters": {"methods": {"alpha": 0.05}},
    ...     "versions": {"esda": "2.9.0"}}):
    ...     print(line)
    run_id: r1
    input registry: r.csv sha256 ab12 (10 bytes)
    parameter methods.alpha = 0.05
    version esda 2.9.0
    """
    lines: list[str] = []
    for key in ("run_id", "study", "partition", "created"):
        if key in provenance:
            lines.append(f"{key}: {provenance[key]}")
    for name, entry in (provenance.get("inputs") or {}).items():
        if isinstance(entry, Mapping):
            text = f"input {name}: {entry.get('path', '')}"
            if entry.get("sha256"):
                text += f" sha256 {entry['sha256']}"
            if entry.get("bytes") is not None:
                text += f" ({entry['bytes']} bytes)"
        else:
            text = f"input {name}: {entry}"
        lines.append(text)
    for key, value in _flatten("", provenance.get("parameters") or {}):
        if key:
            lines.append(f"parameter {key} = {json.dumps(value, default=str)}")
    for package, version in (provenance.get("versions") or {}).items():
        lines.append(f"version {package} {version}")
    known = {"run_id", "study", "partition", "created", "inputs", "parameters"}
    for key, value in provenance.items():
        if key not in known | {"versions"}:
            lines.append(f"{key}: {json.dumps(value, default=str)}")
    return lines


def _layer_metadata(
    frames: Mapping[str, gpd.GeoDataFrame],
    titles: Mapping[str, tuple[str, str]],
    provenance: Mapping | None,
) -> dict[str, str]:
    """The QGIS metadata document of every layer."""
    history = provenance_history(provenance) if provenance else []
    parts = [
        str(provenance[k])
        for k in ("study", "partition", "run_id")
        if provenance and provenance.get(k)
    ]
    parent = "/".join(parts)
    documents = {}
    for name, gdf in frames.items():
        title, abstract = titles[name]
        geometry = gdf.geometry
        present = geometry[geometry.notna() & ~geometry.is_empty]
        bounds = None
        if not present.empty:
            box = [float(v) for v in present.total_bounds]
            bounds = box if all(math.isfinite(v) for v in box) else None
        documents[name] = layer_metadata_xml(
            identifier=f"{parent}/{name}" if parent else name,
            parent_identifier=parent,
            title=title,
            abstract=abstract,
            crs=gdf.crs,
            bounds=bounds,
            keywords={"gmd:topicCategory": ["economy"], "agglo": [name]},
            history=history,
        )
    return documents


def _check_path(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise ValueError(
            f"path must end in .gpkg (GeoPackage requirement, and QGIS relies on it); "
            f"got {str(path)!r}. Use e.g. 'published/agglomeration.gpkg'."
        )
    if path.exists() and not path.is_file():
        raise ValueError(
            f"path {str(path)!r} exists and is not a file. Choose a file path."
        )
    return path


# --------------------------------------------------------------------------- writing


def _frame_to_write(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Named index levels become columns (unless already there); others are dropped."""
    names = [n for n in gdf.index.names if n is not None and n not in gdf.columns]
    if names:
        return gdf.reset_index(level=names).reset_index(drop=True)
    return gdf.reset_index(drop=True)


def _write_layer(gdf: gpd.GeoDataFrame, tmp: Path, name: str, *, first: bool) -> None:
    frame = _frame_to_write(gdf)
    geometry = frame.geometry
    geometry_type = None
    if not (geometry.notna() & ~geometry.is_empty).any():
        # No geometry to infer the type from (an empty layer, e.g. no cluster found):
        # declare the type the default style draws, so QGIS applies that style.
        family = geometry_family(name)
        geometry_type = {"polygon": "MultiPolygon", "point": "Point"}.get(family or "")
    try:
        pyogrio.write_dataframe(
            frame,
            tmp,
            layer=name,
            driver="GPKG",
            geometry_type=geometry_type,
            # VERSION is a dataset creation option: it only applies when the file is
            # created, i.e. with the first layer. Later layers keep the 1.2 header.
            dataset_options={"VERSION": "1.2"} if first else None,
            layer_options={"GEOMETRY_NAME": GEOMETRY_COLUMN, "SPATIAL_INDEX": "YES"},
            # columns passed to GDAL as Arrow arrays: the same table, written
            # about a quarter faster than feature by feature
            use_arrow=True,
        )
    except Exception as error:
        error.add_note(f"while writing layer {name!r} of GeoPackage {str(tmp)!r}")
        raise


@contextlib.contextmanager
def _sqlite_unsynchronised() -> Iterator[None]:
    """GDAL writes SQLite files without an fsync per transaction meanwhile.

    ``OGR_SQLITE_SYNCHRONOUS=OFF`` (``PRAGMA synchronous = OFF``): the GeoPackage
    is a temporary file until it is fsynced once and renamed, so the per-layer
    syncs only cost time (a third of the layer writes). GDAL's configuration is
    process-wide: the previous value is restored on exit.
    """
    option = "OGR_SQLITE_SYNCHRONOUS"
    before = pyogrio.get_gdal_config_option(option)
    pyogrio.set_gdal_config_options({option: "OFF"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({option: before})


def _write_metadata(
    con: sqlite3.Connection,
    documents: Mapping[str, str],
    provenance: Mapping | None,
) -> None:
    """QGIS metadata per layer (table scope) and the provenance JSON (file scope)."""
    existing = con.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'gpkg_metadata'"
    ).fetchone()
    if not existing:
        for ddl in METADATA_DDL:
            con.execute(ddl)
        for table in ("gpkg_metadata", "gpkg_metadata_reference"):
            con.execute(
                "INSERT INTO gpkg_extensions (table_name, column_name, "
                "extension_name, definition, scope) VALUES (?, NULL, "
                "'gpkg_metadata', ?, 'read-write')",
                (table, _METADATA_EXTENSION),
            )
    for name, document in documents.items():
        cursor = con.execute(
            "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, "
            "metadata) VALUES ('dataset', ?, 'text/xml', ?)",
            (QGIS_METADATA_URI, document),
        )
        con.execute(
            "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, "
            f"md_file_id, timestamp) VALUES ('table', ?, ?, {_NOW})",
            (name, cursor.lastrowid),
        )
    if provenance:
        cursor = con.execute(
            "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, "
            "metadata) VALUES ('dataset', ?, 'application/json', ?)",
            (PROVENANCE_STANDARD_URI, json.dumps(provenance, indent=2)),
        )
        con.execute(
            "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, "
            f"md_file_id, timestamp) VALUES ('geopackage', NULL, ?, {_NOW})",
            (cursor.lastrowid,),
        )


def _finish_geopackage(
    tmp: Path,
    titles: Mapping[str, tuple[str, str]],
    styles: Mapping[str, str],
    *,
    extra_styles: Mapping[str, Mapping[str, str]] | None = None,
    metadata: Mapping[str, str] | None = None,
    provenance: Mapping | None = None,
) -> None:
    """Titles, abstracts, metadata and the layer_styles table, in one transaction."""
    con = sqlite3.connect(tmp)
    try:
        (application_id,) = con.execute("PRAGMA application_id").fetchone()
        (user_version,) = con.execute("PRAGMA user_version").fetchone()
        if (application_id, user_version) != (GPKG_APPLICATION_ID, GPKG_USER_VERSION):
            raise RuntimeError(
                f"GDAL wrote application_id {application_id:#x} and user_version "
                f"{user_version}, not GeoPackage 1.2 ({GPKG_APPLICATION_ID:#x}, "
                f"{GPKG_USER_VERSION}); the VERSION=1.2 creation option was ignored. "
                "Check the GDAL bundled with pyogrio."
            )
        with con:
            for name, (title, abstract) in titles.items():
                con.execute(
                    "UPDATE gpkg_contents SET identifier = ?, description = ? "
                    "WHERE table_name = ?",
                    (title, abstract, name),
                )
            _write_metadata(con, metadata or {}, provenance)
            if not styles:
                return
            con.execute(LAYER_STYLES_DDL)
            # QGIS creates the table through OGR, which registers it as attributes.
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, "
                f"description, last_change) VALUES (?, 'attributes', ?, '', {_NOW})",
                (STYLE_TABLE, STYLE_TABLE),
            )
            geometry_columns = dict(
                con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")
            )
            rows = [
                (name, name, qml, 1, f"Default style of {name}, written by agglo")
                for name, qml in styles.items()
            ]
            rows += [
                (
                    name,
                    style_name,
                    qml,
                    0,
                    f"Alternative style {style_name!r} of {name}, written by agglo",
                )
                for name, named in (extra_styles or {}).items()
                for style_name, qml in named.items()
            ]
            for name, style_name, qml, default, description in rows:
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, "
                    "f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
                    "useAsDefault, description, owner, ui, update_time) "
                    f"VALUES ('', '', ?, ?, ?, ?, '', ?, ?, '', NULL, {_NOW})",
                    (
                        name,
                        geometry_columns[name],
                        style_name,
                        qml,
                        default,
                        description,
                    ),
                )
    finally:
        con.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_temporary(tmp: Path) -> None:
    for leftover in (
        tmp,
        *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm")),
    ):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def publish_geopackage(
    layers: Mapping[str, gpd.GeoDataFrame],
    path: Path,
    *,
    styles: Mapping[str, str] | None = None,
    descriptions: Mapping[str, tuple[str, str]] | None = None,
    provenance: Mapping | None = None,
) -> Path:
    """Write all layers into one GeoPackage 1.2 with QGIS styles and metadata.

    Parameters
    ----------
    layers : mapping of str to geopandas.GeoDataFrame
        Layer name to data, written in this order. Names must match
        ``^[a-z][a-z0-9_]{0,62}$`` and not be reserved (``layer_styles``, ``gpkg_*``,
        ``rtree_*``, ``sqlite_*``). Every frame needs a CRS. Named index levels are
        written as columns; unnamed ones are dropped. Frames are not modified.
    path : pathlib.Path
        Destination ``.gpkg``; its folder is created if needed. An existing file is
        replaced only once the new one is complete.
    styles : mapping of str to str, optional
        QML document per layer, replacing the default of `outputs.styles.style_for`
        (``lisa``, ``location_quotients``, ``regions``, ``clusters``, ``firms``).
        Layers with neither get no style row.
    descriptions : mapping of str to (str, str), optional
        ``(title, abstract)`` per layer, stored as ``gpkg_contents.identifier`` and
        ``description`` (defaults: the layer name and ``''``). Titles must be unique.
    provenance : mapping, optional
        How the layers were made: ``run_id``, ``study``, ``partition``, ``created``,
        ``inputs`` (name to ``{"path", "sha256", "bytes"}``), ``parameters`` and
        ``versions`` (see `outputs.publication.build_provenance`); JSON values only.
        Written into every layer's QGIS metadata (History, one line per fact; see
        `provenance_history`) and, as JSON, into a GeoPackage-scope
        ``gpkg_metadata`` record (`PROVENANCE_STANDARD_URI`).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        On a bad layer name, a layer without CRS, unknown names in ``styles`` or
        ``descriptions``, duplicate titles, a style that is not a QGIS document, a
        default style whose columns or geometry type the layer lacks, or a path not
        ending in ``.gpkg``.
        Also if ``provenance`` is not JSON-serialisable or its ``run_id`` is not a
        string.
    TypeError
        If a layer is not a GeoDataFrame, a description is not two strings or
        ``provenance`` is not a mapping.

    Notes
    -----
    Atomic: the file is built as ``.<name>.tmp-<pid>-<random>.gpkg`` in the destination
    folder: layers (pyogrio, ``VERSION=1.2``, geometry column ``geom``), then titles
    and the ``layer_styles`` table (QGIS's layout, registered in ``gpkg_contents``
    as ``attributes``; ``f_table_catalog`` and ``f_table_schema`` are ``''``,
    ``useAsDefault`` is 1; further named styles of `outputs.styles.alternative_styles`,
    such as ``hotspots`` on ``lisa``, have ``useAsDefault`` 0) and the metadata
    extension: one QGIS metadata document per layer (``md_standard_uri``
    `QGIS_METADATA_URI`, ``md_scope`` ``dataset``, ``text/xml``, referenced with
    scope ``table``), which QGIS shows under Layer Properties > Metadata. The
    file is fsynced and renamed onto ``path`` with
    ``os.replace``. On any error the temporary file is removed and an existing
    ``path`` is left as it was. ``gpd.list_layers`` on the result also lists the
    ``layer_styles`` table (geometry type ``None``).

    Examples
    --------
    >>> import tempfile
    >>> from shapely.geometry import box
    >>> regions = gpd.GeoDataFrame({"region_id": ["a"], "employment": [10]},
    ...     geometry=[box(0, 0, 1000, 1000)], crs="EPSG:32617")
    >>> out = publish_geopackage({"regions": regions},
    ...     Path(tempfile.mkdtemp()) / "agglomeration.gpkg")
    >>> read_layer_styles(out)[["f_table_name", "f_geometry_column", "useAsDefault"]]
      f_table_name f_geometry_column  useAsDefault
    0      regions              geom             1
    """
    path = _check_path(path)
    frames = _check_layers(layers)
    titles = _check_titles(descriptions, frames)
    qml = _check_styles(styles, frames)
    plain_provenance = _check_provenance(provenance)
    extra = {
        name: named
        for name, gdf in frames.items()
        if name in qml and (named := alternative_styles(name, gdf))
    }
    metadata = _layer_metadata(frames, titles, plain_provenance)

    path.parent.mkdir(parents=True, exist_ok=True)
    # Ends in .gpkg too: GDAL warns about any other extension.
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}.gpkg")
    try:
        with _sqlite_unsynchronised():
            for i, (name, gdf) in enumerate(frames.items()):
                _write_layer(gdf, tmp, name, first=i == 0)
        _finish_geopackage(
            tmp,
            titles,
            qml,
            extra_styles=extra,
            metadata=metadata,
            provenance=plain_provenance,
        )
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        _remove_temporary(tmp)
        raise
    _fsync_directory(path.parent)
    return path


def read_layer_styles(path: Path) -> pd.DataFrame:
    """The ``layer_styles`` table of a GeoPackage, one row per stored QGIS style.

    Parameters
    ----------
    path : pathlib.Path
        A GeoPackage. Opened read-only; never created or modified.

    Returns
    -------
    pandas.DataFrame
        QGIS's columns (``id``, ``f_table_catalog``, ``f_table_schema``,
        ``f_table_name``, ``f_geometry_column``, ``styleName``, ``styleQML``,
        ``styleSLD``, ``useAsDefault``, ``description``, ``owner``, ``ui``,
        ``update_time``) ordered by ``id``; no rows if the file has no such table.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.

    Examples
    --------
    >>> import tempfile
    >>> from shapely.geometry import Point
    >>> roads = gpd.GeoDataFrame({"n": [1]}, geometry=[Point(0, 0)], crs=32617)
    >>> out = publish_geopackage({"roads": roads}, Path(tempfile.mkdtemp()) / "x.gpkg")
    >>> len(read_layer_styles(out))  # unknown layer: no style invented
    0
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"GeoPackage {str(path)!r} does not exist. Check the path, or publish "
            "first."
        )
    uri = path.resolve().as_uri() + "?mode=ro"
    con = sqlite3.connect(uri, uri=True)
    try:
        exists = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            (STYLE_TABLE,),
        ).fetchone()
        if not exists:
            return pd.DataFrame(columns=_LAYER_STYLES_COLUMNS)
        return pd.read_sql_query("SELECT * FROM layer_styles ORDER BY id", con)
    finally:
        con.close()


def read_layer_metadata(path: Path) -> dict[str, str]:
    """The QGIS metadata document of every layer of a GeoPackage.

    Parameters
    ----------
    path : pathlib.Path
        A GeoPackage. Opened read-only; never created or modified.

    Returns
    -------
    dict of str to str
        Layer name to its ``gpkg_metadata`` document with ``md_standard_uri``
        `QGIS_METADATA_URI` (table scope); empty without the metadata extension.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.

    Examples
    --------
    >>> import tempfile
    >>> from shapely.geometry import Point
    >>> roads = gpd.GeoDataFrame({"n": [1]}, geometry=[Point(0, 0)], crs=32617)
    >>> out = publish_geopackage({"roads": roads}, Path(tempfile.mkdtemp()) / "x.gpkg",
    ...     provenance={"run_id": "r1"})
    >>> ET.fromstring(read_layer_metadata(out)["roads"]).findtext("history")
    'run_id: r1'
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"GeoPackage {str(path)!r} does not exist. Check the path, or publish "
            "first."
        )
    con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        if not con.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'gpkg_metadata_reference'"
        ).fetchone():
            return {}
        rows = con.execute(
            "SELECT r.table_name, m.metadata FROM gpkg_metadata_reference r "
            "JOIN gpkg_metadata m ON m.id = r.md_file_id "
            "WHERE r.reference_scope = 'table' AND m.md_standard_uri = ? "
            "ORDER BY m.id",
            (QGIS_METADATA_URI,),
        ).fetchall()
        return dict(rows)
    finally:
        con.close()
