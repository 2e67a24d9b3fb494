"""The maturity radar figure: one spoke per group, gaps for groups without data."""

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from geo.maturity import MATURITY_GROUPS, maturity_index
from outputs.ecosystem_figures import NO_DATA, maturity_radar


@pytest.fixture
def row() -> pd.Series:
    """Cluster with every ecosystem input except those of innovation."""
    table = pd.DataFrame(
        {
            "cluster_id": ["c1"],
            "employment": [10_000],  # critical mass: mean(1, log10(10)/2) = 0.75
            "firms": [10],
            "mean_lq": [3.0],  # specialisation (3 - 1) / 4 = 0.5
            "tie_density": [0.3],  # collaboration: mean(1, .5, .5, .5, .5) = 0.6
            "intersectoral_share": [0.5],
            "persistence": [0.5],
            "clustering": [0.5],
            "non_hierarchy": [0.5],
            "entry_rule_compliance": [0.9],  # self-organisation mean(0.9, 0.7) = 0.8
            "coordinator_free_share": [0.7],
            "reputation_mean": [0.95],
            "composition_diversity": [0.1],
        }
    )
    return maturity_index(table).iloc[0]


def test_radar_by_hand(row):
    before = row.copy()
    fig = maturity_radar(row)
    pd.testing.assert_series_equal(row, before)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.name == "polar"
    labels = [t.get_text() for t in ax.get_xticklabels()]
    # innovation has no input column -> no score -> labelled, no point
    assert labels == [
        "critical mass",
        "specialisation",
        "collaboration",
        "self-organisation",
        "reputation",
        f"innovation\n{NO_DATA}",
        "composition",
    ]
    polygon = ax.lines[0]
    # 6 scores with data, closed back to the first: 7 vertices
    np.testing.assert_allclose(
        polygon.get_ydata(), [0.75, 0.5, 0.6, 0.8, 0.95, 0.1, 0.75]
    )
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["score", "strongest: reputation", "weakest: composition"]
    # index: mean of the 6 groups = 3.7 / 6 = 0.617 -> mature
    assert "maturity 0.62: mature" in fig.texts[0].get_text()
    # it renders (the report helper saves it)
    fig.savefig(io.BytesIO(), format="png")


def test_radar_without_any_score_draws_no_polygon():
    row = {f"score_{g}": np.nan for g in MATURITY_GROUPS} | {
        "cluster_id": "empty",
        "maturity_index": np.nan,
        "maturity_stage": None,
        "strongest_group": None,
        "weakest_group": None,
    }
    fig = maturity_radar(row)
    ax = fig.axes[0]
    assert len(ax.lines) == 0
    assert all(t.get_text().endswith(NO_DATA) for t in ax.get_xticklabels())
    assert "maturity index: no data" in fig.texts[0].get_text()


def test_radar_uses_a_name_in_the_title(row):
    fig = maturity_radar(row.to_dict() | {"name": "Dalton carpet"})
    assert fig.texts[0].get_text().startswith("Dalton carpet (c1)")


def test_radar_refuses_other_input(row):
    with pytest.raises(TypeError, match="must be one row of maturity_index"):
        maturity_radar(pd.DataFrame([row]))
    with pytest.raises(ValueError, match=r"lacks \['score_critical_mass'\]"):
        maturity_radar(row.drop("score_critical_mass"))
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]; got \[\('reputation'"):
        maturity_radar(row.to_dict() | {"score_reputation": 1.5})


def test_radar_redrawn_for_another_cluster_looks_drawn_alone(row):
    # the report redraws one figure per cluster: nothing of the first may remain
    from matplotlib.image import imread

    other = row.copy()
    other["cluster_id"] = "c2"
    for group in MATURITY_GROUPS:
        other[f"score_{group}"] = 0.3
    other["strongest_group"] = other["weakest_group"] = None

    def png(fig) -> np.ndarray:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        buffer.seek(0)
        return imread(buffer)

    reused = maturity_radar(other, figure=maturity_radar(row))
    assert reused.axes[0].get_legend().get_texts()[0].get_text() == "score"
    np.testing.assert_array_equal(png(reused), png(maturity_radar(other)))


def test_radar_figure_must_be_a_radar(row):
    with pytest.raises(TypeError, match="figure must be a Figure returned by"):
        maturity_radar(row, figure=Figure())
