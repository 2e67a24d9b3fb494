"""Corporate group links (headquarters -> subsidiary) from companydata.com samples."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from data_sources.interactions import (
    ACTOR_COLUMNS,
    REJECTED_COLUMNS,
    TIE_COLUMNS,
    none_if_empty,
)

ID_COLUMN = "ID"
NAME_COLUMN = "Company Name"
INDUSTRY_COLUMN = "Business Category Code 1"
"""US SIC 1987, 4 digits."""
FOUNDED_COLUMN = "Founding Year"
HQ_LEVELS: tuple[tuple[str, str, str], ...] = (
    ("local", "Local Headquarter ID Number", "Local Headquarter Company Name"),
    ("national", "National Headquarter ID Number", "National Headquarter Company Name"),
    ("global", "Global Headquarter ID Number", "Global Headquarter Company Name"),
)
"""(level, id column, name column), from the nearest headquarters to the farthest."""

REQUIRED_COLUMNS = (
    ID_COLUMN,
    NAME_COLUMN,
    INDUSTRY_COLUMN,
    FOUNDED_COLUMN,
    *(level[1] for level in HQ_LEVELS),
)
"""Columns the file must have (the other 40-odd columns are not read)."""

UNKNOWN_FOUNDING = ("", "0")
"""Founding-year values that mean 'unknown' in these files."""


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ValueError(
            f"{path}: file not found. The city samples live in "
            "../shared/data/firms/companydata_cc0/<city>-business-dataset-sample.csv."
        )
    frame = pd.read_csv(
        path, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    frame.columns = [str(c).strip() for c in frame.columns]
    if ID_COLUMN not in frame.columns and frame.columns[0] == "":
        warnings.warn(
            f"{path.name}: the first column has a blank header; read it as "
            f"{ID_COLUMN!r} (the company id), as in the other city files.",
            UserWarning,
            stacklevel=3,
        )
        frame = frame.rename(columns={"": ID_COLUMN})
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{path}: column(s) {missing} not found; found {list(frame.columns)[:8]}"
            "... Is this a companydata.com business-dataset sample (';'-separated)?"
        )
    return frame.apply(lambda c: c.str.strip())


def read_companydata_group_links(
    path: str | Path, *, year: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Firms of a companydata.com city sample as actors, their group links as ties.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``<city>-business-dataset-sample.csv``: ';'-separated, UTF-8 with BOM,
        one row per firm with its local, national and global headquarters ids.
    year : int, optional
        Year the sample describes, given to every tie. Default: the latest founding
        year in the file (the snapshot cannot be older); pass the real one if known.

    Returns
    -------
    actors : pandas.DataFrame
        The columns of ``data_sources.interactions.ACTOR_COLUMNS`` plus
        ``source_row``: one ``firm`` actor per valid row (``actor_id`` = ``firm_id``
        = the file's ``ID``; ``industry`` = the 4-digit US SIC code; ``founded``
        Int64, empty when the file says 0 or nothing; ``region_id`` empty: join the
        firm's location through ``firm_id``), then one ``firm`` actor per
        headquarters that has no row of its own (named from the headquarters name
        column; ``firm_id``, ``industry``, ``founded`` and ``source_row`` empty).
    ties : pandas.DataFrame
        ``TIE_COLUMNS`` plus ``source_row`` (the first row that gave the link):
        ``group_link`` ties from parent to subsidiary, ``weight`` 1.0,
        ``via_coordinator`` False, ``year`` as above. Each distinct link once.
    rejected : pandas.DataFrame
        ``file``, ``source_row``, ``record`` and ``reason`` of the rows not used.

    Raises
    ------
    ValueError
        If the file is missing or lacks a required column, or no year dates it.
    TypeError
        If ``year`` is not an integer.

    Warns
    -----
    UserWarning
        When the id column has a blank header (the Amsterdam file) and is read as
        ``ID``.

    Notes
    -----
    A row's headquarters ids, from local to national to global, minus its own id
    and repeats, form a chain ``firm <- h1 <- h2 <- h3``: one tie ``h1 -> firm``,
    one ``h2 -> h1``, one ``h3 -> h2``. Rows are rejected when the id is empty,
    not a whole number (e.g. turned into ``2,7E+08`` by a spreadsheet) or repeats
    an earlier row's, when a headquarters id is not a whole number, or when the
    founding year is not a year or lies after ``year``. Revenue and employee
    columns (decimal commas) are not read.

    Examples
    --------
    >>> import tempfile
    >>> head = ";".join(["ID", "Company Name", "Business Category Code 1",
    ...     "Founding Year", "Local Headquarter ID Number",
    ...     "National Headquarter ID Number", "Global Headquarter ID Number"])
    >>> rows = ["11;Sub;2273;1990;22;33;33", "22;Parent;6719;0;22;33;33"]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = Path(tmp) / "x.csv"
    ...     _ = p.write_text("\\n".join([head, *rows]), encoding="utf-8-sig")
    ...     actors, ties, bad = read_companydata_group_links(p, year=2024)
    >>> list(zip(ties["source"], ties["target"]))
    [('22', '11'), ('33', '22')]
    """
    path = Path(path)
    if year is not None and (
        isinstance(year, bool) or not isinstance(year, int | np.integer)
    ):
        raise TypeError(f"year must be an integer year or None; got {year!r}.")
    raw = _read(path)
    ids = raw[ID_COLUMN]
    reasons = pd.Series("", index=raw.index, dtype=object)

    def add(mask: pd.Series, text: pd.Series | str) -> None:
        nonlocal reasons
        reasons = reasons.where(~mask, reasons + text + "; ")

    add(ids == "", f"{ID_COLUMN}: empty; every firm needs its id")
    not_id = (ids != "") & ~ids.str.fullmatch(r"\d+")
    add(
        not_id,
        f"{ID_COLUMN}: "
        + ids.map(repr)
        + " is not a company id (digits); re-export the file with ids as text",
    )
    first = pd.Series(raw.index + 1, index=raw.index).groupby(ids).transform("min")
    dup = (ids != "") & ids.duplicated()
    add(
        dup,
        f"{ID_COLUMN}: " + ids.map(repr) + " already on row " + first.astype(str),
    )
    for _, column, _ in HQ_LEVELS:
        hq = raw[column]
        add(
            (hq != "") & ~hq.str.fullmatch(r"\d+"),
            f"{column}: "
            + hq.map(repr)
            + " is not a company id (digits); re-export the file with ids as text",
        )
    text = raw[FOUNDED_COLUMN]
    known = ~text.isin(UNKNOWN_FOUNDING)
    founded = pd.to_numeric(text.where(known), errors="coerce")
    bad_year = known & (founded.isna() | (founded % 1 != 0) | (founded < 1000))
    add(
        bad_year,
        f"{FOUNDED_COLUMN}: " + text.map(repr) + " is not a year",
    )
    snapshot = year
    if snapshot is None:
        usable = founded[~bad_year].dropna()
        snapshot = int(usable.max()) if len(usable) else None
    if snapshot is None:
        raise ValueError(
            f"{path}: no founding year to date the sample by; pass year=<the year "
            "the sample describes>."
        )
    late = ~bad_year & (founded > snapshot)
    add(late, f"{FOUNDED_COLUMN}: " + text + f" is after the sample year {snapshot}")

    ok = reasons == ""
    rows = raw[ok]
    actors = pd.DataFrame(
        {
            "actor_id": rows[ID_COLUMN],
            "name": rows[NAME_COLUMN],
            "kind": "firm",
            "firm_id": rows[ID_COLUMN],
            "region_id": None,
            "industry": rows[INDUSTRY_COLUMN],
            "founded": founded[ok].astype("Int64"),
            "source_row": pd.array(rows.index + 1, dtype="Int64"),
        }
    )
    links, parents = _links(rows)
    known_ids = set(actors["actor_id"])
    outside = [h for h in parents if h not in known_ids]
    hq_actors = pd.DataFrame(
        {
            "actor_id": outside,
            "name": [parents[h] for h in outside],
            "kind": "firm",
            "firm_id": None,
            "region_id": None,
            "industry": None,
            "founded": pd.array([pd.NA] * len(outside), dtype="Int64"),
            "source_row": pd.array([pd.NA] * len(outside), dtype="Int64"),
        }
    )
    actors = pd.concat([actors, hq_actors], ignore_index=True)
    for column in ("name", "firm_id", "region_id", "industry"):
        actors[column] = none_if_empty(actors[column])
    ties = pd.DataFrame(
        {
            "source": [s for s, _, _ in links],
            "target": [t for _, t, _ in links],
            "tie_type": "group_link",
            "year": np.full(len(links), snapshot, dtype="int64"),
            "weight": 1.0,
            "via_coordinator": False,
            "source_row": np.array([r for _, _, r in links], dtype=int),
        }
    )
    bad = raw[~ok]
    rejected = pd.DataFrame(
        {
            "file": str(path),
            "source_row": (bad.index + 1).astype(int),
            "record": [repr(r) for r in bad.to_dict("records")],
            "reason": reasons[~ok].str.removesuffix("; ").to_numpy(),
        },
        columns=list(REJECTED_COLUMNS),
    )
    return (
        actors[[*ACTOR_COLUMNS, "source_row"]],
        ties[[*TIE_COLUMNS, "source_row"]],
        rejected,
    )


def _links(
    rows: pd.DataFrame,
) -> tuple[list[tuple[str, str, int]], dict[str, str | None]]:
    """Distinct (parent, child, first row) links and the name of every parent id."""
    seen: set[tuple[str, str]] = set()
    links: list[tuple[str, str, int]] = []
    names: dict[str, str | None] = {}
    name_columns = [n for _, _, n in HQ_LEVELS]
    for index, row in rows.iterrows():
        chain = [row[ID_COLUMN]]
        for (_, column, _), name_column in zip(HQ_LEVELS, name_columns, strict=True):
            hq = row[column]
            if hq and hq not in chain:
                chain.append(hq)
                if not names.get(hq):
                    names[hq] = row.get(name_column) or None
        for child, parent in zip(chain[:-1], chain[1:], strict=True):
            if (parent, child) not in seen:
                seen.add((parent, child))
                links.append((parent, child, int(index) + 1))
    return links, names
