"""The Terraform under infra/, checked without a registry or AWS: it parses, every name it uses
is declared, images come from ECR (built from versions.env), the ECS tasks get what compose
gives the same services, IAM is least privilege as documented, and AMP gets the lab's own rule
files and generated Alertmanager definition."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from tests.config.lab import raw_compose
from tests.conftest import ROOT
from tests.infra import hcl

pytestmark = pytest.mark.config

IAM_DOC = ROOT / "docs" / "aws" / "iam.md"
VERSIONS_ENV = ROOT / "versions.env"
BUILD_IMAGES = ROOT / "scripts" / "build-images.sh"
IMAGES_DIR = ROOT / "infra" / "images"
PRICING = ROOT / "app" / "genai_service" / "pricing.yaml"

# Module-call arguments that are Terraform meta-arguments, not module variables.
META_ARGS = {"source", "version", "count", "for_each", "depends_on", "providers"}
COMPOSE_AWS = ROOT / "docker-compose.aws.yml"
ENV_EXAMPLE = ROOT / ".env.example"
LOKI_S3_LIFECYCLE = ROOT / "loki" / "aws" / "s3-lifecycle.json"
LOKI_AWS_CONFIG = ROOT / "loki" / "loki.aws.yaml"
# compose service (its AWS-overlay environment merged in) -> (Terraform locals the ECS
# container's environment merges, in order; local with its secrets or None). adot is the sidecar.
OTEL_SDK_ENV = "otel_sdk_env"
ECS_SERVICES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "genai-service": ((OTEL_SDK_ENV, "genai_service_env"), "genai_service_secrets"),
    "aiops": ((OTEL_SDK_ENV, "aiops_env"), "aiops_secrets"),
    "grafana-token": (("grafana_token_env",), "grafana_token_secrets"),
    "adot": (("adot_env",), None),
    "loki": (("loki_env",), None),
    "grafana": (("grafana_env",), "grafana_secrets"),
}
_TASK_ROLE = "static keys from .env; on ECS the task role provides credentials"
# Keys only one side has, and why. Anything else missing on either side is drift.
COMPOSE_ONLY: dict[str, dict[str, str]] = {
    "adot": {
        "AWS_ACCESS_KEY_ID": _TASK_ROLE,
        "AWS_SECRET_ACCESS_KEY": _TASK_ROLE,
        "AWS_SESSION_TOKEN": _TASK_ROLE,
    },
    "loki": {
        "MINIO_ROOT_USER": "MinIO credentials: on AWS Loki stores on S3 (loki/loki.aws.yaml)",
        "MINIO_ROOT_PASSWORD": "MinIO credentials: on AWS Loki stores on S3 (loki/loki.aws.yaml)",
        "AWS_ACCESS_KEY_ID": _TASK_ROLE,
        "AWS_SECRET_ACCESS_KEY": _TASK_ROLE,
        "AWS_SESSION_TOKEN": _TASK_ROLE,
    },
}
ECS_ONLY: dict[str, dict[str, str]] = {
    "aiops": {
        "PROMETHEUS_SIGV4_SERVICE": "AMP answers SigV4-signed queries only",
        "BEDROCK_MODEL_ID": "the summariser's Bedrock model (var.aiops_bedrock_model_id)",
    },
    "grafana-token": {
        "GRAFANA_TOKEN_PARAMETER": "the token also goes to SSM for the AI-ops Lambda",
        "GRAFANA_TOKEN_KMS_KEY": "the lab key that parameter is encrypted with",
        "AWS_REGION": "the SSM client's region",
    },
    "adot": {
        "LOKI_OTLP_ENDPOINT": "adot/otel-config.ecs.yaml: Loki's Cloud Map name in the VPC",
        "CLOUDWATCH_LOG_GROUP": "adot/otel-config.cloudwatch.yaml (enable_cloudwatch)",
    },
    "grafana": {
        "GF_PATHS_DATA": "the writable database on a task volume, not over the baked dashboards",
        "GF_SERVER_ROOT_URL": "links in Grafana point at the load balancer",
        "AMP_QUERY_URL": "grafana/aws/datasources.yaml: the AMP datasource",
        "LOKI_URL": "grafana/aws/datasources.yaml: Loki's Cloud Map name",
        "AWS_REGION": "grafana/aws/datasources.yaml: SigV4 and X-Ray region",
    },
}
# Keys whose value may differ, and why.
VALUE_DIFFERS = {"GOMEMLIMIT": "sized to the task's memory, not compose's mem_limit"}


def root() -> hcl.Module:
    return hcl.load(hcl.ROOT_MODULE)


# ------------------------------------------------------------------ parsing and names


@pytest.mark.parametrize("module_dir", hcl.MODULE_DIRS, ids=lambda p: p.name)
def test_every_tf_file_parses(module_dir: Any) -> None:
    module = hcl.load(module_dir)
    assert module.files, f"{module_dir}: no .tf files"


@pytest.mark.parametrize("module_dir", hcl.MODULE_DIRS, ids=lambda p: p.name)
def test_every_name_used_is_declared(module_dir: Any) -> None:
    module = hcl.load(module_dir)
    used = hcl.refs(module.text())
    assert used["var"] <= set(module.variables), used["var"] - set(module.variables)
    assert used["local"] <= set(module.locals), used["local"] - set(module.locals)
    assert used["resource"] <= module.resources, used["resource"] - module.resources
    assert used["data"] <= module.data_sources, used["data"] - module.data_sources
    assert used["module"] <= set(module.module_calls), used["module"] - set(module.module_calls)


def test_reference_check_catches_undeclared_names() -> None:
    # The checker itself: a snippet using an undeclared variable and resource is caught.
    parsed = hcl.clean(
        hcl2.loads('output "x" {\n  value = "${var.nope}-${aws_s3_bucket.gone.id}"\n}\n')
    )
    used = hcl.refs(str(parsed))
    assert "nope" in used["var"]
    assert ("aws_s3_bucket", "gone") in used["resource"]


@pytest.mark.parametrize("module_dir", hcl.MODULE_DIRS, ids=lambda p: p.name)
def test_every_move_leaves_a_removed_address_for_a_declared_one(module_dir: Any) -> None:
    module = hcl.load(module_dir)
    for old, new in module.moves:
        gone, now = hcl.refs(old), hcl.refs(new)
        assert not gone["resource"] & module.resources, f"moved from {old}, which still exists"
        assert not gone["module"] & set(module.module_calls), f"moved from {old}, still called"
        assert now["resource"] <= module.resources, f"moved to {new}, which is not declared"
        assert now["module"] <= set(module.module_calls), f"moved to {new}, not called"
        assert now["resource"] or now["module"], new


@pytest.mark.parametrize("module_dir", hcl.MODULE_DIRS, ids=lambda p: p.name)
def test_variables_and_outputs_are_described(module_dir: Any) -> None:
    module = hcl.load(module_dir)
    for kind, items in (("variable", module.variables), ("output", module.outputs)):
        for name, body in items.items():
            assert str(body.get("description", "")).strip(), f"{kind} {name} has no description"


def test_local_module_calls_pass_exactly_declared_variables() -> None:
    for name, call in root().module_calls.items():
        source = call["source"]
        if not source.startswith("./"):
            continue
        child = hcl.load((hcl.ROOT_MODULE / source).resolve())
        args = set(call) - META_ARGS
        assert args <= set(child.variables), f"module {name}: unknown {args - set(child.variables)}"
        required = {v for v, body in child.variables.items() if "default" not in body}
        assert required <= args, f"module {name}: missing {required - args}"


@pytest.mark.parametrize("module_dir", hcl.MODULE_DIRS, ids=lambda p: p.name)
def test_outputs_read_from_local_modules_are_declared(module_dir: Any) -> None:
    # terraform validate would say so, but it needs providers from a registry.
    module = hcl.load(module_dir)
    text = module.text()
    for name, call in module.module_calls.items():
        if not call["source"].startswith(("./", "../")):
            continue
        child = hcl.load((module_dir / call["source"]).resolve())
        read = set(re.findall(rf"(?<![\w.])module\.{name}\.(\w+)", text))
        assert read <= set(child.outputs), f"module.{name}: no output {read - set(child.outputs)}"


def test_registry_modules_are_pinned_exactly() -> None:
    for name, call in root().module_calls.items():
        if call["source"].startswith("./"):
            continue
        assert call["source"].startswith("terraform-aws-modules/vpc/aws"), name
        assert re.fullmatch(r"\d+\.\d+\.\d+", str(call.get("version", ""))), (
            f"module {name}: version must be exact, not {call.get('version')!r}"
        )


@pytest.mark.parametrize("module_dir", hcl.MODULE_DIRS, ids=lambda p: p.name)
def test_modules_state_minimum_versions_and_root_modules_pin(module_dir: Any) -> None:
    # A called module only says what it needs (>=), so it never fights its caller's pins; each
    # root module (the two applied directly: infra/terraform, infra/bootstrap) pins.
    terraform = hcl.load(module_dir).blocks("terraform")[0][1]
    called = "modules" in module_dir.relative_to(hcl.INFRA).parts
    expected = ">=" if called else "~>"
    assert terraform["required_version"].startswith(">="), module_dir
    for name, provider in terraform["required_providers"][0].items():
        version = provider["version"]
        assert version.startswith(expected), f"{module_dir.name}: {name} {version!r}"


def test_state_uses_s3_native_locking() -> None:
    terraform = root().blocks("terraform")[0][1]
    backend = terraform["backend"][0]["s3"]
    assert backend["use_lockfile"] is True
    assert "dynamodb_table" not in backend, "DynamoDB locking is deprecated (Terraform 1.11)"
    assert re.match(r">= ?1\.1[1-9]", terraform["required_version"])


# ------------------------------------------------------------------ images


def _container_defs() -> dict[str, list[Any]]:
    return {
        name: call["containers"]
        for name, call in root().module_calls.items()
        if "containers" in call
    }


def test_every_task_image_is_an_ecr_image_built_from_versions_env() -> None:
    images_local = root().locals["images"]
    assert "aws_ecr_repository.this[repo].repository_url" in images_local
    assert "var.image_tag" in images_local
    repos = set(root().resource("aws_ecr_repository", "this")["for_each"].split('"')[1::2])
    adot_image = root().locals["adot_container"]["image"]
    seen = {re.search(r'local\.images\["(\w+)"\]', adot_image).group(1)}
    for service, containers in _container_defs().items():
        for c in containers:
            if isinstance(c, str):
                assert c == "${local.adot_container}", f"{service}: {c}"
                continue
            m = re.fullmatch(r'\$\{local\.images\["(\w+)"\]\}', c["image"])
            assert m, f"{service}/{c['name']}: image {c['image']} is not from ECR"
            seen.add(m.group(1))
    assert seen == repos, f"ECR repositories {repos} vs images used {seen}"
    # Each repository is built by scripts/build-images.sh from a base pinned in versions.env.
    pinned = dict(
        line.split("=", 1)
        for line in VERSIONS_ENV.read_text().splitlines()
        if re.match(r"^[A-Z_]+=", line)
    )
    script = BUILD_IMAGES.read_text()
    for repo in repos:
        m = re.search(rf'"{repo}\|([^|]+)\|([^"]+)"', script)
        assert m, f"build-images.sh does not build {repo}"
        dockerfile = (ROOT / m.group(1)).read_text()
        for arg in re.findall(r"^FROM \$\{(\w+)\}", dockerfile, re.MULTILINE):
            assert arg in pinned, f"{m.group(1)}: FROM ${{{arg}}} is not pinned in versions.env"
            assert f"{arg}=${arg}" in m.group(2), f"build-images.sh does not pass {arg}"
        for line in re.findall(r"^FROM (.+)$", dockerfile, re.MULTILINE):
            assert (
                line.startswith("${") or " AS " in line or line.split()[0] in {"base", "build"}
            ), line


def test_bedrock_model_defaults_match_pricing_file() -> None:
    default = root().variables["bedrock_model_ids"]["default"]
    pricing = yaml.safe_load(PRICING.read_text())
    assert sorted(default) == sorted(m["bedrock_id"] for m in pricing["models"])


# ------------------------------------------------------------------ compose vs ECS (drift)


def _compose_env(service: str) -> dict[str, str]:
    env = dict(raw_compose()["services"][service].get("environment", {}))
    overlay = raw_compose(COMPOSE_AWS)["services"].get(service, {})
    env |= overlay.get("environment", {})
    return {k: str(v) for k, v in env.items()}


def _generated_secrets() -> set[str]:
    """.env.example's `__generate__` values: the lab's secrets."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    return {ln.split("=", 1)[0] for ln in lines if ln.endswith("=__generate__")}


