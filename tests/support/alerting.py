"""The project's Alertmanager config, pointed at a test's own webhook receiver.

Only the scheme, host and port of each webhook URL change (the path, routes, receivers,
grouping and inhibitions stay the project's); template paths become absolute because the copy
lives in a temporary directory.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
ALERTMANAGER_CONFIG = ROOT / "alertmanager" / "alertmanager.yml"


def rewrite_webhooks(
    base_url: str, source: Path = ALERTMANAGER_CONFIG, credentials_file: Path | None = None
) -> str:
    config = yaml.safe_load(source.read_text())
    target = urlsplit(base_url)
    for receiver in config.get("receivers", []):
        for i, hook in enumerate(receiver.get("webhook_configs", [])):
            # YAML aliases share one mapping between receivers: edit a copy of each.
            hook = receiver["webhook_configs"][i] = copy.deepcopy(hook)
            url = urlsplit(hook["url"])
            hook["url"] = urlunsplit((target.scheme, target.netloc, url.path, url.query, ""))
            auth = hook.get("http_config", {}).get("authorization")
            if auth and credentials_file is not None:
                auth["credentials_file"] = str(credentials_file)
    config["templates"] = [str(source.parent / t) for t in config.get("templates", [])]
    return yaml.safe_dump(config, sort_keys=False)


def write_config(base_url: str, workdir: Path, token: str = "") -> Path:
    """The config in workdir; the webhook's bearer token (if given) in a file beside it, where
    compose would mount the aiops_webhook_token secret."""
    workdir.mkdir(parents=True, exist_ok=True)
    credentials = workdir / "aiops_webhook_token"
    credentials.write_text(token)
    path = workdir / "alertmanager.yml"
    path.write_text(rewrite_webhooks(base_url, credentials_file=credentials))
    return path


def category_outcomes(category: str) -> list[str]:
    """The values a category label can take: itself, or each branch of a template that picks
    one by a label (AnomalyScoreHigh's follows the scored signal)."""
    if "{{" not in category:
        return [category]
    outcomes = re.findall(r"\}\}([^{}]+)\{\{", category)
    assert outcomes and "$value" not in category, category
    return outcomes
