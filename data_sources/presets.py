"""Named presets for real layouts: firm registries and industry statistics.

A registry preset is a name a study gives as ``registry.adapter``; it fills the parsing
options and the column mapping of a published layout, and derives canonical columns
that the layout spreads over several fields:

- ``companydata``: the companydata.com city business samples (CC0): ``;``-separated,
  UTF-8 with BOM, decimal commas, US SIC 1987 codes in ``Business Category Code 1``,
  US ZIP+4 written without the dash (``900175141`` -> ``90017-5141``).
- ``rsmp``: records of the Russian SME register (FNS "Единый реестр субъектов малого
  и среднего предпринимательства", parsed from its XML): OKVED2 main activity,
  region code and name, district, city and settlement, no street address and no head
  count (the register gives a size category only).

Statistics presets turn a published table into the pipeline's long table of
``region_id``, ``industry``, ``employees``, ``firms``, ``suppressed``:
:func:`qcew_industry_table` (BLS QCEW through ``data_sources.qcew.read_qcew``) and
``data_sources.rosstat.rosstat_industry_table``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo.classification import code_levels, level_number
from geo.region_codes import (
    QCEW_PSEUDO_AREAS,
    US_COUNTY_FIPS_CHANGES_2010_2017,
    RegionCodeReport,
    apply_region_codes,
    match_region_codes,
)


@dataclass(frozen=True)
class RegistryPreset:
    """Parsing options, column mapping and derived columns of a registry layout."""

    format: str = "csv"
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: str = "."
    scheme: str | None = None
    """The industry classification of ``industry_code`` in this layout."""
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Canonical column -> the file's column (alternatives in order of preference)."""
    extra: dict[str, str] = field(default_factory=dict)
    """Extra output column -> the file's column, kept for later stages."""
    derive: Callable[[pd.DataFrame], dict[str, pd.Series]] | None = None
    """Columns computed from the file's columns (text), canonical or extra."""
    employees_required: bool = True
    """False when the layout has no head counts (firms are still counted)."""


def _companydata_derive(raw: pd.DataFrame) -> dict[str, pd.Series]:
    postcode = raw["Postal Code"].str.strip()
    zip9 = raw["Country"].str.strip().eq("USA") & postcode.str.fullmatch(r"\d{9}")
    written = postcode.str.slice(0, 5) + "-" + postcode.str.slice(5)
    # These files write an unknown founding year as 0.
    founded = raw["Founding Year"].str.strip()
    return {
        "postcode": postcode.where(~zip9, written),
        "founded": founded.where(founded != "0", ""),
    }


def _first_filled(*columns: pd.Series) -> pd.Series:
    out = columns[0].str.strip()
    for column in columns[1:]:
        out = out.where(out != "", column.str.strip())
    return out


def _rsmp_derive(raw: pd.DataFrame) -> dict[str, pd.Series]:
    # The smallest named place: settlement, else city, else a district that is a
    # city ("Г. АЛЧЕВСК"), else a region that is a city (Moscow, St Petersburg).
    city_types = ["Г", "Г.", "ГОРОД"]
    city_district = raw["district_type"].str.strip().str.upper().isin(city_types)
    city_region = raw["region_type"].str.strip().str.upper().isin(city_types)
    settlement = _first_filled(
        raw["settlement_name"],
        raw["city_name"],
        raw["district_name"].where(city_district, ""),
        raw["region_name"].where(city_region, ""),
    )
    # the municipality a settlement lies in: the district, else the city
    has_district = raw["district_name"].str.strip() != ""
    has_settlement = raw["settlement_name"].str.strip() != ""
    municipality = (
        raw["district_name"]
        .where(has_district | ~has_settlement, raw["city_name"])
        .str.strip()
    )
    name = _first_filled(raw["org_short_name"], raw["org_name"])
    region = raw["region_name"].str.strip() + " " + raw["region_type"].str.strip()
    return {
        "settlement": settlement,
        "municipality": municipality,
        "name": name,
        "region_name": region.str.strip(),
    }


