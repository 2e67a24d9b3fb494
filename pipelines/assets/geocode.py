"""Geocode: locate validated firms offline and assign them to study regions."""

from functools import partial

import dagster as dg
import geopandas as gpd
import pandas as pd

from data_sources.firm_engine import assign_chunk, geocoding_options, locate_chunk
from geo.geocode import geocode_firms
from geo.regions import assign_to_regions
from pipelines.engines import chunk_runner
from pipelines.partitions import study_year_partitions
from pipelines.progress import ThrottledProgress
from pipelines.resources import (
    DaskResource,
    GeocoderResource,
    StudyResource,
    switched_off,
)


@dg.asset(
    partitions_def=study_year_partitions,
    group_name="geocode",
    kinds={"geopandas"},
    # online lookups share one provider quota: at most one step at a time asks it
    pool="online_geocoder",
    retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL),
)
def firm_locations(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    geocoder: GeocoderResource,
    dask: DaskResource,
    firms_validated: pd.DataFrame,
    study_regions: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Every validated firm with its point (analysis CRS), match level, score and
    reason; unmatched firms keep an empty point and say why."""
    spec, year = study.for_step(context)
    g = spec.geocoder
    if spec.engine.firms == "dask" and "online" in g.tiers:
        raise ValueError(
            f"study {spec.name!r}: engine.firms 'dask' cannot run the 'online' "
            "geocoding tier (one provider quota and cache for the whole run); use "
            "engine.firms 'chunked', or drop the tier"
        )
    # the gazetteers and tier settings, as the firm engine builds them
    options = geocoding_options(spec, regions=study_regions)
    settlements = options["settlements"]
    online = geocoder.client(g.online) if "online" in g.tiers else None
    lookup = None
    if online:
        report = ThrottledProgress(context.log, "online geocoder")
        lookup = partial(online.lookup_many, progress=report)
    if "online" in g.tiers and online is None:
        context.log.warning("the online tier is switched off by the geocoder resource")
        lookup = switched_off
    try:
        with chunk_runner(spec, dask) as run:
            if run is None:
                out = _locate_whole(firms_validated, options, lookup)
            else:
                parts = run(
                    locate_chunk,
                    firms_validated,
                    shared={"options": {**options, "online": lookup}},
                )
                out = pd.concat(parts, ignore_index=True)
    finally:
        if online:
            online.close()
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
            "with_caveat": int(
                (
                    (out["match_level"] != "unmatched") & (out["match_reason"] != "")
                ).sum()
            ),
            "unmatched_examples": dg.MetadataValue.md(
                out.loc[
                    out["match_level"] == "unmatched",
                    ["firm_id", "settlement", "match_reason"],
                ]
                .head(20)
                .to_markdown(index=False)
            ),
            "gazetteer": g.gazetteer,
            "settlement_rows": len(settlements) if settlements is not None else 0,
            **({"online": dg.MetadataValue.json(online.stats)} if online else {}),
            "crs": spec.crs,
            "engine": spec.engine.firms,
        }
    )
    return out


def _locate_whole(
    firms_validated: pd.DataFrame, options: dict, lookup
) -> gpd.GeoDataFrame:
    """``engine.firms: pandas``: geocode_firms on every firm, then the points into
    the analysis CRS (the reference the chunked and Dask engines are tested on)."""
    options = dict(options)
    crs = options.pop("crs")
    located = geocode_firms(firms_validated, **options, online=lookup)
    firms = firms_validated.drop(columns=["lat", "lon"]).join(
        located[["lon", "lat", "match_level", "match_score", "match_reason"]]
    )
    points = gpd.points_from_xy(firms["lon"], firms["lat"], crs="EPSG:4326")
    return gpd.GeoDataFrame(firms, geometry=points, crs="EPSG:4326").to_crs(crs)


@dg.asset(
    partitions_def=study_year_partitions, group_name="geocode", kinds={"geopandas"}
)
def firms_in_regions(
    context: dg.AssetExecutionContext,
    study: StudyResource,
    dask: DaskResource,
    firm_locations: gpd.GeoDataFrame,
    study_regions: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Located firms with the region they lie in; firms outside every region keep an
    empty region_id and are counted, not dropped."""
    spec, _ = study.for_step(context)
    with chunk_runner(spec, dask) as run:
        if run is None:
            assigned = assign_to_regions(firm_locations, study_regions)
        else:
            regions = study_regions[["region_id", study_regions.geometry.name]]
            parts = run(assign_chunk, firm_locations, shared={"regions": regions})
            assigned = pd.concat(parts, ignore_index=True)
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
