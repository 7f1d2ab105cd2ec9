"""The collector, Prometheus, Loki, Tempo and Grafana configs: they parse, use only what the
pinned versions have, are wired to each other by names that exist in the compose file, and
Prometheus's and Alertmanager's are accepted by the real promtool and amtool."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.config.lab import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    VERSIONS_ENV,
    deep_merge,
    load_yaml,
    raw_compose,
    resolved_compose,
)
from tests.conftest import ROOT, real_tool
from tools.processes import run_cli

pytestmark = pytest.mark.config

ADOT = ROOT / "adot" / "otel-config.yaml"
ADOT_AWS = ROOT / "adot" / "otel-config.aws.yaml"
LOKI = ROOT / "loki" / "loki.yaml"
LOKI_AWS = ROOT / "loki" / "loki.aws.yaml"
TEMPO = ROOT / "tempo" / "tempo.yaml"
PROMETHEUS = ROOT / "prometheus" / "prometheus.yml"
DATASOURCES = ROOT / "grafana" / "provisioning" / "datasources" / "datasources.yaml"
DASHBOARD_PROVIDERS = ROOT / "grafana" / "provisioning" / "dashboards" / "dashboards.yaml"
GRAFANA_INI = ROOT / "grafana" / "grafana.ini"
ALERTMANAGER = ROOT / "alertmanager" / "alertmanager.yml"
BUCKET_SCRIPT = ROOT / "minio" / "create-buckets.sh"

# Component type names the ADOT collector v0.49.0 registers, with the deprecated aliases it
# still accepts: aws-otel-collector v0.49.0 pkg/defaultcomponents/defaults.go, and for each
# component its vendored internal/metadata/generated_status.go (Type, DeprecatedType).
ADOT_V0_49_COMPONENTS: dict[str, set[str]] = {
    "receivers": {
        "awscontainerinsightreceiver", "awsecscontainermetrics", "awsxray", "file_log",
        "filelog", "jaeger", "kafka", "otlp", "prometheus", "statsd", "zipkin",
    },
    "processors": {
        "attributes", "batch", "cumulativetodelta", "deltatorate", "filter", "groupbytrace",
        "k8s_attributes", "k8sattributes", "memory_limiter", "metrics_transform",
        "metricstransform", "metricsgeneration", "probabilistic_sampler", "resource",
        "resource_detection", "resourcedetection", "span", "tail_sampling",
    },
    "exporters": {
        "awscloudwatchlogs", "awsemf", "awsxray", "datadog", "debug", "file", "kafka",
        "load_balancing", "loadbalancing", "logzio", "otlp_grpc", "otlp", "otlp_http",
        "otlphttp", "prometheus", "prometheus_remote_write", "prometheusremotewrite", "signalfx",
    },
    "extensions": {
        "awsproxy", "ecs_observer", "file_storage", "health_check", "pprof", "sigv4auth",
        "zpages",
    },
    "connectors": set(),  # ADOT v0.49.0 registers no connector
}  # fmt: skip
# Deprecated aliases: accepted, but the collector warns at start; the lab uses the new names.
ADOT_DEPRECATED: dict[str, set[str]] = {
    "receivers": {"filelog"},
    "processors": {"k8sattributes", "metricstransform", "resourcedetection"},
    "exporters": {"loadbalancing", "otlp", "otlphttp", "prometheusremotewrite"},
    "extensions": set(),
    "connectors": set(),
}
# Exporters built on exporterhelper's queue, which can persist to a storage extension
# (core exporter/otlp*exporter/config.go: sending_queue). prometheus_remote_write has its own
# remote_write_queue (no storage) and awsxray has no queue.
QUEUE_WITH_STORAGE = {"otlp_grpc", "otlp_http"}

# Ports each service listens on inside the compose network, from its own config.
SERVICE_PORTS: dict[str, set[int]] = {
    "genai-service": {8000},
    "aiops": {8001},
    "adot": {4317, 4318, 13133, 8888},  # adot/otel-config.yaml
    "prometheus": {9090},
    "alertmanager": {9093},
    "loki": {3100, 9096},  # loki/loki.yaml server
    "tempo": {3200, 9095, 4317, 4318},  # tempo/tempo.yaml
    "minio": {9000, 9001},
    "xray-daemon": {2000},  # image entrypoint -t/-b 0.0.0.0:2000
    "grafana": {3000},
    "locust": {8089},
    "blackbox-exporter": {9115},  # blackbox/README.md
}
DATASOURCE_UIDS = {"prometheus", "loki", "tempo", "alertmanager"}
# Top-level blocks of Loki 3.7's config (grafana/loki v3.7.6 docs/sources/shared/
# configuration.md, "Supported contents and default values of loki.yaml").
LOKI_TOP_LEVEL = {
    "target", "auth_enabled", "ballast_bytes", "server", "internal_server", "distributor",
    "querier", "query_scheduler", "frontend", "query_range", "ruler", "ruler_storage",
    "ingester_client", "ingester", "pattern_ingester", "index_gateway", "bloom_build",
    "bloom_gateway", "storage_config", "chunk_store_config", "schema_config", "compactor",
    "compactor_grpc_client", "limits_config", "frontend_worker", "table_manager",
    "memberlist", "runtime_config", "operational_config", "tracing", "analytics", "common",
    "shutdown_delay", "metrics_namespace", "profiling", "ui", "dataobj", "kafka_config",
    "block_builder", "block_scheduler", "ingest_limits", "ingest_limits_frontend",
    "ingest_limits_frontend_client", "engine_v2",
}  # fmt: skip
# Tempo 3.0 top-level blocks (grafana/tempo v3.0.3 docs/sources/tempo/configuration/_index.md);
# `ingester`, `compactor`, `ingester_client` and `metrics_generator_client` were removed in 3.0.
TEMPO_TOP_LEVEL = {
    "target", "http_api_prefix", "server", "internal_server", "distributor", "ingest",
    "block_builder", "live_store", "live_store_client", "metrics_generator", "query_frontend",
    "querier", "backend_scheduler", "backend_worker", "storage", "overrides", "memberlist",
    "usage_report", "cache", "stream_over_http_enabled", "memory",
}  # fmt: skip
TEMPO_REMOVED_IN_3 = {"ingester", "compactor", "ingester_client", "metrics_generator_client"}


def services() -> dict[str, Any]:
    return dict(raw_compose()["services"])


# ------------------------------------------------------------------ ADOT collector


def _components(config: dict[str, Any], section: str) -> dict[str, Any]:
    return dict(config.get(section) or {})


def _type(component_id: str) -> str:
    return component_id.split("/", 1)[0]


@pytest.fixture(scope="module")
def adot() -> dict[str, Any]:
    return load_yaml(ADOT)


@pytest.fixture(scope="module")
def adot_aws(adot: dict[str, Any]) -> dict[str, Any]:
    merged = deep_merge(adot, load_yaml(ADOT_AWS))
    assert isinstance(merged, dict)
    return merged


@pytest.mark.parametrize("which", ["local", "aws"])
def test_collector_uses_only_components_adot_v0_49_has(
    which: str, adot: dict[str, Any], adot_aws: dict[str, Any]
) -> None:
    config = adot if which == "local" else adot_aws
    for section, known in ADOT_V0_49_COMPONENTS.items():
        for component_id in _components(config, section):
            kind = _type(component_id)
            assert kind in known, f"{section}: {component_id!r} is not in ADOT v0.49.0"
            assert kind not in ADOT_DEPRECATED[section], f"{component_id}: deprecated alias"


@pytest.mark.parametrize("which", ["local", "aws"])
def test_collector_pipelines_reference_defined_components(
    which: str, adot: dict[str, Any], adot_aws: dict[str, Any]
) -> None:
    config = adot if which == "local" else adot_aws
    service = config["service"]
    for ext in service["extensions"]:
        assert ext in _components(config, "extensions"), f"extension {ext} not defined"
    used: dict[str, set[str]] = {"receivers": set(), "processors": set(), "exporters": set()}
    for name, pipeline in service["pipelines"].items():
        signal = name.split("/", 1)[0]
        assert signal in {"traces", "metrics", "logs"}, name
        for section in used:
            for component_id in pipeline.get(section, []):
                assert component_id in _components(config, section), f"{name}: {component_id}"
                used[section].add(component_id)
        processors = pipeline["processors"]
        # memory_limiter first refuses data before anything else allocates; batch last.
        assert processors[0] == "memory_limiter", f"{name}: memory_limiter must come first"
        assert _type(processors[-1]) == "batch", f"{name}: batch must come last"
        assert "resource" in processors, f"{name} does not set the environment"
    for section, ids in used.items():
        unused = set(_components(config, section)) - ids
        assert not unused, f"defined but unused {section}: {unused}"


def test_collector_local_config_needs_no_aws_credentials(adot: dict[str, Any]) -> None:
    # sigv4auth fetches AWS credentials while the config is validated (stack-facts.md).
    assert "sigv4auth" not in _components(adot, "extensions")
    assert all("auth" not in cfg for cfg in _components(adot, "exporters").values())
    xray = adot["exporters"]["awsxray"]
    assert xray["region"] == "${env:AWS_REGION}"
    assert xray["local_mode"] is True
    assert urlsplit(xray["endpoint"]).hostname == "xray-daemon"


def test_collector_listens_where_compose_and_prometheus_expect(adot: dict[str, Any]) -> None:
    protocols = adot["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "0.0.0.0:4317"
    assert protocols["http"]["endpoint"] == "0.0.0.0:4318"
    assert adot["extensions"]["health_check"]["endpoint"] == "0.0.0.0:13133"
    readers = adot["service"]["telemetry"]["metrics"]["readers"]
    prom = readers[0]["pull"]["exporter"]["prometheus"]
    assert (prom["host"], prom["port"]) == ("0.0.0.0", 8888)
    targets = _scrape_targets(load_yaml(PROMETHEUS))
    assert "adot:8888" in targets["adot"]


def test_collector_exporters_are_wired_as_the_backends_expect(adot: dict[str, Any]) -> None:
    exporters = adot["exporters"]
    prw = exporters["prometheus_remote_write"]
    assert prw["endpoint"] == "http://prometheus:9090/api/v1/write"
    assert prw["tls"]["insecure"] is True
    assert prw["resource_to_telemetry_conversion"]["enabled"] is True
    # Loki's OTLP endpoint: the exporter appends /v1/logs.
    assert exporters["otlp_http/loki"]["endpoint"] == "http://loki:3100/otlp"
    tempo = exporters["otlp_grpc/tempo"]
    assert tempo["endpoint"] == "tempo:4317" and tempo["tls"]["insecure"] is True
    env_attr = adot["processors"]["resource"]["attributes"][0]
    assert env_attr["key"] == "deployment.environment.name"
    assert env_attr["value"] == "${env:DEPLOYMENT_ENVIRONMENT}"


def test_collector_queues_survive_restarts(adot: dict[str, Any]) -> None:
    extensions = _components(adot, "extensions")
    for component_id, cfg in _components(adot, "exporters").items():
        if _type(component_id) not in QUEUE_WITH_STORAGE:
            continue
        queue = cfg["sending_queue"]
        assert queue["enabled"] is True
        assert queue["storage"] in extensions, f"{component_id}: storage not defined"
        assert _type(queue["storage"]) == "file_storage"
        assert cfg["retry_on_failure"]["enabled"] is True
    storage = extensions["file_storage/queue"]
    assert storage["create_directory"] is True
    assert storage["compaction"]["directory"] == storage["directory"]


def test_collector_aws_overlay_adds_amp_and_direct_xray(adot_aws: dict[str, Any]) -> None:
    assert "sigv4auth" in adot_aws["service"]["extensions"]
    amp = adot_aws["exporters"]["prometheus_remote_write/amp"]
    assert amp["auth"]["authenticator"] == "sigv4auth"
    assert amp["endpoint"] == "${env:AMP_REMOTE_WRITE_URL}"
    assert adot_aws["exporters"]["awsxray"]["endpoint"] == ""
    metrics = adot_aws["service"]["pipelines"]["metrics"]["exporters"]
    assert set(metrics) == {"prometheus_remote_write", "prometheus_remote_write/amp"}
    # Everything else the local pipeline does is kept.
    assert adot_aws["service"]["pipelines"]["logs"]["exporters"] == ["otlp_http/loki"]


def test_collector_env_references_are_provided_by_compose() -> None:
    resolved = resolved_compose(COMPOSE_FILE, env_files=[VERSIONS_ENV, ENV_EXAMPLE])
    env = resolved["services"]["adot"]["environment"]
    for var in _env_refs(ADOT):
        assert env.get(var), f"adot config reads {var}, compose does not set it"
    aws = load_yaml(ROOT / "docker-compose.aws.yml")["services"]["adot"]["environment"]
    for var in _env_refs(ADOT_AWS):
        assert var in aws or env.get(var), f"aws overlay config reads {var}, compose lacks it"


def _env_refs(path: Path) -> set[str]:
    """${env:VAR} references outside comments."""
    code = "\n".join(line.split("#", 1)[0] for line in path.read_text().splitlines())
    return set(re.findall(r"\$\{env:([A-Z0-9_]+)\}", code))


# ------------------------------------------------------------------ Prometheus


def _scrape_targets(config: dict[str, Any]) -> dict[str, list[str]]:
    return {
        job["job_name"]: [t for sc in job.get("static_configs", []) for t in sc["targets"]]
        for job in config["scrape_configs"]
    }


def test_promtool_accepts_prometheus_config(tmp_path: Path) -> None:
    # The container reads rules from /etc/prometheus/rules; point promtool at the repo's folder
    # so the rule files (when present) are checked too.
    config = PROMETHEUS.read_text().replace(
        "/etc/prometheus/rules/", str(ROOT / "prometheus" / "rules") + "/"
    )
    copy = tmp_path / "prometheus.yml"
    copy.write_text(config)
    out = run_cli([str(real_tool("promtool")), "check", "config", str(copy)], timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout + out.stderr


def test_prometheus_scrapes_every_pipeline_component_and_loads_rules() -> None:
    config = load_yaml(PROMETHEUS)
    targets = _scrape_targets(config)
    for job in ("prometheus", "adot", "tempo", "loki", "grafana", "alertmanager"):
        assert targets.get(job), f"no scrape job {job}"
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    mounts = services()["prometheus"]["volumes"]
    assert "./prometheus/rules:/etc/prometheus/rules:ro" in mounts
    alerting = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert alerting == ["alertmanager:9093"]


def test_prometheus_flags_enable_remote_write_and_exemplars() -> None:
    command = services()["prometheus"]["command"]
    assert "--web.enable-remote-write-receiver" in command
    assert "--enable-feature=exemplar-storage" in command
    assert any(c.startswith("--storage.tsdb.retention.time=") for c in command)
    assert any(c.startswith("--storage.tsdb.retention.size=") for c in command)


def test_amtool_accepts_alertmanager_config() -> None:
    assert ALERTMANAGER.exists(), "docker-compose.yml mounts alertmanager/alertmanager.yml"
    out = run_cli([str(real_tool("amtool")), "check-config", str(ALERTMANAGER)], timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


# ------------------------------------------------------------------ Loki


@pytest.mark.parametrize("path", [LOKI, LOKI_AWS], ids=["minio", "aws"])
def test_loki_config_is_single_binary_tsdb_v13_with_retention(path: Path) -> None:
    config = load_yaml(path)
    unknown = set(config) - LOKI_TOP_LEVEL
    assert not unknown, f"not Loki 3.7 config blocks: {unknown}"
    (schema,) = config["schema_config"]["configs"]
    assert (schema["store"], schema["schema"], schema["object_store"]) == ("tsdb", "v13", "s3")
    compactor = config["compactor"]
    assert compactor["retention_enabled"] is True
    # Without it Loki refuses to start when retention is on (stack-facts.md).
    assert compactor["delete_request_store"] == "s3"
    assert config["limits_config"]["allow_structured_metadata"] is True
    assert config["limits_config"]["retention_period"]
    assert config["ingester"]["lifecycler"]["min_ready_duration"] in {"1s", "2s", "5s"}
    assert config["common"]["replication_factor"] == 1
    assert config["common"]["ring"]["kvstore"]["store"] == "inmemory"


def test_loki_stores_on_the_minio_bucket_minio_init_creates() -> None:
    s3 = load_yaml(LOKI)["common"]["storage"]["s3"]
    assert s3["endpoint"] == "minio:9000"
    assert s3["s3forcepathstyle"] is True and s3["insecure"] is True
    assert s3["access_key_id"] == "${MINIO_ROOT_USER}"
    assert s3["secret_access_key"] == "${MINIO_ROOT_PASSWORD}"
    init = services()["minio-init"]
    assert s3["bucketnames"] in init["environment"]["MINIO_BUCKETS"].split()
    loki = services()["loki"]
    assert "-config.expand-env=true" in loki["command"]
    assert {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"} <= set(loki["environment"])


def test_loki_aws_config_uses_an_iam_role_not_keys() -> None:
    s3 = load_yaml(LOKI_AWS)["common"]["storage"]["s3"]
    assert "access_key_id" not in s3 and "secret_access_key" not in s3
    assert "endpoint" not in s3
    assert s3["bucketnames"] == "${LOKI_S3_BUCKET}"
    # Apart from storage, where the ruler's results go (tests/config/test_loki_aws_ruler.py)
    # and comments, the two files are the same config.
    local = load_yaml(LOKI)
    aws = load_yaml(LOKI_AWS)
    local["common"].pop("storage")
    aws["common"].pop("storage")
    local.pop("ruler")
    aws.pop("ruler")
    assert local == aws


def test_minio_bucket_script_is_valid_posix_shell() -> None:
    out = subprocess.run(["sh", "-n", str(BUCKET_SCRIPT)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


# ------------------------------------------------------------------ Tempo


def test_tempo_config_is_tempo_3_monolithic() -> None:
    config = load_yaml(TEMPO)
    unknown = set(config) - TEMPO_TOP_LEVEL
    assert not unknown, f"not Tempo 3.0 config blocks: {unknown}"
    assert not set(config) & TEMPO_REMOVED_IN_3
    protocols = config["distributor"]["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "0.0.0.0:4317"
    assert protocols["http"]["endpoint"] == "0.0.0.0:4318"
    # 3.0 refuses legacy flat overrides: everything must sit under overrides.defaults.
    assert set(config["overrides"]) == {"defaults"}
    processors = config["overrides"]["defaults"]["metrics_generator"]["processors"]
    assert set(processors) == {"service-graphs", "span-metrics"}
    (remote_write,) = config["metrics_generator"]["storage"]["remote_write"]
    assert remote_write["url"] == "http://prometheus:9090/api/v1/write"
    assert remote_write["send_exemplars"] is True
    assert config["server"]["http_listen_port"] == 3200


# Every path Tempo v3.0.3 writes in monolithic mode (-target=all runs backend-scheduler,
# backend-worker, query-frontend, querier, distributor, metrics-generator and live-store;
# cmd/tempo/app/modules.go), with the default it falls back to when the key is not set:
TEMPO_PATHS = {
    ("storage", "trace", "wal", "path"): "/var/tempo/wal",  # modules/storage/config.go
    ("storage", "trace", "local", "path"): "",  # tempodb/backend/local (required for local)
    ("metrics_generator", "storage", "path"): "",  # modules/generator/storage/config.go
    # modules/livestore/config.go
    ("live_store", "wal", "path"): "/var/tempo/live-store/traces",
    ("live_store", "shutdown_marker_dir"): "/var/tempo/live-store/shutdown-marker",
    # modules/backendscheduler/config.go: the work cache's shard files (cache.go)
    ("backend_scheduler", "local_work_path"): "/var/tempo",
}
TEMPO_VOLUME = "/var/tempo"


def _get(config: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(config, dict) or key not in config:
            return None
        config = config[key]
    return config


def test_tempo_names_every_path_it_writes_under_its_volume() -> None:
    config = load_yaml(TEMPO)
    paths = {keys: _get(config, keys) for keys in TEMPO_PATHS}
    unset = [".".join(k) for k, v in paths.items() if not v]
    assert not unset, f"Tempo would write to its defaults for {unset}"
    for keys, path in paths.items():
        # A directory of its own under the volume, never the volume's root, so the layout
        # is what the config says and no two components share a directory.
        assert path.startswith(TEMPO_VOLUME + "/"), (keys, path)
    values = list(paths.values())
    for a in values:
        for b in values:
            assert a == b or not b.startswith(a + "/"), f"{b} is inside {a}"
    assert len(set(values)) == len(values)
    # The volume the compose file mounts is where they all are.
    volumes = raw_compose()["services"]["tempo"]["volumes"]
    assert any(v.endswith(":" + TEMPO_VOLUME) for v in volumes)


def test_tempo_keeps_whole_stack_traces_on_spans() -> None:
    # Tempo's default max_attribute_bytes (2048, modules/distributor/config.go) truncated
    # /crash's 3,360-character exception.stacktrace, dropping the innermost frame and the
    # exception line. The key belongs to the distributor block in v3.0.3.
    limit = load_yaml(TEMPO)["distributor"].get("max_attribute_bytes")
    assert isinstance(limit, int), "max_attribute_bytes is not set: Tempo cuts at 2048 bytes"
    # 0 would mean unbounded, which the limit exists to prevent (querier out of memory).
    assert 4 * 3360 <= limit <= 64 * 1024


# ------------------------------------------------------------------ Grafana


@pytest.fixture(scope="module")
def datasources() -> list[dict[str, Any]]:
    data = load_yaml(DATASOURCES)
    assert data["apiVersion"] == 1
    return list(data["datasources"])


def test_grafana_datasources_have_the_shared_uids(datasources: list[dict[str, Any]]) -> None:
    by_uid = {ds["uid"]: ds for ds in datasources}
    assert set(by_uid) == DATASOURCE_UIDS
    assert {uid: ds["type"] for uid, ds in by_uid.items()} == {
        "prometheus": "prometheus",
        "loki": "loki",
        "tempo": "tempo",
        "alertmanager": "alertmanager",
    }
    assert [ds["uid"] for ds in datasources if ds.get("isDefault")] == ["prometheus"]


def test_grafana_cross_links_point_at_existing_datasources(
    datasources: list[dict[str, Any]],
) -> None:
    by_uid = {ds["uid"]: ds for ds in datasources}
    linked: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "datasourceUid":
                    linked.append(value)
                collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(datasources)
    assert linked and set(linked) <= DATASOURCE_UIDS
    loki_link = by_uid["loki"]["jsonData"]["derivedFields"][0]
    assert (loki_link["matcherType"], loki_link["matcherRegex"]) == ("label", "trace_id")
    assert loki_link["datasourceUid"] == "tempo"
    tempo = by_uid["tempo"]["jsonData"]
    assert tempo["tracesToLogsV2"]["datasourceUid"] == "loki"
    assert tempo["serviceMap"]["datasourceUid"] == "prometheus"
    assert tempo["tracesToMetrics"]["datasourceUid"] == "prometheus"
    exemplar_labels = {
        d["name"] for d in by_uid["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    }
    # trace_id: the collector's remote write; traceID: Tempo's metrics generator.
    assert exemplar_labels == {"trace_id", "traceID"}


def test_grafana_provisioning_escapes_its_own_macros() -> None:
    # Grafana expands $VAR / ${VAR} from the environment in provisioning files, so its own
    # ${__value.raw}-style macros must be written $${...} (provisioning docs).
    for path in (DATASOURCES, DASHBOARD_PROVIDERS):
        for line in path.read_text().splitlines():
            if line.lstrip().startswith("#"):
                continue
            for m in re.finditer(r"\$+\{?__", line):
                assert m.group(0).startswith("$$"), f"{path.name}: unescaped macro in {line!r}"


def test_grafana_datasource_urls_and_dashboard_folder_exist_in_compose(
    datasources: list[dict[str, Any]],
) -> None:
    svc = services()
    for ds in datasources:
        url = urlsplit(ds["url"])
        assert url.hostname in svc, f"{ds['uid']}: {url.hostname} is not a compose service"
        assert url.port in SERVICE_PORTS[str(url.hostname)]
    (provider,) = load_yaml(DASHBOARD_PROVIDERS)["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    assert "./grafana/dashboards:/var/lib/grafana/dashboards:ro" in svc["grafana"]["volumes"]


def _datasource_uids(node: Any) -> set[str]:
    """Every datasource uid a dashboard's panels, targets and variables name."""
    found: set[str] = set()
    if isinstance(node, dict):
        ds = node.get("datasource")
        if isinstance(ds, dict) and isinstance(ds.get("uid"), str):
            found.add(ds["uid"])
        for value in node.values():
            found |= _datasource_uids(value)
    elif isinstance(node, list):
        for item in node:
            found |= _datasource_uids(item)
    return found


