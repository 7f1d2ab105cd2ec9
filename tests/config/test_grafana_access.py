"""Who gets into Grafana without a password.

Grafana's datasource proxy (/api/datasources/proxy/uid/<uid>/<path>) checks only that the caller
may query the datasource, which every Viewer may in Grafana OSS, anonymous ones included; it then
forwards any GET to Loki (GET /ingester/shutdown stops it) and any request to Tempo
(grafana/README.md has the list, read from the pinned sources). So anonymous access is off unless
GRAFANA_ANONYMOUS opts in. Checked on the settings Grafana would run with: grafana.ini overridden
by the GF_* variables the real `docker compose config` resolves, applied as Grafana applies them.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest

from tests.config.lab import COMPOSE_FILE, ENV_EXAMPLE, VERSIONS_ENV, resolved_compose
from tests.conftest import ROOT

pytestmark = pytest.mark.config

GRAFANA_INI = ROOT / "grafana" / "grafana.ini"
# go-ini's parseBool, which Grafana's MustBool uses; anything else falls back to the default.
_GO_INI_TRUE = {"1", "t", "T", "true", "TRUE", "True", "YES", "yes", "Yes", "y", "ON", "on", "On"}


def effective_settings(environment: dict[str, str]) -> configparser.ConfigParser:
    """grafana.ini with the container's non-empty GF_<SECTION>_<KEY> overrides, as Grafana's
    applyEnvVariableOverrides and EnvKey (pkg/setting/setting.go) apply and name them."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(GRAFANA_INI)
    for section in ini.sections():
        section_part = section.replace(".", "_").upper().replace("-", "_")
        for key in list(ini[section]):
            value = environment.get(f"GF_{section_part}_{key.replace('.', '_').upper()}", "")
            if value:
                ini[section][key] = value
    return ini


def anonymous_enabled(ini: configparser.ConfigParser) -> bool:
    return ini.get("auth.anonymous", "enabled", fallback="false") in _GO_INI_TRUE


def grafana_environment(env_files: list[Path]) -> dict[str, str]:
    model = resolved_compose(COMPOSE_FILE, env_files=[VERSIONS_ENV, *env_files])
    environment = model["services"]["grafana"]["environment"]
    assert isinstance(environment, dict)
    return {k: str(v) for k, v in environment.items()}


@pytest.fixture(autouse=True)
def _no_opt_in_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    # compose reads the shell's variables before its env files.
    monkeypatch.delenv("GRAFANA_ANONYMOUS", raising=False)


def _env_file(tmp_path: Path, extra: str = "", drop: str = "") -> Path:
    lines = [
        line
        for line in ENV_EXAMPLE.read_text().splitlines()
        if not (drop and line.startswith(f"{drop}="))
    ]
    path = tmp_path / "lab.env"
    path.write_text("\n".join([*lines, extra]) + "\n")
    return path


def test_anonymous_access_is_off_by_default() -> None:
    assert not anonymous_enabled(effective_settings(grafana_environment([ENV_EXAMPLE])))
    # grafana.ini alone, as the AWS image bakes it (its task sets no GF_AUTH_* variable).
    assert not anonymous_enabled(effective_settings({}))


def test_an_env_from_before_the_opt_in_existed_keeps_it_off(tmp_path: Path) -> None:
    env = _env_file(tmp_path, drop="GRAFANA_ANONYMOUS")
    assert "GRAFANA_ANONYMOUS" not in env.read_text()
    assert not anonymous_enabled(effective_settings(grafana_environment([env])))


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_grafana_anonymous_opts_in_as_viewer_only(tmp_path: Path, value: str) -> None:
    env = _env_file(tmp_path, extra=f"GRAFANA_ANONYMOUS={value}", drop="GRAFANA_ANONYMOUS")
    ini = effective_settings(grafana_environment([env]))
    assert anonymous_enabled(ini)
    # Never more than Viewer: Editor would add POST/DELETE to Alertmanager (silences) and rules.
    assert ini.get("auth.anonymous", "org_role") == "Viewer"


def test_nothing_else_lets_a_visitor_in_without_the_password() -> None:
    ini = effective_settings(grafana_environment([ENV_EXAMPLE]))
    for section in ("auth.proxy", "auth.jwt"):
        assert not ini.getboolean(section, "enabled", fallback=False), section
    assert not ini.getboolean("users", "allow_sign_up", fallback=True)
    # The AWS image bakes the same grafana.ini; its task sets no override that reopens it
    # (it sets anonymous access off, as compose does: the compose/ECS drift test wants it).
    ecs = (ROOT / "infra" / "terraform" / "ecs.tf").read_text()
    overrides = re.findall(r"(GF_AUTH_\w+)\s*=\s*(\S+)", ecs)
    assert overrides == [("GF_AUTH_ANONYMOUS_ENABLED", '"false"')], overrides


def test_the_opt_in_is_documented_with_what_it_exposes() -> None:
    assert "GRAFANA_ANONYMOUS=false" in ENV_EXAMPLE.read_text()
    for doc in ("README.md", "grafana/README.md"):
        text = (ROOT / doc).read_text()
        assert "GRAFANA_ANONYMOUS=true" in text, doc
        for exposed in ("/ingester/shutdown", "/flush", "Tempo"):
            assert exposed in text, f"{doc} does not say the opt-in exposes {exposed}"


def test_a_request_from_another_site_does_not_carry_the_login() -> None:
    # Anonymous access off is not enough: a logged-in user's browser would send the session
    # cookie with a cross-site top-level GET to the datasource proxy under SameSite=Lax.
    for environment in (grafana_environment([ENV_EXAMPLE]), {}):
        assert effective_settings(environment).get("security", "cookie_samesite") == "strict"
    ecs = (ROOT / "infra" / "terraform" / "ecs.tf").read_text()
    assert "GF_SECURITY_COOKIE_SAMESITE" not in ecs
