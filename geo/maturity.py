"""Cluster maturity index: fixed-scale indicators, weighted groups and a stage."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

MATURITY_GROUPS: tuple[str, ...] = (
    "critical_mass",
    "specialisation",
    "collaboration",
    "self_organisation",
    "reputation",
    "innovation",
    "composition",
)
"""Indicator groups of the maturity index, in output order."""

DEFAULT_MATURITY_WEIGHTS: dict[str, float] = dict.fromkeys(MATURITY_GROUPS, 1.0)
"""Equal weights; a study overrides some or all of them (see :func:`maturity_index`)."""

MATURITY_STAGES: tuple[tuple[float, str], ...] = (
    (0.0, "embryonic"),
    (0.2, "emerging"),
    (0.4, "developing"),
    (0.6, "mature"),
    (0.8, "ecosystem"),
)
"""``(lower bound, stage)``: a cluster is in the last stage whose bound it reaches."""

EMPLOYMENT_FULL_SCALE = 10_000
"""Employment that gives the full critical-mass employment score (log10 scale)."""

FIRMS_FULL_SCALE = 100
"""Number of firms that gives the full critical-mass firm score (log10 scale)."""

LQ_FULL_SCALE = 5.0
"""Mean location quotient that gives the full specialisation score (LQ 1 gives 0)."""

DENSITY_FULL_SCALE = 0.3
"""Tie density that gives the full density score."""


def _log_scale(full: float) -> Callable[[pd.Series], pd.Series]:
    def scale(x: pd.Series) -> pd.Series:
        # log10(x) / log10(full), 0 for x <= 1 (log of 0 employees is no mass at all)
        logged = np.log10(x.where(x.isna() | (x >= 1), 1.0))
        return (logged / math.log10(full)).clip(0.0, 1.0)

    return scale


def _lq_scale(x: pd.Series) -> pd.Series:
    return ((x - 1.0) / (LQ_FULL_SCALE - 1.0)).clip(0.0, 1.0)


def _density_scale(x: pd.Series) -> pd.Series:
    return (x / DENSITY_FULL_SCALE).clip(0.0, 1.0)


def _share(x: pd.Series) -> pd.Series:
    return x


MATURITY_INDICATORS: dict[str, tuple[str, Callable[[pd.Series], pd.Series]]] = {
    "employment": ("critical_mass", _log_scale(EMPLOYMENT_FULL_SCALE)),
    "firms": ("critical_mass", _log_scale(FIRMS_FULL_SCALE)),
    "mean_lq": ("specialisation", _lq_scale),
    "tie_density": ("collaboration", _density_scale),
    "intersectoral_share": ("collaboration", _share),
    "persistence": ("collaboration", _share),
    "clustering": ("collaboration", _share),
    "non_hierarchy": ("collaboration", _share),
    "entry_rule_compliance": ("self_organisation", _share),
    "coordinator_free_share": ("self_organisation", _share),
    "reputation_mean": ("reputation", _share),
    "joint_work_share": ("innovation", _share),
    "research_share": ("innovation", _share),
    "composition_diversity": ("composition", _share),
}
"""``{input column: (group, scale to [0, 1])}``; formulas in docs/indicators.md."""

_REQUIRED = ("cluster_id", "employment", "firms", "mean_lq")
_NON_NEGATIVE = ("employment", "firms", "mean_lq")


def _check_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    merged = dict(DEFAULT_MATURITY_WEIGHTS)
    if weights is None:
        return merged
    if not isinstance(weights, Mapping):
        raise TypeError(
            "weights must be a mapping {group: weight}; got "
            f"{type(weights).__name__}."
        )
    unknown = [g for g in weights if g not in MATURITY_GROUPS]
    if unknown:
        raise ValueError(
            f"weights has unknown group(s) {unknown}; valid groups are "
            f"{list(MATURITY_GROUPS)}."
        )
    for group, value in weights.items():
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise TypeError(
                f"weight of group {group!r} must be a number; got {value!r}."
            )
        if not math.isfinite(float(value)) or value < 0:
            raise ValueError(
                f"weight of group {group!r} must be a finite number >= 0; "
                f"got {value!r}. Use 0 to leave a group out of the index."
            )
        merged[group] = float(value)
    if not any(w > 0 for w in merged.values()):
        raise ValueError(
            f"all maturity weights are 0 ({merged}); give at least one group a "
            "positive weight."
        )
    return merged


def maturity_indicators(clusters: pd.DataFrame) -> pd.DataFrame:
    """Every maturity indicator mapped onto its fixed [0, 1] scale.

    Parameters
    ----------
    clusters : pandas.DataFrame
        One row per cluster with ``cluster_id``, ``employment``, ``firms``,
        ``mean_lq`` and, optionally, the ecosystem columns of
        :func:`geo.ecosystem.ecosystem_measures`. Not modified.

    Returns
    -------
    pandas.DataFrame
        One float column per key of ``MATURITY_INDICATORS`` (NaN when the input value
        is NaN or the column is absent), on the index of ``clusters``.

    Raises
    ------
    TypeError
        If ``clusters`` is not a DataFrame.
    ValueError
        If a required column is missing, a value is not numeric, employment, firms
        or mean LQ is negative, a share lies outside [0, 1] or a cluster id repeats.

    Notes
    -----
    Scales are fixed so that indices compare across studies (docs/indicators.md):
    ``employment -> clip(log10(e) / 4, 0, 1)``, ``firms -> clip(log10(f) / 2, 0, 1)``,
    ``mean_lq -> clip((lq - 1) / 4, 0, 1)``, ``tie_density -> min(1, d / 0.3)``;
    shares are kept as they are.

    Examples
    --------
    >>> t = pd.DataFrame({"cluster_id": ["a"], "employment": [1000], "firms": [10],
    ...                   "mean_lq": [2.0], "tie_density": [0.15]})
    >>> maturity_indicators(t).iloc[0, :4].tolist()
    [0.75, 0.5, 0.25, 0.5]
    """
    if not isinstance(clusters, pd.DataFrame):
        raise TypeError(
            f"clusters must be a pandas DataFrame; got {type(clusters).__name__}."
        )
    missing = [c for c in _REQUIRED if c not in clusters.columns]
    if missing:
        raise ValueError(
            f"clusters is missing column(s) {missing}; found {list(clusters.columns)}. "
            "Join localized_clusters (cluster_id, employment, firms, mean_lq) first."
        )
    dup = clusters["cluster_id"][clusters["cluster_id"].duplicated()].unique()
    if len(dup):
        raise ValueError(
            f"clusters has duplicated cluster_id(s) {list(dup[:5])}; keep one row per "
            "cluster."
        )
    out = pd.DataFrame(index=clusters.index)
    for column, (_, scale) in MATURITY_INDICATORS.items():
        if column not in clusters.columns:
            out[column] = np.nan
            continue
        raw = clusters[column]
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        bad = values.isna() & raw.notna()
        if bad.any():
            raise ValueError(
                f"clusters.{column} has non-numeric value(s) {list(raw[bad][:5])}; "
                "give numbers or leave them empty (NaN)."
            )
        if column in _NON_NEGATIVE:
            wrong = values < 0
            expect = ">= 0"
        else:
            wrong = (values < -1e-9) | (values > 1 + 1e-9)
            expect = "in [0, 1]"
        if wrong.any():
            ids = list(clusters["cluster_id"][wrong][:5])
            raise ValueError(
                f"clusters.{column} must be {expect}; got {list(values[wrong][:5])} "
                f"(clusters {ids}). Check how the column was computed."
            )
        out[column] = scale(values).clip(0.0, 1.0)
    return out


def _stage(index: float) -> str | None:
    if not math.isfinite(index):
        return None
    stage = MATURITY_STAGES[0][1]
    for bound, name in MATURITY_STAGES:
        if index >= bound:
            stage = name
    return stage


def maturity_index(
    clusters: pd.DataFrame, *, weights: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Maturity index in [0, 1] and stage of each cluster from weighted groups.

    Parameters
    ----------
    clusters : pandas.DataFrame
        One row per cluster: ``cluster_id``, ``employment``, ``firms``, ``mean_lq``
        and, optionally, the ecosystem columns of
        :func:`geo.ecosystem.ecosystem_measures` (absent columns count as missing).
        Not modified.
    weights : mapping of str to float, optional
        Weight per group (keys from ``MATURITY_GROUPS``); groups left out keep their
        ``DEFAULT_MATURITY_WEIGHTS`` value; 0 leaves a group out of the index.

    Returns
    -------
    pandas.DataFrame
        On the index of ``clusters``: ``cluster_id``, ``score_<group>`` per group,
        ``maturity_index``, ``maturity_stage`` (see ``MATURITY_STAGES``),
        ``strongest_group``, ``weakest_group`` and ``maturity_notes``.

    Raises
    ------
    TypeError
        If ``clusters`` is not a DataFrame or a weight is not a number.
    ValueError
        If a weight is negative or not finite, all weights are 0, a group is unknown,
        or ``clusters`` is malformed (see :func:`maturity_indicators`).

    Notes
    -----
    A group score is the mean of its available indicators. The index is the
    weighted mean of the available group scores with a positive weight, the weights
    renormalised over those groups; missing groups are named in ``maturity_notes``.
    The index is NaN (stage empty) when no weighted group is available.

    Examples
    --------
    >>> t = pd.DataFrame({"cluster_id": ["a"], "employment": [10_000], "firms": [100],
    ...                   "mean_lq": [1.0]})
    >>> r = maturity_index(t).iloc[0]
    >>> float(r["maturity_index"]), r["maturity_stage"], r["weakest_group"]
    (0.5, 'developing', 'specialisation')
    """
    w = _check_weights(weights)
    ind = maturity_indicators(clusters)
    out = pd.DataFrame({"cluster_id": clusters["cluster_id"]}, index=clusters.index)
    notes_per_row: list[list[str]] = [[] for _ in range(len(clusters))]

    for group in MATURITY_GROUPS:
        cols = [c for c, (g, _) in MATURITY_INDICATORS.items() if g == group]
        block = ind[cols]
        out[f"score_{group}"] = block.mean(axis=1, skipna=True)
        for i, (_, row) in enumerate(block.iterrows()):
            gone = [
                c if c in clusters.columns else f"{c} (column absent)"
                for c in cols
                if pd.isna(row[c])
            ]
            if len(gone) == len(cols):
                notes_per_row[i].append(f"{group}: missing ({', '.join(gone)} NaN)")
            elif gone:
                notes_per_row[i].append(
                    f"{group}: mean of {len(cols) - len(gone)} of {len(cols)} "
                    f"indicators ({', '.join(gone)} NaN)"
                )

    scores = out[[f"score_{g}" for g in MATURITY_GROUPS]].to_numpy(dtype=float)
    weight = np.array([w[g] for g in MATURITY_GROUPS])
    index, stage, strongest, weakest = [], [], [], []
    weighted = [g for g in MATURITY_GROUPS if w[g] > 0]
    for i, row in enumerate(scores):
        usable = np.isfinite(row) & (weight > 0)
        if usable.any():
            value = float(np.dot(row[usable], weight[usable]) / weight[usable].sum())
            value = min(1.0, max(0.0, value))
            used = [g for g, ok in zip(MATURITY_GROUPS, usable, strict=True) if ok]
            by_score = sorted(used, key=lambda g: -row[MATURITY_GROUPS.index(g)])
            strongest.append(by_score[0])
            weakest.append(by_score[-1])
            lost = [g for g in weighted if g not in used]
            if lost:
                notes_per_row[i].append(
                    f"index renormalised over {len(used)} of {len(weighted)} weighted "
                    f"groups; missing: {', '.join(lost)}"
                )
        else:
            value = float("nan")
            strongest.append(None)
            weakest.append(None)
            notes_per_row[i].append("maturity_index: no weighted group available")
        index.append(value)
        stage.append(_stage(value))
    out["maturity_index"] = np.array(index, dtype=float)
    out["maturity_stage"] = pd.Series(stage, index=out.index, dtype=object)
    out["strongest_group"] = pd.Series(strongest, index=out.index, dtype=object)
    out["weakest_group"] = pd.Series(weakest, index=out.index, dtype=object)
    out["maturity_notes"] = pd.Series(
        ["; ".join(n) for n in notes_per_row], index=out.index, dtype=object
    )
    return out
