"""Per-cluster ecosystem measures from an interaction network of actors and ties."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping

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
"""Valid values of ``ties["tie_type"]``."""

COOPERATION_TYPES: tuple[str, ...] = (
    "supply",
    "joint_project",
    "co_patent",
    "agreement",
)
"""Tie types that count as cooperation for the default entry rule."""

JOINT_WORK_TYPES: tuple[str, ...] = ("joint_project", "co_patent")
"""Tie types that count as completed joint (innovation) work."""

REPUTATION_AGE_YEARS = 30
"""An actor this many years old gets the full age score."""

REPUTATION_WINDOW_YEARS = 5
"""Continuity looks at this many years, ending with the analysis year."""

REPUTATION_JOINT_WORK_TIES = 5
"""This many joint_project/co_patent ties give the full joint-work score."""

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
    "entry_rule_compliance",
    "coordinator_free_share",
)
"""Measures set to NaN for clusters with fewer than ``min_actors`` actors."""

ACTOR_MEASURES: tuple[str, ...] = (
    "reputation_mean",
    "anchor_reputation_share",
    "composition_diversity",
    "research_share",
    "government_share",
)
"""Measures computed from the member actors alone (any cluster with >= 1 actor)."""

ECOSYSTEM_COLUMNS: tuple[str, ...] = (
    "actors",
    "member_firms",
    "ties",
    *NETWORK_MEASURES,
    *ACTOR_MEASURES,
)
"""Float columns of :func:`ecosystem_measures`, in output order (then ``notes``)."""

_ACTOR_COLUMNS = ("actor_id", "kind", "region_id", "industry", "founded")
_TIE_COLUMNS = ("source", "target", "tie_type", "year", "via_coordinator")


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
    """Text form of an id or code; 3141.0 -> '3141'; missing stays None."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _codes(series: pd.Series) -> pd.Series:
    return pd.Series(
        [_as_code(v) for v in series],
        index=series.index,
        dtype=object,
        name=series.name,
    )


def _ids(series: pd.Series, name: str) -> pd.Series:
    ids = _codes(series)
    if ids.isna().any():
        rows = list(series.index[ids.isna()][:5])
        raise ValueError(
            f"{name} has {int(ids.isna().sum())} empty id(s) (first rows: {rows}). "
            "Every actor and tie end needs an id: drop or repair those rows."
        )
    return ids


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
    founded = pd.to_numeric(actors["founded"], errors="coerce").astype(float)
    unreadable = founded.isna() & actors["founded"].notna()
    if unreadable.any():
        raise ValueError(
            f"actors.founded has {int(unreadable.sum())} value(s) that are not years "
            f"(first: {list(actors['founded'][unreadable][:5])}). Use a year or leave "
            "it empty."
        )
    out["founded"] = founded.to_numpy()
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


def _tie_ends(ties: pd.DataFrame) -> pd.DataFrame:
    """Long table: one row per (tie, end) with the actor at that end."""
    return pd.concat(
        [
            ties[["source", "year", "tie_type"]].rename(columns={"source": "actor_id"}),
            ties[["target", "year", "tie_type"]].rename(columns={"target": "actor_id"}),
        ],
        ignore_index=True,
    )


def _reputation(act: pd.DataFrame, tie: pd.DataFrame, year: int) -> pd.Series:
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
    parts = pd.concat(
        [age.astype(float), continuity.astype(float), joint_score.astype(float)], axis=1
    )
    return parts.mean(axis=1, skipna=True).rename("reputation")


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


