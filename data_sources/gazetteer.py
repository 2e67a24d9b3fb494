"""Offline US ZIP code gazetteer (from the ``zipcodes`` package) for geocoding."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
import zipcodes

from geo.geocode import settlements_from_postcodes

__all__ = ["settlements_from_postcodes", "us_zip_gazetteer"]

GAZETTEER_COLUMNS = ["postcode", "settlement", "state", "county", "lat", "lon"]


@lru_cache(maxsize=1)
def _all_zips() -> pd.DataFrame:
    """Read every ZIP of the ``zipcodes`` package once (about 0.3 s)."""
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
    wanted = [states] if isinstance(states, str) else states
    if not isinstance(wanted, Iterable) or not all(isinstance(s, str) for s in wanted):
        raise TypeError(
            f"states must be two-letter state codes (a str or a sequence of str); got "
            f"{states!r}"
        )
    codes = sorted({s.strip().upper() for s in wanted})
    known = set(table["state"])
    unknown = [s for s in codes if s not in known]
    if unknown:
        raise ValueError(
            f"no ZIP codes for state(s) {unknown}; use two-letter USPS codes such as "
            f"'GA' (known: {len(known)} codes)"
        )
    return table[table["state"].isin(codes)].reset_index(drop=True)
