"""Runs the lab's locustfile with real Locust, headless, against a real service, and reads its CSVs.

Locust runs in its own process (it monkey-patches the interpreter with gevent, which must never
happen inside pytest). Runs are bounded twice: the shape ends itself after LAB_SHAPE_RUN_S, and
the subprocess has a hard timeout.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "locust" / "locustfile.py"
LOCUST = Path(sys.executable).parent / "locust"

# Short think times so a few users make hundreds of requests in seconds.
FAST_USERS_ENV = {"LAB_THINK_MIN_S": "0.05", "LAB_THINK_MAX_S": "0.15"}


@dataclass(frozen=True)
class Entry:
    type: str
    name: str
    requests: int
    failures: int
    median_ms: float

    @property
    def failure_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


@dataclass
class LocustRun:
    returncode: int
    output: str
    entries: dict[str, Entry]  # by Locust name; "Aggregated" is the total
    user_counts: list[int]  # one per stats-history row (about one a second)
    failures: list[dict[str, str]]  # rows of the _failures.csv: Method, Name, Error, Occurrences

    def entry(self, name: str) -> Entry:
        if name not in self.entries:
            raise AssertionError(f"no Locust entry {name!r}; have {sorted(self.entries)}")
        return self.entries[name]

    def errors_for(self, name: str) -> dict[str, int]:
        """Failure messages for one entry, e.g. {"HTTP 429 throttled": 38}."""
        errors: dict[str, int] = {}
        for r in self.failures:
            if r["Name"] == name:
                # Locust stores repr(exception): CatchResponseError('HTTP 429 throttled').
                m = re.fullmatch(r"\w+\(['\"](.*)['\"]\)", r["Error"])
                message = m.group(1) if m else r["Error"]
                errors[message] = errors.get(message, 0) + int(r["Occurrences"])
        return errors


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def run_locust(
    host: str,
    workdir: Path,
    *,
    users: int,
    run_s: float,
    shape: str = "steady",
    time_scale: float = 1.0,
    env: dict[str, str] | None = None,
    timeout_s: float = 60,
) -> LocustRun:
    workdir.mkdir(parents=True, exist_ok=True)
    prefix = workdir / "run"
    # Nothing from the caller's LOCUST_* may change the run (a stray LOCUST_USERS would).
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCUST_", "LAB_"))}
    full_env = {
        **base_env,
        **FAST_USERS_ENV,
        "LOCUST_SHAPE": shape,
        "LAB_SHAPE_TIME_SCALE": str(time_scale),
        "LAB_SHAPE_RUN_S": str(run_s),
        **(env or {}),
    }
    cmd = [
        str(LOCUST),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "--users",
        str(users),
        "--spawn-rate",
        str(max(users, 1) * 4),
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=full_env, timeout=timeout_s, cwd=workdir
    )
    output = proc.stdout + proc.stderr
    stats = _read_csv(Path(f"{prefix}_stats.csv"))
    if not stats:
        raise AssertionError(f"Locust wrote no stats (exit {proc.returncode}):\n{output[-4000:]}")
    entries = {
        r["Name"]: Entry(
            r["Type"],
            r["Name"],
            int(r["Request Count"]),
            int(r["Failure Count"]),
            float(r["Median Response Time"] or 0),
        )
        for r in stats
    }
    history = _read_csv(Path(f"{prefix}_stats_history.csv"))
    user_counts = [int(r["User Count"]) for r in history if r.get("Name") == "Aggregated"]
    return LocustRun(
        proc.returncode,
        output,
        entries,
        user_counts,
        _read_csv(Path(f"{prefix}_failures.csv")),
    )
