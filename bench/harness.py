"""The benchmark's runs, in order, and their results as JSON and markdown (entry point: bench/cutover.py)."""

from __future__ import annotations

import argparse
import difflib
import functools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import metrics, stack, timeline
from bench.load import Load
from tests.lib import sandbox

OUT_DIR = stack.REPO / "build/bench"


@dataclass(frozen=True)
class Profile:
    warmup_s: float  # load before the method starts
    settle_s: float  # load after the method returned, still inside the measured window
    drain_s: float  # how long acknowledged jobs may take to be processed after the load stops
    rerun: bool = True


FULL = Profile(warmup_s=5, settle_s=5, drain_s=60)
SHORT = Profile(warmup_s=3, settle_s=3, drain_s=30)


@dataclass
class Render:
    """The Redis release's files as the collection rendered them, and the .env they were rendered from."""

    env_from: str
    env: str
    compose: str


def parse_args(argv: list[str] | None, description: str | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of each method (default 3)")
    parser.add_argument("--short", action="store_true", help="short load, to prove the harness works")
    parser.add_argument("--json", type=Path, help=f"where to write the results (default {OUT_DIR}/cutover-<time>.json)")
    parser.add_argument("--job-rate", type=float, default=10.0, help="jobs enqueued per second (default 10)")
    parser.add_argument("--http-rate", type=float, default=10.0, help="cache round trips per second (default 10)")
    parser.add_argument(
        "--markdown",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="print the tables of an earlier result and exit; of several (one per storage driver, say): one set of "
        "tables, a column group per result, in the order given",
    )
    parser.add_argument(
        "--png",
        help="write the timeline picture here too (it always goes beside the JSON); {driver} in the path becomes the "
        "engine's storage driver",
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.job_rate <= 0 or args.http_rate <= 0:
        parser.error("--runs, --job-rate and --http-rate must be positive")
    return args


def order(runs: int) -> list[str]:
    """C S S C C S ...: each method goes first equally often; the first run is the collection's,
    whose rendered files the seed runs then deploy."""
    pairs = [("collection", "seed") if i % 2 == 0 else ("seed", "collection") for i in range(runs)]
    return [method for pair in pairs for method in pair]


def main(argv: list[str] | None = None, description: str | None = None) -> int:
    args = parse_args(argv, description)
    if args.markdown:
        print(metrics.markdown(*(json.loads(path.read_text()) for path in args.markdown)), end="")
        return 0
    profile = SHORT if args.short else FULL
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logs = OUT_DIR / "logs" / stamp
    result = {
        "started": stamp,
        "machine": machine(),
        "settings": {"runs": args.runs, "short": args.short, "job_rate": args.job_rate, "http_rate": args.http_rate}
        | profile.__dict__,
        "runs": [],
    }
    render: Render | None = None
    for index, method in enumerate(order(args.runs), start=1):
        print(f"bench: run {index}/{2 * args.runs}: {metrics.METHOD_TITLES[method]}", flush=True)
        run, render = one_run(index, method, profile, args, render, logs)
        result["runs"].append(run)
        print(f"bench: run {index}: {brief(run)}", flush=True)
    result["summary"] = metrics.summarize(result["runs"])
    result["targets"] = metrics.targets(result["summary"])
    result["end_states_agree"] = (
        len({json.dumps(r["end_state"], sort_keys=True) for r in result["runs"] if r["ok"]}) <= 1
    )
    path = write(result, args.json)
    print()
    print(metrics.markdown(result), end="")
    print(f"\nbench: results in {path}, logs in {logs}")
    extra = [Path(args.png.format(driver=result["machine"]["storage_driver"]))] if args.png else []
    draw_timeline(result, [path.with_suffix(".png"), *extra])
    failed = [r for r in result["runs"] if not r["ok"]]
    return 1 if failed or not result["end_states_agree"] else 0


def one_run(
    index: int, method: str, profile: Profile, args: argparse.Namespace, render: Render | None, logs: Path
) -> tuple[dict, Render | None]:
    """Reset the stack, run one method under load, measure. Returns the run and the (maybe new) render."""
    run: dict = {"run": index, "method": method, "ok": False, "error": None, "metrics": {}}
    try:
        stack.reset()
        before, containers = stack.live_files(), stack.containers()
        with tempfile.TemporaryDirectory(prefix="bench-seed-") as scratch:
            if method == "seed":
                if render is None:
                    raise RuntimeError("no rendered Redis release: no collection rollout has succeeded yet")
                files = seed_files(render, before[".env"], Path(scratch))
                execute = functools.partial(stack.seed_runbook, *files, logs / f"run{index}-seed.log")
            else:
                execute = functools.partial(stack.rollout, logs / f"run{index}-collection.log")
            outcome, window = under_load(execute, profile, args)
        run.update(outcome=outcome, window=window, restarted=stack.restarted(containers, stack.containers()))
        # Seconds from the method's start, so a pause can be lined up with what the engine did.
        run["events"] = [e | {"t": round(e["t"] - window["method_start"], 2)} for e in window.pop("events")]
        figures, run["timeline"] = measure(window, profile)
        run["metrics"] = figures | {
            "wall_s": outcome["wall_s"],
            "db_restarted": int("postgres-srv" in run["restarted"]),
            "core_down_s": metrics.downtime(run["events"], "bs-core"),
            "worker_down_s": metrics.downtime(run["events"], "bs-worker"),
        }
        if outcome["error"]:
            raise RuntimeError(outcome["error"])
        run["end_state"] = stack.end_state()
        run["compose_drift"] = sandbox.drift()
        check_end_state(run["end_state"])
        if method == "collection":
            render = collection_extras(run, render, before[".env"], profile, logs / f"run{index}-collection-rerun.log")
            # Kept for reading (it holds only ${VAR} references, no secret): the file both methods deploy.
            (logs / "rendered-docker-compose.yml").write_text(render.compose)
        run["ok"] = True
    except Exception as error:  # one failed run is reported and the others still run
        run["error"] = f"{type(error).__name__}: {error}"
        run["traceback"] = traceback.format_exc()
    return run, render


def collection_extras(run: dict, render: Render | None, env_before: str, profile: Profile, rerun_log: Path) -> Render:
    """After a successful rollout: keep its files for the seed runs (the first time), check it rendered
    the same files as before, note its own report, time an idempotent re-run, drop its rollback tags."""
    rendered = Render(env_before, *stack.live_files().values())
    render = render or rendered
    expected_env = stack.rekey(render.env, render.env_from, env_before)
    run["same_files_as_render"] = {"env": expected_env == rendered.env, "compose": render.compose == rendered.compose}
    # Where they differ: the compose file in full (it holds no secret), the .env by line and key only.
    compose_diff = difflib.unified_diff(render.compose.splitlines(), rendered.compose.splitlines(), lineterm="")
    run["render_differences"] = {
        "compose": list(compose_diff)[:80],
        "env": stack.env_differences(expected_env, rendered.env),
    }
    run["role_report"] = stack.role_report()
    run["metrics"] |= metrics.phase_figures((run["role_report"] or {}).get("phases_s"))
    if profile.rerun:
        run["rerun"] = rerun(rerun_log)
        run["metrics"]["rerun_s"] = run["rerun"]["wall_s"]
    run["dropped_tags"] = stack.drop_rollback_tags(run["role_report"])
    return render


def seed_files(render: Render, current_env: str, scratch: Path) -> tuple[Path, Path]:
    """The rendered files, carried over to this stack's secrets (mode 0600: the .env holds them all)."""
    new_env, new_compose = scratch / "env", scratch / "docker-compose.yml"
    for path, text in ((new_env, stack.rekey(render.env, render.env_from, current_env)), (new_compose, render.compose)):
        path.touch(mode=0o600)
        path.write_text(text)
    return new_env, new_compose


def under_load(execute: Callable[[], dict], profile: Profile, args: argparse.Namespace) -> tuple[dict, dict]:
    """Start the load, run `execute` after the warm-up, keep the load on for the settle time, then drain."""
    load = Load(sandbox.container_ip("bs-core"), args.job_rate, args.http_rate)
    events = stack.ContainerEvents()
    load.start()
    try:
        time.sleep(profile.warmup_s)
        started = time.time()
        outcome = execute()
        returned = time.time()
        time.sleep(profile.settle_s)
    finally:
        load.stop()
        recorded = events.stop()
    window = {
        "load_start": load.started,
        "method_start": started,
        "method_end": returned,
        "window_end": load.stopped,
        "acknowledged": load.acknowledged(),
        "producer": load.producer.outcomes,
        "reader": load.reader.outcomes,
        "events": recorded,
    }
    return outcome, window


def measure(window: dict, profile: Profile) -> tuple[dict, dict]:
    """The run's figures and its per-second timeline; the raw observations are dropped from the window
    afterwards (they are large)."""
    acked = window.pop("acknowledged")
    processed = stack.wait_processed(set(acked), profile.drain_s)
    start, end = window["load_start"], window["window_end"]
    producer, reader = window.pop("producer"), window.pop("reader")
    figures = {
        "worker_gap_s": metrics.longest_gap([at for _, at in processed], start, end),
        "api_outage_s": metrics.longest_gap([o["done"] for o in reader if o["kind"] == "ok"], start, end),
        **metrics.job_accounting(acked, processed),
        "enqueue_failed": len(producer) - len(acked),
        **metrics.http_counts(producer + reader),
        "by_client": {"producer": metrics.http_counts(producer), "reader": metrics.http_counts(reader)},
    }
    return figures, metrics.timeline(window, processed, {"producer": producer, "reader": reader})


def check_end_state(state: dict) -> None:
    """Both methods must leave the same thing: Redis up, memcached gone, the app on Redis, the worker subscribed."""
    app_image = sandbox.images()["APP_REDIS_IMAGE"]
    running = state["containers"]
    problems = []
    if "bs-redis" not in running:
        problems.append("bs-redis is not there")
    if "memcached" in running:
        problems.append("memcached is still there")
    if any(running.get(name) != app_image for name in ("bs-core", "bs-worker")):
        problems.append(f"bs-core/bs-worker do not both run {app_image}")
    if "RedisCache" not in str(state["cache_backend"]):
        problems.append(f"the cache backend is {state['cache_backend']}")
    if state["worker_subscribers"] < 1:
        problems.append("no worker subscribes to the Redis channel")
    if problems:
        raise RuntimeError("end state: " + "; ".join(problems))


def rerun(log: Path) -> dict:
    """A second rollout right after the first: it must change nothing and restart no container."""
    before = stack.containers()
    outcome = stack.rollout(log)
    outcome["restarted"] = stack.restarted(before, stack.containers())
    return outcome


def brief(run: dict) -> str:
    if not run["ok"]:
        return f"FAILED: {run['error']}"
    m = run["metrics"]
    text = (
        f"wall {m['wall_s']:.1f} s, worker gap {m['worker_gap_s']:.2f} s, jobs {m['jobs_enqueued']} enqueued / "
        f"{m['jobs_lost']} lost / {m['jobs_duplicated']} twice, HTTP non-2xx {m['http_non2xx']} "
        f"(5xx {m['http_5xx']}), conn errors {m['http_conn_errors']}, timeouts {m['http_timeouts']}"
    )
    if "rerun" in run:
        text += f", re-run {m['rerun_s']:.1f} s changed={run['rerun']['changed']} restarted={run['rerun']['restarted']}"
    return text


def write(result: dict, path: Path | None) -> Path:
    path = path or OUT_DIR / f"cutover-{result['started']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    if path.parent.resolve() == OUT_DIR.resolve():
        shutil.copyfile(path, OUT_DIR / "latest.json")
    return path


def draw_timeline(result: dict, paths: list[Path]) -> None:
    """The timeline picture of the results just written; they stay valid if it cannot be drawn."""
    try:
        started = time.monotonic()
        timeline.draw(result, paths)
        print(f"bench: timeline in {', '.join(map(str, paths))} ({time.monotonic() - started:.1f} s)")
    except Exception as error:  # no matplotlib, no run with a timeline: `bench/timeline.py JSON` redraws it later
        print(f"bench: no timeline picture: {type(error).__name__}: {error}")


def machine() -> dict:
    """What the figures were measured on, and which revision of the collection ran."""

    def out(*argv: str) -> str:
        result = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=stack.REPO)
        return result.stdout.strip() if result.returncode == 0 else "?"

    meminfo = Path("/proc/meminfo").read_text().split()
    return {
        "cpus": os.cpu_count(),
        "ram_gib": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 2**20, 1),
        "kernel": platform.release(),
        "docker_server": out("docker", "version", "--format", "{{.Server.Version}}"),
        "docker_client": out("docker", "version", "--format", "{{.Client.Version}}"),
        "compose": out("docker", "compose", "version", "--short"),
        "storage_driver": out("docker", "info", "--format", "{{.Driver}}"),
        "ansible_core": out(str(Path(sys.executable).parent / "ansible"), "--version").split("\n")[0],
        "git_commit": out("git", "rev-parse", "--short", "HEAD"),
        "uncommitted_changes": out(
            "git", "status", "--porcelain", "--", "roles", "playbooks", "inventories", "plugins", "sandbox"
        ).splitlines(),
    }
