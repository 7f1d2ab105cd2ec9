"""free_port never gives one port to two callers before either has bound it (parallel workers).

The kernel's choice is replaced by a scripted one here: it really does hand a just-released port
to the next asker, but not on demand.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools import processes

pytestmark = pytest.mark.unit


class ScriptedSocket:
    """What free_port uses of socket.socket, answering the ports a kernel might."""

    ports: Iterator[int] = iter(())

    def __init__(self, *_: object) -> None:
        self.port = next(self.ports)

    def __enter__(self) -> ScriptedSocket:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def bind(self, _: object) -> None:
        pass

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> type[ScriptedSocket]:
    monkeypatch.setattr(processes, "PORT_RESERVATIONS", tmp_path / "ports")
    monkeypatch.setattr(processes.socket, "socket", ScriptedSocket)
    monkeypatch.setattr(processes, "_pruned", False)
    return ScriptedSocket


def test_a_port_handed_out_is_not_handed_out_again_while_reserved(
    kernel: type[ScriptedSocket],
) -> None:
    kernel.ports = iter([40001, 40001, 40001, 40002])
    assert processes.free_port() == 40001
    assert processes.free_port() == 40002


def test_a_stale_reservation_is_released_for_a_later_ask(
    kernel: type[ScriptedSocket], tmp_path: Path
) -> None:
    kernel.ports = iter([40001, 40001])
    assert processes.free_port() == 40001
    old = time.time() - processes.PORT_RESERVATION_S - 1
    os.utime(tmp_path / "ports" / "40001", (old, old))
    kernel.ports = iter([40001, 40001])
    assert processes.free_port() == 40001


def test_stale_reservations_are_pruned_once_per_process(
    kernel: type[ScriptedSocket], tmp_path: Path
) -> None:
    folder = tmp_path / "ports"
    folder.mkdir()
    stale, fresh = folder / "40005", folder / "40006"
    stale.touch()
    fresh.touch()
    old = time.time() - processes.PORT_RESERVATION_S - 1
    os.utime(stale, (old, old))
    kernel.ports = iter([40001, 40002])
    assert processes.free_port() == 40001
    assert sorted(p.name for p in folder.iterdir()) == ["40001", "40006"]
    os.utime(fresh, (old, old))
    assert processes.free_port() == 40002
    assert (folder / "40006").exists()  # not listed again in this process
