"""Ingest: study regions, regional statistics, the firm registry and its validation."""

import hashlib
from collections import Counter
from pathlib import Path

import dagster as dg
import geopandas as gpd
import pandas as pd

from data_sources.classification import classification_codes
from data_sources.regions import read_regions
from data_sources.registry import read_registry_csv
from data_sources.statistics import read_statistics
from geo.registry import validate_registry
from pipelines.partitions import study_year_partitions
from pipelines.resources import StudyResource


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
            "bounds": str([round(float(v)) for v in projected.total_bounds]),
            "source": dg.MetadataValue.path(spec.regions.path),
        }
    )
    return projected


@dg.asset(partitions_def=study_year_partitions, group_name="ingest", kinds={"pandas"})
def regional_statistics(
    context: dg.AssetExecutionContext, study: StudyResource
) -> pd.DataFrame:
    """Population and total employment per region for the study year (may be empty)."""
    spec, year = study.for_step(context)
    if spec.statistics is None:
        context.log.info("the study names no regional statistics")
        return pd.DataFrame(
            columns=["region_id", "year", "population", "total_employment"]
        )
    stats = read_statistics(spec.statistics, year=year)
    context.add_output_metadata(
        {
            "dagster/row_count": len(stats),
            "year": year,
            "source": dg.MetadataValue.path(spec.statistics.path),
            "sha256": file_sha256(spec.statistics.path),
        }
    )
    return stats


@dg.asset(partitions_def=study_year_partitions, group_name="ingest", kinds={"pandas"})
def firm_registry_raw(
    context: dg.AssetExecutionContext, study: StudyResource
) -> pd.DataFrame:
    """Registry rows exactly as read (text), mapped to the canonical column names."""
    spec, year = study.for_step(context)
    raw = read_registry_csv(spec.registry)
    context.add_output_metadata(
        {
            "dagster/row_count": len(raw),
            "source": dg.MetadataValue.path(spec.registry.path),
            "sha256": file_sha256(spec.registry.path),
            "encoding": spec.registry.encoding,
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
    firm_registry_raw: pd.DataFrame,
):
    spec, year = study.for_step(context)
    codes = classification_codes(spec.classification.scheme)["code"]
    validated, rejected = validate_registry(
        firm_registry_raw,
        valid_codes=set(codes),
        level=spec.classification.level,
        scheme=spec.classification.scheme,
        # founding years up to the study's last year are plausible; whether a firm
        # is active in this year is decided later, not here
        year=max(spec.analysis_years),
    )
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
