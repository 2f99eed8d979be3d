"""What a cutover cost, from the raw observations of one run, and the summary over many runs.

Pure functions (no I/O), so they can be tested without a stack. Times are Unix seconds.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

METHODS = ("seed", "collection")
METHOD_TITLES = {"seed": "seed runbook", "collection": "collection rollout"}


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str = ""
    digits: int = 0
    ratio: bool = (
        True  # False where the two methods' figures are not comparable (e.g. counts over windows of different length)
    )


# The rows of the table, in order. Each run's "metrics" dict holds these keys.
METRICS = (
    Metric("worker_gap_s", "worker gap: longest pause between job completions", "s", 2),
    Metric("job_wait_max_s", "longest wait of a job (POST sent -> processed)", "s", 2),
    Metric("api_outage_s", "longest stretch without a successful cache round trip", "s", 2),
    Metric("core_down_s", "bs-core container down (old one died -> new one started)", "s", 2),
    Metric("worker_down_s", "bs-worker container down (old one died -> new one started)", "s", 2),
    Metric("jobs_enqueued", "jobs enqueued (POST /api/jobs answered 201)", ratio=False),
    Metric("jobs_lost", "jobs lost (enqueued, never processed)", ratio=False),
    Metric("jobs_duplicated", "jobs processed twice (same seq)", ratio=False),
    Metric("enqueue_failed", "job POSTs not accepted (any error)"),
    Metric("http_non2xx", "HTTP non-2xx responses (both clients)"),
    Metric("http_5xx", "of which 5xx"),
    Metric("http_conn_errors", "connection errors (refused, reset, unreachable)"),
    Metric("http_timeouts", "timeouts"),
    Metric("db_restarted", "PostgreSQL restarted (1 = yes)", ratio=False),
    Metric("wall_s", "wall time of the method", "s", 1),
    Metric("rerun_s", "idempotent re-run (second rollout)", "s", 1, ratio=False),
    # The collection's own report of where its wall time went (phases_s; the seed has none).
    Metric("phase_checks_s", "collection: before the first change (preflight, render, images)", "s", 2, ratio=False),
    Metric("phase_snapshot_s", "collection: snapshot", "s", 2, ratio=False),
    Metric(
        "container_work_s",
        "collection: the containers' own work (Redis healthy, bs-core moved, worker swap)",
        "s",
        2,
        ratio=False,
    ),
)

# The rollout's wall-time target, as a multiple of the seed's wall (judged and explained with the same figure).
WALL_LIMIT = 1.5

# The report's phases that are the containers' own start and swap, and the phases the other rows show.
CONTAINER_PHASES = ("redis_healthy", "core_frontend_moved", "worker_swap")
SHOWN_PHASES = {"phase_checks_s": "preflight_render_images", "phase_snapshot_s": "snapshot"}


def phase_figures(phases: dict | None) -> dict:
    """The rows above from a rollout report's phases_s (seconds per phase); none when a phase is missing."""
    phases = phases or {}
    figures = {key: phases[phase] for key, phase in SHOWN_PHASES.items() if phase in phases}
    if all(phase in phases for phase in CONTAINER_PHASES):
        figures["container_work_s"] = round(sum(phases[phase] for phase in CONTAINER_PHASES), 2)
    return figures


def longest_gap(times: Iterable[float], start: float, end: float) -> float:
    """The longest interval in [start, end] without an event; the window's edges count as events,
    so a stretch with nothing at all (or nothing since some point) is measured too."""
    points = sorted(t for t in times if start <= t <= end)
    edges = [start, *points, end]
    return max(b - a for a, b in itertools.pairwise(edges))


def down_spans(events: Iterable[dict], container: str) -> list[tuple[float, float | None]]:
    """When `container` was not running: (its "die", the next "start" or None if it never started again)."""
    spans: list[tuple[float, float | None]] = []
    died = None
    for event in sorted((e for e in events if e["container"] == container), key=lambda e: e["t"]):
        if event["action"] == "die" and died is None:
            died = event["t"]
        elif event["action"] == "start" and died is not None:
            spans.append((died, event["t"]))
            died = None
    return [*spans, (died, None)] if died is not None else spans


def downtime(events: Iterable[dict], container: str) -> float:
    """The longest time `container` was not running: from a "die" event to the next "start" (0 if never)."""
    return max((end - died for died, end in down_spans(events, container) if end is not None), default=0.0)


