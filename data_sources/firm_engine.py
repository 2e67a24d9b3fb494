"""Firm-level steps at national scale: registry file to located firms and a table.

One run reads a registry file (CSV, Parquet, Excel or GeoPackage), validates every
row (quarantining the bad ones with a reason), geocodes the valid ones offline tier
by tier, assigns them to the study regions by point in polygon and aggregates the
firms active in the study year into the region x industry table. It writes the
located firms (GeoParquet, analysis CRS) and the rejected rows (Parquet) as
datasets of part files to a folder and returns the table and the run's counts
(:class:`FirmEngineResult`). Three engines give identical outputs:

``pandas``
    The whole registry in memory through the pipeline's own functions
    (``read_registry``, ``validate_registry``, the ``firm_locations`` geocoding,
    ``assign_to_regions``, ``employment_by_region_industry``): what the Dagster
    assets compute today, and the reference the others are tested against.
``chunked``
    One process, bounded memory: a first pass over the firm ids finds duplicates
    across the whole registry, then chunks of ``chunk_rows`` rows go one after the
    other through :func:`process_chunk`.
``dask``
    The same chunks as a ``dask.dataframe`` (``from_map`` of the chunk reader),
    ``map_partitions`` of the same :func:`process_chunk` on a ``dask.distributed``
    cluster (the caller's client, a scheduler address, or a ``LocalCluster``
    started for the run). The output folder must be visible to the workers.

Entry points: :func:`run_firm_engine` takes a study (what an asset calls);
:func:`run_firm_chain` takes the registry source and :class:`ChainOptions`.
:func:`read_firms`, :func:`read_rejected` and :func:`open_firms` read the outputs.

Why each step uses what it uses (measured on 2 cores; see
``benchmarks/results/registry_10m.md``):

- Reading: Arrow (``pyarrow.parquet`` batches of one row group) for Parquet, since
  text columns become Arrow-backed pandas strings without a Python object per
  value; Python's ``csv`` module for CSV, streamed, because it is the parser
  ``read_registry`` uses (same fields for quoted newlines, ragged rows, BOMs), and
  pyarrow's CSV reader differs on those. A CSV, Excel or GeoPackage registry is
  staged once as Parquet in the first pass, which has to read it whole anyway.
- Duplicate ids: Arrow ``dictionary_encode`` of the stripped ids (hash based,
  codes in order of first appearance) and a numpy running maximum: one pass. On
  10 million ids (0.3 % repeated), median of 3 on the shared 2-core machine, same
  answer: Arrow + numpy 4.8 s, polars 2.1 ``first().over("id")`` 5.1 s, DuckDB
  2.0 ``first_value() over (partition by id)`` 6.4 s; so neither is added.
- Validation, geocoding, assignment: pandas/geopandas, through the pipeline's own
  functions (:mod:`geo.firm_chain` runs each check once per distinct value and
  each point in polygon test once per distinct point, which is where the time
  went).
- Aggregation: a pandas groupby per chunk over the firms of that chunk (a few
  hundred thousand rows) and one small final table; the numpy ``bincount`` of
  :mod:`data_sources.chunked` is faster on bare keys, but here the groupby is not
  the cost.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from data_sources.presets import registry_preset
from data_sources.registry import (
    RegistrySource,
    _as_text,
    _clean_headers,
    _column_mapping,
    _distinct_map,
    canonical_frame,
    read_registry,
    registry_source,
)
from data_sources.study import (
    FIRM_ENGINES,
    PERSONAL_DATA_SALT_ENV,
    EngineSpec,
    Study,
)
from geo.firm_chain import (
    assign_to_regions_by_point,
    earlier_duplicates,
    employment_cells,
    locate_firms,
    locate_firms_in_regions,
    reason_field_counts,
    region_industry_table,
    validate_registry_fast,
)
from geo.geocode import DEFAULT_TIERS, geocode_firms
from geo.lq import employment_by_region_industry
from geo.privacy import protect_personal_data
from geo.regions import assign_to_regions
from geo.registry import active_in_year, validate_registry

__all__ = [
    "ENGINES",
    "ChainOptions",
    "FirmEngineResult",
    "assign_chunk",
    "chain_options",
    "geocoding_options",
    "locate_chunk",
    "map_chunks",
    "open_firms",
    "process_chunk",
    "read_firms",
    "read_rejected",
    "registry_earlier_rows",
    "run_firm_chain",
    "run_firm_engine",
    "validate_chunk",
]

ENGINES: tuple[str, ...] = FIRM_ENGINES
"""``pandas`` (in memory, the reference), ``chunked`` (one process), ``dask``."""

FIRMS_DIR = "firms"
REJECTED_DIR = "rejected"
_EARLIER = "__earlier_source_row"  # per row: first row of its id (0: none)
_SUMMARY = ["key", "region_id", "industry", "employees", "firms"]


@dataclass(frozen=True, eq=False)
class ChainOptions:
    """Everything the firm-level chain needs besides the registry and the regions.

    Built from a study by :func:`chain_options`; plain data, so it pickles to Dask
    workers.
    """

    valid_codes: frozenset[str]
    level: int | str
    scheme: str
    validation_year: int
    """Founding years after it are errors (the study's last year)."""
    year: int
    """Study year: firms active in it are counted in the table."""
    crs: str
    """Analysis CRS of the located firms."""
    employees_required: bool = True
    tiers: tuple[str, ...] = DEFAULT_TIERS
    postcodes: pd.DataFrame | None = field(default=None, repr=False)
    settlements: pd.DataFrame | None = field(default=None, repr=False)
    region_centroids: pd.DataFrame | None = field(default=None, repr=False)
    fuzzy_min_score: float = 90.0
    postcode_country: str = "US"
    region: str = "state"
    state_aliases: Mapping[str, str] | None = field(default=None, repr=False)
    region_centroid_score: float = 0.1
    industries: tuple[str, ...] | None = None
    """Industries of the table; default: those with ``min_industry_firms``."""
    min_industry_firms: int = 1
    personal_columns: tuple[str, ...] = ()
    personal_action: str = "drop"
    personal_salt: str = field(default="", repr=False)

    def geocode_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`geo.firm_chain.locate_firms`."""
        return {
            "crs": self.crs,
            "postcodes": self.postcodes,
            "settlements": self.settlements,
            "tiers": list(self.tiers),
            "fuzzy_min_score": self.fuzzy_min_score,
            "postcode_country": self.postcode_country,
            "region": self.region,
            "state_aliases": self.state_aliases,
            "region_centroids": self.region_centroids,
            "region_centroid_score": self.region_centroid_score,
        }

    def validation_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`geo.registry.validate_registry`."""
        return {
            "valid_codes": self.valid_codes,
            "level": self.level,
            "scheme": self.scheme,
            "year": self.validation_year,
            "employees_required": self.employees_required,
        }


@dataclass
class FirmEngineResult:
    """What a run of the firm-level chain produced."""

    table: pd.DataFrame
    """``region_id``, ``industry``, ``employees``, ``firms`` (active firms in the
    study year), as ``geo.lq.employment_by_region_industry`` gives it."""
    industries: list[str]
    counts: dict[str, Any]
    """``rows``, ``validated``, ``rejected``, ``rejected_by_field`` (field -> rows),
    ``by_tier`` (match level -> firms, ``unmatched`` included), ``matched``,
    ``unmatched``, ``in_regions``, ``outside_regions`` (located but in no region),
    ``active_firms``, ``inactive_firms``, ``industries_below_min_firms``."""
    firms_path: Path
    """GeoParquet dataset (folder of part files) of every validated firm with its
    point, match level and region: the ``firms_in_regions`` asset."""
    rejected_path: Path
    """Parquet dataset of the rejected rows with their ``reason``."""
    engine: str
    chunks: int
    seconds: float


# --- options from a study -------------------------------------------------------------
def geocoding_options(
    study: Study, *, regions: gpd.GeoDataFrame | None = None
) -> dict[str, Any]:
    """The study's geocoding settings with its offline gazetteers loaded: keyword
    arguments of :func:`geo.firm_chain.locate_firms` (and, without ``crs``, of
    :func:`geo.geocode.geocode_firms`), as the ``firm_locations`` asset uses them.

    Raises
    ------
    ValueError
        If the region_centroid tier lacks regions.
    """
    from data_sources.gazetteer import (
        country_codes,
        offline_gazetteers,
        us_zip_gazetteer,
    )
    from geo.geocode import region_centroids

    g = study.geocoder
    postcodes, settlements = offline_gazetteers(
        g.gazetteer,
        states=g.states,
        files=[f.model_dump(exclude_none=True) for f in g.files],
    )
    if postcodes is None and "postcode" in g.tiers and g.postcode_country == "US":
        postcodes = us_zip_gazetteer()  # geonames or file studies with US firms
    centroids = None
    if "region_centroid" in g.tiers:
        if regions is None:
            raise ValueError(
                "tier 'region_centroid' needs the study regions: pass regions=..."
            )
        centroids = region_centroids(regions, state=g.region_centroid_column)
    return {
        "crs": study.crs,
        "postcodes": postcodes,
        "settlements": settlements,
        "tiers": list(g.tiers),
        "fuzzy_min_score": g.fuzzy_min_score,
        "postcode_country": g.postcode_country,
        "region": g.region,
        "state_aliases": country_codes() if g.gazetteer == "geonames" else None,
        "region_centroids": centroids,
        "region_centroid_score": g.region_centroid_score,
    }


def chain_options(
    study: Study,
    *,
    year: int,
    regions: gpd.GeoDataFrame | None = None,
    salt: str | None = None,
) -> ChainOptions:
    """The firm-level chain's options for one year of a study.

    Parameters
    ----------
    study : Study
        A validated study (a statistics-driven one has no registry to read, but
        the same options).
    year : int
        The study year (partition) the table counts active firms in.
    regions : geopandas.GeoDataFrame, optional
        The study regions; needed for the ``region_centroid`` tier.
    salt : str, optional
        Secret of ``registry.personal_data.action: hash``; default
        ``$AGGLO_PERSONAL_DATA_SALT``.

    Returns
    -------
    ChainOptions
        Validation, geocoding (`geocoding_options`), aggregation and personal-data
        options, as the pipeline's assets use them.

    Raises
    ------
    ValueError
        If the region_centroid tier lacks regions.
    """
    from data_sources.classification import classification_codes

    codes = classification_codes(
        study.classification.scheme, codes_file=study.classification.codes
    )["code"]
    # a statistics-driven study has no registry: nothing to read, same options
    preset = registry_preset(study.registry.adapter) if study.registry else None
    geocoding = geocoding_options(study, regions=regions)
    personal = study.registry.personal_data if study.registry else None
    return ChainOptions(
        valid_codes=frozenset(codes),
        level=study.classification.level,
        scheme=study.classification.scheme,
        validation_year=max(study.analysis_years),
        year=year,
        employees_required=preset is None or preset.employees_required,
        **{**geocoding, "tiers": tuple(geocoding["tiers"])},
        industries=tuple(study.methods.industries)
        if study.methods.industries
        else None,
        min_industry_firms=study.methods.min_industry_firms,
        personal_columns=tuple(personal.columns) if personal else (),
        personal_action=personal.action if personal else "drop",
        personal_salt=(
            salt if salt is not None else os.environ.get(PERSONAL_DATA_SALT_ENV, "")
        ),
    )


def run_firm_engine(
    study: Study,
    *,
    year: int,
    regions: gpd.GeoDataFrame,
    out_dir: str | os.PathLike[str],
    engine: EngineSpec | None = None,
    client: Any = None,
    salt: str | None = None,
) -> FirmEngineResult:
    """Run the firm-level chain of one study year with the study's engine settings.

    Parameters
    ----------
    study : Study
        A validated study with a registry; ``study.engine`` picks the engine.
    year : int
        The study year (partition).
    regions : geopandas.GeoDataFrame
        The study regions with ``region_id``, in the analysis CRS (the
        ``study_regions`` asset).
    out_dir : path
        Folder for the ``firms/`` and ``rejected/`` datasets (replaced atomically).
    engine : EngineSpec, optional
        Overrides ``study.engine``.
    client : distributed.Client, optional
        For the dask engine: a client to use instead of ``engine.dask_address`` or
        a local cluster.
    salt : str, optional
        See :func:`chain_options`.

    Returns
    -------
    FirmEngineResult
        The table, the kept industries, the counts and where the outputs are.

    Raises
    ------
    ValueError
        For a bad registry (as ``read_registry``), an online tier on the dask
        engine, or a study without a registry.
    """
    if study.registry is None:
        raise ValueError(
            f"study {study.name!r} names no firm registry; the firm-level chain "
            "needs registry: {path: ...}"
        )
    spec = engine or study.engine
    options = chain_options(study, year=year, regions=regions, salt=salt)
    source = registry_source(study.registry)
    online = None
    if "online" in options.tiers:
        if spec.firms == "dask":
            raise ValueError(
                "engine.firms 'dask' cannot run the 'online' geocoding tier (one "
                "provider quota and cache for the whole run); use engine.firms "
                "'chunked', or drop the tier"
            )
        from data_sources.online_geocoder import OnlineGeocoder

        online = OnlineGeocoder(**study.geocoder.online.model_dump(exclude_none=True))
    try:
        return run_firm_chain(
            source,
            options=options,
            regions=regions,
            out_dir=out_dir,
            engine=spec.firms,
            chunk_rows=spec.chunk_rows,
            client=client,
            dask_address=spec.dask_address,
            dask_workers=spec.dask_workers,
            online=online.lookup_many if online else None,
        )
    finally:
        if online:
            online.close()


# --- the run --------------------------------------------------------------------------
def run_firm_chain(
    source: RegistrySource | Mapping[str, Any],
    *,
    options: ChainOptions,
    regions: gpd.GeoDataFrame,
    out_dir: str | os.PathLike[str],
    engine: str = "chunked",
    chunk_rows: int = 500_000,
    client: Any = None,
    dask_address: str = "",
    dask_workers: int = 2,
    online: Callable[[Sequence[str]], pd.DataFrame] | None = None,
) -> FirmEngineResult:
    """Registry file to located firms, rejected rows and region x industry table.

    Parameters
    ----------
    source : RegistrySource or mapping
        The registry (``registry_source`` resolves presets and formats).
    options : ChainOptions
        Validation, geocoding and aggregation options (:func:`chain_options`).
    regions : geopandas.GeoDataFrame
        Study regions with ``region_id``, in ``options.crs``.
    out_dir : path
        Output folder; its ``firms/`` and ``rejected/`` are replaced when the run
        succeeds and left as they were when it fails.
    engine : {"pandas", "chunked", "dask"}
        See the module docstring.
    chunk_rows : int
        Rows per chunk (chunked and dask).
    client : distributed.Client, optional
        Dask client to use; else ``dask_address``, else a ``LocalCluster`` of
        ``dask_workers`` one-thread processes, closed at the end.
    online : callable, optional
        The online tier's lookup (pandas and chunked engines only).

    Returns
    -------
    FirmEngineResult

    Raises
    ------
    ValueError
        If the engine is unknown, ``chunk_rows`` is not positive, ``regions`` lacks
        ``region_id`` or is in another CRS, or the registry cannot be read.

    Examples
    --------
    Three rows in two chunks; the third repeats the second's id:

    >>> import tempfile
    >>> from shapely.geometry import box
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "firms.csv").write_text(
    ...     "firm_id,postcode,industry_code,employees\\n"
    ...     "a,30720,314110,12\\nb,30720-0001,314110,3\\nb,30720,314110,4\\n")
    >>> options = ChainOptions(valid_codes=frozenset({"314110", "3141"}), level=4,
    ...     scheme="naics", validation_year=2024, year=2024, crs="EPSG:32616",
    ...     tiers=("postcode",), postcodes=pd.DataFrame({"postcode": ["30720"],
    ...     "lat": [34.77], "lon": [-84.97]}))
    >>> county = gpd.GeoDataFrame({"region_id": ["13313"]},
    ...     geometry=[box(680000, 3840000, 690000, 3860000)], crs="EPSG:32616")
    >>> result = run_firm_chain({"path": str(folder / "firms.csv")},
    ...     options=options, regions=county, out_dir=folder, chunk_rows=2)
    >>> result.table.values.tolist(), result.counts["by_tier"]
    ([['13313', '3141', 15, 2]], {'postcode': 2})
    >>> read_rejected(result.rejected_path)["reason"].tolist()
    ["firm_id: 'b' duplicates source row 2; registry ids must be unique"]
    >>> read_firms(result.firms_path)["region_id"].tolist()
    ['13313', '13313']
    """
    if engine not in ENGINES:
        raise ValueError(
            f"engine {engine!r} is unknown; use one of {list(ENGINES)} "
            "(study field engine.firms)"
        )
    if int(chunk_rows) < 1:
        raise ValueError(f"chunk_rows must be a positive row count; got {chunk_rows}")
    if "region_id" not in regions.columns:
        raise ValueError(
            f"regions lack a region_id column; they have {list(regions.columns)[:10]}"
        )
    if regions.crs is None or not regions.crs.equals(options.crs):
        found = regions.crs.to_string() if regions.crs is not None else "no CRS"
        raise ValueError(
            f"regions are in {found} but the analysis CRS is {options.crs}; "
            f"reproject them with regions.to_crs({options.crs!r}) first"
        )
    if engine == "dask" and online is not None:
        raise ValueError(
            "the dask engine cannot run the online geocoding tier; use 'chunked'"
        )
    src = registry_source(source)
    if not Path(src.path).is_file():
        raise ValueError(f"registry.path: file not found: {src.path}")
    regions = regions[["region_id", regions.geometry.name]]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    work = out / f".firm-engine-{os.getpid()}-{secrets.token_hex(4)}"
    (work / FIRMS_DIR).mkdir(parents=True)
    (work / REJECTED_DIR).mkdir()
    t0 = time.perf_counter()
    try:
        if engine == "pandas":
            result = _run_pandas(src, options, regions, work, online)
            n_chunks = 1
        else:
            plan = plan_chunks(src, chunk_rows=int(chunk_rows), staging=work / "stage")
            n_chunks = len(plan.chunks)
            if engine == "chunked":
                parts = [
                    process_chunk(
                        read_chunk(c, plan), options, regions, str(work), online
                    )
                    for c in plan.chunks
                ]
            else:
                parts = [
                    _run_dask(plan, options, regions, work, client, dask_address,
                              dask_workers)
                ]  # fmt: skip
            result = _finish(pd.concat([_summary(), *parts], ignore_index=True),
                             options, regions)  # fmt: skip
        shutil.rmtree(work / "stage", ignore_errors=True)
        for name in (FIRMS_DIR, REJECTED_DIR):
            if not any((work / name).iterdir()):
                _write_empty(work / name, name, options.crs)
            _swap(work / name, out / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table, industries, counts = result
    return FirmEngineResult(
        table=table,
        industries=industries,
        counts=counts,
        firms_path=out / FIRMS_DIR,
        rejected_path=out / REJECTED_DIR,
        engine=engine,
        chunks=n_chunks,
        seconds=time.perf_counter() - t0,
    )


def _swap(new: Path, target: Path) -> None:
    """Replace folder ``target`` by ``new``; readers see the old or the new one."""
    old = target.with_name(f".{target.name}.old-{secrets.token_hex(4)}")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


# --- the pandas engine: the pipeline's functions on the whole registry ----------------
def _protect(raw: pd.DataFrame, options: ChainOptions) -> pd.DataFrame:
    """Personal data dropped or hashed, as the ``firm_registry_raw`` asset does."""
    if not options.personal_columns:
        return raw
    columns = list(options.personal_columns)
    out = protect_personal_data(
        raw, columns=columns, action=options.personal_action, salt=options.personal_salt
    )
    # keep the canonical columns (data contract), emptied
    return out.assign(**{c: "" for c in columns if c not in out})


def _run_pandas(
    src: RegistrySource,
    options: ChainOptions,
    regions: gpd.GeoDataFrame,
    work: Path,
    online: Callable | None,
) -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
    # the assets' code, line for line: the reference the other engines must equal
    raw = _protect(read_registry(src), options)
    validated, rejected = validate_registry(raw, **options.validation_options())
    geocode = options.geocode_options()
    crs = geocode.pop("crs")
    located = geocode_firms(validated, **geocode, online=online)
    firms = validated.drop(columns=["lat", "lon"]).join(
        located[["lon", "lat", "match_level", "match_score", "match_reason"]]
    )
    points = gpd.points_from_xy(firms["lon"], firms["lat"], crs="EPSG:4326")
    firm_locations = gpd.GeoDataFrame(firms, geometry=points, crs="EPSG:4326")
    firms = assign_to_regions(firm_locations.to_crs(crs), regions)
    active = firms[active_in_year(firms, options.year)]
    in_study = active[active["region_id"].notna()]
    if options.industries is not None:
        industries = list(options.industries)
    else:
        counts = in_study["industry"].value_counts()
        industries = sorted(counts[counts >= options.min_industry_firms].index)
    table = employment_by_region_industry(
        in_study, regions=list(regions["region_id"]), industries=industries
    )
    name = "part-000000000001.parquet"
    _write_firms(firms, work / FIRMS_DIR / name)
    _write_rejected(rejected, work / REJECTED_DIR / name)
    extra = {
        "active_firms": len(in_study),
        "inactive_firms": len(firms) - len(active),
    }
    summary = _summary_frame(len(raw), firms, rejected, _summary().iloc[:0], extra)
    present = int(in_study["industry"].nunique())
    return table, industries, _counts(summary, present, industries)


# --- chunks ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Chunk:
    """One chunk of a registry: where its rows are and which of them repeat an id."""

    path: str
    staged: bool
    """True: a canonical Parquet file of the staging pass; False: the source."""
    row_group: int
    batch: int
    """Batch of ``chunk_rows`` rows within the row group."""
    start: int
    """Registry rows before this chunk (its first ``source_row`` is ``start + 1``)."""
    rows: int
    dup_positions: np.ndarray = field(repr=False, compare=False)
    dup_earlier: np.ndarray = field(repr=False, compare=False)


@dataclass(frozen=True)
class ChunkPlan:
    """The chunks of a registry and how to read them."""

    source: RegistrySource
    chunks: list[Chunk]
    chunk_rows: int
    rows: int
    nullable_int_columns: frozenset[str] = frozenset()
    """Parquet integer columns with a null somewhere: pandas reads them as float."""


def _clean_names(names: Sequence[str]) -> dict[str, str]:
    return dict(zip(names, _clean_headers(list(names)), strict=True))


def _arrow_text(column: pa.ChunkedArray | pa.Array, *, nullable_int: bool) -> Any:
    """A Parquet column as the text ``read_registry`` makes of it (``_as_text`` of
    ``pandas.read_parquet``), without a Python object per value where Arrow can."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        # str(v) of a string is v; missing -> ""
        return pc.fill_null(column, "").to_pandas()
    if pa.types.is_integer(kind) and not nullable_int:
        # str(int) is what Arrow's cast writes
        return pc.cast(column, pa.string()).to_pandas()
    values = column.to_pandas()
    if pa.types.is_integer(kind):
        # a column with nulls anywhere in the file is float64 in pandas.read_parquet
        values = values.astype("float64")
    frame = lambda v: _as_text(v.to_frame("v"))["v"]  # noqa: E731
    return pd.Series(_distinct_map(values, frame), dtype=object)


def _parquet_frame(table: pa.Table, plan: ChunkPlan, start: int) -> pd.DataFrame:
    names = _clean_names(table.schema.names)
    raw = pd.DataFrame(
        {
            names[n]: _arrow_text(
                table.column(n), nullable_int=n in plan.nullable_int_columns
            )
            for n in table.schema.names
        }
    )
    problems = pd.Series([""] * len(raw), dtype=object)
    return canonical_frame(raw, problems, plan.source, start=start)


def read_chunk(chunk: Chunk, plan: ChunkPlan) -> pd.DataFrame:
    """The canonical rows of a chunk, with the first-row of each repeated id.

    Returns what ``read_registry`` gives for these rows (``source_row`` numbered in
    the whole registry), personal data not yet protected, plus a column holding per
    row the ``source_row`` of the first row of its id in the registry (0: none).
    """
    pf = pq.ParquetFile(chunk.path)
    if chunk.staged:
        table = pf.read()
        frame = table.to_pandas()
    else:
        batches = pf.iter_batches(
            batch_size=plan.chunk_rows, row_groups=[chunk.row_group]
        )
        for _ in range(chunk.batch):
            next(batches)  # decoded and dropped: a row group has no random access
        batch = next(batches)
        if batch.num_rows != chunk.rows:
            raise RuntimeError(
                f"{chunk.path}: row group {chunk.row_group} batch {chunk.batch} has "
                f"{batch.num_rows} rows, expected {chunk.rows}"
            )
        frame = _parquet_frame(pa.Table.from_batches([batch]), plan, chunk.start)
    earlier = np.zeros(len(frame), dtype=np.int64)
    earlier[chunk.dup_positions] = chunk.dup_earlier
    frame[_EARLIER] = earlier
    return frame


def _read_chunk_task(chunk: Chunk, plan: ChunkPlan) -> pd.DataFrame:
    return read_chunk(chunk, plan)


def plan_chunks(
    source: RegistrySource | Mapping[str, Any],
    *,
    chunk_rows: int,
    staging: str | os.PathLike[str],
) -> ChunkPlan:
    """First pass over a registry: its chunks and the ids it repeats.

    A Parquet registry is read in place (only the id column in this pass); a CSV,
    Excel or GeoPackage registry is parsed once here and staged as canonical
    Parquet chunks under ``staging``. Every id is stripped as
    ``validate_registry`` strips it; the second and later rows of an id are marked
    with the ``source_row`` of its first row in the whole registry.

    Raises
    ------
    ValueError
        As ``read_registry`` for a file it cannot read.
    """
    src = registry_source(source)
    if src.format == "parquet":
        plan, ids = _plan_parquet(src, chunk_rows)
    else:
        plan, ids = _stage(src, chunk_rows, Path(staging))
    earlier = _earlier_rows(ids)
    chunks = []
    for c in plan.chunks:
        part = earlier[c.start : c.start + c.rows]
        where = np.flatnonzero(part)
        chunks.append(replace(c, dup_positions=where, dup_earlier=part[where]))
    return replace(plan, chunks=chunks)


def _earlier_rows(ids: list[pa.Array]) -> np.ndarray:
    """Per registry row, the source_row of its id's first row (0: none or missing)."""
    if not ids:
        return np.zeros(0, dtype=np.int64)
    every = pa.chunked_array(ids, type=pa.large_string()).combine_chunks()
    encoded = pc.dictionary_encode(every)  # codes in order of first appearance
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return earlier_duplicates(codes, np.arange(1, len(codes) + 1, dtype=np.int64))


def _stripped_ids(values: pd.Series) -> pa.Array:
    """Ids stripped as ``validate_registry`` strips them, as Arrow text."""
    ids = values.astype("string").str.strip()
    return pa.array(ids.array).cast(pa.large_string())  # no Python object per id


def _plan_parquet(src: RegistrySource, chunk_rows: int) -> tuple[ChunkPlan, list]:
    pf = pq.ParquetFile(src.path)
    schema = pf.schema_arrow
    names = _clean_names(schema.names)
    mapping, preset = _column_mapping(list(names.values()), src)
    nullable = set()
    meta = pf.metadata
    for name in schema.names:
        kind = schema.field(name).type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if not pa.types.is_integer(kind):
            continue
        # pandas.read_parquet makes an integer column with any null float64
        leaf = schema.get_field_index(name)
        stats = [
            meta.row_group(r).column(leaf).statistics
            for r in range(meta.num_row_groups)
        ]
        if all(s is not None and s.has_null_count for s in stats):
            has_null = sum(s.null_count for s in stats) > 0
        else:
            has_null = pf.read(columns=[name]).column(0).null_count > 0
        if has_null:
            nullable.add(name)
    plan = ChunkPlan(src, [], chunk_rows, meta.num_rows, frozenset(nullable))
    # the id column alone, unless a preset derives ids (none does today)
    empty = pd.DataFrame({n: pd.Series([], dtype=object) for n in names.values()})
    derived = preset.derive(empty) if preset is not None and preset.derive else {}
    id_only = "firm_id" not in derived and mapping["firm_id"] in names.values()
    file_id = {v: k for k, v in names.items()}.get(mapping["firm_id"])
    chunks, ids, start = [], [], 0
    for rg in range(meta.num_row_groups):
        rows = meta.row_group(rg).num_rows
        for b, offset in enumerate(range(0, rows, chunk_rows)):
            n = min(chunk_rows, rows - offset)
            chunks.append(
                Chunk(src.path, False, rg, b, start, n, np.zeros(0, int),
                      np.zeros(0, int))
            )  # fmt: skip
            start += n
    _parquet_frame(schema.empty_table(), plan, 0)  # read_registry's missing columns
    if id_only:
        for batch in pf.iter_batches(batch_size=chunk_rows, columns=[file_id]):
            text = _arrow_text(
                batch.column(0), nullable_int=file_id in plan.nullable_int_columns
            )
            ids.append(_stripped_ids(pd.Series(text)))
    else:
        for c in chunks:
            ids.append(_stripped_ids(read_chunk(c, plan)["firm_id"]))
    return replace(plan, chunks=chunks), ids


def _stage(
    src: RegistrySource, chunk_rows: int, staging: Path
) -> tuple[ChunkPlan, list]:
    """Parse a CSV (streamed), Excel or GeoPackage registry once into canonical
    Parquet chunks; return their plan and the stripped ids."""
    staging.mkdir(parents=True, exist_ok=True)
    if src.format == "csv":
        frames = _csv_frames(src, chunk_rows)
    else:  # Excel and GeoPackage: bounded by their formats; read whole, as the pipeline
        whole = read_registry(src)
        frames = (
            whole.iloc[a : a + chunk_rows].reset_index(drop=True)
            for a in range(0, len(whole), chunk_rows)
        )
    chunks, ids, start = [], [], 0
    for k, frame in enumerate(frames):
        if len(frame) == 0:
            continue  # a header without rows: read (and checked), nothing to stage
        path = staging / f"stage-{k:06d}.parquet"
        table = pa.Table.from_pandas(_text_dtypes(frame), preserve_index=False)
        pq.write_table(table, path)
        ids.append(_stripped_ids(frame["firm_id"]))
        chunks.append(
            Chunk(str(path), True, 0, 0, start, len(frame), np.zeros(0, int),
                  np.zeros(0, int))
        )  # fmt: skip
        start += len(frame)
    return ChunkPlan(src, chunks, chunk_rows, start), ids


def _csv_lines(src: RegistrySource) -> Iterator[str]:
    """The decoded text of a (gzipped) CSV file line by line, split on ``\\n`` only,
    as iterating ``io.StringIO`` of the whole text does in ``read_registry``."""
    path = Path(src.path)
    encoding = src.encoding or "utf-8"
    with open(path, "rb") as handle:
        magic = handle.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    with opener(path, "rb") as binary:
        head = binary.read(3)
        if encoding.replace("_", "-").lower() in ("utf-8", "utf8") and head == (
            codecs.BOM_UTF8
        ):
            encoding = "utf-8-sig"
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        consumed, rest, block = 0, "", head
        while True:
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"{path}: cannot be read as {encoding!r} ({exc.reason} near byte "
                    f"{consumed + exc.start}); set registry.encoding (e.g. 'cp1251' "
                    "or 'utf-8-sig')"
                ) from None
            consumed += len(block)
            lines = (rest + text).split("\n")
            rest = lines.pop()
            for line in lines:
                yield line + "\n"
            if not block:
                break
            block = binary.read(1 << 22)
        if rest:
            yield rest


def _csv_frames(src: RegistrySource, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Canonical chunks of a CSV registry, streamed: ``read_registry`` row by row."""
    path = Path(src.path)
    if len(src.delimiter or ",") != 1:
        raise ValueError(
            f"registry.delimiter must be one character; got {src.delimiter!r}"
        )
    reader = csv.reader(_csv_lines(src), delimiter=src.delimiter)
    records = (r for r in reader if r)
    header_record: list[str] | None = None
    header: list[str] = []
    rows: list[list[str]] = []
    problems: list[str] = []
    start, any_text, checked = 0, False, False
    try:
        for record in records:
            any_text = any_text or any(f.strip() for f in record)
            if header_record is None:
                header_record = record
                header = _clean_headers(record)
                continue
            width = len(header)
            if not checked:
                checked = True
                if width == 1 and src.delimiter not in header_record[0]:
                    sample = header_record[0][:60]
                    raise ValueError(
                        f"{path}: the header has a single column ({sample!r}); the "
                        f"file is probably not {src.delimiter!r}-delimited. Set "
                        "registry.delimiter (e.g. ';' or '\\t')"
                    )
            problems.append(
                ""
                if len(record) == width
                else f"row: {len(record)} fields where the header has {width}; "
                "check registry.delimiter and quoting on this line"
            )
            rows.append((record + [""] * width)[:width])
            if len(rows) == chunk_rows:
                yield _csv_chunk(rows, header, problems, src, start)
                start += len(rows)
                rows, problems = [], []
    except csv.Error as exc:
        raise ValueError(
            f"{path}: not a well-formed {src.delimiter!r}-delimited file ({exc}); "
            "check registry.delimiter and quoting"
        ) from None
    if not any_text:
        raise ValueError(f"{path}: the file is empty; expected a header and rows")
    if rows or start == 0:
        yield _csv_chunk(rows, header, problems, src, start)


def _csv_chunk(
    rows: list[list[str]],
    header: list[str],
    problems: list[str],
    src: RegistrySource,
    start: int,
) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    return canonical_frame(frame, pd.Series(problems, dtype=object), src, start=start)


# --- one chunk through the chain ------------------------------------------------------
def process_chunk(
    raw: pd.DataFrame,
    options: ChainOptions,
    regions: gpd.GeoDataFrame,
    out_dir: str,
    online: Callable | None = None,
) -> pd.DataFrame:
    """One chunk through the chain; writes its part files, returns its summary.

    Parameters
    ----------
    raw : pandas.DataFrame
        :func:`read_chunk` of the chunk (canonical rows plus the first-row column).
    options : ChainOptions
    regions : geopandas.GeoDataFrame
        ``region_id`` and geometry in ``options.crs``.
    out_dir : str
        Folder holding ``firms/`` and ``rejected/``; the chunk writes
        ``part-<first source_row>.parquet`` in each.
    online : callable, optional
        The online tier's lookup.

    Returns
    -------
    pandas.DataFrame
        Summary rows: the chunk's region x industry cells of active firms
        (``key`` ``""``) and its counts (``key`` the count's name, value in
        ``firms``); added up over chunks by the engine.
    """
    earlier = raw[_EARLIER].to_numpy()
    raw = _protect(raw.drop(columns=_EARLIER), options)
    validated, rejected = validate_registry_fast(
        raw, **options.validation_options(), earlier_rows=earlier
    )
    geocode = options.geocode_options()
    firms = locate_firms_in_regions(
        validated, regions, crs=geocode.pop("crs"), **geocode, online=online
    )
    name = f"part-{int(raw['source_row'].iloc[0]):012d}.parquet"
    _write_firms(firms, Path(out_dir) / FIRMS_DIR / name)
    _write_rejected(rejected, Path(out_dir) / REJECTED_DIR / name)
    cells, extra = employment_cells(firms, year=options.year)
    return _summary_frame(len(raw), firms, rejected, cells, extra)


def _summary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": pd.Series([], dtype=object),
            "region_id": pd.Series([], dtype=object),
            "industry": pd.Series([], dtype=object),
            "employees": pd.Series([], dtype=np.int64),
            "firms": pd.Series([], dtype=np.int64),
        }
    )


def _summary_frame(
    rows: int,
    firms: pd.DataFrame,
    rejected: pd.DataFrame,
    cells: pd.DataFrame,
    extra: dict[str, int],
) -> pd.DataFrame:
    level = firms["match_level"]
    located = level != "unmatched"
    counts: dict[str, int] = {
        "rows": rows,
        "validated": len(firms),
        "rejected": len(rejected),
        "in_regions": int(firms["region_id"].notna().sum()),
        "outside_regions": int((located & firms["region_id"].isna()).sum()),
        **extra,
    }
    counts.update({f"tier:{k}": int(v) for k, v in level.value_counts().items()})
    counts.update(
        {f"field:{k}": v for k, v in reason_field_counts(rejected["reason"]).items()}
    )
    table = pd.DataFrame(
        {
            "key": "",
            "region_id": cells["region_id"].astype(object),
            "industry": cells["industry"].astype(object),
            "employees": cells["employees"].to_numpy(dtype=np.int64),
            "firms": cells["firms"].to_numpy(dtype=np.int64),
        }
    )
    count_rows = pd.DataFrame(
        {
            "key": list(counts),
            "region_id": None,
            "industry": None,
            "employees": np.zeros(len(counts), dtype=np.int64),
            "firms": np.array(list(counts.values()), dtype=np.int64),
        }
    )
    return pd.concat([table, count_rows], ignore_index=True).astype(
        {"key": object, "region_id": object, "industry": object}
    )


def _finish(
    summary: pd.DataFrame, options: ChainOptions, regions: gpd.GeoDataFrame
) -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
    """The table, kept industries and counts from the summaries of all chunks."""
    cells = summary.loc[summary["key"] == "", _SUMMARY[1:]]
    table, industries = region_industry_table(
        cells,
        regions=list(regions["region_id"]),
        industries=options.industries,
        min_industry_firms=options.min_industry_firms,
    )
    present = int(cells.loc[cells["firms"] > 0, "industry"].nunique())
    return table, industries, _counts(summary, present, industries)


def _counts(
    summary: pd.DataFrame, present_industries: int, industries: list[str]
) -> dict[str, Any]:
    """The run's counts from summary rows (added up over chunks)."""
    rows = summary[summary["key"] != ""]
    total = {str(k): int(v) for k, v in rows.groupby("key")["firms"].sum().items()}

    def prefixed(prefix: str) -> dict[str, int]:
        found = {k[len(prefix) :]: v for k, v in total.items() if k.startswith(prefix)}
        return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))

    tiers = prefixed("tier:")
    return {
        "rows": total.get("rows", 0),
        "validated": total.get("validated", 0),
        "rejected": total.get("rejected", 0),
        "rejected_by_field": prefixed("field:"),
        "by_tier": tiers,
        "matched": sum(v for k, v in tiers.items() if k != "unmatched"),
        "unmatched": tiers.get("unmatched", 0),
        "in_regions": total.get("in_regions", 0),
        "outside_regions": total.get("outside_regions", 0),
        "active_firms": total.get("active_firms", 0),
        "inactive_firms": total.get("inactive_firms", 0),
        "industries_below_min_firms": present_industries - len(industries),
    }


