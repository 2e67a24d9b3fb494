"""Interaction data: actors and ties, validated and quarantined like the registry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from data_sources.study import InteractionsSpec
from geo.ecosystem import ACTOR_KINDS, TIE_TYPES

ACTOR_COLUMNS = (
    "actor_id",
    "name",
    "kind",
    "firm_id",
    "region_id",
    "industry",
    "founded",
)
"""Actor columns returned (``closed`` follows when the file has it)."""

REQUIRED_ACTOR_COLUMNS = ("actor_id", "kind")
"""Actor columns a file must have; the others are filled empty when absent."""

TIE_COLUMNS = ("source", "target", "tie_type", "year", "weight", "via_coordinator")
"""Tie columns returned."""

REQUIRED_TIE_COLUMNS = ("source", "target", "tie_type", "year")
"""Tie columns a file must have; ``weight`` and ``via_coordinator`` may be absent."""

REJECTED_COLUMNS = ("file", "source_row", "record", "reason")
"""Columns of the quarantine table."""

MIN_YEAR, MAX_YEAR = 1000, 2200
"""Years outside this range are typing errors."""

_TRUE = ("true", "1", "yes", "y", "t")
_FALSE = ("false", "0", "no", "n", "f", "")


def _read(path: Path, required: tuple[str, ...], what: str) -> pd.DataFrame:
    if not path.is_file():
        raise ValueError(
            f"interactions.{what}: file not found: {path}. Check the path in the "
            "study file (relative paths start at the study file's folder)."
        )
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8-sig"
        ).rename(columns=str.strip)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"interactions.{what}: {path}: the file is empty; expected a header line "
            f"with the columns {list(required)} and one row per {what[:-1]}"
        ) from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().removeprefix("Error tokenizing data. C error: ")
        raise ValueError(
            f"interactions.{what}: {path}: not a well-formed comma-separated file "
            f"({detail}); check the delimiter (',') and the quotes on that line"
        ) from None
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"interactions.{what}: {path}: not UTF-8 text ({exc.reason} at byte "
            f"{exc.start}); save it as UTF-8"
        ) from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        hint = (
            " The file is probably not comma-separated: save it with ',' between "
            "fields."
            if len(frame.columns) == 1
            and any(c in str(frame.columns[0]) for c in ";\t|")
            else ""
        )
        raise ValueError(
            f"{path}: column(s) {missing} not found; the file has "
            f"{list(frame.columns)}. Rename the columns to those of "
            f"docs/data-contract.md.{hint}"
        )
    return frame


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """Stripped text of ``column`` (empty strings when the column is absent)."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()


def none_if_empty(values: pd.Series) -> pd.Series:
    """Text with empty (or blank, or missing) values as None, dtype object.

    Examples
    --------
    >>> none_if_empty(pd.Series(["a", " ", None])).tolist()
    ['a', None, None]
    """
    return pd.Series(
        [None if pd.isna(v) or not str(v).strip() else v for v in values],
        index=values.index,
        dtype=object,
        name=values.name,
    )


