"""The firm-level chain on one chunk of a registry: validate, locate, assign, count.

Each function here gives, on a chunk of rows, exactly what the per-row function it
names gives on those rows within the whole registry, so a registry too large for
memory can be processed chunk by chunk (one process, or Dask partitions) and the
results concatenated:

- :func:`validate_registry_fast` is :func:`geo.registry.validate_registry` (same
  rows, values, reasons and order), but computes its checks once per distinct value
  and writes reasons only for the rows that fail; duplicate ids across chunks come
  from a global pass (:func:`earlier_duplicates`).
- :func:`locate_firms` is what the pipeline's ``firm_locations`` asset does, and
  :func:`locate_firms_in_regions` its ``firms_in_regions``; both geocode once per
  distinct combination of the columns geocoding reads.
- :func:`assign_to_regions_by_point` is :func:`geo.regions.assign_to_regions`,
  computed once per distinct point.
- :func:`employment_cells` and :func:`region_industry_table` split the pipeline's
  ``employment_by_region_industry`` asset into per-chunk sums and one final table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo.classification import aggregate_codes, code_problems
from geo.geocode import DEFAULT_TIERS, geocode_firms
from geo.regions import assign_to_regions
from geo.registry import (
    EARLIEST_FOUNDING_YEAR,
    MAX_PLAUSIBLE_EMPLOYEES,
    _whole_numbers,
    active_in_year,
    validate_registry,
)

__all__ = [
    "assign_to_regions_by_point",
    "earlier_duplicates",
    "employment_cells",
    "locate_firms",
    "locate_firms_in_regions",
    "reason_field_counts",
    "region_industry_table",
    "validate_registry_fast",
]

_POSITION = "__firm_chain_position"  # marks rows of a validation subset


def earlier_duplicates(codes: np.ndarray, source_rows: np.ndarray) -> np.ndarray:
    """Source row of the first earlier row with the same id, per row (0 if none).

    Parameters
    ----------
    codes : numpy.ndarray
        Integer id codes in registry order (equal ids, equal codes); negative codes
        mark missing ids, which duplicate nothing.
    source_rows : numpy.ndarray
        The rows' ``source_row`` (1-based), same length.

    Returns
    -------
    numpy.ndarray
        int64, aligned with ``codes``: for the second and later rows of an id, the
        ``source_row`` of its first row; 0 for first rows and missing ids. This is
        the rule of :func:`geo.registry.validate_registry` ("of rows that share a
        firm_id, the first is judged on its own merits and the later ones are
        rejected").

    Notes
    -----
    When the codes number the ids in order of first appearance (as
    ``pyarrow.compute.dictionary_encode`` and ``pandas.factorize`` do), one pass
    with a running maximum finds the first rows; otherwise a stable sort does.
    Both avoid ``numpy.unique``, which is slow on millions of int64 values
    (PERFORMANCE-NOTES).

    Examples
    --------
    >>> earlier_duplicates(np.array([0, 1, 0, -1, -1, 1, 0]),
    ...                    np.array([1, 2, 3, 4, 5, 6, 7])).tolist()
    [0, 0, 1, 0, 0, 2, 1]
    """
    codes = np.asarray(codes)
    rows = np.asarray(source_rows, dtype=np.int64)
    if codes.shape != rows.shape:
        raise ValueError(
            f"codes has {len(codes)} rows but source_rows {len(rows)}; pass one "
            "source row per id code"
        )
    out = np.zeros(len(codes), dtype=np.int64)
    present = np.flatnonzero(codes >= 0)
    if len(present) == 0:
        return out
    c = codes[present].astype(np.int64)
    running = np.maximum.accumulate(c)
    is_new = np.empty(len(c), dtype=bool)
    is_new[0] = True
    is_new[1:] = c[1:] > running[:-1]
    if np.array_equal(running[is_new], np.arange(int(is_new.sum()))):
        # codes in order of first appearance: first rows are the new maxima
        first = np.empty(int(is_new.sum()), dtype=np.int64)
        first[c[is_new]] = rows[present[is_new]]
        later = ~is_new
        out[present[later]] = first[c[later]]
        return out
    order = np.argsort(c, kind="stable")
    sorted_codes = c[order]
    start = np.empty(len(c), dtype=bool)
    start[0] = True
    start[1:] = sorted_codes[1:] != sorted_codes[:-1]
    group_start = np.maximum.accumulate(np.where(start, np.arange(len(c)), 0))
    first_row = rows[present[order[group_start]]]
    later = ~start
    out[present[order[later]]] = first_row[later]
    return out


def _per_distinct(
    values: pd.Series, func: Callable[[pd.Series], pd.DataFrame]
) -> pd.DataFrame:
    """``func`` (elementwise, Series -> DataFrame aligned with it) computed once per
    distinct value of ``values`` (missing values once), spread back to its rows."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(
        np.append(np.asarray(uniques, dtype=object), None), dtype=object
    )
    done = func(distinct).reset_index(drop=True)
    picked = done.take(np.where(codes < 0, len(distinct) - 1, codes))
    return picked.set_axis(values.index)


