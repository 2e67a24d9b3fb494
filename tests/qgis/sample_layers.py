"""A hand-sized study to publish in tests: 4x4 regions, 2 industries, 1 cluster, firms.

Loaded by tests/outputs/test_*.py with importlib (tests/ is not a package). Every value
is set by hand, nothing is computed by the pipeline, so the expected counts and classes
can be read off this file.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from shapely.geometry import Point, box
from shapely.ops import unary_union

CRS = "EPSG:32616"  # UTM 16N, metres; the grid lies in north-west Georgia
X0, Y0, SIDE = 680_000.0, 3_800_000.0, 10_000.0
INDUSTRIES = ("3141", "5121")
NAMES = {"3141": "Textile Furnishings Mills", "5121": "Motion Picture and Video"}


def region_ids() -> list[str]:
    """r00 .. r33: row (south to north) then column (west to east)."""
    return [f"r{row}{col}" for row in range(4) for col in range(4)]


def squares() -> list:
    return [
        box(
            X0 + col * SIDE,
            Y0 + row * SIDE,
            X0 + (col + 1) * SIDE,
            Y0 + (row + 1) * SIDE,
        )
        for row in range(4)
        for col in range(4)
    ]


def sample_layers() -> dict[str, gpd.GeoDataFrame]:
    """The five published layers of the hand-made study.

    - regions: 16 squares, employment 100..250 (step 10).
    - location_quotients / lisa: 16 x 2 rows. Industry 3141 is hot in the north-east
      2x2 corner (r22, r23, r32, r33: LQ 4, quadrant HH, hotspot hot_99/hot_95),
      LQ 0.5 elsewhere (ns, one LL and one cold_90); 5121 has LQ 1.0 everywhere but
      one region (r00, LQ 2: HL) - no cluster.
    - clusters: the 3141 corner dissolved, maturity 0.7 'mature'.
    - firms: 12 points, 3 in the corner; employees 1..900; all four match levels.
    """
    ids = region_ids()
    shapes = squares()
    regions = gpd.GeoDataFrame(
        {
            "region_id": ids,
            "name": [f"Region {i}" for i in ids],
            "employment": [100 + 10 * k for k in range(16)],
            "firms": [2 + k % 3 for k in range(16)],
        },
        geometry=shapes,
        crs=CRS,
    )
    corner = {"r22", "r23", "r32", "r33"}
    rows = []
    for industry in INDUSTRIES:
        for region in ids:
            if industry == "3141":
                lq = 4.0 if region in corner else 0.5
                quadrant = (
                    "HH" if region in corner else ("LL" if region == "r00" else "ns")
                )
                hotspot = (
                    "hot_99"
                    if region in ("r33", "r23")
                    else "hot_95"
                    if region in corner
                    else ("cold_90" if region == "r00" else "ns")
                )
            else:
                lq = 2.0 if region == "r00" else 1.0
                quadrant = "HL" if region == "r00" else "ns"
                hotspot = "ns"
            rows.append(
                {
                    "region_id": region,
                    "industry": industry,
                    "lq": lq,
                    "quadrant": quadrant,
                    "hotspot": hotspot,
                    "p_value": 0.001 if quadrant != "ns" else 0.5,
                    "employment": 50 if lq > 1 else 5,
                }
            )
    table = pd.DataFrame(rows)
    geometry = dict(zip(ids, shapes, strict=True))
    lq = gpd.GeoDataFrame(
        table[["region_id", "industry", "employment", "lq"]].assign(stars=0),
        geometry=[geometry[r] for r in table["region_id"]],
        crs=CRS,
    )
    lisa = gpd.GeoDataFrame(
        table[["region_id", "industry", "lq", "p_value", "quadrant", "hotspot"]],
        geometry=[geometry[r] for r in table["region_id"]],
        crs=CRS,
    )
    clusters = gpd.GeoDataFrame(
        {
            "cluster_id": ["3141-corner"],
            "industry": ["3141"],
            "regions": [",".join(sorted(corner))],
            "n_regions": [4],
            "employment": [200],
            "firms": [3],
            "mean_lq": [4.0],
            "maturity_index": [0.7],
            "maturity_stage": ["mature"],
            "score_collaboration": [0.6],
        },
        geometry=[unary_union([geometry[r] for r in sorted(corner)])],
        crs=CRS,
    )
    points = [
        (3.2, 3.5),
        (3.6, 3.1),
        (2.5, 2.5),  # in the corner (cell units)
        (0.5, 0.5),
        (1.5, 0.5),
        (0.5, 1.5),
        (1.2, 1.8),
        (2.2, 0.4),
        (3.5, 0.5),
        (0.4, 3.3),
        (1.7, 2.6),
        (2.9, 1.2),
    ]
    firms = gpd.GeoDataFrame(
        {
            "firm_id": [f"f{k:02d}" for k in range(12)],
            "industry": ["3141"] * 3 + ["5121"] * 9,
            "employees": [900, 250, 40, 1, 5, 12, 30, 8, 60, 3, 100, 20],
            "match_level": ["coordinates", "postcode", "settlement", "fuzzy_settlement"]
            * 3,
        },
        geometry=[Point(X0 + x * SIDE, Y0 + y * SIDE) for x, y in points],
        crs=CRS,
    )
    return {
        "regions": regions,
        "location_quotients": lq,
        "lisa": lisa,
        "clusters": clusters,
        "firms": firms,
    }


def sample_density() -> tuple[np.ndarray, Affine, str]:
    """A 40 x 40 grid of 1 km cells over the regions: a bump in the north-east."""
    rows, cols = np.mgrid[0:40, 0:40]
    # row 0 is the north edge: the bump centre (row 5, col 34) lies in the corner
    bump = 50.0 * np.exp(-((rows - 5) ** 2 + (cols - 34) ** 2) / 30.0)
    array = np.where(bump > 0.5, bump, 0.0).astype("float32")
    transform = Affine(1000.0, 0.0, X0, 0.0, -1000.0, Y0 + 4 * SIDE)
    return array, transform, CRS
