"""Density grids, point clusters, hulls, K-density and detection agreement."""

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import pdist
from scipy.stats import norm
from shapely.geometry import LineString, Point

from geo import points
from geo.points import (
    KDensityResult,
    _binned_pair_counts,
    _BinnedKDE,
    _global_band,
    _median,
    _percentile,
    _squared_limit,
    cluster_hulls,
    density_grid,
    detection_agreement,
    k_density,
    k_density_table,
    point_clusters,
)

CRS = "EPSG:32616"  # UTM 16N, metres


def gdf(xy, **columns) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float)
    return gpd.GeoDataFrame(
        columns, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS
    )


# ---------------------------------------------------------------- density_grid


def test_density_without_smoothing_sums_to_count_over_cell_area():
    # 3 x 3 grid of 500 m cells (0.25 km2 each) over (0, 0, 1500, 1500); three points
    # in cells (row 0, col 0), (row 2, col 2) and (row 2, col 2): each point adds
    # 1 / 0.25 = 4 per km2, so the densities sum to 12 and sum * 0.25 = 3 points.
    pts = gdf([(100, 1400), (1400, 100), (1200, 300)])
    d, t, crs = density_grid(pts, cell_m=500, bandwidth_m=0, bounds=(0, 0, 1500, 1500))
    assert d.dtype == np.float32
    assert d.shape == (3, 3)
    np.testing.assert_array_equal(d, [[4, 0, 0], [0, 0, 0], [0, 0, 8]])
    assert float(d.sum()) * 0.25 == pytest.approx(3.0)
    # north-up: (col 0, row 0) is the upper-left corner, rows go south
    assert t @ (0, 0) == (0.0, 1500.0)
    assert t @ (3, 3) == (1500.0, 0.0)
    assert crs.equals(CRS)


def test_density_points_on_the_outer_edges_are_kept():
    # the east and south edges are inside (closed bounds): 2 points, 2 per km2 each
    pts = gdf([(3000, 1500), (1500, 0)])
    d, _, _ = density_grid(pts, cell_m=1000, bandwidth_m=0, bounds=(0, 0, 3000, 3000))
    assert d[1, 2] == 1.0 and d[2, 1] == 1.0 and d.sum() == 2.0


def test_density_weights_and_snapped_bounds():
    # bounds (100, 100, 2900, 2900) snap outward to the 1 km grid (0..3000); the
    # employees weigh 5 and 7 in two 1 km2 cells.
    pts = gdf([(500, 500), (2500, 2500)], employees=[5, 7])
    d, t, _ = density_grid(
        pts,
        cell_m=1000,
        bandwidth_m=0,
        bounds=(100, 100, 2900, 2900),
        weights="employees",
    )
    assert d.shape == (3, 3) and (t.c, t.f) == (0.0, 3000.0)
    assert d[2, 0] == 5.0 and d[0, 2] == 7.0
    same, _, _ = density_grid(
        pts,
        cell_m=1000,
        bandwidth_m=0,
        bounds=(0, 0, 3000, 3000),
        weights=np.array([5.0, 7.0]),
    )
    np.testing.assert_array_equal(d, same)


def test_density_smoothing_keeps_the_mass_and_peaks_at_the_point():
    # One point at the centre of a 41 x 41 grid of 100 m cells, bandwidth 300 m
    # (sigma = 3 cells): the default bounds pad 3 bandwidths, so nearly all the
    # kernel mass stays on the grid; the peak is near 1 / (2 pi 0.3**2) per km2.
    pts = gdf([(2050, 2050)])
    d, _, _ = density_grid(pts, cell_m=100, bandwidth_m=300, bounds=(0, 0, 4100, 4100))
    assert float(d.sum()) * 0.01 == pytest.approx(1.0, abs=1e-4)
    assert np.unravel_index(np.argmax(d), d.shape) == (20, 20)
    assert float(d.max()) == pytest.approx(1 / (2 * math.pi * 0.09), rel=0.02)
    np.testing.assert_allclose(d, d[::-1, ::-1], rtol=1e-5)  # symmetric


