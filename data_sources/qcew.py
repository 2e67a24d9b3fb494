"""BLS QCEW CSV files (county, state, quarterly or annual) and US benchmark clusters."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import pandas as pd

# Columns BLS publishes as codes or text; everything else is a number.
CODE_COLUMNS = (
    "area_fips",
    "own_code",
    "industry_code",
    "agglvl_code",
    "size_code",
    "qtr",
    "disclosure_code",
    "lq_disclosure_code",
    "oty_disclosure_code",
    "area_title",
    "own_title",
    "industry_title",
    "agglvl_title",
    "size_title",
)
REQUIRED_COLUMNS = ("area_fips", "own_code", "industry_code", "agglvl_code", "year")
# value column -> BLS's published location quotient of it
LQ_COLUMNS = {
    "qtrly_estabs_count": "lq_qtrly_estabs_count",
    "month1_emplvl": "lq_month1_emplvl",
    "month2_emplvl": "lq_month2_emplvl",
    "month3_emplvl": "lq_month3_emplvl",
    "total_qtrly_wages": "lq_total_qtrly_wages",
    "annual_avg_estabs": "lq_annual_avg_estabs",
    "annual_avg_emplvl": "lq_annual_avg_emplvl",
    "total_annual_wages": "lq_total_annual_wages",
}
# "10 Total, all industries" of "0 Total Covered": the base of BLS's LQs
TOTAL_OWN_CODE = "0"
TOTAL_INDUSTRY_CODE = "10"
BENCHMARK_CLUSTERS_CSV = (
    Path(__file__).resolve().parent / "reference" / "us_benchmark_clusters_naics4.csv"
)


def read_qcew(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a BLS QCEW CSV (``.csv`` or ``.csv.gz``) with its published columns intact.

    Parameters
    ----------
    source : path or binary file object
        A QCEW "CSV by area/industry" file, quarterly or annual layout.
    columns : sequence of str, optional
        Columns to read (faster on big files); the identifying columns
        ``area_fips``, ``own_code``, ``industry_code``, ``agglvl_code``, ``year``
        (and ``qtr``, ``disclosure_code``, ``lq_disclosure_code`` when the file
        has them) are always read. Default: every column.

    Returns
    -------
    pandas.DataFrame
        The file's columns with their BLS names: codes and titles as text
        (``area_fips`` keeps leading zeros, e.g. ``01001``; ``qtr`` is ``1``..``4``
        or ``A``), ``year`` an integer, counts and LQs numbers (NaN where
        empty); plus ``suppressed`` (``disclosure_code`` is ``N``: BLS withheld
        the values, which read as 0) and, when the file has LQs, ``lq_suppressed``
        (``lq_disclosure_code`` is ``N``).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If an identifying column or a requested column is missing, or a value
        column holds text.

    Examples
    --------
    >>> import io
    >>> csv = (b"area_fips,own_code,industry_code,agglvl_code,year,qtr,"
    ...        b"disclosure_code,month3_emplvl,lq_disclosure_code,lq_month3_emplvl\\n"
    ...        b"01001,5,11,74,2016,1,N,0,N,0\\n01001,5,23,74,2016,1,,734,,0.97\\n")
    >>> t = read_qcew(io.BytesIO(csv))
    >>> t[["area_fips", "suppressed", "lq_month3_emplvl"]].values.tolist()
    [['01001', True, 0.0], ['01001', False, 0.97]]
    """
    name = getattr(source, "name", None) or str(source)
    if isinstance(source, str | os.PathLike) and not Path(source).exists():
        raise FileNotFoundError(
            f"QCEW file {name} does not exist; download it from "
            "https://www.bls.gov/cew/downloadable-data-files.htm or fix the path."
        )
    header = _header(source)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValueError(
            f"{name} lacks QCEW column(s) {missing}; it has {header[:8]}. "
            "Is it a QCEW 'CSV by area/industry' file?"
        )
    if columns is None:
        wanted = header
    else:
        unknown = [c for c in columns if c not in header]
        if unknown:
            raise ValueError(
                f"{name} has no column(s) {unknown}; it has {header}. "
                "Ask only for columns of the file."
            )
        optional = ("qtr", "disclosure_code", "lq_disclosure_code")
        keep = (
            set(REQUIRED_COLUMNS) | set(columns) | {c for c in optional if c in header}
        )
        wanted = [c for c in header if c in keep]
    dtypes = {c: "string" for c in wanted if c in CODE_COLUMNS}
    table = pd.read_csv(
        source, usecols=wanted, dtype=dtypes, engine="pyarrow", keep_default_na=True
    )
    table = table.astype(dict.fromkeys(dtypes, "str"))
    fips = table["area_fips"]
    short = fips.str.fullmatch(r"\d{1,4}").fillna(False)
    if short.any():
        table.loc[short, "area_fips"] = fips[short].str.zfill(5)
    for column in table.columns:
        if column in CODE_COLUMNS or column == "year":
            continue
        numbers = pd.to_numeric(table[column], errors="coerce")
        text = table[column].notna() & numbers.isna()
        if text.any():
            raise ValueError(
                f"{name} column {column} holds text where BLS publishes numbers, "
                f"first: {table.loc[text, column].head(3).tolist()}; "
                "is the file a QCEW CSV?"
            )
        table[column] = numbers
    table["year"] = pd.to_numeric(table["year"], errors="raise").astype("int64")
    if "disclosure_code" in table.columns:
        table["suppressed"] = table["disclosure_code"].eq("N").fillna(False)
    else:
        table["suppressed"] = False
    if "lq_disclosure_code" in table.columns:
        table["lq_suppressed"] = table["lq_disclosure_code"].eq("N").fillna(False)
    return table