def _tf_map(name: str | None) -> dict[str, str]:
    if name is None:
        return {}
    value = root().locals[name]
    assert isinstance(value, dict), f"local.{name} must be a literal map"
    return {k: str(v) for k, v in value.items()}


def _tf_env(service: str) -> dict[str, str]:
    """The container's environment as ecs.tf writes it: its locals merged, the last one winning."""
    env_locals = ECS_SERVICES[service][0]
    refs = ", ".join(f"local.{name}" for name in env_locals)
    expr = f"merge({refs})" if len(env_locals) > 1 else refs
    assert f"for k, v in {expr} :" in root().text(), f"{service}: no container environment {expr}"
    env: dict[str, str] = {}
    for name in env_locals:
        env |= _tf_map(name)
    return env


def drift(
    service: str, compose: dict[str, str], env: dict[str, str], secrets: dict[str, str]
) -> list[str]:
    """Where the ECS task and the compose service disagree, as readable lines."""
    problems = []
    ecs = env | secrets
    missing = set(compose) - set(ecs) - set(COMPOSE_ONLY.get(service, {}))
    extra = set(ecs) - set(compose) - set(ECS_ONLY.get(service, {}))
    problems += [f"{service}: compose sets {k}, the ECS task does not" for k in sorted(missing)]
    problems += [f"{service}: the ECS task sets {k}, compose does not" for k in sorted(extra)]
    # Settings that are not endpoints keep their compose value (compose defaults resolved).
    for key, value in compose.items():
        if key not in env:
            continue
        literal = re.fullmatch(r"\$\{[A-Z_]+:-([^}]*)\}", value)
        expected = literal.group(1) if literal else value
        if "${" in expected or "://" in expected or key == "OTEL_RESOURCE_ATTRIBUTES":
            continue
        if key in VALUE_DIFFERS:
            continue
        if env[key].startswith("${"):
            continue  # a Terraform variable (region, environment, provider)
        if env[key] != expected:
            problems.append(f"{service}: {key} is {env[key]!r} on ECS, {expected!r} in compose")
    return problems


