"""Versioned, atomic publication: latest moves only on success, kills leave no trace.

Also the open formats of a publication (GeoParquet 1.1, RFC 7946 GeoJSON, the report
files and the manifest), read back with plain pyarrow / json.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq
import pytest
from shapely.geometry import Polygon, shape

from outputs.publication import (
    LATEST,
    MANIFEST,
    Publication,
    build_provenance,
    file_sha256,
    latest_publication,
    list_publications,
    publish_bundle,
    verify_publication,
)

ROOT = Path(__file__).resolve().parents[2]
QGIS_DIR = ROOT / "tests" / "qgis"
_spec = importlib.util.spec_from_file_location(
    "sample_layers", QGIS_DIR / "sample_layers.py"
)
sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample)


def _publish(study_dir: Path, run_id: str, **options) -> Path:
    """A quick publication: GeoPackage, project, GeoParquet, GeoJSON (no report)."""
    layers = sample.sample_layers()
    return publish_bundle(
        {k: layers[k] for k in ("regions", "clusters")},
        study_dir,
        run_id=run_id,
        title="Sample",
        **options,
    )


# -------------------------------------------------------------- the basic contract


def test_commit_moves_latest_and_keeps_older_publications(tmp_path):
    with Publication(tmp_path, run_id="r1") as staging:
        (staging / "a.txt").write_text("one")
        # nothing is visible while the run writes
        assert latest_publication(tmp_path) is None
        assert list_publications(tmp_path) == []
    with Publication(tmp_path, run_id="r2") as staging:
        (staging / "a.txt").write_text("two")
    partition = tmp_path / "all"
    assert os.readlink(partition / LATEST) == "r2"  # relative: the tree can move
    assert (partition / LATEST / "a.txt").read_text() == "two"
    assert (partition / "r1" / "a.txt").read_text() == "one"
    assert [p.name for p in list_publications(tmp_path)] == ["r1", "r2"]
    assert sorted(os.listdir(partition)) == ["latest", "r1", "r2"]  # no staging left
    manifest = json.loads((partition / "r2" / MANIFEST).read_text())
    assert manifest["files"] == {
        "a.txt": {"bytes": 3, "sha256": file_sha256(partition / "r2" / "a.txt")}
    }
    assert verify_publication(partition / LATEST) == []


def test_failed_run_leaves_latest_and_the_last_publication(tmp_path):
    with Publication(tmp_path, run_id="r1") as staging:
        (staging / "a.txt").write_text("one")
    with (
        pytest.raises(RuntimeError, match="boom"),
        Publication(tmp_path, run_id="r2") as staging,
    ):
        (staging / "a.txt").write_text("half")
        raise RuntimeError("boom")
    assert latest_publication(tmp_path).name == "r1"
    assert sorted(os.listdir(tmp_path / "all")) == ["latest", "r1"]
    assert verify_publication(tmp_path / "all" / "r1") == []


def test_failed_bundle_publishes_nothing(tmp_path):
    good = _publish(tmp_path, "run-1")
    layers = sample.sample_layers()
    bad = layers["regions"].assign(z=np.array([1 + 2j] * 16))  # no OGR type
    with pytest.raises(NotImplementedError, match="complex128"):
        publish_bundle({"regions": bad}, tmp_path, run_id="run-2", title="Sample")
    assert latest_publication(tmp_path) == good
    assert sorted(os.listdir(tmp_path / "all")) == ["latest", "run-1"]


def test_partitions_and_keep(tmp_path):
    for run in ("a", "b", "c"):
        with Publication(tmp_path, partition="2024", run_id=run, keep=2) as staging:
            (staging / "x").write_text(run)
    # the oldest beyond `keep` is removed; `latest` and the newest stay
    assert [p.name for p in list_publications(tmp_path, partition="2024")] == ["b", "c"]
    assert latest_publication(tmp_path, partition="2024").name == "c"
    assert latest_publication(tmp_path, partition="2023") is None


def test_bad_names_and_existing_run(tmp_path):
    with pytest.raises(ValueError, match=r"run_id '\.\./x' cannot name a folder"):
        Publication(tmp_path, run_id="../x")
    with pytest.raises(ValueError, match="partition 'latest' cannot name a folder"):
        Publication(tmp_path, partition="latest")
    with pytest.raises(ValueError, match="keep must be None or an int >= 1"):
        Publication(tmp_path, run_id="r", keep=0)
    with Publication(tmp_path, run_id="r1"):
        pass
    with pytest.raises(ValueError, match="exists already; a run id is published once"):
        Publication(tmp_path, run_id="r1")


def test_verify_publication_reports_changes(tmp_path):
    with Publication(tmp_path, run_id="r1") as staging:
        (staging / "a.txt").write_text("one")
        (staging / "b.txt").write_text("two")
    folder = tmp_path / "all" / "r1"
    (folder / "a.txt").unlink()
    (folder / "c.txt").write_text("new")
    assert verify_publication(folder) == [
        "a.txt: missing",
        "c.txt: not in the manifest",
    ]
    assert verify_publication(tmp_path) == [
        f"{MANIFEST} is missing: {str(tmp_path)!r} is not a complete publication"
    ]


def test_build_provenance_hashes_inputs(tmp_path):
    registry = tmp_path / "registry.csv"
    registry.write_bytes(b"abc")
    provenance = build_provenance(
        run_id="r1",
        study="s",
        inputs={"registry": registry, "statistics": None},
        parameters={"alpha": 0.05},
        packages=["numpy", "no-such-package"],
        created="2026-01-01T00:00:00Z",
    )
    # SHA-256("abc") from FIPS 180-2, appendix B.1
    assert provenance["inputs"] == {
        "registry": {
            "path": str(registry),
            "sha256": "ba7816bf8f01cfea414140de5dae2223"
            "b00361a396177a9cb410ff61f20015ad",
            "bytes": 3,
        }
    }
    assert provenance["versions"]["numpy"] == np.__version__
    assert provenance["versions"]["no-such-package"] == "not installed"
    assert provenance["parameters"] == {"alpha": 0.05}
    json.dumps(provenance)  # plain JSON
    with pytest.raises(FileNotFoundError, match="input 'x' file .* does not exist"):
        build_provenance(run_id="r", study="s", inputs={"x": tmp_path / "none"})


# ---------------------------------------------------------------- killed mid-run

CHILD = textwrap.dedent(
    """
    import importlib.util, sys, time
    from pathlib import Path
    from outputs.publication import publish_bundle

    spec = importlib.util.spec_from_file_location("sample_layers", sys.argv[3])
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)
    layers = sample.sample_layers()

    def stop(staging):
        print("STAGED", staging, flush=True)
        if sys.argv[4] == "pause":
            time.sleep(600)

    print("STARTED", flush=True)
    names = ("regions", "clusters") if sys.argv[4] == "pause" else (
        "regions", "lisa", "clusters")  # with lisa: a report too, more to kill
    publish_bundle({k: layers[k] for k in names},
                   Path(sys.argv[1]), run_id=sys.argv[2], title="Sample",
                   before_commit=stop)
    print("DONE", flush=True)
    """
)


def _child(tmp_path: Path, study_dir: Path, run_id: str, mode: str):
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    return subprocess.Popen(
        [
            sys.executable,
            str(script),
            str(study_dir),
            run_id,
            str(QGIS_DIR / "sample_layers.py"),
            mode,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _assert_latest_is_complete(study_dir: Path) -> Path:
    latest = latest_publication(study_dir)
    assert latest is not None and latest.is_dir()
    assert verify_publication(latest) == []
    return latest


def test_sigkill_before_commit_leaves_previous_publication_intact(tmp_path):
    study_dir = tmp_path / "study"
    first = _publish(study_dir, "run-1")
    before = {p.name: file_sha256(p) for p in first.rglob("*") if p.is_file()}
    child = _child(tmp_path, study_dir, "run-2", "pause")
    try:
        line = child.stdout.readline()
        while line and not line.startswith("STAGED"):
            line = child.stdout.readline()
        assert line.startswith("STAGED"), child.stderr.read()
        staging = Path(line.split(maxsplit=1)[1].strip())
        assert (staging / "agglomeration.gpkg").is_file()  # everything was written ...
        child.send_signal(signal.SIGKILL)  # ... and the process dies before commit
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    # the killed run left its staging folder, which no reader ever sees
    assert staging.is_dir()
    assert latest_publication(study_dir) == first
    assert [p.name for p in list_publications(study_dir)] == ["run-1"]
    assert {p.name: file_sha256(p) for p in first.rglob("*") if p.is_file()} == before
    _assert_latest_is_complete(study_dir)
    # the next run succeeds, moves latest and removes the dead run's staging folder
    third = _publish(study_dir, "run-3")
    assert latest_publication(study_dir) == third
    assert not staging.exists()
    assert sorted(os.listdir(study_dir / "all")) == ["latest", "run-1", "run-3"]
    assert verify_publication(first) == []


def test_sigkill_at_any_moment_keeps_latest_complete(tmp_path):
    # Wherever the kill lands (GeoPackage, project, report, rename, pointer swap),
    # `latest` names a complete publication: the old one or the new one.
    delay_s = 0.3
    study_dir = tmp_path / "study"
    _publish(study_dir, "run-1")
    child = _child(tmp_path, study_dir, "run-2", "go")
    try:
        assert child.stdout.readline().startswith("STARTED"), child.stderr.read()
        time.sleep(delay_s)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    latest = _assert_latest_is_complete(study_dir)
    assert latest.name in ("run-1", "run-2")
    following = _publish(study_dir, "run-3")
    assert _assert_latest_is_complete(study_dir) == following
    assert not [n for n in os.listdir(study_dir / "all") if n.startswith(".")]


# ------------------------------------------------------------ the open formats


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundle")
    layers = sample.sample_layers()
    provenance = build_provenance(run_id="run-1", study="sample", packages=["numpy"])
    folder = publish_bundle(
        layers,
        root,
        run_id="run-1",
        title="Sample",
        provenance=provenance,
        density=sample.sample_density(),
        industry_names=sample.NAMES,
    )
    return folder, layers


def test_bundle_contents_and_manifest(bundle):
    folder, layers = bundle
    names = sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
    )
    assert names == sorted(
        [
            "agglomeration.gpkg",
            "agglomeration.qgz",
            "density.qml",
            "density.tif",
            "manifest.json",
            "provenance.json",
            "report/clusters.png",
            "report/index.html",
            "report/industry_3141.png",
            "report/industry_5121.png",
            *(f"geoparquet/{n}.parquet" for n in layers),
            *(f"geojson/{n}.geojson" for n in layers),
        ]
    )
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["run_id"] == "run-1"
    assert manifest["provenance"]["run_id"] == "run-1"
    assert verify_publication(folder) == []


def test_geoparquet_1_1_with_projjson_crs_and_bbox_covering(bundle):
    folder, layers = bundle
    for name, gdf in layers.items():
        path = folder / "geoparquet" / f"{name}.parquet"
        schema = pq.read_schema(path)
        geo = json.loads(schema.metadata[b"geo"])
        assert geo["version"] == "1.1.0"
        column = geo["columns"]["geometry"]
        assert column["encoding"] == "WKB"
        assert column["crs"]["id"] == {"authority": "EPSG", "code": 32616}  # PROJJSON
        assert column["covering"] == {
            "bbox": {
                "xmin": ["bbox", "xmin"],
                "ymin": ["bbox", "ymin"],
                "xmax": ["bbox", "xmax"],
                "ymax": ["bbox", "ymax"],
            }
        }
        back = gpd.read_parquet(path)
        assert len(back) == len(gdf) and back.crs.to_epsg() == 32616
    bbox = pq.read_table(folder / "geoparquet" / "regions.parquet").column("bbox")
    first = bbox[0].as_py()  # r00: the south-west 10 km square
    assert first == {
        "xmin": 680000.0,
        "ymin": 3800000.0,
        "xmax": 690000.0,
        "ymax": 3810000.0,
    }


def test_geojson_is_rfc7946_wgs84(bundle):
    folder, layers = bundle
    data = json.loads((folder / "geojson" / "regions.geojson").read_text())
    assert "crs" not in data  # RFC 7946: WGS 84 lon/lat implied, no crs member
    assert len(data["features"]) == 16
    assert data["features"][0]["properties"]["region_id"] == "r00"
    ring = data["features"][0]["geometry"]["coordinates"][0]
    lon, lat = zip(*ring, strict=True)
    # x 680 km, y 3800 km in UTM 16N is in north-west Georgia: ~ -85.0, 34.3
    assert -85.1 < min(lon) < max(lon) < -84.7 and 34.2 < min(lat) < max(lat) < 34.5
    assert Polygon(ring).exterior.is_ccw  # exterior rings counter-clockwise
    assert all(len(str(v).split(".")[-1]) <= 6 for v in lon)  # 6 decimals
    firms = json.loads((folder / "geojson" / "firms.geojson").read_text())
    assert len(firms["features"]) == len(layers["firms"])
    assert shape(firms["features"][0]["geometry"]).geom_type == "Point"


def test_report_references_its_figures_and_the_cluster_table(bundle):
    folder, _ = bundle
    page = (folder / "report" / "index.html").read_text()
    for image in ("clusters.png", "industry_3141.png", "industry_5121.png"):
        assert f"src='{image}'" in page
        assert (folder / "report" / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "3141-corner" in page and "mature" in page and "0.700" in page
    assert "3141 Textile Furnishings Mills" in page
    assert "run-1" in page  # provenance at the end
    assert "Moran scatterplots are left out: no weights given." in page
