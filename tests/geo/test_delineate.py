"""Known-value tests of geo.delineate on hand-made LISA tables (no esda run)."""

import hashlib

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo.delineate import delineate_clusters, match_cluster_ids
from geo.weights import build_weights


@pytest.fixture
def strip() -> gpd.GeoDataFrame:
    """Seven 1 km squares in a row, ids a..g from west to east (EPSG:3035)."""
    cells = [box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(7)]
    return gpd.GeoDataFrame({"region_id": list("abcdefg")}, geometry=cells, crs=3035)


@pytest.fixture
def two_blocks() -> pd.DataFrame:
    """Industry x: hot blocks a-b and e-f-g separated by c-d; industry y: none."""
    x = pd.DataFrame(
        {
            "region_id": list("abcdefg"),
            "industry": "x",
            "lq": [2.0, 3.0, 0.5, 0.4, 1.5, 2.5, 1.0],
            "quadrant": ["HH", "HH", "LH", "LL", "HH", "HH", "HH"],
            "p_adjusted": [0.004, 0.02, 0.3, 0.01, 0.03, 0.001, 0.02],
            "gi_z": [3.0, 2.9, -0.5, -1.0, 1.8, 2.4, 1.0],
            "gi_p": [0.001, 0.004, 0.3, 0.2, 0.04, 0.02, 0.2],
            "employment": [100, 200, 5, 4, 50, 70, 10],
            "firms": [3, 4, 1, 1, 2, 2, 1],
        }
    )
    y = x.assign(industry="y", quadrant="ns", p_adjusted=0.5)
    return pd.concat([x, y], ignore_index=True)