@pytest.mark.parametrize("service", sorted(ECS_SERVICES))
def test_task_environment_matches_compose(service: str) -> None:
    secrets_local = ECS_SERVICES[service][1]
    problems = drift(service, _compose_env(service), _tf_env(service), _tf_map(secrets_local))
    assert not problems, "\n".join(problems)


def test_drift_check_catches_a_new_compose_key_and_a_changed_value() -> None:
    compose = _compose_env("genai-service") | {"NEW_SETTING": "1"}
    env = _tf_env("genai-service") | {"REQUIRE_API_KEY": "false"}
    problems = drift("genai-service", compose, env, _tf_map("genai_service_secrets"))
    assert any("NEW_SETTING" in p for p in problems)
    assert any("REQUIRE_API_KEY is 'false'" in p for p in problems)


@pytest.mark.parametrize("service", sorted(ECS_SERVICES))
def test_compose_secrets_are_ssm_secrets_on_ecs(service: str) -> None:
    secrets = _tf_map(ECS_SERVICES[service][1])
    generated = _generated_secrets()
    for key, value in _compose_env(service).items():
        ref = re.fullmatch(r"\$\{([A-Z_]+)[:?-][^}]*\}", value)
        if not ref or ref.group(1) not in generated or key in COMPOSE_ONLY.get(service, {}):
            continue
        assert key in secrets, f"{service}: {key} is a secret in compose, plain on ECS"
        assert f'aws_ssm_parameter.secret["{ref.group(1)}"]' in secrets[key], key
    assert not set(secrets) & set(_tf_env(service)), "a key is both env and secret"