def test_density_default_bounds_pad_three_bandwidths():
    pts = gdf([(1000, 1000), (2000, 1000)])
    d, t, _ = density_grid(pts, cell_m=100, bandwidth_m=100)
    # x from 1000 - 300 to 2000 + 300: 16 columns; y 700..1300: 6 rows
    assert d.shape == (6, 16) and (t.c, t.f) == (700.0, 1300.0)
    assert float(d.sum()) * 0.01 == pytest.approx(2.0, rel=0.01)


def test_density_drops_points_outside_and_without_geometry_with_a_warning():
    pts = gdf([(500, 500), (9000, 9000)])
    with pytest.warns(UserWarning, match="dropped 1 points outside the grid"):
        d, _, _ = density_grid(
            pts, cell_m=1000, bandwidth_m=0, bounds=(0, 0, 2000, 2000)
        )
    assert d.sum() == 1.0
    holed = gpd.GeoDataFrame(geometry=[Point(500, 500), None], crs=CRS)
    with pytest.warns(UserWarning, match="dropped 1 rows without a point"):
        d, _, _ = density_grid(
            holed, cell_m=1000, bandwidth_m=0, bounds=(0, 0, 1000, 1000)
        )
    assert d.sum() == 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cell_m": 0, "bandwidth_m": 0}, "cell_m must be > 0"),
        ({"cell_m": 100, "bandwidth_m": -1}, "bandwidth_m must be >= 0"),
        ({"cell_m": 100, "bandwidth_m": "x"}, "bandwidth_m must be a number"),
        ({"cell_m": 100, "bandwidth_m": 0, "bounds": (0, 0, -1, 5)}, "minx < maxx"),
        ({"cell_m": 100, "bandwidth_m": 0, "bounds": (0, 0, 1)}, "four numbers"),
        ({"cell_m": 0.01, "bandwidth_m": 0, "bounds": (0, 0, 1e5, 1e5)}, "cells"),
        ({"cell_m": 100, "bandwidth_m": 0, "weights": "staff"}, "not in points"),
        ({"cell_m": 100, "bandwidth_m": 0, "weights": [1.0]}, "one number per row"),
        ({"cell_m": 100, "bandwidth_m": 0, "weights": [1.0, -2.0]}, ">= 0"),
    ],
)
def test_density_rejects_bad_options(kwargs, match):
    pts = gdf([(0, 0), (100, 100)])
    with pytest.raises(ValueError, match=match):
        density_grid(pts, **kwargs)


def test_density_rejects_degrees_non_points_and_no_bounds():
    pts = gdf([(500_000, 3_700_000)])
    with pytest.raises(ValueError, match="geographic CRS"):
        density_grid(pts.to_crs(4326), cell_m=100, bandwidth_m=0)
    lines = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 1)])], crs=CRS)
    with pytest.raises(ValueError, match="must be Points"):
        density_grid(lines, cell_m=100, bandwidth_m=0)
    empty = gpd.GeoDataFrame(geometry=[], crs=CRS)
    with pytest.raises(ValueError, match="bounds are unknown"):
        density_grid(empty, cell_m=100, bandwidth_m=0)
    with pytest.raises(TypeError, match="GeoDataFrame or GeoSeries"):
        density_grid(pd.DataFrame({"x": [1]}), cell_m=100, bandwidth_m=0)


# -------------------------------------------------------------- point_clusters


@pytest.fixture
def two_blobs() -> gpd.GeoDataFrame:
    """Blob A: 30 firms in a 100 m square at (0, 0); blob B: 20 at (5 km, 0); six
    strays on a 25 km circle around them, 25 km from each other."""
    rng = np.random.default_rng(7)
    a = rng.uniform(0, 100, (30, 2))
    b = rng.uniform(0, 100, (20, 2)) + [5000, 0]
    angles = np.arange(6) * np.pi / 3
    strays = np.column_stack([2500 + 25_000 * np.cos(angles), 25_000 * np.sin(angles)])
    xy = np.vstack([b, strays, a])  # B first: labels are by size, not order
    return gdf(xy, employees=np.arange(1, 57))


