"""Validation of registry rows: typed firms out, bad rows quarantined with reasons."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from geo.classification import SCHEME_NAMES, aggregate_codes, code_problems

MAX_PLAUSIBLE_EMPLOYEES = 500_000
EARLIEST_FOUNDING_YEAR = 1600


def _quoted(values: pd.Series) -> pd.Series:
    """Each value as it would be typed (``'abc'``), or empty text where missing."""
    return values.astype(object).map(lambda v: repr(v) if isinstance(v, str) else "")


def _year_text(values: pd.Series) -> pd.Series:
    # 'inf' parses as a number; it is shown as written, not converted to int
    return values.astype(object).map(
        lambda v: "" if pd.isna(v) else str(int(v)) if np.isfinite(v) else str(v)
    )


def _whole_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse text to whole numbers; return (numbers, mask of present-but-unparsable)."""
    text = values.astype("string").str.strip().replace("", pd.NA)
    numbers = pd.to_numeric(text, errors="coerce")
    not_whole = numbers.notna() & (numbers != np.floor(numbers))
    bad = (text.notna() & numbers.isna()) | not_whole
    return numbers.where(~bad).astype("Float64"), bad.fillna(False).astype(bool)


def validate_registry(
    raw: pd.DataFrame,
    *,
    valid_codes: Collection[str],
    level: int | str,
    scheme: str = "naics",
    year: int,
    max_employees: int = MAX_PLAUSIBLE_EMPLOYEES,
    employees_required: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a raw registry into validated firms and rejected rows with reasons.

    Parameters
    ----------
    raw : pandas.DataFrame
        Registry rows as read (text values), with the canonical columns of
        ``docs/data-contract.md`` and ``source_row``. Not modified.
        A non-empty ``read_problem`` column (set by a registry adapter for rows it
        could not read, e.g. a point geometry that is a polygon) rejects the row.
    valid_codes : collection of str
        Every code of the classification (all levels it lists; codes finer than the
        finest listed level are judged by their form and their ancestor).
    level : int or str
        Classification level the study analyses: NAICS digits, or a level name or
        depth of NACE Rev.2, OKVED2 or US SIC (see ``geo.classification``).
    scheme : str
        ``"naics"``, ``"nace"``, ``"okved"`` or ``"sic"``.
    year : int
        Study year; founding years after it are errors.
    max_employees : int
        Largest plausible head count of one firm.
    employees_required : bool
        When False (registries without head counts, such as the Russian SME
        register), an empty ``employees`` stays missing instead of being rejected.

    Returns
    -------
    validated : pandas.DataFrame
        Typed rows (``employees`` Int64, ``founded``/``closed`` Int64, ``lat``/``lon``
        float) plus ``industry`` (the code at ``level``).
    rejected : pandas.DataFrame
        The raw rows that failed, plus ``reason``: every problem of the row, each naming
        the field, the value found and the fix, separated by ``" | "``.

    Notes
    -----
    Every input row lands in exactly one of the two outputs. Of rows that share a
    ``firm_id``, the first is judged on its own merits and the later ones are rejected.

    Examples
    --------
    >>> raw = pd.DataFrame({"firm_id": ["a", "b", "b"], "source_row": [1, 2, 3],
    ...     "industry_code": ["314110", "999999", "314110"],
    ...     "employees": ["12", "-3", "4"], "founded": ["1990", "", ""],
    ...     "closed": ["", "", ""], "lat": ["", "", ""], "lon": ["", "", ""]})
    >>> ok, bad = validate_registry(raw, valid_codes={"314110", "3141"}, level=4,
    ...                              year=2024)
    >>> ok["industry"].tolist(), bad["firm_id"].tolist()
    (['3141'], ['b', 'b'])
    >>> print(bad["reason"].iloc[1])
    firm_id: 'b' duplicates source row 2; registry ids must be unique
    """
    missing = [c for c in ("firm_id", "industry_code", "employees") if c not in raw]
    if missing:
        raise ValueError(
            f"registry lacks column(s) {missing}; map them in the study file under "
            "registry.columns (canonical name: column in the file)"
        )
    frame = raw.copy()
    for optional in ("founded", "closed", "lat", "lon"):
        if optional not in frame:
            frame[optional] = pd.NA
    if "source_row" not in frame:
        frame["source_row"] = np.arange(1, len(frame) + 1)
    reasons: list[pd.Series] = []

    def flag(mask: pd.Series, message: pd.Series | str) -> None:
        text = (
            message
            if isinstance(message, pd.Series)
            else pd.Series(message, frame.index)
        )
        reasons.append(text.where(mask))

    ids = frame["firm_id"].astype("string").str.strip()
    flag(ids.isna() | (ids == ""), "firm_id: empty; every firm needs a registry id")
    first_row = frame.groupby(ids, dropna=True)["source_row"].transform("first")
    dup = ids.notna() & ids.duplicated(keep="first")
    flag(
        dup,
        "firm_id: "
        + _quoted(ids)
        + " duplicates source row "
        + _year_text(first_row)
        + "; registry ids must be unique",
    )

    if "read_problem" in frame:
        problem = frame["read_problem"].astype("string").fillna("")
        flag(problem != "", problem)

    name = SCHEME_NAMES.get(scheme, scheme.upper())
    codes = frame["industry_code"].astype("string").str.strip().replace("", pd.NA)
    flag(
        codes.isna(),
        f"industry_code: empty; give the {name} code of the firm's main activity",
    )
    problems = code_problems(codes, valid_codes, scheme=scheme)
    unknown = problems != ""
    flag(
        unknown,
        "industry_code: " + problems + "; correct it or change classification.scheme",
    )
    industry = pd.Series(
        aggregate_codes(codes, level=level, scheme=scheme), index=frame.index
    )
    coarse = codes.notna() & ~unknown & industry.isna()
    finer = f"{level}-digit" if isinstance(level, int) else f"{level}-level"
    flag(
        coarse,
        "industry_code: "
        + _quoted(codes)
        + f" is coarser than the study's level {level}; give a {finer} or finer "
        "code, or lower classification.level",
    )

    employees, bad_emp = _whole_numbers(frame["employees"])
    emp_text = _quoted(frame["employees"].astype("string"))
    if employees_required:
        flag(
            employees.isna() & ~bad_emp,
            "employees: empty; give the head count (0 for firms without staff)",
        )
    flag(bad_emp, "employees: " + emp_text + " is not a whole number")
    flag(
        employees.lt(0).fillna(False),
        "employees: " + emp_text + " is negative; head counts are >= 0",
    )
    flag(
        employees.gt(max_employees).fillna(False),
        "employees: "
        + emp_text
        + f" exceeds {max_employees:,}, more than any plausible firm; check the units",
    )

    founded, bad_founded = _whole_numbers(frame["founded"])
    closed, bad_closed = _whole_numbers(frame["closed"])
    for name, values, bad in (
        ("founded", founded, bad_founded),
        ("closed", closed, bad_closed),
    ):
        text = _quoted(frame[name].astype("string"))
        out_of_range = values.notna() & (
            values.lt(EARLIEST_FOUNDING_YEAR)
            | values.gt(year if name == "founded" else 2200)
        )
        flag(
            bad | out_of_range.fillna(False),
            f"{name}: " + text + f" is not a year between {EARLIEST_FOUNDING_YEAR} and "
            f"{year if name == 'founded' else 2200}",
        )
    flag(
        (closed < founded).fillna(False),
        "closed: "
        + _year_text(closed)
        + " is before founded "
        + _year_text(founded)
        + "; check both years",
    )

    for coord in ("lat", "lon"):
        text = frame[coord].astype("string").str.strip().replace("", pd.NA)
        number = pd.to_numeric(text, errors="coerce")
        flag(
            (text.notna() & number.isna()).fillna(False).astype(bool),
            f"{coord}: "
            + _quoted(frame[coord].astype("string"))
            + " is not a number; give decimal degrees (WGS84) or leave it empty",
        )

    reason = (
        pd.concat(reasons, axis=1).apply(
            lambda row: " | ".join(r for r in row if isinstance(r, str)), axis=1
        )
        if reasons
        else pd.Series("", index=frame.index)
    )
    bad_rows = reason != ""

    rejected = raw.loc[bad_rows].copy()
    if "source_row" not in rejected:
        rejected["source_row"] = frame.loc[bad_rows, "source_row"]
    rejected["reason"] = reason[bad_rows]

    validated = frame.loc[~bad_rows].drop(columns="read_problem", errors="ignore")
    validated["firm_id"] = ids[~bad_rows].astype(str)
    validated["industry_code"] = codes[~bad_rows].astype(str)
    validated["industry"] = industry[~bad_rows].astype(str)
    validated["employees"] = employees[~bad_rows].astype("Int64")
    validated["founded"] = founded[~bad_rows].astype("Int64")
    validated["closed"] = closed[~bad_rows].astype("Int64")
    for coord in ("lat", "lon"):
        validated[coord] = pd.to_numeric(
            validated[coord].astype("string").str.strip(), errors="coerce"
        ).astype(float)
    return validated.reset_index(drop=True), rejected.reset_index(drop=True)


def active_in_year(firms: pd.DataFrame, year: int) -> pd.Series:
    """Firms operating in ``year``: founded by then (or unknown) and not yet closed.

    Examples
    --------
    >>> f = pd.DataFrame({"founded": pd.array([1990, 2030, None], dtype="Int64"),
    ...                   "closed": pd.array([2020, None, None], dtype="Int64")})
    >>> active_in_year(f, 2024).tolist()
    [False, False, True]
    """
    founded_ok = firms["founded"].isna() | (firms["founded"] <= year)
    open_ok = firms["closed"].isna() | (firms["closed"] > year)
    return (founded_ok & open_ok).fillna(False).astype(bool)