def test_secret_parameters_are_securestring() -> None:
    param = root().resource("aws_ssm_parameter", "secret")
    assert param["type"] == "SecureString"
    assert "aws_kms_key.lab" in param["key_id"]


# ------------------------------------------------------------------ IAM


def _statements() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for module_dir in hcl.MODULE_DIRS:
        module = hcl.load(module_dir)
        for _, block in module.blocks("data"):
            for name, doc in block.get("aws_iam_policy_document", {}).items():
                for key, body in module.instances(doc):
                    policy = f"{module_dir.name}/{name}{key}"
                    out += [(policy, s) for s in body.get("statement", [])]
                    for dyn in body.get("dynamic", []):
                        out += [(policy, c) for c in dyn["statement"]["content"]]
    assert out
    return out


def test_no_policy_document_hides_a_statement_from_checkov() -> None:
    # checkov 3.3 reads the statements of a counted document but not those of a
    # dynamic "statement" block (an s3:* on * passes it there): optional statements are
    # counted documents joined through source_policy_documents.
    for module_dir in hcl.MODULE_DIRS:
        module = hcl.load(module_dir)
        for _, block in module.blocks("data"):
            for name, doc in block.get("aws_iam_policy_document", {}).items():
                for _, body in module.instances(doc):
                    dynamic = [d for d in body.get("dynamic", []) if "statement" in d]
                    assert not dynamic, f"{module_dir.name}/{name}: a dynamic statement block"