def job_accounting(acked: dict[int, float], processed: Sequence[tuple[int, float]]) -> dict:
    """acked: seq -> time its POST was sent, for every POST answered 201.
    processed: (seq, processed_at) per bench_job_record row.

    Lost = acknowledged but never processed; duplicated = processed more than once; unacknowledged =
    processed although its POST failed (a timeout after the server had committed it)."""
    counts = Counter(seq for seq, _ in processed)
    first_done: dict[int, float] = {}
    for seq, at in processed:
        first_done[seq] = min(at, first_done.get(seq, at))
    waits = [first_done[seq] - sent for seq, sent in acked.items() if seq in first_done]
    return {
        "jobs_enqueued": len(acked),
        "jobs_processed": len(counts),
        "jobs_lost": len(set(acked) - set(counts)),
        "lost_seqs": sorted(set(acked) - set(counts))[:50],
        "jobs_duplicated": sum(1 for n in counts.values() if n > 1),
        "duplicated_seqs": sorted(seq for seq, n in counts.items() if n > 1)[:50],
        "processed_unacknowledged": len(set(counts) - set(acked)),
        "job_wait_max_s": max(waits, default=0.0),
    }


def http_counts(outcomes: Iterable[dict]) -> dict:
    """Outcomes are dicts with "kind" (ok | http | error | timeout) and "status" (or None)."""
    outcomes = list(outcomes)
    statuses = [o["status"] for o in outcomes if o["kind"] == "http"]
    return {
        "requests": len(outcomes),
        "ok": sum(o["kind"] == "ok" for o in outcomes),
        "http_non2xx": len(statuses),
        "http_5xx": sum(500 <= s < 600 for s in statuses),
        "http_conn_errors": sum(o["kind"] == "error" for o in outcomes),
        "http_timeouts": sum(o["kind"] == "timeout" for o in outcomes),
        "statuses": dict(sorted(Counter(str(s) for s in statuses).items())),
        # What the failures said, most frequent first: enough to tell a cache error from a database one.
        "errors": Counter(_said(o) for o in outcomes if o["kind"] != "ok").most_common(5),
    }


def _said(outcome: dict) -> str:
    body = outcome.get("body")
    text = body.get("error", body) if isinstance(body, dict) else body
    return f"{outcome['kind']} {outcome['status'] or ''}: {str(text)[:120]}".replace("  ", " ")


# The kinds bench/load.py gives each request (see http_counts), in the order the timeline stacks them.
OUTCOME_KINDS = ("ok", "http", "error", "timeout")


def bin_range(start: float, end: float, origin: float, width: float = 1) -> tuple[int, int]:
    """The bins that cover [start, end]: (index of the first, how many). Bin k is
    [origin + k * width, origin + (k + 1) * width), so bins line up on `origin` (the method's start)."""
    first = math.floor((start - origin) / width)
    return first, max(math.ceil((end - origin) / width) - first, 0)


def per_bin(times: Iterable[float], origin: float, first: int, count: int, width: float = 1) -> list[int]:
    """How many of `times` fall in each of the `count` bins from bin `first`; times outside are left out."""
    counts = [0] * count
    for t in times:
        k = math.floor((t - origin) / width) - first
        if 0 <= k < count:
            counts[k] += 1
    return counts


def timeline(window: dict, processed: Sequence[tuple[int, float]], clients: dict[str, list[dict]]) -> dict:
    """Per 1 s bin from the load's start to its stop, relative to the method's start: job completions
    (processed_at) and each client's requests by outcome kind (binned by send time, so a bin's requests
    add up to the client's rate whatever became of them)."""
    origin, width = window["method_start"], 1
    first, count = bin_range(window["load_start"], window["window_end"], origin, width)

    def bins(times: Iterable[float]) -> list[int]:
        return per_bin(times, origin, first, count, width)

    return {
        "bin_s": width,
        "start": first * width,
        "jobs": bins(at for _, at in processed),
        "http": {
            name: {kind: bins(o["sent"] for o in outcomes if o["kind"] == kind) for kind in OUTCOME_KINDS}
            for name, outcomes in clients.items()
        },
    }


def spread(values: Sequence[float]) -> dict | None:
    """Median, min and max of the values that were measured (None entries are skipped)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def ratio(collection: dict | None, seed: dict | None) -> float | None:
    """collection median / seed median; None when either is missing or the seed's is 0."""
    if not collection or not seed or not seed["median"]:
        return None
    return collection["median"] / seed["median"]


