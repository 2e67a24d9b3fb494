"""deploy/k8s/values.yaml checked offline with the real components it configures.

`helm template` cannot run here (no helm binary on PyPI, npm or Debian bookworm, and
the chart is not downloadable), nor can `kubectl create --dry-run=client` (it needs an
API server for discovery and the OpenAPI schema). What is checked instead:

- the run launcher and run queue config the chart renders from these values, loaded
  by a real DagsterInstance (dagster's config validation, dagster-k8s's schema);
- the Kubernetes Job of a run and of a step, built by dagster-k8s's own code
  (K8sRunLauncher.launch_run, k8s_job_executor's step handler) against a stand-in
  for the Kubernetes API that only records the Job;
- every Kubernetes object in the values and manifests, parsed strictly into the
  `kubernetes` client's models (unknown keys and wrong types fail);
- every AGGLO_* variable the code reads is set, in the Secret, or left out on purpose.

The chart's key names are checked against the lists below, taken from the chart's
schema (helm/dagster/schema in dagster 1.13): a misspelt key would be ignored by helm.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance
from dagster._config import process_config
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.launcher import LaunchRunContext
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
from dagster._core.test_utils import create_run_for_test, environ, instance_for_test
from dagster_k8s import K8sRunLauncher, k8s_job_executor
from dagster_k8s.client import DagsterKubernetesClient
from dagster_k8s.models import k8s_model_from_dict, k8s_snake_case_dict
from kubernetes import client as k8s
from kubernetes.utils import parse_quantity

from tests.deploy.k8s_chart import (
    FULLNAME,
    NAMESPACE,
    PG_SECRET,
    ROOT,
    render_run_launcher,
)

# Keys of the chart's values schema (1.13): top level, runLauncher.config.
# k8sRunLauncher, a user deployment, concurrency and postgresql.
CHART_TOP_LEVEL = {
    "global", "nameOverride", "fullnameOverride", "rbacEnabled", "dagsterHome",
    "imagePullSecrets", "dagsterWebserver", "dagster-user-deployments", "postgresql",
    "generatePostgresqlPasswordSecret", "generateCeleryConfigSecret", "rabbitmq",
    "redis", "flower", "ingress", "computeLogManager", "scheduler", "runLauncher",
    "pythonLogs", "dagsterDaemon", "busybox", "migrate", "telemetry", "serviceAccount",
    "retention", "concurrency", "additionalInstanceConfig",
}  # fmt: skip
CHART_K8S_RUN_LAUNCHER = {
    "image", "imagePullPolicy", "jobNamespace", "loadInclusterConfig", "kubeconfigFile",
    "envConfigMaps", "envSecrets", "envVars", "volumeMounts", "volumes", "labels",
    "failPodOnRunFailure", "resources", "schedulerName", "securityContext",
    "runK8sConfig",
}  # fmt: skip
CHART_RUN_K8S_CONFIG = {
    "containerConfig", "podSpecConfig", "podTemplateSpecMetadata", "jobSpecConfig",
    "jobMetadata",
}  # fmt: skip
CHART_USER_DEPLOYMENT = {
    "name", "image", "dagsterApiGrpcArgs", "codeServerArgs",
    "includeConfigInLaunchedRuns", "deploymentNamespace", "port", "replicaCount", "env",
    "envConfigMaps", "envSecrets", "annotations", "nodeSelector", "affinity",
    "tolerations", "podSecurityContext", "securityContext", "resources",
    "livenessProbe", "readinessProbe", "startupProbe", "labels", "volumeMounts",
    "volumes", "schedulerName", "initContainers", "sidecarContainers",
    "deploymentStrategy",
}  # fmt: skip
CHART_CONCURRENCY = {"enabled", "pools", "runs"}
CHART_POSTGRESQL = {
    "image", "enabled", "postgresqlHost", "postgresqlUsername", "postgresqlPassword",
    "postgresqlDatabase", "postgresqlParams", "postgresqlScheme", "service",
}  # fmt: skip

# AGGLO_* variables the code reads that the values deliberately do not set (the
# values file's comment says why); the Secret's keys, created as docs/kubernetes.md
# shows.
DELIBERATELY_UNSET = {
    "AGGLO_STUDY": "studies are discovered in /opt/agglo/studies on the volume",
    "AGGLO_OUT": "would put every study in one folder; each uses published/<name>",
    "AGGLO_GEOCODER_CONTACT": "the operator's e-mail, added when a study goes online",
    "AGGLO_GEOCODER_ONLINE": "default on; the study decides whether it has the tier",
    "AGGLO_GEOCODER_URL": "the study's geocoder.online.url applies",
    "AGGLO_GEOCODER_RATE_PER_S": "the study's rate applies",
    "AGGLO_EXECUTOR": "one process per run; 'k8s' for one pod per step (docs)",
    "AGGLO_DASK_ADDRESS": "studies with engine.firms dask start a local cluster",
}
SECRET_NAME = "agglo-secrets"
SECRET_KEYS = {"AGGLO_PERSONAL_DATA_SALT", "AGGLO_GEOCODER_API_KEY"}
CODE_DIRS = ("pipelines", "data_sources", "outputs", "geo")


def strict(model: type, obj: dict):
    """``obj`` (camelCase, as in a manifest) as a kubernetes client model; unknown keys
    and values of the wrong type raise."""
    return k8s_model_from_dict(model, k8s_snake_case_dict(model, obj))


def manifest(obj) -> dict:
    """A client model back as the camelCase dict a manifest holds."""
    return k8s.ApiClient().sanitize_for_serialization(obj)


def env_of(container: k8s.V1Container) -> dict[str, k8s.V1EnvVar]:
    return {e.name: e for e in container.env or []}


def secrets_of(container: k8s.V1Container) -> list[str]:
    """Secrets whose keys all become environment variables (envFrom)."""
    return [s.secret_ref.name for s in container.env_from or [] if s.secret_ref]


# ------------------------------------------------------------------ the chart's keys


def test_values_use_only_keys_the_chart_knows(values, code_server):
    # Fails on a misspelt key (helm would ignore it silently), e.g. `resource:` for
    # `resources:` under k8sRunLauncher, or `codeServerArg:` on the deployment.
    assert set(values) <= CHART_TOP_LEVEL
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert set(launcher) <= CHART_K8S_RUN_LAUNCHER
    assert set(launcher.get("runK8sConfig", {})) <= CHART_RUN_K8S_CONFIG
    assert set(code_server) <= CHART_USER_DEPLOYMENT
    assert set(values["concurrency"]) <= CHART_CONCURRENCY
    assert set(values["postgresql"]) <= CHART_POSTGRESQL
    assert values["runLauncher"]["type"] == "K8sRunLauncher"


def test_code_server_runs_the_project_definitions(code_server, values):
    # Fails if the deployment points at another module than pyproject's
    # [tool.dagster] module_name, or gives both argument forms (the chart uses one).
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    module = re.search(r'^module_name = "(.+)"', pyproject, re.MULTILINE).group(1)
    assert code_server["codeServerArgs"] == ["-m", module]
    assert "dagsterApiGrpcArgs" not in code_server
    assert values["dagster-user-deployments"]["enabled"] is True


def test_no_password_in_the_values(values):
    # Fails if a real password is committed here instead of passed with --set.
    assert values["postgresql"]["postgresqlPassword"] == ""


# ------------------------------------------- dagster.yaml as the chart renders it


def test_run_launcher_config_fits_k8s_run_launcher_schema(rendered):
    # dagster's own config validation against dagster-k8s's schema. Fails on a key
    # the launcher does not take or a value of the wrong type (e.g. envSecrets given
    # as strings instead of {name: ...}, which renders nothing).
    config = rendered["run_launcher"]["config"]
    with environ(
        {
            "DAGSTER_HOME": "/opt/dagster/dagster_home",
            "DAGSTER_K8S_INSTANCE_CONFIG_MAP": f"{FULLNAME}-instance",
            "DAGSTER_K8S_PG_PASSWORD_SECRET": PG_SECRET,
        }
    ):
        result = process_config(K8sRunLauncher.config_type(), config)
    assert result.success, [e.message for e in result.errors]
    assert result.value["env_secrets"] == [SECRET_NAME]


def test_instance_concurrency_matches_the_project_dagster_yaml(rendered):
    # The instance on the cluster must queue runs and pool steps as the project's
    # dagster.yaml does. Fails if either limit differs (e.g. maxConcurrentRuns: 4)
    # or the rendered block is not valid instance config.
    project = yaml.safe_load((ROOT / "dagster.yaml").read_text(encoding="utf-8"))
    assert rendered["concurrency"] == project["concurrency"]
    assert rendered["telemetry"] == project["telemetry"]
    overrides = {
        key: rendered[key] for key in ("run_coordinator", "concurrency", "telemetry")
    }
    with instance_for_test(overrides=overrides) as instance:
        concurrency = instance.get_concurrency_config()
    assert concurrency.run_queue_config.max_concurrent_runs == 2
    assert concurrency.pool_config.default_pool_limit == 1


# ------------------------------------------------ the Job of a run, by dagster-k8s


class RecordingBatchApi:
    """Stands in for kubernetes.client.BatchV1Api: records the Jobs it is given."""

    def __init__(self):
        self.jobs: list[tuple[str, k8s.V1Job]] = []

    def create_namespaced_job(self, body, namespace, **_request_options):
        self.jobs.append((namespace, body))
        return body


CHART_DAGSTER_HOME = "/opt/dagster/dagster_home"  # the chart's global.dagsterHome
KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: offline, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: offline, user: {token: none}}]
contexts: [{name: offline, context: {cluster: offline, user: offline}}]
current-context: offline
"""