def _documented() -> dict[str, str]:
    """docs/aws/iam.md table rows: sid -> the row's text."""
    rows = {}
    for line in IAM_DOC.read_text().splitlines():
        m = re.match(r"^\|\s*(\w+)\s*\|", line)
        if m:
            rows[m.group(1)] = line
    return rows


def test_every_iam_statement_has_a_documented_sid() -> None:
    documented = _documented()
    for policy, st in _statements():
        sid = st.get("sid")
        assert sid, f"{policy}: a statement without sid"
        assert sid in documented, f"{policy}: {sid} is not explained in docs/aws/iam.md"


def wildcard_problems(
    statements: list[tuple[str, dict[str, Any]]], documented: dict[str, str]
) -> list[str]:
    problems = []
    for policy, st in statements:
        actions = st.get("actions", [])
        resources = st.get("resources", [])
        wild_action = any("*" in a for a in actions) if isinstance(actions, list) else True
        wild_resource = resources == ["*"]
        if (wild_action or wild_resource) and "`*`" not in documented.get(st["sid"], ""):
            kind = "action" if wild_action else "resource"
            problems.append(f"{policy}/{st['sid']}: wildcard {kind} not explained in iam.md")
        # The only wildcard action allowed is the account-root statement of a key policy.
        if wild_action and not (actions == ["kms:*"] and st["sid"] == "KeyAdminByAccount"):
            problems.append(f"{policy}/{st['sid']}: wildcard action {actions}")
    return problems


def test_no_wildcard_actions_or_resources_unless_documented() -> None:
    problems = wildcard_problems(_statements(), _documented())
    assert not problems, "\n".join(problems)


def test_wildcard_check_catches_an_undocumented_star() -> None:
    bad = [
        ("t/loki", {"sid": "LokiObjects", "actions": ["s3:GetObject"], "resources": ["*"]}),
        ("t/loki", {"sid": "LokiListBucket", "actions": ["s3:*"], "resources": ["arn"]}),
    ]
    problems = wildcard_problems(bad, _documented())
    assert len(problems) == 3, problems


# ------------------------------------------------------------------ AMP and alerting


