"""Dagster resources: the studies under analysis, the online geocoder, and where
layers are published."""

import atexit
from functools import cache
from pathlib import Path

import dagster as dg
import pandas as pd

from data_sources.demo_study import prepare_demo_study
from data_sources.online_geocoder import OnlineGeocoder
from data_sources.study import (
    EngineSpec,
    OnlineGeocoderSpec,
    Study,
    StudyError,
    load_study,
)
from pipelines.partitions import study_and_year
from pipelines.paths import default_publish_dir, demo_dir, project_root


@cache
def _load(study_file: str) -> Study:
    path = Path(study_file) if study_file else prepare_demo_study(demo_dir())
    return load_study(path)


class StudyResource(dg.ConfigurableResource):
    """The study files by study name, each validated once per process."""

    study_files: dict[str, str] = {}
    """Study name -> study YAML; an empty path means the built-in Georgia demo."""

    def load(self, name: str) -> Study:
        if name not in self.study_files:
            raise StudyError(
                f"no study named {name!r}; known studies: {sorted(self.study_files)}. "
                "Put its file in studies/ or point AGGLO_STUDY at it"
            )
        study = _load(self.study_files[name])
        if study.name != name:
            raise StudyError(
                f"{self.study_files[name]}: its name is {study.name!r}, not {name!r}"
            )
        return study

    def for_step(self, context) -> tuple[Study, int]:
        """The study and year of a partitioned step; refuses a year the study lacks."""
        name, year = study_and_year(context)
        study = self.load(name)
        if year not in study.analysis_years:
            raise StudyError(
                f"study {name!r} has no year {year}; its years are "
                f"{study.analysis_years} (study field 'years'); run one of them."
            )
        return study, year


class PublicationResource(dg.ConfigurableResource):
    """Where published layers go: one folder per study, then per year."""

    root: str = ""
    """Publication root for every study (``$AGGLO_OUT``, ``agglo run --out``); empty
    for each study's ``publish.dir``, else ``published/<study name>``."""

    def folder(self, study: Study, year: int) -> Path:
        """``<root>/<year>`` (root: this resource's, the study's, or the default)."""
        if self.root:
            root = Path(self.root).resolve()
        elif study.publish.dir:
            root = Path(study.publish.dir)
        else:
            root = default_publish_dir(study.name)
        return root / str(year)


class GeocoderResource(dg.ConfigurableResource):
    """The online geocoder the study's ``online`` tier asks (offline tiers need none).

    The study says which provider and tiers a study uses; an operator's deployment
    says where the service is, who is asking and where answers are cached. Every
    field set here overrides the study's ``geocoder.online`` value.
    """

    enabled: bool = True
    """False: the online tier asks nothing; its firms stay unmatched with the reason
    (for a run without network, or when the provider's quota is spent)."""
    url: str = ""
    """Base URL of the service (``$AGGLO_GEOCODER_URL``), e.g. a self-hosted
    Nominatim; empty for the study's ``geocoder.online.url``."""
    contact: str = ""
    """E-mail or URL put in the User-Agent (``$AGGLO_GEOCODER_CONTACT``)."""
    api_key: str = ""
    """Key for providers that need one (``$AGGLO_GEOCODER_API_KEY``)."""
    cache_dir: str = ""
    """Folder of the answer cache (``$AGGLO_GEOCODER_CACHE``); empty for the study's
    ``geocoder.online.cache_dir`` (default ``.cache/geocoder`` in the project)."""
    rate_per_s: float = 0.0
    """Most requests per second; 0 for the study's ``rate_per_s``."""

    def settings(self, spec: OnlineGeocoderSpec) -> dict:
        """Keyword arguments of `OnlineGeocoder`: the study's, overridden here."""
        options = spec.model_dump(exclude_none=True)
        cache_dir = Path(self.cache_dir or options["cache_dir"])
        if not cache_dir.is_absolute():
            cache_dir = project_root() / cache_dir
        options["cache_dir"] = str(cache_dir)
        if self.url:
            options["url"] = self.url
        if self.rate_per_s:
            options["rate_per_s"] = self.rate_per_s
        if self.api_key:
            options["api_key"] = self.api_key
        if self.contact and "user_agent" not in options:
            options["contact"] = self.contact
        return options

    def client(self, spec: OnlineGeocoderSpec) -> OnlineGeocoder | None:
        """An open client for ``spec`` (close it after use); None when disabled, and
        `switched_off` is then the tier's lookup.

        Raises
        ------
        ValueError
            If the settings are unusable (no contact for the User-Agent: set
            ``$AGGLO_GEOCODER_CONTACT`` or the resource's ``contact``; a bad URL;
            too fast a rate).
        """
        if not self.enabled:
            return None
        return OnlineGeocoder(**self.settings(spec))


def switched_off(queries) -> pd.DataFrame:
    """The online tier's answer when `GeocoderResource.enabled` is false: nothing
    found, and the reason, so those firms stay unmatched and say why."""
    return pd.DataFrame(
        {
            "lat": float("nan"),
            "lon": float("nan"),
            "score": float("nan"),
            "reason": "switched off by the deployment (geocoder resource enabled: "
            "false)",
        },
        index=range(len(queries)),
    )


_LOCAL_CLUSTERS: dict[int, object] = {}


def _close_local_clusters() -> None:
    for client in _LOCAL_CLUSTERS.values():
        cluster = client.cluster
        client.close()
        cluster.close()
    _LOCAL_CLUSTERS.clear()


class DaskResource(dg.ConfigurableResource):
    """The Dask cluster of studies whose ``engine.firms`` is ``dask``.

    The scheduler is this resource's ``address`` (``$AGGLO_DASK_ADDRESS``, set by
    the deployment), else the study's ``engine.dask_address``, else a local cluster
    of ``engine.dask_workers`` processes, started once per process and shared by its
    steps (a local cluster takes seconds to start).
    """

    address: str = ""
    """Scheduler address, e.g. ``tcp://dask-scheduler:8786``; overrides studies."""

    def client(self, spec: EngineSpec):
        """A connected ``distributed.Client`` for the study's engine settings."""
        from distributed import Client, LocalCluster

        address = self.address or spec.dask_address
        if address:
            return Client(address, set_as_default=False)
        if spec.dask_workers not in _LOCAL_CLUSTERS:
            if not _LOCAL_CLUSTERS:
                atexit.register(_close_local_clusters)
            cluster = LocalCluster(
                n_workers=spec.dask_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            _LOCAL_CLUSTERS[spec.dask_workers] = Client(cluster, set_as_default=False)
        return _LOCAL_CLUSTERS[spec.dask_workers]

    def release(self, client) -> None:
        """Close a client to a remote scheduler; a local cluster's stays open."""
        if client not in _LOCAL_CLUSTERS.values():
            client.close()
