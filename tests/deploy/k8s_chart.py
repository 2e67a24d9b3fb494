"""The dagster.yaml that the Dagster Helm chart renders from deploy/k8s/values.yaml.

The chart cannot be fetched offline, so this re-states the part of its instance
template (chart 1.13.27: `helpers/instance/_run-launcher.tpl`, `_run-coordinator.tpl`,
`_concurrency.tpl`) that turns values into dagster.yaml; the tests then hand that
dagster.yaml to dagster and dagster-k8s themselves. If the chart changes how it
renders, this must follow (a rendered file from `helm template` on a machine with
helm is the reference: docs/kubernetes.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VALUES = DEPLOY / "k8s" / "values.yaml"
RELEASE = "agglo"
NAMESPACE = "agglo"
# the chart's fullname for release `agglo` of chart `dagster`, which also names its
# service account and its instance ConfigMap (`<fullname>-instance`)
FULLNAME = f"{RELEASE}-dagster"
PG_SECRET = (
    "dagster-postgresql-secret"  # the chart's default global.postgresqlSecretName
)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _names(refs: list[dict]) -> list[str]:
    return [ref["name"] for ref in refs if "name" in ref]


def render_run_launcher(values: dict) -> dict:
    """`run_launcher:` of the chart's dagster.yaml for runLauncher.type K8sRunLauncher:
    camelCase values become the launcher's snake_case config, Kubernetes objects are
    passed through as written, and the chart adds its own names and secrets."""
    k8s = values["runLauncher"]["config"]["k8sRunLauncher"]
    config: dict[str, Any] = {
        "load_incluster_config": k8s["loadInclusterConfig"],
        "job_namespace": k8s.get("jobNamespace") or NAMESPACE,
        "image_pull_policy": k8s["imagePullPolicy"],
        "service_account_name": FULLNAME,
        "dagster_home": {"env": "DAGSTER_HOME"},
        "instance_config_map": {"env": "DAGSTER_K8S_INSTANCE_CONFIG_MAP"},
        "postgres_password_secret": {"env": "DAGSTER_K8S_PG_PASSWORD_SECRET"},
    }
    if k8s.get("kubeconfigFile"):
        config["kubeconfig_file"] = k8s["kubeconfigFile"]
    if "image" in k8s:
        image = k8s["image"]
        config["job_image"] = f"{image['repository']}:{image['tag']}"
    if k8s.get("envConfigMaps"):
        config["env_config_maps"] = _names(k8s["envConfigMaps"])
    if k8s.get("envSecrets"):
        config["env_secrets"] = _names(k8s["envSecrets"])
    plain = {
        "envVars": "env_vars",
        "volumeMounts": "volume_mounts",
        "volumes": "volumes",
        "labels": "labels",
        "resources": "resources",
        "schedulerName": "scheduler_name",
        "securityContext": "security_context",
    }
    config.update(
        {snake: k8s[camel] for camel, snake in plain.items() if k8s.get(camel)}
    )
    if k8s.get("failPodOnRunFailure"):
        config["fail_pod_on_run_failure"] = True
    if k8s.get("runK8sConfig"):
        parts = {
            "containerConfig": "container_config",
            "podSpecConfig": "pod_spec_config",
            "podTemplateSpecMetadata": "pod_template_spec_metadata",
            "jobSpecConfig": "job_spec_config",
            "jobMetadata": "job_metadata",
        }
        run_k8s = k8s["runK8sConfig"]
        config["run_k8s_config"] = {
            snake: run_k8s[camel]
            for camel, snake in parts.items()
            if run_k8s.get(camel)
        }
    return {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": config}


def render_concurrency(values: dict) -> dict:
    """`concurrency:` of the chart's dagster.yaml (rendered if concurrency.enabled)."""
    concurrency = values.get("concurrency", {})
    if not concurrency.get("enabled"):
        return {}
    pools, runs = concurrency.get("pools", {}), concurrency.get("runs", {})
    rendered: dict[str, Any] = {}
    pool_keys = {
        "defaultLimit": "default_limit",
        "granularity": "granularity",
        "opGranularityRunBuffer": "op_granularity_run_buffer",
    }
    if any(pools.get(key) is not None for key in pool_keys):
        rendered["pools"] = {
            snake: pools[camel]
            for camel, snake in pool_keys.items()
            if pools.get(camel) is not None
        }
    if runs.get("maxConcurrentRuns") is not None or runs.get("tagConcurrencyLimits"):
        rendered["runs"] = {}
        if runs.get("maxConcurrentRuns") is not None:
            rendered["runs"]["max_concurrent_runs"] = runs["maxConcurrentRuns"]
        if runs.get("tagConcurrencyLimits"):
            rendered["runs"]["tag_concurrency_limits"] = runs["tagConcurrencyLimits"]
    return rendered


def chart_instance_yaml(values: dict) -> dict:
    """The parts of the chart's dagster.yaml that these values decide (storage is
    PostgreSQL on the cluster and is left to the chart)."""
    return {
        "run_launcher": render_run_launcher(values),
        "run_coordinator": {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
        },
        "concurrency": render_concurrency(values),
        "telemetry": {"enabled": values["telemetry"]["enabled"]},
    }
