"""Geocoding throughput, firms per second per tier, on a synthetic registry.

Run: ``.venv/bin/python benchmarks/bench_geocode.py [--rows 1000000] [--seed 0]``.

The registry is drawn from the real US ZIP gazetteer (``zipcodes`` package, offline):
every firm has coordinates near its ZIP, its ZIP (30 % as ZIP+4, 10 % without the
leading zero a spreadsheet dropped), its town (case and "St."/"Saint" varied) and its
state. Each tier is timed alone over all rows, so each row exercises that tier, then
the whole chain. The fuzzy tier is timed on a registry where 1 % of the towns are
misspelt (one letter dropped); it scores only the distinct unmatched names, so its
cost follows their number, not the row count. Target (issue 3): the exact tiers above
100,000 firms per second on one core.
"""

from __future__ import annotations

import argparse
import os
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from data_sources.gazetteer import us_zip_gazetteer  # noqa: E402
from geo.geocode import geocode_firms, settlements_from_postcodes  # noqa: E402


def synthetic_registry(rows: int, seed: int, *, misspelt: float = 0.0) -> pd.DataFrame:
    """A registry of ``rows`` firms at real US ZIPs (see the module docstring)."""
    rng = np.random.default_rng(seed)
    zips = us_zip_gazetteer()
    pick = rng.integers(0, len(zips), rows)
    chosen = zips.iloc[pick].reset_index(drop=True)
    postcode = chosen["postcode"].to_numpy(dtype=object).copy()
    plus4 = rng.random(rows) < 0.3
    postcode[plus4] = [
        f"{p}-{n:04d}"
        for p, n in zip(
            postcode[plus4], rng.integers(0, 9999, plus4.sum()), strict=True
        )
    ]
    lost_zero = (rng.random(rows) < 0.1) & ~plus4
    postcode[lost_zero] = [p.lstrip("0") or "0" for p in postcode[lost_zero]]
    town = chosen["settlement"].to_numpy(dtype=object).copy()
    upper = rng.random(rows) < 0.2
    town[upper] = [t.upper() for t in town[upper]]
    saint = np.char.startswith(town.astype(str), "Saint ")
    town[saint] = [t.replace("Saint ", "St. ", 1) for t in town[saint]]
    if misspelt:
        bad = rng.random(rows) < misspelt
        cut = rng.integers(1, 4, bad.sum())
        town[bad] = [t[:c] + t[c + 1 :] for t, c in zip(town[bad], cut, strict=True)]
    return pd.DataFrame(
        {
            "firm_id": np.arange(rows).astype(str),
            "settlement": town,
            "postcode": postcode,
            "state": chosen["state"].to_numpy(),
            "lat": chosen["lat"].to_numpy() + rng.normal(0, 0.01, rows),
            "lon": chosen["lon"].to_numpy() + rng.normal(0, 0.01, rows),
        }
    )


def _time(firms: pd.DataFrame, **options) -> tuple[float, float, pd.DataFrame]:
    """Wall and CPU seconds of one `geocode_firms` call (CPU: this process only, so
    other programs on a shared machine do not count)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = geocode_firms(firms, **options)
    return time.perf_counter() - wall, time.process_time() - cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    start = time.perf_counter()
    zips = us_zip_gazetteer()
    towns = settlements_from_postcodes(zips)
    centroids = zips.groupby("state", as_index=False)[["lat", "lon"]].mean()
    firms = synthetic_registry(args.rows, args.seed)
    misspelt = synthetic_registry(args.rows, args.seed + 1, misspelt=0.01)
    print(
        f"synthetic registry: {args.rows:,} firms at {len(zips):,} US ZIPs, "
        f"{len(towns):,} towns; built in {time.perf_counter() - start:.1f} s\n"
    )
    gaz = {"postcodes": zips, "settlements": towns, "region_centroids": centroids}
    runs = [
        ("coordinates", firms, ["coordinates"]),
        ("postcode", firms, ["postcode"]),
        ("settlement", firms, ["settlement"]),
        ("region_centroid", firms, ["region_centroid"]),
        (
            "settlement+fuzzy (1% misspelt)",
            misspelt,
            ["settlement", "fuzzy_settlement"],
        ),
        (
            "all tiers, no coordinates",
            firms.assign(lat=np.nan, lon=np.nan),
            [
                "coordinates",
                "postcode",
                "settlement",
                "fuzzy_settlement",
                "region_centroid",
            ],
        ),
    ]
    header = (
        f"{'tier':<34}{'rows':>11}{'matched':>11}{'wall s':>8}{'cpu s':>8}"
        f"{'firms/s (cpu)':>15}"
    )
    print(header)
    print("-" * len(header))
    for label, frame, tiers in runs:
        wall, cpu, out = _time(frame, tiers=tiers, **gaz)
        matched = int((out["match_level"] != "unmatched").sum())
        detail = ""
        if "fuzzy_settlement" in tiers:
            fuzzy = int((out["match_level"] == "fuzzy_settlement").sum())
            detail = f"  ({fuzzy:,} by fuzzy name)"
        print(
            f"{label:<34}{len(frame):>11,}{matched:>11,}{wall:>8.2f}{cpu:>8.2f}"
            f"{len(frame) / cpu:>15,.0f}{detail}"
        )


if __name__ == "__main__":
    main()
