"""Which host ports the lab publishes, checked on what the real `docker compose config` makes of
the files: exactly the ports README "URLs and ports" lists (each with why it is published and
what it accepts), none of the backends whose APIs take unauthenticated writes (Prometheus's
remote-write receiver above all), and each opt-in <name>/publish.yml adding only its own
backend's port, on loopback, as the README's opt-in table says."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.config.lab import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    VERSIONS_ENV,
    read_env_file,
    resolved_compose,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.config

README = ROOT / "README.md"
OPT_IN_FILES = sorted(ROOT.glob("*/publish.yml"))
# Backends whose API takes writes nobody authenticates; the host reaches them through Grafana.
NEVER_BY_DEFAULT = {
    "prometheus": "its one listener serves the remote-write receiver with the UI",
    "alertmanager": "POST /api/v2/alerts reaches aiops with the webhook token; silences mute pages",
    "loki": "pushes fire the ruler's alerts; GET /ingester/shutdown",
    "tempo": "an unauthenticated API nobody needs on the host",
    "blackbox-exporter": "/probe fetches any URL from inside the compose network",
}
_PORT_VAR = re.compile(r"`([A-Z_]+_PORT)`")
_HOST_PORT = re.compile(r"127\.0\.0\.1:(\d+)")
_PUBLISH = re.compile(r"`make up PUBLISH=([a-z]+)`")


@dataclass(frozen=True)
class Row:
    cells: list[str]

    @property
    def ports(self) -> set[int]:
        return {int(p) for p in _HOST_PORT.findall(self.cells[1])}

    @property
    def variables(self) -> set[str]:
        return set(_PORT_VAR.findall(self.cells[-1]))


def readme_tables(text: str) -> list[list[Row]]:
    """The markdown tables of the "URLs and ports" section, in order, without header rows."""
    section = text.split("## URLs and ports", 1)[1].split("\n## ", 1)[0]
    tables: list[list[Row]] = []
    current: list[Row] | None = None
    for line in section.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if current is None:  # the header row
            current = []
            tables.append(current)
        elif not set("".join(cells)) <= set("-: "):
            current.append(Row(cells))
    return tables


def published(model: dict[str, Any]) -> dict[str, set[tuple[str, int]]]:
    """(host address, host port) per service, as compose would publish them."""
    out: dict[str, set[tuple[str, int]]] = {}
    for name, service in model["services"].items():
        for port in service.get("ports") or []:
            out.setdefault(name, set()).add((port["host_ip"], int(port["published"])))
    return out


def port_variables(path: Path) -> dict[str, int]:
    """${X_PORT:-n} -> n for every port a compose file publishes."""
    return {
        var: int(n) for var, n in re.findall(r"\$\{([A-Z_]+_PORT):-(\d+)\}:\d+", path.read_text())
    }


def default_problems(compose_file: Path, readme_text: str) -> list[str]:
    """What differs between the ports compose publishes by default and the README's table."""
    model = resolved_compose(compose_file, env_files=[VERSIONS_ENV, ENV_EXAMPLE])
    ports = published(model)
    problems = [
        f"{name} publishes {sorted(ports[name])}: {why}"
        for name, why in NEVER_BY_DEFAULT.items()
        if ports.get(name)
    ]
    host_ports = {port for pairs in ports.values() for _, port in pairs}
    documented = readme_tables(readme_text)[0]
    listed = {port for row in documented for port in row.ports}
    if host_ports != listed:
        extra, missing = sorted(host_ports - listed), sorted(listed - host_ports)
        problems.append(
            f"README lists {sorted(listed)}, compose publishes {sorted(host_ports)}: "
            f"undocumented {extra}, not published {missing}"
        )
    variables = port_variables(compose_file)
    for row in documented:
        if {variables.get(v) for v in row.variables} != row.ports:
            problems.append(f"README row {row.cells[0]!r}: {row.variables} do not give {row.ports}")
        if len(row.cells) != 5 or min(len(c) for c in row.cells[2:4]) < 8:
            problems.append(f"README row {row.cells[0]!r} must say why and what it accepts")
    return problems


# ------------------------------------------------------------------ published by default


def test_published_ports_are_exactly_the_readme_table_and_no_backend() -> None:
    problems = default_problems(COMPOSE_FILE, README.read_text())
    assert not problems, "\n".join(problems)


