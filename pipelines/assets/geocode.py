"""Geocode: locate validated firms offline and assign them to study regions."""

import dagster as dg
import geopandas as gpd
import pandas as pd

from data_sources.gazetteer import settlements_from_postcodes, us_zip_gazetteer
from geo.geocode import geocode_firms
from geo.regions import assign_to_regions
from pipelines.partitions import study_year_partitions
from pipelines.resources import StudyResource


@dg.asset(
    partitions_def=study_year_partitions, group_name="geocode", kinds={"geopandas"}
)
def firm_locations(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    firms_validated: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """Every validated firm with its point (analysis CRS), match level and score;
    unmatched firms keep an empty point and the reason."""
    spec, year = study.for_step(context)
    postcodes = us_zip_gazetteer(spec.geocoder.states)
    located = geocode_firms(
        firms_validated,
        postcodes=postcodes,
        settlements=settlements_from_postcodes(postcodes),
        tiers=spec.geocoder.tiers,
        fuzzy_min_score=spec.geocoder.fuzzy_min_score,
    )
    firms = firms_validated.drop(columns=["lat", "lon"]).join(
        located[["lon", "lat", "match_level", "match_score", "match_reason"]]
    )
    points = gpd.points_from_xy(firms["lon"], firms["lat"], crs="EPSG:4326")
    out = gpd.GeoDataFrame(firms, geometry=points, crs="EPSG:4326").to_crs(spec.crs)
    levels = out["match_level"].value_counts().to_dict()
    matched = int((out["match_level"] != "unmatched").sum())
    rate = matched / len(out) if len(out) else 1.0
    context.log.info(f"geocoded {matched} of {len(out)} firms ({rate:.1%}): {levels}")
    context.add_output_metadata(
        {
            "dagster/row_count": len(out),
            "match_rate": round(rate, 4),
            "by_tier": dg.MetadataValue.json({k: int(v) for k, v in levels.items()}),
            "unmatched": int(levels.get("unmatched", 0)),
            "crs": spec.crs,
        }
    )
    return out


@dg.asset(
    partitions_def=study_year_partitions, group_name="geocode", kinds={"geopandas"}
)
def firms_in_regions(
    context: dg.AssetExecutionContext,
    firm_locations: gpd.GeoDataFrame,
    study_regions: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Located firms with the region they lie in; firms outside every region keep an
    empty region_id and are counted, not dropped."""
    assigned = assign_to_regions(firm_locations, study_regions)
    located = assigned["match_level"] != "unmatched"
    outside = int((located & assigned["region_id"].isna()).sum())
    if outside:
        context.log.warning(f"{outside} located firms lie outside every study region")
    context.add_output_metadata(
        {
            "dagster/row_count": len(assigned),
            "in_regions": int(assigned["region_id"].notna().sum()),
            "outside_regions": outside,
            "unmatched": int((~located).sum()),
        }
    )
    return assigned
