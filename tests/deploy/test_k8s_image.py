"""deploy/Dockerfile and the code server it runs, checked without a container engine.

No image is built here. Instead: the files the Dockerfile's install step needs must be
copied in, its extra pins must match pyproject's dagster release, and the code server
must start the way the chart starts it (values' codeServerArgs and environment,
DAGSTER_CURRENT_IMAGE) from a copy of the packages made as `pip install .` would lay
them out (packages and package data from pyproject, outside the repository, run from
another working directory), then pass the chart's readiness probe and report its image.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from setuptools import find_namespace_packages

from tests.deploy.k8s_chart import DEPLOY, ROOT

DOCKERFILE = DEPLOY / "Dockerfile"


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines = [
        line
        for line in dockerfile.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    ]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for line in joined.splitlines()
        if (parts := line.strip().split(None, 1))
    ]


def copied_sources(dockerfile: Path) -> list[str]:
    sources = []
    for name, args in instructions(dockerfile):
        if name == "COPY":
            *srcs, _dest = shlex.split(args)
            sources += [s for s in srcs if not s.startswith("--")]
    return sources


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_dockerfile_copies_what_pip_install_reads():
    # Fails if a COPY names a missing file, or if `pip install -c constraints.txt .`
    # would lack something it reads: the pins, the build metadata, the readme it
    # declares, or one of the packages pyproject ships (e.g. a new top-level package
    # added to [tool.setuptools.packages.find] but not copied).
    sources = copied_sources(DOCKERFILE)
    for source in sources:
        assert (ROOT / source).exists(), source
    copied = {s.rstrip("/") for s in sources}
    install = [args for name, args in instructions(DOCKERFILE) if name == "RUN"]
    pip = next(a for a in install if a.startswith("pip install"))
    words = shlex.split(pip.split("&&")[0])
    constraints = words[words.index("-c") + 1]
    assert constraints in copied
    assert "." in words and "pyproject.toml" in copied
    project = pyproject()
    assert project["project"]["readme"] in copied
    include = project["tool"]["setuptools"]["packages"]["find"]["include"]
    top_level = {
        p.split(".")[0] for p in find_namespace_packages(ROOT, include=include)
    }
    assert top_level <= copied, top_level - copied


def test_dockerfile_pins_match_the_dagster_release():
    # dagster-postgres and dagster-k8s must be the releases of the pinned dagster
    # (1.13.27 <-> 0.29.27). Fails when dagster is bumped and the image is not.
    deps = pyproject()["project"]["dependencies"]
    dagster = next(d for d in deps if d.startswith("dagster=="))
    minor, patch = dagster.split("==")[1].split(".")[1:]
    library = f"0.{int(minor) + 16}.{patch}"
    pip = next(a for n, a in instructions(DOCKERFILE) if n == "RUN" and "pip" in a)
    assert f"dagster-postgres=={library}" in pip
    assert f"dagster-k8s=={library}" in pip
    assert f'"dagster-k8s=={library}"' in (ROOT / "pyproject.toml").read_text()
    assert "FROM python:3.11-slim" in DOCKERFILE.read_text(encoding="utf-8")


def installed_layout(target: Path) -> None:
    """The packages and package data `pip install .` puts in site-packages."""
    setuptools = pyproject()["tool"]["setuptools"]
    include = setuptools["packages"]["find"]["include"]
    for package in find_namespace_packages(ROOT, include=include):
        folder = ROOT / package.replace(".", "/")
        dest = target / package.replace(".", "/")
        dest.mkdir(parents=True, exist_ok=True)
        for module in folder.glob("*.py"):
            shutil.copy2(module, dest)
    for package, patterns in setuptools.get("package-data", {}).items():
        for pattern in patterns:
            for data in (ROOT / package).glob(pattern):
                dest = target / package / data.relative_to(ROOT / package)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(data, dest)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dagster(*args: str) -> list[str]:
    return [sys.executable, "-m", "dagster", *args]


@pytest.fixture
def image_layout(tmp_path) -> dict[str, Path]:
    site = tmp_path / "site-packages"
    installed_layout(site)
    workdir = tmp_path / "opt" / "agglo"  # the volume over the image's WORKDIR
    (workdir / "studies").mkdir(parents=True)
    home = tmp_path / "dagster_home"
    home.mkdir()
    return {"site": site, "workdir": workdir, "home": home, "root": tmp_path}


def test_code_server_starts_as_the_chart_runs_it(image_layout, code_server):
    # The chart runs `dagster code-server start -h 0.0.0.0 -p PORT <codeServerArgs>`
    # with the values' env and DAGSTER_CURRENT_IMAGE, and probes it with
    # `dagster api grpc-health-check -p PORT`. Fails if the module does not import
    # from an installed copy (a package or data file pyproject does not ship, an
    # import of a path inside the repository), if the env stops it loading, or if
    # the server does not report the image runs are launched with.
    from dagster._api.list_repositories import sync_list_repositories_grpc
    from dagster._grpc.client import DagsterGrpcClient

    site, workdir = image_layout["site"], image_layout["workdir"]
    image = f"{code_server['image']['repository']}:{code_server['image']['tag']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGGLO_", "DAG"))}
    for entry in code_server["env"]:
        # the volume's paths, moved under this test's folder
        env[entry["name"]] = entry["value"].replace("/opt/agglo", str(workdir))
    env["HOME"] = str(image_layout["root"])
    env.update(
        PYTHONPATH=str(site),  # the project from the copy, never from the repository
        DAGSTER_HOME=str(image_layout["home"]),
        DAGSTER_CURRENT_IMAGE=image,
        AGGLO_PERSONAL_DATA_SALT="0123456789abcdef0123",  # stands for the Secret's
    )
    port = str(free_port())
    start = dagster("code-server", "start", "-h", "127.0.0.1", "-p", port)
    server = subprocess.Popen(
        [*start, *code_server["codeServerArgs"]],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            probe = subprocess.run(
                dagster("api", "grpc-health-check", "-p", port),
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if probe.returncode == 0 or server.poll() is not None:
                break
            assert time.monotonic() < deadline, "code server not serving in 240 s"
            time.sleep(2)
        assert server.poll() is None, server.stdout.read()
        # raises if the code failed to load, with the error
        response = sync_list_repositories_grpc(
            DagsterGrpcClient(port=int(port), host="127.0.0.1")
        )
        assert response.container_image == image
        assert not response.container_context  # includeConfigInLaunchedRuns is off
        imported = subprocess.run(
            [sys.executable, "-c", "import pipelines; print(pipelines.__file__)"],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert Path(imported.stdout.strip()).is_relative_to(site)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