REGISTRY_PRESETS: dict[str, RegistryPreset] = {
    "companydata": RegistryPreset(
        format="csv",
        encoding="utf-8-sig",
        delimiter=";",
        decimal=",",
        scheme="sic",
        columns={
            # The Amsterdam file has a blank header over the id column.
            "firm_id": ("ID", "column_1"),
            "name": ("Company Name",),
            "address": ("Address 1",),
            "settlement": ("City",),
            "postcode": ("Postal Code",),
            "state": ("State/Province",),
            "industry_code": ("Business Category Code 1",),
            "employees": ("Employees On Site",),
            "founded": ("Founding Year",),
        },
        extra={
            "country": "Country",
            "employees_total": "Employees Total",
            "global_hq_id": "Global Headquarter ID Number",
        },
        derive=_companydata_derive,
    ),
    "rsmp": RegistryPreset(
        format="csv",
        encoding="utf-8",
        delimiter=",",
        decimal=".",
        scheme="okved",
        columns={
            "firm_id": ("doc_id",),
            "state": ("region_code",),
            "industry_code": ("okved_main",),
        },
        extra={
            "district": "district_name",
            "city": "city_name",
            "settlement_name": "settlement_name",
            "settlement_type": "settlement_type",
            "kind": "kind",
            "sme_category": "sme_category",
            "register_date": "date_state",
            "inn": "inn",
        },
        derive=_rsmp_derive,
        employees_required=False,
    ),
}


def registry_preset(adapter: str) -> RegistryPreset | None:
    """The preset of a registry adapter name; None for the generic adapters.

    Examples
    --------
    >>> registry_preset("rsmp").scheme, registry_preset("generic")
    ('okved', None)
    """
    if adapter in ("generic", "generic_csv"):
        return None
    if adapter not in REGISTRY_PRESETS:
        raise ValueError(
            f"unknown registry adapter {adapter!r}; use 'generic' or one of the "
            f"presets {sorted(REGISTRY_PRESETS)}"
        )
    return REGISTRY_PRESETS[adapter]


def snapshot_problems(register_dates: pd.Series, *, year: int) -> pd.Series:
    """Reasons for register rows whose snapshot date is not in ``year`` ('' if it is).

    The Russian SME register is published as monthly snapshots; a sample that mixes
    them counts a firm once per snapshot. Rows of other snapshots are quarantined.

    Examples
    --------
    >>> snapshot_problems(pd.Series(["10.02.2019", "10.05.2023"]), year=2019).tolist()
    ['', "register_date: '10.05.2023' is another snapshot than registry.snapshot_year 2019; use one snapshot per study"]
    """  # noqa: E501
    years = register_dates.astype("string").str.extract(r"(\d{4})\s*$")[0]
    other = years.ne(str(year)).fillna(True)
    text = register_dates.astype(object).map(repr)
    reason = (
        "register_date: "
        + text
        + f" is another snapshot than registry.snapshot_year {year}; use one "
        "snapshot per study"
    )
    return reason.where(other, "")


# QCEW aggregation levels of county rows: 74 sector (2-digit NAICS), 75 subsector
# (3), 76 industry group (4), 77 NAICS industry (5), 78 national industry (6);
# state rows 54..58 likewise.
QCEW_AGGLVL_BASE = {"county": 72, "state": 52}


