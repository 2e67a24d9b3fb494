"""Publish: the GeoPackage that QGIS users open, with a default style per layer."""

import dagster as dg
import geopandas as gpd
import pandas as pd

from geo.regions import label_firms_with_clusters
from outputs.geopackage import publish_geopackage
from pipelines.partitions import study_year_partitions
from pipelines.resources import StudyResource

LAYER_DESCRIPTIONS = {
    "regions": (
        "Regions",
        "Study regions with employment, firms, HHI and Krugman index.",
    ),
    "location_quotients": (
        "Location quotients",
        "Employment LQ and cluster stars per region and industry.",
    ),
    "lisa": (
        "LISA and hot spots",
        "Local Moran quadrants and Gi* hot spots of the LQ, adjusted p-values.",
    ),
    "clusters": (
        "Localized clusters",
        "Connected High-High regions per industry with ecosystem maturity.",
    ),
    "firms": ("Firms", "Geocoded firms with match level and cluster membership."),
}
FIRM_COLUMNS = [
    "firm_id",
    "name",
    "industry",
    "industry_code",
    "employees",
    "founded",
    "match_level",
    "match_score",
    "region_id",
    "cluster_id",
]


def _on_regions(table: pd.DataFrame, regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    shapes = regions[["region_id", "name", "geometry"]]
    return gpd.GeoDataFrame(
        shapes.merge(table, on="region_id", how="inner"),
        geometry="geometry",
        crs=regions.crs,
    )


@dg.asset(
    partitions_def=study_year_partitions, group_name="publish", kinds={"geopackage"}
)
def published_layers(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    study_regions: gpd.GeoDataFrame,
    region_indicators: gpd.GeoDataFrame,
    location_quotients: pd.DataFrame,
    lisa: pd.DataFrame,
    localized_clusters: gpd.GeoDataFrame,
    cluster_maturity: pd.DataFrame,
    ecosystem_measures: pd.DataFrame,
    firms_in_regions: gpd.GeoDataFrame,
) -> str:
    """agglomeration.gpkg: regions, location_quotients, lisa, clusters and firms
    layers (GeoPackage 1.2, QGIS default styles), replaced atomically."""
    clusters = localized_clusters.merge(ecosystem_measures, on="cluster_id", how="left")
    clusters = clusters.merge(
        cluster_maturity.drop(
            columns=[
                c
                for c in cluster_maturity.columns
                if c in clusters.columns and c != "cluster_id"
            ]
        ),
        on="cluster_id",
        how="left",
    )
    geometry = firms_in_regions.geometry
    firms = firms_in_regions[~(geometry.isna() | geometry.is_empty)].copy()
    firms["cluster_id"] = label_firms_with_clusters(firms, localized_clusters)
    layers = {
        "regions": region_indicators,
        "location_quotients": _on_regions(location_quotients, study_regions),
        "lisa": _on_regions(
            lisa.drop(columns=["employment", "firms"], errors="ignore"), study_regions
        ),
        "clusters": clusters,
        "firms": firms[[*FIRM_COLUMNS, "geometry"]],
    }
    spec, year = study.for_step(context)
    path = study.publish_dir(spec, year) / "agglomeration.gpkg"
    path.parent.mkdir(parents=True, exist_ok=True)
    publish_geopackage(layers, path, descriptions=LAYER_DESCRIPTIONS)
    context.log.info(f"published {path}")
    context.add_output_metadata(
        {
            "path": dg.MetadataValue.path(str(path)),
            "layers": dg.MetadataValue.json(
                {name: len(gdf) for name, gdf in layers.items()}
            ),
            "clusters": len(clusters),
        }
    )
    return str(path)
