"""Firm registry readers: CSV, Parquet, Excel or GeoPackage to the canonical columns.

One entry point, :func:`read_registry`, for every registry format and preset. Values are
kept as text, as read, in the canonical columns of ``docs/data-contract.md``, plus
``source_row`` (1-based data row, header excluded) and ``read_problem``: empty, or why
the row could not be read (wrong number of fields, a geometry that is not a point, a
snapshot the study does not analyse). Such rows are kept, so the validation step
quarantines them with the reason and every input row is accounted for.

Numbers in ``employees``, ``founded``, ``closed``, ``lat`` and ``lon`` are written with
a decimal point: decimal commas (``"1,5"``), scientific notation (``"1,2E+03"``) and
thousands separators (spaces, or the ``thousands`` mark) are converted.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data_sources.presets import registry_preset, snapshot_problems
from data_sources.study import REGISTRY_COLUMNS, REQUIRED_REGISTRY_COLUMNS, RegistrySpec

NUMERIC_COLUMNS = ("employees", "founded", "closed", "lat", "lon")
FORMATS = ("csv", "parquet", "excel", "gpkg")
_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".gpkg": "gpkg",
}


@dataclass(frozen=True)
class RegistrySource:
    """Where a registry is and how to read it (the ``registry`` part of a study)."""

    path: str
    adapter: str = "generic"
    """``generic`` (``generic_csv``) or a preset of ``data_sources.presets``."""
    format: str | None = None
    """``csv``, ``parquet``, ``excel`` or ``gpkg``; default: from the file suffix."""
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    sheet: str | int | None = None
    """Excel sheet name or 0-based position; default: the first."""
    layer: str | None = None
    """GeoPackage layer; default: the only (or first) one."""
    crs: str | None = None
    """GeoPackage CRS when the file declares none."""
    columns: Mapping[str, str] = field(default_factory=dict)
    """Canonical column -> column in the file; unnamed ones map to themselves."""
    snapshot_year: int | None = None
    """Register snapshots (``rsmp``): rows of other years are quarantined."""


def registry_source(
    spec: RegistrySpec | RegistrySource | Mapping[str, Any],
) -> RegistrySource:
    """Resolve a study's registry part to a complete :class:`RegistrySource`.

    Parameters
    ----------
    spec : RegistrySpec, RegistrySource or mapping
        The ``registry`` part of a study. Options it leaves unset take the preset's
        values (for a preset adapter), else UTF-8, ``","`` and ``"."``.

    Returns
    -------
    RegistrySource
        Every parsing option set.

    Raises
    ------
    ValueError
        If the adapter or the format is unknown, or an encoding is not one Python
        knows.

    Examples
    --------
    >>> src = registry_source({"adapter": "companydata", "path": "x.csv"})
    >>> src.delimiter, src.decimal, src.encoding
    (';', ',', 'utf-8-sig')
    """
    if isinstance(spec, RegistrySource):
        given = {f.name: getattr(spec, f.name) for f in fields(RegistrySource)}
    elif isinstance(spec, Mapping):
        given = dict(spec)
    else:
        given = {
            f.name: getattr(spec, f.name)
            for f in fields(RegistrySource)
            if hasattr(spec, f.name)
        }
    unknown = sorted(set(given) - {f.name for f in fields(RegistrySource)})
    if unknown:
        raise ValueError(
            f"unknown registry option(s) {unknown}; use "
            f"{[f.name for f in fields(RegistrySource)]}"
        )
    if given.get("adapter") == "generic_csv":
        given["adapter"] = "generic"  # the first release's name
    source = RegistrySource(**given)
    preset = registry_preset(source.adapter)
    fmt = (
        source.format or (preset.format if preset else None) or _format_of(source.path)
    )
    if fmt not in FORMATS:
        raise ValueError(
            f"registry.format {fmt!r} is not supported; use one of {list(FORMATS)}"
        )
    encoding = source.encoding or (preset.encoding if preset else "utf-8")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(
            f"unknown text encoding {encoding!r}; use e.g. 'utf-8', 'utf-8-sig' or "
            "'cp1251'"
        ) from None
    return replace(
        source,
        format=fmt,
        encoding=encoding,
        delimiter=source.delimiter or (preset.delimiter if preset else ","),
        decimal=source.decimal or (preset.decimal if preset else "."),
        columns=dict(source.columns),
    )


def _format_of(path: str) -> str:
    name = Path(path).name.lower()
    for compressed in (".gz", ".bz2", ".xz", ".zip"):
        name = name.removesuffix(compressed)
    return _SUFFIX_FORMATS.get(Path(name).suffix, "csv")


def _decode(path: Path, encoding: str) -> str:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if encoding.replace("_", "-").lower() in ("utf-8", "utf8") and data[:3] == (
        codecs.BOM_UTF8
    ):
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: cannot be read as {encoding!r} ({exc.reason} at byte "
            f"{exc.start}); set registry.encoding (e.g. 'cp1251' or 'utf-8-sig')"
        ) from None


def _clean_headers(names: list[object]) -> list[str]:
    out: list[str] = []
    for number, name in enumerate(names, start=1):
        text = str(name).replace("\ufeff", "").strip()
        if not text or text.startswith("Unnamed:"):
            text = f"column_{number}"
        while text in out:
            text = f"{text}.1"
        out.append(text)
    return out


def _read_csv(src: RegistrySource) -> tuple[pd.DataFrame, pd.Series]:
    path = Path(src.path)
    text = _decode(path, src.encoding or "utf-8")
    if len(src.delimiter or ",") != 1:
        raise ValueError(
            f"registry.delimiter must be one character; got {src.delimiter!r}"
        )
    try:
        records = [
            r for r in csv.reader(io.StringIO(text), delimiter=src.delimiter) if r
        ]
    except csv.Error as exc:
        raise ValueError(
            f"{path}: not a well-formed {src.delimiter!r}-delimited file ({exc}); "
            "check registry.delimiter and quoting"
        ) from None
    if not any(field.strip() for record in records for field in record):
        # no text at all (nothing, or blank lines only)
        raise ValueError(f"{path}: the file is empty; expected a header and rows")
    header = _clean_headers(records[0])
    width = len(header)
    rows, problems = [], []
    for record in records[1:]:
        problems.append(
            ""
            if len(record) == width
            else f"row: {len(record)} fields where the header has {width}; check "
            "registry.delimiter and quoting on this line"
        )
        rows.append((record + [""] * width)[:width])
    if len(header) == 1 and src.delimiter not in records[0][0] and rows:
        sample = records[0][0][:60]
        raise ValueError(
            f"{path}: the header has a single column ({sample!r}); the file is "
            f"probably not {src.delimiter!r}-delimited. Set registry.delimiter "
            "(e.g. ';' or '\\t')"
        )
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    return frame, pd.Series(problems, dtype=object)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_float_dtype(values):
            whole = values.notna() & (values == values.round())
            text = values.astype(object).map(repr, na_action="ignore")
            text = text.where(
                ~whole,
                values.astype(object).map(lambda v: str(int(v)), na_action="ignore"),
            )
        else:
            text = values.astype(object).map(str, na_action="ignore")
        out[column] = text.where(values.notna(), "").astype(object)
    return out


def _read_parquet(src: RegistrySource) -> tuple[pd.DataFrame, pd.Series]:
    frame = pd.read_parquet(src.path)
    frame.columns = _clean_headers(list(frame.columns))
    return _as_text(frame).reset_index(drop=True), pd.Series(
        [""] * len(frame), dtype=object
    )


def _read_excel(src: RegistrySource) -> tuple[pd.DataFrame, pd.Series]:
    try:
        frame = pd.read_excel(
            src.path,
            sheet_name=src.sheet if src.sheet is not None else 0,
            dtype=object,
            engine="openpyxl",
        )
    except ValueError as exc:
        raise ValueError(
            f"{src.path}: cannot read sheet {src.sheet!r} ({exc}); set "
            "registry.sheet to a sheet name or 0-based position"
        ) from None
    frame.columns = _clean_headers(list(frame.columns))
    frame = frame.dropna(how="all").reset_index(drop=True)
    text = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        text[column] = values.map(
            lambda v: (
                ""
                if v is None or (isinstance(v, float) and pd.isna(v))
                else str(int(v))
                if isinstance(v, float) and v.is_integer()
                else str(v)
            )
        ).astype(object)
    return text, pd.Series([""] * len(text), dtype=object)


def _read_gpkg(src: RegistrySource) -> tuple[pd.DataFrame, pd.Series]:
    import geopandas as gpd
    import pyogrio

    path = Path(src.path)
    layer = src.layer
    if layer is None:
        layers = pyogrio.list_layers(path)
        if len(layers) == 0:
            raise ValueError(f"{path}: the GeoPackage has no layer")
        layer = layers[0][0]
    try:
        points = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise ValueError(
            f"{path}: cannot read layer {layer!r} ({exc}); set registry.layer to "
            f"one of {[name for name, _ in pyogrio.list_layers(path)]}"
        ) from None
    if points.crs is None:
        if src.crs is None:
            raise ValueError(
                f"{path}: layer {layer!r} declares no CRS; set registry.crs to the "
                "CRS its coordinates are in (e.g. 'EPSG:4326')"
            )
        points = points.set_crs(src.crs)
    geometry = points.geometry
    empty = geometry.isna() | geometry.is_empty
    kinds = geometry.geom_type.where(~empty, "")
    single = kinds.eq("MultiPoint") & (geometry.count_geometries() == 1)
    is_point = kinds.eq("Point") | single
    problems = pd.Series("", index=points.index, dtype=object)
    not_point = ~empty & ~is_point
    problems[not_point] = (
        "geometry: a "
        + kinds[not_point].astype(str)
        + ", not a point; give firm locations as points (e.g. "
        "representative_point()) or leave the geometry empty"
    )
    wgs84 = gpd.GeoSeries(geometry.where(is_point, None), crs=points.crs).to_crs(
        "EPSG:4326"
    )
    located = wgs84.notna() & ~wgs84.is_empty
    centre = wgs84[located].representative_point()
    table = _as_text(pd.DataFrame(points.drop(columns=points.geometry.name)))
    table.columns = _clean_headers(list(table.columns))
    table["lat"] = ""
    table["lon"] = ""
    table.loc[located, "lat"] = centre.y.map(repr)
    table.loc[located, "lon"] = centre.x.map(repr)
    return table.reset_index(drop=True), problems.reset_index(drop=True)


def normalise_numbers(
    values: pd.Series, *, decimal: str = ".", thousands: str | None = None
) -> pd.Series:
    """Write numbers with a decimal point, as text; other text is left as it is.

    Parameters
    ----------
    values : pandas.Series
        Text. Not modified.
    decimal : str
        The file's decimal mark (``"."`` or ``","``).
    thousands : str, optional
        The file's thousands separator; spaces (also non-breaking) are always
        removed from numbers.

    Returns
    -------
    pandas.Series
        Text aligned with ``values``.

    Examples
    --------
    >>> normalise_numbers(pd.Series(["1,5", "1,2E+03", "12 500", "n/a"]),
    ...                   decimal=",").tolist()
    ['1.5', '1.2E+03', '12500', 'n/a']
    """
    text = values.astype("string").str.strip()
    compact = text.str.replace(r"[\s\u00a0\u202f]", "", regex=True)
    if thousands:
        compact = compact.str.replace(thousands, "", regex=False)
    if decimal != ".":
        compact = compact.str.replace(decimal, ".", regex=False)
    number = compact.str.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?").fillna(
        False
    )
    return compact.where(number, text).astype(object).fillna("")


READERS = {
    "csv": _read_csv,
    "parquet": _read_parquet,
    "excel": _read_excel,
    "gpkg": _read_gpkg,
}


def _column_mapping(
    columns: Sequence[str], src: RegistrySource
) -> tuple[dict[str, str], Any]:
    """Canonical column -> file column, as :func:`read_registry` chooses it."""
    preset = registry_preset(src.adapter)
    alternatives: dict[str, tuple[str, ...]] = {c: (c,) for c in REGISTRY_COLUMNS}
    if preset is not None:
        alternatives.update(preset.columns)
    alternatives.update({k: (v,) for k, v in src.columns.items()})
    mapping = {
        canon: next((s for s in options if s in columns), options[0])
        for canon, options in alternatives.items()
    }
    return mapping, preset


def _distinct_map(values: pd.Series, func: Callable[[pd.Series], pd.Series]) -> Any:
    """``func`` (elementwise, Series -> Series) once per distinct value (missing
    values once), spread back; returns an object array aligned with ``values``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(np.append(np.asarray(uniques, dtype=object), None))
    if len(uniques) and not pd.api.types.is_object_dtype(values.dtype):
        distinct = pd.Series(
            pd.concat(
                [pd.Series(uniques), pd.Series([None], dtype=values.dtype)],
                ignore_index=True,
            )
        )
    done = func(distinct).to_numpy(dtype=object)
    return done[np.where(codes < 0, len(distinct) - 1, codes)]