def test_dbscan_finds_two_blobs_and_noise(two_blobs):
    # eps 100 m with min_samples 5: each blob is dense (30 or 20 points in a 100 m
    # square) and 5 km from the other; strays have no neighbour within 20 km.
    # A (30 firms) is cluster 0, B (20) cluster 1, strays -1.
    labels = point_clusters(two_blobs, eps_m=100, min_samples=5)
    assert labels.name == "cluster" and labels.dtype == "Int64"
    assert labels.index.equals(two_blobs.index)
    assert labels.tolist() == [1] * 20 + [-1] * 6 + [0] * 30


def test_hdbscan_finds_the_same_two_blobs(two_blobs):
    labels = point_clusters(
        two_blobs, method="hdbscan", min_cluster_size=10, min_samples=5
    )
    assert labels.tolist() == [1] * 20 + [-1] * 6 + [0] * 30


def test_point_clusters_leave_rows_without_a_point_unlabelled():
    pts = gpd.GeoDataFrame(
        geometry=[Point(0, 0), None, Point(1, 0), Point(0, 1), Point(9000, 0)],
        crs=CRS,
        index=list("abcde"),
    )
    labels = point_clusters(pts, eps_m=10, min_samples=3)
    assert labels.isna().tolist() == [False, True, False, False, False]
    assert labels.dropna().tolist() == [0, 0, 0, -1]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "optics", "eps_m": 1}, "Unknown clustering method"),
        ({"method": "dbscan"}, "needs eps_m"),
        ({"eps_m": -5}, "eps_m must be > 0"),
        ({"eps_m": 5, "min_samples": 0}, "min_samples must be an integer >= 1"),
        ({"method": "hdbscan", "min_cluster_size": 1}, "min_cluster_size"),
    ],
)
def test_point_clusters_reject_bad_options(two_blobs, kwargs, match):
    with pytest.raises(ValueError, match=match):
        point_clusters(two_blobs, **kwargs)


# --------------------------------------------------------------- cluster_hulls


def test_convex_hulls_count_firms_and_employees(two_blobs):
    labels = point_clusters(two_blobs, eps_m=100, min_samples=5)
    hulls = cluster_hulls(two_blobs, labels)
    assert hulls.crs.equals(CRS)
    assert hulls["cluster"].tolist() == [0, 1]
    assert hulls["firms"].tolist() == [30, 20]
    # employees are 1..56 in row order: B rows 1..20 (sum 210), A rows 27..56
    # (sum of 27..56 = 30 * 83 / 2 = 1245)
    assert hulls["employees"].tolist() == [1245, 210]
    assert (hulls.geom_type == "Polygon").all()
    # each hull covers its blob's points and lies in its 100 m square (0.01 km2)
    assert hulls.geometry.iloc[0].covers(two_blobs.geometry.iloc[26:].union_all())
    assert (hulls["area_km2"] < 0.01).all()


def test_concave_hull_is_inside_the_convex_hull():
    # an L, two points wide, of 1 km legs: the convex hull takes in the empty
    # corner (0.595 km2), the concave one follows the L (0.195 km2 at ratio 0.1)
    xy = [(x, y) for x in range(0, 1001, 100) for y in (0, 100)]
    xy += [(x, y) for y in range(200, 1001, 100) for x in (0, 100)]
    pts = gdf(xy)
    labels = pd.Series(0, index=pts.index)
    convex = cluster_hulls(pts, labels, employees=None)
    concave = cluster_hulls(pts, labels, kind="concave", ratio=0.1, employees=None)
    assert "employees" not in convex.columns
    assert convex["area_km2"].iloc[0] == pytest.approx(0.595)
    assert concave["area_km2"].iloc[0] == pytest.approx(0.195)
    assert convex.geometry.iloc[0].covers(concave.geometry.iloc[0])


