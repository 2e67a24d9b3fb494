"""Per-cluster ecosystem measures from an interaction network of actors and ties."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

ACTOR_KINDS: tuple[str, ...] = ("firm", "research", "government", "finance", "support")
"""Valid values of ``actors["kind"]``: the triple helix plus finance and support."""

TIE_TYPES: tuple[str, ...] = (
    "supply",
    "joint_project",
    "co_patent",
    "agreement",
    "membership",
    "group_link",
)
"""Valid values of ``ties["tie_type"]``. A ``supply`` tie runs from seller to buyer."""

COOPERATION_TYPES: tuple[str, ...] = (
    "supply",
    "joint_project",
    "co_patent",
    "agreement",
)
"""Tie types that count as cooperation for the default entry rule."""

JOINT_WORK_TYPES: tuple[str, ...] = ("joint_project", "co_patent")
"""Tie types that count as completed joint (innovation) work."""

FUNCTIONAL_DEPENDENCE_RUSSIA = 0.20
"""Minimum functional dependence (share of the members' output used by other
members) of a Russian industrial cluster: Government Decree No. 779 of 31 July 2015."""

FUNCTIONAL_DEPENDENCE_PRIORITY_TERRITORIES = 0.10
"""The same decree's lower minimum when 30 % or more of the members work in priority
territories (regions with individual development programmes, geostrategic
territories, single-industry towns)."""

RATE_BASES: tuple[str, ...] = ("registry", "ties")
"""How entry and exit years are found: founding/closing years, or tie activity."""

REPUTATION_AGE_YEARS = 30
"""An actor this many years old gets the full age score."""

REPUTATION_WINDOW_YEARS = 5
"""Continuity looks at this many years, ending with the analysis year."""

REPUTATION_JOINT_WORK_TIES = 5
"""This many joint_project/co_patent ties give the full joint-work score."""

REPUTATION_COMPONENTS: tuple[str, ...] = (
    "age",
    "continuity",
    "joint_work",
    "compliance",
)
"""Components of actor reputation, averaged over those available."""

NETWORK_MEASURES: tuple[str, ...] = (
    "tie_density",
    "mean_degree",
    "intersectoral_share",
    "interregional_share",
    "persistence",
    "reciprocity",
    "clustering",
    "non_hierarchy",
    "non_group_share",
    "joint_work_share",
    "functional_dependence",
    "entry_rule_compliance",
    "coordinator_free_share",
)
"""Measures set to NaN for clusters with fewer than ``min_actors`` actors."""

DEMOGRAPHY_MEASURES: tuple[str, ...] = ("entry_rate", "exit_rate")
"""Entry and exit rates of member firms, pooled over the rate window."""

ACTOR_MEASURES: tuple[str, ...] = (
    "reputation_mean",
    "anchor_reputation_share",
    "composition_diversity",
    "firm_share",
    "research_share",
    "government_share",
    "finance_share",
    "support_share",
)
"""Measures computed from the member actors alone (any cluster with >= 1 actor)."""

ECOSYSTEM_COLUMNS: tuple[str, ...] = (
    "actors",
    "member_firms",
    "ties",
    *NETWORK_MEASURES,
    *DEMOGRAPHY_MEASURES,
    *ACTOR_MEASURES,
)
"""Float columns of :func:`ecosystem_measures`, in output order (then ``notes``)."""

COMPLIANCE_COLUMNS: tuple[str, ...] = (
    "cluster_id",
    "actor_id",
    "cooperation_ties",
    "supply_out",
    "supply_to_members",
    "functional_dependence",
    "complies",
    "reason",
)
"""Columns of :func:`member_compliance`."""

RATE_COLUMNS: tuple[str, ...] = (
    "cluster_id",
    "year",
    "stock",
    "entries",
    "exits",
    "entry_rate",
    "exit_rate",
)
"""Columns of :func:`entry_exit_rates`."""

_ACTOR_COLUMNS = ("actor_id", "kind", "region_id", "industry", "founded")
_TIE_COLUMNS = ("source", "target", "tie_type", "year", "via_coordinator")


@dataclass(frozen=True)
class EntryRules:
    """Published entry rules of a cluster: what a member firm must show to comply.

    Parameters
    ----------
    min_cooperation_ties : int, default 1
        A member firm is an end of at least this many tie rows of
        ``cooperation_types`` with other current members, up to the analysis year.
    min_functional_dependence : float or None, default None
        When given, a member firm must also sell at least this share of its output
        inside the cluster: of the weight of its ``supply`` ties in the analysis
        year, the share going to other members (e.g.
        ``FUNCTIONAL_DEPENDENCE_RUSSIA`` = 0.20; 0.10 in priority territories).
        ``None``: no such rule.
    cooperation_types : tuple of str, default COOPERATION_TYPES
        Tie types that count as cooperation.

    Raises
    ------
    ValueError
        If ``min_cooperation_ties < 1``, ``min_functional_dependence`` is not in
        (0, 1], or ``cooperation_types`` is empty or names an unknown tie type.

    Examples
    --------
    >>> EntryRules(min_functional_dependence=0.2).cooperation_types[:2]
    ('supply', 'joint_project')
    """

    min_cooperation_ties: int = 1
    min_functional_dependence: float | None = None
    cooperation_types: tuple[str, ...] = COOPERATION_TYPES

    def __post_init__(self) -> None:
        """Validate the rules; turn ``cooperation_types`` into a tuple."""
        n = self.min_cooperation_ties
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(
                f"min_cooperation_ties must be an integer >= 1; got {n!r}. Use 1 for "
                "'at least one cooperation contract with another member'."
            )
        share = self.min_functional_dependence
        if share is not None and (
            isinstance(share, bool)
            or not isinstance(share, int | float | np.number)
            or not 0 < float(share) <= 1
        ):
            raise ValueError(
                "min_functional_dependence must be a share in (0, 1] or None; got "
                f"{share!r}. Write 0.2 for 20 %."
            )
        if isinstance(self.cooperation_types, str):
            raise ValueError(
                "cooperation_types must be a collection of tie types, not one string "
                f"({self.cooperation_types!r}); write ({self.cooperation_types!r},)."
            )
        types = tuple(self.cooperation_types)
        bad = [t for t in types if t not in TIE_TYPES]
        if bad or not types:
            raise ValueError(
                f"cooperation_types must be a non-empty subset of {list(TIE_TYPES)}; "
                f"got {list(types)}."
            )
        object.__setattr__(self, "cooperation_types", types)
        object.__setattr__(self, "min_cooperation_ties", int(n))
        if share is not None:
            object.__setattr__(self, "min_functional_dependence", float(share))


# --------------------------------------------------------------------------- helpers
def _require_frame(obj: object, name: str, columns: Iterable[str]) -> None:
    if not isinstance(obj, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame; got {type(obj).__name__}.")
    missing = [c for c in columns if c not in obj.columns]
    if missing:
        raise ValueError(
            f"{name} is missing column(s) {missing}; found {list(obj.columns)}. "
            "Rename the columns to the names in docs/data-contract.md."
        )


def _require_year(year: object, name: str = "year") -> int:
    if isinstance(year, bool) or not isinstance(year, int | np.integer):
        raise TypeError(f"{name} must be an integer year; got {year!r}.")
    return int(year)


def _as_code(value: object) -> object:
    """Text form of an id or code; 3141.0 -> '3141'; missing or blank -> None."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _codes(series: pd.Series) -> pd.Series:
    """`_as_code` of every value (text columns: stripped, blank -> None)."""
    values = series.to_numpy(dtype=object, na_value=None)
    if pd.api.types.infer_dtype(values, skipna=True) == "string":
        # text ids (most registries): the same as `_as_code`, without its checks
        # per value (a demo year has ~70,000 ids; 10x faster)
        codes = [None if v is None else (v.strip() or None) for v in values]
    else:
        codes = [_as_code(v) for v in values]
    return pd.Series(codes, index=series.index, dtype=object, name=series.name)


