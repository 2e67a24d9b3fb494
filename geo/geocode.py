"""Geocoding without I/O: normalise places and postcodes, match firms to a gazetteer."""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

TIERS: tuple[str, ...] = ("coordinates", "postcode", "settlement", "fuzzy_settlement")
"""Every match tier `geocode_firms` knows, in its default order."""

SUPPORTED_POSTCODE_COUNTRIES: tuple[str, ...] = ("US", "RU")

# Abbreviations expanded anywhere in a place name (whole words only).
_ABBREVIATIONS: dict[str, str] = {
    "mt": "mount",
    "mtn": "mountain",
    "ft": "fort",
    "twp": "township",
    "tp": "township",
    "hts": "heights",
    "spgs": "springs",
    "spg": "spring",
    "jct": "junction",
    "ctr": "center",
    "isl": "island",
    "is": "island",
    "lk": "lake",
    "vlg": "village",
    "bch": "beach",
    "pt": "point",
    "sta": "station",
}
# Abbreviations expanded only as the first word of a multi-word name
# ("St Marys" is Saint Marys, but "Main St" is a street, not a saint).
_LEADING: dict[str, str] = {
    "st": "saint",
    "ste": "sainte",
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
}
_APOSTROPHES = re.compile(r"['\u2019`]")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def _missing(value: object) -> bool:
    """Tell whether a value is missing (None, NaN, pd.NA or NaT)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def normalise_place(text: object) -> str:
    """Normalise a settlement name for matching.

    Parameters
    ----------
    text : object
        A place name as written (any object; ``None`` and NaN are allowed).

    Returns
    -------
    str
        Casefolded ASCII words separated by single spaces: accents and punctuation
        removed, abbreviations expanded (``mt`` -> ``mount``, ``ft`` -> ``fort``,
        ``twp`` -> ``township``, ...; ``st``/``st.`` -> ``saint`` only as the first
        word of a longer name). ``""`` for ``None``, NaN or blank text.

    Examples
    --------
    >>> normalise_place("  St. Simons   Isl. "), normalise_place(None)
    ('saint simons island', '')
    """
    if _missing(text):
        return ""
    folded = unicodedata.normalize("NFKD", str(text).casefold())
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    words = _NON_WORD.sub(" ", _APOSTROPHES.sub("", ascii_text)).split()
    if not words:
        return ""
    out = [_ABBREVIATIONS.get(w, w) for w in words]
    if len(words) > 1 and words[0] in _LEADING:
        out[0] = _LEADING[words[0]]
    return " ".join(out)


def _digits_to_zip(digits: str) -> str | None:
    """Five-digit ZIP from a digit string that may have lost its leading zeros."""
    if len(digits) <= 5:
        return digits.zfill(5)
    if 7 <= len(digits) <= 9:  # ZIP+4 written as a number: 00501-0001 -> 5010001
        return digits.zfill(9)[:5]
    return None


def normalise_postcode(value: object, *, country: str = "US") -> str | None:
    """Normalise a postal code to its canonical text, or ``None`` when it is not one.

    Parameters
    ----------
    value : object
        The code as read: text, an integer or a float that spreadsheet software made of
        it (``2134.0``), ``None`` or NaN.
    country : str
        ``"US"`` (5-digit ZIP) or ``"RU"`` (6-digit postal index); case-insensitive.

    Returns
    -------
    str or None
        US: the 5-digit ZIP. ZIP+4 (``"30720-1234"``, ``"307201234"``,
        ``"30720 1234"``) gives its first 5 digits; codes that lost leading zeros
        (``"2134"``, ``2134``, ``2134.0``) are zero-padded. RU: exactly 6 digits.
        ``None`` for anything else. Only the format is checked, not whether the code
        exists (``"00000"`` is returned as is).

    Raises
    ------
    ValueError
        If ``country`` is not supported.

    Examples
    --------
    >>> [normalise_postcode(v) for v in ["30720-1234", 2134.0, " 30301 ", "ABC", None]]
    ['30720', '02134', '30301', None, None]
    """
    code = str(country).strip().upper()
    if code not in SUPPORTED_POSTCODE_COUNTRIES:
        raise ValueError(
            f"country {country!r} is not supported for postcodes; use one of "
            f"{list(SUPPORTED_POSTCODE_COUNTRIES)}"
        )
    if _missing(value) or isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, numbers.Integral):
        digits = str(int(value)) if int(value) >= 0 else ""
    elif isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number) or number < 0 or number != math.floor(number):
            return None
        digits = str(int(number))
    else:
        text = str(value).strip()
        if code == "US":
            plus4 = re.fullmatch(r"(\d{1,5})[-\s](\d{4})", text)
            if plus4:
                return plus4.group(1).zfill(5)
        whole = re.fullmatch(r"(\d+)(?:\.0*)?", text)
        digits = whole.group(1) if whole else ""
    if not digits:
        return None
    if code == "RU":
        return digits if len(digits) == 6 else None
    return _digits_to_zip(digits)


def _map_unique(values: pd.Series, func: Callable[[object], object]) -> np.ndarray:
    """Apply ``func`` once per distinct value (missing values included) of a Series."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([func(u) for u in uniques] + [func(None)], dtype=object)
    return mapped[codes]  # code -1 (missing) picks the last element, func(None)


