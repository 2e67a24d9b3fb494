"""Fixtures for tests/deploy: the Kubernetes files under deploy/, parsed."""

import pytest

from tests.deploy.k8s_chart import DEPLOY, VALUES, chart_instance_yaml, load_yaml


@pytest.fixture(scope="session")
def values() -> dict:
    return load_yaml(VALUES)


@pytest.fixture(scope="session")
def code_server(values) -> dict:
    """The one user-code deployment."""
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    return deployment


@pytest.fixture(scope="session")
def pvc() -> dict:
    return load_yaml(DEPLOY / "k8s" / "pvc.yaml")


@pytest.fixture(scope="session")
def executor_run_config() -> dict:
    return load_yaml(DEPLOY / "k8s" / "k8s_job_executor.yaml")


@pytest.fixture(scope="session")
def rendered(values) -> dict:
    """dagster.yaml as the chart renders it from the values (the parts they decide)."""
    return chart_instance_yaml(values)