def test_degenerate_hulls_are_buffered_and_noise_is_left_out():
    # cluster 0: five firms on one postcode centroid; cluster 1: two sites; -1 noise
    xy = [(0, 0)] * 5 + [(1000, 0), (1100, 0), (5000, 5000)]
    pts = gdf(xy, employees=[1] * 8)
    hulls = cluster_hulls(pts, pd.Series([0] * 5 + [1, 1, -1]), degenerate_buffer_m=10)
    assert hulls["firms"].tolist() == [5, 2]
    assert (hulls.geom_type == "Polygon").all()
    # a 10 m disc (pi * 100 m2) and a 100 m segment buffered by 10 m
    assert hulls["area_km2"].iloc[0] == pytest.approx(math.pi * 100 / 1e6, rel=0.01)
    assert hulls["area_km2"].iloc[1] == pytest.approx(
        (2000 + math.pi * 100) / 1e6, rel=0.01
    )


def test_cluster_hulls_of_noise_only_is_empty():
    pts = gdf([(0, 0), (1, 1)], employees=[1, 2])
    hulls = cluster_hulls(pts, pd.Series([-1, -1]))
    assert len(hulls) == 0
    assert list(hulls.columns) == [
        "cluster",
        "firms",
        "employees",
        "area_km2",
        "geometry",
    ]


def test_cluster_hulls_reject_bad_input():
    pts = gdf([(0, 0), (1, 1)], employees=[1, 2])
    labels = pd.Series([0, 0])
    with pytest.raises(ValueError, match="another index"):
        cluster_hulls(pts, pd.Series([0, 0], index=[5, 6]))
    with pytest.raises(ValueError, match="lacks the employees column"):
        cluster_hulls(pts, labels, employees="staff")
    with pytest.raises(ValueError, match="Unknown hull kind"):
        cluster_hulls(pts, labels, kind="alpha")
    with pytest.raises(ValueError, match="ratio must lie in"):
        cluster_hulls(pts, labels, kind="concave", ratio=2)
    with pytest.raises(TypeError, match="labels must be a pandas Series"):
        cluster_hulls(pts, [0, 0])
    with pytest.raises(TypeError, match="points must be a GeoDataFrame"):
        cluster_hulls(pts.geometry, labels)


# ------------------------------------------------------------------- k_density


@pytest.fixture
def background() -> np.ndarray:
    """300 firm sites spread uniformly over a 20 x 20 km square (seeded)."""
    return np.random.default_rng(11).uniform(0, 20_000, (300, 2))


def test_tightly_clustered_industry_is_localised_at_small_distances(background):
    # 25 sites within a 300 m square: their pair distances are all < 425 m while
    # random draws among 325 sites spread over 20 km are rarely that close.
    rng = np.random.default_rng(3)
    cluster = rng.uniform(5000, 5300, (25, 2))
    pts = gdf(np.vstack([background, cluster]), industry=["b"] * 300 + ["a"] * 25)
    r = k_density(pts, "a", simulations=99, seed=1)
    assert r.classification == "localised"
    assert r.industry == "a" and r.n_sites == 25 and r.n_pool == 325
    assert r.localised_from_m == 0.0
    assert r.localised_to_m < 2000  # localised only at short distances
    assert r.localisation_index > 0 and r.dispersion_index == 0.0
    # default maximum: the median pair distance of sites spread over 20 km
    assert 7000 < r.distances_m[-1] < 12000
    assert len(r.distances_m) == 101


def test_industry_drawn_like_the_background_is_neither(background):
    # The industry is 30 sites taken at random from the pool itself: exactly the
    # counterfactual, so (at this seed) K stays inside both global bands.
    rng = np.random.default_rng(5)
    industry = np.where(
        np.isin(np.arange(300), rng.choice(300, 30, replace=False)), "a", "b"
    )
    pts = gdf(background, industry=industry)
    r = k_density(pts, "a", simulations=199, seed=2)
    assert r.classification == "neither"
    assert r.localised_ranges_m == () and r.dispersed_ranges_m == ()
    assert r.localised_from_m is None and r.localised_to_m is None