def _text(values: pd.Series, *, upper: bool = False) -> np.ndarray:
    """Return stripped text per row; missing values become ``""``."""

    def clean(v: object) -> str:
        text = "" if _missing(v) else str(v).strip()
        return text.upper() if upper else text

    return _map_unique(values, clean)


def _numbers(values: pd.Series) -> np.ndarray:
    """Return a float per row; missing or unparsable values become NaN."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return pd.to_numeric(values, errors="coerce").to_numpy(float, na_value=np.nan)
    return pd.to_numeric(pd.Series(_text(values)), errors="coerce").to_numpy(
        float, na_value=np.nan
    )


def _require_frame(frame: object, name: str, columns: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame; got {type(frame).__name__}."
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} lacks column(s) {missing}; it has {list(frame.columns)[:10]}. "
            "Rename the columns to the names of docs/data-contract.md."
        )


def _postcode_table(postcodes: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "_postcode": _map_unique(postcodes["postcode"], normalise_postcode),
            "_plat": _numbers(postcodes["lat"]),
            "_plon": _numbers(postcodes["lon"]),
        }
    )
    table = table[table["_postcode"].notna() & np.isfinite(table["_plat"])]
    dup = table["_postcode"].duplicated()
    if dup.any():
        raise ValueError(
            f"postcodes has {int(dup.sum())} duplicated postcode(s), e.g. "
            f"{table.loc[dup, '_postcode'].head(5).tolist()}; a gazetteer needs one "
            "point per postcode: aggregate them first, e.g. "
            "postcodes.groupby('postcode', as_index=False)[['lat', 'lon']].mean()."
        )
    return table


def _settlement_table(settlements: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "_state": _text(settlements["state"], upper=True),
            "_key": _map_unique(settlements["settlement"], normalise_place),
            "_name": _text(settlements["settlement"]),
            "_slat": _numbers(settlements["lat"]),
            "_slon": _numbers(settlements["lon"]),
            "_n": (
                _numbers(settlements["n_postcodes"])
                if "n_postcodes" in settlements
                else np.ones(len(settlements))
            ),
        }
    )
    table = table[(table["_key"] != "") & np.isfinite(table["_slat"])]
    # Two spellings of one place ("St Marys", "Saint Marys") share a key: keep the
    # one backed by more postcodes.
    table = table.sort_values("_n", ascending=False, kind="stable")
    return table.drop_duplicates(["_state", "_key"]).reset_index(drop=True)


def _states_text(states: Sequence[str]) -> str:
    shown = sorted(states)
    return ", ".join(shown[:5]) + (", ..." if len(shown) > 5 else "")


def _fuzzy_lookup(
    pairs: pd.DataFrame, table: pd.DataFrame, min_score: float
) -> pd.DataFrame:
    """Best fuzzy settlement for each unique (state, key) pair.

    Returns ``pairs`` with ``_flat``/``_flon`` (NaN unless accepted), ``_fscore``
    (0..1) and ``_fnote`` (why not accepted, else ``""``).
    """
    pools: dict[str, pd.DataFrame] = dict(tuple(table.groupby("_state", sort=False)))
    choices = {s: g["_key"].tolist() for s, g in pools.items()}
    by_key = table.groupby("_key", sort=False).indices  # key -> positions in table
    choices[""] = list(by_key)
    rows = []
    for state, key in zip(pairs["_state"], pairs["_key"], strict=True):
        if state not in choices:
            rows.append((np.nan, np.nan, np.nan, f"no settlements in {state}"))
            continue
        found = process.extract(
            key, choices[state], scorer=fuzz.token_sort_ratio, processor=None, limit=2
        )
        if not found:
            rows.append((np.nan, np.nan, np.nan, "no settlements to compare with"))
            continue
        best_key, score, where = found[0]
        hits = pools[state].iloc[[where]] if state else table.iloc[by_key[best_key]]
        hit = hits.iloc[0]
        if score < min_score:
            note = f"best fuzzy {hit['_name']!r} {math.floor(score)} < {min_score:g}"
        elif len(found) > 1 and found[1][1] == score:
            note = (
                f"fuzzy tie at {math.floor(score)} between {best_key!r} and "
                f"{found[1][0]!r}; add the postcode"
            )
        elif len(hits) > 1:
            note = (
                f"best fuzzy {hit['_name']!r} is in {len(hits)} states "
                f"({_states_text(hits['_state'])}); give the state"
            )
        else:
            rows.append((hit["_slat"], hit["_slon"], score / 100.0, ""))
            continue
        rows.append((np.nan, np.nan, np.nan, note))
    out = pd.DataFrame(rows, columns=["_flat", "_flon", "_fscore", "_fnote"])
    return pd.concat([pairs.reset_index(drop=True), out], axis=1)


def geocode_firms(
    firms: pd.DataFrame,
    *,
    postcodes: pd.DataFrame,
    settlements: pd.DataFrame,
    tiers: Sequence[str] = TIERS,
    fuzzy_min_score: float = 90.0,
) -> pd.DataFrame:
    """Locate firms by their coordinates, postcode or settlement name, tier by tier.

    Parameters
    ----------
    firms : pandas.DataFrame
        ``firm_id``, ``settlement``, ``postcode``, ``state``, ``lat``, ``lon`` (text as
        read, or typed; empty or NaN when unknown). Not modified.
    postcodes : pandas.DataFrame
        Gazetteer of postcodes: ``postcode``, ``lat``, ``lon`` (WGS84), one row per
        postcode (e.g. `data_sources.gazetteer.us_zip_gazetteer`).
    settlements : pandas.DataFrame
        Gazetteer of settlements: ``state``, ``settlement``, ``lat``, ``lon`` and
        optionally ``n_postcodes`` (e.g. `settlements_from_postcodes`).
    tiers : sequence of str
        Tiers to try, in order; each firm gets the first that matches. Valid:
        ``"coordinates"``, ``"postcode"``, ``"settlement"``, ``"fuzzy_settlement"``.
    fuzzy_min_score : float
        Lowest rapidfuzz score (0..100) a fuzzy settlement match needs.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``firms.index``: ``firm_id``, ``lon``, ``lat`` (WGS84; NaN when
        unmatched), ``match_level`` (the tier, or ``"unmatched"``), ``match_score``
        (1.0 for exact tiers, score/100 for fuzzy, 0.0 unmatched) and
        ``match_reason`` (``""`` when matched, else why every tier failed).

    Raises
    ------
    TypeError
        If an input is not a DataFrame.
    ValueError
        If a tier is unknown, a column is missing, ``fuzzy_min_score`` is outside
        0..100, or a postcode occurs twice in ``postcodes``.

    Notes
    -----
    The coordinates tier takes finite ``lat`` in [-90, 90] and ``lon`` in
    [-180, 180], except (0, 0), a common placeholder for "unknown". Postcodes are
    compared after `normalise_postcode` (US format), settlement names after
    `normalise_place`, within the firm's state when it is given; without a state a
    name must be unique across states. Fuzzy matching scores only the distinct
    unmatched (state, name) pairs against the settlements of that state with
    ``rapidfuzz.fuzz.token_sort_ratio``: it ignores word order ("Simons Island St")
    but, unlike ``WRatio``, does not reward a name for being part of a longer one
    (``WRatio("mount", "mount airy")`` is 90, a false match at the default
    threshold). A tie between two different places is not a match.

    Examples
    --------
    >>> pc = pd.DataFrame({"postcode": ["30720"], "lat": [34.77], "lon": [-84.97]})
    >>> st = pd.DataFrame({"state": ["GA"], "settlement": ["Dalton"],
    ...                    "lat": [34.77], "lon": [-84.97]})
    >>> firms = pd.DataFrame({"firm_id": ["a", "b", "c", "d"],
    ...     "settlement": ["", "", "Daltn", "Atlantis"],
    ...     "postcode": ["", "30720-1234", "", "00000"], "state": "GA",
    ...     "lat": ["34.5", "", "", ""], "lon": ["-84.1", "", "", ""]})
    >>> out = geocode_firms(firms, postcodes=pc, settlements=st)
    >>> out["match_level"].tolist()
    ['coordinates', 'postcode', 'fuzzy_settlement', 'unmatched']
    >>> out["match_score"].round(3).tolist()
    [1.0, 1.0, 0.909, 0.0]
    >>> print(out["match_reason"].iloc[3])
    no coordinates; no postcode '00000' in gazetteer; no settlement 'Atlantis' in GA (best fuzzy 'Dalton' 42 < 90)
    """  # noqa: E501
    order = list(tiers) if not isinstance(tiers, str) else [tiers]
    unknown = [t for t in order if t not in TIERS]
    if unknown or not order:
        raise ValueError(
            f"unknown geocoding tier(s) {unknown or order}; valid tiers are "
            f"{list(TIERS)}, tried in the order given"
        )
    if len(set(order)) != len(order):
        raise ValueError(f"tiers {order} repeats a tier; give each tier at most once")
    if not 0 <= float(fuzzy_min_score) <= 100:
        raise ValueError(
            f"fuzzy_min_score must be a rapidfuzz score between 0 and 100; got "
            f"{fuzzy_min_score}"
        )
    _require_frame(
        firms, "firms", ["firm_id", "settlement", "postcode", "state", "lat", "lon"]
    )
    if "postcode" in order:
        _require_frame(postcodes, "postcodes", ["postcode", "lat", "lon"])
    if {"settlement", "fuzzy_settlement"} & set(order):
        _require_frame(
            settlements, "settlements", ["state", "settlement", "lat", "lon"]
        )

    n = len(firms)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    level = np.full(n, "unmatched", dtype=object)
    score = np.zeros(n)
    open_ = np.ones(n, dtype=bool)  # not yet matched
    notes: list[np.ndarray] = []  # per tier: why it failed (object array of str)

    def assign(
        mask: np.ndarray, la: np.ndarray, lo: np.ndarray, tier: str, sc: np.ndarray
    ) -> None:
        lat[mask], lon[mask], score[mask] = la[mask], lo[mask], sc[mask]
        level[mask] = tier
        open_[mask] = False

    ones = np.ones(n)

    state = _text(firms["state"], upper=True)
    raw_settlement = _text(firms["settlement"])
    key = _map_unique(firms["settlement"], normalise_place)
    stable = None  # settlement table, built once
    exact_note = None

    for tier in order:
        note = np.full(n, "", dtype=object)
        if tier == "coordinates":
            fla, flo = _numbers(firms["lat"]), _numbers(firms["lon"])
            given = np.isfinite(fla) & np.isfinite(flo)
            in_range = given & (np.abs(fla) <= 90) & (np.abs(flo) <= 180)
            null_island = in_range & (fla == 0) & (flo == 0)
            ok = in_range & ~null_island & open_
            assign(ok, fla, flo, tier, ones)
            note[:] = "no coordinates"
            bad = given & ~in_range
            note[bad] = [
                f"coordinates out of range (lat={a:g}, lon={b:g})"
                for a, b in zip(fla[bad], flo[bad], strict=True)
            ]
            note[null_island] = "coordinates (0, 0) taken as a placeholder"
        elif tier == "postcode":
            table = _postcode_table(postcodes)
            norm = _map_unique(firms["postcode"], normalise_postcode)
            raw_pc = _text(firms["postcode"])
            found = pd.DataFrame({"_postcode": norm}).merge(
                table, on="_postcode", how="left"
            )
            pla, plo = found["_plat"].to_numpy(float), found["_plon"].to_numpy(float)
            assign(np.isfinite(pla) & open_, pla, plo, tier, ones)
            is_blank = raw_pc == ""
            invalid = ~is_blank & pd.isna(norm)
            note[is_blank] = "no postcode"
            note[invalid] = [
                f"postcode {p!r} is not a valid US ZIP" for p in raw_pc[invalid]
            ]
            absent = ~is_blank & ~invalid & ~np.isfinite(pla)
            note[absent] = [f"no postcode {p!r} in gazetteer" for p in norm[absent]]
        else:
            if stable is None:
                stable = _settlement_table(settlements)
            if exact_note is None:
                exact_note, exact = _exact_settlements(
                    state, key, raw_settlement, stable
                )
            if tier == "settlement":
                sla, slo = exact
                assign(np.isfinite(sla) & open_, sla, slo, tier, ones)
                note = exact_note
            else:
                note = exact_note.copy()
                todo = open_ & (key != "")
                if todo.any():
                    pairs = (
                        pd.DataFrame({"_state": state[todo], "_key": key[todo]})
                        .drop_duplicates()
                        .reset_index(drop=True)
                    )
                    looked = _fuzzy_lookup(pairs, stable, float(fuzzy_min_score))
                    got = pd.DataFrame({"_state": state, "_key": key}).merge(
                        looked, on=["_state", "_key"], how="left"
                    )
                    fla, flo = (
                        got["_flat"].to_numpy(float),
                        got["_flon"].to_numpy(float),
                    )
                    fsc = got["_fscore"].to_numpy(float)
                    ok = todo & np.isfinite(fla)
                    assign(ok, fla, flo, tier, fsc)
                    fnote = got["_fnote"].to_numpy(object)
                    why = todo & ~ok
                    note[why] = [
                        f"{a} ({b})" for a, b in zip(note[why], fnote[why], strict=True)
                    ]
        notes.append(note)

    reason = np.full(n, "", dtype=object)
    if open_.any():
        parts = [note[open_] for note in notes]
        if "settlement" in order and "fuzzy_settlement" in order:
            # the fuzzy note repeats the exact one with the fuzzy detail: keep only it
            parts.pop(order.index("settlement"))
        reason[open_] = [
            "; ".join(p for p in row if p) for row in zip(*parts, strict=True)
        ]
    return pd.DataFrame(
        {
            "firm_id": firms["firm_id"].to_numpy(),
            "lon": lon,
            "lat": lat,
            "match_level": level,
            "match_score": score,
            "match_reason": reason,
        },
        index=firms.index,
    )


def _exact_settlements(
    state: np.ndarray, key: np.ndarray, raw: np.ndarray, table: pd.DataFrame
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Exact settlement lookup; returns (why-not notes, (lat, lon) with NaN misses)."""
    n = len(key)
    frame = pd.DataFrame({"_state": state, "_key": key})
    with_state = frame.merge(table, on=["_state", "_key"], how="left")
    lat = with_state["_slat"].to_numpy(float).copy()
    lon = with_state["_slon"].to_numpy(float).copy()
    no_state = state == ""
    note = np.full(n, "", dtype=object)
    if no_state.any():
        counts = table.groupby("_key")["_state"].agg(["size", list])
        unique = table[table["_key"].map(counts["size"]).eq(1)]
        by_name = frame.loc[no_state, ["_key"]].merge(unique, on="_key", how="left")
        lat[no_state] = by_name["_slat"].to_numpy(float)
        lon[no_state] = by_name["_slon"].to_numpy(float)
        ambiguous = no_state & ~np.isfinite(lat) & np.isin(key, counts.index)
        note[ambiguous] = [
            f"settlement {r!r} is in {counts.at[k, 'size']} states "
            f"({_states_text(counts.at[k, 'list'])}); give the state"
            for r, k in zip(raw[ambiguous], key[ambiguous], strict=True)
        ]
    miss = ~np.isfinite(lat) & (note == "")
    blank = key == ""
    note[miss & blank] = "no settlement"
    where = np.where(no_state, "gazetteer", "")
    rest = miss & ~blank
    note[rest] = [
        f"no settlement {r!r} in {s or w}"
        for r, s, w in zip(raw[rest], state[rest], where[rest], strict=True)
    ]
    return note, (lat, lon)


