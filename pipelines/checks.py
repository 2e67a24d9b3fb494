"""Asset checks: what later numbers rely on is blocking; soft expectations warn."""

import dagster as dg
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from libpysal.graph import Graph

from geo.autocorrelation import adjust_pvalues
from geo.weights import isolates
from pipelines.partitions import study_year_partitions
from pipelines.resources import StudyResource


@dg.asset_check(
    partitions_def=study_year_partitions,
    asset="firms_validated",
    blocking=True,
    additional_ins={"firm_registry_raw": dg.AssetIn(), "firms_rejected": dg.AssetIn()},
    description="Every registry row is either validated or rejected with a reason.",
)
def registry_rows_accounted_for(
    firms_validated: pd.DataFrame,
    firm_registry_raw: pd.DataFrame,
    firms_rejected: pd.DataFrame,
) -> dg.AssetCheckResult:
    rows_in = set(firm_registry_raw["source_row"])
    rows_out = list(firms_validated["source_row"]) + list(firms_rejected["source_row"])
    lost = sorted(rows_in - set(rows_out))
    twice = len(rows_out) - len(set(rows_out))
    no_reason = int((firms_rejected["reason"].fillna("") == "").sum())
    return dg.AssetCheckResult(
        passed=not lost and twice == 0 and no_reason == 0,
        metadata={
            "raw_rows": len(rows_in),
            "validated": len(firms_validated),
            "rejected": len(firms_rejected),
            "lost_rows": len(lost),
            "first_lost_rows": lost[:10],
            "counted_twice": twice,
            "rejected_without_reason": no_reason,
        },
    )


@dg.asset_check(
    partitions_def=study_year_partitions,
    asset="study_regions",
    blocking=True,
    description="Region ids are unique; every geometry is present and valid.",
)
def regions_have_unique_ids_and_valid_geometry(
    study_regions: gpd.GeoDataFrame,
) -> dg.AssetCheckResult:
    dups = study_regions["region_id"][study_regions["region_id"].duplicated()].tolist()
    geom = study_regions.geometry
    bad = study_regions.loc[geom.isna() | geom.is_empty | ~geom.is_valid, "region_id"]
    return dg.AssetCheckResult(
        passed=not dups and bad.empty,
        metadata={
            "duplicate_ids": dups[:10],
            "bad_geometry_ids": bad.tolist()[:10],
            "crs": study_regions.crs.to_string(),
        },
    )


@dg.asset_check(
    partitions_def=study_year_partitions,
    asset="firm_locations",
    blocking=True,
    description="Firm points are in the study's metric analysis CRS.",
)
def firm_locations_have_metric_crs(
    context: dg.AssetCheckExecutionContext,
    firm_locations: gpd.GeoDataFrame,
    study: StudyResource,
) -> dg.AssetCheckResult:
    crs = firm_locations.crs
    wanted = study.for_step(context)[0].crs
    ok = (
        crs is not None
        and crs.is_projected
        and crs.equals(gpd.GeoSeries(crs=wanted).crs)
    )
    return dg.AssetCheckResult(
        passed=bool(ok),
        metadata={"crs": crs.to_string() if crs else "none", "expected": wanted},
    )


@dg.asset_check(
    partitions_def=study_year_partitions,
    asset="firm_locations",
    blocking=True,
    additional_ins={"firms_validated": dg.AssetIn()},
    description="Every validated firm is located or listed with a reason.",
)
def firms_located_or_listed(
    firm_locations: gpd.GeoDataFrame, firms_validated: pd.DataFrame
) -> dg.AssetCheckResult:
    unmatched = firm_locations["match_level"] == "unmatched"
    silent = int((unmatched & (firm_locations["match_reason"].fillna("") == "")).sum())
    missing = len(set(firms_validated["firm_id"]) - set(firm_locations["firm_id"]))
    return dg.AssetCheckResult(
        passed=silent == 0 and missing == 0,
        metadata={
            "unmatched": int(unmatched.sum()),
            "unmatched_without_reason": silent,
            "validated_firms_missing": missing,
        },
    )


@dg.asset_check(
    partitions_def=study_year_partitions,
    asset="firm_locations",
    description="Share of firms geocoded reaches the study's geocoder.min_match_rate.",
)
def geocode_match_rate_above_study_threshold(
    context: dg.AssetCheckExecutionContext,
    firm_locations: gpd.GeoDataFrame,
    study: StudyResource,
) -> dg.AssetCheckResult:
    threshold = study.for_step(context)[0].geocoder.min_match_rate
    rate = (
        float((firm_locations["match_level"] != "unmatched").mean())
        if len(firm_locations)
        else 1.0
    )
    return dg.AssetCheckResult(
        passed=rate >= threshold,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"match_rate": round(rate, 4), "threshold": threshold},
    )


