"""Indicators: employment by region and industry, location quotients, specialisation."""

import dagster as dg
import geopandas as gpd
import pandas as pd

from geo.lq import (
    employment_by_region_industry as aggregate_employment,
)
from geo.lq import (
    location_quotients as compute_location_quotients,
)
from geo.lq import (
    specialisation_indices,
    star_ratings,
)
from geo.registry import active_in_year
from pipelines.partitions import study_year_partitions
from pipelines.resources import StudyResource


@dg.asset(
    partitions_def=study_year_partitions, group_name="indicators", kinds={"pandas"}
)
def employment_by_region_industry(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    firms_in_regions: gpd.GeoDataFrame,
    study_regions: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """Employees and firms active in the study year, per region and industry."""
    spec, year = study.for_step(context)
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
    """Employment location quotient and cluster stars per region and industry;
    LQ > 1 means the industry is over-represented in the region."""
    spec, year = study.for_step(context)
    totals = None
    if spec.methods.lq_base == "statistics":
        totals = regional_statistics.set_index("region_id")["total_employment"]
    table = compute_location_quotients(
        employment_by_region_industry, region_totals=totals
    )
    table["stars"] = star_ratings(table)
    table = table.rename(
        columns={"employees": "employment", "region_total": "region_employment"}
    )
    context.add_output_metadata(
        {
            "dagster/row_count": len(table),
            "lq_base": spec.methods.lq_base,
            "max_lq": float(table["lq"].max()),
            "cells_lq_at_least_2": int((table["lq"] >= 2).sum()),
            "three_star_cells": int((table["stars"] == 3).sum()),
        }
    )
    return table


@dg.asset(
    partitions_def=study_year_partitions, group_name="indicators", kinds={"geopandas"}
)
def region_indicators(
    study_regions: gpd.GeoDataFrame,
    employment_by_region_industry: pd.DataFrame,
    regional_statistics: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """Regions with employment, firms, HHI and Krugman index, and population."""
    totals = employment_by_region_industry.groupby("region_id")[
        ["employees", "firms"]
    ].sum()
    indices = specialisation_indices(employment_by_region_industry)
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
