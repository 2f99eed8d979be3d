"""What one module call costs on the sandbox, against the runbook's own smoke command, in the same go.

Each call runs as Ansible runs a module on the managed host (`python -m <module> args.json`, no Ansible
start-up), N times per release. Two baselines run in the same loop, so a noisy machine moves them alike:
the runbook's verification `docker compose exec -T bs-core python manage.py shell -c "...cache.incr..."`
and a bare `python -c pass` (the interpreter start-up every module call pays). Prints medians, min-max,
ratios to the runbook's smoke and whether each call stays under the 1 s budget; writes the same as JSON,
with the machine (bench/harness.py's, storage driver included). Missed budgets are reported, never failed:
the exit code is 1 only when a call itself failed.

    .venv/bin/python bench/module_calls.py --runs 5                    # make bench (both releases)
    .venv/bin/python bench/module_calls.py --runs 1 --releases redis   # make bench-smoke
    .venv/bin/python bench/module_calls.py --markdown A.json [B.json ...]   # the tables again, no calls

With several results (one per storage driver, say), --markdown prints one table per release: each call's
median (min-max) and ratio to the runbook smoke, a column group per result in the order given.

Run it under the sandbox lock: `flock /tmp/bs-sandbox.lock .venv/bin/python bench/module_calls.py ...`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "collections")]

# Importable only once the paths above are set (hence E402).
from bench.harness import machine  # noqa: E402
from bench.metrics import driver_labels, ratio, spread  # noqa: E402
from tests.integration.modules.ansible_run import run_module_file  # noqa: E402
from tests.lib import sandbox  # noqa: E402

OUT_DIR = REPO / "build" / "bench"
BUDGET_S = 1.0  # what one module call may cost on the sandbox (round-trip job aside)
INTERPRETER = "python -c pass (interpreter start-up)"
SMOKE = "runbook smoke: compose exec bs-core manage.py shell"
BASELINES = (INTERPRETER, SMOKE)  # measured for comparison; the 1 s budget is for module calls


def calls(release: str) -> dict[str, Callable[[], None]]:
    """The calls measured on `release`, by label; each raises when the call did not succeed."""

    def module(name: str, args: dict) -> Callable[[], None]:
        def call() -> None:
            result, _seconds = run_module_file(name, args)
            if result.get("failed"):
                raise RuntimeError(f"{name}: {result.get('msg')}")

        return call

    def smoke() -> None:
        out = sandbox.compose(
            "exec", "-T", "bs-core", "python", "manage.py", "shell", "-c", sandbox.RUNBOOK_SMOKE
        ).stdout
        if out.strip().splitlines()[-1:] != ["2"]:  # Django's shell may print a line of its own first
            raise RuntimeError(f"the runbook smoke printed {out.strip()!r}, expected 2")

    probe = sandbox.probe_params("redis" if release == "redis" else "postgres")
    measured = {
        INTERPRETER: lambda: sandbox.run([sys.executable, "-c", "pass"]),
        SMOKE: smoke,
        "redis_smoke mode=django": module(
            "redis_smoke", dict(mode="django", expect_backend=sandbox.CACHE_BACKENDS[release])
        ),
        "pgqueuer_probe (no job)": module("pgqueuer_probe", probe),
    }
    if release == "redis":
        measured["redis_smoke mode=direct"] = module("redis_smoke", dict(host=sandbox.container_ip("bs-redis"), db=1))
    return measured


def measure(release: str, runs: int) -> dict:
    """Interleave the calls (a, b, c, a, b, c, ...) so drift on the machine hits each alike."""
    sandbox.up(release)
    measured = calls(release)
    seconds: dict[str, list[float]] = {label: [] for label in measured}
    errors: dict[str, str] = {}
    for _round in range(runs):
        for label, call in measured.items():
            started = time.monotonic()
            try:
                call()
            except (AssertionError, RuntimeError, subprocess.SubprocessError, OSError, ValueError) as error:
                errors[label] = str(error)[:300]
                continue
            seconds[label].append(time.monotonic() - started)
    return {"seconds": seconds, "errors": errors}


def figures(result: dict) -> dict[str, tuple[dict | None, str]]:
    """Per call of one release: its spread (None: it never succeeded) and its ratio to the runbook smoke."""
    stats = {label: spread(values) for label, values in result["seconds"].items()}
    ratios = {label: ratio(stat, stats.get(SMOKE)) for label, stat in stats.items()}
    return {label: (stat, "-" if ratios[label] is None else f"{ratios[label]:.2f}x") for label, stat in stats.items()}


def table(release: str, result: dict) -> str:
    lines = [f"\n### {release} release\n", "| call | median (ms) | min-max (ms) | / runbook smoke | under 1 s |",
             "| --- | ---: | ---: | ---: | :---: |"]  # fmt: skip
    for label, (stat, times_smoke) in figures(result).items():
        if stat is None:
            lines.append(f"| {label} | failed: {result['errors'].get(label, '?')} | | | |")
            continue
        budget = "-" if label in BASELINES else ("yes" if stat["max"] < BUDGET_S else "**no**")
        lines.append(
            f"| {label} | {stat['median'] * 1000:.0f} | {stat['min'] * 1000:.0f}-{stat['max'] * 1000:.0f} "
            f"| {times_smoke} | {budget} |"
        )
    return "\n".join(lines) + "\n"


def combined(release: str, results: list[dict], labels: list[str]) -> str:
    """One release's calls in several results: per result, each call's median (min-max) ms and its ratio to
    the runbook smoke."""
    measured = [result["releases"].get(release) or {"seconds": {}, "errors": {}} for result in results]
    calls = [figures(one) for one in measured]
    heads = [
        head
        for label, result in zip(labels, results, strict=True)
        for head in (f"{label} (n={result['runs']}): median (min-max) ms", f"{label}: / runbook smoke")
    ]
    lines = [f"\n### {release} release\n", f"| call | {' | '.join(heads)} |", "| --- |" + " ---: |" * len(heads)]
    for label in dict.fromkeys(label for one in measured for label in one["seconds"]):
        cells = []
        for one, call in zip(measured, calls, strict=True):
            stat, times_smoke = call.get(label, (None, "-"))
            if stat is None:
                cells += [f"failed: {one['errors'][label]}" if label in one["errors"] else "-", "-"]
            else:
                ms = [f"{stat[key] * 1000:.0f}" for key in ("median", "min", "max")]
                cells += [f"{ms[0]} ({ms[1]}-{ms[2]})", times_smoke]
        lines.append(f"| {label} | {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def header(result: dict) -> str:
    driver = (result.get("machine") or {}).get("storage_driver")
    on = f", storage driver {driver}" if driver else ""
    return f"Module call cost, {result['runs']} call(s) of each kind per release, measured {result['started']}{on}"


def markdown(*results: dict) -> str:
    """What the run printed, from its JSON; several results: one table per release, a column group per result."""
    if len(results) == 1:
        result = results[0]
        return f"{header(result)}:\n" + "".join(table(name, one) for name, one in result["releases"].items())
    releases = dict.fromkeys(name for result in results for name in result["releases"])
    labels = driver_labels(results)
    tables = "".join(combined(name, list(results), labels) for name in releases)
    return "\n\n".join(f"{header(result)}." for result in results) + "\n" + tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="calls of each kind per release (default 5)")
    parser.add_argument("--releases", default="redis,memcached", help="comma-separated: redis, memcached")
    parser.add_argument(
        "--markdown", type=Path, nargs="+", metavar="JSON", help="print the tables of earlier results and exit"
    )
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(*(json.loads(path.read_text()) for path in args.markdown)), end="")
        return 0
    releases = [name for name in args.releases.split(",") if name]
    unknown = sorted(set(releases) - set(sandbox.CACHE_BACKENDS))
    if unknown or args.runs < 1:
        parser.error(f"--releases takes redis and/or memcached (got {unknown}); --runs at least 1")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results = {release: measure(release, args.runs) for release in releases}
    result = {"started": stamp, "runs": args.runs, "budget_s": BUDGET_S, "machine": machine(), "releases": results}
    print(markdown(result), end="")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"module-calls-{stamp}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"\nbench: results in {path}")
    return 1 if any(one["errors"] for one in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
