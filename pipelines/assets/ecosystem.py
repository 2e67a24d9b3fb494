"""Ecosystem: interaction network in, per-cluster measures and maturity out."""

import dagster as dg
import geopandas as gpd
import pandas as pd

from data_sources.interactions import fill_from_registry, read_interactions
from geo.classification import aggregate_codes
from geo.ecosystem import EntryRules, cluster_members, entry_exit_rates
from geo.ecosystem import ecosystem_measures as compute_measures
from geo.ecosystem import member_compliance as compute_compliance
from geo.maturity import maturity_index
from pipelines.partitions import study_year_partitions
from pipelines.resources import StudyResource

ACTOR_COLUMNS = [
    "actor_id",
    "name",
    "kind",
    "firm_id",
    "region_id",
    "industry",
    "founded",
    "closed",
]
TIE_COLUMNS = ["source", "target", "tie_type", "year", "weight", "via_coordinator"]


def _members(clusters, actors, ties, year: int, eco) -> pd.DataFrame:
    """Actors of each delineated cluster (one rule for every ecosystem asset)."""
    regions_of = {
        row.cluster_id: (row.industry, set(row.regions.split(",")))
        for row in clusters.itertuples()
    }
    return cluster_members(
        actors,
        ties,
        regions_of,
        year=year,
        min_member_firm_partners=eco.min_member_firm_partners,
    )


@dg.multi_asset(
    partitions_def=study_year_partitions,
    group_name="ecosystem",
    outs={
        "interaction_actors": dg.AssetOut(
            kinds={"pandas"},
            description="Actors: firms, research, government, finance, support bodies.",
        ),
        "interaction_ties": dg.AssetOut(
            kinds={"pandas"},
            description="Ties between actors with year, weight and type.",
        ),
        "interactions_rejected": dg.AssetOut(
            kinds={"pandas"}, description="Quarantined actor and tie rows with reasons."
        ),
    },
)
def interaction_network(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    firms_in_regions: gpd.GeoDataFrame,
):
    spec, year = study.for_step(context)
    if spec.interactions is None:
        context.log.info(
            "the study names no interaction data; ecosystem measures are null"
        )
        actors = pd.DataFrame(columns=ACTOR_COLUMNS)
        ties = pd.DataFrame(columns=TIE_COLUMNS)
        rejected = pd.DataFrame(columns=["file", "source_row", "record", "reason"])
    else:
        actors, ties, rejected = read_interactions(spec.interactions)
        # Registry-linked firms take the region they were geocoded into, and their
        # founding and closing years, where the actor file leaves them empty.
        actors = fill_from_registry(
            actors, firms_in_regions[["firm_id", "region_id", "founded", "closed"]]
        )
        # Industries are compared with cluster industries at the study's level.
        actors["industry"] = aggregate_codes(
            actors["industry"].replace("", pd.NA),
            level=spec.classification.level,
            scheme=spec.classification.scheme,
        )
    yield dg.Output(
        actors, "interaction_actors", metadata={"dagster/row_count": len(actors)}
    )
    yield dg.Output(ties, "interaction_ties", metadata={"dagster/row_count": len(ties)})
    yield dg.Output(
        rejected, "interactions_rejected", metadata={"dagster/row_count": len(rejected)}
    )


