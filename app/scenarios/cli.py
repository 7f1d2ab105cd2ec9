"""`python -m scenarios ...`: what the make targets chaos, chaos-off, load, spike and demo run."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from scenarios import demo, preflight, scheduler, timeline
from scenarios.clients import AdminRejected, FaultsClient, LabUnreachable, LocustClient, Watchers
from scenarios.faults import SCENARIOS, get_scenario
from scenarios.lab_config import LabConfig, read_dotenv


def docker_missing() -> str | None:
    """Why the compose lab cannot be running on this machine, or None if it could be."""
    docker = shutil.which("docker")
    if docker is None:
        return "Docker is not installed"
    try:
        # A fixed argument list from PATH, no input: the `docker info` probe docker-check uses.
        subprocess.run([docker, "info"], check=True, capture_output=True, timeout=10)  # noqa: S603
    except (subprocess.SubprocessError, OSError):
        return "no Docker engine answers `docker info`"
    return None


def load_config() -> LabConfig:
    dotenv_path = Path(os.environ.get("LAB_DOTENV", ".env"))
    return LabConfig.from_sources(os.environ, read_dotenv(dotenv_path))


def cmd_list(_: argparse.Namespace) -> int:
    for s in SCENARIOS.values():
        print(f"{s.name:20s} {s.summary}")
    return 0


def cmd_chaos(args: argparse.Namespace) -> int:
    scenario = get_scenario(args.scenario)
    cfg = load_config()
    client = FaultsClient(cfg.service_url, cfg.admin_token)
    state = client.apply(scenario.faults)
    print(f"{scenario.name}: {scenario.summary}")
    print(f"  expect: {scenario.expect}")
    print(f"  faults now: {state}")
    if scenario.name != "recovery":
        print("  clear with: make chaos-off")
    return 0


def cmd_status(_: argparse.Namespace) -> int:
    cfg = load_config()
    print(FaultsClient(cfg.service_url, cfg.admin_token).get())
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    settings = scheduler.ScheduleSettings(total_s=args.total_s)
    steps = scheduler.plan(args.seed, settings)
    print(scheduler.format_plan(args.seed, steps))
    if not args.run:
        return 0
    cfg = load_config()
    client = FaultsClient(cfg.service_url, cfg.admin_token)
    scheduler.run_plan(
        steps,
        apply=client.apply,
        sleep=time.sleep,
        announce=lambda m: print(m, flush=True),
        time_scale=args.time_scale,
    )
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    client = LocustClient(load_config().locust_url)
    client.swarm(args.users, args.spawn_rate)
    print(f"Locust: now {args.users} users (spawn rate {args.spawn_rate:g}/s)")
    return 0


def cmd_spike(args: argparse.Namespace) -> int:
    client = LocustClient(load_config().locust_url)
    back_to = args.back_to if args.back_to is not None else client.user_count()
    back_to = back_to or timeline.BASELINE_USERS
    print(f"spike: {args.users} users for {args.hold_s:g}s, then back to {back_to}", flush=True)
    client.swarm(args.users, args.spawn_rate)
    try:
        time.sleep(args.hold_s)
    finally:
        client.swarm(back_to, args.spawn_rate)
    print(f"spike over: back to {back_to} users")
    return 0


class LabActions:
    """The demo's DemoActions against the running lab."""

    def __init__(self, cfg: LabConfig) -> None:
        self.faults = FaultsClient(cfg.service_url, cfg.admin_token)
        self.locust = LocustClient(cfg.locust_url)
        auth = (cfg.grafana_user, cfg.grafana_password) if cfg.grafana_password else None
        self.watchers = Watchers(
            cfg.alertmanager_url,
            cfg.grafana_url,
            auth,
            alertmanager_auth=cfg.auth_for(cfg.alertmanager_url),
        )

    def set_load(self, users: int, spawn_rate: float) -> None:
        self.locust.swarm(users, spawn_rate)

    def inject(self, scenario: str) -> None:
        self.faults.apply(get_scenario(scenario).faults)

    def firing_alerts(self) -> list[str]:
        return self.watchers.firing_alerts()

    def annotations_since(self, since_ms: int, alertname: str) -> list[str]:
        return self.watchers.annotations_since(since_ms, alertname)