def qcew_industry_table(
    qcew: pd.DataFrame,
    *,
    year: int,
    level: int,
    own_code: str = "5",
    area: str = "county",
    quarter: int | None = None,
) -> pd.DataFrame:
    """Employment and establishments per area and NAICS industry from QCEW rows.

    Parameters
    ----------
    qcew : pandas.DataFrame
        From ``data_sources.qcew.read_qcew`` (published columns, ``suppressed``).
        Not modified.
    year : int
        The year to take.
    level : int
        NAICS digits: 2 (sector, QCEW agglvl 74 for counties) .. 6 (78).
    own_code : str
        Ownership: ``"5"`` private (default), ``"0"`` total covered, ...
    area : str
        ``"county"`` (agglvl 7x) or ``"state"`` (5x).
    quarter : int, optional
        1..4 for one quarter; default: the year (mean over its quarters).

    Returns
    -------
    pandas.DataFrame
        ``region_id`` (``area_fips``), ``industry`` (NAICS code as BLS writes it,
        e.g. ``31-33``), ``employees`` (mean monthly employment over the disclosed
        quarters; 0 where none is disclosed), ``firms`` (mean establishments,
        rounded), ``suppressed`` (at least one quarter withheld by BLS:
        ``disclosure_code`` N), ``quarters`` (quarters present).

    Raises
    ------
    ValueError
        If an argument is out of range or no row matches.

    Examples
    --------
    >>> q = pd.DataFrame({"area_fips": ["13001"] * 3, "own_code": ["5"] * 3,
    ...     "industry_code": ["3141"] * 3, "agglvl_code": ["76"] * 3,
    ...     "year": [2016] * 3, "qtr": ["1", "2", "3"], "qtrly_estabs_count": [4, 4, 5],
    ...     "month1_emplvl": [10, 20, 0], "month2_emplvl": [10, 20, 0],
    ...     "month3_emplvl": [10, 20, 0], "suppressed": [False, False, True]})
    >>> qcew_industry_table(q, year=2016, level=4)[["employees", "firms",
    ...                                             "suppressed"]].values.tolist()
    [[15.0, 4, True]]
    """
    if area not in QCEW_AGGLVL_BASE:
        raise ValueError(f"area must be 'county' or 'state'; got {area!r}")
    if not 2 <= level <= 6:
        raise ValueError(f"QCEW industry level is NAICS digits 2..6; got {level}")
    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1..4 or None (the year); got {quarter}")
    agglvl = str(QCEW_AGGLVL_BASE[area] + level)
    rows = qcew[
        (qcew["year"] == year)
        & (qcew["own_code"].astype(str) == str(own_code))
        & (qcew["agglvl_code"].astype(str) == agglvl)
    ]
    if quarter is not None:
        rows = rows[rows["qtr"].astype(str) == str(quarter)]
    codes = rows["industry_code"].astype(str)
    rows = rows[(code_levels(codes, scheme="naics") == level).fillna(False)]
    if rows.empty:
        raise ValueError(
            f"no QCEW rows for year {year}, own_code {own_code}, agglvl {agglvl} "
            f"({area}, {level}-digit NAICS); the table has years "
            f"{sorted(qcew['year'].unique().tolist())} and agglvl "
            f"{sorted(qcew['agglvl_code'].astype(str).unique().tolist())}"
        )
    suppressed = (
        rows["suppressed"].astype(bool)
        if "suppressed" in rows
        else rows["disclosure_code"].astype(str).eq("N")
    )
    months = rows[["month1_emplvl", "month2_emplvl", "month3_emplvl"]].astype(float)
    frame = pd.DataFrame(
        {
            "region_id": rows["area_fips"].astype(str).str.zfill(5),
            "industry": codes.loc[rows.index],
            "employment": months.mean(axis=1).where(~suppressed),
            "firms": pd.to_numeric(rows["qtrly_estabs_count"], errors="coerce"),
            "suppressed": suppressed,
        }
    )
    grouped = frame.groupby(["region_id", "industry"], sort=True)
    out = pd.DataFrame(
        {
            "employees": grouped["employment"].mean().fillna(0.0),
            "firms": grouped["firms"].mean().round().fillna(0).astype("int64"),
            "suppressed": grouped["suppressed"].any(),
            "quarters": grouped.size().astype("int64"),
        }
    ).reset_index()
    out["employees"] = out["employees"].astype(float)
    return out


