"""Regional statistics readers: population and total employment per region and year."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from data_sources.study import StatisticsSpec


def read_statistics(spec: StatisticsSpec, *, year: int) -> pd.DataFrame:
    """Read regional statistics as ``region_id``, ``year``, ``population``,
    ``total_employment`` for the study year.

    Raises
    ------
    ValueError
        If the file or a named column is missing, values are not numbers, or the
        year has no rows.
    """
    path = Path(spec.path)
    if not path.is_file():
        raise ValueError(f"statistics.path: file not found: {path}")
    raw = pd.read_csv(path, dtype={spec.id: str})
    wanted = {
        "region_id": spec.id,
        "population": spec.population,
        "total_employment": spec.total_employment,
    }
    missing = [col for col in wanted.values() if col is not None and col not in raw]
    if missing:
        raise ValueError(
            f"{path}: column(s) {missing} not found; the file has {list(raw.columns)}. "
            "Name the columns under statistics: in the study file"
        )
    wanted_year = spec.year or year
    if "year" in raw.columns:
        raw = raw[raw["year"] == wanted_year]
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
            bad = raw.loc[values.isna() | (values < 0), [spec.id, source]]
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