@dg.asset(
    partitions_def=study_year_partitions, group_name="ecosystem", kinds={"networkx"}
)
def ecosystem_measures(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    localized_clusters: gpd.GeoDataFrame,
    interaction_actors: pd.DataFrame,
    interaction_ties: pd.DataFrame,
) -> pd.DataFrame:
    """Collaboration, self-organisation, reputation and composition of each cluster's
    actors; null with a note where the data cannot support a measure."""
    spec, year = study.for_step(context)
    eco = spec.ecosystem
    members = _members(
        localized_clusters, interaction_actors, interaction_ties, year, eco
    )
    coordinators = [] if spec.interactions is None else spec.interactions.coordinators
    coordinator_ids = interaction_actors.loc[
        interaction_actors["name"].isin(coordinators)
        | interaction_actors["actor_id"].isin(coordinators),
        "actor_id",
    ].tolist()
    measures = compute_measures(
        interaction_actors,
        interaction_ties,
        members,
        year=year,
        coordinator_ids=coordinator_ids,
        min_actors=eco.min_actors,
        entry_rules=EntryRules(**eco.entry_rules.model_dump()),
        anchor_share=eco.anchor_share,
        rate_years=eco.rate_years,
        rate_basis=eco.rate_basis,
        cluster_ids=localized_clusters["cluster_id"],
    )
    measures = localized_clusters[["cluster_id"]].merge(
        measures, on="cluster_id", how="left"
    )
    context.add_output_metadata(
        {
            "dagster/row_count": len(measures),
            "members": len(members),
            "coordinators": dg.MetadataValue.json(coordinator_ids),
            "entry_rules": dg.MetadataValue.json(eco.entry_rules.model_dump()),
            "entry_rule_compliance": dg.MetadataValue.json(
                {
                    str(c): None if pd.isna(v) else round(float(v), 3)
                    for c, v in zip(
                        measures["cluster_id"],
                        measures["entry_rule_compliance"],
                        strict=True,
                    )
                }
            ),
        }
    )
    return measures


@dg.asset(
    partitions_def=study_year_partitions, group_name="ecosystem", kinds={"pandas"}
)
def member_compliance(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    localized_clusters: gpd.GeoDataFrame,
    interaction_actors: pd.DataFrame,
    interaction_ties: pd.DataFrame,
) -> pd.DataFrame:
    """Each member firm's compliance with the study's entry rules, with the failed
    rules, its cooperation ties and its functional dependence."""
    spec, year = study.for_step(context)
    eco = spec.ecosystem
    members = _members(
        localized_clusters, interaction_actors, interaction_ties, year, eco
    )
    table = compute_compliance(
        interaction_actors,
        interaction_ties,
        members,
        year=year,
        rules=EntryRules(**eco.entry_rules.model_dump()),
    )
    context.add_output_metadata(
        {
            "dagster/row_count": len(table),
            "complying": int(table["complies"].sum()),
            "entry_rules": dg.MetadataValue.json(eco.entry_rules.model_dump()),
        }
    )
    return table


@dg.asset(
    partitions_def=study_year_partitions, group_name="ecosystem", kinds={"pandas"}
)
def cluster_entry_exit(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    localized_clusters: gpd.GeoDataFrame,
    interaction_actors: pd.DataFrame,
    interaction_ties: pd.DataFrame,
) -> pd.DataFrame:
    """Yearly stock, entries, exits and entry and exit rates of each cluster's
    member firms over the study's rate window."""
    spec, year = study.for_step(context)
    eco = spec.ecosystem
    members = _members(
        localized_clusters, interaction_actors, interaction_ties, year, eco
    )
    table = entry_exit_rates(
        interaction_actors,
        interaction_ties,
        members,
        first_year=year - eco.rate_years + 1,
        last_year=year,
        basis=eco.rate_basis,
    )
    context.add_output_metadata(
        {"dagster/row_count": len(table), "basis": eco.rate_basis}
    )
    return table


@dg.asset(
    partitions_def=study_year_partitions, group_name="ecosystem", kinds={"pandas"}
)
def cluster_maturity(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    localized_clusters: gpd.GeoDataFrame,
    ecosystem_measures: pd.DataFrame,
) -> pd.DataFrame:
    """Maturity index (0..1) and stage of every cluster from weighted groups."""
    spec, year = study.for_step(context)
    table = pd.DataFrame(localized_clusters.drop(columns="geometry")).merge(
        ecosystem_measures, on="cluster_id", how="left"
    )
    maturity = maturity_index(table, weights=spec.maturity.weights)
    context.add_output_metadata(
        {
            "dagster/row_count": len(maturity),
            "stages": dg.MetadataValue.json(
                dict(
                    zip(maturity["cluster_id"], maturity["maturity_stage"], strict=True)
                )
            ),
        }
    )
    return maturity