def test_one_site_per_town_is_dispersed():
    # 12 towns 4 km apart, 25 firms each within 50 m; the industry has exactly one
    # firm per town, so none of its pairs is closer than 4 km, whereas a random
    # draw of 12 firms usually puts two in one town.
    rng = np.random.default_rng(0)
    towns = np.array([(4000 * i, 4000 * j) for i in range(4) for j in range(3)])
    xy = np.vstack([t + rng.uniform(0, 50, (25, 2)) for t in towns])
    industry = np.array(["b"] * len(xy), dtype=object)
    industry[::25] = "a"
    r = k_density(gdf(xy, industry=industry), "a", simulations=199, seed=4)
    assert r.classification == "dispersed"
    assert r.dispersed_ranges_m[0][0] == 0.0
    assert r.dispersion_index > 0


def test_k_density_matches_the_reflected_kernel_formula(background):
    # K(d) = sum_{i<j} [phi((d - d_ij)/h) + phi((d + d_ij)/h)] / (m h), brute force
    pts = gdf(background[:60], industry=["a"] * 20 + ["b"] * 40)
    r = k_density(
        pts,
        "a",
        bandwidth_m=800,
        max_distance_m=6000,
        n_steps=61,
        simulations=19,
        seed=0,
    )
    d = pdist(background[:20])
    grid = np.linspace(0, 6000, 61)
    exact = norm.pdf((grid[:, None] - d) / 800) + norm.pdf((grid[:, None] + d) / 800)
    exact = exact.sum(axis=1) / (len(d) * 800)
    np.testing.assert_allclose(r.k_observed, exact, rtol=1e-3, atol=1e-4 * exact.max())
    assert r.bandwidth_m == 800


def test_k_density_integrates_to_one(background):
    pts = gdf(background, industry=["a"] * 50 + ["b"] * 250)
    r = k_density(pts, "a", max_distance_m=40_000, n_steps=401, simulations=19, seed=0)
    step = r.distances_m[1] - r.distances_m[0]
    assert float(r.k_observed.sum() * step) == pytest.approx(1.0, abs=0.01)


def test_silverman_bandwidth_by_hand():
    # Sites (0,0), (3,0), (0,4): distances 3, 4, 5; sd = 1, IQR = 4.5 - 3.5 = 1,
    # so h = 0.9 * min(1, 1 / 1.34) * 3 ** (-1/5) = 0.5391
    xy = [(0, 0), (3, 0), (0, 4), (100, 100), (200, 0), (0, 300)]
    pts = gdf(xy, industry=["a"] * 3 + ["b"] * 3)
    r = k_density(pts, "a", max_distance_m=10, simulations=19, seed=0)
    assert r.bandwidth_m == pytest.approx(0.9 / 1.34 * 3**-0.2)
    assert r.bandwidth_m == pytest.approx(0.5391, abs=1e-4)


def test_global_band_by_hand():
    # 20 simulations at one distance, values 1..20. At level 0.05 one simulation
    # may exceed the band: the band is the second largest value (19), exceeded by
    # 20 only; likewise the lower band is 2.
    sims = np.arange(1.0, 21.0)[:, None]
    assert _global_band(sims, 0.05, upper=True).tolist() == [19.0]
    assert _global_band(sims, 0.05, upper=False).tolist() == [2.0]
    # Two distances, 20 simulations: sim 0 is highest at d0, sim 1 at d1, so a
    # band at the second largest values would be hit by 2 sims (10 %); the band
    # must move up to the maxima (hit by none).
    two = np.column_stack([np.arange(20.0), np.arange(20.0)])
    two[0, 0], two[1, 1] = 100.0, 100.0
    band = _global_band(two, 0.05, upper=True)
    assert band.tolist() == [100.0, 100.0]
    assert ((two > band).any(axis=1)).mean() <= 0.05


def test_k_density_global_bands_are_wider_than_local(background):
    pts = gdf(background, industry=["a"] * 40 + ["b"] * 260)
    r = k_density(pts, "a", simulations=99, seed=8)
    assert (r.global_upper >= r.local_upper - 1e-15).all()
    assert (r.global_lower <= r.local_lower + 1e-15).all()
    frame = r.to_frame()
    assert list(frame.columns) == [
        "industry",
        "distance_m",
        "k_observed",
        "local_lower",
        "local_upper",
        "global_lower",
        "global_upper",
        "localised",
        "dispersed",
    ]
    assert len(frame) == 101