def settlements_from_postcodes(postcodes: pd.DataFrame) -> pd.DataFrame:
    """Settlement gazetteer from a postcode gazetteer: one point per named place.

    Parameters
    ----------
    postcodes : pandas.DataFrame
        ``postcode``, ``settlement``, ``state``, ``lat``, ``lon``; rows without
        coordinates are ignored. Not modified.

    Returns
    -------
    pandas.DataFrame
        ``state``, ``settlement``, ``lat``, ``lon`` (mean of the place's postcode
        points) and ``n_postcodes``, one row per (state, settlement), sorted by both.

    Raises
    ------
    ValueError
        If a column is missing.

    Examples
    --------
    >>> pc = pd.DataFrame({"postcode": ["30720", "30721", "30161"],
    ...     "settlement": ["Dalton", "Dalton", "Rome"], "state": "GA",
    ...     "lat": [34.7, 34.8, 34.2], "lon": [-85.0, -84.9, -85.2]})
    >>> out = settlements_from_postcodes(pc)
    >>> out[["settlement", "lat", "n_postcodes"]].values.tolist()
    [['Dalton', 34.75, 2], ['Rome', 34.2, 1]]
    """
    _require_frame(
        postcodes, "postcodes", ["postcode", "settlement", "state", "lat", "lon"]
    )
    frame = pd.DataFrame(
        {
            "state": postcodes["state"].to_numpy(),
            "settlement": postcodes["settlement"].to_numpy(),
            "lat": _numbers(postcodes["lat"]),
            "lon": _numbers(postcodes["lon"]),
        }
    )
    frame = frame[np.isfinite(frame["lat"]) & np.isfinite(frame["lon"])]
    out = frame.groupby(["state", "settlement"], as_index=False, sort=True).agg(
        lat=("lat", "mean"), lon=("lon", "mean"), n_postcodes=("lat", "size")
    )
    out["n_postcodes"] = out["n_postcodes"].astype(int)
    return out