# --------------------------------------------------------------------------- public
def actor_reputation(
    actors: pd.DataFrame, ties: pd.DataFrame, *, year: int
) -> pd.Series:
    """Reputation score in [0, 1] of every actor, from age, continuity and joint work.

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

    Returns
    -------
    pandas.Series
        ``reputation`` indexed by ``actor_id`` (text), in the order of ``actors``.

    Raises
    ------
    TypeError
        If ``year`` is not an integer or an input is not a DataFrame.
    ValueError
        If a column is missing, an id is empty or duplicated, a kind or tie type is
        unknown, a tie has no year, joins an actor to itself or names an unknown actor.

    Notes
    -----
    Mean of the available components (all ties of the actor, to anyone, up to
    ``year``):

    - age ``= clip((year - founded) / 30, 0, 1)``; NaN (left out) when ``founded``
      is empty;
    - continuity ``=`` share of the 5 years ``year-4 .. year`` with at least one tie;
    - joint work ``= min(1, n_joint / 5)``, ``n_joint`` the number of
      ``joint_project`` and ``co_patent`` tie rows the actor is an end of.

    Examples
    --------
    >>> actors = pd.DataFrame({"actor_id": ["a", "b"], "kind": ["firm", "research"],
    ...     "region_id": ["r1", "r1"], "industry": ["3141", None],
    ...     "founded": [2001, 1950]})
    >>> ties = pd.DataFrame({"source": ["a"], "target": ["b"],
    ...     "tie_type": ["joint_project"], "year": [2016], "via_coordinator": [False]})
    >>> actor_reputation(actors, ties, year=2016).round(4).tolist()
    [0.3, 0.4667]
    """
    year = _require_year(year)
    act = _prepare_actors(actors)
    tie = _prepare_ties(ties, act.index)
    return _reputation(act, tie, year)


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
        ``year`` are not members.
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