@pytest.fixture
def k8s_instance(rendered, tmp_path):
    """A DagsterInstance whose run launcher is the chart's K8sRunLauncher config,
    loaded from dagster.yaml form; only the cluster credentials differ (a kubeconfig
    file instead of the in-cluster service account, which does not exist here)."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG, encoding="utf-8")
    launcher = rendered["run_launcher"]
    config = {
        **launcher["config"],
        "load_incluster_config": False,
        "kubeconfig_file": str(kubeconfig),
    }
    overrides = {
        "run_launcher": {**launcher, "config": config},
        "run_coordinator": rendered["run_coordinator"],
        "concurrency": rendered["concurrency"],
    }
    with (
        environ(
            {
                "DAGSTER_K8S_INSTANCE_CONFIG_MAP": f"{FULLNAME}-instance",
                "DAGSTER_K8S_PG_PASSWORD_SECRET": PG_SECRET,
            }
        ),
        instance_for_test(overrides=overrides) as instance,
    ):
        batch = RecordingBatchApi()
        # the chart sets DAGSTER_HOME on the daemon and webserver that launch runs;
        # instance_for_test set it to its temporary folder
        with environ({"DAGSTER_HOME": CHART_DAGSTER_HOME}):
            launcher = instance.run_launcher
        assert isinstance(launcher, K8sRunLauncher)
        launcher._api_client = DagsterKubernetesClient.production_client(
            batch_api_override=batch
        )
        yield instance, batch


def image_of(code_server: dict) -> str:
    return f"{code_server['image']['repository']}:{code_server['image']['tag']}"


def launch_run(instance: DagsterInstance, image: str):
    """A run of refresh_clusters_job from the code server (which reports the image the
    chart gives it in DAGSTER_CURRENT_IMAGE, and no container context since
    includeConfigInLaunchedRuns is off), launched by the instance's run launcher."""
    origin = JobPythonOrigin(
        job_name="refresh_clusters_job",
        repository_origin=RepositoryPythonOrigin(
            executable_path="/usr/local/bin/python",
            code_pointer=ModuleCodePointer("pipelines.definitions", "defs", None),
            container_image=image,
            entry_point=["dagster"],
        ),
    )
    run = create_run_for_test(
        instance, job_name="refresh_clusters_job", job_code_origin=origin
    )
    instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
    return run