def _header(source: str | os.PathLike[str] | IO[bytes]) -> list[str]:
    if hasattr(source, "seek"):
        position = source.tell()
        header = list(pd.read_csv(source, nrows=0).columns)
        source.seek(position)
        return header
    return list(pd.read_csv(source, nrows=0).columns)


def total_covered(
    qcew: pd.DataFrame,
    *,
    value: str,
    by: Sequence[str] = ("year", "qtr"),
) -> pd.Series:
    """Total covered (all ownerships, all industries) of each area: BLS's LQ base.

    Parameters
    ----------
    qcew : pandas.DataFrame
        Output of :func:`read_qcew` holding the ``own_code`` 0, ``industry_code``
        10 rows of the areas. Not modified.
    value : str
        The count, e.g. ``month3_emplvl``, ``qtrly_estabs_count``.
    by : sequence of str
        Period columns kept in the index.

    Returns
    -------
    pandas.Series
        ``value`` indexed by ``(*by, area_fips)``.

    Raises
    ------
    ValueError
        If the table has no total-covered rows or an area has two.

    Examples
    --------
    >>> q = pd.DataFrame({"area_fips": ["01001", "01001"], "own_code": ["0", "5"],
    ...     "industry_code": ["10", "10"], "year": [2016, 2016], "qtr": ["1", "1"],
    ...     "month3_emplvl": [10000, 8000]})
    >>> total_covered(q, value="month3_emplvl").to_dict()
    {(2016, '1', '01001'): 10000.0}
    """
    rows = qcew[
        (qcew["own_code"] == TOTAL_OWN_CODE)
        & (qcew["industry_code"] == TOTAL_INDUSTRY_CODE)
    ]
    if rows.empty:
        raise ValueError(
            "the table has no total-covered rows (own_code 0, industry_code 10); "
            "read the areas' total rows too (agglvl 50 for states, 70 for counties)"
        )
    keys = [*by, "area_fips"]
    doubled = rows.duplicated(keys)
    if doubled.any():
        raise ValueError(
            f"{int(doubled.sum())} area(s) have two total-covered rows, first: "
            f"{rows.loc[doubled, keys].head(3).to_dict('records')}; keep one file "
            "per area and period"
        )
    return rows.set_index(keys)[value].astype(float)


def benchmark_clusters(
    path: str | os.PathLike[str] | None = None,
    *,
    fits: Sequence[str] = ("whole",),
) -> pd.DataFrame:
    """NAICS-4 to US benchmark cluster table (Delgado, Porter and Stern 2016), partial.

    Parameters
    ----------
    path : path, optional
        Default: ``data_sources/reference/us_benchmark_clusters_naics4.csv``.
    fits : sequence of str
        Keep rows whose ``fit`` is one of these: ``whole`` (every NAICS 2012
        six-digit industry of the group is in the cluster) and/or ``part`` (most
        are; the exceptions are in ``note``).

    Returns
    -------
    pandas.DataFrame
        ``naics4`` (text), ``naics4_title``, ``cluster_code``, ``cluster``,
        ``cluster_type``, ``fit``, ``note``.

    Raises
    ------
    ValueError
        If ``fits`` names an unknown fit.

    Examples
    --------
    >>> t = benchmark_clusters()
    >>> t.set_index("naics4").loc["3116", "cluster"]
    'Livestock Processing'
    """
    unknown = sorted(set(fits) - {"whole", "part"})
    if unknown:
        raise ValueError(f"fits must be 'whole' and/or 'part'; got {unknown}.")
    table = pd.read_csv(
        path or BENCHMARK_CLUSTERS_CSV,
        dtype={"naics4": "str", "cluster_code": "int64"},
        keep_default_na=False,
    )
    return table[table["fit"].isin(list(fits))].reset_index(drop=True)
