"""The real firm-level chain on 10 million synthetic firms: chunked and Dask engines.

Run: ``.venv/bin/python benchmarks/bench_registry_10m.py [--rows 10000000]``
(needs the US county boundaries in ``../shared/data`` or ``$AGGLO_SHARED_DATA``).

1. A child process writes the synthetic registry (``benchmarks/synthetic_registry.py``:
   real US ZIPs and towns, ZIP+4, coordinates, misspelt and unknown towns, 1 % bad
   rows of 13 kinds, duplicate ids up to a million rows apart) as Parquet, and its
   first ``--pandas-rows`` rows as a second file; not timed.
2. Each engine runs in a child process through ``data_sources.firm_engine.
   run_firm_engine`` (the entry point of the Dagster asset) on a study: US counties
   2017 in EPSG:5070, NAICS level 4, geocoder tiers coordinates, postcode,
   settlement, fuzzy_settlement (offline ZIP gazetteer): read, validate (every row
   validated or quarantined, duplicate ids across the whole registry), geocode,
   point in polygon, aggregate; located firms (GeoParquet) and rejected rows
   (Parquet) written. Time: the run, wall clock, after reading the study, the
   regions and the gazetteers (reported apart). Memory: peak of the summed RSS of
   the child and every process under it (the Dask scheduler, nannies and workers),
   sampled every 0.2 s with psutil; shared pages count once per process, so this
   overstates.
3. chunked and dask on all rows: tables, counts and every output part file are
   compared; pandas (the pipeline's own functions, in memory) and chunked on the
   first ``--pandas-rows`` rows: compared too, and their time ratio reported.

Targets (issue 9): under 5 minutes and under 8 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = Path(os.environ.get("AGGLO_SHARED_DATA", ROOT / ".." / "shared" / "data"))
COUNTIES = SHARED / "boundaries" / "us_counties_2017_census_usatlas.geojson.gz"
RESULTS = ROOT / "benchmarks" / "results" / "registry_10m.md"
YEAR = 2024


def write_study(folder: Path, registry: Path) -> Path:
    """A study of the synthetic registry on the US counties."""
    import yaml

    study = {
        "name": "bench-registry",
        "year": YEAR,
        "crs": "EPSG:5070",  # NAD83 / Conus Albers, metres
        "regions": {
            "path": str(COUNTIES),
            "id": "fips",
            "name": "name",
            "drop_empty": True,  # 51610 Falls Church has no geometry
        },
        "registry": {"adapter": "generic", "path": str(registry)},
        "classification": {"scheme": "naics", "level": 4},
        "geocoder": {
            "tiers": ["coordinates", "postcode", "settlement", "fuzzy_settlement"],
            "gazetteer": "us_zip",
        },
    }
    path = folder / f"study-{registry.stem}.yaml"
    path.write_text(yaml.safe_dump(study))
    return path


# --- child: one engine run ------------------------------------------------------------
def child(args: argparse.Namespace) -> None:
    from data_sources.firm_engine import run_firm_engine
    from data_sources.regions import read_regions
    from data_sources.study import EngineSpec, load_study

    t0 = time.perf_counter()
    study = load_study(args.study)
    regions = read_regions(study.regions).to_crs(study.crs)
    # warm the offline gazetteers (chain_options reads them again from the cache)
    from data_sources.gazetteer import offline_gazetteers

    offline_gazetteers("us_zip")
    setup_s = time.perf_counter() - t0
    engine = EngineSpec(
        firms=args.child, chunk_rows=args.chunk_rows, dask_workers=args.workers
    )
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    before = cpu_seconds()
    result = run_firm_engine(
        study, year=YEAR, regions=regions, out_dir=args.out, engine=engine
    )
    run_s = time.perf_counter() - t0
    # this process and every process it started and waited for (Dask's nannies and
    # workers end with the run): the work done, whatever else runs on the machine
    cpu_s = cpu_seconds() - before
    load1 = os.getloadavg()[0]
    result.table.to_parquet(Path(args.out) / "table.parquet")
    print(
        "RESULT "
        + json.dumps(
            {
                "engine": args.child,
                "setup_s": setup_s,
                "run_s": run_s,
                "cpu_s": cpu_s,
                "load": [load0, load1],
                "chunks": result.chunks,
                "counts": result.counts,
                "industries": len(result.industries),
                "table_rows": len(result.table),
                "maxrss_self_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                / 1e6,
            }
        ),
        flush=True,
    )


def cpu_seconds() -> float:
    """User + system CPU of this process and its ended, waited-for descendants."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