def test_run_pod_is_the_project_image_with_env_volume_and_size(
    k8s_instance, values, code_server, pvc
):
    # dagster-k8s builds the run's Job from the chart's launcher config. Fails if the
    # run would lose the code server's env or Secret (includeConfigInLaunchedRuns is
    # off, so the launcher must carry them), the volume, the size, or the image.
    instance, batch = k8s_instance
    launch_run(instance, image_of(code_server))
    ((namespace, job),) = batch.jobs
    assert namespace == NAMESPACE
    pod = job.spec.template.spec
    (container,) = pod.containers
    assert container.image == image_of(code_server)
    assert container.args[:3] == ["dagster", "api", "execute_run"]

    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert manifest(container.resources) == launcher["resources"]
    env = env_of(container)
    for entry in code_server["env"]:
        assert env[entry["name"]].value == entry["value"]
    assert env["DAGSTER_HOME"].value == CHART_DAGSTER_HOME
    assert env["DAGSTER_PG_PASSWORD"].value_from.secret_key_ref.name == PG_SECRET
    assert SECRET_NAME in secrets_of(container)

    claims = {v.name: v.persistent_volume_claim for v in pod.volumes}
    assert claims["agglo-data"].claim_name == pvc["metadata"]["name"]
    mounts = {m.mount_path: m for m in container.volume_mounts}
    assert mounts["/opt/agglo"].name == "agglo-data"
    assert mounts["/opt/dagster/dagster_home/storage"].sub_path == "dagster-storage"
    assert pod.security_context.run_as_user == 10001
    assert container.security_context.read_only_root_filesystem is True
    # the whole Job survives a strict round trip through the client's models
    assert manifest(strict(k8s.V1Job, manifest(job))) == manifest(job)