def _problem_checks(values: pd.Series) -> pd.DataFrame:
    problem = values.astype("string").fillna("") != ""
    return pd.DataFrame({"problem": problem.astype(bool)})


def validate_registry_fast(
    raw: pd.DataFrame,
    *,
    valid_codes: Collection[str],
    level: int | str,
    scheme: str = "naics",
    year: int,
    max_employees: int = MAX_PLAUSIBLE_EMPLOYEES,
    employees_required: bool = True,
    earlier_rows: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`geo.registry.validate_registry`, fast on large frames and by chunks.

    Parameters
    ----------
    raw : pandas.DataFrame
        Registry rows as read (text), as for ``validate_registry``. Not modified.
    valid_codes, level, scheme, year, max_employees, employees_required
        As for ``validate_registry``.
    earlier_rows : numpy.ndarray, optional
        When ``raw`` is a chunk of a larger registry: per row, the ``source_row``
        of the first row of the whole registry with the same (stripped) id, 0 when
        the row is that first row (see :func:`earlier_duplicates`). Default: ids
        are compared within ``raw``, as ``validate_registry`` does.

    Returns
    -------
    validated, rejected : pandas.DataFrame
        What ``validate_registry`` returns for these rows (with ``earlier_rows``:
        for these rows within the whole registry): same rows, order, columns,
        values and reasons.

    Notes
    -----
    ``validate_registry`` builds every message for every row and joins them row by
    row (about 45 us a row). Here each check runs once per distinct value (head
    counts, years and codes repeat) and is spread back by an integer gather; the
    rows that fail any check, usually a few per cent, then go through
    ``validate_registry`` itself, so their reasons are its own text. A later
    duplicate whose first row is not among them gets that first row's id and
    ``source_row`` as a context row in front, which is dropped afterwards.

    Examples
    --------
    >>> raw = pd.DataFrame({"firm_id": ["a", "b", "b"], "source_row": [1, 2, 3],
    ...     "industry_code": ["314110", "999999", "314110"],
    ...     "employees": ["12", "-3", "4"], "founded": ["1990", "", ""],
    ...     "closed": ["", "", ""], "lat": ["", "", ""], "lon": ["", "", ""]})
    >>> ok, bad = validate_registry_fast(raw, valid_codes={"314110", "3141"},
    ...                                  level=4, year=2024)
    >>> ok["industry"].tolist(), bad["firm_id"].tolist()
    (['3141'], ['b', 'b'])

    The third row as the only row of a second chunk, its id first seen at row 2:

    >>> ok, bad = validate_registry_fast(raw.iloc[2:], valid_codes={"314110"},
    ...     level=4, year=2024, earlier_rows=np.array([2]))
    >>> print(bad["reason"].iloc[0])
    firm_id: 'b' duplicates source row 2; registry ids must be unique
    """
    options = {
        "valid_codes": valid_codes,
        "level": level,
        "scheme": scheme,
        "year": year,
        "max_employees": max_employees,
        "employees_required": employees_required,
    }
    missing = [c for c in ("firm_id", "industry_code", "employees") if c not in raw]
    if missing or len(raw) == 0:
        return validate_registry(raw, **options)  # its error, or its empty result
    if earlier_rows is not None and len(earlier_rows) != len(raw):
        raise ValueError(
            f"earlier_rows has {len(earlier_rows)} values for {len(raw)} rows; pass "
            "one per row (0 where the id was not seen before)"
        )
    frame = raw.copy()
    for optional in ("founded", "closed", "lat", "lon"):
        if optional not in frame:
            frame[optional] = pd.NA
    if "source_row" not in frame:
        frame["source_row"] = np.arange(1, len(frame) + 1)

    ids = frame["firm_id"].astype("string").str.strip()
    if earlier_rows is None:
        id_codes, _ = pd.factorize(ids, use_na_sentinel=True)
        earlier = earlier_duplicates(id_codes, frame["source_row"].to_numpy())
    else:
        earlier = np.asarray(earlier_rows, dtype=np.int64)
    empty_id = (ids.isna() | (ids == "")).fillna(True).to_numpy(dtype=bool)
    flags = [empty_id, earlier > 0]
    if "read_problem" in frame:
        problem = _per_distinct(frame["read_problem"], _problem_checks)["problem"]
        flags.append(problem.to_numpy(dtype=bool))

    def code_checks(values: pd.Series) -> pd.DataFrame:
        codes = values.astype("string").str.strip().replace("", pd.NA)
        problems = code_problems(codes, valid_codes, scheme=scheme)
        industry = pd.Series(
            aggregate_codes(codes, level=level, scheme=scheme), index=codes.index
        )
        return pd.DataFrame(
            {"codes": codes, "unknown": problems != "", "industry": industry}
        )

    code = _per_distinct(frame["industry_code"], code_checks)
    codes, unknown = code["codes"], code["unknown"].astype(bool)
    flags += [
        codes.isna().to_numpy(),
        unknown.to_numpy(),
        (codes.notna() & ~unknown & code["industry"].isna()).to_numpy(),
    ]

    def numbers(values: pd.Series) -> pd.DataFrame:
        parsed, bad = _whole_numbers(values)
        return pd.DataFrame({"number": parsed, "bad": bad})

    emp = _per_distinct(frame["employees"], numbers)
    employees, bad_emp = emp["number"], emp["bad"].astype(bool)
    if employees_required:
        flags.append((employees.isna() & ~bad_emp).to_numpy())
    flags += [
        bad_emp.to_numpy(),
        employees.lt(0).fillna(False).to_numpy(dtype=bool),
        employees.gt(max_employees).fillna(False).to_numpy(dtype=bool),
    ]
    years = {}
    for name, last in (("founded", year), ("closed", 2200)):
        parsed = _per_distinct(frame[name], numbers)
        values, bad = parsed["number"], parsed["bad"].astype(bool)
        out_of_range = values.notna() & (
            values.lt(EARLIEST_FOUNDING_YEAR) | values.gt(last)
        )
        flags.append((bad | out_of_range.fillna(False)).to_numpy(dtype=bool))
        years[name] = values
    founded, closed = years["founded"], years["closed"]
    flags.append((closed < founded).fillna(False).to_numpy(dtype=bool))

    def coordinate(values: pd.Series) -> pd.DataFrame:
        text = values.astype("string").str.strip().replace("", pd.NA)
        number = pd.to_numeric(text, errors="coerce")
        value = pd.to_numeric(values.astype("string").str.strip(), errors="coerce")
        return pd.DataFrame(
            {
                "bad": (text.notna() & number.isna()).fillna(False).astype(bool),
                "value": value.astype(float),
            }
        )

    coords = {}
    for name in ("lat", "lon"):
        checked = _per_distinct(frame[name], coordinate)
        flags.append(checked["bad"].to_numpy(dtype=bool))
        coords[name] = checked["value"]

    failed = np.logical_or.reduce(flags)
    keep = pd.Series(~failed, index=frame.index)
    validated = frame.loc[keep].drop(columns="read_problem", errors="ignore")
    validated["firm_id"] = ids[keep].astype(str)
    validated["industry_code"] = codes[keep].astype(str)
    validated["industry"] = code["industry"][keep].astype(str)
    validated["employees"] = employees[keep].astype("Int64")
    validated["founded"] = founded[keep].astype("Int64")
    validated["closed"] = closed[keep].astype("Int64")
    for name in ("lat", "lon"):
        validated[name] = coords[name][keep].astype(float)

    positions = np.flatnonzero(failed)
    if len(positions) == 0:
        columns = [*raw.columns, *(["source_row"] if "source_row" not in raw else [])]
        empty = frame.iloc[:0][columns].assign(reason=pd.Series([], dtype="str"))
        return validated.reset_index(drop=True), empty
    # the failing rows through validate_registry itself, with context rows for
    # duplicates whose first row is not among them (dropped afterwards)
    subset = frame.iloc[positions].assign(**{_POSITION: positions})
    sub_rows = set(subset["source_row"].tolist())
    dup_pos = positions[earlier[positions] > 0]
    need = pd.Series(earlier[dup_pos], index=dup_pos)
    need = need[~need.isin(sub_rows)].drop_duplicates()
    context = frame.iloc[need.index.to_numpy()].assign(
        source_row=need.to_numpy().astype(frame["source_row"].dtype),
        **{_POSITION: -1},
    )
    judged = pd.concat([context, subset]) if len(context) else subset
    v_sub, r_sub = validate_registry(judged, **options)
    r_sub = r_sub[r_sub[_POSITION] >= 0]
    added = [c for c in frame.columns if c not in raw.columns and c != "source_row"]
    rejected = r_sub.drop(columns=[_POSITION, *added]).reset_index(drop=True)
    v_sub = v_sub[v_sub[_POSITION] >= 0]
    if len(v_sub):  # rows a check here flagged but validate_registry accepts
        validated = validated.assign(**{_POSITION: np.flatnonzero(~failed)})
        validated = pd.concat([validated, v_sub]).sort_values(_POSITION)
        validated = validated.drop(columns=_POSITION)
    return validated.reset_index(drop=True), rejected


def locate_firms(
    validated: pd.DataFrame,
    *,
    crs: str,
    postcodes: pd.DataFrame | None = None,
    settlements: pd.DataFrame | None = None,
    tiers: Sequence[str] = DEFAULT_TIERS,
    fuzzy_min_score: float = 90.0,
    postcode_country: str = "US",
    region: str = "state",
    state_aliases: Mapping[str, str] | None = None,
    region_centroids: pd.DataFrame | None = None,
    region_centroid_score: float = 0.1,
    online: Callable[[Sequence[str]], pd.DataFrame] | None = None,
) -> gpd.GeoDataFrame:
    """Every validated firm with its point in ``crs``, match level, score, reason.

    Parameters
    ----------
    validated : pandas.DataFrame
        Validated firms (``validate_registry``), with ``lat``/``lon``. Not modified.
    crs : str
        The analysis CRS the points are reprojected into.
    postcodes, settlements, tiers, fuzzy_min_score, postcode_country, region, \
state_aliases, region_centroids, region_centroid_score, online
        As for :func:`geo.geocode.geocode_firms`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``validated`` without ``lat``/``lon``, plus ``lon``, ``lat`` (WGS84),
        ``match_level``, ``match_score``, ``match_reason`` and the point (empty when
        unmatched) in ``crs``: what the pipeline's ``firm_locations`` asset holds.

    Examples
    --------
    >>> pc = pd.DataFrame({"postcode": ["30720"], "lat": [34.77], "lon": [-84.97]})
    >>> firms = pd.DataFrame({"firm_id": ["a", "b"], "postcode": ["30720", ""],
    ...                       "lat": [float("nan")] * 2, "lon": [float("nan")] * 2})
    >>> out = locate_firms(firms, crs="EPSG:32616", postcodes=pc, tiers=["postcode"])
    >>> out["match_level"].tolist(), round(out.geometry.x.iloc[0])
    (['postcode', 'unmatched'], 685771)
    """
    options = {
        "postcodes": postcodes,
        "settlements": settlements,
        "tiers": tiers,
        "fuzzy_min_score": fuzzy_min_score,
        "postcode_country": postcode_country,
        "region": region,
        "state_aliases": state_aliases,
        "region_centroids": region_centroids,
        "region_centroid_score": region_centroid_score,
        "online": online,
    }
    return _locate(validated, crs, options)


def locate_firms_in_regions(
    validated: pd.DataFrame,
    regions: gpd.GeoDataFrame,
    *,
    crs: str,
    id_column: str = "region_id",
    **geocode_options: object,
) -> gpd.GeoDataFrame:
    """:func:`locate_firms`, then the region of each point, for many firms at once.

    Parameters
    ----------
    validated : pandas.DataFrame
        Validated firms. Not modified.
    regions : geopandas.GeoDataFrame
        Polygons with ``id_column``, in ``crs``.
    crs : str
        The analysis CRS.
    **geocode_options
        The other keyword arguments of :func:`locate_firms`.

    Returns
    -------
    geopandas.GeoDataFrame
        Exactly ``assign_to_regions(locate_firms(validated, ...), regions)``: the
        pipeline's ``firms_in_regions``. Geocoding, points and the point in polygon
        test run once per distinct combination of the columns geocoding reads.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> pc = pd.DataFrame({"postcode": ["30720"], "lat": [34.77], "lon": [-84.97]})
    >>> firms = pd.DataFrame({"firm_id": ["a", "b", "c"],
    ...     "postcode": ["30720", "", "30720-0001"], "lat": [float("nan")] * 3,
    ...     "lon": [float("nan")] * 3})
    >>> county = gpd.GeoDataFrame({"region_id": ["13313"]},
    ...     geometry=[box(680000, 3840000, 690000, 3860000)], crs="EPSG:32616")
    >>> locate_firms_in_regions(firms, county, crs="EPSG:32616", postcodes=pc,
    ...                         tiers=["postcode"])["region_id"].tolist()
    ['13313', None, '13313']
    """
    unknown = sorted(set(geocode_options) - _GEOCODE_OPTIONS)
    if unknown:
        raise TypeError(
            f"unknown geocoding option(s) {unknown}; use {sorted(_GEOCODE_OPTIONS)}"
        )
    options = {**_GEOCODE_DEFAULTS, **geocode_options}
    return _locate(validated, crs, options, regions=regions, id_column=id_column)


def _locate(
    validated: pd.DataFrame,
    crs: str,
    options: Mapping[str, object],
    *,
    regions: gpd.GeoDataFrame | None = None,
    id_column: str = "region_id",
) -> gpd.GeoDataFrame:
    # geocode_firms is row by row: what it gives a firm depends only on the columns
    # it reads. Firms share them (a ZIP, a town), so it runs once per distinct
    # combination and the answers are spread back by position.
    queries, codes = _distinct_queries(validated, options)
    found = geocode_firms(queries, **options)
    # points (and their regions) once per distinct query too: creating, projecting
    # and testing a shapely point costs microseconds, and most firms share one
    points = gpd.GeoSeries(_projected_points(found["lon"], found["lat"], crs))
    located = pd.DataFrame(
        {
            "firm_id": validated["firm_id"].to_numpy(),
            **{c: found[c].to_numpy()[codes] for c in _LOCATED},
        },
        index=validated.index,
    )
    firms = validated.drop(columns=["lat", "lon"]).join(located[list(_LOCATED)])
    out = gpd.GeoDataFrame(firms, geometry=points.values.take(codes), crs=crs)
    if regions is None:
        return out
    where = assign_to_regions(
        gpd.GeoDataFrame(geometry=points), regions, id_column=id_column
    )[id_column]
    ids = pd.Series(where.to_numpy(dtype=object)[codes], index=out.index, dtype=object)
    out[id_column] = ids.where(ids.notna(), None)
    return out


def _projected_points(
    lon: pd.Series, lat: pd.Series, crs: str
) -> gpd.array.GeometryArray:
    """``points_from_xy(lon, lat, crs=4326).to_crs(crs)``, projecting the numbers
    first and making each point once (the same transformer geopandas builds, so
    the same coordinates; half the shapely work)."""
    target = CRS.from_user_input(crs)
    x = lon.to_numpy(dtype=float)
    y = lat.to_numpy(dtype=float)
    if not _WGS84.is_exact_same(target):
        x, y = _transformer(target.to_wkt()).transform(x, y)
    return gpd.array.GeometryArray(shapely.points(x, y), crs=target)


_WGS84 = CRS.from_user_input("EPSG:4326")


@lru_cache(maxsize=8)
def _transformer(target_wkt: str) -> Transformer:
    return Transformer.from_crs(_WGS84, CRS.from_wkt(target_wkt), always_xy=True)


_GEOCODE_DEFAULTS: dict[str, object] = {
    "postcodes": None,
    "settlements": None,
    "tiers": DEFAULT_TIERS,
    "fuzzy_min_score": 90.0,
    "postcode_country": "US",
    "region": "state",
    "state_aliases": None,
    "region_centroids": None,
    "region_centroid_score": 0.1,
    "online": None,
}
_GEOCODE_OPTIONS = frozenset(_GEOCODE_DEFAULTS)
_LOCATED = ("lon", "lat", "match_level", "match_score", "match_reason")
_ZIP_PLUS4 = r"\d{5}-\d{4}"


def _tier_columns(tiers: Sequence[str], region: str) -> list[str]:
    """Firm columns `geocode_firms` reads with these tiers (``region`` always)."""
    reads = {
        "coordinates": ["lat", "lon"],
        "postcode": ["postcode", "country"],
        "settlement": ["settlement", "municipality"],
        "fuzzy_settlement": ["settlement", "municipality"],
        "region_centroid": [],
        "online": ["address", "settlement", "municipality", "postcode", "state"]
        + ["region_name", "country"],
    }
    columns = [region] + [c for t in tiers for c in reads.get(t, [])]
    return list(dict.fromkeys(columns))


def _column_codes(values: pd.Series) -> np.ndarray:
    """Integer codes of a column: equal codes exactly when the values are equal
    (floats by their bits, so -0.0 and 0.0, or two NaNs, are told apart as
    geocode_firms would copy them)."""
    if pd.api.types.is_float_dtype(values.dtype) and not isinstance(
        values.dtype, pd.api.extensions.ExtensionDtype
    ):
        bits = np.ascontiguousarray(values.to_numpy(dtype=np.float64)).view(np.int64)
        return pd.factorize(bits)[0]
    if pd.api.types.is_object_dtype(values.dtype) and pd.api.types.infer_dtype(
        values, skipna=True
    ) not in ("string", "empty"):
        # mixed objects: 2134 and 2134.0 hash alike but are written differently in
        # geocode_firms' notes, so compare them by type and text
        values = values.map(lambda v: f"{type(v).__name__}:{v!r}")
    return pd.factorize(values, use_na_sentinel=False)[0]


def _distinct_queries(
    firms: pd.DataFrame, options: Mapping[str, object]
) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct combinations of the columns geocode_firms reads, as a frame of
    firms, and each firm's row in it."""
    tiers = list(options["tiers"])
    columns = [c for c in _tier_columns(tiers, str(options["region"])) if c in firms]
    frame = firms[["firm_id", *columns]]
    if (
        "postcode" in frame
        and "online" not in tiers
        and str(options["postcode_country"]).upper() == "US"
    ):
        # ZIP+4 '30301-1234' and ZIP '30301' get the same match and the same note
        # ('no postcode '30301' in gazetteer' names the normalised code); only the
        # online tier's query text shows the raw form
        text = frame["postcode"].astype("string")
        plus4 = text.str.fullmatch(_ZIP_PLUS4).fillna(False).to_numpy(dtype=bool)
        if plus4.any():
            frame = frame.copy()
            frame.loc[plus4, "postcode"] = (
                text[plus4].str.slice(0, 5).to_numpy(dtype=object)
            )
    key = np.zeros(len(frame), dtype=np.int64)
    for column in columns:
        codes = _column_codes(frame[column])
        key = pd.factorize(key * (int(codes.max(initial=0)) + 1) + codes)[0]
    codes = pd.factorize(key)[0]  # numbered in order of first appearance
    new = np.ones(len(codes), dtype=bool)
    new[1:] = codes[1:] > np.maximum.accumulate(codes)[:-1]
    return frame.iloc[np.flatnonzero(new)].reset_index(drop=True), codes


def assign_to_regions_by_point(
    points: gpd.GeoDataFrame, regions: gpd.GeoDataFrame, *, id_column: str = "region_id"
) -> gpd.GeoDataFrame:
    """:func:`geo.regions.assign_to_regions`, run once per distinct point.

    Firms geocoded by postcode or town share their gazetteer point, so a chunk of a
    national registry holds far fewer distinct points than firms; the point in
    polygon test runs on those and the region ids are spread back.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Points (empty geometry allowed). Not modified.
    regions : geopandas.GeoDataFrame
        Polygons with ``id_column``, in the CRS of ``points``.

    Returns
    -------
    geopandas.GeoDataFrame
        Exactly what ``assign_to_regions(points, regions)`` returns.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> regions = gpd.GeoDataFrame({"region_id": ["w", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:32617")
    >>> pts = gpd.GeoDataFrame(geometry=[Point(0.5, 0.5), Point(1.5, 0.5),
    ...     Point(0.5, 0.5), None], crs="EPSG:32617")
    >>> assign_to_regions_by_point(pts, regions)["region_id"].tolist()
    ['w', 'e', 'w', None]
    """
    geometry = points.geometry
    has_point = ~(geometry.isna() | geometry.is_empty)
    if not (geometry[has_point].geom_type == "Point").all() or geometry.has_z.any():
        return assign_to_regions(points, regions, id_column=id_column)
    rows = np.flatnonzero(has_point.to_numpy())
    x, y = geometry.iloc[rows].x.to_numpy(), geometry.iloc[rows].y.to_numpy()
    finite = np.isfinite(x) & np.isfinite(y)
    # finite points once each; others (POINT (NaN NaN) of unmatched firms) as they are
    codes, uniques = pd.factorize(x[finite] + 1j * y[finite])
    odd = geometry.iloc[rows[~finite]].reset_index(drop=True)
    distinct = gpd.GeoDataFrame(
        geometry=pd.concat(
            [gpd.GeoSeries.from_xy(uniques.real, uniques.imag, crs=points.crs), odd],
            ignore_index=True,
        ),
        crs=points.crs,
    )
    found = assign_to_regions(distinct, regions, id_column=id_column)[id_column]
    found = found.to_numpy(dtype=object)
    ids = np.full(len(points), None, dtype=object)
    ids[rows[finite]] = found[codes]
    ids[rows[~finite]] = found[len(uniques) :]
    out = points.copy()
    out[id_column] = pd.Series(ids, index=points.index, dtype=object)
    out[id_column] = out[id_column].where(out[id_column].notna(), None)
    return out


def employment_cells(
    firms_in_regions: pd.DataFrame, *, year: int
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Employees and firms active in ``year`` per region and industry, for one chunk.

    Parameters
    ----------
    firms_in_regions : pandas.DataFrame
        Firms with ``region_id`` (missing outside every region), ``industry``,
        ``employees``, ``founded`` and ``closed``. Not modified.
    year : int
        Study year (see :func:`geo.registry.active_in_year`).

    Returns
    -------
    cells : pandas.DataFrame
        ``region_id``, ``industry``, ``employees``, ``firms`` (int64) for the pairs
        that have active firms; add the cells of all chunks and pass them to
        :func:`region_industry_table`.
    counts : dict
        ``active_firms`` (active and in a region) and ``inactive_firms``, as the
        pipeline's ``employment_by_region_industry`` asset reports them.

    Examples
    --------
    >>> f = pd.DataFrame({"region_id": ["a", "a", None], "industry": ["x"] * 3,
    ...     "employees": pd.array([3, 4, 5], dtype="Int64"),
    ...     "founded": pd.array([2000, 2030, 2000], dtype="Int64"),
    ...     "closed": pd.array([None] * 3, dtype="Int64")})
    >>> cells, counts = employment_cells(f, year=2024)
    >>> cells.values.tolist(), counts
    ([['a', 'x', 3, 1]], {'active_firms': 1, 'inactive_firms': 1})
    """
    # the four columns only: filtering the whole frame would copy every column
    is_active = active_in_year(firms_in_regions, year)
    in_study = firms_in_regions.loc[
        is_active & firms_in_regions["region_id"].notna(),
        ["region_id", "industry", "employees"],
    ]
    sums = in_study.groupby(["region_id", "industry"])["employees"].agg(["sum", "size"])
    cells = pd.DataFrame(
        {
            "region_id": sums.index.get_level_values(0).astype(object),
            "industry": sums.index.get_level_values(1).astype(object),
            "employees": sums["sum"].to_numpy(dtype=np.int64),
            "firms": sums["size"].to_numpy(dtype=np.int64),
        }
    )
    counts = {
        "active_firms": len(in_study),
        "inactive_firms": int((~is_active).sum()),
    }
    return cells, counts


def region_industry_table(
    cells: pd.DataFrame | Iterable[pd.DataFrame],
    *,
    regions: Sequence[str],
    industries: Sequence[str] | None = None,
    min_industry_firms: int = 1,
) -> tuple[pd.DataFrame, list[str]]:
    """The region x industry table of the study from the cells of all chunks.

    Parameters
    ----------
    cells : pandas.DataFrame or iterable of them
        :func:`employment_cells` of every chunk (a pair may repeat; it is added up).
    regions : sequence of str
        Every region of the study (regions without firms get zeros).
    industries : sequence of str, optional
        Industries to keep; default: those with at least ``min_industry_firms``
        active firms in the study's regions (the study's ``methods.industries`` and
        ``methods.min_industry_firms``).

    Returns
    -------
    table : pandas.DataFrame
        ``region_id``, ``industry``, ``employees``, ``firms``: what
        :func:`geo.lq.employment_by_region_industry` gives for the active firms in
        the regions and these industries.
    industries : list of str
        The industries kept.

    Raises
    ------
    ValueError
        If a cell's region is not a study region.

    Examples
    --------
    >>> c1 = pd.DataFrame({"region_id": ["a"], "industry": ["x"], "employees": [3],
    ...                    "firms": [1]})
    >>> c2 = c1.assign(employees=[4])
    >>> table, kept = region_industry_table([c1, c2], regions=["a", "b"])
    >>> table.values.tolist(), kept
    ([['a', 'x', 7, 2], ['b', 'x', 0, 0]], ['x'])
    """
    parts = [cells] if isinstance(cells, pd.DataFrame) else list(cells)
    columns = ["region_id", "industry", "employees", "firms"]
    every = pd.concat(
        [p[columns] for p in parts if len(p)] or [pd.DataFrame(columns=columns)],
        ignore_index=True,
    )
    every = every.astype({"employees": np.int64, "firms": np.int64})
    sums = every.groupby(["region_id", "industry"])[["employees", "firms"]].sum()
    unknown = sorted(set(sums.index.get_level_values(0)) - set(regions))
    if unknown:
        raise ValueError(
            f"{len(unknown)} firm region id(s) are not study regions, first: "
            f"{unknown[:5]}; assign firms to the study's regions first"
        )
    if industries is None:
        counts = sums.groupby(level="industry")["firms"].sum()
        industries = sorted(counts[counts >= min_industry_firms].index)
    grid = pd.MultiIndex.from_product(
        [list(regions), list(industries)], names=["region_id", "industry"]
    )
    table = sums.reindex(grid, fill_value=0).reset_index()
    table["employees"] = table["employees"].astype("int64")
    table["firms"] = table["firms"].astype("int64")
    table = table.sort_values(["region_id", "industry"], ignore_index=True)
    return table, list(industries)


def reason_field_counts(reasons: Iterable[str]) -> Counter:
    """Rejected rows by the field that failed (a row may fail on several fields).

    Examples
    --------
    >>> reason_field_counts(["employees: 'x' is not a whole number | founded: ...",
    ...                      "employees: empty"])
    Counter({'employees': 2, 'founded': 1})
    """
    return Counter(
        part.split(":", 1)[0].strip()
        for text in reasons
        for part in str(text).split(" | ")
        if part
    )
