"""Regional statistics readers: population and total employment per region and year."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from data_sources.study import StatisticsSpec


def _read_table(path: Path, *, id_column: str) -> pd.DataFrame:
    """The statistics CSV, or a ValueError naming the file, the problem and the fix."""
    try:
        raw = pd.read_csv(path, dtype={id_column: str}, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"{path}: the file is empty; expected a header line (region id, "
            "population, total_employment) and one row per region"
        ) from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().removeprefix("Error tokenizing data. C error: ")
        raise ValueError(
            f"{path}: not a well-formed comma-separated file ({detail}); check the "
            "delimiter (statistics files are comma-separated) and the quotes"
        ) from None
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as "
            "UTF-8"
        ) from None
    if raw.empty:
        raise ValueError(
            f"{path}: the file has a header but no rows; expected one row per region"
        )
    return raw


def read_statistics(spec: StatisticsSpec, *, year: int) -> pd.DataFrame:
    """Read regional statistics as ``region_id``, ``year``, ``population``,
    ``total_employment`` for the study year.

    Parameters
    ----------
    spec : data_sources.study.StatisticsSpec
        Path (UTF-8, comma-separated; a BOM is accepted), id and value columns,
        and the year to read when the file has a ``year`` column.
    year : int
        The study year, used when ``spec.year`` is unset.

    Returns
    -------
    pandas.DataFrame
        One row per region, ids as text (leading zeros kept).

    Raises
    ------
    ValueError
        If the file is missing, empty, not UTF-8 or not well-formed CSV, a named
        column is missing, values are not finite non-negative numbers, years are
        not whole numbers, the year has no rows, or a region appears twice; the
        message names the file, the value and the fix.

    Examples
    --------
    >>> import tempfile
    >>> from data_sources.study import StatisticsSpec
    >>> path = Path(tempfile.mkdtemp()) / "stats.csv"
    >>> _ = path.write_text("region_id,population,total_employment\\n01001,10,4\\n")
    >>> read_statistics(StatisticsSpec(path=str(path)), year=2024).values.tolist()
    [['01001', 2024, 10, 4]]
    """
    path = Path(spec.path)
    if not path.is_file():
        raise ValueError(f"statistics.path: file not found: {path}")
    raw = _read_table(path, id_column=spec.id)
    wanted = {
        "region_id": spec.id,
        "population": spec.population,
        "total_employment": spec.total_employment,
    }
    missing = [col for col in wanted.values() if col is not None and col not in raw]
    if missing:
        hint = (
            " The file is probably not comma-separated: save it with ',' between "
            "fields."
            if len(raw.columns) == 1 and any(c in str(raw.columns[0]) for c in ";\t|")
            else ""
        )
        raise ValueError(
            f"{path}: column(s) {missing} not found; the file has {list(raw.columns)}. "
            f"Name the columns under statistics: in the study file.{hint}"
        )
    wanted_year = spec.year or year
    if "year" in raw.columns:
        years = pd.to_numeric(raw["year"], errors="coerce")
        bad_years = raw.loc[years.isna() | (years % 1 != 0), [spec.id, "year"]]
        if len(bad_years):
            raise ValueError(
                f"{path}: 'year' must be whole years; {len(bad_years)} row(s) are "
                f"not, first: {bad_years.head(3).to_dict('records')}. Correct them"
            )
        raw = raw[years == wanted_year]
        if raw.empty:
            raise ValueError(
                f"{path}: no rows for year {wanted_year}; set statistics.year"
            )
    out = pd.DataFrame({"region_id": raw[spec.id].astype(str).str.strip()})
    out["year"] = wanted_year
    for canon in ("population", "total_employment"):
        source = wanted[canon]
        values = pd.to_numeric(raw[source], errors="coerce") if source else pd.NA
        if source:
            bad = raw.loc[
                values.isna() | (values < 0) | ~np.isfinite(values.astype(float)),
                [spec.id, source],
            ]
            if len(bad):
                raise ValueError(
                    f"{path}: {source!r} must be non-negative numbers; {len(bad)} "
                    "row(s) "
                    f"are not, first: {bad.head(3).to_dict('records')}"
                )
        out[canon] = values
    dups = sorted(out.loc[out["region_id"].duplicated(), "region_id"].unique())
    if dups:
        raise ValueError(
            f"{path}: region id(s) {dups[:5]} appear twice for {wanted_year}"
        )
    return out.reset_index(drop=True)