def test_amp_gets_every_rule_file_unchanged() -> None:
    ns = root().resource("aws_prometheus_rule_group_namespace", "rules")
    assert ns["for_each"] == '${fileset(local.rules_dir, "*.yml")}'
    assert ns["data"] == '${file("${local.rules_dir}/${each.value}")}'
    assert root().locals["rules_dir"] == "${path.module}/../../prometheus/rules"
    resolved = (hcl.ROOT_MODULE / "../../prometheus/rules").resolve()
    assert resolved == ROOT / "prometheus" / "rules"
    assert sorted(resolved.glob("*.yml")), "no rule files for AMP"


def test_amp_alertmanager_definition_is_the_generated_file() -> None:
    from dashgen import amp

    assert root().locals["amp_placeholder_topic"] == amp.SNS_TOPIC_ARN
    assert root().locals["amp_placeholder_region"] == f"region: {amp.SNS_REGION}"
    assert "alertmanager/aws/alertmanager-definition.yaml" in root().locals["amp_definition"]
    generated = amp.AMP_DEFINITION.read_text()
    assert amp.SNS_TOPIC_ARN in generated
    assert f"region: {amp.SNS_REGION}" in generated
    definition = root().resource("aws_prometheus_alert_manager_definition", "this")
    assert definition["definition"] == "${local.amp_definition}"


def test_loki_budget_alert_reaches_amp_by_remote_write() -> None:
    # Loki's ruler cannot sign alerts for AMP's alert manager: it remote-writes the recorded
    # users over budget to the workspace, and AMP's ruler alerts on them (loki/aws/amp-rules.yml).
    env = _tf_map("loki_env")
    assert env["AMP_REMOTE_WRITE_URL"] == "${local.amp_base_url}/api/v1/remote_write"
    assert _tf_map("adot_env")["AMP_REMOTE_WRITE_URL"] == env["AMP_REMOTE_WRITE_URL"]
    assert "${AMP_REMOTE_WRITE_URL}" in LOKI_AWS_CONFIG.read_text()
    ns = root().resource("aws_prometheus_rule_group_namespace", "loki")
    assert ns["data"] == '${file("${path.module}/../../loki/aws/amp-rules.yml")}'
    assert (hcl.ROOT_MODULE / "../../loki/aws/amp-rules.yml").resolve().is_file()


def test_loki_role_may_only_remote_write_to_the_workspace_in_amp() -> None:
    loki = [st for policy, st in _statements() if policy == "terraform/loki"]
    aps = [st for st in loki if any(a.startswith("aps:") for a in st["actions"])]
    assert aps == [
        {
            "sid": "LokiAmpRemoteWrite",
            "actions": ["aps:RemoteWrite"],
            "resources": ["${aws_prometheus_workspace.this.arn}"],
        }
    ]


def test_lambda_handler_is_aiops_code() -> None:
    fn = root().resource("aws_lambda_function", "aiops")
    module, func = fn["handler"].rsplit(".", 1)
    path = ROOT / "app" / (module.replace(".", "/") + ".py")
    assert path.exists(), f"{fn['handler']}: no {path}"
    assert re.search(rf"^def {func}\(", path.read_text(), re.MULTILINE)


def test_cloudwatch_is_off_by_default() -> None:
    assert root().variables["enable_cloudwatch"]["default"] is False
    dashboard = root().resource("aws_cloudwatch_dashboard", "lab")
    assert dashboard["count"] == "${var.enable_cloudwatch ? 1 : 0}"
    groups = root().resource("aws_cloudwatch_log_group", "lab")
    assert groups["for_each"] == "${local.log_groups}"
    # The collector's group is in the map only when enabled; the others always are.
    log_groups = root().locals["log_groups"]
    assert "var.enable_cloudwatch ? {collector = " in log_groups, log_groups
    assert "collector" not in log_groups.split("var.enable_cloudwatch")[0]
    assert "otel-config.cloudwatch.yaml" in root().locals["adot_configs"]
    assert "var.enable_cloudwatch" in root().locals["adot_configs"]


def test_every_output_url_is_https_or_internal() -> None:
    urls = {k: v for k, v in root().outputs.items() if k.endswith("_url")}
    assert {"grafana_url", "genai_service_url", "amp_remote_write_url", "amp_query_url"} <= set(
        urls
    )
    for name, body in urls.items():
        value = str(body["value"])
        # local.amp_base_url is the workspace's prometheus_endpoint, an https:// URL.
        secure = "https://" in value or "local.amp_base_url" in value
        assert secure or name.endswith("internal_url"), f"{name}: {value}"


