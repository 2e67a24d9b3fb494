"""Indicators: employment by region and industry, location quotients, specialisation."""

import dagster as dg
import geopandas as gpd
import pandas as pd

from data_sources.qcew import benchmark_clusters
from geo.concentration import ellison_glaeser, locational_gini
from geo.lq import (
    employment_by_region_industry as aggregate_employment,
)
from geo.lq import (
    location_quotients as compute_location_quotients,
)
from geo.lq import (
    lq_confidence_intervals,
    smoothed_location_quotients,
    specialisation_indices,
    star_ratings,
    strong_clusters,
)
from geo.registry import active_in_year
from pipelines.partitions import study_year_partitions
from pipelines.resources import StudyResource

EG_COLUMNS = ["firms", "employees", "raw_concentration", "plant_herfindahl", "eg_gamma"]


@dg.asset(
    partitions_def=study_year_partitions, group_name="indicators", kinds={"pandas"}
)
def employment_by_region_industry(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    firms_in_regions: gpd.GeoDataFrame,
    study_regions: gpd.GeoDataFrame,
    statistics_by_region_industry: pd.DataFrame,
) -> pd.DataFrame:
    """Employees and firms active in the study year, per region and industry."""
    spec, year = study.for_step(context)
    if spec.industry_statistics:
        # statistics-driven: the published table on the study's regions
        table = statistics_by_region_industry
        if spec.methods.industries:
            industries = list(spec.methods.industries)
        else:
            # industries with enough establishments and some disclosed count
            by_industry = table.groupby("industry")
            kept = (by_industry["firms"].sum() >= spec.methods.min_industry_firms) & (
                by_industry[spec.methods.lq_value].sum() > 0
            )
            industries = sorted(kept.index[kept])
        table = table[table["industry"].isin(industries)].reset_index(drop=True)
        context.add_output_metadata(
            {
                "dagster/row_count": len(table),
                "source": f"statistics ({spec.statistics.adapter})",
                "industries": dg.MetadataValue.json(industries),
                "suppressed_cells": int(table["suppressed"].sum()),
            }
        )
        return table
    active = firms_in_regions[active_in_year(firms_in_regions, year)]
    in_study = active[active["region_id"].notna()]
    if spec.methods.industries:
        industries = list(spec.methods.industries)
    else:
        counts = in_study["industry"].value_counts()
        industries = sorted(counts[counts >= spec.methods.min_industry_firms].index)
    table = aggregate_employment(
        in_study, regions=list(study_regions["region_id"]), industries=industries
    )
    context.add_output_metadata(
        {
            "dagster/row_count": len(table),
            "active_firms": len(in_study),
            "inactive_firms": int(len(firms_in_regions) - len(active)),
            "industries": dg.MetadataValue.json(industries),
            "industries_below_min_firms": int(
                in_study["industry"].nunique() - len(industries)
            ),
        }
    )
    return table