def test_asset_store_of_a_run_pod_is_on_the_volume(k8s_instance, code_server):
    # The GeoParquet IO manager keeps assets under $DAGSTER_HOME/storage/agglo; later
    # runs (other years, trends_job) read them, so that folder must be on the volume,
    # not in the pod. Fails if the storage mount or the code's path moves.
    from pipelines.definitions import build_definitions

    instance, batch = k8s_instance
    launch_run(instance, image_of(code_server))
    ((_, job),) = batch.jobs
    (container,) = job.spec.template.spec.containers
    home = env_of(container)["DAGSTER_HOME"].value
    with environ({"DAGSTER_HOME": home}):
        # resolved when a step runs, from that pod's DAGSTER_HOME
        base_dir = build_definitions().resources["io_manager"].root()
    volume_mounts = [
        Path(m.mount_path) for m in container.volume_mounts if m.name == "agglo-data"
    ]
    assert any(base_dir.is_relative_to(mount) for mount in volume_mounts), base_dir


# ------------------------------------------------ one pod per step (the option)


def test_k8s_job_executor_config_fits_its_schema(executor_run_config):
    # Fails on a key k8s_job_executor does not take (e.g. `step_k8s_configs`) or a
    # wrong type, exactly as the Launchpad would reject the run config.
    config = executor_run_config["execution"]["config"]
    result = process_config(k8s_job_executor.config_schema.config_type, config)
    assert result.success, [e.message for e in result.errors]


