"""Registry to region x industry table at scale: 10 million synthetic firms, offline.

Run: ``.venv/bin/python benchmarks/bench_registry_10m.py [--rows 10000000]``
(needs the US county boundaries in ``../shared/data`` or ``$AGGLO_SHARED_DATA``).

1. A child process writes the synthetic registry (``benchmarks/synthetic_registry.py``:
   real US ZIPs, ZIP+4 on a share of rows, planted clusters) to a temporary Parquet
   file; its time is reported apart and its memory does not count.
2. Timed, in this process, whose peak RSS (``resource.getrusage``) is reported:
   geocoding, postcode tier (``geo.geocode.geocode_firms`` over the gazetteer's
   distinct ZIPs) and assignment to counties (point in polygon), then the registry
   streamed as Arrow batches (``data_sources.chunked.region_industry_table``) into
   a county x industry table. The postcode tier and the assignment are functions of
   the postcode alone, so running them once per distinct postcode and joining the
   result back by dictionary code gives the same table as running them per firm.
Targets (issue 9): under 5 minutes and under 8 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from data_sources.chunked import region_industry_table  # noqa: E402
from data_sources.gazetteer import us_zip_gazetteer  # noqa: E402
from geo.geocode import geocode_firms  # noqa: E402

SHARED = Path(os.environ.get("AGGLO_SHARED_DATA", ROOT / ".." / "shared" / "data"))
COUNTIES = SHARED / "boundaries" / "us_counties_2017_census_usatlas.geojson.gz"
RESULTS = ROOT / "benchmarks" / "results" / "registry_10m.md"


def postcode_counties() -> pd.Series:
    """Normalised ZIP -> county FIPS: postcode-tier geocoding, then point in polygon."""
    zips = us_zip_gazetteer()
    firms = pd.DataFrame({"firm_id": zips["postcode"], "postcode": zips["postcode"]})
    located = geocode_firms(firms, postcodes=zips, tiers=["postcode"])
    located = located.dropna(subset=["lat", "lon"])  # firm_id is the ZIP here
    points = gpd.GeoDataFrame(
        {"postcode": located["firm_id"].to_numpy()},
        geometry=gpd.points_from_xy(located["lon"], located["lat"]),
        crs="EPSG:4326",
    )
    counties = gpd.read_file(f"/vsigzip/{COUNTIES}")
    counties = counties[~(counties.geometry.isna() | counties.geometry.is_empty)]
    joined = gpd.sjoin(points, counties[["fips", "geometry"]], predicate="within")
    joined = joined.drop_duplicates("postcode")
    return pd.Series(joined["fips"].to_numpy(), index=joined["postcode"].to_numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--batch-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if not COUNTIES.exists():
        raise SystemExit(f"needs {COUNTIES} (real public data; see {SHARED}/README.md)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "registry.parquet"
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "synthetic_registry.py"),
             str(path), "--rows", str(args.rows)],
            check=True,
        )  # fmt: skip
        gen_s = time.perf_counter() - t0
        size_mb = path.stat().st_size / 1e6

        t0 = time.perf_counter()
        mapping = postcode_counties()
        geo_s = time.perf_counter() - t0
        batches = pq.ParquetFile(path).iter_batches(
            batch_size=args.batch_rows,
            columns=["postcode", "industry_code", "employees"],
        )
        table, stats = region_industry_table(batches, mapping)
        total_s = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB -> GB
    cells = table[table["firms"] > 0]
    lines = [
        f"# Registry to county x industry table, {args.rows:,} synthetic firms",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_registry_10m.py --rows "
        f"{args.rows} --batch-rows {args.batch_rows}`; {os.cpu_count()} cores.",
        "",
        "| step | value |",
        "|---|---|",
        f"| write the synthetic registry (child process, not counted) | {gen_s:.1f} s, "
        f"{size_mb:.0f} MB Parquet |",
        f"| geocode distinct ZIPs (postcode tier) + point in polygon | {geo_s:.1f} s |",
        f"| **registry to table, total** (target < 300 s) | **{total_s:.1f} s** |",
        f"| **peak RSS of this process** (target < 8 GB) | **{peak_gb:.2f} GB** |",
        f"| rows / assigned / unknown postcode | {stats['rows']:,} / "
        f"{stats['assigned']:,} / {stats['unknown_postcode']:,} |",
        f"| table rows (counties x industries) / non-empty cells | {len(table):,} / "
        f"{len(cells):,} |",
        f"| employees in the table | {int(table['employees'].sum()):,} |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