def test_grafana_dashboards_use_only_provisioned_datasource_uids() -> None:
    builtin = {"grafana", "-- Grafana --", "-- Mixed --", "-- Dashboard --"}
    for path in sorted((ROOT / "grafana" / "dashboards").glob("**/*.json")):
        uids = _datasource_uids(json.loads(path.read_text()))
        # Template variables ($datasource, ${ds}) and Grafana's built-ins are allowed.
        concrete = {u for u in uids if not u.startswith("$") and u not in builtin}
        unknown = concrete - DATASOURCE_UIDS
        assert not unknown, f"{path.name} uses unknown datasource uids {unknown}"


def test_grafana_starts_offline_with_no_default_password() -> None:
    # Anonymous access: tests/config/test_grafana_access.py.
    import configparser

    ini = configparser.ConfigParser(interpolation=None)
    ini.read(GRAFANA_INI)
    assert ini.getboolean("plugins", "preinstall_disabled") is True
    assert not ini.has_option("security", "admin_password")
    assert ini.getboolean("analytics", "check_for_updates") is False
    env = services()["grafana"]["environment"]
    assert env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")
    assert not any(k.startswith(("GF_INSTALL_PLUGINS", "GF_PLUGINS_PREINSTALL")) for k in env)


# ------------------------------------------------------------------ names that must exist