def qcew_region_totals(
    qcew: pd.DataFrame, *, year: int, area: str = "county", quarter: int | None = None
) -> pd.Series:
    """Total covered employment per area (own_code 0, industry 10): BLS's LQ base.

    Examples
    --------
    >>> q = pd.DataFrame({"area_fips": ["13001"] * 2, "own_code": ["0"] * 2,
    ...     "industry_code": ["10"] * 2, "agglvl_code": ["70"] * 2,
    ...     "year": [2016] * 2, "qtr": ["1", "2"], "month1_emplvl": [90, 110],
    ...     "month2_emplvl": [90, 110], "month3_emplvl": [90, 110],
    ...     "suppressed": [False, False]})
    >>> qcew_region_totals(q, year=2016).to_dict()
    {'13001': 100.0}
    """
    agglvl = str(QCEW_AGGLVL_BASE[area] - 2)
    rows = qcew[
        (qcew["year"] == year)
        & (qcew["own_code"].astype(str) == "0")
        & (qcew["industry_code"].astype(str) == "10")
        & (qcew["agglvl_code"].astype(str) == agglvl)
    ]
    if quarter is not None:
        rows = rows[rows["qtr"].astype(str) == str(quarter)]
    if rows.empty:
        raise ValueError(
            f"no total-covered QCEW rows (own_code 0, industry 10, agglvl {agglvl}) "
            f"for {year}; name a QCEW file with the areas' totals"
        )
    months = rows[["month1_emplvl", "month2_emplvl", "month3_emplvl"]].astype(float)
    level = months.mean(axis=1).where(~rows["suppressed"].astype(bool), np.nan)
    ids = rows["area_fips"].astype(str).str.zfill(5)
    return level.groupby(ids.to_numpy()).mean().rename_axis("region_id")


STATISTICS_COLUMNS = ["region_id", "industry", "employees", "firms", "suppressed"]
# Named code changes a study may apply when matching statistics to boundaries.
CODE_CHANGES = {"us_county_2010_2017": US_COUNTY_FIPS_CHANGES_2010_2017}
PSEUDO_PATTERNS = {"qcew": QCEW_PSEUDO_AREAS}


@dataclass(frozen=True)
class IndustryStatistics:
    """Regional statistics by industry, read by a statistics preset."""

    table: pd.DataFrame
    """``region_id``, ``industry``, ``employees``, ``firms``, ``suppressed``."""
    totals: pd.Series | None
    """The LQ base per region id (total covered employment; all organisations)."""
    rejected: pd.DataFrame
    """Source rows that could not be read, with ``reason``."""
    measure: str
    """``employees`` (QCEW) or ``firms`` (Rosstat counts organisations)."""


def _option(spec: Any, name: str, default: Any = None) -> Any:
    if isinstance(spec, Mapping):
        return spec.get(name, default)
    value = getattr(spec, name, default)
    return default if value is None else value


