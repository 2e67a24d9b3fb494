"""Trends across years: emerging hot spots from yearly Gi* and Mann-Kendall."""

import dagster as dg
import pandas as pd

from geo.concentration import change_between_years, shift_share
from geo.spacetime import emerging_hot_spots as compute_emerging_hot_spots
from pipelines.partitions import all_years_of_study, study_partitions
from pipelines.resources import StudyResource

YEARS_COMPLETE_OR_CHANGED = dg.AutomationCondition.eager()
"""A study's trends run once every year it declares is materialised (none missing or
in progress), and again after any of those years is re-materialised."""


def _yearly_panel(by_partition: dict, years: list[int], name: str) -> pd.DataFrame:
    """Stack {"<study>|<year>": table} into one table with a ``year`` column."""
    found = {int(str(key).split("|")[-1]): table for key, table in by_partition.items()}
    missing = sorted(set(years) - set(found))
    if missing:
        raise ValueError(
            f"study {name!r}: location quotients of year(s) {missing} are not "
            "materialised yet; run those years first (agglo run does)"
        )
    return pd.concat(
        [found[year].assign(year=year) for year in years], ignore_index=True
    )


@dg.asset(
    partitions_def=study_partitions,
    group_name="trends",
    kinds={"pandas"},
    automation_condition=YEARS_COMPLETE_OR_CHANGED,
    ins={"location_quotients": dg.AssetIn(partition_mapping=all_years_of_study)},
)
def indicator_changes(
    context: dg.AssetExecutionContext, study: StudyResource, location_quotients: dict
) -> pd.DataFrame:
    """Year-on-year change of employment and LQ per region and industry, and the
    shift-share decomposition of employment change from the first to the last year."""
    spec = study.load(context.partition_key)
    years = spec.analysis_years
    panel = _yearly_panel(location_quotients, years, spec.name)
    changes = change_between_years(
        panel, keys=["region_id", "industry"], values=["employment", "lq"]
    )
    if len(years) > 1:
        decomposition = shift_share(
            panel, start=years[0], end=years[-1], value="employment"
        ).add_prefix("shift_share_")
        changes = changes.merge(
            decomposition.rename(
                columns={
                    "shift_share_region_id": "region_id",
                    "shift_share_industry": "industry",
                }
            ),
            on=["region_id", "industry"],
            how="left",
        )
    context.add_output_metadata(
        {
            "dagster/row_count": len(changes),
            "years": dg.MetadataValue.json(years),
        }
    )
    return changes


@dg.asset(
    partitions_def=study_partitions,
    group_name="trends",
    kinds={"esda"},
    automation_condition=YEARS_COMPLETE_OR_CHANGED,
    ins={
        "location_quotients": dg.AssetIn(partition_mapping=all_years_of_study),
        "region_weights": dg.AssetIn(partition_mapping=all_years_of_study),
    },
)
def emerging_hot_spots(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    location_quotients: dict,
    region_weights: dict,
) -> pd.DataFrame:
    """Emerging hot spot pattern (ArcGIS Pro classes) of every region and analysed
    industry: Gi* of the LQ per year and the Mann-Kendall trend of its z-scores."""
    spec = study.load(context.partition_key)
    # the IO manager hands {"<study>|<year>": value} for the years that exist
    years = {key: int(str(key).split("|")[-1]) for key in location_quotients}
    missing = sorted(set(spec.analysis_years) - set(years.values()))
    if missing:
        raise ValueError(
            f"study {spec.name!r}: location quotients of year(s) {missing} are not "
            "materialised yet; run those years first (agglo run does)"
        )
    location_quotients = {
        k: v for k, v in location_quotients.items() if years[k] in spec.analysis_years
    }
    panel = pd.concat(
        [t.assign(year=years[key]) for key, t in location_quotients.items()],
        ignore_index=True,
    )
    graph = region_weights[max(region_weights, key=lambda k: years.get(k, 0))]
    m = spec.methods
    out = compute_emerging_hot_spots(
        panel,
        graph,
        value="lq",
        permutations=m.permutations,
        seed=m.seed,
        alpha=m.alpha,
        correction=m.correction,
    )
    context.add_output_metadata(
        {
            "dagster/row_count": len(out),
            "years": dg.MetadataValue.json(sorted(set(years.values()))),
            "patterns": dg.MetadataValue.json(
                {k: int(v) for k, v in out["pattern"].value_counts().items()}
            ),
            "constant_steps": dg.MetadataValue.json(
                [str(s) for s in out.attrs["constant_steps"]]
            ),
            "permutations": m.permutations,
            "seed": m.seed,
        }
    )
    return out