@dg.asset(
    partitions_def=study_year_partitions, group_name="indicators", kinds={"pandas"}
)
def location_quotients(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    employment_by_region_industry: pd.DataFrame,
    regional_statistics: pd.DataFrame,
) -> pd.DataFrame:
    """Employment location quotient per region and industry (LQ > 1: over-
    represented), its 95% interval, small-cell flag, Empirical-Bayes LQ, cluster
    stars (0..3) and the strong-cluster flag."""
    spec, year = study.for_step(context)
    methods = spec.methods
    value = methods.lq_value  # employees, or firms (organisation counts)
    totals = None
    if methods.lq_base == "statistics":
        totals = regional_statistics.set_index("region_id")["total_employment"]
    table = compute_location_quotients(
        employment_by_region_industry, value=value, region_totals=totals
    )
    # regions without any published figure (island areas, boundaries the statistics
    # lack) have no base: they count as not specialised (LQ 0)
    no_base = table["lq"].isna() & (table["region_total"].fillna(0) == 0)
    table["lq"] = table["lq"].mask(no_base, 0.0)
    # the reference is the study area itself: its counts carry sampling error too
    table = lq_confidence_intervals(
        table,
        value=value,
        reference_total=float(employment_by_region_industry[value].sum()),
        min_count=methods.min_cell_employees,
    )
    table = smoothed_location_quotients(table, value=value).drop(columns=["expected"])
    table["stars"] = star_ratings(table, value=value, **methods.stars.model_dump())
    strong_spec = methods.strong_clusters
    strong = strong_clusters(
        table, value=value, **strong_spec.model_dump(exclude={"traded_only"})
    )
    if strong_spec.traded_only and spec.classification.scheme == "naics":
        traded = benchmark_clusters(fits=["whole", "part"])["naics4"]
        strong &= table["industry"].astype(str).str[:4].isin(set(traded))
    table["strong_cluster"] = strong
    table = table.rename(
        columns={"employees": "employment", "region_total": "region_employment"}
    )
    context.add_output_metadata(
        {
            "dagster/row_count": len(table),
            "lq_base": methods.lq_base,
            "lq_value": value,
            "regions_without_base": int(table.loc[no_base, "region_id"].nunique()),
            "max_lq": float(table["lq"].max()),
            "cells_lq_at_least_2": int((table["lq"] >= 2).sum()),
            "three_star_cells": int((table["stars"] == 3).sum()),
            "strong_cluster_cells": int(table["strong_cluster"].sum()),
            "small_cells": int(table["small_cell"].sum()),
            "stars": dg.MetadataValue.json(methods.stars.model_dump()),
            "strong_clusters": dg.MetadataValue.json(strong_spec.model_dump()),
        }
    )
    return table


@dg.asset(
    partitions_def=study_year_partitions, group_name="indicators", kinds={"pandas"}
)
def industry_concentration(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    firms_in_regions: gpd.GeoDataFrame,
    study_regions: gpd.GeoDataFrame,
    employment_by_region_industry: pd.DataFrame,
    regional_statistics: pd.DataFrame,
) -> pd.DataFrame:
    """Locational Gini and Ellison-Glaeser gamma (with the plant Herfindahl of the
    registry's firms) per analysed industry; gamma > 0.05: highly localised."""
    spec, year = study.for_step(context)
    active = firms_in_regions[active_in_year(firms_in_regions, year)]
    located = pd.DataFrame(active[active["region_id"].notna()].drop(columns="geometry"))
    if spec.methods.lq_base == "statistics":
        totals = regional_statistics.set_index("region_id")["total_employment"]
    else:
        totals = located.groupby("region_id")["employees"].sum()
    totals = totals.reindex(study_regions["region_id"], fill_value=0).astype(float)
    industries = sorted(employment_by_region_industry["industry"].unique())
    value = spec.methods.lq_value
    gini = locational_gini(
        employment_by_region_industry, value=value, region_totals=totals
    )
    plants = located[located["industry"].isin(industries)]
    if value == "employees" and len(plants) and plants["employees"].notna().all():
        eg = ellison_glaeser(plants, region_totals=totals)
    else:  # no registry, or no head counts: the plant Herfindahl is unknown
        eg = pd.DataFrame(
            index=pd.Index(industries, name="industry"),
            columns=EG_COLUMNS,
            dtype=float,
        )
    table = gini.drop(columns=value).join(eg, how="left").reset_index()
    context.add_output_metadata(
        {
            "dagster/row_count": len(table),
            "region_base": spec.methods.lq_base,
            "most_localised": dg.MetadataValue.json(
                table.nlargest(3, "eg_gamma")["industry"].tolist()
            ),
        }
    )
    return table


@dg.asset(
    partitions_def=study_year_partitions, group_name="indicators", kinds={"geopandas"}
)
def region_indicators(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    study_regions: gpd.GeoDataFrame,
    employment_by_region_industry: pd.DataFrame,
    regional_statistics: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """Regions with employment, firms, HHI and Krugman index, and population."""
    spec, year = study.for_step(context)
    totals = employment_by_region_industry.groupby("region_id")[
        ["employees", "firms"]
    ].sum()
    indices = specialisation_indices(
        employment_by_region_industry, value=spec.methods.lq_value
    )
    out = study_regions.merge(
        totals.rename(columns={"employees": "employment"}), on="region_id", how="left"
    ).merge(indices, on="region_id", how="left")
    if len(regional_statistics):
        out = out.merge(
            regional_statistics[["region_id", "population", "total_employment"]],
            on="region_id",
            how="left",
        )
    return out
