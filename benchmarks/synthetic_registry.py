"""Synthetic firm registries of any size with planted clusters, written to Parquet.

Run: ``.venv/bin/python benchmarks/synthetic_registry.py OUT.parquet --rows 10000000``.

Firms sit at real US ZIP codes (the offline ``zipcodes`` gazetteer of
``data_sources.gazetteer.us_zip_gazetteer``). Industry sizes follow a Zipf law over
``industries`` real six-digit NAICS codes. A share ``cluster_share`` of each
industry's firms is planted in ``clusters`` clusters: a centre ZIP and its
``cluster_zips`` nearest ZIPs; the rest are spread over all ZIPs. Employees are
log-normal (median 5).

Columns follow docs/data-contract.md, typed as a registry export would store them:
``firm_id``, ``postcode``, ``settlement``, ``state``, ``industry_code`` and
``employees`` as text, ``founded`` and ``closed`` as nullable integers, ``lat`` and
``lon`` as floats (NaN when not given). Every row kind the real firm-level chain
handles is there, so validation and every geocoding tier really run:

- about 6 % carry coordinates near their ZIP (the ``coordinates`` tier), a few of
  them at sea (located, but outside every county);
- 30 % of postcodes written as ZIP+4; 5 % without a postcode but with an exact town
  name (the ``settlement`` tier); 1 % with a misspelt town (``fuzzy_settlement``);
  0.3 % with an unknown ZIP and town (unmatched);
- 8 % closed in some year (inactive in later study years);
- about 1 % bad rows, one kind each (`BAD_KINDS`): empty id, duplicate id (of an
  earlier row, near or up to a million rows back, sometimes padded with blanks),
  empty, unknown or too coarse industry code, text, decimal, negative, empty or
  implausible head count, founding year in the future or before 1600, closed before
  founded.

Everything is vectorised numpy; rows are generated and written in chunks so memory
stays flat at any size, and a registry's first ``n`` rows do not depend on its
length (a 1M-row registry is the head of the 10M-row one with the same seed).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BAD_KINDS: tuple[str, ...] = (
    "empty_id",
    "duplicate_id",
    "empty_industry",
    "unknown_industry",
    "coarse_industry",
    "text_employees",
    "decimal_employees",
    "negative_employees",
    "empty_employees",
    "huge_employees",
    "future_founded",
    "ancient_founded",
    "closed_before_founded",
)
"""Kinds of invalid rows planted, each about ``bad_share / len(BAD_KINDS)``."""

GENERATOR_CHUNK_ROWS = 1_000_000
"""Rows drawn per random stream; fixed so that a registry's head is length-free."""


@dataclass(frozen=True)
class Plan:
    """What a synthetic registry is drawn from (shared by all chunks)."""

    postcodes: np.ndarray  # (z,) str: the ZIP codes
    settlements: np.ndarray  # (z,) str: the ZIP's town
    states: np.ndarray  # (z,) str: the ZIP's state
    lat: np.ndarray  # (z,) float: the ZIP's centroid
    lon: np.ndarray
    industry_codes: np.ndarray  # (k,) str
    industry_p: np.ndarray  # (k,) probabilities (Zipf)
    cluster_zips: np.ndarray  # (k, clusters * cluster_zips) int: ZIP rows per industry
    cluster_share: float
    bad_share: float


def naics_industries(count: int) -> np.ndarray:
    """``count`` real six-digit NAICS codes spread over the whole classification."""
    from data_sources.classification import classification_codes

    codes = classification_codes("naics")["code"]
    six = np.array(sorted(c for c in codes if len(c) == 6))
    if count > len(six):
        raise ValueError(f"at most {len(six)} six-digit NAICS codes; got {count}")
    return six[np.linspace(0, len(six) - 1, count).round().astype(int)]


