"""Figures of cluster maturity for the report: one radar chart per cluster."""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from geo.maturity import MATURITY_GROUPS, MATURITY_STAGES

NO_DATA = "(no data)"
"""Suffix of the axis label of a group without a score."""

STRONGEST_COLOUR = "#1a9850"
WEAKEST_COLOUR = "#d73027"
LINE_COLOUR = "#2c7fb8"


def _label(group: str) -> str:
    return group.replace("self_organisation", "self-organisation").replace("_", " ")


def maturity_radar(
    maturity_row: pd.Series | Mapping, *, figure: Figure | None = None
) -> Figure:
    """Radar chart of one cluster's maturity group scores.

    Parameters
    ----------
    maturity_row : pandas.Series or Mapping
        One row of :func:`geo.maturity.maturity_index`: ``cluster_id``,
        ``score_<group>`` for every group of ``MATURITY_GROUPS`` (0..1 or NaN),
        ``maturity_index``, ``maturity_stage``, ``strongest_group`` and
        ``weakest_group``; ``name`` or ``industry`` are used in the title when
        present. Not modified.
    figure : matplotlib.figure.Figure, optional
        A figure returned by an earlier call, redrawn for this cluster: its polar
        axes are kept and the earlier cluster's labels, scores, legend and title
        replaced (the same picture as a new figure, without building the axes
        again). Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        A 6 x 6.4 inch figure with one polar axes: one spoke per group (0 at the
        centre, 1 at the rim), the scores joined into a polygon, the strongest group
        marked green and the weakest red; a group without a score has no point and
        its label ends in ``"(no data)"``. Not saved: the caller saves it.
        ``figure`` when given.

    Raises
    ------
    TypeError
        If ``maturity_row`` is not a Series or a mapping, or ``figure`` was not
        made by `maturity_radar`.
    ValueError
        If a ``score_<group>`` value is missing from the row, or a score is outside
        [0, 1].

    Examples
    --------
    >>> row = {"cluster_id": "c1", "maturity_index": 0.5,
    ...        "maturity_stage": "developing", "strongest_group": "reputation",
    ...        "weakest_group": "innovation",
    ...        **{f"score_{g}": 0.5 for g in MATURITY_GROUPS},
    ...        "score_reputation": 0.9, "score_innovation": 0.1}
    >>> fig = maturity_radar(row)
    >>> fig.axes[0].name, len(fig.axes[0].get_xticklabels())
    ('polar', 7)
    >>> maturity_radar({**row, "cluster_id": "c2"}, figure=fig) is fig
    True
    """
    if not isinstance(maturity_row, pd.Series | Mapping):
        raise TypeError(
            "maturity_row must be one row of maturity_index (a pandas Series or a "
            f"mapping); got {type(maturity_row).__name__}. Use table.iloc[i]."
        )
    row = dict(maturity_row)
    columns = [f"score_{g}" for g in MATURITY_GROUPS]
    missing = [c for c in columns if c not in row]
    if missing:
        raise ValueError(
            f"maturity_row lacks {missing}; found {sorted(map(str, row))[:10]}. "
            "Pass a row of geo.maturity.maturity_index."
        )
    scores = np.array(
        [np.nan if pd.isna(row[c]) else float(row[c]) for c in columns], dtype=float
    )
    outside = [
        (g, s)
        for g, s in zip(MATURITY_GROUPS, scores, strict=True)
        if np.isfinite(s) and not -1e-9 <= s <= 1 + 1e-9
    ]
    if outside:
        raise ValueError(
            f"maturity scores must be in [0, 1]; got {outside}. Pass the output of "
            "geo.maturity.maturity_index."
        )

    if figure is None:
        figure = Figure(figsize=(6, 6.4))
        ax = _radar_axes(figure)
    elif (
        not isinstance(figure, Figure)
        or len(figure.axes) != 1
        or figure.axes[0].name != "polar"
    ):
        raise TypeError(
            "figure must be a Figure returned by maturity_radar; got "
            f"{type(figure).__name__} {figure!r}. Leave it out for a new figure."
        )
    else:
        ax = figure.axes[0]
        # the previous cluster's scores, fill, markers and legend
        for artist in [*ax.lines, *ax.patches]:
            artist.remove()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    _draw_scores(figure, ax, row, scores)
    return figure


def _radar_axes(fig: Figure):
    """The polar axes every radar shares: spokes, rings and their labels."""
    angles = np.linspace(0, 2 * math.pi, len(MATURITY_GROUPS), endpoint=False)
    fig.subplots_adjust(top=0.8, bottom=0.08)
    ax = fig.add_subplot(projection="polar")
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    ax.set_ylim(0, 1)
    ax.set_yticks([bound for bound, _ in MATURITY_STAGES[1:]])
    ax.set_yticklabels([f"{bound:g}" for bound, _ in MATURITY_STAGES[1:]], fontsize=7)
    ax.set_xticks(angles)
    return ax


def _draw_scores(fig: Figure, ax, row: dict, scores: np.ndarray) -> None:
    """One cluster on the radar axes: group labels, scores, legend and title."""
    angles = np.asarray(ax.get_xticks())
    labels = [
        _label(g) if np.isfinite(s) else f"{_label(g)}\n{NO_DATA}"
        for g, s in zip(MATURITY_GROUPS, scores, strict=True)
    ]
    ax.set_xticklabels(labels, fontsize=9)
    colour = mpl.rcParams["xtick.labelcolor"]
    if colour == "inherit":
        colour = mpl.rcParams["xtick.color"]
    for tick, score in zip(ax.get_xticklabels(), scores, strict=True):
        tick.set_color(colour if np.isfinite(score) else "grey")

    known = np.isfinite(scores)
    if known.any():
        theta = np.append(angles[known], angles[known][0])
        radius = np.append(scores[known], scores[known][0])
        ax.plot(theta, radius, color=LINE_COLOUR, linewidth=2, label="score")
        ax.fill(theta, radius, color=LINE_COLOUR, alpha=0.2)
        ax.plot(angles[known], scores[known], "o", color=LINE_COLOUR, markersize=4)
    for key, colour, text in (
        ("strongest_group", STRONGEST_COLOUR, "strongest"),
        ("weakest_group", WEAKEST_COLOUR, "weakest"),
    ):
        group = row.get(key)
        if isinstance(group, str) and group in MATURITY_GROUPS:
            i = MATURITY_GROUPS.index(group)
            if np.isfinite(scores[i]):
                ax.plot(
                    [angles[i]],
                    [scores[i]],
                    "o",
                    color=colour,
                    markersize=9,
                    label=f"{text}: {_label(group)}",
                )
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right", bbox_to_anchor=(1.2, -0.12), fontsize=8)

    name = row.get("name") or row.get("industry")
    heading = str(row.get("cluster_id", ""))
    if isinstance(name, str) and name:
        heading = f"{name} ({heading})" if heading else name
    index = row.get("maturity_index")
    if index is None or pd.isna(index):
        summary = "maturity index: no data"
    else:
        summary = f"maturity {float(index):.2f}: {row.get('maturity_stage')}"
    fig.suptitle(f"{heading}\n{summary}", fontsize=11)