def _host_references() -> list[tuple[str, str, int | None]]:
    """(where, host, port) for every host:port the configs point at."""
    refs: list[tuple[str, str, int | None]] = []

    def add(where: str, value: str) -> None:
        url = urlsplit(value if "://" in value else f"tcp://{value}")
        if url.hostname:
            refs.append((where, url.hostname, url.port))

    adot = load_yaml(ADOT)
    for component_id, cfg in adot["exporters"].items():
        add(f"adot exporter {component_id}", cfg["endpoint"])
    for job, targets in _scrape_targets(load_yaml(PROMETHEUS)).items():
        for target in targets:
            add(f"prometheus job {job}", target)
    # A probe job's targets are URLs to probe; the scrape itself goes to the relabelled address.
    for job in load_yaml(PROMETHEUS)["scrape_configs"]:
        for rule in job.get("relabel_configs", []):
            if rule.get("target_label") == "__address__":
                add(f"prometheus job {job['job_name']} (prober)", rule["replacement"])
    for target in load_yaml(PROMETHEUS)["alerting"]["alertmanagers"][0]["static_configs"][0][
        "targets"
    ]:
        add("prometheus alerting", target)
    for ds in load_yaml(DATASOURCES)["datasources"]:
        add(f"grafana datasource {ds['uid']}", ds["url"])
    add("loki s3", load_yaml(LOKI)["common"]["storage"]["s3"]["endpoint"])
    for rw in load_yaml(TEMPO)["metrics_generator"]["storage"]["remote_write"]:
        add("tempo remote_write", rw["url"])
    m = re.search(r'MINIO_ENDPOINT:-([^}"]+)', BUCKET_SCRIPT.read_text())
    assert m
    add("minio-init", m.group(1))
    for name, svc in services().items():
        for key, value in (svc.get("environment") or {}).items():
            if isinstance(value, str) and re.match(r"^https?://[a-z]", value):
                add(f"{name} env {key}", value)
    if ALERTMANAGER.exists():
        for url in re.findall(r"url:\s*['\"]?(https?://[^\s'\"]+)", ALERTMANAGER.read_text()):
            add("alertmanager receiver", url)
    return refs


