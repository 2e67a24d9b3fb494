"""The real Dagster UI: `dagster dev` serves every asset and check, a yearly backfill
materialises through GraphQL with the metadata an operator judges a run by, and
headless Chromium renders the asset graph (screenshot kept in tests/artifacts/)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pipelines.definitions import ALL_ASSETS, ALL_CHECKS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BACKFILL_YEARS = (2023, 2024)
DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"

    def gql(self, query: str, variables: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.load(response)
        assert "errors" not in answer, answer["errors"]
        return answer["data"]


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    out = tmp_path_factory.mktemp("published")
    port = free_port()
    log = open(home / "dagster_dev.log", "w")  # noqa: SIM115 - closed in teardown
    env = {**os.environ, "DAGSTER_HOME": str(home), "AGGLO_OUT": str(out)}
    env.pop("AGGLO_STUDY", None)
    # its own process group: `dagster dev` ignores SIGTERM to itself and leaves its
    # children (webserver, daemon, code server) running otherwise
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dagster",
            "dev",
            "-m",
            "pipelines.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(port)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{server.url}/server_info", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert proc.poll() is None, (home / "dagster_dev.log").read_text()[
                    -3000:
                ]
                time.sleep(2)
        else:
            pytest.fail("dagster dev did not answer within 240 s")
        yield server, out
    finally:
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=wait)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
        log.close()


def test_every_asset_and_check_is_listed(dagster_dev):
    server, _ = dagster_dev
    nodes = server.gql(
        "{ assetNodes { assetKey { path } isPartitioned "
        "assetChecksOrError { ... on AssetChecks { checks { name } } } } }"
    )["assetNodes"]
    listed = {"/".join(n["assetKey"]["path"]) for n in nodes}
    wanted = {key.to_user_string() for assets in ALL_ASSETS for key in assets.keys}
    assert wanted <= listed
    checks = {c["name"] for n in nodes for c in n["assetChecksOrError"]["checks"]}
    assert {spec.name for c in ALL_CHECKS for spec in c.check_specs} <= checks
    assert all(n["isPartitioned"] for n in nodes)


def test_automation_is_listed_with_its_default_state(dagster_dev):
    server, _ = dagster_dev
    repos = server.gql(
        "{ repositoriesOrError { ... on RepositoryConnection { nodes { "
        "sensors { name sensorState { status } } "
        "schedules { name scheduleState { status } } } } } }"
    )["repositoriesOrError"]["nodes"]
    sensors = {
        s["name"]: s["sensorState"]["status"] for r in repos for s in r["sensors"]
    }
    schedules = {
        s["name"]: s["scheduleState"]["status"] for r in repos for s in r["schedules"]
    }
    # the trends follow their years by themselves; runs that read new files or
    # refresh every study start only when an operator switches them on
    assert sensors == {
        "trends_automation_sensor": "RUNNING",
        "new_input_file_sensor": "STOPPED",
    }
    assert schedules == {"monthly_refresh_schedule": "STOPPED"}


def test_yearly_backfill_materialises_with_operator_metadata(dagster_dev):
    server, out = dagster_dev
    keys = [
        {"path": key.path}
        for assets in ALL_ASSETS
        for key in assets.keys
        if key.to_user_string() not in ("emerging_hot_spots", "indicator_changes")
    ]
    partitions = [f"georgia-demo|{year}" for year in BACKFILL_YEARS]
    launched = server.gql(
        "mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams:"
        " $p) { __typename ... on LaunchBackfillSuccess { backfillId } "
        "... on PythonError { message } } }",
        {"p": {"partitionNames": partitions, "assetSelection": keys}},
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    deadline = time.monotonic() + 900
    status = "REQUESTED"
    while time.monotonic() < deadline and status not in DONE:
        time.sleep(5)
        status = server.gql(
            "query($id: String!) { partitionBackfillOrError(backfillId: $id) "
            "{ ... on PartitionBackfill { status } } }",
            {"id": launched["backfillId"]},
        )["partitionBackfillOrError"]["status"]
    assert status in ("COMPLETED", "COMPLETED_SUCCESS"), status

    def latest_metadata(asset: str, partition: str) -> dict:
        nodes = server.gql(
            "query($k: AssetKeyInput!, $p: [String!]) { assetNodeOrError(assetKey: $k)"
            " { ... on AssetNode { assetMaterializations(partitions: $p, limit: 1) {"
            " partition metadataEntries { label __typename "
            "... on FloatMetadataEntry { floatValue } "
            "... on IntMetadataEntry { intValue } "
            "... on JsonMetadataEntry { jsonString } "
            "... on PathMetadataEntry { path } "
            "... on MarkdownMetadataEntry { mdStr } } } } } }",
            {"k": {"path": [asset]}, "p": [partition]},
        )["assetNodeOrError"]["assetMaterializations"]
        assert nodes, f"{asset} has no materialisation for {partition}"
        return {e["label"]: e for e in nodes[0]["metadataEntries"]}

    for partition in partitions:
        firms = latest_metadata("firm_locations", partition)
        assert firms["match_rate"]["floatValue"] > 0.99
        assert "postcode" in json.loads(firms["by_tier"]["jsonString"])
        rejected = latest_metadata("firms_rejected", partition)
        assert json.loads(rejected["rejected_by_field"]["jsonString"])["employees"] > 0
        moran = json.loads(
            latest_metadata("global_moran", partition)["moran_i"]["jsonString"]
        )
        assert moran["3141"] > 0.2
        clusters = latest_metadata("localized_clusters", partition)
        assert clusters["dagster/row_count"]["intValue"] >= 3
        schema = latest_metadata("location_quotients", partition)
        assert "dagster/column_schema" in schema
        published = latest_metadata("published_layers", partition)
        assert published["path"]["path"].startswith(str(out))
        assert Path(published["path"]["path"]).is_file()
        assert "data:image/png;base64," in published["preview"]["mdStr"]


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="needs Debian's chromium (apt-get install chromium; .ci/run installs it)",
)
def test_asset_graph_page_renders_in_chromium(dagster_dev):
    from playwright.sync_api import sync_playwright

    server, _ = dagster_dev
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "dagster_asset_graph.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(
            f"{server.url}/asset-groups", wait_until="networkidle", timeout=120_000
        )
        # a fresh profile gets a first-visit dialog ("Join the Dagster community")
        # over the page a moment after load: wait for it and dismiss it
        skip = page.get_by_role("button", name="Skip")
        skip.wait_for(timeout=30_000)
        skip.click()
        for group in ("ingest", "geocode", "clusters", "publish"):
            page.get_by_text(group, exact=True).last.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        dialogs = page.locator("[role=dialog]").count()
        page.screenshot(path=str(shot))
        browser.close()
    assert dialogs == 0
    assert shot.stat().st_size > 20_000  # a rendered graph, not a blank page
