"""LISA for many industries: geo.fast_lisa against esda and pygeoda, side by side.

Run: ``.venv/bin/python benchmarks/bench_lisa.py [--industries 100] [--permutations 999]
[--repeats 3]`` (about 2 minutes on 2 cores). Needs the US county boundaries in
``../shared/data`` (or ``$AGGLO_SHARED_DATA``) and, for the pygeoda rows, ``pygeoda``
(0.1.3 measured; the rows are skipped without it).

US counties (us-atlas 2017, 3,231 features; the empty geometry of 51610 Falls Church
is dropped first: pygeoda segfaults on it), queen contiguity, row-standardised. Each
industry is a synthetic location quotient: gamma noise plus 1 to 3 planted clusters
(a county and its 30 nearest neighbours raised); values are continuous, so no
permutation ties and esda's ``p_sim`` equals the project's tie-aware p-value.

Timed in the same process, wall seconds for all industries (median of ``--repeats``
after a warm-up call; "first call" is the first call in this process, numba's
compile or cache load included):

- project: ``geo.fast_lisa.local_statistics`` (one pass, shared draws, 2 threads);
- esda 2.9 ``Moran_Local`` looped over industries (``keep_simulations=False``,
  ``n_jobs=1``; n_jobs=2 gains nothing at this size);
- pygeoda ``local_moran`` looped (``cpu_threads=2``) and ``batch_local_moran``.

Agreement: local I against esda (max abs difference); p-values identical to esda's
at the same seed (the project reproduces esda's draws; exact ties are counted on
both sides, so esda's own crand is also run with that rule); HH/LL/LH/HL/ns labels at
p < 0.05 against esda at the same and at another seed (the Monte Carlo baseline is
esda against itself at another seed). The table is printed and written to
``benchmarks/results/lisa.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.fast_lisa import local_statistics  # noqa: E402
from geo.weights import build_weights  # noqa: E402

SHARED = Path(os.environ.get("AGGLO_SHARED_DATA", ROOT / ".." / "shared" / "data"))
COUNTIES = SHARED / "boundaries" / "us_counties_2017_census_usatlas.geojson.gz"
RESULTS = ROOT / "benchmarks" / "results" / "lisa.md"
SEED = 12345
OTHER_SEED = 777


def load_counties() -> gpd.GeoDataFrame:
    """US counties with a ``region_id`` (FIPS), the empty geometry dropped."""
    if not COUNTIES.exists():
        raise SystemExit(f"needs {COUNTIES} (real public data; see {SHARED}/README.md)")
    gdf = gpd.read_file(f"/vsigzip/{COUNTIES}")
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)].reset_index(drop=True)
    gdf["region_id"] = gdf["fips"].astype(str)
    return gdf.to_crs("EPSG:5070")


def synthetic_lq(
    regions: gpd.GeoDataFrame, n_industries: int, seed: int
) -> pd.DataFrame:
    """Region x industry table of continuous LQs with planted clusters."""
    rng = np.random.default_rng(seed)
    xy = np.column_stack([regions.centroid.x, regions.centroid.y])
    n = len(xy)
    out = np.empty((n, n_industries))
    for k in range(n_industries):
        lq = rng.gamma(2.0, 0.5, n)
        for centre in rng.integers(0, n, rng.integers(1, 4)):
            near = np.argsort(((xy - xy[centre]) ** 2).sum(axis=1))[:31]
            lq[near] += rng.uniform(1.0, 3.0)
        out[:, k] = lq
    cols = [f"ind{k:03d}" for k in range(n_industries)]
    return pd.DataFrame(out, index=regions["region_id"].to_numpy(), columns=cols)


def timed(fn, repeats: int) -> tuple[float, object]:
    """Median wall seconds of ``repeats`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def labels(local_i: np.ndarray, quad: np.ndarray, p: np.ndarray) -> np.ndarray:
    lab = np.where(p < 0.05, quad, "ns").astype(object)
    lab[np.isnan(local_i)] = "isolate"
    return lab


def tie_aware_equal(
    p: np.ndarray, y: np.ndarray, graph, perms: int, ok: np.ndarray
) -> float:
    """Share of p-values equal to esda's crand counted tie-aware (first 10 columns).

    A region with one neighbour ties exactly whenever its neighbour is drawn;
    esda's p_sim counts a tie on one side only, the project on both (see
    geo.autocorrelation.local_moran), so the exact check uses esda's own draws and
    statistic with the project's tie rule.
    """
    from geo.autocorrelation import _moran_arrays

    same = []
    for k in range(min(10, y.shape[1])):
        _, p_esda, _ = _moran_arrays(y[:, k], graph, perms, SEED, "esda")
        same.append(p[ok, k] == p_esda[ok])
    return float(np.mean(np.concatenate(same)))


def cold_compile_seconds() -> float:
    """First call of the fast engine in a fresh process with an empty numba cache."""
    code = (
        "import time, numpy as np, geopandas as gpd; from shapely.geometry import box;"
        "from geo.weights import build_weights; from geo.fast_lisa import "
        "local_statistics; c = gpd.GeoDataFrame({'region_id': list('abcd')}, "
        "geometry=[box(i, 0, i + 1, 1) for i in range(4)]); g = build_weights(c, "
        "'rook'); t = time.perf_counter(); local_statistics(np.array([[1.0], [2.0], "
        "[4.0], [3.0]]), g, seed=1); print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True
        )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--industries", type=int, default=100)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    perms, reps = args.permutations, args.repeats

    regions = load_counties()
    graph = build_weights(regions, "queen")
    values = synthetic_lq(regions, args.industries, seed=0)
    y = values.to_numpy()
    m = y.shape[1]
    print(
        f"US counties: {len(regions)} regions, {int(graph.n_edges)} directed links, "
        f"{len(graph.isolates)} without neighbours; {m} industries, {perms} "
        "permutations"
    )
    rows: list[tuple[str, float, float | None]] = []

    # project: one pass over all industries
    t0 = time.perf_counter()
    local_statistics(values, graph, permutations=perms, seed=SEED, getis_ord=False)
    fast_first = time.perf_counter() - t0
    fast_t, fast = timed(
        lambda: local_statistics(
            values, graph, permutations=perms, seed=SEED, getis_ord=False
        ),
        reps,
    )
    both_t, _ = timed(
        lambda: local_statistics(values, graph, permutations=perms, seed=SEED), reps
    )
    cold = cold_compile_seconds()
    rows.append(("project geo.fast_lisa, one pass, 2 threads", fast_t, fast_first))
    rows.append(("project, local Moran + Gi* together", both_t, None))

    # esda looped, same seed for every industry = the project's shared draws
    from esda.moran import Moran_Local

    def esda_loop(seed: int) -> list:
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for k in range(m):
                out.append(
                    Moran_Local(
                        y[:, k],
                        graph,
                        permutations=perms,
                        keep_simulations=False,
                        n_jobs=1,
                        seed=seed,
                    )
                )
        return out

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Moran_Local(y[:, 0], graph, permutations=perms, keep_simulations=False, seed=1)
    esda_first = time.perf_counter() - t0
    esda_t, esda = timed(lambda: esda_loop(SEED), reps)
    esda_other = esda_loop(OTHER_SEED)
    rows.append(("esda 2.9 Moran_Local looped, n_jobs=1", esda_t, esda_first))

    esda_i = np.column_stack([r.Is for r in esda])
    esda_p = np.column_stack([r.p_sim for r in esda])
    esda_p2 = np.column_stack([r.p_sim for r in esda_other])
    iso = fast.isolates
    ok = ~iso
    quad = fast.quadrant
    lab_fast = labels(fast.local_i, quad, fast.p_moran)
    lab_esda = labels(np.where(iso[:, None], np.nan, esda_i), quad, esda_p)
    lab_esda2 = labels(np.where(iso[:, None], np.nan, esda_i), quad, esda_p2)
    agree = {
        "max |local I - esda|": float(np.nanmax(np.abs(fast.local_i - esda_i)[ok])),
        "p = esda p_sim, same seed (differs at exact ties only)": float(
            np.mean(np.isclose(fast.p_moran[ok], esda_p[ok], rtol=1e-6, atol=0))
        ),
        "p = esda's crand made tie-aware, same seed (10 industries)": tie_aware_equal(
            fast.p_moran, y, graph, perms, ok
        ),
        "labels = esda, same seed": float(np.mean(lab_fast[ok] == lab_esda[ok])),
        "labels = esda, other seed": float(np.mean(lab_fast[ok] == lab_esda2[ok])),
        "esda vs esda, two seeds (baseline)": float(
            np.mean(lab_esda[ok] == lab_esda2[ok])
        ),
    }

    try:
        import pygeoda
    except ImportError:
        pygeoda = None
        print("pygeoda not installed: its rows are skipped")
    if pygeoda is not None:
        gda = pygeoda.open(regions[["region_id", "geometry"]].to_crs("EPSG:4326"))
        gw = pygeoda.queen_weights(gda)
        cols = [y[:, k].tolist() for k in range(m)]
        t0 = time.perf_counter()
        pygeoda.local_moran(gw, cols[0], permutations=perms, cpu_threads=2)
        geo_first = time.perf_counter() - t0

        def geoda_loop() -> list:
            return [
                pygeoda.local_moran(gw, c, permutations=perms, cpu_threads=2, seed=SEED)
                for c in cols
            ]

        geoda_t, geoda = timed(geoda_loop, reps)
        batch_t, _ = timed(
            lambda: pygeoda.batch_local_moran(
                gw, cols, permutations=perms, cpu_threads=2, seed=SEED
            ),
            reps,
        )
        rows.append(("pygeoda local_moran looped, 2 threads", geoda_t, geo_first))
        rows.append(("pygeoda batch_local_moran, 2 threads", batch_t, None))
        geo_i = np.column_stack([np.asarray(r.lisa_values()) for r in geoda])
        geo_p = np.column_stack([np.asarray(r.lisa_pvalues()) for r in geoda])
        lab_geo = labels(np.where(iso[:, None], np.nan, geo_i), quad, geo_p)
        agree["max |pygeoda local I - esda|"] = float(
            np.nanmax(np.abs(geo_i - esda_i)[ok])
        )
        agree["labels = pygeoda"] = float(np.mean(lab_fast[ok] == lab_geo[ok]))
        agree["pygeoda vs esda"] = float(np.mean(lab_geo[ok] == lab_esda[ok]))

    lines = [
        f"# LISA, {m} industries x {len(regions)} US counties, {perms} permutations",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_lisa.py --industries {m} "
        f"--permutations {perms} --repeats {reps}`; {os.cpu_count()} cores; wall "
        f"seconds, median of {reps} after a warm-up call.",
        "",
        "| implementation | all industries (s) | first call in process (s) "
        "| esda looped / this |",
        "|---|---|---|---|",
    ]
    for name, sec, first in rows:
        first_s = f"{first:.2f}" if first is not None else ""
        lines.append(f"| {name} | {sec:.2f} | {first_s} | {esda_t / sec:.1f}x |")
    lines += [
        "",
        f"Project first call with an empty numba cache (fresh process, compile "
        f"included): {cold:.1f} s; with the cache: see 'first call' above.",
        "",
        "| agreement (region x industry pairs, isolates excluded) | value |",
        "|---|---|",
    ]
    for name, val in agree.items():
        lines.append(
            f"| {name} | {val:.2e} |" if "max" in name else f"| {name} | {val:.2%} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
