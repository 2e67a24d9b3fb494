"""Industry classifications: code forms, levels, aggregation, validation, crosswalk."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

SCHEMES = ("naics", "nace", "okved", "sic")
SCHEME_NAMES = {
    "naics": "NAICS",
    "nace": "NACE Rev.2",
    "okved": "OKVED2",
    "sic": "US SIC",
}
# Level names and depths. NAICS depth is the number of digits (2 = sector);
# NACE Rev.2, OKVED2 and US SIC count from the letter section (division) as 1.
# OKVED2 uses the NACE Rev.2 names in English: its Russian "класс" (NN) is the NACE
# division, "подкласс" (NN.N) the group, "группа" (NN.NN) the class, and the national
# levels NN.NN.N and NN.NN.NN are called subclass and detail here.
LEVELS: dict[str, dict[str, int]] = {
    "naics": {
        "sector": 2,
        "subsector": 3,
        "industry_group": 4,
        "naics_industry": 5,
        "national_industry": 6,
    },
    "nace": {"section": 1, "division": 2, "group": 3, "class": 4},
    "okved": {
        "section": 1,
        "division": 2,
        "group": 3,
        "class": 4,
        "subclass": 5,
        "detail": 6,
    },
    "sic": {"division": 1, "major_group": 2, "industry_group": 3, "industry": 4},
}
CODE_FORMATS = {
    "naics": "2 to 6 digits, or a sector range such as 31-33",
    "nace": "a section letter A-U, or NN, NN.N or NN.NN",
    "okved": "a section letter A-U, or NN, NN.N, NN.NN, NN.NN.N or NN.NN.NN",
    "sic": "a division letter A-K, or 2 to 4 digits",
}
_PATTERNS = {
    "naics": r"\d{2,6}|\d{2}-\d{2}",
    "nace": r"[A-U]|\d{2}(?:\.\d{1,2})?",
    "okved": r"[A-U]|\d{2}(?:\.\d{1,2}|\.\d{2}\.\d{1,2})?",
    "sic": r"[A-K]|\d{2,4}",
}
# Sections of NACE Rev.2 (and OKVED2, built on it) as ranges of their divisions;
# the ranges hold exactly the 88 divisions (the gaps 04, 34, 40, ... fall outside).
NACE_SECTIONS: dict[str, tuple[int, int]] = {
    "A": (1, 3),
    "B": (5, 9),
    "C": (10, 33),
    "D": (35, 35),
    "E": (36, 39),
    "F": (41, 43),
    "G": (45, 47),
    "H": (49, 53),
    "I": (55, 56),
    "J": (58, 63),
    "K": (64, 66),
    "L": (68, 68),
    "M": (69, 75),
    "N": (77, 82),
    "O": (84, 84),
    "P": (85, 85),
    "Q": (86, 88),
    "R": (90, 93),
    "S": (94, 96),
    "T": (97, 98),
    "U": (99, 99),
}
# Divisions of the 1987 US SIC as ranges of their two-digit major groups.
SIC_DIVISIONS: dict[str, tuple[int, int]] = {
    "A": (1, 9),
    "B": (10, 14),
    "C": (15, 17),
    "D": (20, 39),
    "E": (40, 49),
    "F": (50, 51),
    "G": (52, 59),
    "H": (60, 67),
    "I": (70, 89),
    "J": (91, 97),
    "K": (99, 99),
}
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
# Characters kept from each dotted code to reach a level (NACE/OKVED): 01.11.11
_DOTTED_WIDTH = {2: 2, 3: 4, 4: 5, 5: 7, 6: 8}


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise ValueError(
            f"classification scheme {scheme!r} is not supported; use one of "
            f"{list(SCHEMES)}"
        )


def level_number(level: int | str, *, scheme: str) -> int:
    """Return the depth of a classification level given by name or number.

    Parameters
    ----------
    level : int or str
        A level name of the scheme (``"division"``, ``"sector"``, ...) or its depth:
        NAICS digits 2..6; NACE 1..4, OKVED2 1..6, SIC 1..4 (1 = letter section).
    scheme : str
        ``"naics"``, ``"nace"``, ``"okved"`` or ``"sic"``.

    Returns
    -------
    int
        The depth.

    Raises
    ------
    ValueError
        If the scheme or the level is unknown to it.

    Examples
    --------
    >>> level_number("division", scheme="nace"), level_number(4, scheme="naics")
    (2, 4)
    """
    _check_scheme(scheme)
    names = LEVELS[scheme]
    if isinstance(level, str) and not level.isdigit():
        if level not in names:
            raise ValueError(
                f"{SCHEME_NAMES[scheme]} has no level {level!r}; use one of "
                f"{list(names)} or a depth {sorted(names.values())}"
            )
        return names[level]
    depth = int(level)
    if depth not in names.values():
        raise ValueError(
            f"{SCHEME_NAMES[scheme]} level must be one of {sorted(names.values())} "
            f"({', '.join(f'{v} = {k}' for k, v in names.items())}); got {level!r}"
        )
    return depth


def normalise_codes(codes: pd.Series, *, scheme: str) -> pd.Series:
    """Write industry codes in the classification's canonical form.

    Parameters
    ----------
    codes : pandas.Series
        Codes as text. Not modified. Missing and empty values become missing.
    scheme : str
        ``"naics"``, ``"nace"``, ``"okved"`` or ``"sic"``.

    Returns
    -------
    pandas.Series
        Text codes aligned with ``codes``: whitespace removed; NACE Rev.2 and OKVED2
        codes dotted (``"0111"`` -> ``"01.11"``, ``"C25.11"`` -> ``"25.11"``) and
        section letters upper case. Malformed codes are returned stripped, so
        :func:`code_problems` can show them.

    Raises
    ------
    ValueError
        If the scheme is unknown.

    Examples
    --------
    >>> normalise_codes(pd.Series(["0111", " 47.89.2", "c25.11", None]),
    ...                 scheme="okved").tolist()
    ['01.11', '47.89.2', '25.11', <NA>]
    """
    _check_scheme(scheme)
    text = codes.astype("string").str.replace(r"\s+", "", regex=True)
    text = text.mask(text == "")
    if scheme in ("nace", "okved"):
        text = text.str.upper()
        text = text.str.replace(r"^[A-U]\.?(?=\d)", "", regex=True)
        digits = text.str.fullmatch(r"\d{2,6}").fillna(False)
        undotted = text[digits]
        dotted = undotted.str.slice(0, 2)
        for start, stop in ((2, 4), (4, 6)):
            part = undotted.str.slice(start, stop)
            dotted = dotted.where(part == "", dotted + "." + part)
        text = text.where(~digits, dotted)
    elif scheme == "sic":
        text = text.str.upper()
    return text


def code_levels(codes: pd.Series, *, scheme: str) -> pd.Series:
    """Depth of each code in its classification, from its form.

    Parameters
    ----------
    codes : pandas.Series
        Codes in canonical form (see :func:`normalise_codes`). Not modified.
    scheme : str
        ``"naics"``, ``"nace"``, ``"okved"`` or ``"sic"``.

    Returns
    -------
    pandas.Series
        ``Int64`` depths aligned with ``codes`` (see :func:`level_number`); missing
        where the code is missing or malformed.

    Examples
    --------
    >>> code_levels(pd.Series(["C", "25", "25.1", "25.11", "2x"]),
    ...             scheme="nace").tolist()
    [1, 2, 3, 4, <NA>]
    """
    _check_scheme(scheme)
    text = codes.astype("string")
    ok = text.str.fullmatch(_PATTERNS[scheme]).fillna(False).astype(bool)
    length = text.str.len()
    if scheme == "naics":
        depth = length.where(~text.str.contains("-", regex=False).fillna(False), 2)
    elif scheme == "sic":
        depth = length.where(length > 1, 1)
    else:
        n = length.fillna(0).to_numpy(dtype=int)
        depth = pd.Series(
            np.select([n == 1, n == 2, n == 4, n == 5, n == 7], [1, 2, 3, 4, 5], 6),
            index=text.index,
        )
    return depth.where(ok).astype("Int64")


def _section_of(numbers: pd.Series, ranges: dict[str, tuple[int, int]]) -> pd.Series:
    out = pd.Series(pd.NA, index=numbers.index, dtype="string")
    for letter, (low, high) in ranges.items():
        out = out.mask(numbers.between(low, high).fillna(False), letter)
    return out


def aggregate_codes(
    codes: pd.Series, *, level: int | str, scheme: str = "naics"
) -> pd.Series:
    """Aggregate industry codes to a coarser level of their classification.

    Parameters
    ----------
    codes : pandas.Series
        Codes as text (e.g. NAICS ``"314110"``, NACE ``"25.11"`` or ``"2511"``,
        OKVED2 ``"47.89.2"``, SIC ``"7372"``). Not modified. Missing stays missing.
    level : int or str
        Target level, by name or depth (see :func:`level_number`): NAICS 2..6 digits;
        NACE/OKVED2 ``"section"``, ``"division"``, ``"group"``, ``"class"``; SIC
        ``"division"``, ``"major_group"``, ``"industry_group"``, ``"industry"``.
    scheme : str
        ``"naics"`` (default), ``"nace"``, ``"okved"`` or ``"sic"``.

    Returns
    -------
    pandas.Series
        The aggregated codes in canonical form, aligned with ``codes``; codes
        coarser than ``level`` or malformed become missing (they cannot be placed).

    Raises
    ------
    ValueError
        If the scheme or the level is unknown.

    Examples
    --------
    >>> aggregate_codes(pd.Series(["314110", "311615", "31"]), level=4).tolist()
    ['3141', '3116', nan]
    >>> aggregate_codes(pd.Series(["314110", "445110"]), level=2).tolist()
    ['31-33', '44-45']
    >>> aggregate_codes(pd.Series(["47.89.2", "2511"]), level="section",
    ...                 scheme="okved").tolist()
    ['G', 'C']
    """
    depth = level_number(level, scheme=scheme)
    if scheme == "naics":
        text = codes.astype("string").str.strip()
        out = text.str.slice(0, depth).where(text.str.len() >= depth)
        if depth == 2:
            out = out.map(lambda c: NAICS_SPLIT_SECTORS.get(c, c), na_action="ignore")
        return out.astype(object).where(out.notna(), float("nan"))
    text = normalise_codes(codes, scheme=scheme)
    have = code_levels(text, scheme=scheme)
    placeable = (have >= depth).fillna(False).astype(bool)
    if depth == 1:
        ranges = SIC_DIVISIONS if scheme == "sic" else NACE_SECTIONS
        numbers = pd.to_numeric(text.str.slice(0, 2), errors="coerce")
        out = _section_of(numbers, ranges).where(have > 1, text)
    elif scheme == "sic":
        out = text.str.slice(0, depth)
    else:
        out = text.str.slice(0, _DOTTED_WIDTH[depth])
    out = out.where(placeable)
    return out.astype(object).where(out.notna(), float("nan"))


def code_problems(
    codes: pd.Series, valid: Collection[str], *, scheme: str
) -> pd.Series:
    """Say, per code, why it is not a code of the classification (empty if it is).

    Parameters
    ----------
    codes : pandas.Series
        Codes as text. Not modified. Missing codes have no problem here (the caller
        decides whether a code is required).
    valid : collection of str
        The codes of the classification at every level it lists. When the list
        stops at a level (say NACE divisions), finer codes are judged by their form
        and by their ancestor at that level.
    scheme : str
        ``"naics"``, ``"nace"``, ``"okved"`` or ``"sic"``.

    Returns
    -------
    pandas.Series
        Text aligned with ``codes``: ``""`` for a known code, else the code quoted and
        what is wrong, e.g. ``"'99.99' is not a NACE Rev.2 code"``.

    Raises
    ------
    ValueError
        If the scheme is unknown.

    Examples
    --------
    >>> code_problems(pd.Series(["47.11", "48.11", "4x"]), {"G", "47"},
    ...               scheme="nace").tolist()  # the list stops at divisions
    ['', "'48.11' is not a NACE Rev.2 code", "'4x' is not a well-formed NACE Rev.2 code (expected a section letter A-U, or NN, NN.N or NN.NN)"]
    """  # noqa: E501
    _check_scheme(scheme)
    name = SCHEME_NAMES[scheme]
    raw = codes.astype("string").str.strip()
    if scheme == "naics":
        text = raw
        valid_text = pd.Series(sorted(set(valid)), dtype="string")
    else:
        text = normalise_codes(codes, scheme=scheme)
        valid_text = normalise_codes(pd.Series(sorted(set(valid))), scheme=scheme)
    valid_set = set(valid_text.dropna())
    have = code_levels(text, scheme=scheme)
    finest = code_levels(valid_text, scheme=scheme).max()
    known = text.isin(valid_set).fillna(False).astype(bool)
    if scheme != "naics" and not pd.isna(finest):
        finer = (have > finest).fillna(False).astype(bool)
        ancestor = aggregate_codes(text.where(finer), level=int(finest), scheme=scheme)
        known = known | (finer & pd.Series(ancestor, index=text.index).isin(valid_set))
    malformed = text.notna() & have.isna()
    quoted = raw.astype(object).map(repr, na_action="ignore")
    out = pd.Series("", index=codes.index, dtype=object)
    article = "an" if scheme == "okved" else "a"
    out = out.mask(text.notna() & ~known, quoted + f" is not {article} {name} code")
    out = out.mask(
        malformed,
        quoted + f" is not a well-formed {name} code (expected {CODE_FORMATS[scheme]})",
    )
    return out.fillna("")


def unknown_codes(
    codes: pd.Series, valid: Collection[str], *, scheme: str | None = None
) -> pd.Series:
    """Flag codes that are present but not in the classification.

    Parameters
    ----------
    codes : pandas.Series
        Codes as text. Not modified.
    valid : collection of str
        The codes of the classification.
    scheme : str, optional
        When given, codes are normalised and judged as :func:`code_problems` does;
        otherwise they must be in ``valid`` exactly (after stripping blanks).

    Returns
    -------
    pandas.Series
        Booleans aligned with ``codes``; missing codes are not flagged.

    Examples
    --------
    >>> unknown_codes(pd.Series(["314110", "999999", None]), {"314110"}).tolist()
    [False, True, False]
    """
    if scheme is not None:
        return code_problems(codes, valid, scheme=scheme) != ""
    valid_set = set(valid)
    text = codes.astype("string").str.strip()
    return (text.notna() & ~text.isin(valid_set)).fillna(False).astype(bool)


def okved_to_nace(codes: pd.Series, *, level: int | str = "division") -> pd.Series:
    """NACE Rev.2 code of each OKVED2 code at section or division level.

    Parameters
    ----------
    codes : pandas.Series
        OKVED2 codes at any level, as text. Not modified.
    level : int or str
        ``"section"`` (1) or ``"division"`` (2). OKVED2 (OK 029-2014) was built on
        NACE Rev.2: its sections and divisions are NACE's, code for code.

    Returns
    -------
    pandas.Series
        NACE Rev.2 codes aligned with ``codes``; missing where the OKVED2 code is
        missing, malformed, or its division is not a NACE Rev.2 division.

    Raises
    ------
    ValueError
        If ``level`` is finer than division: no concordance below division is
        bundled, so aggregate to divisions first.

    Examples
    --------
    >>> okved_to_nace(pd.Series(["47.89.2", "01.11.11", "04.1"])).tolist()
    ['47', '01', nan]
    """
    depth = level_number(level, scheme="okved")
    if depth > 2:
        raise ValueError(
            f"OKVED2 -> NACE Rev.2 is bundled at section and division level only; "
            f"got level {level!r}. Use level='division' or 'section'"
        )
    divisions = aggregate_codes(codes, level=2, scheme="okved")
    numbers = pd.to_numeric(pd.Series(divisions, index=codes.index), errors="coerce")
    in_nace = _section_of(numbers, NACE_SECTIONS).notna()
    if depth == 2:
        out = pd.Series(divisions, index=codes.index).where(in_nace)
    else:
        sections = aggregate_codes(codes, level=1, scheme="okved")
        text = normalise_codes(codes, scheme="okved")
        letter = code_levels(text, scheme="okved") == 1
        out = pd.Series(sections, index=codes.index).where(
            in_nace | letter.fillna(False)
        )
    return out.astype(object).where(out.notna(), float("nan"))