def make_plan(
    zips: dict[str, np.ndarray],
    *,
    industries: int = 200,
    clusters: int = 2,
    cluster_zips: int = 25,
    cluster_share: float = 0.3,
    bad_share: float = 0.01,
    seed: int = 0,
) -> Plan:
    """Industries, their Zipf weights and their planted cluster ZIPs.

    ``zips`` holds equal-length arrays ``postcode``, ``settlement``, ``state``,
    ``lat`` and ``lon`` (e.g. the columns of ``us_zip_gazetteer()``).
    """
    rng = np.random.default_rng([seed, 0])
    codes = naics_industries(industries)
    p = 1.0 / np.arange(1, industries + 1) ** 0.8
    lat, lon = np.radians(zips["lat"]), np.radians(zips["lon"])
    xyz = np.column_stack(
        [np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]
    )
    size = min(cluster_zips, len(xyz) - 1)
    members = np.empty((industries, clusters * size), dtype=np.int64)
    for k in range(industries):
        for c, centre in enumerate(rng.integers(0, len(xyz), clusters)):
            d = ((xyz - xyz[centre]) ** 2).sum(axis=1)
            near = np.argpartition(d, size)[:size]
            members[k, c * size : (c + 1) * size] = near
    return Plan(
        np.asarray(zips["postcode"]).astype(str),
        np.asarray(zips["settlement"]).astype(str),
        np.asarray(zips["state"]).astype(str),
        np.asarray(zips["lat"], dtype=float),
        np.asarray(zips["lon"], dtype=float),
        codes,
        p / p.sum(),
        members,
        cluster_share,
        bad_share,
    )


