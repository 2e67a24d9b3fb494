"""Interaction data: actors and ties, validated and quarantined like the registry."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from data_sources.study import InteractionsSpec

ACTOR_KINDS = ("firm", "research", "government", "finance", "support")
TIE_TYPES = (
    "supply",
    "joint_project",
    "co_patent",
    "agreement",
    "membership",
    "group_link",
)
ACTOR_COLUMNS = (
    "actor_id",
    "name",
    "kind",
    "firm_id",
    "region_id",
    "industry",
    "founded",
)
TIE_COLUMNS = ("source", "target", "tie_type", "year", "weight", "via_coordinator")


def _read(path: Path, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    if not path.is_file():
        raise ValueError(f"interactions.{what}: file not found: {path}")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{path}: column(s) {missing} not found; the file has {list(frame.columns)}"
        )
    frame["source_row"] = range(1, len(frame) + 1)
    return frame


def read_interactions(
    spec: InteractionsSpec,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read actors and ties; return (actors, ties, rejected) with reasons.

    Returns
    -------
    actors : pandas.DataFrame
        Valid actors (``founded`` Int64).
    ties : pandas.DataFrame
        Valid ties (``year`` int, ``weight`` float, ``via_coordinator`` bool).
    rejected : pandas.DataFrame
        ``file``, ``source_row``, ``record`` (the row as text) and ``reason``.
    """
    actors = _read(Path(spec.actors), ACTOR_COLUMNS, "actors")
    ties = _read(Path(spec.ties), TIE_COLUMNS, "ties")
    rejected: list[dict] = []

    def reject(
        frame: pd.DataFrame, mask: pd.Series, path: str, reason: pd.Series
    ) -> None:
        for idx in frame.index[mask]:
            record = frame.loc[idx].drop("source_row").to_dict()
            rejected.append(
                {
                    "file": path,
                    "source_row": int(frame.at[idx, "source_row"]),
                    "record": repr(record),
                    "reason": reason[idx],
                }
            )

    bad_kind = ~actors["kind"].isin(ACTOR_KINDS)
    reject(
        actors,
        bad_kind,
        spec.actors,
        "kind: " + actors["kind"].map(repr) + f" is not one of {list(ACTOR_KINDS)}",
    )
    dup = actors["actor_id"].duplicated() & ~bad_kind
    reject(
        actors,
        dup,
        spec.actors,
        "actor_id: "
        + actors["actor_id"].map(repr)
        + " appears twice; ids must be unique",
    )
    actors = actors[~bad_kind & ~dup].copy()
    actors["founded"] = pd.to_numeric(actors["founded"], errors="coerce").astype(
        "Int64"
    )

    known = set(actors["actor_id"])
    year = pd.to_numeric(ties["year"], errors="coerce")
    weight = pd.to_numeric(ties["weight"].replace("", "1"), errors="coerce")
    reasons = pd.Series("", index=ties.index)
    for column in ("source", "target"):
        unknown = ~ties[column].isin(known)
        reasons = reasons.where(
            ~unknown,
            reasons
            + f"{column}: "
            + ties[column].map(repr)
            + " is not a known actor_id; ",
        )
    bad_type = ~ties["tie_type"].isin(TIE_TYPES)
    reasons = reasons.where(
        ~bad_type,
        reasons
        + "tie_type: "
        + ties["tie_type"].map(repr)
        + f" is not one of {list(TIE_TYPES)}; ",
    )
    reasons = reasons.where(
        year.notna(), reasons + "year: " + ties["year"].map(repr) + " is not a year; "
    )
    reasons = reasons.where(
        weight.notna() & (weight >= 0),
        reasons
        + "weight: "
        + ties["weight"].map(repr)
        + " is not a non-negative number; ",
    )
    self_loop = ties["source"] == ties["target"]
    reasons = reasons.where(~self_loop, reasons + "source equals target; ")
    bad = reasons != ""
    reject(ties, bad, spec.ties, reasons.str.rstrip("; "))
    ties = ties[~bad].copy()
    ties["year"] = year[~bad].astype(int)
    ties["weight"] = weight[~bad].astype(float)
    ties["via_coordinator"] = (
        ties["via_coordinator"].str.lower().isin(("true", "1", "yes"))
    )
    columns = ["file", "source_row", "record", "reason"]
    return (
        actors.reset_index(drop=True),
        ties.reset_index(drop=True),
        pd.DataFrame(rejected, columns=columns),
    )