# --- parent: generate, run, compare ---------------------------------------------------
def tree_rss(process) -> int:
    import psutil

    total = 0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # gone between two calls
            total += p.memory_info().rss
    return total


def run_engine(engine: str, study: Path, out: Path, args) -> dict:
    """One engine in a child process; its result and the peak RSS of its tree."""
    import psutil

    command = [
        sys.executable,
        __file__,
        "--child",
        engine,
        "--study",
        str(study),
        "--out",
        str(out),
        "--chunk-rows",
        str(args.chunk_rows),
        "--workers",
        str(args.workers),
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    watched = psutil.Process(proc.pid)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            with contextlib.suppress(Exception):  # the child may have ended
                peak[0] = max(peak[0], tree_rss(watched))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    output, _ = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{engine} run failed ({proc.returncode}):\n{output}")
    line = next(x for x in output.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result.update(peak_tree_gb=peak[0] / 1e9, process_wall_s=wall)
    print(
        f"{engine:8s} {result['counts']['rows']:>11,} rows  "
        f"run {result['run_s']:6.1f} s  peak tree RSS {result['peak_tree_gb']:.2f} GB",
        flush=True,
    )
    return result


def compare_outputs(a: Path, b: Path) -> dict:
    """Tables equal; firms and rejected datasets equal row for row (part files
    pairwise when both engines chunked alike, else concatenated)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    pd.testing.assert_frame_equal(
        pd.read_parquet(a / "table.parquet"), pd.read_parquet(b / "table.parquet")
    )
    rows = {}
    for name in ("firms", "rejected"):
        left = sorted((a / name).glob("part-*.parquet"))
        right = sorted((b / name).glob("part-*.parquet"))
        if [p.name for p in left] == [p.name for p in right]:
            pairs = zip(left, right, strict=True)
            total = 0
            for x, y in pairs:
                tx, ty = pq.read_table(x), pq.read_table(y)
                assert tx.equals(ty), f"{name}: {x.name} differs"
                total += tx.num_rows
        else:
            tx = pa.concat_tables(pq.read_table(p) for p in left)
            ty = pa.concat_tables(pq.read_table(p) for p in right)
            assert tx.equals(ty), f"{name} differ"
            total = tx.num_rows
        rows[name] = total
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--pandas-rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=500_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--child", choices=["pandas", "chunked", "dask"])
    parser.add_argument("--study", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if not COUNTIES.exists():
        raise SystemExit(f"needs {COUNTIES} (real public data; see {SHARED}/README.md)")
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big = folder / "registry.parquet"
        small = folder / "registry-head.parquet"
        t0 = time.perf_counter()
        for path, rows in ((big, args.rows), (small, args.pandas_rows)):
            subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "synthetic_registry.py"),
                 str(path), "--rows", str(rows)],
                check=True,
            )  # fmt: skip
        gen_s = time.perf_counter() - t0
        size_mb = big.stat().st_size / 1e6
        study_big, study_small = write_study(folder, big), write_study(folder, small)
        runs = {
            "chunked": run_engine("chunked", study_big, folder / "chunked", args),
            "dask": run_engine("dask", study_big, folder / "dask", args),
            "pandas-head": run_engine("pandas", study_small, folder / "pd", args),
            "chunked-head": run_engine("chunked", study_small, folder / "ch", args),
        }
        t0 = time.perf_counter()
        same_big = compare_outputs(folder / "chunked", folder / "dask")
        same_small = compare_outputs(folder / "pd", folder / "ch")
        compare_s = time.perf_counter() - t0
        assert runs["chunked"]["counts"] == runs["dask"]["counts"]
        assert runs["pandas-head"]["counts"] == runs["chunked-head"]["counts"]
    write_results(args, runs, same_big, same_small, gen_s, size_mb, compare_s, load)


def write_results(args, runs, same_big, same_small, gen_s, size_mb, compare_s, load):
    chunked, dask = runs["chunked"], runs["dask"]
    head_pd, head_ch = runs["pandas-head"], runs["chunked-head"]
    counts = chunked["counts"]
    ratio = head_pd["run_s"] / head_ch["run_s"]
    per_row = head_pd["run_s"] / args.pandas_rows
    lines = [
        f"# The firm-level chain on {args.rows:,} synthetic firms (issue 9)",
        "",
        "Command: `.venv/bin/python benchmarks/bench_registry_10m.py --rows "
        f"{args.rows} --pandas-rows {args.pandas_rows} --chunk-rows {args.chunk_rows}"
        f" --workers {args.workers}`; {os.cpu_count()} cores; load average before "
        f"the run {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min; other "
        "work shared the machine, so times are noisy).",
        "",
        "Registry to located firms (GeoParquet), rejected rows (Parquet) and the "
        "county x NAICS-4 table, through `run_firm_engine` (read, validate with "
        "duplicate ids across the whole registry, geocode: coordinates, postcode, "
        "settlement, fuzzy settlement; point in polygon on 3,230 US counties in "
        "EPSG:5070; aggregate). Time: the run alone (study, regions and gazetteers "
        "read before it). Memory: peak summed RSS of the engine's process tree "
        "(Dask: client, scheduler, nannies, workers), sampled every 0.2 s.",
        "",
        "| engine | rows | chunks | run (s) | rows/s | peak RSS, process tree (GB) "
        "| CPU (s) | CPU / run | load average at start / end |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, run in runs.items():
        rows = run["counts"]["rows"]
        lines.append(
            f"| {name} | {rows:,} | {run['chunks']} | **{run['run_s']:.1f}** | "
            f"{rows / run['run_s']:,.0f} | **{run['peak_tree_gb']:.2f}** | "
            f"{run['cpu_s']:.0f} | {run['cpu_s'] / run['run_s']:.2f} | "
            f"{run['load'][0]:.1f} / {run['load'][1]:.1f} |"
        )
    lines += [
        "",
        "CPU: user + system seconds of the engine's process and the processes it "
        "started (Dask workers), the work done whatever else ran; CPU / run near 1 "
        "means one core's worth, near 2 both cores. When other sessions load the "
        "machine, the Dask workers get less than two cores and its wall time does "
        "not halve.",
    ]
    lines += [
        "",
        f"Targets: under 300 s and 8 GB for {args.rows:,} rows: chunked "
        f"{chunked['run_s']:.0f} s / {chunked['peak_tree_gb']:.1f} GB, dask "
        f"{dask['run_s']:.0f} s / {dask['peak_tree_gb']:.1f} GB. The pandas engine "
        f"(the pipeline's functions on the whole registry in memory) took "
        f"{ratio:.1f}x the chunked engine's time on the first "
        f"{args.pandas_rows:,} rows ({per_row * 1e6:.0f} us a row; at that rate "
        f"{per_row * args.rows / 60:.0f} min for {args.rows:,}).",
        "",
        "| check | result |",
        "|---|---|",
        f"| chunked = dask: table ({chunked['table_rows']:,} rows), counts, "
        f"{same_big['firms']:,} located firms and {same_big['rejected']:,} rejected "
        "rows (every part file) | identical |",
        f"| pandas = chunked on {args.pandas_rows:,} rows: table, counts, "
        f"{same_small['firms']:,} firms, {same_small['rejected']:,} rejected rows | "
        "identical |",
        f"| rows = validated + rejected | {counts['rows']:,} = "
        f"{counts['validated']:,} + {counts['rejected']:,} |",
        f"| rejected by field (a row may fail on several) | "
        f"{', '.join(f'{k} {v:,}' for k, v in counts['rejected_by_field'].items())} |",
        f"| validated firms by tier | "
        f"{', '.join(f'{k} {v:,}' for k, v in counts['by_tier'].items())} |",
        f"| in a county / located outside every county | {counts['in_regions']:,} / "
        f"{counts['outside_regions']:,} |",
        f"| active in {YEAR} in a county / inactive | {counts['active_firms']:,} / "
        f"{counts['inactive_firms']:,} |",
        f"| table: counties x industries (min 20 firms) | {chunked['table_rows']:,} "
        f"({chunked['industries']} industries) |",
        "",
        "| step | value |",
        "|---|---|",
        f"| write the synthetic registries (child processes, not counted) | "
        f"{gen_s:.0f} s, {size_mb:.0f} MB Parquet for {args.rows:,} rows |",
        f"| read study, regions and gazetteers before a run (not counted) | "
        f"{chunked['setup_s']:.1f} s |",
        f"| compare the outputs (not counted) | {compare_s:.0f} s |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