def test_every_host_named_in_configs_is_a_compose_service_on_a_port_it_listens() -> None:
    svc = services()
    assert set(SERVICE_PORTS) | {"minio-init", "grafana-token"} == set(svc)
    refs = _host_references()
    assert len(refs) > 15
    for where, host, port in refs:
        if host in {"localhost", "127.0.0.1"}:
            assert where == "prometheus job prometheus", f"{where} points at itself"
            continue
        assert host in svc, f"{where}: {host} is not a compose service"
        if port is not None:
            assert port in SERVICE_PORTS[host], f"{where}: {host}:{port} is not a listening port"


def test_adot_host_names_match_the_dependency_order() -> None:
    svc = services()
    hosts = {
        urlsplit(
            cfg["endpoint"] if "://" in cfg["endpoint"] else f"tcp://{cfg['endpoint']}"
        ).hostname
        for cfg in load_yaml(ADOT)["exporters"].values()
    }
    assert hosts == {"prometheus", "loki", "tempo", "xray-daemon"}
    assert hosts <= set(svc["adot"]["depends_on"])


def test_all_config_files_parse_as_yaml() -> None:
    for path in [
        ADOT,
        ADOT_AWS,
        LOKI,
        LOKI_AWS,
        TEMPO,
        PROMETHEUS,
        DATASOURCES,
        DASHBOARD_PROVIDERS,
    ]:
        assert isinstance(yaml.safe_load(path.read_text()), dict), path