def _ids(series: pd.Series, name: str) -> pd.Series:
    ids = _codes(series)
    if ids.isna().any():
        rows = list(series.index[ids.isna()][:5])
        raise ValueError(
            f"{name} has {int(ids.isna().sum())} empty id(s) (first rows: {rows}). "
            "Every actor and tie end needs an id: drop or repair those rows."
        )
    return ids


def _years(actors: pd.DataFrame, column: str) -> pd.Series:
    raw = actors[column]
    years = pd.to_numeric(raw, errors="coerce").astype(float)
    unreadable = years.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if unreadable.any():
        raise ValueError(
            f"actors.{column} has {int(unreadable.sum())} value(s) that are not years "
            f"(first: {list(raw[unreadable][:5])}). Use a year or leave it empty."
        )
    return years


def _prepare_actors(actors: pd.DataFrame) -> pd.DataFrame:
    _require_frame(actors, "actors", _ACTOR_COLUMNS)
    out = pd.DataFrame(
        {
            "kind": _codes(actors["kind"]).to_numpy(),
            "region_id": _codes(actors["region_id"]).to_numpy(),
            "industry": _codes(actors["industry"]).to_numpy(),
        },
        index=pd.Index(_ids(actors["actor_id"], "actors.actor_id"), name="actor_id"),
    )
    dup = out.index[out.index.duplicated()].unique()
    if len(dup):
        raise ValueError(
            f"actors has {len(dup)} duplicated actor_id(s): {list(dup[:5])}. "
            "Keep one row per actor."
        )
    bad_kind = sorted({str(k) for k in out["kind"] if k not in ACTOR_KINDS})
    if bad_kind:
        raise ValueError(
            f"actors.kind has unknown value(s) {bad_kind[:5]}; valid kinds are "
            f"{list(ACTOR_KINDS)}. Map the source's categories onto these."
        )
    out["founded"] = _years(actors, "founded").to_numpy()
    if "closed" in actors.columns:
        out["closed"] = _years(actors, "closed").to_numpy()
        early = out["closed"] < out["founded"]
        if early.any():
            raise ValueError(
                f"actors has {int(early.sum())} actor(s) closed before they were "
                f"founded (first: {list(out.index[early][:5])}). Fix or empty those "
                "years."
            )
    else:
        out["closed"] = np.nan
    return out


def _prepare_ties(ties: pd.DataFrame, actor_ids: pd.Index) -> pd.DataFrame:
    _require_frame(ties, "ties", _TIE_COLUMNS)
    out = pd.DataFrame(
        {
            "source": _ids(ties["source"], "ties.source").to_numpy(),
            "target": _ids(ties["target"], "ties.target").to_numpy(),
            "tie_type": _codes(ties["tie_type"]).to_numpy(),
        }
    )
    year = pd.to_numeric(ties["year"], errors="coerce")
    if year.isna().any():
        raise ValueError(
            f"ties.year has {int(year.isna().sum())} empty or non-numeric value(s) "
            f"(first: {list(ties['year'][year.isna()][:5])}). Every tie needs the year "
            "it was observed."
        )
    out["year"] = year.astype(float).to_numpy()
    if "weight" in ties.columns:
        weight = pd.to_numeric(ties["weight"], errors="coerce").astype(float)
        bad = (weight.isna() & ties["weight"].notna()) | (weight < 0)
        if bad.any():
            raise ValueError(
                f"ties.weight must be a number >= 0 or empty; got "
                f"{list(ties['weight'][bad][:5])}. Fix or empty those weights."
            )
        out["weight"] = weight.to_numpy()
    else:
        out["weight"] = np.nan
    via = ties["via_coordinator"]
    ok = via.notna() & via.isin([True, False])
    if not ok.all():
        raise ValueError(
            f"ties.via_coordinator must be True or False; got {list(via[~ok][:5])}. "
            "Convert it to bool (empty means False only if the source says so)."
        )
    out["via_coordinator"] = via.astype(bool).to_numpy()
    bad_type = sorted({str(t) for t in out["tie_type"] if t not in TIE_TYPES})
    if bad_type:
        raise ValueError(
            f"ties.tie_type has unknown value(s) {bad_type[:5]}; valid types are "
            f"{list(TIE_TYPES)}."
        )
    loops = out["source"] == out["target"]
    if loops.any():
        raise ValueError(
            f"ties has {int(loops.sum())} row(s) whose source equals target (first: "
            f"{list(out['source'][loops][:5])}). A tie joins two actors: drop them."
        )
    known = set(actor_ids)
    unknown = sorted(
        {a for a in np.concatenate([out["source"], out["target"]]) if a not in known}
    )
    if unknown:
        raise ValueError(
            f"ties refer to {len(unknown)} actor id(s) not in actors: {unknown[:5]}. "
            "Add those actors or drop their ties."
        )
    return out