def cmd_demo(args: argparse.Namespace) -> int:
    cfg = load_config()
    urls = timeline.Urls(cfg.grafana_url, cfg.locust_url, cfg.alertmanager_url, cfg.prometheus_url)
    beats = timeline.build(urls)
    timeline.validate(beats)
    if args.dry_run:
        print(timeline.render(beats, time_scale=args.time_scale))
        return 0
    if not args.skip_preflight:
        results = preflight.run(cfg)
        if not all(r.ok for r in results):
            print(preflight.report(results), file=sys.stderr)
            if reason := docker_missing():
                print(f"note: {reason} on this machine.", file=sys.stderr)
            return 1
        print(preflight.report(results), flush=True)
    if args.preflight_only:
        return 0
    scale = "" if args.time_scale == 1 else f" (time scale {args.time_scale:g})"
    print(f"Running the demo unattended{scale}. Ctrl+C ends it.")
    problems = demo.run(
        beats,
        LabActions(cfg),
        out=lambda m: print(m, flush=True),
        time_scale=args.time_scale,
        poll_s=max(0.2, 5 * min(1.0, args.time_scale)),
    )
    return 1 if args.strict and problems else 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m scenarios", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the failure scenarios").set_defaults(fn=cmd_list)
    c = sub.add_parser("chaos", help="inject one scenario through the admin API")
    c.add_argument("scenario", choices=list(SCENARIOS))
    c.set_defaults(fn=cmd_chaos)
    off = sub.add_parser("chaos-off", help="clear every fault (recovery)")
    off.set_defaults(fn=cmd_chaos, scenario="recovery")
    sub.add_parser("status", help="show the faults in force").set_defaults(fn=cmd_status)
    s = sub.add_parser("schedule", help="print (and --run) a seeded random scenario sequence")
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--total-s", type=int, default=1800)
    s.add_argument("--run", action="store_true", help="apply it to the service, in real time")
    s.add_argument("--time-scale", type=float, default=1.0)
    s.set_defaults(fn=cmd_schedule)
    ld = sub.add_parser("load", help="set the running Locust's user count")
    ld.add_argument("--users", type=int, default=timeline.BASELINE_USERS)
    ld.add_argument("--spawn-rate", type=float, default=2.0)
    ld.set_defaults(fn=cmd_load)
    sp = sub.add_parser("spike", help="raise Locust's users for a while, then go back")
    sp.add_argument("--users", type=int, default=timeline.SPIKE_USERS)
    sp.add_argument("--spawn-rate", type=float, default=20.0)
    sp.add_argument("--hold-s", type=float, default=90.0)
    sp.add_argument("--back-to", type=int, default=None, help="default: the users before")
    sp.set_defaults(fn=cmd_spike)
    d = sub.add_parser("demo", help="the ten-minute stakeholder demo")
    d.add_argument("--dry-run", action="store_true", help="print the timeline, touch nothing")
    d.add_argument("--time-scale", type=float, default=1.0, help="e.g. 0.1 for a rehearsal")
    d.add_argument("--strict", action="store_true", help="exit 1 if any beat had a problem")
    d.add_argument(
        "--skip-preflight", action="store_true", help="start even if a service does not answer"
    )
    d.add_argument(
        "--preflight-only", action="store_true", help="check the lab, then exit (0: ready)"
    )
    d.set_defaults(fn=cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "time_scale", 1.0) <= 0:
        print("--time-scale must be positive", file=sys.stderr)
        return 2
    try:
        return int(args.fn(args))
    except KeyboardInterrupt:
        # The schedule, the spike and the demo restore the lab in their own finally blocks.
        print("interrupted", file=sys.stderr)
        return 130
    except (LabUnreachable, AdminRejected) as exc:
        print(f"error: {exc}", file=sys.stderr)
        if isinstance(exc, LabUnreachable) and (reason := docker_missing()):
            print(
                f"note: {reason}, so the lab's containers are not running here; `make run` "
                "starts the service natively.",
                file=sys.stderr,
            )
        return 1
