"""Industry codes: aggregation to a classification level and membership checks."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

# NAICS sectors that span several two-digit codes; the classification names them so.
NAICS_SPLIT_SECTORS = {
    "31": "31-33",
    "32": "31-33",
    "33": "31-33",
    "44": "44-45",
    "45": "44-45",
    "48": "48-49",
    "49": "48-49",
}


def aggregate_codes(
    codes: pd.Series, *, level: int, scheme: str = "naics"
) -> pd.Series:
    """Aggregate industry codes to a coarser level of their classification.

    Parameters
    ----------
    codes : pandas.Series
        Codes as text (e.g. NAICS ``"314110"``). Not modified. Missing stays missing.
    level : int
        Number of digits to keep (NAICS: 2 sector .. 6 national industry).
    scheme : str
        Classification; only ``"naics"`` for now.

    Returns
    -------
    pandas.Series
        The aggregated codes, aligned with ``codes``; codes shorter than ``level``
        become missing (they cannot be placed at that level).

    Raises
    ------
    ValueError
        If the scheme is unknown or the level is outside 2..6.

    Examples
    --------
    >>> aggregate_codes(pd.Series(["314110", "311615", "31"]), level=4).tolist()
    ['3141', '3116', nan]
    >>> aggregate_codes(pd.Series(["314110", "445110"]), level=2).tolist()
    ['31-33', '44-45']
    """
    if scheme != "naics":
        raise ValueError(
            f"classification scheme {scheme!r} is not supported; use 'naics'"
        )
    if not 2 <= level <= 6:
        raise ValueError(f"NAICS level must be 2..6 digits; got {level}")
    text = codes.astype("string").str.strip()
    out = text.str.slice(0, level).where(text.str.len() >= level)
    if level == 2:
        out = out.map(lambda c: NAICS_SPLIT_SECTORS.get(c, c), na_action="ignore")
    return out.astype(object).where(out.notna(), float("nan"))


def unknown_codes(codes: pd.Series, valid: Collection[str]) -> pd.Series:
    """Flag codes that are present but not in the classification.

    Examples
    --------
    >>> unknown_codes(pd.Series(["314110", "999999", None]), {"314110"}).tolist()
    [False, True, False]
    """
    valid_set = set(valid)
    text = codes.astype("string").str.strip()
    return (text.notna() & ~text.isin(valid_set)).fillna(False).astype(bool)
