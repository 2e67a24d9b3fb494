"""Synthetic firm registries of any size with planted clusters, written to Parquet.

Run: ``.venv/bin/python benchmarks/synthetic_registry.py OUT.parquet --rows 10000000``.

Firms sit at real US ZIP codes (the offline ``zipcodes`` gazetteer of
``data_sources.gazetteer.us_zip_gazetteer``). Industry sizes follow a Zipf law over
``industries`` six-digit codes. A share ``cluster_share`` of each industry's firms is
planted in ``clusters`` clusters: a centre ZIP and its ``cluster_zips`` nearest
ZIPs; the rest are spread over all ZIPs. Employees are log-normal (median 5).
Columns follow docs/data-contract.md: ``firm_id``, ``postcode`` (text with leading
zeros; 30 % written as ZIP+4), ``industry_code``, ``employees``. Everything is
vectorised numpy; rows are generated and written in chunks so memory stays flat at
any size.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Plan:
    """What a synthetic registry is drawn from (shared by all chunks)."""

    postcodes: np.ndarray  # (z,) str: the ZIP codes
    industry_codes: np.ndarray  # (k,) str
    industry_p: np.ndarray  # (k,) probabilities (Zipf)
    cluster_zips: np.ndarray  # (k, clusters * cluster_zips) int: ZIP rows per industry
    cluster_share: float


def make_plan(
    zips_lat: np.ndarray,
    zips_lon: np.ndarray,
    postcodes: np.ndarray,
    *,
    industries: int = 200,
    clusters: int = 2,
    cluster_zips: int = 25,
    cluster_share: float = 0.3,
    seed: int = 0,
) -> Plan:
    """Industries, their Zipf weights and their planted cluster ZIPs."""
    rng = np.random.default_rng([seed, 0])
    codes = np.array([f"{311000 + 7 * k:06d}" for k in range(industries)])
    p = 1.0 / np.arange(1, industries + 1) ** 0.8
    xyz = np.column_stack(
        [
            np.cos(np.radians(zips_lat)) * np.cos(np.radians(zips_lon)),
            np.cos(np.radians(zips_lat)) * np.sin(np.radians(zips_lon)),
            np.sin(np.radians(zips_lat)),
        ]
    )
    members = np.empty((industries, clusters * cluster_zips), dtype=np.int64)
    for k in range(industries):
        for c, centre in enumerate(rng.integers(0, len(xyz), clusters)):
            d = ((xyz - xyz[centre]) ** 2).sum(axis=1)
            near = np.argpartition(d, cluster_zips)[:cluster_zips]
            members[k, c * cluster_zips : (c + 1) * cluster_zips] = near
    return Plan(np.asarray(postcodes), codes, p / p.sum(), members, cluster_share)


def chunk(plan: Plan, rows: int, start_id: int, seed: int) -> pa.Table:
    """``rows`` firms as an Arrow table; ids ``start_id ..``; reproducible by seed."""
    rng = np.random.default_rng([seed, 1, start_id])
    ind = rng.choice(len(plan.industry_codes), size=rows, p=plan.industry_p)
    zip_row = rng.integers(0, len(plan.postcodes), rows)
    planted = rng.random(rows) < plan.cluster_share
    slot = rng.integers(0, plan.cluster_zips.shape[1], int(planted.sum()))
    zip_row[planted] = plan.cluster_zips[ind[planted], slot]
    employees = np.maximum(1, np.rint(rng.lognormal(np.log(5.0), 1.2, rows)))
    ids = np.arange(start_id, start_id + rows)
    postcode = plan.postcodes[zip_row].astype("<U10")
    plus4 = rng.random(rows) < 0.3  # ZIP+4 as registries often write it
    suffix = np.char.zfill(rng.integers(0, 10000, int(plus4.sum())).astype(str), 4)
    postcode[plus4] = np.char.add(np.char.add(postcode[plus4], "-"), suffix)
    return pa.table(
        {
            "firm_id": pa.array(ids.astype(str)),
            "postcode": pa.array(postcode),
            "industry_code": pa.array(plan.industry_codes[ind]),
            "employees": pa.array(employees.astype(np.int32)),
        }
    )


def iter_chunks(
    plan: Plan, rows: int, *, chunk_rows: int = 1_000_000, seed: int = 0
) -> Iterator[pa.Table]:
    """The registry as Arrow tables of at most ``chunk_rows`` rows."""
    for start in range(0, rows, chunk_rows):
        yield chunk(plan, min(chunk_rows, rows - start), start, seed)


def write_registry(
    path: str | Path,
    rows: int,
    *,
    industries: int = 200,
    chunk_rows: int = 1_000_000,
    seed: int = 0,
) -> Plan:
    """Write a synthetic registry of ``rows`` firms to Parquet, chunk by chunk."""
    from data_sources.gazetteer import us_zip_gazetteer

    zips = us_zip_gazetteer()
    plan = make_plan(
        zips["lat"].to_numpy(),
        zips["lon"].to_numpy(),
        zips["postcode"].to_numpy(dtype=object).astype(str),
        industries=industries,
        seed=seed,
    )
    writer = None
    try:
        for table in iter_chunks(plan, rows, chunk_rows=chunk_rows, seed=seed):
            if writer is None:
                writer = pq.ParquetWriter(str(path), table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--industries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    t0 = time.perf_counter()
    write_registry(args.out, args.rows, industries=args.industries, seed=args.seed)
    print(f"{args.rows:,} firms -> {args.out} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
