"""`agglo run` on the built-in demo study, whole process, first and second run.

Run: ``.venv/bin/python benchmarks/bench_demo_run.py [--repeats 3] [--jobs N]``
(about 2 minutes per repeat on 2 cores).

Each repeat exports the committed checkout (``git archive HEAD``; with
``--worktree`` the tracked files as they are in the working tree) into a fresh
temporary folder: no ``demo_data/``, no ``.dagster_home/``, no ``published/``, no
``__pycache__`` and an empty numba cache (``NUMBA_CACHE_DIR`` in the temporary
folder), like a fresh clone with the virtualenv already installed. It then runs
``python -m pipelines.cli run`` there (the project's modules, not the installed
ones) twice: the demo's five years, one Dagster run per year, then the trends run.

- first run: every cache empty (demo inputs generated, numba compiled, bytecode
  written, a new Dagster instance);
- second run: the same folder again, caches warm; the analysis is recomputed.

Time: wall seconds of the whole process (``python -m`` started to exited), median
over the repeats; CPU seconds (user + system of the process and its workers) and
the cores that other processes kept busy meanwhile (from ``/proc/stat``: all busy
CPU time less the run's own, over the wall time) are shown to judge how busy the
machine was. Each run must succeed and find the planted clusters 3116, 3141 and 5121 in
every year. The per-step seconds the CLI prints are summarised (median over the
five years of the second runs; years run side by side, so a step's seconds include
sharing the cores with the other year).

Targets (issue 9): first run under 90 s, second run under 30 s on 2 cores. The
tables are printed and written to ``benchmarks/results/demo_run.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "demo_run.md"
TARGETS = {"first": 90.0, "second": 30.0}
PLANTED = {"3116", "3141", "5121"}
YEARS = [2020, 2021, 2022, 2023, 2024]


def fresh_copy(target: Path, worktree: bool) -> None:
    """The committed checkout (or its tracked files as they are), nothing else."""
    if not worktree:
        archive = subprocess.run(
            ["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        return
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def busy_cpu_seconds() -> float | None:
    """CPU seconds every core has spent busy since boot (Linux), else None."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def run_once(folder: Path, cache: Path, jobs: int | None) -> dict:
    """One ``agglo run`` of the demo in ``folder``: wall and CPU seconds, output."""
    # PYTHONDONTWRITEBYTECODE too: a shell that sets it (some sandboxes and
    # containers do) would compile the project's modules again in every run
    # (~0.7 s of each start here), which a user's `agglo run` does not
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DAGSTER_HOME",
            "AGGLO_STUDY",
            "AGGLO_OUT",
            "AGGLO_INBOX",
            "PYTHONDONTWRITEBYTECODE",
        )
    }
    env["NUMBA_CACHE_DIR"] = str(cache)
    command = [sys.executable, "-m", "pipelines.cli", "run"]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = busy_cpu_seconds()
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    others = None if busy is None else max(busy_cpu_seconds() - busy - cpu, 0) / wall
    if proc.returncode != 0:
        tail = proc.stderr[-3000:]
        raise SystemExit(f"agglo run failed ({proc.returncode}):\n{tail}")
    return {"wall": wall, "cpu": cpu, "others": others, "out": proc.stdout}


def check_output(out: str) -> None:
    """Every year found the planted clusters; the trends ran."""
    for year in YEARS:
        block = out.split(f"\n== georgia-demo {year} ==")[1].split("\n== ")[0]
        found = set(re.findall(r"^    \S+  industry (\d+)  regions", block, re.M))
        if lost := sorted(PLANTED - found):
            raise SystemExit(f"{year}: the planted clusters {lost} were not found")
    if "agglo: emerging hot spots" not in out:
        raise SystemExit("the trends run did not report emerging hot spots")


def cores(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def step_seconds(outputs: list[str]) -> dict[str, float]:
    """Median seconds per step over every year of the given outputs."""
    seen: dict[str, list[float]] = {}
    for out in outputs:
        for step, seconds in re.findall(r"^ {6}(\w+): done in ([\d.]+) s$", out, re.M):
            seen.setdefault(step, []).append(float(seconds))
    return {step: statistics.median(values) for step, values in seen.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--jobs", type=int, default=None, help="agglo run --jobs (default: agglo's)"
    )
    parser.add_argument(
        "--worktree",
        action="store_true",
        help="copy the working tree's tracked files instead of HEAD",
    )
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {"first": [], "second": []}
    for k in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="agglo-bench-") as tmp:
            folder, cache = Path(tmp) / "checkout", Path(tmp) / "numba-cache"
            folder.mkdir()
            cache.mkdir()
            fresh_copy(folder, args.worktree)
            for which in ("first", "second"):
                result = run_once(folder, cache, args.jobs)
                check_output(result["out"])
                runs[which].append(result)
                print(
                    f"repeat {k + 1}/{args.repeats}, {which} run: "
                    f"{result['wall']:.1f} s wall, {result['cpu']:.1f} s CPU, "
                    f"other processes {cores(result['others'])} cores",
                    flush=True,
                )

    jobs = "agglo's default" if args.jobs is None else str(args.jobs)
    head = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(head, cwd=ROOT, capture_output=True, text=True).stdout
    source = f"{'working tree on ' if args.worktree else 'commit '}{commit.strip()}"
    command = " ".join(sys.argv[1:])
    lines = [
        "# `agglo run` on the demo study (5 years + trends), whole process",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_demo_run.py {command}`; "
        f"{source}; {os.cpu_count()} cores; `agglo run --jobs`: {jobs}; wall "
        f"seconds of the whole process, median of {args.repeats} (each repeat a "
        "fresh copy of the checkout with empty caches, run twice). Planted "
        "clusters 3116, 3141 and 5121 found in every year of every run.",
        "",
        "| run | median wall (s) | each (s) | CPU (s) | other processes (cores) "
        "| target (s) | median / target |",
        "|---|---|---|---|---|---|---|",
    ]
    for which in ("first", "second"):
        walls = [r["wall"] for r in runs[which]]
        median = statistics.median(walls)
        each = ", ".join(f"{w:.1f}" for w in walls)
        cpu = statistics.median(r["cpu"] for r in runs[which])
        loads = ", ".join(cores(r["others"]) for r in runs[which])
        lines.append(
            f"| {which} run | {median:.1f} | {each} | {cpu:.1f} | {loads} | "
            f"{TARGETS[which]:.0f} | {median / TARGETS[which]:.2f} |"
        )
    steps = step_seconds([r["out"] for r in runs["second"]])
    lines += [
        "",
        "Steps of the second runs, median seconds over the years (as `agglo run` "
        "prints them; years run side by side):",
        "",
        "| step | s |",
        "|---|---|",
    ]
    for step, seconds in sorted(steps.items(), key=lambda item: -item[1]):
        lines.append(f"| {step} | {seconds:.1f} |")
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