# --- the dask engine ------------------------------------------------------------------
@contextlib.contextmanager
def _dask_client(client: Any, address: str, workers: int) -> Iterator[Any]:
    if client is not None:
        yield client
        return
    from distributed import Client, LocalCluster

    if address:
        with Client(address) as own:
            yield own
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as own,
    ):
        yield own


def _run_dask(
    plan: ChunkPlan,
    options: ChainOptions,
    regions: gpd.GeoDataFrame,
    work: Path,
    client: Any,
    address: str,
    workers: int,
) -> pd.DataFrame:
    import dask
    import dask.dataframe as dd

    if not plan.chunks:
        return _summary()
    with (
        _dask_client(client, address, workers) as dask_client,
        # partitions as read_chunk makes them: dask's object-to-Arrow string
        # conversion would add a task between reading and processing, which keeps
        # the two from fusing into one task per chunk (then partitions are read
        # ahead and moved between workers)
        dask.config.set({"dataframe.convert-string": False}),
    ):
        registry = dd.from_map(
            _read_chunk_task,
            plan.chunks,
            plan=plan,
            meta=_raw_meta(plan),
            enforce_metadata=False,
        )
        # sent once to every worker rather than with every task
        shared_options, shared_regions = dask_client.scatter(
            [options, regions], broadcast=True
        )
        summaries = registry.map_partitions(
            process_chunk,
            shared_options,
            shared_regions,
            str(work),
            meta=_summary(),
            enforce_metadata=False,
        )
        # optimize() fuses reading and processing into one task per chunk;
        # Client.compute alone leaves them apart
        return dask_client.compute(summaries.optimize(), sync=True)


