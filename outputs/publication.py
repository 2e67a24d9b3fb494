"""Versioned, atomic publications: a folder per run, a ``latest`` pointer."""

# Layout (one study folder, e.g. published/georgia-demo):
#
#   <study_dir>/<partition>/<run_id>/       a complete publication (manifest.json last)
#   <study_dir>/<partition>/latest          symlink -> <run_id>, moved only on success
#   <study_dir>/<partition>/.staging-...    a publication being written (or killed)
#
# A run writes everything into its staging folder, writes manifest.json, renames the
# folder to <run_id> (one rename) and then swaps `latest` with os.replace of a fresh
# symlink (one rename). A run that fails, or is killed at any instant, leaves the
# previous publications and `latest` exactly as they were; its staging folder is
# removed by the next run once its process is gone.

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import sys
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata as importlib_metadata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.privacy import redact_secrets
from outputs.geopackage import _fsync_directory

__all__ = [
    "DEFAULT_PACKAGES",
    "LATEST",
    "MANIFEST",
    "Publication",
    "build_provenance",
    "file_sha256",
    "latest_publication",
    "list_publications",
    "publish_bundle",
    "verify_publication",
]

LATEST = "latest"
"""Name of the pointer (a relative symlink) to the newest complete publication."""

MANIFEST = "manifest.json"
"""Written last into a publication: run id, time, every file with size and sha256."""