# ------------------------------------------------------------------ terraform fmt


def test_terraform_fmt() -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not on PATH: `terraform fmt -check` skipped (CI installs it)")
    out = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-list=true", str(ROOT / "infra")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, f"terraform fmt would change: {out.stdout} {out.stderr}"


def test_image_build_contexts_hold_what_each_dockerfile_copies() -> None:
    # The root .dockerignore is an allow-list for the app image; each infra image has its own
    # (BuildKit: <Dockerfile>.dockerignore), which must let through every COPY source.
    import fnmatch

    for dockerfile in [ROOT / "app" / "Dockerfile", *sorted(IMAGES_DIR.glob("*.Dockerfile"))]:
        ignore = Path(f"{dockerfile}.dockerignore")
        ignore = ignore if ignore.exists() else ROOT / ".dockerignore"
        allowed = [
            line[1:].rstrip("/") for line in ignore.read_text().splitlines() if line.startswith("!")
        ]
        for line in re.findall(r"^COPY (?!--from)(.+)$", dockerfile.read_text(), re.MULTILINE):
            for source in line.split()[:-1]:
                ok = any(
                    fnmatch.fnmatch(source.rstrip("/"), a)
                    or source.startswith(a + "/")
                    or source.rstrip("/") == a
                    for a in allowed
                )
                assert ok, f"{dockerfile.name}: COPY {source} is excluded by {ignore.name}"
                assert list(ROOT.glob(source.rstrip("/"))), f"{dockerfile.name}: {source} missing"


def test_lambda_environment_sets_what_the_handler_reads() -> None:
    fn = root().resource("aws_lambda_function", "aiops")
    env = set(fn["environment"][0]["variables"])
    code = "".join((ROOT / "app" / "aiops" / f).read_text() for f in ("aws_lambda.py", "sigv4.py"))
    read = set(re.findall(r"""(?:environ\[|\.get\()\s*"([A-Z][A-Z0-9_]+)\"""", code))
    # The Lambda runtime sets AWS_REGION and AWS_DEFAULT_REGION itself.
    missing = read - env - {"AWS_REGION", "AWS_DEFAULT_REGION"}
    assert not missing, f"the handler reads {missing}, the function's environment lacks them"
    assert "PROMETHEUS_SIGV4_SERVICE" in env and "INCIDENTS_TOPIC_ARN" in env


def test_names_fit_aws_length_limits_for_the_longest_environment() -> None:
    # Load balancer and target group names: at most 32 characters (Elastic Load Balancing API).
    pattern = root().variables["environment"]["validation"][0]["condition"]
    longest = int(re.search(r"\{1,(\d+)\}", pattern).group(1)) + 1
    name = "genai-lab-" + "e" * longest
    for suffix in ("", "-grafana", "-genai"):
        assert len(name + suffix) <= 32, name + suffix
    for tg in ("grafana", "genai_service"):
        assert root().resource("aws_lb_target_group", tg)["name"].startswith("${local.name}-")


# What EC2 accepts in a security group's or rule's description (CreateSecurityGroup,
# AuthorizeSecurityGroupIngress API references); anything else fails the apply.
EC2_DESCRIPTION = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{1,255}")


def _descriptions() -> list[tuple[str, str]]:
    """(address, text) of every security group and rule description, the values of the
    local maps a for_each rule takes its description from written in."""
    out = []
    for _, block in root().blocks("resource"):
        for rtype, named in block.items():
            if "security_group" not in rtype:
                continue
            for name, body in named.items():
                text = str(body.get("description", ""))
                m = re.fullmatch(r"\$\{each\.value\.(\w+)\}", text)
                if m:
                    entries = root().locals[body["for_each"].strip("${}").split(".")[1]]
                    out += [(f"{rtype}.{name}[{k}]", v[m.group(1)]) for k, v in entries.items()]
                elif text:
                    out.append((f"{rtype}.{name}", re.sub(r"\$\{[^}]*\}", "x", text)))
    return out