def ecosystem_measures(
    actors: pd.DataFrame,
    ties: pd.DataFrame,
    members: pd.DataFrame,
    *,
    year: int,
    coordinator_ids: Iterable[str] = (),
    min_actors: int = 3,
    min_cooperation_ties: int = 1,
    cooperation_types: tuple[str, ...] = COOPERATION_TYPES,
    anchor_share: float = 0.1,
    cluster_ids: Iterable[Hashable] | None = None,
) -> pd.DataFrame:
    """Collaboration, self-organisation, reputation and composition of each cluster.

    Parameters
    ----------
    actors, ties : pandas.DataFrame
        Interaction network (see docs/data-contract.md). Not modified. Ties after
        ``year`` are ignored; ``weight`` is not used (ties count as present/absent).
    members : pandas.DataFrame
        ``cluster_id`` and ``actor_id``, one row per membership (e.g. from
        :func:`cluster_members`). An actor may belong to several clusters.
    year : int
        Analysis year.
    coordinator_ids : iterable of str, default ()
        Actor ids of cluster coordinators; ties touching them are not coordinator-free.
    min_actors : int, default 3
        Clusters with fewer member actors get NaN network measures.
    min_cooperation_ties : int, default 1
        Entry rule: a member firm complies with at least this many cooperation tie
        rows to other members.
    cooperation_types : tuple of str, default COOPERATION_TYPES
        Tie types that count as cooperation for the entry rule.
    anchor_share : float, default 0.1
        Fraction of member actors (rounded up) that counts as anchors.
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
        If an input has the wrong type (e.g. ``coordinator_ids`` given as one string).
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
    >>> float(row["tie_density"]), float(row["intersectoral_share"]), row["notes"]
    (0.6666666666666666, 0.5, '')
    """
    year = _require_year(year)
    if isinstance(coordinator_ids, str):
        raise TypeError(
            f"coordinator_ids must be a collection of actor ids, not one string "
            f"({coordinator_ids!r}); write ({coordinator_ids!r},)."
        )
    for name, value in (
        ("min_actors", min_actors),
        ("min_cooperation_ties", min_cooperation_ties),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")
    cooperation_types = tuple(cooperation_types)
    bad = [t for t in cooperation_types if t not in TIE_TYPES]
    if bad or not cooperation_types:
        raise ValueError(
            f"cooperation_types must be a non-empty subset of {list(TIE_TYPES)}; "
            f"got {list(cooperation_types)}."
        )
    if not 0 < anchor_share <= 1:
        raise ValueError(
            f"anchor_share must be a fraction in (0, 1]; got {anchor_share!r}."
        )
    act = _prepare_actors(actors)
    tie = _prepare_ties(ties, act.index)
    tie = tie[tie["year"] <= year].reset_index(drop=True)
    coordinators = {_as_code(c) for c in coordinator_ids}

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
    if cluster_ids is None:
        order = list(pd.unique(mem["cluster_id"]))
    else:
        order = list(cluster_ids)
        wanted = set(order)
        extra = [c for c in pd.unique(mem["cluster_id"]) if c not in wanted]
        if extra:
            raise ValueError(
                f"members has cluster id(s) {extra[:5]} that are not in cluster_ids; "
                "add them to cluster_ids or drop those memberships."
            )

    reputation = _reputation(act, tie, year)
    pairs = _pair_table(tie, act)
    groups = {c: list(pd.unique(g["actor_id"])) for c, g in mem.groupby("cluster_id")}

    rows = []
    for cluster_id in order:
        ids = groups.get(cluster_id, [])
        values, notes = _cluster_row(
            ids,
            act=act,
            tie=tie,
            pairs=pairs,
            reputation=reputation,
            coordinators=coordinators,
            min_actors=min_actors,
            min_cooperation_ties=min_cooperation_ties,
            cooperation_types=cooperation_types,
            anchor_share=anchor_share,
        )
        rows.append({"cluster_id": cluster_id, **values, "notes": "; ".join(notes)})
    out = pd.DataFrame(rows, columns=["cluster_id", *ECOSYSTEM_COLUMNS, "notes"])
    out[list(ECOSYSTEM_COLUMNS)] = out[list(ECOSYSTEM_COLUMNS)].astype(float)
    out["notes"] = out["notes"].astype(object)
    return out


def _notes(reasons: dict[str, str]) -> list[str]:
    """``"measure: reason"`` strings in the order of ``ECOSYSTEM_COLUMNS``."""
    return [f"{m}: {reasons[m]}" for m in ECOSYSTEM_COLUMNS if m in reasons]


def _cluster_row(
    ids: list[str],
    *,
    act: pd.DataFrame,
    tie: pd.DataFrame,
    pairs: pd.DataFrame,
    reputation: pd.Series,
    coordinators: set,
    min_actors: int,
    min_cooperation_ties: int,
    cooperation_types: tuple[str, ...],
    anchor_share: float,
) -> tuple[dict[str, float], list[str]]:
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
            reasons[m] = "no member actors"
        return values, _notes(reasons)

    # ---- actor-level measures (any cluster with at least one actor)
    rep = reputation.loc[ids]
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
    values["research_share"] = float((kinds == "research").mean())
    values["government_share"] = float((kinds == "government").mean())

    # ---- network measures
    if n < min_actors:
        for m in NETWORK_MEASURES:
            reasons[m] = f"fewer than {min_actors} actors"
        return values, _notes(reasons)

    graph = nx.Graph()
    graph.add_nodes_from(ids)
    graph.add_edges_from(zip(inner["u"], inner["v"], strict=True))
    inner_ties = tie[tie["source"].isin(mset) & tie["target"].isin(mset)]
    digraph = nx.DiGraph()
    digraph.add_nodes_from(ids)
    digraph.add_edges_from(zip(inner_ties["source"], inner_ties["target"], strict=True))

    if n >= 2:
        values["tie_density"] = float(nx.density(graph))
    else:
        reasons["tie_density"] = "needs at least 2 actors"
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
    if n < 3:
        reasons["non_hierarchy"] = "centralisation needs at least 3 actors"
    elif not n_pairs:
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

    firms = [a for a in ids if act.at[a, "kind"] == "firm"]
    if firms:
        coop = inner_ties[inner_ties["tie_type"].isin(cooperation_types)]
        counts = pd.concat([coop["source"], coop["target"]]).value_counts()
        complying = counts.reindex(firms, fill_value=0) >= min_cooperation_ties
        values["entry_rule_compliance"] = float(complying.mean())
    else:
        reasons["entry_rule_compliance"] = "no member firms"

    return values, _notes(reasons)