DEFAULT_PACKAGES: tuple[str, ...] = (
    "agglo",
    "dagster",
    "esda",
    "geopandas",
    "libpysal",
    "numpy",
    "pandas",
    "pyogrio",
    "pyproj",
    "rasterio",
    "shapely",
)
"""Distributions whose versions go into the provenance."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_STAGING = ".staging-"
_POINTER_TMP = ".latest.tmp-"


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_name(value: object, what: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value) or value == LATEST:
        raise ValueError(
            f"{what} {value!r} cannot name a folder: use 1-128 letters, digits, '.', "
            f"'_' or '-', starting with a letter or digit, and not {LATEST!r} "
            "(e.g. the Dagster run id or '2024')."
        )
    return value


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks.

    Parameters
    ----------
    path : path-like
        A readable file.

    Returns
    -------
    str
        64 lower-case hex digits.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "empty"
    >>> _ = p.write_bytes(b"")
    >>> file_sha256(p)[:16]  # SHA-256 of no bytes
    'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return importlib_metadata.version(package)
    except importlib_metadata.PackageNotFoundError:
        return "not installed"


def build_provenance(
    *,
    run_id: str,
    study: str,
    partition: str = "all",
    inputs: Mapping[str, str | os.PathLike[str] | None] | None = None,
    parameters: Mapping | None = None,
    packages: Sequence[str] = DEFAULT_PACKAGES,
    created: str | None = None,
) -> dict:
    """How a publication was made: run, inputs with hashes, parameters, versions.

    Parameters
    ----------
    run_id : str
        The run that made it (Dagster's ``context.run_id``).
    study : str
        Study name.
    partition : str
        Partition published (e.g. the year), or ``"all"``.
    inputs : mapping of str to path, optional
        Input name to file; each is hashed (SHA-256) and sized. ``None`` values
        (an optional input the study lacks) are left out.
    parameters : mapping, optional
        Result-changing parameters (e.g. the study's ``methods``), JSON values.
    packages : sequence of str
        Distributions whose installed versions are recorded.
    created : str, optional
        ISO 8601 UTC time; default now.

    Returns
    -------
    dict
        ``run_id``, ``study``, ``partition``, ``created``, ``inputs`` (name to
        ``{"path", "sha256", "bytes"}``), ``parameters``, ``versions`` (also
        ``python``); JSON-serialisable.

    Raises
    ------
    FileNotFoundError
        If an input file does not exist.

    Examples
    --------
    >>> p = build_provenance(run_id="r1", study="demo", packages=["numpy"],
    ...                      created="2026-01-01T00:00:00Z")
    >>> p["run_id"], p["inputs"], p["versions"]["numpy"] == np.__version__
    ('r1', {}, True)
    """
    hashed = {}
    for name, value in (inputs or {}).items():
        if value is None:
            continue
        path = Path(value)
        if not path.is_file():
            raise FileNotFoundError(
                f"input {name!r} file {str(path)!r} does not exist, so it cannot be "
                "hashed for the provenance. Pass the file the run actually read."
            )
        hashed[name] = {
            "path": str(path),
            "sha256": file_sha256(path),
            "bytes": path.stat().st_size,
        }
    versions = {package: _version(package) for package in packages}
    versions["python"] = ".".join(str(v) for v in sys.version_info[:3])
    return {
        "run_id": run_id,
        "study": study,
        "partition": partition,
        "created": created or _utc_now(),
        "inputs": hashed,
        # no credentials in published metadata: URL user:password, API keys,
        # User-Agent contacts (geo.privacy.SECRET_KEYS)
        "parameters": redact_secrets(
            json.loads(json.dumps(dict(parameters or {}), default=str))
        ),
        "versions": versions,
    }


# ------------------------------------------------------------------ publication


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]+", "", socket.gethostname())[:32] or "host"


def _fsync_tree(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(Path(folder) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_directory(Path(folder))


def _remove_stale(partition_dir: Path) -> list[str]:
    """Remove staging folders and pointer temporaries of dead processes (this host)."""
    removed = []
    host = _host()
    for entry in partition_dir.iterdir():
        name = entry.name
        if not name.startswith((_STAGING, _POINTER_TMP)):
            continue
        # .staging-<run>-<host>-<pid>-<token>, .latest.tmp-<host>-<pid>-<token>
        parts = name.rsplit("-", 3)
        if len(parts) != 4 or parts[1] != host or not parts[2].isdigit():
            continue
        if _alive(int(parts[2])):
            continue
        if entry.is_symlink() or entry.is_file():
            entry.unlink(missing_ok=True)
        else:
            shutil.rmtree(entry, ignore_errors=True)
        removed.append(name)
    return removed


class Publication:
    """One publication being written; a context manager that commits on success.

    Parameters
    ----------
    study_dir : path-like
        The study's publication folder (e.g. ``published/georgia-demo``).
    partition : str
        Partition folder (e.g. the year), ``"all"`` when unpartitioned.
    run_id : str, optional
        Folder name of this publication; default a UTC timestamp. Must not exist.
    keep : int, optional
        After a successful commit, keep only the newest ``keep`` publications of the
        partition (never removing the one ``latest`` points to); ``None`` keeps all.

    Attributes
    ----------
    staging : pathlib.Path
        Folder to write into (hidden, unique to this process).
    path : pathlib.Path
        Where the publication appears on success: ``<study_dir>/<partition>/<run_id>``.
    latest : pathlib.Path
        The pointer moved on success.

    Raises
    ------
    ValueError
        If ``partition`` or ``run_id`` cannot name a folder, the publication exists
        already, or ``keep`` < 1.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with Publication(root, run_id="r1") as staging:
    ...     _ = (staging / "a.txt").write_text("hello")
    >>> latest_publication(root).name, (root / "all" / "latest" / "a.txt").read_text()
    ('r1', 'hello')
    """

    def __init__(
        self,
        study_dir: str | os.PathLike[str],
        *,
        partition: str = "all",
        run_id: str | None = None,
        keep: int | None = None,
    ) -> None:
        partition = _check_name(partition, "partition")
        if run_id is None:
            run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self.run_id = _check_name(run_id, "run_id")
        if keep is not None and (not isinstance(keep, int) or keep < 1):
            raise ValueError(f"keep must be None or an int >= 1; got {keep!r}.")
        self.keep = keep
        self.partition_dir = Path(study_dir) / partition
        self.path = self.partition_dir / self.run_id
        self.latest = self.partition_dir / LATEST
        if self.path.exists():
            raise ValueError(
                f"publication {str(self.path)!r} exists already; a run id is published "
                "once. Use a new run id (or remove the folder to republish it)."
            )
        self.partition_dir.mkdir(parents=True, exist_ok=True)
        self.removed_stale = _remove_stale(self.partition_dir)
        token = secrets.token_hex(4)
        self.staging = self.partition_dir / (
            f"{_STAGING}{self.run_id}-{_host()}-{os.getpid()}-{token}"
        )
        self.staging.mkdir()
        self.committed = False

    # -- context manager
    def __enter__(self) -> Path:
        return self.staging

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self.abort()
            return
        try:
            self.commit()
        except BaseException:
            if not self.committed and self.staging.exists():
                self.abort()
            raise

    def abort(self) -> None:
        """Remove the staging folder; earlier publications are untouched."""
        shutil.rmtree(self.staging, ignore_errors=True)

    def commit(self, *, provenance: Mapping | None = None) -> Path:
        """Manifest, fsync, rename to `path`, move `latest`; return `path`."""
        if self.committed:
            return self.path
        files = {}
        for file in sorted(p for p in self.staging.rglob("*") if p.is_file()):
            relative = file.relative_to(self.staging).as_posix()
            files[relative] = {
                "bytes": file.stat().st_size,
                "sha256": file_sha256(file),
            }
        manifest = {
            "run_id": self.run_id,
            "partition": self.partition_dir.name,
            "committed": _utc_now(),
            "files": files,
        }
        if provenance is not None:
            manifest["provenance"] = provenance
        (self.staging / MANIFEST).write_text(
            json.dumps(manifest, indent=2, default=str), encoding="utf-8"
        )
        _fsync_tree(self.staging)
        os.rename(self.staging, self.path)  # atomic; fails if path appeared meanwhile
        _fsync_directory(self.partition_dir)
        _point_latest(self.partition_dir, self.run_id)
        self.committed = True
        if self.keep is not None:
            _prune(self.partition_dir, self.keep)
        return self.path


def _point_latest(partition_dir: Path, run_id: str) -> None:
    """Atomically make ``latest`` a relative symlink to ``run_id``."""
    tmp = partition_dir / (
        f"{_POINTER_TMP}{_host()}-{os.getpid()}-{secrets.token_hex(4)}"
    )
    try:
        os.symlink(run_id, tmp, target_is_directory=True)
        os.replace(tmp, partition_dir / LATEST)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_directory(partition_dir)


def list_publications(
    study_dir: str | os.PathLike[str], *, partition: str = "all"
) -> list[Path]:
    """Complete publications of a partition (with a manifest), oldest first.

    Parameters
    ----------
    study_dir : path-like
        The study's publication folder.
    partition : str
        Partition folder name.

    Returns
    -------
    list of pathlib.Path
        Folders holding `MANIFEST`, ordered by its ``committed`` time; staging
        folders and killed runs are never listed.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for run in ("b", "a"):
    ...     with Publication(root, run_id=run) as staging:
    ...         pass
    >>> [p.name for p in list_publications(root)]
    ['b', 'a']
    """
    folder = Path(study_dir) / partition
    if not folder.is_dir():
        return []
    found = []
    for entry in folder.iterdir():
        if entry.name.startswith(".") or entry.is_symlink() or not entry.is_dir():
            continue
        manifest = entry / MANIFEST
        if manifest.is_file():
            try:
                committed = json.loads(manifest.read_text(encoding="utf-8"))[
                    "committed"
                ]
            except (ValueError, KeyError):
                continue
            found.append((committed, entry.name, entry))
    return [entry for *_key, entry in sorted(found)]


def _prune(partition_dir: Path, keep: int) -> None:
    publications = list_publications(partition_dir.parent, partition=partition_dir.name)
    current = latest_publication(partition_dir.parent, partition=partition_dir.name)
    for old in publications[: max(0, len(publications) - keep)]:
        if current is not None and old.resolve() == current.resolve():
            continue
        shutil.rmtree(old, ignore_errors=True)


def latest_publication(
    study_dir: str | os.PathLike[str], *, partition: str = "all"
) -> Path | None:
    """The publication ``latest`` points to, or ``None`` before the first success.

    Parameters
    ----------
    study_dir : path-like
        The study's publication folder.
    partition : str
        Partition folder name.

    Returns
    -------
    pathlib.Path or None
        ``<study_dir>/<partition>/<run_id>`` (resolved through the symlink).

    Examples
    --------
    >>> import tempfile
    >>> latest_publication(tempfile.mkdtemp()) is None
    True
    """
    pointer = Path(study_dir) / partition / LATEST
    if not pointer.is_symlink():
        return None
    return pointer.parent / os.readlink(pointer)


def verify_publication(folder: str | os.PathLike[str]) -> list[str]:
    """Problems found re-hashing a publication against its manifest (empty: intact).

    Parameters
    ----------
    folder : path-like
        A publication folder (or the ``latest`` pointer).

    Returns
    -------
    list of str
        One line per missing, extra or changed file; ``[]`` when every file
        matches the manifest.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with Publication(root, run_id="r1") as staging:
    ...     _ = (staging / "a.txt").write_text("hello")
    >>> verify_publication(root / "all" / "latest")
    []
    >>> _ = (root / "all" / "r1" / "a.txt").write_text("HELLO")  # same size
    >>> verify_publication(root / "all" / "r1")
    ['a.txt: sha256 differs from the manifest']
    """
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        return [f"{MANIFEST} is missing: {str(folder)!r} is not a complete publication"]
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    problems = []
    listed = manifest.get("files", {})
    present = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }
    for name, entry in sorted(listed.items()):
        file = folder / name
        if name not in present:
            problems.append(f"{name}: missing")
        elif file.stat().st_size != entry["bytes"]:
            problems.append(
                f"{name}: {file.stat().st_size} bytes, manifest says {entry['bytes']}"
            )
        elif file_sha256(file) != entry["sha256"]:
            problems.append(f"{name}: sha256 differs from the manifest")
    for name in sorted(present - set(listed)):
        problems.append(f"{name}: not in the manifest")
    return problems


# ------------------------------------------------------------------ the bundle


def _density_layer(
    density: tuple[np.ndarray, object, object], folder: Path
) -> tuple[object, Path] | None:
    from outputs.geotiff import write_cog
    from outputs.qgis_project import ProjectLayer
    from outputs.styles import density_style

    array, transform, crs = density
    positive = array[np.isfinite(array) & (array > 0)]
    if positive.size == 0:
        return None
    maximum = float(np.percentile(positive, 98))
    if maximum <= 0:
        maximum = float(positive.max())
    qml = density_style(maximum)
    path = write_cog(array, transform, crs, folder / "density.tif", qml=qml)
    rows, cols = array.shape
    west, north = transform @ (0, 0)
    east, south = transform @ (cols, rows)
    layer = ProjectLayer(
        name="Firm density",
        source="density.tif",
        crs=crs,
        kind="raster",
        geometry=None,
        style=qml,
        extent=(min(west, east), min(south, north), max(west, east), max(south, north)),
    )
    return layer, path


def publish_bundle(
    layers: Mapping[str, gpd.GeoDataFrame],
    study_dir: str | os.PathLike[str],
    *,
    run_id: str,
    title: str,
    partition: str = "all",
    descriptions: Mapping[str, tuple[str, str]] | None = None,
    provenance: Mapping | None = None,
    density: tuple[np.ndarray, object, object] | None = None,
    weights: object | None = None,
    moran: pd.DataFrame | None = None,
    industry_names: Mapping[str, str] | None = None,
    focus_industry: str | None = None,
    geojson_layers: Sequence[str] | None = None,
    keep: int | None = None,
    before_commit: Callable[[Path], None] | None = None,
) -> Path:
    """Publish every artefact of a run as one versioned, atomic publication.

    Parameters
    ----------
    layers : mapping of str to geopandas.GeoDataFrame
        The published layers (``regions``, ``location_quotients``, ``lisa``,
        ``clusters``, ``firms``, ...). Not modified.
    study_dir : path-like
        The study's publication folder.
    run_id : str
        Folder name of the publication (the Dagster run id).
    title : str
        Title of the QGIS project and the report.
    partition : str
        Partition folder (e.g. the year) or ``"all"``.
    descriptions : mapping of str to (str, str), optional
        Title and abstract per layer (GeoPackage, metadata, project).
    provenance : mapping, optional
        From `build_provenance`; into the GeoPackage metadata, ``provenance.json``,
        the manifest and the report.
    density : tuple, optional
        ``(array, transform, crs)`` of `geo.points.density_grid`: written as
        ``density.tif`` (COG) with ``density.qml`` and added to the project.
    weights : libpysal.graph.Graph, optional
        Analysis weights, for the report's Moran scatterplots.
    moran : pandas.DataFrame, optional
        Global Moran table, for the report.
    industry_names : mapping of str to str, optional
        Readable industry names (project groups, report).
    focus_industry : str, optional
        Industry shown when the project opens (default: most High-High regions).
    geojson_layers : sequence of str, optional
        Layers also written as GeoJSON (default: all).
    keep : int, optional
        Keep only the newest ``keep`` publications (see `Publication`).
    before_commit : callable, optional
        Called with the staging folder after everything is written and before the
        commit (tests use it to stop a run at that point).

    Returns
    -------
    pathlib.Path
        The committed publication ``<study_dir>/<partition>/<run_id>``:
        ``agglomeration.gpkg``, ``agglomeration.qgz``, ``density.tif`` +
        ``density.qml`` (if ``density``), ``geoparquet/<layer>.parquet``,
        ``geojson/<layer>.geojson``, ``report/index.html`` with its PNGs,
        ``provenance.json`` and ``manifest.json``.

    Raises
    ------
    ValueError
        As the writers do (bad layers, names, CRS, styles); nothing is published
        then and ``latest`` does not move.

    Examples
    --------
    >>> import tempfile
    >>> from shapely.geometry import box
    >>> regions = gpd.GeoDataFrame({"region_id": ["a"], "employment": [10]},
    ...     geometry=[box(0, 0, 1000, 1000)], crs="EPSG:32616")
    >>> out = publish_bundle({"regions": regions}, tempfile.mkdtemp(), run_id="r1",
    ...                      title="Demo")
    >>> sorted(p.name for p in out.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['agglomeration.gpkg', 'agglomeration.qgz', 'geojson', 'geoparquet',
     'manifest.json']
    """
    from outputs.geopackage import publish_geopackage, read_layer_metadata
    from outputs.geoparquet import write_geojson_layers, write_geoparquet
    from outputs.qgis_project import agglomeration_project_tree, write_qgis_project
    from outputs.report import write_report
    from outputs.styles import alternative_styles, style_for

    publication = Publication(study_dir, partition=partition, run_id=run_id, keep=keep)
    try:
        staging = publication.staging
        styles = {}
        for name, gdf in layers.items():
            qml = style_for(name, gdf)
            if qml is not None:
                styles[name] = qml
        gpkg = publish_geopackage(
            layers,
            staging / "agglomeration.gpkg",
            styles=styles,
            descriptions=descriptions,
            provenance=provenance,
        )
        project_styles = dict(styles)
        for name, gdf in layers.items():
            if name in styles:
                project_styles.update(alternative_styles(name, gdf))
        raster = None
        if density is not None:
            made = _density_layer(density, staging)
            raster = made[0] if made else None
        tree = agglomeration_project_tree(
            gpkg.name,
            layers,
            project_styles,
            metadata=read_layer_metadata(gpkg),
            focus_industry=focus_industry,
            industry_names=industry_names,
            raster=raster,
        )
        base = layers.get("regions")
        if base is None:
            base = next(iter(layers.values()))
        present = base.geometry[base.geometry.notna() & ~base.geometry.is_empty]
        extent = tuple(float(v) for v in present.total_bounds) if len(present) else None
        write_qgis_project(
            staging / "agglomeration.qgz",
            tree,
            crs=base.crs,
            title=title,
            extent=extent,
        )
        for name, gdf in layers.items():
            write_geoparquet(gdf, staging / "geoparquet" / f"{name}.parquet")
        write_geojson_layers(
            {
                name: gdf
                for name, gdf in layers.items()
                if geojson_layers is None or name in geojson_layers
            },
            staging / "geojson",
        )
        if "lisa" in layers or "location_quotients" in layers:
            write_report(
                layers,
                staging / "report",
                title=title,
                weights=weights,
                moran=moran,
                industry_names=industry_names,
                provenance=provenance,
            )
        if provenance is not None:
            (staging / "provenance.json").write_text(
                json.dumps(provenance, indent=2, default=str), encoding="utf-8"
            )
        if before_commit is not None:
            before_commit(staging)
        return publication.commit(provenance=provenance)
    except BaseException:
        publication.abort()
        raise