def _prepare_members(members: pd.DataFrame, act: pd.DataFrame) -> pd.DataFrame:
    _require_frame(members, "members", ("cluster_id", "actor_id"))
    if members["cluster_id"].isna().any():
        empty = members["cluster_id"].isna()
        raise ValueError(
            f"members has {int(empty.sum())} empty cluster_id(s) (first rows: "
            f"{list(members.index[empty][:5])}). Give every membership its cluster."
        )
    mem = pd.DataFrame(
        {
            "cluster_id": members["cluster_id"].to_numpy(),
            "actor_id": _ids(members["actor_id"], "members.actor_id").to_numpy(),
        }
    )
    not_actor = sorted(set(mem["actor_id"]) - set(act.index))
    if not_actor:
        raise ValueError(
            f"members lists {len(not_actor)} actor id(s) not in actors: "
            f"{not_actor[:5]}. Build members from the same actors table."
        )
    return mem.drop_duplicates(ignore_index=True)


def _active(act: pd.DataFrame, year: int) -> pd.Series:
    """Actors operating in ``year``: founded by then (or unknown), not yet closed."""
    founded_ok = act["founded"].isna() | (act["founded"] <= year)
    open_ok = act["closed"].isna() | (act["closed"] > year)
    return founded_ok & open_ok


def _tie_ends(ties: pd.DataFrame) -> pd.DataFrame:
    """Long table: one row per (tie, end) with the actor at that end."""
    return pd.concat(
        [
            ties[["source", "year", "tie_type"]].rename(columns={"source": "actor_id"}),
            ties[["target", "year", "tie_type"]].rename(columns={"target": "actor_id"}),
        ],
        ignore_index=True,
    )


def _reputation_parts(act: pd.DataFrame, tie: pd.DataFrame, year: int) -> pd.DataFrame:
    """Age, continuity and joint-work components (in [0, 1]) of every actor."""
    tie = tie[tie["year"] <= year]
    ends = _tie_ends(tie)
    age = ((year - act["founded"]) / REPUTATION_AGE_YEARS).clip(lower=0.0, upper=1.0)
    recent = ends[ends["year"] > year - REPUTATION_WINDOW_YEARS]
    active_years = recent.groupby("actor_id")["year"].nunique()
    continuity = active_years.reindex(act.index, fill_value=0) / REPUTATION_WINDOW_YEARS
    joint = ends[ends["tie_type"].isin(JOINT_WORK_TYPES)].groupby("actor_id").size()
    joint_score = (
        joint.reindex(act.index, fill_value=0) / REPUTATION_JOINT_WORK_TIES
    ).clip(upper=1.0)
    return pd.DataFrame(
        {
            "age": age.astype(float),
            "continuity": continuity.astype(float),
            "joint_work": joint_score.astype(float),
        },
        index=act.index,
    )