def read_industry_statistics(
    spec: Any, *, year: int, level: int | str, scheme: str
) -> IndustryStatistics:
    """Read regional statistics by industry with a statistics preset.

    Parameters
    ----------
    spec : StatisticsSpec or mapping
        ``adapter`` (``qcew`` or ``rosstat``), ``path``, and the options: ``year``
        (default: the study year), ``industry_level`` (default: ``level``),
        ``own_code`` (``"5"``), ``area`` (``"county"``), ``quarter`` (None: the
        year), ``totals_path`` (QCEW rows of total covered employment; default:
        ``path``), ``classifier`` (Rosstat: the OKVED2 classifier file) and
        ``encoding``.
    year : int
        The study year.
    level : int or str
        The study's classification level (used when ``industry_level`` is unset).
    scheme : str
        The study's classification: ``naics`` for QCEW, ``okved`` for Rosstat.

    Returns
    -------
    IndustryStatistics
        The long table, the regional base, rejected rows and the measure.

    Raises
    ------
    ValueError
        If the adapter is unknown or does not fit the scheme, or a reader fails.

    Examples
    --------
    >>> read_industry_statistics({"adapter": "eurostat", "path": "x"}, year=2020,
    ...                          level=2, scheme="nace")
    Traceback (most recent call last):
    ...
    ValueError: statistics.adapter 'eurostat' is not a statistics preset; use 'qcew' or 'rosstat'
    """  # noqa: E501
    adapter = _option(spec, "adapter")
    path = _option(spec, "path")
    year = int(_option(spec, "year", year))
    wanted = _option(spec, "industry_level", level)
    if adapter == "qcew":
        from data_sources.qcew import read_qcew

        if scheme != "naics":
            raise ValueError(
                f"QCEW industries are NAICS codes; set classification.scheme: naics "
                f"(found {scheme!r})"
            )
        depth = level_number(wanted, scheme="naics")
        area = _option(spec, "area", "county")
        quarter = _option(spec, "quarter")
        columns = [
            "qtrly_estabs_count",
            "month1_emplvl",
            "month2_emplvl",
            "month3_emplvl",
        ]
        qcew = read_qcew(path, columns=columns)
        table = qcew_industry_table(
            qcew,
            year=year,
            level=depth,
            own_code=str(_option(spec, "own_code", "5")),
            area=area,
            quarter=quarter,
        )
        totals_path = _option(spec, "totals_path")
        base = qcew if totals_path is None else read_qcew(totals_path, columns=columns)
        try:
            totals = qcew_region_totals(base, year=year, area=area, quarter=quarter)
        except ValueError:
            if totals_path is not None:
                raise
            totals = None  # the file has no totals; the study may name totals_path
        rejected = pd.DataFrame(columns=["source_row", "reason"])
        return IndustryStatistics(
            table[STATISTICS_COLUMNS], totals, rejected, "employees"
        )
    if adapter == "rosstat":
        from data_sources.rosstat import (
            read_rosstat_org_counts,
            rosstat_industry_table,
            rosstat_region_totals,
        )

        if scheme not in ("okved", "nace"):
            raise ValueError(
                f"Rosstat industries are OKVED2 codes; set classification.scheme: "
                f"okved (found {scheme!r})"
            )
        classifier = _option(spec, "classifier")
        if classifier is None:
            raise ValueError(
                "statistics.adapter 'rosstat' needs statistics.classifier: the OKVED2 "
                "classifier file that maps the published item names to codes"
            )
        depth = level_number(wanted, scheme="okved")
        names = {1: "section", 2: "division", 3: "group", 4: "class"}
        if depth not in names:
            raise ValueError(
                f"Rosstat publishes OKVED2 items down to classes; got level {wanted!r}"
            )
        counts, rejected = read_rosstat_org_counts(
            path,
            classifier=classifier,
            encoding=_option(spec, "encoding", "utf-8"),
        )
        table = rosstat_industry_table(counts, year=year, level=names[depth])
        totals = rosstat_region_totals(counts, year=year).astype(float)
        return IndustryStatistics(table[STATISTICS_COLUMNS], totals, rejected, "firms")
    raise ValueError(
        f"statistics.adapter {adapter!r} is not a statistics preset; use 'qcew' or "
        "'rosstat'"
    )


