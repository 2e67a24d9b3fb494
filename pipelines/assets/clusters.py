"""Clusters: spatial weights, global Moran's I, LISA and Gi*, delineated clusters."""

import dagster as dg
import geopandas as gpd
import pandas as pd
from libpysal.graph import Graph

from geo.autocorrelation import global_moran_table, lisa_table
from geo.delineate import delineate_clusters
from geo.robustness import hh_robustness, robustness_graphs
from geo.weights import build_weights, isolates
from pipelines.partitions import study_year_partitions
from pipelines.resources import StudyResource


@dg.asset(
    partitions_def=study_year_partitions, group_name="clusters", kinds={"libpysal"}
)
def region_weights(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    study_regions: gpd.GeoDataFrame,
) -> Graph:
    """Row-standardised spatial weights between study regions (libpysal Graph)."""
    methods = study.for_step(context)[0].methods
    options = {
        "k": methods.knn_k,
        "threshold_m": methods.distance_band_m,
        "kernel": methods.kernel,
        "bandwidth_m": methods.kernel_bandwidth_m,
        "block_column": methods.block_column,
    }
    islands = isolates(build_weights(study_regions, methods.weights, **options))
    graph = build_weights(
        study_regions, methods.weights, islands=methods.islands, **options
    )
    context.add_output_metadata(
        {
            "method": methods.weights,
            "regions": int(graph.n),
            "links": int(graph.n_edges),
            "mean_neighbours": round(float(graph.cardinalities.mean()), 2),
            "isolates": dg.MetadataValue.json(islands),
            "islands": methods.islands,
        }
    )
    return graph


@dg.asset(partitions_def=study_year_partitions, group_name="clusters", kinds={"esda"})
def global_moran(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    location_quotients: pd.DataFrame,
    region_weights: Graph,
) -> pd.DataFrame:
    """Global Moran's I of the location quotient of every analysed industry."""
    methods = study.for_step(context)[0].methods
    table = global_moran_table(
        location_quotients,
        region_weights,
        value="lq",
        permutations=methods.permutations,
        seed=methods.seed,
    )
    context.add_output_metadata(
        {
            "dagster/row_count": len(table),
            "moran_i": dg.MetadataValue.json(
                {r.industry: round(float(r.moran_i), 4) for r in table.itertuples()}
            ),
            "permutations": methods.permutations,
            "seed": methods.seed,
        }
    )
    return table


@dg.asset(partitions_def=study_year_partitions, group_name="clusters", kinds={"esda"})
def lisa(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    study_regions: gpd.GeoDataFrame,
    location_quotients: pd.DataFrame,
    region_weights: Graph,
) -> pd.DataFrame:
    """Local Moran (LISA) quadrants and Getis-Ord Gi* hot spots of the LQ, per region
    and analysed industry, with permutation p-values adjusted for multiple testing,
    and hh_share: the share of weight specifications in which the region stays HH."""
    methods = study.for_step(context)[0].methods
    # islands="drop" leaves regions out of the graph: analyse the regions it holds
    in_graph = location_quotients["region_id"].isin(set(region_weights.unique_ids))
    location_quotients = location_quotients[in_graph]
    context.log.info(
        f"LISA and Gi* of {location_quotients['industry'].nunique()} industries x "
        f"{region_weights.n} regions, {methods.permutations} permutations each "
        "(numba kernels: ~15 s to compile when the on-disk cache is empty)"
    )
    table = lisa_table(
        location_quotients,
        region_weights,
        value="lq",
        permutations=methods.permutations,
        seed=methods.seed,
        alpha=methods.alpha,
        correction=methods.correction,
    )
    table = table.merge(
        location_quotients[["region_id", "industry", "employment", "firms"]],
        on=["region_id", "industry"],
        how="left",
    )
    # share of weight specifications (queen, KNN 4..12, 3 bands) keeping each HH;
    # in this asset so the numba kernels load once per step process
    robust = hh_robustness(
        location_quotients,
        robustness_graphs(study_regions, islands=methods.islands),
        value="lq",
        permutations=methods.permutations,
        seed=methods.seed,
        alpha=methods.alpha,
        correction=methods.correction,
    )
    table = table.merge(robust, on=["region_id", "industry"], how="left")
    skipped = table.attrs.get("skipped_industries", {})
    context.add_output_metadata(
        {
            "dagster/row_count": len(table),
            "high_high": int((table["quadrant"] == "HH").sum()),
            "hot_spots": int(table["hotspot"].str.startswith("hot").sum()),
            "correction": methods.correction,
            "alpha": methods.alpha,
            "permutations": methods.permutations,
            "seed": methods.seed,
            "skipped_industries": dg.MetadataValue.json(skipped),
        }
    )
    return table


@dg.asset(
    partitions_def=study_year_partitions, group_name="clusters", kinds={"geopandas"}
)
def localized_clusters(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    study_regions: gpd.GeoDataFrame,
    lisa: pd.DataFrame,
    region_weights: Graph,
) -> gpd.GeoDataFrame:
    """Localized clusters: connected significant High-High regions of one industry with
    LQ above the study threshold, dissolved into one polygon each."""
    methods = study.for_step(context)[0].methods
    clusters = delineate_clusters(
        study_regions,
        lisa,
        region_weights,
        alpha=methods.alpha,
        min_lq=methods.min_lq,
        min_regions=methods.min_cluster_regions,
    )
    context.add_output_metadata(
        {
            "dagster/row_count": len(clusters),
            "clusters": dg.MetadataValue.md(
                "\n".join(
                    f"- {r.cluster_id}: {r.industry}, regions {r.regions}"
                    for r in clusters.itertuples()
                )
                or "none"
            ),
            "min_lq": methods.min_lq,
        }
    )
    return clusters