def test_k_density_mask_equals_code_and_cap_subsamples(background):
    industry = ["a"] * 40 + ["b"] * 260
    pts = gdf(background, industry=industry)
    by_code = k_density(pts, "a", simulations=19, seed=3)
    by_mask = k_density(pts, pts["industry"] == "a", simulations=19, seed=3)
    np.testing.assert_array_equal(by_code.k_observed, by_mask.k_observed)
    assert by_mask.industry is None
    capped = k_density(pts, "a", simulations=19, seed=3, max_sites=10)
    assert (capped.n_sites, capped.n_used) == (40, 10)


def test_k_density_table_summarises_results(background):
    pts = gdf(background, industry=["a"] * 40 + ["b"] * 260)
    r = k_density(pts, "a", simulations=19, seed=3)
    table = k_density_table({"b2": r, "a": r})
    assert table["industry"].tolist() == ["a", "b2"]
    assert table.loc[0, "n_pool"] == 300 and table.loc[0, "simulations"] == 19
    assert table.loc[0, "max_distance_m"] == r.distances_m[-1]
    with pytest.raises(TypeError, match="must be a KDensityResult"):
        k_density_table({"a": "localised"})


def test_binned_pair_counts_equal_the_numpy_path_bit_for_bit(background):
    # The compiled pair loop must give the very floats of kde(pdist(sites)),
    # also when most pairs lie beyond the kernel's reach (max distance 2 km).
    for max_d in (20_000.0, 2_000.0):
        kde = _BinnedKDE(np.linspace(0.0, max_d, 101), 350.0)
        x, y = background[:, 0].copy(), background[:, 1].copy()
        np.testing.assert_array_equal(kde.of_sites(x, y), kde(pdist(background)))


@pytest.mark.parametrize("per_call", [5, 2])
def test_binned_pair_counts_of_many_draws_equal_the_numpy_path_bit_for_bit(
    background, monkeypatch, per_call
):
    # The draws go through one compiled call (or, with many bins, several). Each
    # row must still be the very floats of kde(pdist(xy[draw])), with sites at
    # distance 0 and pairs within a few ulps of the kernel's reach (kept or not
    # by the squared distance, before any sqrt).
    kde = _BinnedKDE(np.linspace(0.0, 2_000.0, 101), 350.0)
    edge = [kde.reach * (1 + k * 2.0**-52) for k in range(-4, 5)]
    xy = np.vstack(
        [
            background[:40],
            [(0.0, 0.0), (-0.0, 0.0), (0.0, -0.0)],  # one place, three locations
            [(d, 0.0) for d in edge],
            [(d / math.sqrt(2), d / math.sqrt(2)) for d in edge],
        ]
    )
    rng = np.random.default_rng(1)
    draws = np.stack([rng.permutation(len(xy)) for _ in range(5)])
    monkeypatch.setattr(points, "_COUNTS_CHUNK", per_call * kde.n_bins)
    rows = kde.of_draws(xy[:, 0], xy[:, 1], draws)
    for draw, row in zip(draws, rows, strict=True):
        np.testing.assert_array_equal(row, kde(pdist(xy[draw])))


def test_binned_pair_counts_of_co_located_sites_equal_the_numpy_path(background):
    # Firms geocoded to one postcode centroid share a location: each location is
    # paired once with its multiplicity, so the bins are the numpy path's sums
    # grouped otherwise - equal to a few ulps, the distance-0 bin exactly.
    rng = np.random.default_rng(2)
    centroids = background[:30]
    xy = np.vstack([centroids[rng.integers(0, 30, 400)], background[30:130]])
    kde = _BinnedKDE(np.linspace(0.0, 8_000.0, 101), 700.0)
    draws = np.stack([rng.choice(len(xy), 120, replace=False) for _ in range(6)])
    rows = kde.of_draws(xy[:, 0], xy[:, 1], draws)
    for draw, row in zip(draws, rows, strict=True):
        expected = kde(pdist(xy[draw]))
        np.testing.assert_allclose(row, expected, rtol=1e-13, atol=0)
    # the weights change the order of the sums, not what is summed: the raw
    # bins of one draw are those of np.bincount to 1e-13, distance 0 exactly
    d = pdist(xy[draws[0]])
    pos = d[d < kde.reach] / kde.step
    lo = pos.astype(np.int64)
    frac = pos - lo
    bins = np.bincount(lo, 1.0 - frac, kde.n_bins + 1)[: kde.n_bins]
    bins += np.bincount(lo + 1, frac, kde.n_bins + 1)[: kde.n_bins]
    locations, location_of = np.unique(xy, axis=0, return_inverse=True)
    raw = _binned_pair_counts(
        locations[:, 0].copy(),
        locations[:, 1].copy(),
        location_of.ravel().astype(np.int64),
        draws[:1],
        kde.reach_sq,
        kde.step,
        kde.n_bins,
    )[0]
    assert raw[0] == bins[0] == (d == 0).sum() > 0
    np.testing.assert_allclose(raw, bins, rtol=1e-13, atol=1e-9)


