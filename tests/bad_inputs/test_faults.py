"""Faults: a geocoding process killed mid-run loses no cached answer; a full disk
during publication fails cleanly and leaves the previous publication intact.

(SIGKILL during publication: tests/outputs/test_publication.py; online geocoder
time-outs, 429 and 500: tests/data_sources/test_online_geocoder.py.)
"""

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from conftest import ROOT, TALLY
from shapely.geometry import box

from data_sources.online_geocoder import OnlineGeocoder
from outputs.geopackage import publish_geopackage
from outputs.publication import LATEST, Publication, verify_publication

QUERIES = [f"{n} Main Street, Dalton, GA" for n in range(1, 9)]
HANG_ON = 4  # the stand-in hangs on the 4th distinct query


class StandIn:
    """Nominatim stand-in on 127.0.0.1: answers at once, except that it never
    answers ``QUERIES[HANG_ON - 1]`` (the client is killed while waiting)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.hanging = threading.Event()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                query = dict(
                    urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query)
                )["q"]
                stand_in.requests.append(query)
                if query == QUERIES[HANG_ON - 1] and not stand_in.hanging.is_set():
                    stand_in.hanging.set()
                    time.sleep(30)  # the client dies meanwhile
                    return
                n = QUERIES.index(query) if query in QUERIES else 0
                body = json.dumps(
                    [
                        {
                            "lat": str(34.7 + n / 100),
                            "lon": "-84.97",
                            "display_name": query,
                        }
                    ]
                ).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


CHILD = """
import sys
from data_sources.online_geocoder import OnlineGeocoder
url, cache, queries = sys.argv[1], sys.argv[2], sys.argv[3:]
geocoder = OnlineGeocoder(provider="nominatim", url=url, cache_dir=cache,
                          contact="gis@example.org", rate_per_s=1000, timeout_s=60)
geocoder.lookup_many(queries)
"""


def test_killed_geocoding_keeps_every_cached_answer(tmp_path):
    server = StandIn()
    cache = tmp_path / "cache"
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, server.url, str(cache), *QUERIES],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert server.hanging.wait(timeout=60), "the child never reached query 4"
            child.send_signal(signal.SIGKILL)  # dies mid-request, no clean-up
            assert child.wait(timeout=30) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
        answered = QUERIES[: HANG_ON - 1]
        assert server.requests == QUERIES[:HANG_ON]
        server.requests.clear()
        server.hanging.set()  # answer everything from now on
        # restart: the answers received before the kill come from the cache
        with OnlineGeocoder(
            provider="nominatim",
            url=server.url,
            cache_dir=cache,
            contact="gis@example.org",
            rate_per_s=1000,
        ) as geocoder:
            result = geocoder.lookup_many(QUERIES)
        assert result["source"].tolist() == ["cache"] * len(answered) + ["online"] * (
            len(QUERIES) - len(answered)
        )
        assert server.requests == QUERIES[len(answered) :], "no cached query re-asked"
        assert result["lat"].tolist() == pytest.approx(
            [34.7 + n / 100 for n in range(8)]
        )
        assert result["reason"].eq("").all()
    finally:
        server.close()
    TALLY["faults_survived"] += 1
    TALLY["cases"] += 1


# -------------------------------------------------------------------- full disk


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MiB tmpfs (needs root); skipped where it cannot be mounted."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a 1 MiB tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _free(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def test_full_disk_during_publication_leaves_the_last_one(tiny_disk):
    study_dir = tiny_disk / "published"
    with Publication(study_dir, partition="2024", run_id="good") as staging:
        (staging / "layers.txt").write_text("the good publication\n")
    # the next run's data does not fit
    with (
        pytest.raises(OSError) as excinfo,
        Publication(study_dir, partition="2024", run_id="full") as staging,
    ):
        (staging / "big.bin").write_bytes(b"\0" * (2 << 20))
    assert excinfo.value.errno == errno.ENOSPC
    partition = study_dir / "2024"
    assert sorted(p.name for p in partition.iterdir()) == ["good", LATEST]
    assert os.readlink(partition / LATEST) == "good"
    assert (partition / LATEST / "layers.txt").read_text() == "the good publication\n"
    assert verify_publication(partition / "good") == []
    TALLY["faults_survived"] += 1
    TALLY["cases"] += 1


def test_disk_full_at_the_manifest_fails_cleanly(tiny_disk):
    # the data fits exactly; writing manifest.json (the commit) hits ENOSPC
    study_dir = tiny_disk / "published"
    with Publication(study_dir, run_id="good") as staging:
        (staging / "a.txt").write_text("a")
    with (
        pytest.raises(OSError) as excinfo,
        Publication(study_dir, run_id="full") as staging,
    ):
        (staging / "fill.bin").write_bytes(b"\0" * _free(tiny_disk))
    assert excinfo.value.errno == errno.ENOSPC
    partition = study_dir / "all"
    assert sorted(p.name for p in partition.iterdir()) == ["good", LATEST]
    assert verify_publication(partition / LATEST) == []
    TALLY["faults_survived"] += 1
    TALLY["cases"] += 1


def test_full_disk_during_geopackage_write_keeps_the_old_file(tiny_disk):
    small = gpd.GeoDataFrame({"v": [1]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:32616")
    path = publish_geopackage({"notes": small}, tiny_disk / "agglomeration.gpkg")
    before = path.read_bytes()
    n = 20_000  # about 3 MB of polygons: cannot fit in 1 MiB
    big = gpd.GeoDataFrame(
        {"v": range(n), "text": ["x" * 40] * n},
        geometry=[box(i, 0, i + 1, 1) for i in range(n)],
        crs="EPSG:32616",
    )
    with pytest.raises(Exception) as excinfo:  # GDAL reports ENOSPC its own way
        publish_geopackage({"notes": big}, path)
    text = f"{excinfo.value} {getattr(excinfo.value, '__notes__', '')}"
    assert "agglomeration" in text or "No space" in text or "disk" in text.lower()
    assert path.read_bytes() == before, "the previous GeoPackage is untouched"
    assert pyogrio.read_info(path, layer="notes")["features"] == 1
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["agglomeration.gpkg"]
    TALLY["faults_survived"] += 1
    TALLY["cases"] += 1


def test_enospc_anywhere_in_a_publication_is_clean(tmp_path, monkeypatch):
    # without root: a write that raises ENOSPC, as a full disk would
    with Publication(tmp_path, run_id="good") as staging:
        (staging / "a.txt").write_text("a")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with (
        pytest.raises(OSError, match="No space left"),
        Publication(tmp_path, run_id="full") as staging,
    ):
        monkeypatch.setattr(Path, "write_text", full)
        (staging / "b.txt").write_text("b")
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == ["good", LATEST]
    TALLY["faults_survived"] += 1
    TALLY["cases"] += 1