def summarize(runs: Sequence[dict]) -> dict:
    """Per metric: each method's spread over the successful runs, and the collection/seed ratio."""
    summary = {}
    for metric in METRICS:
        by_method = {
            method: spread([r["metrics"].get(metric.key) for r in runs if r["method"] == method and r["ok"]])
            for method in METHODS
        }
        comparable = ratio(by_method["collection"], by_method["seed"]) if metric.ratio else None
        summary[metric.key] = {**by_method, "ratio": comparable}
    return summary


def targets(summary: dict) -> list[dict]:
    """The collection's targets, each with the figure it is judged on and whether it is met (None: not measured)."""

    def median(key: str, method: str = "collection") -> float | None:
        return (summary[key][method] or {}).get("median")

    def worst(key: str) -> float | None:
        return (summary[key]["collection"] or {}).get("max")

    def check(name: str, value: float | None, limit: float, shown: str, why: str = "") -> dict:
        met = None if value is None else value <= limit
        return {"target": name, "value": value, "shown": shown, "met": met, "why": why if met is False else ""}

    gap_ratio = summary["worker_gap_s"]["ratio"]
    wall_ratio = summary["wall_s"]["ratio"]
    gap = median("worker_gap_s")
    rerun = median("rerun_s")
    lost, errors = worst("jobs_lost"), worst("http_5xx")
    return [
        check("worker gap <= 0.5x the seed's", gap_ratio, 0.5, _fmt(gap_ratio, 2, "x"), _gap_why(summary)),
        check("worker gap <= 3 s", gap, 3.0, _fmt(gap, 2, " s"), _gap_why(summary)),
        check(
            f"rollout wall time <= {WALL_LIMIT:g}x the seed's",
            wall_ratio,
            WALL_LIMIT,
            _fmt(wall_ratio, 2, "x"),
            _wall_why(summary),
        ),
        check("0 lost jobs (every run)", lost, 0, _fmt(lost, 0)),
        check("0 HTTP 5xx (every run)", errors, 0, _fmt(errors, 0)),
        check("idempotent re-run <= 8 s", rerun, 8.0, _fmt(rerun, 1, " s")),
    ]


def _gap_why(summary: dict) -> str:
    """Why jobs paused: while bs-core restarts nothing can be enqueued, whichever worker is there to take them."""
    outage, wait = summary["api_outage_s"]["collection"], summary["job_wait_max_s"]["collection"]
    if not outage or not wait:
        return ""
    return (
        f"jobs are enqueued through bs-core, which gave no successful answer for up to {outage['median']:.2f} s "
        f"while it restarted; an accepted job waited at most {wait['median']:.2f} s for a worker"
    )


def _wall_why(summary: dict) -> str:
    """Why the rollout took longer than WALL_LIMIT times the seed's wall: its containers' own work, against the
    seed, which starts them and waits for none of them to be healthy, or (when that work fits) its other steps."""
    work, seed, wall = (
        summary[key][method]
        for key, method in (("container_work_s", "collection"), ("wall_s", "seed"), ("wall_s", "collection"))
    )
    if not work or not seed or not wall or not seed["median"]:
        return ""
    work_s, seed_s = work["median"], seed["median"]
    said = f"the containers' own work (Redis healthy, bs-core moved, worker swap) took {work_s:.1f} s, "
    if work_s > WALL_LIMIT * seed_s:
        return said + f"{work_s / seed_s:.1f}x the seed's whole wall: the seed waits for no container to be healthy"
    rest = wall["median"] - work_s
    return (
        said
        + f"within {WALL_LIMIT:g}x the seed's wall; the other {rest:.1f} s are the checks, snapshot and verifications"
    )


