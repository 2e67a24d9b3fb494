"""Point level: firm density grids, density-based point clusters, K-density."""

import zlib

import dagster as dg
import geopandas as gpd
import pandas as pd

from geo.points import KDensityResult, cluster_hulls, density_grid, k_density_table
from geo.points import detection_agreement as compare_detection
from geo.points import k_density as compute_k_density
from geo.points import point_clusters as label_point_clusters
from geo.registry import active_in_year
from pipelines.partitions import study_year_partitions
from pipelines.resources import StudyResource


def _located(firms: gpd.GeoDataFrame, year: int, levels: list[str]) -> gpd.GeoDataFrame:
    active = firms[active_in_year(firms, year)]
    has_point = ~(active.geometry.isna() | active.geometry.is_empty)
    return active[has_point & active["match_level"].isin(levels)]


def _industries(table: pd.DataFrame) -> list[str]:
    return sorted(table["industry"].astype(str).unique())


@dg.asset(partitions_def=study_year_partitions, group_name="points", kinds={"numpy"})
def firm_density(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    firms_in_regions: gpd.GeoDataFrame,
    study_regions: gpd.GeoDataFrame,
    employment_by_region_industry: pd.DataFrame,
) -> dict:
    """Gaussian kernel density of active firms (firms per km2) on one grid aligned to
    the study area: "all" firms and every analysed industry."""
    spec, year = study.for_step(context)
    p = spec.points
    firms = _located(firms_in_regions, year, p.match_levels)
    opts = {
        "cell_m": p.density_cell_m,
        "bandwidth_m": p.density_bandwidth_m,
        "bounds": tuple(study_regions.total_bounds),
    }
    grids = {"all": density_grid(firms, **opts)}
    for code in _industries(employment_by_region_industry):
        grids[code] = density_grid(firms[firms["industry"] == code], **opts)
    array, transform, crs = grids["all"]
    context.add_output_metadata(
        {
            "rasters": len(grids),
            "shape": str(array.shape),
            "crs": crs.to_string(),
            "cell_m": p.density_cell_m,
            "bandwidth_m": p.density_bandwidth_m,
            "firms": len(firms),
            "max_density_per_km2": float(array.max()),
        }
    )
    return grids  # {name: (float32 array, Affine, CRS)}: pickled by the IO manager


@dg.asset(
    partitions_def=study_year_partitions, group_name="points", kinds={"scikit-learn"}
)
def point_clusters(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    firms_in_regions: gpd.GeoDataFrame,
    employment_by_region_industry: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """DBSCAN/HDBSCAN clusters of active firms per analysed industry, one hull each."""
    spec, year = study.for_step(context)
    p = spec.points
    firms = _located(firms_in_regions, year, p.match_levels)
    layers = []
    for code in _industries(employment_by_region_industry):
        sub = firms[firms["industry"] == code]
        labels = label_point_clusters(
            sub,
            method=p.cluster_method,
            eps_m=p.eps_m,
            min_samples=p.min_samples,
            min_cluster_size=p.min_cluster_size,
        )
        hulls = cluster_hulls(sub, labels)
        hulls.insert(0, "industry", code)
        hulls.insert(0, "point_cluster_id", [f"{code}-p{c}" for c in hulls["cluster"]])
        layers.append(hulls)
    out = gpd.GeoDataFrame(pd.concat(layers, ignore_index=True), crs=firms.crs)
    context.add_output_metadata(
        {
            "dagster/row_count": len(out),
            "method": p.cluster_method,
            "eps_m": p.eps_m,
            "min_samples": p.min_samples,
            "by_industry": dg.MetadataValue.json(
                {k: int(v) for k, v in out["industry"].value_counts().items()}
            ),
        }
    )
    return out


@dg.asset(partitions_def=study_year_partitions, group_name="points", kinds={"scipy"})
def k_density(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    firms_in_regions: gpd.GeoDataFrame,
    employment_by_region_industry: pd.DataFrame,
) -> dict:
    """Duranton-Overman K-density of every analysed industry against random draws
    among all active firms' sites: localised / dispersed / neither, and where."""
    spec, year = study.for_step(context)
    p, seed = spec.points, spec.methods.seed
    firms = _located(firms_in_regions, year, p.match_levels)
    results: dict[str, KDensityResult] = {}
    for code in _industries(employment_by_region_industry):
        if (firms["industry"] == code).sum() < 3:
            continue
        results[code] = compute_k_density(
            firms,
            code,
            simulations=p.k_simulations,
            max_sites=p.k_max_sites,
            seed=(seed + zlib.crc32(code.encode())) % 2**32,
        )
    table = k_density_table(results)
    context.add_output_metadata(
        {
            "dagster/row_count": len(table),
            "simulations": p.k_simulations,
            "seed": seed,
            "classification": dg.MetadataValue.json(
                dict(zip(table["industry"], table["classification"], strict=True))
            ),
        }
    )
    return results  # curves: pd.concat(r.to_frame() for r in results.values())


@dg.asset(partitions_def=study_year_partitions, group_name="points", kinds={"pandas"})
def detection_agreement(
    context: dg.AssetExecutionContext,
    localized_clusters: gpd.GeoDataFrame,
    k_density: dict,
) -> pd.DataFrame:
    """Per industry: localized cluster of regions, point-level localisation, agree."""
    table = compare_detection(localized_clusters, k_density)
    context.add_output_metadata(
        {
            "dagster/row_count": len(table),
            "disagree": dg.MetadataValue.json(
                table.loc[table["agree"].eq(False).fillna(False), "industry"].tolist()
            ),
        }
    )
    return table