def test_security_group_descriptions_use_only_what_ec2_accepts() -> None:
    descriptions = _descriptions()
    assert len(descriptions) >= 6
    bad = [f"{a}: {t!r}" for a, t in descriptions if not EC2_DESCRIPTION.fullmatch(t)]
    assert not bad, "\n".join(bad)
    assert not EC2_DESCRIPTION.fullmatch("HTTPS from the lab's tasks")


def test_traffic_between_security_groups_is_opened_on_both_sides() -> None:
    # A rule naming another group is one of the two `flow` rules, so no flow is left with an
    # egress and no ingress (or the reverse).
    for _, block in root().blocks("resource"):
        for rtype, named in block.items():
            if rtype.startswith("aws_vpc_security_group_") and rtype.endswith("_rule"):
                for name, body in named.items():
                    if "referenced_security_group_id" in body:
                        assert name == "flow", f"{rtype}.{name}: a one-sided rule between groups"
    groups = set(root().locals["security_groups"])
    for key, flow in root().locals["security_group_flows"].items():
        assert {flow["from"], flow["to"]} <= groups, key


def test_every_secret_parameter_referenced_is_generated() -> None:
    declared = set(re.findall(r'"([A-Z_]+)"', root().locals["generated_secrets"]))
    used = set(re.findall(r'aws_ssm_parameter\.secret\[\\?"([A-Z_]+)\\?"\]', root().text()))
    assert used and used <= declared, f"referenced but not generated: {used - declared}"
    assert declared <= _generated_secrets(), "a Terraform secret that .env.example does not name"


# ------------------------------------------------------------------ Loki's bucket


def _hours(period: str) -> int:
    m = re.fullmatch(r"(\d+)h", period)
    assert m, f"retention {period!r} is not in hours"
    return int(m.group(1))


@pytest.mark.parametrize("module_dir", hcl.MODULE_DIRS, ids=lambda p: p.name)
def test_lifecycles_acting_on_versions_wait_for_versioning(module_dir: Any) -> None:
    # The AWS provider documents depends_on the bucket's versioning for such a lifecycle.
    module = hcl.load(module_dir)
    for _, block in module.blocks("resource"):
        for name, body in block.get("aws_s3_bucket_lifecycle_configuration", {}).items():
            if any("noncurrent_version_expiration" in rule for rule in body["rule"]):
                depends = " ".join(body.get("depends_on", []))
                assert "aws_s3_bucket_versioning." in depends, f"{module_dir.name}/{name}"


def test_loki_bucket_lifecycle_is_the_documented_one_and_never_ahead_of_loki() -> None:
    # An object expired under Loki's index breaks queries: the bucket may expire nothing before
    # Loki's longest retention class (audit records), and uses loki/aws/s3-lifecycle.json's tiers.
    tf_rules = {
        r["id"]: r for r in root().resource("aws_s3_bucket_lifecycle_configuration", "loki")["rule"]
    }
    for rule in json.loads(LOKI_S3_LIFECYCLE.read_text())["Rules"]:
        tf = tf_rules.get(rule["ID"])
        assert tf is not None, f"storage.tf lacks lifecycle rule {rule['ID']}"
        assert tf["status"] == rule["Status"]
        transitions = [(t["days"], t["storage_class"]) for t in tf.get("transition", [])]
        assert transitions == [(t["Days"], t["StorageClass"]) for t in rule.get("Transitions", [])]
        expiry = [e["days"] for e in tf.get("expiration", [])]
        assert expiry == ([rule["Expiration"]["Days"]] if "Expiration" in rule else [])
    limits = yaml.safe_load(LOKI_AWS_CONFIG.read_text())["limits_config"]
    longest_days = (
        max(
            _hours(p)
            for p in [limits["retention_period"]]
            + [s["period"] for s in limits.get("retention_stream", [])]
        )
        // 24
    )
    for rule in tf_rules.values():
        for expiration in rule.get("expiration", []):
            assert expiration["days"] > longest_days, f"{rule['id']} expires ahead of Loki"