def test_prometheus_receiver_port_is_not_published_by_default() -> None:
    model = resolved_compose(COMPOSE_FILE, env_files=[VERSIONS_ENV, ENV_EXAMPLE])
    assert not model["services"]["prometheus"].get("ports")
    # Nothing else forwards a host port to it either.
    for name, service in model["services"].items():
        for port in service.get("ports") or []:
            assert (name, port["target"]) != ("prometheus", 9090)
    # The collector and Tempo still write to it on the compose network.
    command = model["services"]["prometheus"]["command"]
    assert "--web.enable-remote-write-receiver" in command
    assert "--web.enable-lifecycle" not in command


def test_the_check_fails_on_a_compose_file_that_publishes_prometheus(tmp_path: Path) -> None:
    text = COMPOSE_FILE.read_text()
    marker = "      GOMEMLIMIT: 320MiB\n    volumes:\n      - ./prometheus/prometheus.yml"
    assert text.count(marker) == 1
    leaky = text.replace(
        marker,
        marker.replace(
            "    volumes:",
            '    ports:\n      - "${BIND_ADDRESS:-127.0.0.1}:${PROMETHEUS_PORT:-9090}:9090"\n'
            "    volumes:",
        ),
    )
    bad = tmp_path / "docker-compose.yml"
    bad.write_text(leaky)
    problems = default_problems(bad, README.read_text())
    assert any(p.startswith("prometheus publishes") for p in problems), problems
    assert any("undocumented [9090]" in p for p in problems), problems


def test_the_check_fails_on_a_readme_that_lists_an_unpublished_port() -> None:
    text = README.read_text().replace(
        "| Locust | http://127.0.0.1:8089 |",
        "| Locust | http://127.0.0.1:8089, http://127.0.0.1:9090 |",
    )
    problems = default_problems(COMPOSE_FILE, text)
    assert any("not published [9090]" in p for p in problems), problems


# ------------------------------------------------------------------ opt-in overrides


def test_every_opt_in_file_is_in_the_readme_and_every_row_has_its_file() -> None:
    rows = readme_tables(README.read_text())[1]
    by_name = {m.group(1): row for row in rows if (m := _PUBLISH.search(row.cells[0]))}
    assert len(by_name) == len(rows), "every opt-in row starts with `make up PUBLISH=<name>`"
    assert set(by_name) == {f.parent.name for f in OPT_IN_FILES}
    env = read_env_file(ENV_EXAMPLE)
    for name, row in by_name.items():
        variables = port_variables(ROOT / name / "publish.yml")
        assert set(variables) == row.variables, name
        assert set(variables.values()) == row.ports, name
        for var, port in variables.items():
            assert env.get(var) == str(port), f"{var} default differs in .env.example"


@pytest.mark.parametrize("override", OPT_IN_FILES, ids=lambda p: p.parent.name)
def test_each_opt_in_publishes_only_its_backend_on_loopback(override: Path) -> None:
    base = resolved_compose(COMPOSE_FILE, env_files=[VERSIONS_ENV, ENV_EXAMPLE])
    merged = resolved_compose(COMPOSE_FILE, override, env_files=[VERSIONS_ENV, ENV_EXAMPLE])
    changed = {n for n in base["services"] if base["services"][n] != merged["services"][n]}
    (service,) = changed
    assert {
        k
        for k in merged["services"][service]
        if base["services"][service].get(k) != merged["services"][service][k]
    } == {"ports"}
    added = published(merged)[service] - published(base).get(service, set())
    assert added and all(host == "127.0.0.1" for host, _ in added)
    for entry in override.read_text().split("ports:", 1)[1].split("\n"):
        if entry.strip().startswith("-"):
            assert re.fullmatch(
                r'\s*- "\$\{BIND_ADDRESS:-127\.0\.0\.1\}:\$\{[A-Z_]+_PORT:-\d+\}:\d+"', entry
            ), entry


def test_each_unpublished_backend_says_why_beside_its_service() -> None:
    text = COMPOSE_FILE.read_text()
    for name in NEVER_BY_DEFAULT:
        section = text.split(f"\n  {name}:\n", 1)[1].split("\n  # ----", 1)[0]
        section = re.split(r"\n  [a-z][a-z-]*:\n", section, maxsplit=1)[0]
        assert "# ports: none." in section, f"{name}: say why it publishes nothing"
        opt_in = "blackbox" if name == "blackbox-exporter" else name
        assert f"{opt_in}/publish.yml" in section, f"{name}: name its opt-in"