def test_per_step_overrides_name_real_steps(executor_run_config):
    # per_step_k8s_config is keyed by op name; a renamed asset would silently lose
    # its override. Fails if a key is not a step of refresh_clusters_job.
    from pipelines.definitions import defs

    job = defs.resolve_job_def("refresh_clusters_job")
    op_names = {node.name for node in job.graph.node_defs}
    per_step = executor_run_config["execution"]["config"]["per_step_k8s_config"]
    assert set(per_step) <= op_names, set(per_step) - op_names


class StepContextStub:
    """What K8sStepHandler reads from a StepHandlerContext to build a step's Job."""

    def __init__(self, run, instance, step_key: str):
        from types import SimpleNamespace

        self.dagster_run = run
        self.instance = instance
        self.step_tags = {step_key: {}}
        self.execute_step_args = SimpleNamespace(step_keys_to_execute=[step_key])
        self._step = SimpleNamespace(step=SimpleNamespace(op_name=step_key))

    def get_step_context(self, _step_key):
        return self._step


def test_step_pod_keeps_the_run_settings_and_gets_its_own_size(
    k8s_instance, executor_run_config, code_server
):
    # k8s_job_executor built from the run config, with the instance's run launcher:
    # a step pod must keep the run's env, Secret and volume and take the per-step
    # size. Fails if the executor config would drop them or size `lisa` wrongly.
    from dagster._core.definitions.job_base import InMemoryJob
    from dagster._core.executor.init import InitExecutorContext

    from pipelines.definitions import defs

    instance, _ = k8s_instance
    run = launch_run(instance, image_of(code_server))
    config = executor_run_config["execution"]["config"]
    processed = process_config(k8s_job_executor.config_schema.config_type, config)
    executor = k8s_job_executor.executor_creation_fn(
        InitExecutorContext(
            job=InMemoryJob(defs.resolve_job_def("refresh_clusters_job")),
            executor_def=k8s_job_executor,
            executor_config=processed.value,
            instance=instance,
        )
    )
    handler = executor._step_handler  # noqa: SLF001 - the object that builds step Jobs
    context = handler._get_container_context(StepContextStub(run, instance, "lisa"))
    job_config = context.get_k8s_job_config(None, instance.run_launcher)
    from dagster_k8s.job import construct_dagster_k8s_job

    job = construct_dagster_k8s_job(
        job_config=job_config.with_image(image_of(code_server)),
        args=["dagster", "api", "execute_step"],
        job_name="dagster-step-lisa",
        user_defined_k8s_config=context.run_k8s_config,
    )
    (container,) = job.spec.template.spec.containers
    lisa = config["per_step_k8s_config"]["lisa"]["container_config"]["resources"]
    assert manifest(container.resources) == lisa
    assert {e["name"] for e in code_server["env"]} <= set(env_of(container))
    assert SECRET_NAME in secrets_of(container)
    assert "/opt/agglo" in [m.mount_path for m in container.volume_mounts]
    assert manifest(strict(k8s.V1Job, manifest(job))) == manifest(job)


# ------------------------------------------- Kubernetes objects in the files


def test_code_server_kubernetes_objects_are_valid(code_server):
    # The chart copies these into the code server's Deployment as they are. Fails on
    # an unknown field (e.g. `mountpath`) or a wrong type anywhere inside them.
    container = strict(
        k8s.V1Container,
        {
            "name": "dagster",
            "image": image_of(code_server),
            "env": code_server["env"],
            "envFrom": [{"secretRef": s} for s in code_server["envSecrets"]],
            "resources": code_server["resources"],
            "securityContext": code_server["securityContext"],
            "volumeMounts": code_server["volumeMounts"],
        },
    )
    pod = strict(
        k8s.V1PodSpec,
        {
            "containers": [manifest(container)],
            "securityContext": code_server["podSecurityContext"],
            "volumes": code_server["volumes"],
        },
    )
    volumes = {v.name for v in pod.volumes}
    assert {m.name for m in container.volume_mounts} <= volumes