def sha(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()[:10]


def test_two_separate_blocks_make_two_clusters(strip, two_blocks):
    g = build_weights(strip, "rook")
    out = delineate_clusters(strip, two_blocks, g)
    # members: a, b (x, HH, lq >= 1.25) and e, f; g has lq 1.0 < 1.25 and is out
    assert sorted(out["regions"]) == ["a,b", "e,f"]
    assert out["cluster_id"].tolist() == sorted(out["cluster_id"])
    by_regions = out.set_index("regions")
    assert by_regions.loc["a,b", "cluster_id"] == "x-" + sha("a,b")
    assert by_regions.loc["e,f", "cluster_id"] == "x-" + sha("e,f")
    assert by_regions.loc["a,b", "n_regions"] == 2
    # core: Gi* hot at 99 % before correction (gi_z > 0, gi_p < .01): a and b;
    # in e-f nobody is (gi_p .04, .02), so the top LQ member f is the core
    assert by_regions.loc["a,b", "core_regions"] == "a,b"
    assert by_regions.loc["a,b", "periphery_regions"] == ""
    assert by_regions.loc["e,f", "core_regions"] == "f"
    assert by_regions.loc["e,f", "periphery_regions"] == "e"
    assert by_regions.loc["a,b", "employment"] == 300
    assert by_regions.loc["e,f", "firms"] == 4
    assert by_regions.loc["a,b", "mean_lq"] == pytest.approx(2.5)
    assert by_regions.loc["e,f", "mean_lq"] == pytest.approx(2.0)
    # dissolved: one 2 km x 1 km rectangle each
    assert by_regions.loc["a,b", "geometry"].equals(box(0, 0, 2000, 1000))
    assert out.crs == strip.crs
    assert list(out.columns) == [
        "cluster_id", "industry", "regions", "n_regions", "core_regions",
        "periphery_regions", "employment", "firms", "mean_lq", "geometry",
    ]  # fmt: skip


def test_cluster_ids_are_stable_when_rows_are_shuffled(strip, two_blocks):
    g = build_weights(strip, "rook")
    first = delineate_clusters(strip, two_blocks, g)
    shuffled_regions = strip.sample(frac=1, random_state=1)
    shuffled_lisa = two_blocks.sample(frac=1, random_state=2)
    again = delineate_clusters(
        shuffled_regions, shuffled_lisa, build_weights(shuffled_regions, "rook")
    )
    assert again["cluster_id"].tolist() == first["cluster_id"].tolist()
    pd.testing.assert_frame_equal(
        pd.DataFrame(again.drop(columns="geometry")),
        pd.DataFrame(first.drop(columns="geometry")),
    )


def test_lq_threshold_and_alpha_select_members(strip, two_blocks):
    g = build_weights(strip, "rook")
    # min_lq 1.0 lets g (lq 1.0) join e-f
    loose = delineate_clusters(strip, two_blocks, g, min_lq=1.0)
    assert sorted(loose["regions"]) == ["a,b", "e,f,g"]
    # min_lq 2.6 leaves only b (3.0)
    strict = delineate_clusters(strip, two_blocks, g, min_lq=2.6)
    assert strict["regions"].tolist() == ["b"]
    # alpha 0.01 keeps only a (0.004) and f (0.001): two one-region clusters
    tight = delineate_clusters(strip, two_blocks, g, alpha=0.01)
    assert sorted(tight["regions"]) == ["a", "f"]
    # min_regions 2 drops one-region clusters
    assert delineate_clusters(strip, two_blocks, g, alpha=0.01, min_regions=2).empty


def test_connectivity_follows_the_graph():
    # a and b touch at one corner only: queen joins them, rook does not
    cells = [box(0, 0, 1000, 1000), box(1000, 1000, 2000, 2000)]
    regions = gpd.GeoDataFrame({"region_id": ["a", "b"]}, geometry=cells, crs=3035)
    lisa = pd.DataFrame(
        {
            "region_id": ["a", "b"],
            "industry": "x",
            "lq": [2.0, 2.0],
            "quadrant": "HH",
            "p_adjusted": [0.01, 0.01],
        }
    )
    queen = delineate_clusters(regions, lisa, build_weights(regions, "queen"))
    rook = delineate_clusters(regions, lisa, build_weights(regions, "rook"))
    assert queen["regions"].tolist() == ["a,b"]
    assert sorted(rook["regions"]) == ["a", "b"]
    assert "employment" not in queen.columns


def test_empty_result_keeps_columns_and_crs(strip, two_blocks):
    g = build_weights(strip, "rook")
    none = two_blocks.assign(quadrant="ns")
    out = delineate_clusters(strip, none, g)
    assert out.empty
    assert isinstance(out, gpd.GeoDataFrame)
    assert out.crs == strip.crs
    assert list(out.columns) == [
        "cluster_id", "industry", "regions", "n_regions", "core_regions",
        "periphery_regions", "employment", "firms", "mean_lq", "geometry",
    ]  # fmt: skip


def test_inputs_are_not_modified(strip, two_blocks):
    regions_before, lisa_before = strip.copy(), two_blocks.copy()
    delineate_clusters(strip, two_blocks, build_weights(strip, "rook"))
    pd.testing.assert_frame_equal(strip, regions_before)
    pd.testing.assert_frame_equal(two_blocks, lisa_before)


def test_bad_inputs_are_refused(strip, two_blocks):
    g = build_weights(strip, "rook")
    with pytest.raises(ValueError, match=r"lisa lacks columns \['quadrant'\]"):
        delineate_clusters(strip, two_blocks.drop(columns="quadrant"), g)
    with pytest.raises(ValueError, match=r"1 duplicate \(region_id, industry\) rows"):
        delineate_clusters(strip, pd.concat([two_blocks, two_blocks.iloc[[0]]]), g)
    with pytest.raises(
        ValueError, match=r"HH regions of lisa are not in regions \(first: \['a'\]"
    ):
        delineate_clusters(strip.iloc[1:], two_blocks, g)
    with pytest.raises(ValueError, match=r"not in graph \(first: \['a'\]"):
        delineate_clusters(strip, two_blocks, build_weights(strip.iloc[1:], "rook"))
    with pytest.raises(ValueError, match="duplicate region_id values"):
        delineate_clusters(pd.concat([strip, strip.iloc[[0]]]), two_blocks, g)
    with pytest.raises(ValueError, match="min_regions must be an integer >= 1; got 0"):
        delineate_clusters(strip, two_blocks, g, min_regions=0)
    with pytest.raises(ValueError, match=r"alpha must lie in \(0, 1\]"):
        delineate_clusters(strip, two_blocks, g, alpha=0)
    with pytest.raises(ValueError, match="min_lq must be a finite number"):
        delineate_clusters(strip, two_blocks, g, min_lq=float("nan"))
    with pytest.raises(ValueError, match="no column or index named 'region_id'"):
        delineate_clusters(strip.rename(columns={"region_id": "id"}), two_blocks, g)
    with pytest.raises(TypeError, match="regions must be a geopandas GeoDataFrame"):
        delineate_clusters(pd.DataFrame(strip), two_blocks, g)
    with pytest.raises(TypeError, match="lisa must be a pandas DataFrame"):
        delineate_clusters(strip, two_blocks.to_dict(), g)
    with pytest.raises(TypeError, match="libpysal.graph.Graph"):
        delineate_clusters(strip, two_blocks, g.to_W())


def test_core_with_fdr_p_values_of_999_permutations(strip):
    # With 999 permutations the smallest p is .001; BH over 7 regions with two at
    # .001 gives .0035 -- but over 159 regions (a US state's counties) it would
    # give .08 > .01: a core rule on p_adjusted < .01 finds no core at all.
    # The Gi* rule uses the uncorrected gi_p, reachable at 999 permutations.
    lisa = pd.DataFrame(
        {
            "region_id": list("abcdefg"),
            "industry": "x",
            "lq": [4.0, 3.0, 2.0, 0.5, 0.5, 0.5, 0.5],
            "quadrant": ["HH", "HH", "HH", "ns", "ns", "ns", "ns"],
            "p_adjusted": [0.03, 0.03, 0.04, 0.6, 0.6, 0.6, 0.6],
            "gi_z": [3.3, 3.3, 2.2, 0.1, -0.3, -0.4, -0.4],
            "gi_p": [0.001, 0.001, 0.03, 0.5, 0.4, 0.3, 0.3],
        }
    )
    out = delineate_clusters(strip, lisa, build_weights(strip, "rook"))
    assert out[["regions", "core_regions", "periphery_regions"]].values.tolist() == [
        ["a,b,c", "a,b", "c"]
    ]
    # without Gi* columns the highest-LQ member is the core
    bare = delineate_clusters(
        strip, lisa.drop(columns=["gi_z", "gi_p"]), build_weights(strip, "rook")
    )
    assert bare["core_regions"].tolist() == ["a"]
    assert bare["periphery_regions"].tolist() == ["b,c"]
    # a cold Gi* (z < 0) is never core even with a small p
    cold = lisa.assign(gi_z=[-3.3, 3.3, 2.2, 0.1, -0.3, -0.4, -0.4])
    out = delineate_clusters(strip, cold, build_weights(strip, "rook"))
    assert out["core_regions"].tolist() == ["b"]


# ------------------------------------------------------------------ stable ids


def clusters(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["cluster_id", "industry", "regions"])


def test_ids_carry_over_when_members_overlap():
    prev = clusters(
        [("x-old1", "x", "a,b,c"), ("x-old2", "x", "m,n"), ("y-old", "y", "a,b")]
    )
    cur = clusters(
        [
            ("x-new1", "x", "a,b,c,d"),  # J = 3/4 with old1: carried
            ("x-new2", "x", "m,p,q"),  # J = 1/4 with old2: new
            ("y-new", "y", "a,b,c,d,e"),  # J = 2/5 with y-old: new
            ("z-new", "z", "a,b,c"),  # same members as x-old1, other industry
        ]
    )
    out = match_cluster_ids(prev, cur)
    assert out["cluster_id"].tolist() == ["x-old1", "x-new2", "y-new", "z-new"]
    assert out["match_jaccard"].iloc[0] == pytest.approx(0.75)
    assert out["match_jaccard"].iloc[1:].isna().all()
    # {a,b,d} vs {a,b,c}: J = 2/4, exactly enough (>= 0.5); {a,d}: J = 1/4, new
    assert match_cluster_ids(prev.iloc[[0]], clusters([("x-h", "x", "a,d")]))[
        "cluster_id"
    ].tolist() == ["x-h"]
    assert match_cluster_ids(prev.iloc[[0]], clusters([("x-h", "x", "a,b,d")]))[
        "cluster_id"
    ].tolist() == ["x-old1"]
    # a lower bar lets y carry too
    loose = match_cluster_ids(prev, cur, min_jaccard=0.4)
    assert loose["cluster_id"].tolist()[:3] == ["x-old1", "x-new2", "y-old"]
    # inputs untouched, row order kept, other columns kept
    assert cur["cluster_id"].tolist()[0] == "x-new1"


def test_matching_is_one_to_one_by_best_overlap():
    # old {a,b,c,d} split into {a,b,c} (J = 3/4) and {d} (J = 1/4): the larger
    # part keeps the id. Two current clusters both at J >= .5 with one previous
    # one: the higher Jaccard wins, the other keeps its own id.
    prev = clusters([("x-old", "x", "a,b,c,d")])
    cur = clusters([("x-d", "x", "d"), ("x-abc", "x", "a,b,c")])
    assert match_cluster_ids(prev, cur)["cluster_id"].tolist() == ["x-d", "x-old"]
    prev2 = clusters([("x-p", "x", "a,b"), ("x-q", "x", "a,b,c")])
    cur2 = clusters([("x-c", "x", "a,b,c")])
    out = match_cluster_ids(prev2, cur2)
    assert out["cluster_id"].tolist() == ["x-q"]  # J 1 beats J 2/3
    # same result whatever the row order
    shuffled = match_cluster_ids(prev2.iloc[::-1], cur2)
    assert shuffled["cluster_id"].tolist() == ["x-q"]


def test_ids_chain_over_years_and_keep_geodataframes(strip, two_blocks):
    g = build_weights(strip, "rook")
    year1 = delineate_clusters(strip, two_blocks, g)
    # next year g joins e-f (lq 1.0 -> 1.5): e,f,g vs e,f is J = 2/3, carried
    year2_lisa = two_blocks.copy()
    year2_lisa.loc[(year2_lisa["region_id"] == "g") & (year2_lisa["industry"] == "x"),
                   "lq"] = 1.5  # fmt: skip
    year2 = match_cluster_ids(year1, delineate_clusters(strip, year2_lisa, g))
    assert isinstance(year2, gpd.GeoDataFrame) and year2.crs == strip.crs
    assert set(year2["cluster_id"]) == set(year1["cluster_id"])
    ef = year2.set_index("regions").loc["e,f,g"]
    assert ef["cluster_id"] == "x-" + sha("e,f")
    assert ef["match_jaccard"] == pytest.approx(2 / 3)


def test_a_content_id_never_repeats_an_inherited_one():
    # {a,b} inherits old id "x-1"; a disjoint new cluster whose content id is
    # also "x-1" (possible only through carried ids) gets a suffix
    prev = clusters([("x-1", "x", "a,b,c")])
    cur = clusters([("x-2", "x", "a,b"), ("x-1", "x", "q")])
    assert match_cluster_ids(prev, cur)["cluster_id"].tolist() == ["x-1", "x-1-2"]


def test_match_cluster_ids_refuses_bad_input():
    prev = clusters([("x-1", "x", "a")])
    with pytest.raises(ValueError, match=r"current lacks columns \['regions'\]"):
        match_cluster_ids(prev, prev.drop(columns="regions"))
    with pytest.raises(ValueError, match="previous has 1 duplicate cluster_id"):
        match_cluster_ids(pd.concat([prev, prev]), prev)
    with pytest.raises(ValueError, match=r"min_jaccard must lie in \(0, 1\]; got 0"):
        match_cluster_ids(prev, prev, min_jaccard=0)
    with pytest.raises(TypeError, match="previous must be a pandas DataFrame"):
        match_cluster_ids([], prev)