def _year(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(year as float or NaN, bad mask) for text years; empty is not bad."""
    number = pd.to_numeric(values.where(values != ""), errors="coerce")
    bad = (values != "") & (
        number.isna() | (number % 1 != 0) | (number < MIN_YEAR) | (number > MAX_YEAR)
    )
    return number.where(~bad), bad


def _add(reasons: pd.Series, mask: pd.Series, text: pd.Series | str) -> pd.Series:
    """Append ``text`` (plus '; ') to the reasons of the rows in ``mask``."""
    return reasons.where(~mask, reasons + text + "; ")


def _quarantine(frame: pd.DataFrame, reasons: pd.Series, path: str) -> pd.DataFrame:
    bad = reasons != ""
    raw = frame[bad]
    return pd.DataFrame(
        {
            "file": path,
            "source_row": (raw.index + 1).astype(int),
            "record": [repr(r) for r in raw.to_dict("records")],
            "reason": reasons[bad].str.removesuffix("; ").to_numpy(),
        },
        columns=list(REJECTED_COLUMNS),
    )


def validate_interactions(
    actors: pd.DataFrame,
    ties: pd.DataFrame,
    *,
    actors_file: str = "actors",
    ties_file: str = "ties",
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Type and check actors and ties as read from text; quarantine bad rows.

    Parameters
    ----------
    actors, ties : pandas.DataFrame
        Rows as read (text; empty string = missing), on a 0-based RangeIndex in file
        order. ``actor_id`` and ``kind``, and ``source``, ``target``, ``tie_type`` and
        ``year`` are required; other columns of ``ACTOR_COLUMNS`` / ``TIE_COLUMNS``
        are filled empty when absent. Not modified.
    actors_file, ties_file : str
        Names written into the ``file`` column of the quarantine.

    Returns
    -------
    actors : pandas.DataFrame
        Valid actors: ``ACTOR_COLUMNS`` (text stripped, empty -> None; ``kind``
        lower-case; ``founded`` Int64), ``closed`` (Int64) when given, and
        ``source_row`` (1-based data row).
    ties : pandas.DataFrame
        Valid ties: ``TIE_COLUMNS`` (``year`` int, ``weight`` float, NaN when empty,
        ``via_coordinator`` bool, empty = False) and ``source_row``.
    rejected : pandas.DataFrame
        ``file``, ``source_row``, ``record`` (the row as read) and ``reason`` (every
        problem of the row: field, value found, what to do).

    Raises
    ------
    ValueError
        If a required column is missing.

    Notes
    -----
    Every input row ends in exactly one of the outputs. Ties are rejected when they
    name an unknown or quarantined actor, repeat an earlier row's source, target,
    type and year, or are dated before an end was founded or from the year it
    closed on.

    Examples
    --------
    >>> a = pd.DataFrame({"actor_id": ["f1", "f2", "f2"], "kind": ["firm", "Firm", "x"],
    ...                   "founded": ["1990", "", "2001"]})
    >>> t = pd.DataFrame({"source": ["f1", "f1"], "target": ["f2", "f1"],
    ...                   "tie_type": ["supply", "supply"], "year": ["2020", "2020"]})
    >>> actors, ties, rejected = validate_interactions(a, t)
    >>> len(actors), len(ties), rejected[["file", "source_row"]].values.tolist()
    (2, 1, [['actors', 3], ['ties', 2]])
    """
    for frame, need, what in (
        (actors, REQUIRED_ACTOR_COLUMNS, actors_file),
        (ties, REQUIRED_TIE_COLUMNS, ties_file),
    ):
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise ValueError(
                f"{what}: column(s) {missing} not found; found {list(frame.columns)}. "
                "Rename the columns to those of docs/data-contract.md."
            )
    actors = actors.reset_index(drop=True)
    ties = ties.reset_index(drop=True)
    valid_actors, actor_reasons, actor_rows = _check_actors(actors)
    valid_ties, tie_reasons = _check_ties(ties, valid_actors, actor_reasons, actor_rows)
    rejected = pd.concat(
        [
            _quarantine(actors, actor_reasons, actors_file),
            _quarantine(ties, tie_reasons, ties_file),
        ],
        ignore_index=True,
    )
    return valid_actors, valid_ties, rejected


def _check_actors(
    actors: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.Series, dict[str, int]]:
    reasons = pd.Series("", index=actors.index, dtype=object)
    ids = _text(actors, "actor_id")
    kind = _text(actors, "kind").str.lower()
    reasons = _add(reasons, ids == "", "actor_id: empty; every actor needs an id")
    reasons = _add(
        reasons,
        ~kind.isin(ACTOR_KINDS),
        "kind: "
        + _text(actors, "kind").map(repr)
        + f" is not one of {list(ACTOR_KINDS)}",
    )
    first_row = (
        pd.Series(actors.index + 1, index=actors.index).groupby(ids).transform("min")
    )
    dup = (ids != "") & ids.duplicated()
    reasons = _add(
        reasons,
        dup,
        "actor_id: "
        + ids.map(repr)
        + " already on row "
        + first_row.astype(str)
        + "; ids must be unique",
    )
    years = {}
    for column in ("founded", "closed"):
        text = _text(actors, column)
        years[column], bad = _year(text)
        reasons = _add(
            reasons,
            bad,
            f"{column}: "
            + text.map(repr)
            + f" is not a year ({MIN_YEAR}-{MAX_YEAR}); leave it empty when unknown",
        )
    early = years["closed"] < years["founded"]
    reasons = _add(
        reasons,
        early,
        "closed: "
        + _text(actors, "closed")
        + " is before founded "
        + _text(actors, "founded")
        + "; fix one of them",
    )
    ok = reasons == ""
    out = pd.DataFrame(index=actors.index[ok])
    for column in ACTOR_COLUMNS:
        text = kind if column == "kind" else _text(actors, column)
        out[column] = none_if_empty(text[ok])
    out["founded"] = years["founded"][ok].astype("Int64")
    if "closed" in actors.columns:
        out["closed"] = years["closed"][ok].astype("Int64")
    out["source_row"] = (out.index + 1).astype(int)
    # the row of each id's first occurrence, for the ties' reasons
    rows = dict(zip(ids[~dup], (ids.index[~dup] + 1), strict=True))
    return out.reset_index(drop=True), reasons, rows


def _check_ties(
    ties: pd.DataFrame,
    actors: pd.DataFrame,
    actor_reasons: pd.Series,
    actor_rows: dict[str, int],
) -> tuple[pd.DataFrame, pd.Series]:
    reasons = pd.Series("", index=ties.index, dtype=object)
    if ties.empty:  # a header-only file: no ties, nothing to check
        empty = pd.DataFrame(
            {
                "source": pd.Series(dtype=object),
                "target": pd.Series(dtype=object),
                "tie_type": pd.Series(dtype=object),
                "year": pd.Series(dtype="int64"),
                "weight": pd.Series(dtype=float),
                "via_coordinator": pd.Series(dtype=bool),
                "source_row": pd.Series(dtype=int),
            }
        )
        return empty, reasons
    known = set(actors["actor_id"])
    founded = actors.set_index("actor_id")["founded"].astype(float)
    closed = (
        actors.set_index("actor_id")["closed"].astype(float)
        if "closed" in actors.columns
        else pd.Series(np.nan, index=founded.index)
    )
    ends = {}
    for column in ("source", "target"):
        ends[column] = end = _text(ties, column)
        reasons = _add(reasons, end == "", f"{column}: empty; name an actor_id")
        unknown = (end != "") & ~end.isin(known)
        quarantined = unknown & end.isin(set(actor_rows))
        reasons = _add(
            reasons,
            unknown & ~quarantined,
            f"{column}: " + end.map(repr) + " is not a known actor_id; add the actor",
        )
        reasons = _add(
            reasons,
            quarantined,
            f"{column}: "
            + end.map(repr)
            + " was quarantined (actors row "
            + end.map(lambda a: str(actor_rows.get(a, "")))
            + ")",
        )
    reasons = _add(
        reasons,
        (ends["source"] == ends["target"]) & (ends["source"] != ""),
        "source equals target; a tie joins two actors",
    )
    tie_type = _text(ties, "tie_type").str.lower()
    reasons = _add(
        reasons,
        ~tie_type.isin(TIE_TYPES),
        "tie_type: "
        + _text(ties, "tie_type").map(repr)
        + f" is not one of {list(TIE_TYPES)}",
    )
    year_text = _text(ties, "year")
    year, bad_year = _year(year_text)
    reasons = _add(
        reasons,
        bad_year | (year_text == ""),
        "year: " + year_text.map(repr) + " is not a year; every tie needs its year",
    )
    weight_text = _text(ties, "weight")
    weight = pd.to_numeric(weight_text.where(weight_text != ""), errors="coerce")
    reasons = _add(
        reasons,
        (weight_text != "") & ~(weight >= 0),
        "weight: "
        + weight_text.map(repr)
        + " is not a number >= 0; leave it empty when unknown",
    )
    via_text = _text(ties, "via_coordinator").str.lower()
    reasons = _add(
        reasons,
        ~via_text.isin(_TRUE + _FALSE),
        "via_coordinator: "
        + _text(ties, "via_coordinator").map(repr)
        + " is not true/false; write true, false or leave it empty (false)",
    )
    for column in ("source", "target"):
        # astype(float): an empty file maps to an empty text column otherwise
        start = ends[column].map(founded).astype(float)
        stop = ends[column].map(closed).astype(float)
        reasons = _add(
            reasons,
            year < start,
            "year: "
            + year_text
            + f" is before {column} "
            + ends[column].map(repr)
            + " was founded ("
            + start.map(lambda v: "" if pd.isna(v) else str(int(v)))
            + ")",
        )
        reasons = _add(
            reasons,
            year >= stop,
            "year: "
            + year_text
            + f" is not before {column} "
            + ends[column].map(repr)
            + " closed ("
            + stop.map(lambda v: "" if pd.isna(v) else str(int(v)))
            + ")",
        )
    key = pd.DataFrame(
        {"s": ends["source"], "t": ends["target"], "k": tie_type, "y": year}
    )
    clean = reasons == ""
    row = pd.Series(ties.index + 1, index=ties.index)
    dup = pd.Series(False, index=ties.index)
    dup[clean] = key[clean].duplicated()
    first = (
        row[clean].groupby([key["s"], key["t"], key["k"], key["y"]]).transform("min")
    )
    reasons = _add(
        reasons,
        dup,
        "same source, target, tie_type and year as row "
        + first.reindex(ties.index).map(lambda v: "" if pd.isna(v) else str(int(v)))
        + "; merge them into one row (add the weights)",
    )
    ok = reasons == ""
    out = pd.DataFrame(
        {
            "source": ends["source"][ok],
            "target": ends["target"][ok],
            "tie_type": tie_type[ok],
            "year": year[ok].astype("int64"),
            "weight": weight[ok].astype(float),
            "via_coordinator": via_text[ok].isin(_TRUE).astype(bool),
            "source_row": (ties.index[ok] + 1).astype(int),
        }
    )
    return out.reset_index(drop=True), reasons


def read_interactions(
    spec: InteractionsSpec,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read the study's actors and ties files; return (actors, ties, rejected).

    Parameters
    ----------
    spec : data_sources.study.InteractionsSpec
        ``actors`` and ``ties``: paths of comma-separated UTF-8 files (a BOM is
        accepted) with the columns of docs/data-contract.md; ``actors`` may add
        ``closed`` (closing year).

    Returns
    -------
    tuple of pandas.DataFrame
        ``(actors, ties, rejected)`` as :func:`validate_interactions` gives them;
        ``rejected["file"]`` holds the file paths.

    Raises
    ------
    ValueError
        If a file is missing or lacks a required column.

    Examples
    --------
    >>> import tempfile
    >>> from data_sources.study import InteractionsSpec
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     a_csv, t_csv = Path(tmp) / "a.csv", Path(tmp) / "t.csv"
    ...     _ = a_csv.write_text("actor_id,kind\\nf1,firm\\nu,research\\n")
    ...     _ = t_csv.write_text("source,target,tie_type,year\\n"
    ...                          "f1,u,joint_project,2020\\nf1,u,loan,2020\\n")
    ...     a, t, bad = read_interactions(
    ...         InteractionsSpec(actors=str(a_csv), ties=str(t_csv)))
    >>> len(a), len(t), bad["source_row"].tolist()
    (2, 1, [2])
    """
    actors = _read(Path(spec.actors), REQUIRED_ACTOR_COLUMNS, "actors")
    ties = _read(Path(spec.ties), REQUIRED_TIE_COLUMNS, "ties")
    return validate_interactions(
        actors, ties, actors_file=str(spec.actors), ties_file=str(spec.ties)
    )


def fill_from_registry(actors: pd.DataFrame, firms: pd.DataFrame) -> pd.DataFrame:
    """Actors with empty years and regions filled from their registry firm.

    Parameters
    ----------
    actors : pandas.DataFrame
        Valid actors (``firm_id`` links a firm actor to the registry). Not modified.
    firms : pandas.DataFrame
        Registry firms with ``firm_id`` and any of ``founded``, ``closed`` and
        ``region_id`` (e.g. ``firms_in_regions``). Not modified.

    Returns
    -------
    pandas.DataFrame
        A copy of ``actors`` with a ``closed`` column (Int64); empty ``founded``,
        ``closed`` and ``region_id`` values taken from the linked firm. Values
        the actors file gives are kept.

    Raises
    ------
    ValueError
        If ``firms`` has no ``firm_id`` or repeats one.

    Examples
    --------
    >>> a = pd.DataFrame({"actor_id": ["A-1", "U"], "firm_id": ["1", None],
    ...     "region_id": [None, "r2"], "founded": pd.array([None, 1900], "Int64")})
    >>> f = pd.DataFrame({"firm_id": ["1"], "region_id": ["r1"],
    ...     "founded": pd.array([1990], "Int64"), "closed": pd.array([2019], "Int64")})
    >>> fill_from_registry(a, f)[["region_id", "founded", "closed"]].values.tolist()
    [['r1', 1990, 2019], ['r2', 1900, <NA>]]
    """
    if "firm_id" not in firms.columns:
        raise ValueError(
            f"firms has no firm_id column; found {list(firms.columns)}. Pass the "
            "registry firms (e.g. firms_in_regions)."
        )
    dup = firms["firm_id"][firms["firm_id"].duplicated()].unique()
    if len(dup):
        raise ValueError(
            f"firms repeats firm_id(s) {list(dup[:5])}; pass one row per firm."
        )
    out = actors.copy()
    registry = firms.set_index("firm_id")
    link = out["firm_id"] if "firm_id" in out.columns else pd.Series(None, out.index)
    for column in ("founded", "closed"):
        mine = (
            pd.to_numeric(out[column], errors="coerce").astype(float)
            if column in out.columns
            else pd.Series(np.nan, index=out.index)
        )
        if column in registry.columns:
            theirs = link.map(registry[column].astype(float)).astype(float)
            mine = mine.fillna(theirs)
        out[column] = mine.astype("Int64")
    if "region_id" in registry.columns:
        theirs = link.map(registry["region_id"])
        mine = out["region_id"] if "region_id" in out.columns else theirs
        empty = mine.isna() | (mine.astype(str).str.strip() == "")
        out["region_id"] = mine.astype(object).where(~empty, theirs)
    return out