def statistics_employment_table(
    table: pd.DataFrame,
    *,
    regions: Sequence[str],
    industries: Sequence[str] | None = None,
    changes: Mapping[str, str] | None = None,
    pseudo_pattern: str | None = None,
) -> tuple[pd.DataFrame, RegionCodeReport]:
    """Statistics by region and industry on the study's regions, zeros filled.

    Parameters
    ----------
    table : pandas.DataFrame
        ``region_id``, ``industry``, ``employees``, ``firms``, ``suppressed`` (from
        :func:`read_industry_statistics`). Not modified.
    regions : sequence of str
        The study's region ids (the boundaries).
    industries : sequence of str, optional
        Industries to keep; default: every industry in the table.
    changes, pseudo_pattern
        Passed to ``geo.region_codes.match_region_codes``.

    Returns
    -------
    table : pandas.DataFrame
        Every region x industry: ``region_id``, ``industry``, ``employees``,
        ``firms``, ``suppressed`` (cells absent from the statistics are 0 and not
        suppressed; ``employees`` stays missing where the source has no head counts).
        Statistics codes that meet a boundary through a code change are renamed
        (and summed when two meet one); codes without a boundary are left out.
    report : RegionCodeReport
        How the codes matched, for the asset's metadata.

    Examples
    --------
    >>> t = pd.DataFrame({"region_id": ["46113", "13999"], "industry": ["11", "11"],
    ...     "employees": [50.0, 7.0], "firms": [3, 1], "suppressed": [False, False]})
    >>> out, report = statistics_employment_table(t, regions=["46102", "46103"],
    ...     changes=US_COUNTY_FIPS_CHANGES_2010_2017, pseudo_pattern=QCEW_PSEUDO_AREAS)
    >>> out["employees"].tolist(), report.pseudo
    ([50.0, 0.0], ('13999',))
    """
    report = match_region_codes(
        table["region_id"], regions, changes=changes, pseudo_pattern=pseudo_pattern
    )
    ids = apply_region_codes(table["region_id"], report)
    placed = table.assign(region_id=ids)[ids.notna()]
    kept = (
        list(industries)
        if industries is not None
        else sorted(placed["industry"].astype(str).unique())
    )
    placed = placed[placed["industry"].isin(kept)]
    no_heads = table["employees"].isna().all()
    sums = placed.groupby(["region_id", "industry"]).agg(
        employees=("employees", lambda v: v.sum(min_count=1)),
        firms=("firms", "sum"),
        suppressed=("suppressed", "any"),
    )
    grid = pd.MultiIndex.from_product(
        [list(regions), kept], names=["region_id", "industry"]
    )
    out = sums.reindex(grid).reset_index()
    out["firms"] = out["firms"].fillna(0).astype("int64")
    out["suppressed"] = out["suppressed"].fillna(False).astype(bool)
    if no_heads:
        out["employees"] = pd.array([pd.NA] * len(out), dtype="Float64")
    else:
        out["employees"] = out["employees"].fillna(0.0).astype(float)
    return out[STATISTICS_COLUMNS], report


def statistics_region_totals(
    totals: pd.Series | None,
    report: RegionCodeReport,
    *,
    table: pd.DataFrame,
    value: str = "employees",
) -> pd.Series:
    """The LQ base of every study region from a statistics preset's totals.

    Parameters
    ----------
    totals : pandas.Series or None
        Base per statistics region code (:class:`IndustryStatistics` ``totals``).
    report : RegionCodeReport
        From :func:`statistics_employment_table`, to translate the codes.
    table : pandas.DataFrame
        The region x industry table on the study's regions (same function).
    value : str
        The column the LQ is computed on; regions without a published total (or
        with a withheld one) take the sum of ``value`` over their industries.

    Returns
    -------
    pandas.Series
        Float base indexed by every ``region_id`` of ``table``.

    Examples
    --------
    >>> from geo.region_codes import match_region_codes
    >>> t = pd.DataFrame({"region_id": ["a", "b"], "industry": ["x", "x"],
    ...                   "employees": [5.0, 7.0]})
    >>> r = match_region_codes(["a"], ["a", "b"])
    >>> statistics_region_totals(pd.Series({"a": 50.0}), r, table=t).to_dict()
    {'a': 50.0, 'b': 7.0}
    """
    regions = pd.Index(table["region_id"].unique(), name="region_id")
    fallback = table.groupby("region_id")[value].sum().astype(float)
    if totals is None or totals.empty:
        return fallback.reindex(regions).fillna(0.0)
    codes = apply_region_codes(pd.Series(totals.index.astype(str)), report)
    translated = pd.Series(totals.to_numpy(dtype=float), index=codes.to_numpy())
    translated = translated[translated.index.notna()].groupby(level=0).sum(min_count=1)
    base = translated.reindex(regions)
    return base.fillna(fallback.reindex(regions)).fillna(0.0).astype(float)