@pytest.mark.parametrize(
    "where",
    [
        ("dagsterWebserver", "resources"),
        ("dagster-user-deployments", "deployments", 0, "resources"),
        ("runLauncher", "config", "k8sRunLauncher", "resources"),
    ],
)
def test_resource_quantities_parse_and_requests_fit_limits(values, where):
    # Fails on a quantity Kubernetes rejects ("2 GB", "1.5Gib") or a request above
    # its limit (the API server refuses such a pod).
    resources = values
    for key in where:
        resources = resources[key]
    strict(k8s.V1ResourceRequirements, resources)
    for name, limit in resources.get("limits", {}).items():
        request = resources.get("requests", {}).get(name)
        if request is not None:
            assert parse_quantity(request) <= parse_quantity(limit), name
    for quantity in [*resources["requests"].values(), *resources["limits"].values()]:
        parse_quantity(quantity)


def test_pvc_manifest_is_valid_and_shared(pvc):
    # Fails on an invalid claim, or an access mode that would keep the code server
    # and run pods on different nodes from mounting it together.
    claim = strict(k8s.V1PersistentVolumeClaim, pvc)
    assert claim.kind == "PersistentVolumeClaim"
    assert claim.spec.access_modes == ["ReadWriteMany"]
    parse_quantity(claim.spec.resources.requests["storage"])


def test_executor_step_configs_are_container_fields(executor_run_config):
    # step_k8s_config.container_config is merged into the step's container. Fails on
    # a field a container does not have.
    config = executor_run_config["execution"]["config"]
    parts = [config["step_k8s_config"], *config["per_step_k8s_config"].values()]
    for part in parts:
        k8s_snake_case_dict(k8s.V1Container, part["container_config"])


# ------------------------------------------------ what the code reads


def env_names_read_by_the_code() -> set[str]:
    """AGGLO_* names in string literals of the packages (os.environ, EnvVar and the
    *_ENV constants all name them so)."""
    names = set()
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    names.update(re.findall(r"^(AGGLO_[A-Z0-9_]+)$", node.value))
    return names


def test_every_variable_the_code_reads_is_decided(code_server):
    # Fails when the code starts reading a new AGGLO_* variable that the values file
    # neither sets nor leaves out on purpose (add it to env, the Secret, or
    # DELIBERATELY_UNSET with the reason), or when a decision names a variable the
    # code no longer reads.
    read = env_names_read_by_the_code()
    assert "AGGLO_PERSONAL_DATA_SALT" in read  # the scan finds the constants
    set_in_values = {e["name"] for e in code_server["env"]}
    decided = set_in_values | SECRET_KEYS | set(DELIBERATELY_UNSET)
    assert read - decided == set(), "undecided"
    assert {n for n in decided if n.startswith("AGGLO_")} - read == set(), "stale"
    assert not set_in_values & set(DELIBERATELY_UNSET)
    assert [s["name"] for s in code_server["envSecrets"]] == [SECRET_NAME]


def test_docs_create_the_secret_with_its_keys():
    # The Secret is created by hand; fails if docs/kubernetes.md's command does not
    # set every key the pods take from it.
    docs = (ROOT / "docs" / "kubernetes.md").read_text(encoding="utf-8")
    command = re.search(
        rf"kubectl create secret generic {SECRET_NAME}.*?(?:\n\n|```)", docs, re.S
    )
    assert command, "no `kubectl create secret generic agglo-secrets` in the docs"
    for key in SECRET_KEYS:
        assert f"--from-literal={key}=" in command.group(0), key


def test_rendered_launcher_passes_kubernetes_objects_through(values):
    # The chart copies volumes and volume mounts into dagster.yaml unchanged, and
    # dagster-k8s reads camelCase keys: a sanity check of the rendering used above.
    rendered = render_run_launcher(values)["config"]
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert rendered["volumes"] == launcher["volumes"]
    assert (
        rendered["run_k8s_config"]["container_config"]["env"]
        == (values["dagster-user-deployments"]["deployments"][0]["env"])
    )
