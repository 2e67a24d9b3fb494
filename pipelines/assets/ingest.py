"""Ingest: study regions, regional statistics, the firm registry and its validation."""

import hashlib
import os
from collections import Counter
from pathlib import Path

import dagster as dg
import geopandas as gpd
import pandas as pd

from data_sources.classification import classification_codes
from data_sources.firm_engine import registry_earlier_rows, validate_chunk
from data_sources.presets import (
    CODE_CHANGES,
    PSEUDO_PATTERNS,
    STATISTICS_COLUMNS,
    read_industry_statistics,
    registry_preset,
    statistics_employment_table,
    statistics_region_totals,
)
from data_sources.regions import read_regions
from data_sources.registry import read_registry, registry_source
from data_sources.statistics import read_statistics
from data_sources.study import PERSONAL_DATA_SALT_ENV, REGISTRY_COLUMNS
from geo.privacy import protect_personal_data
from geo.registry import validate_registry
from pipelines.engines import chunk_runner
from pipelines.partitions import study_year_partitions
from pipelines.resources import DaskResource, StudyResource


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def reason_counts(reasons: pd.Series) -> dict[str, int]:
    """Rejected rows by the field that failed (a row may fail on several fields)."""
    fields = Counter(
        part.split(":", 1)[0].strip()
        for text in reasons
        for part in str(text).split(" | ")
        if part
    )
    return dict(fields.most_common())


@dg.asset(
    partitions_def=study_year_partitions, group_name="ingest", kinds={"geopandas"}
)
def study_regions(
    context: dg.AssetExecutionContext, study: StudyResource
) -> gpd.GeoDataFrame:
    """Study regions (id, name, polygon) reprojected once into the analysis CRS."""
    spec, year = study.for_step(context)
    regions = read_regions(spec.regions)
    source_crs = regions.crs.to_string()
    projected = regions.to_crs(spec.crs)
    context.add_output_metadata(
        {
            "dagster/row_count": len(projected),
            "source_crs": source_crs,
            "analysis_crs": spec.crs,
            "repaired_geometries": regions.attrs.get("repaired_geometries", 0),
            "dropped_without_geometry": dg.MetadataValue.json(
                regions.attrs.get("dropped_without_geometry", [])
            ),
            "bounds": str([round(float(v)) for v in projected.total_bounds]),
            "source": dg.MetadataValue.path(spec.regions.path),
        }
    )
    return projected


STATISTICS_TOTALS_COLUMNS = ["region_id", "year", "population", "total_employment"]


@dg.multi_asset(
    partitions_def=study_year_partitions,
    group_name="ingest",
    outs={
        "regional_statistics": dg.AssetOut(
            kinds={"pandas"},
            description="Population and total employment (the LQ base) per region "
            "for the study year (may be empty).",
        ),
        "statistics_by_region_industry": dg.AssetOut(
            kinds={"pandas"},
            description="Published employment (or organisations) per study region "
            "and industry, with suppressed cells flagged (empty without them).",
        ),
    },
)
def regional_statistics(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    study_regions: gpd.GeoDataFrame,
):
    spec, year = study.for_step(context)
    empty_table = pd.DataFrame(columns=STATISTICS_COLUMNS)
    if spec.statistics is None:
        context.log.info("the study names no regional statistics")
        yield dg.Output(
            pd.DataFrame(columns=STATISTICS_TOTALS_COLUMNS), "regional_statistics"
        )
        yield dg.Output(empty_table, "statistics_by_region_industry")
        return
    source = {
        "source": dg.MetadataValue.path(spec.statistics.path),
        "sha256": file_sha256(spec.statistics.path),
        "year": year,
    }
    if not spec.industry_statistics:
        stats = read_statistics(spec.statistics, year=year)
        yield dg.Output(
            stats,
            "regional_statistics",
            metadata={"dagster/row_count": len(stats), **source},
        )
        yield dg.Output(empty_table, "statistics_by_region_industry")
        return
    stats = read_industry_statistics(
        spec.statistics,
        year=year,
        level=spec.classification.level,
        scheme=spec.classification.scheme,
    )
    table, report = statistics_employment_table(
        stats.table,
        regions=list(study_regions["region_id"]),
        changes=CODE_CHANGES.get(spec.statistics.code_changes or ""),
        pseudo_pattern=PSEUDO_PATTERNS.get(spec.statistics.adapter),
    )
    totals = statistics_region_totals(
        stats.totals, report, table=table, value=spec.methods.lq_value
    )
    base = pd.DataFrame(
        {
            "region_id": totals.index,
            "year": year,
            "population": float("nan"),
            "total_employment": totals.to_numpy(),
        }
    )
    if not report.ok:
        context.log.warning(f"statistics region codes: {report.summary()}")
    yield dg.Output(
        base,
        "regional_statistics",
        metadata={"dagster/row_count": len(base), "measure": stats.measure, **source},
    )
    yield dg.Output(
        table,
        "statistics_by_region_industry",
        metadata={
            "dagster/row_count": len(table),
            "adapter": spec.statistics.adapter,
            "industries": int(table["industry"].nunique()),
            "suppressed_cells": int(table["suppressed"].sum()),
            "rejected_source_rows": len(stats.rejected),
            "region_codes": report.summary(),
            "statistics_codes_without_boundary": dg.MetadataValue.json(
                list(report.only_in_statistics)
            ),
            "pseudo_areas": len(report.pseudo),
            "regions_without_statistics": dg.MetadataValue.json(
                list(report.only_in_boundaries)
            ),
            **source,
        },
    )