def _misspell(names: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each name with one interior letter dropped (names of 6+ letters), as typed."""
    out = names.astype(object)
    for i, name in enumerate(out):
        if len(name) >= 6:
            k = int(rng.integers(2, len(name) - 1))
            out[i] = name[:k] + name[k + 1 :]
    return out.astype(str)


def _ids(numbers: np.ndarray) -> np.ndarray:
    return np.char.add("F", np.char.zfill(numbers.astype(str), 10))


def chunk(plan: Plan, rows: int, start_id: int, seed: int) -> pa.Table:
    """``rows`` firms as an Arrow table; rows ``start_id ..``; reproducible by seed."""
    rng = np.random.default_rng([seed, 1, start_id])
    ind = rng.choice(len(plan.industry_codes), size=rows, p=plan.industry_p)
    zip_row = rng.integers(0, len(plan.postcodes), rows)
    planted = rng.random(rows) < plan.cluster_share
    slot = rng.integers(0, plan.cluster_zips.shape[1], int(planted.sum()))
    zip_row[planted] = plan.cluster_zips[ind[planted], slot]
    employees = np.maximum(1, np.rint(rng.lognormal(np.log(5.0), 1.2, rows)))
    employees = employees.astype(np.int64).astype(str).astype(object)
    numbers = np.arange(start_id, start_id + rows)
    ids = _ids(numbers).astype(object)
    postcode = plan.postcodes[zip_row].astype("<U10")
    plus4 = rng.random(rows) < 0.3  # ZIP+4 as registries often write it
    suffix = np.char.zfill(rng.integers(0, 10000, int(plus4.sum())).astype(str), 4)
    postcode[plus4] = np.char.add(np.char.add(postcode[plus4], "-"), suffix)
    postcode = postcode.astype(object)
    settlement = plan.settlements[zip_row].astype(object)
    state = plan.states[zip_row].astype(object)
    lat = np.full(rows, np.nan)
    lon = np.full(rows, np.nan)
    founded = rng.integers(1950, 2024, rows).astype(float)
    founded[rng.random(rows) < 0.1] = np.nan  # unknown founding year
    closed = np.full(rows, np.nan)
    shut = rng.random(rows) < 0.08
    closed[shut] = np.fmin(
        np.nan_to_num(founded[shut], nan=1990) + rng.integers(1, 40, int(shut.sum())),
        2030,
    )

    # how each row is located: 0 postcode, 1 coordinates, 2 town only, 3 misspelt
    # town, 4 nothing that matches, 5 coordinates at sea
    how = rng.choice(6, size=rows, p=[0.8765, 0.06, 0.05, 0.01, 0.003, 0.0005])
    coords = how == 1
    lat[coords] = plan.lat[zip_row[coords]] + rng.normal(0, 0.02, int(coords.sum()))
    lon[coords] = plan.lon[zip_row[coords]] + rng.normal(0, 0.02, int(coords.sum()))
    sea = how == 5
    lat[sea] = 35.0 + rng.random(int(sea.sum()))
    lon[sea] = -60.0 - rng.random(int(sea.sum()))
    town_only = (how == 2) | (how == 3)
    postcode[town_only] = None  # null in the export
    typo = how == 3
    settlement[typo] = _misspell(plan.settlements[zip_row[typo]], rng)
    lost = how == 4
    postcode[lost] = "00000"
    settlement[lost] = "Atlantis"

    codes = plan.industry_codes[ind].astype(object)
    # bad rows, one problem each
    bad = np.flatnonzero(rng.random(rows) < plan.bad_share)
    kinds = np.asarray(BAD_KINDS)[rng.integers(0, len(BAD_KINDS), len(bad))]

    def rows_of(kind: str) -> np.ndarray:
        return bad[kinds == kind]

    ids[rows_of("empty_id")] = rng.choice(["", "   "], len(rows_of("empty_id")))
    dup = rows_of("duplicate_id")
    back = np.where(
        rng.random(len(dup)) < 0.5,
        rng.integers(1, 20, len(dup)),
        rng.integers(1, 1_000_000, len(dup)),
    )
    earlier = np.maximum(dup + start_id - back, 0)
    dup_ids = _ids(earlier).astype(object)
    padded = rng.random(len(dup)) < 0.2  # " F0000000012 " is the same id
    dup_ids[padded] = [f" {v} " for v in dup_ids[padded]]
    keep = earlier < dup + start_id
    ids[dup[keep]] = dup_ids[keep]
    codes[rows_of("empty_industry")] = ""
    codes[rows_of("unknown_industry")] = "999999"
    codes[rows_of("coarse_industry")] = "311"
    employees[rows_of("text_employees")] = "n/a"
    employees[rows_of("decimal_employees")] = "12.5"
    employees[rows_of("negative_employees")] = "-3"
    employees[rows_of("empty_employees")] = ""
    employees[rows_of("huge_employees")] = "2500000"
    founded[rows_of("future_founded")] = 2999
    founded[rows_of("ancient_founded")] = 1200
    early = rows_of("closed_before_founded")
    founded[early] = 2010
    closed[early] = 2001

    def text(values: np.ndarray) -> pa.Array:
        return pa.array(values.tolist(), type=pa.string())

    def years(values: np.ndarray) -> pa.Array:
        return pa.array(
            np.nan_to_num(values, nan=0).astype(np.int32), mask=np.isnan(values)
        )

    return pa.table(
        {
            "firm_id": text(ids),
            "postcode": text(postcode),
            "settlement": text(settlement),
            "state": text(state),
            "industry_code": text(codes),
            "employees": text(employees),
            "founded": years(founded),
            "closed": years(closed),
            "lat": pa.array(lat, from_pandas=True),
            "lon": pa.array(lon, from_pandas=True),
        }
    )


def iter_chunks(plan: Plan, rows: int, *, seed: int = 0) -> Iterator[pa.Table]:
    """The registry as Arrow tables of at most `GENERATOR_CHUNK_ROWS` rows."""
    for start in range(0, rows, GENERATOR_CHUNK_ROWS):
        yield chunk(plan, min(GENERATOR_CHUNK_ROWS, rows - start), start, seed)


def zip_table(states: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The ZIP gazetteer's columns as arrays (all US ZIPs, or those of ``states``)."""
    from data_sources.gazetteer import us_zip_gazetteer

    zips = us_zip_gazetteer(states)
    return {
        c: zips[c].to_numpy() for c in ("postcode", "settlement", "state", "lat", "lon")
    }


def write_registry(
    path: str | Path,
    rows: int,
    *,
    industries: int = 200,
    states: Sequence[str] | None = None,
    row_group_rows: int = GENERATOR_CHUNK_ROWS,
    seed: int = 0,
    bad_share: float = 0.01,
) -> Plan:
    """Write a synthetic registry of ``rows`` firms to Parquet, chunk by chunk.

    ``states`` limits the ZIPs to some states (e.g. ``["GA"]`` for small tests);
    ``row_group_rows`` sets the Parquet row group size.
    """
    plan = make_plan(
        zip_table(states), industries=industries, seed=seed, bad_share=bad_share
    )
    writer = None
    try:
        for table in iter_chunks(plan, rows, seed=seed):
            if writer is None:
                writer = pq.ParquetWriter(str(path), table.schema)
            writer.write_table(table, row_group_size=row_group_rows)
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