def _pair_table(tie: pd.DataFrame, act: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct undirected actor pair, with attributes of its ties/ends."""
    src = tie["source"].to_numpy(dtype=object)
    tgt = tie["target"].to_numpy(dtype=object)
    first = src <= tgt
    frame = pd.DataFrame(
        {
            "u": np.where(first, src, tgt),
            "v": np.where(first, tgt, src),
            "year": tie["year"].to_numpy(),
            "group": (tie["tie_type"] == "group_link").to_numpy(),
            "joint": tie["tie_type"].isin(JOINT_WORK_TYPES).to_numpy(),
        }
    )
    pairs = (
        frame.groupby(["u", "v"], sort=True)
        .agg(
            years=("year", "nunique"),
            has_group=("group", "any"),
            has_joint=("joint", "any"),
        )
        .reset_index()
    )
    for end in ("u", "v"):
        attrs = act.loc[pairs[end], ["kind", "industry", "region_id"]].to_numpy(
            dtype=object
        )
        pairs[f"kind_{end}"] = attrs[:, 0]
        pairs[f"industry_{end}"] = attrs[:, 1]
        pairs[f"region_{end}"] = attrs[:, 2]
    ind_known = pairs["industry_u"].notna() & pairs["industry_v"].notna()
    pairs["cross_sector"] = (pairs["kind_u"] != pairs["kind_v"]) | (
        ind_known & (pairs["industry_u"] != pairs["industry_v"])
    )
    pairs["region_known"] = pairs["region_u"].notna() & pairs["region_v"].notna()
    pairs["cross_region"] = pairs["region_known"] & (
        pairs["region_u"] != pairs["region_v"]
    )
    return pairs


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _compliance(
    mem: pd.DataFrame,
    act: pd.DataFrame,
    tie: pd.DataFrame,
    *,
    year: int,
    rules: EntryRules,
) -> pd.DataFrame:
    """Compliance of every member firm in ``mem`` (current members only)."""
    rows: list[dict] = []
    supply_now = tie[(tie["tie_type"] == "supply") & (tie["year"] == year)]
    coop_all = tie[tie["tie_type"].isin(rules.cooperation_types)]
    for cluster_id, group in mem.groupby("cluster_id", sort=False):
        mset = set(group["actor_id"])
        firms = [a for a in group["actor_id"] if act.at[a, "kind"] == "firm"]
        if not firms:
            continue
        coop = coop_all[coop_all["source"].isin(mset) & coop_all["target"].isin(mset)]
        counts = pd.concat([coop["source"], coop["target"]]).value_counts()
        sold = supply_now[supply_now["source"].isin(firms)]
        to_member = sold["target"].isin(mset)
        agg = pd.DataFrame(
            {
                "source": sold["source"],
                "weight": sold["weight"],
                "inside": sold["weight"].where(to_member, 0.0),
                "unweighted": sold["weight"].isna(),
            }
        ).groupby("source")
        total = agg["weight"].sum()
        inside = agg["inside"].sum()
        unweighted = agg["unweighted"].sum()
        n_rows = agg.size()
        for a in firms:
            n_coop = int(counts.get(a, 0))
            out_total = float(total.get(a, 0.0))
            out_inside = float(inside.get(a, 0.0))
            fd, why = float("nan"), ""
            if int(n_rows.get(a, 0)) == 0:
                why = f"no supply ties from it in {year}"
                out_total = out_inside = float("nan")
            elif int(unweighted.get(a, 0)):
                why = f"{int(unweighted[a])} supply tie(s) in {year} without weight"
                out_total = out_inside = float("nan")
            elif out_total == 0:
                why = f"its supply ties in {year} have total weight 0"
            else:
                fd = out_inside / out_total
            failures = []
            if n_coop < rules.min_cooperation_ties:
                failures.append(
                    f"{n_coop} cooperation tie(s) with members < "
                    f"{rules.min_cooperation_ties}"
                )
            need = rules.min_functional_dependence
            if need is not None:
                if math.isnan(fd):
                    failures.append(f"functional dependence unknown ({why})")
                elif fd < need:
                    failures.append(f"functional dependence {_fmt(fd)} < {need:g}")
            rows.append(
                {
                    "cluster_id": cluster_id,
                    "actor_id": a,
                    "cooperation_ties": n_coop,
                    "supply_out": out_total,
                    "supply_to_members": out_inside,
                    "functional_dependence": fd,
                    "complies": not failures,
                    "reason": "; ".join(failures),
                    "_fd_reason": why,
                }
            )
    frame = pd.DataFrame(rows, columns=[*COMPLIANCE_COLUMNS, "_fd_reason"])
    frame["cooperation_ties"] = frame["cooperation_ties"].astype(int)
    frame["complies"] = frame["complies"].astype(bool)
    for c in ("supply_out", "supply_to_members", "functional_dependence"):
        frame[c] = frame[c].astype(float)
    return frame


def _entry_exit_years(
    mem: pd.DataFrame,
    act: pd.DataFrame,
    tie: pd.DataFrame,
    *,
    last_year: int,
    basis: str,
) -> pd.DataFrame:
    """Entry and exit year of every member firm: cluster_id, actor_id, entry, exit."""
    firms = mem[act.loc[mem["actor_id"], "kind"].to_numpy() == "firm"]
    if basis == "registry":
        return firms.assign(
            entry=act.loc[firms["actor_id"], "founded"].to_numpy(),
            exit=act.loc[firms["actor_id"], "closed"].to_numpy(),
        )
    tie = tie[tie["year"] <= last_year]
    parts = []
    for cluster_id, group in mem.groupby("cluster_id", sort=False):
        mset = set(group["actor_id"])
        inner = tie[tie["source"].isin(mset) & tie["target"].isin(mset)]
        ends = _tie_ends(inner).groupby("actor_id")["year"]
        ids = firms.loc[firms["cluster_id"] == cluster_id, "actor_id"]
        first = ends.min().reindex(ids)
        last = ends.max().reindex(ids)
        exit_year = (last + 1).where(last + 1 <= last_year)
        parts.append(
            pd.DataFrame(
                {
                    "cluster_id": cluster_id,
                    "actor_id": ids.to_numpy(),
                    "entry": first.to_numpy(),
                    "exit": exit_year.to_numpy(),
                }
            )
        )
    if not parts:
        return firms.assign(entry=np.nan, exit=np.nan)
    return pd.concat(parts, ignore_index=True)


def _rates(spans: pd.DataFrame, years: Iterable[int]) -> pd.DataFrame:
    """Stock, entries and exits per cluster and year from entry/exit years."""
    known = spans[spans["entry"].notna()]
    rows = []
    for cluster_id, group in known.groupby("cluster_id", sort=False):
        entry = group["entry"].to_numpy(float)
        exit_ = group["exit"].to_numpy(float)
        for t in years:
            alive = (entry < t) & (np.isnan(exit_) | (exit_ >= t))
            rows.append(
                (
                    cluster_id,
                    int(t),
                    int(alive.sum()),
                    int((entry == t).sum()),
                    int((alive & (exit_ == t)).sum()),
                )
            )
    return pd.DataFrame(
        rows, columns=["cluster_id", "year", "stock", "entries", "exits"]
    )


def _check_basis(basis: object) -> None:
    if basis not in RATE_BASES:
        raise ValueError(
            f"basis must be one of {list(RATE_BASES)}; got {basis!r}. 'registry' "
            "uses founded/closed years, 'ties' the first and last year with ties."
        )


# --------------------------------------------------------------------------- public
def actor_reputation(
    actors: pd.DataFrame,
    ties: pd.DataFrame,
    *,
    year: int,
    compliance: pd.Series | None = None,
) -> pd.Series:
    """Reputation score in [0, 1] of every actor from age, continuity, joint work and
    compliance signals.

    Parameters
    ----------
    actors : pandas.DataFrame
        Interaction-network actors (``actor_id``, ``kind``, ``region_id``, ``industry``,
        ``founded``; see docs/data-contract.md). Not modified.
    ties : pandas.DataFrame
        Interaction-network ties (``source``, ``target``, ``tie_type``, ``year``,
        ``via_coordinator``). Not modified. Ties after ``year`` are ignored.
    year : int
        Analysis year.
    compliance : pandas.Series, optional
        Compliance signal per actor in [0, 1] (bool accepted), indexed by
        ``actor_id``, e.g. 1 when the actor meets its cluster's entry rules (see
        :func:`member_compliance`). Actors absent or NaN have no signal: the
        component is left out for them. Default: no signal for anyone.

    Returns
    -------
    pandas.Series
        ``reputation`` indexed by ``actor_id`` (text), in the order of ``actors``.

    Raises
    ------
    TypeError
        If ``year`` is not an integer, an input is not a DataFrame, or
        ``compliance`` is not a Series.
    ValueError
        If a column is missing, an id is empty or duplicated, a kind or tie type is
        unknown, a tie has no year, joins an actor to itself or names an unknown actor,
        or ``compliance`` names an unknown actor or lies outside [0, 1].

    Notes
    -----
    Mean of the available components (all ties of the actor, to anyone, up to
    ``year``):

    - age ``= clip((year - founded) / 30, 0, 1)``; left out when ``founded`` is
      empty;
    - continuity ``=`` share of the 5 years ``year-4 .. year`` with at least one tie;
    - joint work ``= min(1, n_joint / 5)``, ``n_joint`` the number of
      ``joint_project`` and ``co_patent`` tie rows the actor is an end of;
    - compliance ``=`` the given signal; left out when there is none.

    Examples
    --------
    >>> actors = pd.DataFrame({"actor_id": ["a", "b"], "kind": ["firm", "research"],
    ...     "region_id": ["r1", "r1"], "industry": ["3141", None],
    ...     "founded": [2001, 1950]})
    >>> ties = pd.DataFrame({"source": ["a"], "target": ["b"],
    ...     "tie_type": ["joint_project"], "year": [2016], "via_coordinator": [False]})
    >>> rep = actor_reputation(actors, ties, year=2016,
    ...                        compliance=pd.Series({"a": True}))
    >>> rep.round(4).tolist()
    [0.475, 0.4667]
    """
    year = _require_year(year)
    act = _prepare_actors(actors)
    tie = _prepare_ties(ties, act.index)
    parts = _reputation_parts(act, tie, year)
    if compliance is not None:
        if not isinstance(compliance, pd.Series):
            raise TypeError(
                "compliance must be a pandas Series indexed by actor_id; got "
                f"{type(compliance).__name__}."
            )
        signal = pd.to_numeric(compliance, errors="coerce").astype(float)
        signal.index = [_as_code(i) for i in compliance.index]
        unknown = sorted(set(signal.index) - set(act.index), key=str)
        if unknown:
            raise ValueError(
                f"compliance names {len(unknown)} actor id(s) not in actors: "
                f"{unknown[:5]}. Index it by the actors' actor_id."
            )
        unreadable = signal.isna() & compliance.notna().to_numpy()
        outside = signal.notna() & ~signal.between(0, 1)
        bad = unreadable | outside
        if bad.any():
            raise ValueError(
                f"compliance must be in [0, 1] (or bool); got "
                f"{list(compliance[bad.to_numpy()][:5])}."
            )
        parts["compliance"] = signal.reindex(act.index)
    return parts.mean(axis=1, skipna=True).rename("reputation")


def cluster_members(
    actors: pd.DataFrame,
    ties: pd.DataFrame,
    clusters_regions: Mapping[Hashable, tuple[object, Iterable[object]]],
    *,
    year: int | None = None,
    min_member_firm_partners: int = 2,
) -> pd.DataFrame:
    """Member actors of each cluster: its industry's firms in its regions plus partners.

    Parameters
    ----------
    actors, ties : pandas.DataFrame
        Interaction network (see :func:`actor_reputation`). Not modified.
    clusters_regions : Mapping
        ``{cluster_id: (industry, region_ids)}``.
    year : int, optional
        When given, ties after ``year`` are ignored and actors founded after
        ``year`` are not members. Actors closed by ``year`` stay members (their exit
        is what :func:`entry_exit_rates` counts); :func:`ecosystem_measures` keeps
        only the members active in its year.
    min_member_firm_partners : int, default 2
        A non-firm actor outside the cluster's regions joins when it has ties to at
        least this many distinct member firms.

    Returns
    -------
    pandas.DataFrame
        ``cluster_id`` and ``actor_id``, one row per membership, clusters in the
        order of ``clusters_regions`` and actor ids sorted within each cluster.

    Raises
    ------
    TypeError
        If ``clusters_regions`` is not a mapping of ``(industry, regions)`` pairs.
    ValueError
        If the network is malformed (see :func:`actor_reputation`) or
        ``min_member_firm_partners < 1``.

    Notes
    -----
    Member firms are actors of kind ``firm`` whose ``industry`` equals the cluster's
    industry (compared as text, so aggregate actor industries to the study's level
    first) and whose ``region_id`` is one of the cluster's regions. Non-firm actors
    are members when located in one of the cluster's regions, or tied (either
    direction, any tie type) to at least ``min_member_firm_partners`` member firms.

    Examples
    --------
    >>> actors = pd.DataFrame({"actor_id": ["f1", "f2", "f3", "u", "g"],
    ...     "kind": ["firm", "firm", "firm", "research", "government"],
    ...     "region_id": ["r1", "r2", "r9", "r9", "r1"],
    ...     "industry": ["3141", "3141", "3141", None, None],
    ...     "founded": [2000] * 5})
    >>> ties = pd.DataFrame({"source": ["u", "u"], "target": ["f1", "f2"],
    ...     "tie_type": ["joint_project"] * 2, "year": [2015] * 2,
    ...     "via_coordinator": [False] * 2})
    >>> m = cluster_members(actors, ties, {"c1": ("3141", {"r1", "r2"})})
    >>> m["actor_id"].tolist()
    ['f1', 'f2', 'g', 'u']
    """
    if not isinstance(clusters_regions, Mapping):
        raise TypeError(
            "clusters_regions must be a mapping {cluster_id: (industry, region_ids)}; "
            f"got {type(clusters_regions).__name__}."
        )
    if isinstance(min_member_firm_partners, bool) or min_member_firm_partners < 1:
        raise ValueError(
            "min_member_firm_partners must be a positive integer; got "
            f"{min_member_firm_partners!r}."
        )
    act = _prepare_actors(actors)
    tie = _prepare_ties(ties, act.index)
    if year is not None:
        year = _require_year(year)
        tie = tie[tie["year"] <= year]
        act = act[~(act["founded"] > year)]
        tie = tie[tie["source"].isin(act.index) & tie["target"].isin(act.index)]
    ends = pd.concat(
        [
            tie[["source", "target"]].set_axis(["actor_id", "partner"], axis=1),
            tie[["target", "source"]].set_axis(["actor_id", "partner"], axis=1),
        ],
        ignore_index=True,
    )
    rows: list[tuple[Hashable, str]] = []
    for cluster_id, spec in clusters_regions.items():
        if not (isinstance(spec, tuple | list) and len(spec) == 2) or isinstance(
            spec[1], str
        ):
            raise TypeError(
                f"clusters_regions[{cluster_id!r}] must be (industry, region_ids); "
                f"got {spec!r}. Give the regions as a set or list of ids."
            )
        industry = _as_code(spec[0])
        regions = {_as_code(r) for r in spec[1]}
        in_regions = act["region_id"].isin(regions)
        is_firm = act["kind"] == "firm"
        firms = act.index[is_firm & in_regions & (act["industry"] == industry)]
        local = act.index[~is_firm & in_regions]
        to_firms = ends[ends["partner"].isin(firms)]
        partners = to_firms.groupby("actor_id")["partner"].nunique()
        partners = partners[partners >= min_member_firm_partners].index
        linked = [a for a in partners if act.at[a, "kind"] != "firm"]
        members = sorted(set(firms) | set(local) | set(linked))
        rows.extend((cluster_id, a) for a in members)
    return pd.DataFrame(rows, columns=["cluster_id", "actor_id"])


def member_compliance(
    actors: pd.DataFrame,
    ties: pd.DataFrame,
    members: pd.DataFrame,
    *,
    year: int,
    rules: EntryRules | None = None,
) -> pd.DataFrame:
    """Whether each member firm meets its cluster's entry rules, and why not.

    Parameters
    ----------
    actors, ties : pandas.DataFrame
        Interaction network (see docs/data-contract.md). Not modified. Ties after
        ``year`` are ignored; ``weight`` (optional column) is the volume of a
        ``supply`` tie, from seller (``source``) to buyer (``target``).
    members : pandas.DataFrame
        ``cluster_id`` and ``actor_id`` (e.g. from :func:`cluster_members`). Only
        the members active in ``year`` (founded by then or unknown, not closed)
        count, as members and as partners.
    year : int
        Analysis year.
    rules : EntryRules, optional
        The entry rules; default ``EntryRules()`` (at least one cooperation tie with
        another member, no functional-dependence minimum).

    Returns
    -------
    pandas.DataFrame
        One row per (cluster, active member firm), clusters in order of appearance:
        ``cluster_id``, ``actor_id``, ``cooperation_ties`` (int), ``supply_out`` and
        ``supply_to_members`` (weights of its supply ties in ``year``; NaN when it
        has none or one has no weight), ``functional_dependence`` (their ratio;
        NaN then too), ``complies`` (bool) and ``reason`` (the failed rules, ``""``
        when it complies).

    Raises
    ------
    TypeError
        If ``year`` is not an integer or ``rules`` is not an ``EntryRules``.
    ValueError
        If the network or ``members`` is malformed (see
        :func:`ecosystem_measures`).

    Notes
    -----
    A firm whose functional dependence is unknown does not comply with a
    functional-dependence rule: compliance must be shown by the data. Non-firm
    members (research, government, finance, support) are not subject to the rules.

    Examples
    --------
    >>> actors = pd.DataFrame({"actor_id": ["a", "b", "x"], "kind": ["firm"] * 3,
    ...     "region_id": ["r1"] * 3, "industry": ["1"] * 3, "founded": [2000] * 3})
    >>> ties = pd.DataFrame({"source": ["a", "a", "b"], "target": ["b", "x", "a"],
    ...     "tie_type": ["supply"] * 3, "year": [2016] * 3, "weight": [1.0, 3.0, 2.0],
    ...     "via_coordinator": [False] * 3})
    >>> members = pd.DataFrame({"cluster_id": "c", "actor_id": ["a", "b"]})
    >>> out = member_compliance(actors, ties, members, year=2016,
    ...                         rules=EntryRules(min_functional_dependence=0.5))
    >>> out[["functional_dependence", "complies"]].values.tolist()
    [[0.25, False], [1.0, True]]
    """
    year = _require_year(year)
    rules = _check_rules(rules)
    act = _prepare_actors(actors)
    tie = _prepare_ties(ties, act.index)
    tie = tie[tie["year"] <= year]
    mem = _prepare_members(members, act)
    mem = mem[_active(act, year).loc[mem["actor_id"]].to_numpy()]
    out = _compliance(mem, act, tie, year=year, rules=rules)
    return out[list(COMPLIANCE_COLUMNS)].reset_index(drop=True)


def entry_exit_rates(
    actors: pd.DataFrame,
    ties: pd.DataFrame,
    members: pd.DataFrame,
    *,
    first_year: int,
    last_year: int,
    basis: str = "registry",
) -> pd.DataFrame:
    """Yearly entry and exit rates of each cluster's member firms.

    Parameters
    ----------
    actors, ties : pandas.DataFrame
        Interaction network (see docs/data-contract.md). Not modified. With
        ``basis="registry"`` the actors need a ``closed`` column (closing year,
        empty while active), e.g. from the firm registry through ``firm_id``.
    members : pandas.DataFrame
        ``cluster_id`` and ``actor_id`` of every firm that was ever a member
        (closed ones included, as :func:`cluster_members` gives them).
    first_year, last_year : int
        Years reported, inclusive.
    basis : {"registry", "ties"}, default "registry"
        ``"registry"``: a firm enters in its ``founded`` year and exits in its
        ``closed`` year (its first year not active). ``"ties"``: it enters in the
        first year it has a tie with another member of the cluster and exits in the
        year after its last such tie (never after ``last_year``).

    Returns
    -------
    pandas.DataFrame
        One row per cluster (order of appearance) and year: ``cluster_id``,
        ``year``, ``stock`` (member firms active at the start of the year, i.e.
        entered before it and not exited before it), ``entries``, ``exits`` (of the
        stock), ``entry_rate = entries / stock`` and ``exit_rate = exits / stock``
        (NaN when the stock is 0).

    Raises
    ------
    TypeError
        If a year is not an integer.
    ValueError
        If ``first_year > last_year``, ``basis`` is unknown, the actors have no
        ``closed`` column under ``basis="registry"``, or the inputs are malformed.

    Notes
    -----
    Firms with an unknown entry year (empty ``founded``; no tie for ``"ties"``) are
    left out. Under ``"ties"`` every firm already tied in the first year of the tie
    data shows as an entrant that year: report years after it.

    Examples
    --------
    >>> actors = pd.DataFrame({"actor_id": ["a", "b", "c"], "kind": ["firm"] * 3,
    ...     "region_id": ["r1"] * 3, "industry": ["1"] * 3,
    ...     "founded": [2000, 2000, 2016], "closed": [None, 2016, None]})
    >>> ties = pd.DataFrame(columns=["source", "target", "tie_type", "year",
    ...                              "via_coordinator"])
    >>> members = pd.DataFrame({"cluster_id": "c1", "actor_id": ["a", "b", "c"]})
    >>> r = entry_exit_rates(actors, ties, members, first_year=2016, last_year=2016)
    >>> r.loc[0, ["stock", "entries", "exits"]].astype(int).tolist()
    [2, 1, 1]
    >>> float(r.loc[0, "entry_rate"]), float(r.loc[0, "exit_rate"])
    (0.5, 0.5)
    """
    first_year = _require_year(first_year, "first_year")
    last_year = _require_year(last_year, "last_year")
    if first_year > last_year:
        raise ValueError(
            f"first_year {first_year} is after last_year {last_year}; swap them."
        )
    _check_basis(basis)
    act = _prepare_actors(actors)
    tie = _prepare_ties(ties, act.index)
    if basis == "registry" and "closed" not in actors.columns:
        raise ValueError(
            "actors has no 'closed' column, so exits cannot be dated; add the "
            "registry's closing years (empty while active) or use basis='ties'."
        )
    mem = _prepare_members(members, act)
    spans = _entry_exit_years(mem, act, tie, last_year=last_year, basis=basis)
    table = _rates(spans, range(first_year, last_year + 1))
    stock = table["stock"].where(table["stock"] > 0)
    table["entry_rate"] = (table["entries"] / stock).astype(float)
    table["exit_rate"] = (table["exits"] / stock).astype(float)
    return table[list(RATE_COLUMNS)]


def _check_rules(rules: object) -> EntryRules:
    if rules is None:
        return EntryRules()
    if not isinstance(rules, EntryRules):
        raise TypeError(
            f"rules must be an EntryRules; got {type(rules).__name__}. Build it with "
            "EntryRules(min_cooperation_ties=..., min_functional_dependence=...)."
        )
    return rules


def ecosystem_measures(
    actors: pd.DataFrame,
    ties: pd.DataFrame,
    members: pd.DataFrame,
    *,
    year: int,
    coordinator_ids: Iterable[str] = (),
    min_actors: int = 3,
    entry_rules: EntryRules | None = None,
    anchor_share: float = 0.1,
    rate_years: int = 5,
    rate_basis: str = "registry",
    cluster_ids: Iterable[Hashable] | None = None,
) -> pd.DataFrame:
    """Collaboration, self-organisation, reputation and composition of each cluster.

    Parameters
    ----------
    actors, ties : pandas.DataFrame
        Interaction network (see docs/data-contract.md). Not modified. Ties after
        ``year`` are ignored. ``weight`` (optional) is used for functional
        dependence only; ``closed`` (optional actor column) for activity and exits.
    members : pandas.DataFrame
        ``cluster_id`` and ``actor_id``, one row per membership (e.g. from
        :func:`cluster_members`). An actor may belong to several clusters. Members
        not active in ``year`` (founded later, or closed) count only for the entry
        and exit rates.
    year : int
        Analysis year.
    coordinator_ids : iterable of str, default ()
        Actor ids of cluster coordinators; ties touching them are not coordinator-free.
    min_actors : int, default 3
        Clusters with fewer active member actors get NaN network measures.
    entry_rules : EntryRules, optional
        The clusters' entry rules (see :func:`member_compliance`); default
        ``EntryRules()``.
    anchor_share : float, default 0.1
        Fraction of member actors (rounded up) that counts as anchors.
    rate_years : int, default 5
        Entry and exit rates are pooled over the years ``year - rate_years + 1 ..
        year``.
    rate_basis : {"registry", "ties"}, default "registry"
        How entry and exit years are found (see :func:`entry_exit_rates`). Under
        ``"registry"`` without a ``closed`` column both rates are NaN with a note.
    cluster_ids : iterable, optional
        Clusters to report, in this order; clusters without members get a row of
        NaN with notes. Default: the clusters in ``members``, in order of appearance.

    Returns
    -------
    pandas.DataFrame
        ``cluster_id``, the float columns of ``ECOSYSTEM_COLUMNS`` and ``notes`` (text,
        ``"measure: reason"`` for every NaN, joined by ``"; "``; empty when none).
        Formulas, ranges and the meaning of NaN: docs/indicators.md.

    Raises
    ------
    TypeError
        If an input has the wrong type (e.g. ``coordinator_ids`` given as one string,
        ``entry_rules`` not an ``EntryRules``).
    ValueError
        If the network is malformed (see :func:`actor_reputation`), a member is not an
        actor, ``members`` names a cluster outside ``cluster_ids``, or an option is out
        of range.

    Examples
    --------
    >>> actors = pd.DataFrame({"actor_id": list("abc"),
    ...     "kind": ["firm", "firm", "research"], "region_id": ["r1", "r1", "r2"],
    ...     "industry": ["3141", "3141", None], "founded": [2000, 2000, 1950]})
    >>> ties = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"],
    ...     "tie_type": ["supply", "joint_project"], "year": [2015, 2016],
    ...     "via_coordinator": [False, False]})
    >>> members = pd.DataFrame({"cluster_id": ["c1"] * 3, "actor_id": list("abc")})
    >>> row = ecosystem_measures(actors, ties, members, year=2016).iloc[0]
    >>> float(row["tie_density"]), float(row["intersectoral_share"])
    (0.6666666666666666, 0.5)
    """
    year = _require_year(year)
    if isinstance(coordinator_ids, str):
        raise TypeError(
            f"coordinator_ids must be a collection of actor ids, not one string "
            f"({coordinator_ids!r}); write ({coordinator_ids!r},)."
        )
    for name, value in (("min_actors", min_actors), ("rate_years", rate_years)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")
    rules = _check_rules(entry_rules)
    if not 0 < anchor_share <= 1:
        raise ValueError(
            f"anchor_share must be a fraction in (0, 1]; got {anchor_share!r}."
        )
    _check_basis(rate_basis)
    act = _prepare_actors(actors)
    tie = _prepare_ties(ties, act.index)
    tie = tie[tie["year"] <= year].reset_index(drop=True)
    coordinators = {_as_code(c) for c in coordinator_ids}
    mem_all = _prepare_members(members, act)
    if cluster_ids is None:
        order = list(pd.unique(mem_all["cluster_id"]))
    else:
        order = list(cluster_ids)
        wanted = set(order)
        extra = [c for c in pd.unique(mem_all["cluster_id"]) if c not in wanted]
        if extra:
            raise ValueError(
                f"members has cluster id(s) {extra[:5]} that are not in cluster_ids; "
                "add them to cluster_ids or drop those memberships."
            )
    active = _active(act, year)
    mem = mem_all[active.loc[mem_all["actor_id"]].to_numpy()]

    compliance = _compliance(mem, act, tie, year=year, rules=rules)
    window = range(year - rate_years + 1, year + 1)
    rates_reason = None
    if rate_basis == "registry" and "closed" not in actors.columns:
        rates_reason = "actors have no closed column (closing years)"
        rates = _rates(mem_all.iloc[:0].assign(entry=[], exit=[]), window)
    else:
        spans = _entry_exit_years(mem_all, act, tie, last_year=year, basis=rate_basis)
        rates = _rates(spans, window)
    pooled = rates.groupby("cluster_id", sort=False)[["stock", "entries", "exits"]]
    pooled = pooled.sum()

    parts = _reputation_parts(act, tie, year)
    pairs = _pair_table(tie, act)
    groups = {c: list(pd.unique(g["actor_id"])) for c, g in mem.groupby("cluster_id")}
    by_cluster = dict(list(compliance.groupby("cluster_id", sort=False)))

    rows = []
    for cluster_id in order:
        values, reasons = _cluster_row(
            groups.get(cluster_id, []),
            act=act,
            tie=tie,
            pairs=pairs,
            parts=parts,
            compliance=by_cluster.get(cluster_id, compliance.iloc[:0]),
            coordinators=coordinators,
            min_actors=min_actors,
            anchor_share=anchor_share,
            year=year,
        )
        _rate_values(
            values,
            reasons,
            pooled.loc[cluster_id] if cluster_id in pooled.index else None,
            rates_reason=rates_reason,
            window=window,
        )
        rows.append({"cluster_id": cluster_id, **values, "notes": _notes(reasons)})
    out = pd.DataFrame(rows, columns=["cluster_id", *ECOSYSTEM_COLUMNS, "notes"])
    out[list(ECOSYSTEM_COLUMNS)] = out[list(ECOSYSTEM_COLUMNS)].astype(float)
    out["notes"] = out["notes"].astype(object)
    return out


def _notes(reasons: dict[str, str]) -> str:
    """``"measure: reason"`` strings in the order of ``ECOSYSTEM_COLUMNS``."""
    return "; ".join(f"{m}: {reasons[m]}" for m in ECOSYSTEM_COLUMNS if m in reasons)


def _rate_values(
    values: dict[str, float],
    reasons: dict[str, str],
    pooled: pd.Series | None,
    *,
    rates_reason: str | None,
    window: range,
) -> None:
    span = f"{window[0]}-{window[-1]}"
    if rates_reason is not None:
        reason = rates_reason
    elif pooled is None or pooled["stock"] == 0:
        reason = f"no member firm with a known entry year active in {span}"
    else:
        values["entry_rate"] = float(pooled["entries"] / pooled["stock"])
        values["exit_rate"] = float(pooled["exits"] / pooled["stock"])
        return
    for m in DEMOGRAPHY_MEASURES:
        reasons[m] = reason


def _cluster_row(
    ids: list[str],
    *,
    act: pd.DataFrame,
    tie: pd.DataFrame,
    pairs: pd.DataFrame,
    parts: pd.DataFrame,
    compliance: pd.DataFrame,
    coordinators: set,
    min_actors: int,
    anchor_share: float,
    year: int,
) -> tuple[dict[str, float], dict[str, str]]:
    nan = float("nan")
    values: dict[str, float] = dict.fromkeys(ECOSYSTEM_COLUMNS, nan)
    reasons: dict[str, str] = {}
    n = len(ids)
    mset = set(ids)
    kinds = act.loc[ids, "kind"]
    u_in = pairs["u"].isin(mset)
    v_in = pairs["v"].isin(mset)
    inner = pairs[u_in & v_in]
    n_pairs = len(inner)
    values["actors"] = float(n)
    values["member_firms"] = float((kinds == "firm").sum())
    values["ties"] = float(n_pairs)

    if n == 0:
        for m in NETWORK_MEASURES + ACTOR_MEASURES:
            reasons[m] = f"no member actors active in {year}"
        return values, reasons

    # ---- actor-level measures (any cluster with at least one actor)
    signal = compliance.set_index("actor_id")["complies"].astype(float)
    rep_parts = parts.loc[ids].assign(compliance=signal.reindex(ids).to_numpy())
    rep = rep_parts.mean(axis=1, skipna=True)
    values["reputation_mean"] = float(rep.mean())
    total = float(rep.sum())
    if total > 0:
        k = math.ceil(anchor_share * n - 1e-9)
        values["anchor_reputation_share"] = float(
            rep.sort_values(ascending=False).iloc[:k].sum() / total
        )
    else:
        reasons["anchor_reputation_share"] = "all member reputations are 0"
    shares = kinds.value_counts(normalize=True)
    entropy = float(-(shares * np.log(shares)).sum())
    values["composition_diversity"] = entropy / math.log(len(ACTOR_KINDS)) + 0.0
    for kind in ACTOR_KINDS:
        values[f"{kind}_share"] = float((kinds == kind).mean())

    # ---- network measures
    if n < min_actors:
        for m in NETWORK_MEASURES:
            reasons[m] = f"fewer than {min_actors} actors"
        return values, reasons

    graph = nx.Graph()
    graph.add_nodes_from(ids)
    graph.add_edges_from(zip(inner["u"], inner["v"], strict=True))
    inner_ties = tie[tie["source"].isin(mset) & tie["target"].isin(mset)]
    digraph = nx.DiGraph()
    digraph.add_nodes_from(ids)
    digraph.add_edges_from(zip(inner_ties["source"], inner_ties["target"], strict=True))

    values["tie_density"] = float(nx.density(graph))
    values["mean_degree"] = 2.0 * n_pairs / n
    values["clustering"] = float(nx.average_clustering(graph))

    no_ties = "no ties among members"
    if n_pairs:
        values["intersectoral_share"] = float(inner["cross_sector"].mean())
        values["persistence"] = float((inner["years"] >= 2).mean())
        values["non_group_share"] = float((~inner["has_group"]).mean())
        values["joint_work_share"] = float(inner["has_joint"].mean())
        values["reciprocity"] = float(nx.reciprocity(digraph))
        values["coordinator_free_share"] = float(
            (
                ~inner_ties["via_coordinator"]
                & ~inner_ties["source"].isin(coordinators)
                & ~inner_ties["target"].isin(coordinators)
            ).mean()
        )
    else:
        for m in (
            "intersectoral_share",
            "persistence",
            "non_group_share",
            "joint_work_share",
            "reciprocity",
            "coordinator_free_share",
        ):
            reasons[m] = no_ties

    # Freeman degree centralisation by hand: networkx has no centralisation function.
    # C = sum(d_max - d_i) / ((n-1)(n-2)), the denominator being the star graph's sum.
    if not n_pairs:
        reasons["non_hierarchy"] = f"{no_ties} (centralisation undefined)"
    else:
        degrees = np.array([d for _, d in graph.degree()], dtype=float)
        centralisation = (degrees.max() - degrees).sum() / ((n - 1) * (n - 2))
        values["non_hierarchy"] = 1.0 - float(centralisation)

    touching = pairs[(u_in | v_in) & pairs["region_known"]]
    if len(touching):
        values["interregional_share"] = float(touching["cross_region"].mean())
    else:
        reasons["interregional_share"] = "members have no ties with known regions"

    if len(compliance):
        values["entry_rule_compliance"] = float(compliance["complies"].mean())
        known = compliance[compliance["functional_dependence"].notna()]
        if len(known):
            values["functional_dependence"] = float(
                known["supply_to_members"].sum() / known["supply_out"].sum()
            )
        else:
            reasons["functional_dependence"] = (
                f"no member firm has weighted supply ties in {year}"
            )
    else:
        reasons["entry_rule_compliance"] = "no member firms"
        reasons["functional_dependence"] = "no member firms"

    return values, reasons