def canonical_frame(
    raw: pd.DataFrame,
    problems: pd.Series,
    src: RegistrySource,
    *,
    start: int = 0,
    path: str | None = None,
) -> pd.DataFrame:
    """The canonical registry columns of rows read from a file, as ``read_registry``.

    ``raw`` holds the file's columns as text (cleaned headers) for rows ``start+1``
    onwards; ``problems`` why a row could not be read (or ``""``). This is the part
    of :func:`data_sources.registry.read_registry` after the format reader, applied
    to a chunk: column mapping, preset columns, numbers, snapshot and
    ``source_row``; every step is row by row, so chunks concatenate to the whole.
    """
    mapping, preset = _column_mapping(list(raw.columns), src)
    derived = preset.derive(raw) if preset is not None and preset.derive else {}
    required = [
        c
        for c in REQUIRED_REGISTRY_COLUMNS
        if c != "employees" or preset is None or preset.employees_required
    ]
    missing = [
        c for c in required if mapping[c] not in raw.columns and c not in derived
    ]
    if missing:
        raise ValueError(
            f"{path or src.path}: required column(s) {[mapping[c] for c in missing]} "
            f"not found (canonical {missing}); the file has {list(raw.columns)[:15]}. "
            "Map them under registry.columns in the study file, or check "
            "registry.delimiter"
        )
    out = pd.DataFrame(index=raw.index)
    for canon in REGISTRY_COLUMNS:
        source = mapping[canon]
        if canon in src.columns and source in raw.columns:
            out[canon] = raw[source]
        elif canon in derived:
            out[canon] = derived[canon]
        elif source in raw.columns:
            out[canon] = raw[source]
        else:
            out[canon] = ""
    if preset is not None:
        for name, source in preset.extra.items():
            out[name] = raw[source] if source in raw.columns else ""
        for name, values in derived.items():
            if name not in REGISTRY_COLUMNS:
                out[name] = values
    for column in NUMERIC_COLUMNS:
        # elementwise, so once per distinct value (head counts and years repeat)
        out[column] = _distinct_map(
            out[column],
            lambda v: normalise_numbers(
                v, decimal=src.decimal or ".", thousands=src.thousands
            ),
        )
    problem = problems.reset_index(drop=True)
    problem.index = out.index
    if src.snapshot_year is not None:
        if "register_date" not in out:
            raise ValueError(
                "registry.snapshot_year needs a register_date column (adapter "
                f"'rsmp'); adapter {src.adapter!r} has none"
            )
        snap = snapshot_problems(out["register_date"], year=src.snapshot_year)
        problem = problem.where(problem != "", snap)
    out["source_row"] = np.arange(start + 1, start + len(out) + 1, dtype=np.int64)
    out["read_problem"] = problem.fillna("").astype(object)
    return out.reset_index(drop=True)


