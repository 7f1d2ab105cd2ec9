from __future__ import annotations

import stat
from pathlib import Path

import pytest

from aiops.files import write_atomic

pytestmark = pytest.mark.unit


def test_replaces_the_file_owner_only_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "token"
    target.write_text("old")
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["token"]


def test_a_failed_write_keeps_the_old_text_and_removes_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "incident.json"
    target.write_text("old")
    with pytest.raises(TypeError):
        write_atomic(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["incident.json"]