@dg.asset_check(
    partitions_def=study_year_partitions,
    asset="region_weights",
    description="Regions without neighbours are "
    "reported; LISA labels them 'isolate', never a cluster.",
)
def region_weights_have_no_isolates(region_weights: Graph) -> dg.AssetCheckResult:
    islands = isolates(region_weights)
    return dg.AssetCheckResult(
        passed=not islands,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"isolates": islands[:20], "count": len(islands)},
    )


@dg.asset_check(
    partitions_def=study_year_partitions,
    asset="location_quotients",
    blocking=True,
    description="LQs are finite and non-negative wherever the region has "
    "employment; with the registry as base, each industry's "
    "employment-weighted mean LQ is 1.",
)
def lq_is_finite_and_consistent(
    context: dg.AssetCheckExecutionContext,
    location_quotients: pd.DataFrame,
    study: StudyResource,
) -> dg.AssetCheckResult:
    lq = location_quotients["lq"]
    has_base = location_quotients["region_employment"] > 0
    bad = location_quotients[has_base & ~(np.isfinite(lq) & (lq >= 0))]
    metadata = {"bad_rows": len(bad), "examples": bad["region_id"].head(5).tolist()}
    passed = bad.empty
    if study.for_step(context)[0].methods.lq_base == "registry":
        # sum_r LQ_ri * E_r / E = sum_r e_ri / e_i = 1 for every industry
        weighted = (lq.fillna(0) * location_quotients["region_employment"]).groupby(
            location_quotients["industry"]
        ).sum() / location_quotients.groupby("industry")["region_employment"].sum()
        worst = float((weighted - 1).abs().max()) if len(weighted) else 0.0
        metadata["max_weighted_mean_deviation"] = worst
        passed = passed and worst < 1e-9
    return dg.AssetCheckResult(passed=bool(passed), metadata=metadata)


@dg.asset_check(
    partitions_def=study_year_partitions,
    asset="published_layers",
    blocking=True,
    description="The published GeoPackage opens with GDAL and holds every "
    "layer with the expected feature count.",
)
def published_geopackage_opens(published_layers: str) -> dg.AssetCheckResult:
    names = [str(name) for name in pyogrio.list_layers(published_layers)[:, 0]]
    layers = {
        n: int(pyogrio.read_info(published_layers, layer=n)["features"]) for n in names
    }
    expected = {"regions", "location_quotients", "lisa", "clusters", "firms"}
    return dg.AssetCheckResult(
        passed=expected <= set(layers),
        metadata={"layers": layers, "missing": sorted(expected - set(layers))},
    )


@dg.asset_check(
    partitions_def=study_year_partitions,
    asset="lisa",
    blocking=True,
    description="Permutation p-values lie in [1/(permutations+1), 1], are adjusted as "
    "the study says (methods.correction) and labels follow methods.alpha.",
)
def lisa_multiple_testing_as_configured(
    context: dg.AssetCheckExecutionContext, lisa: pd.DataFrame, study: StudyResource
) -> dg.AssetCheckResult:
    methods = study.for_step(context)[0].methods
    analysed = lisa[lisa["quadrant"] != "isolate"]
    p = analysed["p_value"]
    floor = 1 / (methods.permutations + 1)
    out_of_range = int(((p < floor - 1e-12) | (p > 1)).sum())
    mismatched = []
    for industry, rows in analysed.groupby("industry"):
        expected = adjust_pvalues(rows["p_value"].to_numpy(), method=methods.correction)
        if not np.allclose(expected, rows["p_adjusted"].to_numpy(), equal_nan=True):
            mismatched.append(industry)
    labelled = analysed["quadrant"].isin(["HH", "LL", "HL", "LH"])
    wrong_labels = int((labelled != (analysed["p_adjusted"] < methods.alpha)).sum())
    return dg.AssetCheckResult(
        passed=out_of_range == 0 and not mismatched and wrong_labels == 0,
        metadata={
            "correction": methods.correction,
            "alpha": methods.alpha,
            "permutations": methods.permutations,
            "seed": methods.seed,
            "p_values_out_of_range": out_of_range,
            "industries_adjusted_differently": mismatched,
            "labels_inconsistent_with_alpha": wrong_labels,
        },
    )