def read_registry(
    spec: RegistrySpec | RegistrySource | Mapping[str, Any],
) -> pd.DataFrame:
    """Read a firm registry in any supported format as text in the canonical columns.

    Parameters
    ----------
    spec : RegistrySpec, RegistrySource or mapping
        Path, adapter (``generic`` or a preset: ``companydata``, ``rsmp``), format,
        encoding, delimiter, decimal mark, sheet, layer, CRS and column mapping.

    Returns
    -------
    pandas.DataFrame
        The canonical columns (text; optional ones missing from the file are empty),
        the preset's extra columns, ``source_row`` and ``read_problem`` (empty, or
        why the row could not be read). ``attrs["scheme"]`` is the preset's
        classification, ``attrs["employees_required"]`` whether head counts exist.

    Raises
    ------
    ValueError
        If the file is missing, cannot be decoded or parsed, lacks a required
        column, or an option is unknown.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "firms.csv")
    >>> _ = open(path, "w", encoding="cp1251").write(
    ...     "ИНН;Штат;ОКВЭД\\n7701;1,2E+01;47.11\\n7702;3;47.19;лишнее\\n")
    >>> firms = read_registry({"path": path, "encoding": "cp1251", "delimiter": ";",
    ...     "decimal": ",", "columns": {"firm_id": "ИНН", "employees": "Штат",
    ...     "industry_code": "ОКВЭД"}})
    >>> firms[["firm_id", "employees"]].values.tolist()
    [['7701', '1.2E+01'], ['7702', '3']]
    >>> firms["read_problem"].str.slice(0, 13).tolist()
    ['', 'row: 4 fields']
    """
    src = registry_source(spec)
    path = Path(src.path)
    if not path.is_file():
        raise ValueError(f"registry.path: file not found: {path}")
    preset = registry_preset(src.adapter)
    raw, problems = READERS[src.format](src)
    out = canonical_frame(raw, problems, src, path=str(path))
    out.attrs["scheme"] = preset.scheme if preset else None
    out.attrs["employees_required"] = preset.employees_required if preset else True
    out.attrs["unreadable_rows"] = int((out["read_problem"] != "").sum())
    return out


def read_registry_csv(
    spec: RegistrySpec | RegistrySource | Mapping[str, Any],
) -> pd.DataFrame:
    """Read a delimited registry file as text, renamed to the canonical columns.

    Kept for callers of the first release; :func:`read_registry` reads every format.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "firms.csv")
    >>> _ = open(path, "w").write("firm_id,industry_code,employees\\na,314110,12\\n")
    >>> read_registry_csv({"path": path})["employees"].tolist()
    ['12']
    """
    src = registry_source(spec)
    return read_registry(replace(src, format="csv"))