@dg.asset(partitions_def=study_year_partitions, group_name="ingest", kinds={"pandas"})
def firm_registry_raw(
    context: dg.AssetExecutionContext, study: StudyResource
) -> pd.DataFrame:
    """Registry rows exactly as read (text), mapped to the canonical column names."""
    spec, year = study.for_step(context)
    if spec.registry is None:
        context.log.info("the study names no firm registry (statistics-driven)")
        return pd.DataFrame(columns=[*REGISTRY_COLUMNS, "source_row", "read_problem"])
    source = registry_source(spec.registry)
    raw = read_registry(source)
    personal = spec.registry.personal_data
    if personal is not None:
        # names and addresses of sole traders: dropped or keyed-hashed before any
        # asset stores them; the salt never comes from the study file
        raw = protect_personal_data(
            raw,
            columns=personal.columns,
            action=personal.action,
            salt=os.environ.get(PERSONAL_DATA_SALT_ENV, ""),
        )
        # keep the canonical columns (data contract), emptied
        raw = raw.assign(**{c: "" for c in personal.columns if c not in raw})
    context.add_output_metadata(
        {
            "dagster/row_count": len(raw),
            "unreadable_rows": int((raw["read_problem"] != "").sum()),
            "adapter": source.adapter,
            "format": source.format,
            "source": dg.MetadataValue.path(spec.registry.path),
            "sha256": file_sha256(spec.registry.path),
            "encoding": source.encoding,
        }
    )
    return raw


@dg.multi_asset(
    partitions_def=study_year_partitions,
    group_name="ingest",
    outs={
        "firms_validated": dg.AssetOut(
            kinds={"pandas"},
            description="Registry firms with typed values and study-level industry.",
        ),
        "firms_rejected": dg.AssetOut(
            kinds={"pandas"},
            description="Quarantined registry rows, each with the reason it failed.",
        ),
    },
)
def validate_firms(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    dask: DaskResource,
    firm_registry_raw: pd.DataFrame,
):
    spec, year = study.for_step(context)
    codes = classification_codes(
        spec.classification.scheme, codes_file=spec.classification.codes
    )["code"]
    preset = registry_preset(spec.registry.adapter) if spec.registry else None
    options = {
        "valid_codes": set(codes),
        "level": spec.classification.level,
        "scheme": spec.classification.scheme,
        "employees_required": preset is None or preset.employees_required,
        # founding years up to the study's last year are plausible; whether a firm
        # is active in this year is decided later, not here
        "year": max(spec.analysis_years),
    }
    with chunk_runner(spec, dask) as run:
        if run is None:
            validated, rejected = validate_registry(firm_registry_raw, **options)
        else:
            # ids repeated across chunks: found once over the whole registry
            earlier = registry_earlier_rows(firm_registry_raw)
            parts = run(
                validate_chunk,
                firm_registry_raw,
                per_chunk={"earlier_rows": earlier},
                shared={"options": options},
            )
            validated = pd.concat([p[0] for p in parts], ignore_index=True)
            rejected = pd.concat([p[1] for p in parts], ignore_index=True)
    by_reason = reason_counts(rejected["reason"])
    if len(rejected):
        context.log.warning(
            f"{len(rejected)} of {len(firm_registry_raw)} registry rows "
            f"quarantined: {by_reason}"
        )
    yield dg.Output(
        validated,
        "firms_validated",
        metadata={
            "dagster/row_count": len(validated),
            "industries": int(validated["industry"].nunique()),
            "engine": spec.engine.firms,
        },
    )
    yield dg.Output(
        rejected,
        "firms_rejected",
        metadata={
            "dagster/row_count": len(rejected),
            "rejected_by_field": dg.MetadataValue.json(by_reason),
            "examples": dg.MetadataValue.md(
                rejected[["source_row", "firm_id", "reason"]]
                .head(10)
                .to_markdown(index=False)
                if len(rejected)
                else "none"
            ),
        },
    )