def _raw_meta(plan: ChunkPlan) -> pd.DataFrame:
    """Empty frame with the columns :func:`read_chunk` returns (dask's meta)."""
    first = plan.chunks[0]
    if first.staged:
        frame = pq.ParquetFile(first.path).schema_arrow.empty_table().to_pandas()
    else:
        schema = pq.ParquetFile(first.path).schema_arrow
        frame = _parquet_frame(schema.empty_table(), plan, 0)
    frame[_EARLIER] = pd.Series([], dtype=np.int64)
    return frame


# --- outputs --------------------------------------------------------------------------
def _text_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas strings, so every part file has one Arrow schema
    (an object column of ``None`` alone would be Arrow's null type)."""
    out = frame.copy()
    for name in out.columns:
        if name == getattr(out, "_geometry_column_name", None):
            continue
        dtype = out[name].dtype
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            out[name] = out[name].astype("str")
    return out


def _write_firms(firms: gpd.GeoDataFrame, path: Path) -> None:
    """GeoParquet as ``GeoDataFrame.to_parquet`` writes it (same schema, WKB and
    ``geo`` metadata), with each distinct point encoded once: the firms of a chunk
    share a few gazetteer points, and WKB encoding was a tenth of a chunk's time."""
    frame = _text_dtypes(firms)
    name = firms.geometry.name
    try:
        from geopandas.io._geoarrow import construct_wkb_array
        from geopandas.io.arrow import _create_metadata, _encode_metadata
    except ImportError:  # a geopandas that moved its helpers: encode every point
        frame.to_parquet(path, index=False)
        return
    shapes = np.asarray(firms.geometry.values, dtype=object)
    # the same shapely object -> the same bytes (firm_chain shares one per point)
    codes, first = _first_positions(
        np.fromiter(map(id, shapes), dtype=np.int64, count=len(shapes))
    )
    distinct = gpd.GeoDataFrame(
        geometry=gpd.GeoSeries(shapes[first], crs=firms.crs), crs=firms.crs
    )
    field, wkb = construct_wkb_array(
        np.asarray(distinct.geometry.values, dtype=object),
        field_name=name,
        crs=firms.crs,
    )
    attributes = pd.DataFrame(frame.copy(deep=False))
    attributes[name] = None
    table = pa.Table.from_pandas(attributes, preserve_index=False)
    table = table.set_column(
        table.schema.get_field_index(name), field, wkb.take(pa.array(codes))
    )
    metadata = dict(table.schema.metadata)
    metadata[b"geo"] = _encode_metadata(_create_metadata(distinct))
    pq.write_table(table.replace_schema_metadata(metadata), path)


def _first_positions(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``keys`` in order of first appearance and where each first appears."""
    codes = pd.factorize(keys)[0]
    new = np.ones(len(codes), dtype=bool)
    new[1:] = codes[1:] > np.maximum.accumulate(codes)[:-1]
    return codes, np.flatnonzero(new)


def _write_rejected(rejected: pd.DataFrame, path: Path) -> None:
    # every column is text but source_row, also in a chunk without rejected rows
    text = rejected.astype({c: "str" for c in rejected.columns if c != "source_row"})
    text.to_parquet(path, index=False)


def _write_empty(folder: Path, name: str, crs: str) -> None:
    """An empty part file, so a run without rows still leaves a readable dataset."""
    frame = pd.DataFrame({"source_row": pd.Series([], dtype=np.int64)})
    if name == FIRMS_DIR:
        frame = gpd.GeoDataFrame(frame, geometry=[], crs=crs)
    frame.to_parquet(folder / "part-000000000000.parquet", index=False)


def read_firms(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """The located firms of a run (``FirmEngineResult.firms_path``), in row order
    (see :func:`run_firm_chain` for an example)."""
    firms = gpd.read_parquet(Path(path))
    return firms.sort_values("source_row", kind="stable", ignore_index=True)


def read_rejected(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The rejected rows of a run (``FirmEngineResult.rejected_path``), in row order."""
    rejected = pd.read_parquet(Path(path))
    return rejected.sort_values("source_row", kind="stable", ignore_index=True)


def open_firms(path: str | os.PathLike[str]) -> Any:
    """The located firms of a run as a lazy ``dask_geopandas.GeoDataFrame``, one
    partition per part file (for steps that run on the cluster)."""
    import dask_geopandas

    return dask_geopandas.read_parquet(str(Path(path)))


# --- in-memory frames by chunks: what the Dagster assets call -------------------------
def map_chunks(
    func: Callable[..., Any],
    frame: pd.DataFrame,
    *,
    engine: str = "chunked",
    chunk_rows: int = 500_000,
    client: Any = None,
    per_chunk: Mapping[str, np.ndarray] | None = None,
    shared: Mapping[str, Any] | None = None,
) -> list[Any]:
    """``func`` over consecutive row chunks of a frame, in this process or on Dask.

    Parameters
    ----------
    func : callable
        Called as ``func(chunk, **per_chunk_slices, **shared)``; must be importable
        by the Dask workers (a module-level function).
    frame : pandas.DataFrame
        Rows to split; an empty frame is one empty chunk.
    engine : {"chunked", "dask"}
        One chunk after the other here, or every chunk as a task on ``client``.
    chunk_rows : int
        Rows per chunk.
    client : distributed.Client, optional
        Required for ``"dask"``.
    per_chunk : mapping of str to array, optional
        Arrays aligned with ``frame``'s rows; each chunk gets its slice.
    shared : mapping, optional
        Arguments every chunk gets (on Dask, sent once to every worker).

    Returns
    -------
    list
        ``func``'s results, in chunk order.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": range(5)})
    >>> map_chunks(lambda c, k: int(c["x"].sum()) * k, frame, chunk_rows=2,
    ...            shared={"k": 10})
    [10, 50, 40]
    """
    if int(chunk_rows) < 1:
        raise ValueError(f"chunk_rows must be a positive row count; got {chunk_rows}")
    if engine not in ("chunked", "dask"):
        raise ValueError(f"engine {engine!r}: map_chunks runs 'chunked' or 'dask'")
    if engine == "dask" and client is None:
        raise ValueError("engine 'dask' needs a distributed.Client (client=...)")
    starts = range(0, max(len(frame), 1), int(chunk_rows))
    bounds = [(a, min(a + int(chunk_rows), len(frame))) for a in starts]
    chunks = [frame.iloc[a:b] for a, b in bounds]
    extra = [{k: v[a:b] for k, v in (per_chunk or {}).items()} for a, b in bounds]
    shared = dict(shared or {})
    if engine == "chunked":
        return [func(c, **e, **shared) for c, e in zip(chunks, extra, strict=True)]
    if shared:
        sent = client.scatter(list(shared.values()), broadcast=True)
        shared = dict(zip(shared, sent, strict=True))
    futures = [
        client.submit(func, c, **e, **shared, pure=False)
        for c, e in zip(client.scatter(chunks), extra, strict=True)
    ]
    return client.gather(futures)


def registry_earlier_rows(raw: pd.DataFrame) -> np.ndarray:
    """Per row of a whole registry, the ``source_row`` of the first row with the same
    stripped ``firm_id`` (0: none): the global pass that lets chunks be validated
    apart (``validate_registry_fast(..., earlier_rows=...)``).

    Examples
    --------
    >>> raw = pd.DataFrame({"firm_id": ["a", "b ", "b"], "source_row": [1, 2, 3]})
    >>> registry_earlier_rows(raw).tolist()
    [0, 0, 2]
    """
    ids = raw["firm_id"] if len(raw) else pd.Series([], dtype=object)
    every = _stripped_ids(ids)
    encoded = pc.dictionary_encode(every)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return earlier_duplicates(codes, raw["source_row"].to_numpy(dtype=np.int64))


def validate_chunk(
    raw: pd.DataFrame, earlier_rows: np.ndarray, options: Mapping[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One chunk of ``validate_registry`` (the ``validate_firms`` asset by chunks)."""
    return validate_registry_fast(raw, **options, earlier_rows=earlier_rows)


def locate_chunk(
    validated: pd.DataFrame, options: Mapping[str, Any]
) -> gpd.GeoDataFrame:
    """One chunk of the ``firm_locations`` asset (offline tiers)."""
    return locate_firms(validated, **options)


def assign_chunk(
    located: gpd.GeoDataFrame, regions: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """One chunk of the ``firms_in_regions`` asset."""
    return assign_to_regions_by_point(located, regions)