@pytest.mark.parametrize("reach", [0.1, 1.0, 3.0, 12_345.678, 205_329.69986872634])
def test_squared_limit_splits_pairs_exactly_at_reach(reach):
    # sqrt(d2) < reach exactly when d2 < limit: limit is the first float over
    # the line.
    limit = _squared_limit(reach)
    assert math.sqrt(limit) >= reach
    assert math.sqrt(math.nextafter(limit, 0.0)) < reach


def test_median_and_percentile_equal_numpy_bit_for_bit():
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 4, 5, 10, 101, 1000, 20_001):
        for values in (rng.uniform(0, 1e5, n), rng.integers(0, 4, n).astype(float)):
            before = values.copy()
            assert _median(values) == np.median(values)
            q75, q25 = np.percentile(values, [75, 25])
            assert _percentile(values, 75) == q75
            assert _percentile(values, 25) == q25
            np.testing.assert_array_equal(values, before)  # not modified


def test_k_density_curves_are_those_of_the_numpy_path_bit_for_bit(background):
    # The same draws one at a time through pdist and np.bincount: seed 3 draws no
    # subsample (40 sites) and no median sample (300 pool sites), only the
    # 19 counterfactuals.
    pts = gdf(background, industry=["a"] * 40 + ["b"] * 260)
    r = k_density(pts, "a", simulations=19, seed=3)
    kde = _BinnedKDE(r.distances_m, r.bandwidth_m)
    np.testing.assert_array_equal(r.k_observed, kde(pdist(background[:40])))
    rng = np.random.default_rng(3)
    sims = np.array(
        [kde(pdist(background[rng.choice(300, 40, replace=False)])) for _ in range(19)]
    )
    np.testing.assert_array_equal(r.global_upper, _global_band(sims, 0.05, upper=True))
    np.testing.assert_array_equal(r.local_lower, np.quantile(sims, 0.05, axis=0))
    assert r.distances_m[-1] == np.median(pdist(background))


def test_k_density_compiles_its_kernel_once(background):
    # Codes, masks, capped sites and a given bandwidth share one compiled
    # signature: another one would compile (seconds) in the middle of a run.
    pts = gdf(background, industry=["a"] * 40 + ["b"] * 260)
    k_density(pts, "a", simulations=19, seed=0)
    before = list(_binned_pair_counts.signatures)
    mask = pts["industry"] == "a"
    k_density(pts, mask, simulations=19, seed=1, max_sites=10, bandwidth_m=500.0)
    assert _binned_pair_counts.signatures == before and len(before) == 1


def test_k_density_keeps_the_numbers_of_the_numpy_implementation(background):
    # Values at seed 5 from the earlier pure-numpy K-density (pdist + bincount per
    # simulation); the compiled loop must reproduce them exactly.
    pts = gdf(background, industry=["a"] * 40 + ["b"] * 260)
    r = k_density(pts, "a", simulations=99, seed=5, max_distance_m=3000.0)
    assert r.bandwidth_m == 1227.0612845616154
    assert r.global_upper[[0, 50, 100]].tolist() == [
        1.819220484499688e-05,
        2.6395075510320385e-05,
        4.2291976316966216e-05,
    ]
    assert r.global_lower[[0, 50, 100]].tolist() == [
        1.00308429061483e-05,
        1.6874295999648804e-05,
        2.8711201396712455e-05,
    ]