def _fmt(value: float | None, digits: int, unit: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


def _cell(stats: dict | None, metric: Metric) -> str:
    if stats is None:
        return "-"
    median = _fmt(stats["median"], metric.digits)
    if stats["n"] == 1 or stats["min"] == stats["max"]:
        return median
    return f"{median} ({_fmt(stats['min'], metric.digits)}-{_fmt(stats['max'], metric.digits)})"


def _lists(values: list[list[str] | None]) -> str:
    """The distinct lists the runs gave, e.g. "bs-core, bs-worker" or "none (2 runs); db (1 run)"."""
    counts = Counter(", ".join(v) if v else "none" for v in values if v is not None)
    if len(counts) <= 1:
        return next(iter(counts), "-")
    return "; ".join(f"{text} ({n} run{'s' * (n > 1)})" for text, n in counts.most_common())


def _setting(result: dict) -> list[str]:
    """One paragraph: where and under which load the figures were measured."""
    machine, settings = result.get("machine"), result.get("settings")
    if not machine or not settings:
        return []
    dirty = machine["uncommitted_changes"]
    return [
        f"Measured {result['started']} on {machine['cpus']} cores, {machine['ram_gib']} GiB RAM, kernel "
        f"{machine['kernel']}, Docker engine {machine['docker_server']} (client {machine['docker_client']}, "
        f"storage driver {machine['storage_driver']}), compose {machine['compose']}, {machine['ansible_core']}; "
        f"collection at {machine['git_commit']}{' with uncommitted changes' if dirty else ''}. "
        f"Load: {settings['job_rate']:g} jobs/s and {settings['http_rate']:g} cache round trips/s, from "
        f"{settings['warmup_s']:g} s before each method to {settings['settle_s']:g} s after it returned; "
        f"{settings['runs']} run(s) of each method{', short' if settings['short'] else ''}.",
        "",
    ]


def driver_labels(results: Sequence[dict]) -> list[str]:
    """Each result's storage driver (from its "machine"), to label its columns; where two results share a
    driver, the time each started tells them apart."""
    labels = [(r.get("machine") or {}).get("storage_driver", "?") for r in results]
    if len(set(labels)) < len(labels):
        labels = [f"{label} {r.get('started', '?')}" for label, r in zip(labels, results, strict=True)]
    return labels


def _head(name: str, *notes: str) -> str:
    """A column heading: "name" or "name (note, note)"."""
    return f"{name} ({', '.join(notes)})" if notes else name


def _table(heads: list[str], align: list[str], rows: list[list[str]]) -> list[str]:
    return [f"| {' | '.join(row)} |" for row in (heads, align, *rows)]


def markdown(*results: dict) -> str:
    """The figures of benchmark results (as cutover.py writes them) as markdown tables. Several results (one
    per storage driver, say) make one set of tables: a group of columns per result, in the order given,
    each labelled with its driver."""
    one = len(results) == 1
    names = METHOD_TITLES if one else {m: m for m in METHODS}
    groups = [  # per result: what its headings add (nothing when it is the only one), its successful runs
        {"note": [] if one else [label], "result": result}
        | {"ok": {m: [r for r in result["runs"] if r["method"] == m and r["ok"]] for m in METHODS}}
        for label, result in zip(driver_labels(results), results, strict=True)
    ]
    lines = []
    for group in groups:
        setting = _setting(group["result"])
        lines += [f"**{group['note'][0]}**: {setting[0]}", *setting[1:]] if setting and group["note"] else setting

    heads, rows = ["metric"], [[f"{m.label} ({m.unit})" if m.unit else m.label] for m in METRICS]
    for group in groups:
        note, ok, summary = group["note"], group["ok"], group["result"]["summary"]
        heads += [_head(names[m], *note, f"n={len(ok[m])}") for m in METHODS] + [_head("collection / seed", *note)]
        for row, metric in zip(rows, METRICS, strict=True):
            figures = summary[metric.key]
            row += [_cell(figures["seed"], metric), _cell(figures["collection"], metric)]
            row.append(_fmt(figures["ratio"], 2, "x"))
    lines += _table(heads, ["---"] + ["---:"] * 3 * len(groups), rows)

    judged = [targets(group["result"]["summary"]) for group in groups]
    heads, rows = ["target"], [[target["target"]] for target in judged[0]]
    met = {True: "yes", False: "**no**", None: "not measured"}
    for group, its in zip(groups, judged, strict=True):
        heads += [_head("measured", *group["note"]), _head("met", *group["note"]), _head("why not", *group["note"])]
        for row, target in zip(rows, its, strict=True):
            row += [target["shown"], met[target["met"]], target.get("why", "")]
    lines += ["", *_table(heads, ["---"] + ["---:", ":---:", "---"] * len(groups), rows)]

    heads = ["after the method"] + [_head(names[m], *group["note"]) for group in groups for m in METHODS]
    rows = [
        [label] + [_lists([r.get(key) for r in group["ok"][m]]) for group in groups for m in METHODS]
        for key, label in (
            ("restarted", "containers the method replaced or restarted"),
            ("compose_drift", "containers a plain `docker compose up -d` would still recreate"),
        )
    ]
    lines += ["", *_table(heads, ["---"] * len(heads), rows)]

    failed = [
        f"- run {r['run']} ({', '.join([METHOD_TITLES[r['method']], *group['note']])}): {r['error']}"
        for group in groups
        for r in group["result"]["runs"]
        if not r["ok"]
    ]
    if failed:
        lines += ["", "Runs that failed (left out of the figures):", "", *failed]
    return "\n".join(lines) + "\n"
