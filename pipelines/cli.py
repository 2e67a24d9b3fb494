"""Command line: ``agglo run`` materialises a study in the persistent Dagster instance;
``agglo validate`` checks a study file and its inputs without running."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from data_sources.study import StudyError, load_study, missing_inputs

EXIT_BAD_STUDY = 2
EXIT_RUN_FAILED = 1


def _validate(study_file: str) -> int:
    """Check the study, then open every input with its reader (nothing is computed)."""
    from data_sources.regions import read_regions
    from data_sources.registry import read_registry_csv
    from data_sources.statistics import read_statistics

    try:
        study = load_study(study_file)
    except StudyError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_STUDY
    problems = missing_inputs(study)
    if not problems:
        for label, read in (
            ("regions", lambda: read_regions(study.regions)),
            ("registry", lambda: read_registry_csv(study.registry)),
            (
                "statistics",
                lambda: (
                    study.statistics
                    and read_statistics(study.statistics, year=study.year)
                ),
            ),
        ):
            try:
                read()
            except ValueError as exc:
                problems.append(f"{label}: {exc}")
    if problems:
        print(
            f"{study_file}: the study is valid but its inputs are not:", file=sys.stderr
        )
        for line in problems:
            print(f"  - {line}", file=sys.stderr)
        return EXIT_BAD_STUDY
    print(f"{study_file}: study {study.name!r} and its inputs are valid")
    return 0


def _run(study_file: str, out_dir: str) -> int:
    if study_file:
        study_file = str(Path(study_file).resolve())
        status = _validate(study_file)
        if status:
            return status
    # One persistent instance shared with `dagster dev`, so the run shows in the UI.
    from pipelines.paths import dagster_home

    os.environ["DAGSTER_HOME"] = str(dagster_home())
    import dagster as dg

    from pipelines.definitions import ALL_CHECKS, build_definitions

    started = time.perf_counter()
    defs = build_definitions(
        study_file, str(Path(out_dir).resolve()) if out_dir else ""
    )
    job = defs.resolve_job_def("refresh_clusters_job")
    instance = dg.DagsterInstance.get()
    print(
        f"agglo: running {study_file or 'the demo study'} "
        f"in the Dagster instance at {os.environ['DAGSTER_HOME']}",
        flush=True,
    )
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={
            "loggers": {
                "progress": {
                    "config": {
                        "total_steps": len(job.graph.nodes),
                        "check_names": [
                            spec.name
                            for checks in ALL_CHECKS
                            for spec in checks.check_specs
                        ],
                    }
                }
            }
        },
    )
    elapsed = time.perf_counter() - started
    failed_checks = [e for e in result.get_asset_check_evaluations() if not e.passed]
    if not result.success:
        print(
            f"\nagglo: run {result.run_id} FAILED after {elapsed:.0f} s.",
            file=sys.stderr,
        )
        for event in result.all_events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                message = error.message.strip() if error else "unknown error"
                print(f"  - step {event.step_key}: {message}", file=sys.stderr)
        for evaluation in failed_checks:
            print(f"  - check {evaluation.check_name} failed", file=sys.stderr)
        print("The last published layers, if any, are untouched.", file=sys.stderr)
        return EXIT_RUN_FAILED
    path = result.output_for_node("published_layers")
    clusters = result.output_for_node("localized_clusters")
    rejected = result.output_for_node("validate_firms", "firms_rejected")
    print(f"\nagglo: run {result.run_id} succeeded in {elapsed:.0f} s.")
    print(f"  published: {path}")
    print(f"  clusters found: {len(clusters)}")
    for row in clusters.itertuples():
        print(f"    {row.cluster_id}  industry {row.industry}  regions {row.regions}")
    print(
        f"  registry rows quarantined with a reason: {len(rejected)} "
        "(asset firms_rejected in the UI)"
    )
    for evaluation in failed_checks:
        print(f"  warning: check {evaluation.check_name} did not pass")
    print(
        "  open the UI on the same instance: make ui   (or: "
        f"DAGSTER_HOME={os.environ['DAGSTER_HOME']} dagster dev)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``agglo`` command."""
    parser = argparse.ArgumentParser(
        prog="agglo", description="Localized industrial clusters from firm registries."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a study (default: the built-in demo)")
    run.add_argument("--study", default="", help="study YAML file")
    run.add_argument(
        "--out", default="", help="publication folder (overrides the study)"
    )
    validate = commands.add_parser("validate", help="check a study and its inputs")
    validate.add_argument("--study", required=True, help="study YAML file")
    args = parser.parse_args(argv)
    if args.command == "validate":
        return _validate(args.study)
    return _run(args.study, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
