"""docs/alert-catalogue.md lists every alert of prometheus/rules with its severity."""

from __future__ import annotations

import re

import pytest

from dashgen.catalogue import rules
from dashgen.names import ROOT

pytestmark = pytest.mark.unit

PAGE = ROOT / "docs" / "alert-catalogue.md"


def test_every_alert_is_in_the_catalogue_with_its_severity() -> None:
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(
            r"^\| \[(\w+)\]\(runbooks/\1\.md\) \| (\w+) \|", PAGE.read_text(), re.M
        )
    }
    alerts = {r["alert"]: r["labels"]["severity"] for r in rules() if "alert" in r}
    assert set(rows) == set(alerts), {
        "missing": sorted(set(alerts) - set(rows)),
        "stale": sorted(set(rows) - set(alerts)),
    }
    assert rows == alerts
