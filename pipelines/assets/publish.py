"""Publish: one versioned publication per study and year - the GeoPackage and QGIS
project that QGIS users open styled, a density COG, GeoParquet, GeoJSON and a report."""

import dagster as dg
import geopandas as gpd
import pandas as pd
from libpysal.graph import Graph

from data_sources.classification import classification_codes
from data_sources.study import Study
from geo.points import density_grid
from geo.regions import label_firms_with_clusters
from outputs.preview import cluster_preview_png, png_markdown
from outputs.publication import build_provenance, publish_bundle
from pipelines.partitions import study_year_partitions
from pipelines.resources import PublicationResource, StudyResource

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


class PublishConfig(dg.Config):
    density_cell_m: float = 2000.0
    """Cell side of the firm-density raster, in metres."""
    density_bandwidth_m: float = 5000.0
    """Gaussian kernel bandwidth of the firm-density raster, in metres."""
    keep: int | None = None
    """Keep only the newest N publications per study and year; None keeps all."""


def _inputs(spec: Study) -> dict[str, str | None]:
    """Every file the run read, for the provenance (hashed by build_provenance)."""
    return {
        "study": spec.study_file,
        "regions": spec.regions.path,
        "registry": spec.registry.path if spec.registry else None,
        "statistics": spec.statistics.path if spec.statistics else None,
        "statistics_totals": spec.statistics.totals_path if spec.statistics else None,
        "statistics_classifier": (
            spec.statistics.classifier if spec.statistics else None
        ),
        "classification_codes": spec.classification.codes,
        "actors": spec.interactions.actors if spec.interactions else None,
        "ties": spec.interactions.ties if spec.interactions else None,
    }


def _on_regions(table: pd.DataFrame, regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    shapes = regions[["region_id", "name", "geometry"]]
    return gpd.GeoDataFrame(
        shapes.merge(table, on="region_id", how="inner"),
        geometry="geometry",
        crs=regions.crs,
    )


@dg.asset(
    partitions_def=study_year_partitions,
    group_name="publish",
    kinds={"geopackage", "qgis", "geotiff", "parquet"},
)
def published_layers(
    context: dg.AssetExecutionContext,
    config: PublishConfig,
    study: StudyResource,
    publication: PublicationResource,
    study_regions: gpd.GeoDataFrame,
    region_indicators: gpd.GeoDataFrame,
    location_quotients: pd.DataFrame,
    lisa: pd.DataFrame,
    localized_clusters: gpd.GeoDataFrame,
    cluster_maturity: pd.DataFrame,
    ecosystem_measures: pd.DataFrame,
    firms_in_regions: gpd.GeoDataFrame,
    region_weights: Graph,
    global_moran: pd.DataFrame,
) -> str:
    """<publish dir>/<year>/<run id>/: agglomeration.gpkg (regions, location_quotients,
    lisa, clusters, firms; GeoPackage 1.2, QGIS styles and metadata with provenance),
    agglomeration.qgz, density.tif (COG), GeoParquet, GeoJSON and an HTML report;
    <publish dir>/<year>/latest moves to it only once everything is written."""
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
    provenance = build_provenance(
        run_id=context.run.run_id,
        study=spec.name,
        partition=str(year),
        inputs=_inputs(spec),
        parameters={
            **spec.model_dump(
                mode="json",
                include={"crs", "classification", "geocoder", "methods", "maturity"},
            ),
            "publish": config.model_dump(),
        },
    )
    density = density_grid(
        layers["firms"],
        cell_m=config.density_cell_m,
        bandwidth_m=config.density_bandwidth_m,
        bounds=tuple(float(v) for v in study_regions.total_bounds),
    )
    codes = classification_codes(spec.classification.scheme)
    strongest = global_moran.sort_values("moran_i", ascending=False)["industry"]
    # <publish dir>/<year> is the partition folder: publications go beneath it
    partition_dir = publication.folder(spec, year)
    folder = publish_bundle(
        layers,
        partition_dir.parent,
        partition=partition_dir.name,
        run_id=context.run.run_id,
        title=f"{spec.name} {year}: localized industrial clusters",
        descriptions=LAYER_DESCRIPTIONS,
        provenance=provenance,
        density=density,
        weights=region_weights,
        moran=global_moran,
        industry_names=dict(zip(codes["code"], codes["title"], strict=True)),
        focus_industry=str(strongest.iloc[0]) if len(strongest) else None,
        keep=config.keep,
    )
    path = folder / "agglomeration.gpkg"
    context.log.info(f"published {folder} (latest: {partition_dir / 'latest'})")
    context.add_output_metadata(
        {
            "path": dg.MetadataValue.path(str(path)),
            "publication": dg.MetadataValue.path(str(folder)),
            "latest": dg.MetadataValue.path(str(partition_dir / "latest")),
            "project": dg.MetadataValue.path(str(folder / "agglomeration.qgz")),
            "report": dg.MetadataValue.path(str(folder / "report" / "index.html")),
            "layers": dg.MetadataValue.json(
                {name: len(gdf) for name, gdf in layers.items()}
            ),
            "clusters": len(clusters),
            "preview": dg.MetadataValue.md(
                png_markdown(
                    cluster_preview_png(study_regions, localized_clusters),
                    alt="clusters over regions",
                )
            ),
        }
    )
    return str(path)