def test_k_density_is_reproducible_with_a_seed(background):
    pts = gdf(background, industry=["a"] * 40 + ["b"] * 260)
    one = k_density(pts, "a", simulations=19, seed=9)
    two = k_density(pts, "a", simulations=19, seed=9)
    np.testing.assert_array_equal(one.global_upper, two.global_upper)


@pytest.mark.parametrize(
    ("industry", "kwargs", "match"),
    [
        ("zz", {}, "is not in points"),
        ("a", {"industry_column": "naics"}, "lacks the industry column"),
        ("a", {"simulations": 5}, "simulations must be an integer >= 19"),
        ("a", {"band_level": 0.7}, "band_level must lie in"),
        ("a", {"n_steps": 1}, "n_steps must be an integer >= 2"),
        ("a", {"max_distance_m": 0}, "max_distance_m must be > 0"),
        (np.array([True, False]), {}, "an industry mask must be"),
        (pd.Series([True] * 6, index=range(10, 16)), {}, "not on points' index"),
    ],
)
def test_k_density_rejects_bad_input(industry, kwargs, match):
    pts = gdf(
        [(0, 0), (10, 0), (0, 10), (500, 0), (0, 700), (900, 900)],
        industry=["a"] * 3 + ["b"] * 3,
    )
    with pytest.raises(ValueError, match=match):
        k_density(pts, industry, **kwargs)


def test_k_density_rejects_too_few_all_or_stacked_sites():
    pts = gdf([(0, 0), (10, 0), (500, 0), (0, 700)], industry=["a", "a", "b", "b"])
    with pytest.raises(ValueError, match="has 2 located sites"):
        k_density(pts, "a")
    pts = gdf([(0, 0), (10, 0), (500, 0)], industry=["a"] * 3)
    with pytest.raises(ValueError, match="holds all 3 located sites"):
        k_density(pts, "a")
    pts = gdf([(0, 0)] * 3 + [(500, 0), (0, 700)], industry=["a"] * 3 + ["b"] * 2)
    with pytest.raises(ValueError, match="share one location"):
        k_density(pts, "a")
    with pytest.raises(TypeError, match="points must be a GeoDataFrame"):
        k_density(pts.geometry, "a")


# --------------------------------------------------------- detection_agreement


def _result(classification: str) -> KDensityResult:
    z = np.zeros(2)
    return KDensityResult(
        "x", z, z, z, z, z, z, classification, (), (), 0.0, 0.0, 1.0, 3, 3, 9, 19, 0
    )


def test_detection_agreement_by_hand():
    # 3141: region cluster and localised -> agree; 3116: region cluster but
    # "neither" -> disagree; 7225: no cluster, "dispersed" -> agree (both say no);
    # 5121: region cluster, not analysed at point level -> <NA>.
    clusters = pd.DataFrame({"industry": ["3141", "3116", "5121", "3141"]})
    points = {
        "3141": _result("localised"),
        "3116": _result("neither"),
        "7225": "dispersed",
    }
    t = detection_agreement(clusters, points)
    assert t["industry"].tolist() == ["3116", "3141", "5121", "7225"]
    assert t["region_level"].tolist() == [True, True, True, False]
    assert t["point_level"].tolist() == [False, True, pd.NA, False]
    assert t["agree"].tolist() == [False, True, pd.NA, True]


def test_detection_agreement_rejects_bad_input():
    with pytest.raises(ValueError, match="lacks the column 'industry'"):
        detection_agreement(pd.DataFrame({"naics": ["1"]}), {})
    with pytest.raises(ValueError, match="expected a KDensityResult"):
        detection_agreement(pd.DataFrame({"industry": ["1"]}), {"1": "clustered"})
    with pytest.raises(TypeError, match="must be a mapping"):
        detection_agreement(pd.DataFrame({"industry": ["1"]}), ["1"])
    with pytest.raises(TypeError, match="must be a DataFrame"):
        detection_agreement({"industry": ["1"]}, {})
