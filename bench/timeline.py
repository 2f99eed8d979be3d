"""The cutover benchmark's timeline picture: per method, what the load saw second by second.

For each method (its median run by wall time), on one time axis in seconds from the method's start:
job completions per second, HTTP requests per second by outcome, and when each container died and
started; the method's own span is shaded. bench/cutover.py draws it next to every result JSON.

    .venv/bin/python bench/timeline.py build/bench/latest.json -o docs/images/cutover-timeline.png

matplotlib is imported only to draw, so the harness imports without it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

if __name__ == "__main__":  # run as a script: the checkout holds the bench package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import metrics
from bench.load import TIMEOUT_S

SIZE_IN, DPI = (16, 10), 100  # 1600 x 1000 px
# Okabe-Ito colours (readable with colour blindness), one meaning each across all panels.
JOBS = "#0072B2"
HTTP = {"ok": "#9FD3B8", "http": "#E69F00", "error": "#D55E00", "timeout": "#CC79A7"}
HTTP_LABELS = {
    "ok": "HTTP 2xx",
    "http": "HTTP answer, not 2xx",
    "error": "no answer: refused / reset / unreachable",
    "timeout": f"no answer: timeout ({TIMEOUT_S:g} s)",
}
METHOD_SPAN, OUTSIDE, DOWN = "#FBEFC5", "#F2F2F2", "#C9C9C9"
DIED, STARTED = "#222222", "#009E73"
STYLE = {
    "font.size": 11,
    "axes.titlesize": 12.5,
    "axes.labelsize": 11,
    "legend.fontsize": 10.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#888888",
    "xtick.color": "#444444",
    "ytick.color": "#444444",
}


class NoTimeline(ValueError):
    """The result has no per-second timeline to draw (older than this picture, or every run failed early)."""


def median_run(runs: Iterable[dict], method: str) -> tuple[dict | None, int]:
    """The method's run with the median wall time among those with a timeline (successful ones first;
    the lower of the two middle ones for an even count), and how many it was picked from."""
    drawable = [r for r in runs if r["method"] == method and r.get("timeline")]
    pool = [r for r in drawable if r["ok"]] or drawable
    pool.sort(key=lambda r: r["metrics"].get("wall_s") or 0.0)
    return (pool[(len(pool) - 1) // 2] if pool else None), len(pool)


def draw(result: dict, paths: Sequence[Path]) -> None:
    """Draw the result's timeline and save it as PNG to each of `paths`."""
    picked = {method: median_run(result["runs"], method) for method in metrics.METHODS}
    if not any(run for run, _ in picked.values()):
        raise NoTimeline("no run in this result has a per-second timeline (recorded since bench/timeline.py)")
    try:
        import matplotlib  # only drawing needs it
    except ImportError as error:
        raise ImportError("matplotlib is not installed: .venv/bin/pip install -r requirements-dev.txt") from error

    with matplotlib.rc_context(STYLE):
        figure = _figure(result, picked)
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            figure.savefig(path, format="png", dpi=DPI)


def _figure(result: dict, picked: dict[str, tuple[dict | None, int]]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)  # Agg draws without a display
    runs = [run for run, _ in picked.values() if run]
    lanes = sorted({e["container"] for run in runs for e in run.get("events", []) if e["action"] in ("die", "start")})
    grid = figure.add_gridspec(3 * len(picked), 1, height_ratios=[3, 3, 0.4 + 0.42 * max(len(lanes), 1)] * len(picked))
    axes = [figure.add_subplot(cell) for cell in grid]
    for ax in axes[1:]:
        ax.sharex(axes[0])
    for group, (method, (run, pool)) in enumerate(picked.items()):
        jobs_ax, http_ax, lane_ax = axes[3 * group : 3 * group + 3]
        if group:  # one y scale per kind of panel, so the methods compare at a glance
            jobs_ax.sharey(axes[0])
            http_ax.sharey(axes[1])
        jobs_ax.set_title(_heading(method, run, pool), loc="left", fontweight="bold")
        if run is None:
            for ax in (jobs_ax, http_ax, lane_ax):
                ax.set_axis_off()
            jobs_ax.text(0.5, 0.5, "no run of this method has a timeline", ha="center", transform=jobs_ax.transAxes)
            continue
        _backdrop(run, (jobs_ax, http_ax, lane_ax))
        _jobs(jobs_ax, run, result.get("settings", {}).get("job_rate"))
        _http(http_ax, run)
        _lanes(lane_ax, run, lanes)
        lane_ax.tick_params(labelbottom=True)
    left = min(_offsets(run)[0] for run in runs)
    right = max(_offsets(run)[2] for run in runs)
    axes[0].set_xlim(left, right)
    # Room above the tallest bar and the rate line (shared by both methods' panels of a kind).
    rate = result.get("settings", {}).get("job_rate") or 0
    axes[0].set_ylim(0, 1.15 * max(rate, *(max(run["timeline"]["jobs"], default=0) for run in runs), 1))
    axes[1].set_ylim(0, 1.1 * max(max(_requests(run["timeline"]), default=0) for run in runs) or 1)
    axes[-1].set_xlabel("seconds from the method's start")
    figure.align_ylabels(axes)
    figure.suptitle(_title(result, picked), fontsize=14)
    figure.legend(handles=_legend(), loc="outside lower center", ncols=6, frameon=False)
    return figure


def _offsets(run: dict) -> tuple[float, float, float]:
    """Load start, method end and load stop, in seconds from the method's start."""
    w = run["window"]
    return tuple(w[key] - w["method_start"] for key in ("load_start", "method_end", "window_end"))


def _edges(timeline: dict) -> list[float]:
    width, start, count = timeline["bin_s"], timeline["start"], len(timeline["jobs"])
    return [start + k * width for k in range(count + 1)]


def _backdrop(run: dict, axes: Iterable) -> None:
    """The method's span shaded; before and after the load greyed, since no bar there means no load."""
    load_start, method_end, load_stop = _offsets(run)
    for ax in axes:
        ax.axvspan(0, method_end, color=METHOD_SPAN, zorder=0, lw=0)
        ax.axvspan(-1e6, load_start, color=OUTSIDE, zorder=0, lw=0)
        ax.axvspan(load_stop, 1e6, color=OUTSIDE, zorder=0, lw=0)
        ax.grid(axis="x", color="#E4E4E4", lw=0.8)
        ax.set_axisbelow(True)


def _jobs(ax, run: dict, rate: float | None) -> None:
    timeline = run["timeline"]
    ax.stairs(timeline["jobs"], _edges(timeline), fill=True, color=JOBS, alpha=0.85, lw=0)
    if rate:
        ax.axhline(rate, color="#555555", lw=1, ls=(0, (4, 3)))
    ax.set_ylabel("jobs done / s")
    ax.grid(axis="y", color="#E4E4E4", lw=0.8)
    ax.tick_params(labelbottom=False)


def _http(ax, run: dict) -> None:
    """Both clients' requests stacked by outcome kind, 2xx at the bottom."""
    timeline = run["timeline"]
    clients = timeline["http"].values()
    bottom = [0] * len(timeline["jobs"])
    for kind in metrics.OUTCOME_KINDS:
        counts = [sum(c) for c in zip(*(client[kind] for client in clients), strict=True)]
        if any(counts):
            top = [b + n for b, n in zip(bottom, counts, strict=True)]
            ax.stairs(top, _edges(timeline), baseline=bottom, fill=True, color=HTTP[kind], lw=0)
            bottom = top
    ax.set_ylabel("requests / s")
    ax.grid(axis="y", color="#E4E4E4", lw=0.8)
    ax.tick_params(labelbottom=False)


def _requests(timeline: dict) -> list[int]:
    """All requests per bin, whatever their outcome."""
    return [sum(column) for column in zip(*(c[k] for c in timeline["http"].values() for k in c), strict=True)]


def _lanes(ax, run: dict, lanes: list[str]) -> None:
    """One lane per container: grey while it was not running; where it died a mark above the lane, where it
    started one below, so a quick restart still shows both."""
    events = run.get("events", [])
    right = _offsets(run)[2]
    for y, container in enumerate(lanes):
        spans = [(died, (right if end is None else end) - died) for died, end in metrics.down_spans(events, container)]
        ax.broken_barh(spans, (y - 0.12, 0.24), color=DOWN, lw=0)
        for action, marker, colour, side in (("die", "v", DIED, -0.2), ("start", "^", STARTED, 0.2)):
            times = [e["t"] for e in events if e["container"] == container and e["action"] == action]
            ax.scatter(times, [y + side] * len(times), marker=marker, s=34, color=colour, zorder=3, lw=0)
    ax.set_yticks(range(len(lanes)), lanes)
    ax.set_ylim(len(lanes) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    if not lanes:
        ax.set_yticks([])


def _heading(method: str, run: dict | None, pool: int) -> str:
    title = metrics.METHOD_TITLES[method]
    if run is None:
        return title
    m = run["metrics"]
    failed = sum(m.get(k, 0) for k in ("http_non2xx", "http_conn_errors", "http_timeouts"))
    parts = [
        f"run {run['run']}" + ("" if pool == 1 else f", median of {pool}") + ("" if run["ok"] else ", FAILED"),
        f"wall {m.get('wall_s', 0):.1f} s",
        f"worker gap {m.get('worker_gap_s', 0):.2f} s",
        f"longest without a cache 2xx {m.get('api_outage_s', 0):.2f} s",
        f"{failed} requests without a 2xx",
    ]
    return f"{title}  —  " + "  ·  ".join(parts)


def _title(result: dict, picked: dict) -> str:
    machine, settings = result.get("machine", {}), result.get("settings", {})
    try:
        when = datetime.strptime(result["started"], "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%d %H:%M UTC")
    except (KeyError, ValueError):
        when = result.get("started", "?")
    most = max(pool for _, pool in picked.values())
    which = "the median run by wall time of each method" if most > 1 else "one run of each method"
    load = f"{settings.get('job_rate', 0):g} jobs/s + {settings.get('http_rate', 0):g} cache round trips/s"
    return (
        f"Memcached → Redis cutover under load ({load}), storage driver {machine.get('storage_driver', '?')}, {when}\n"
        f"{which}, 1 s bins; requests: job POSTs and cache GETs stacked, by send time; "
        "shaded: the method running, grey: no load"
    )


def _legend() -> list:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    def mark(marker: str, colour: str, label: str) -> Line2D:
        return Line2D([], [], ls="", marker=marker, markersize=8, color=colour, label=label)

    return [
        Patch(color=JOBS, label="jobs completed"),
        Line2D([], [], color="#555555", lw=1, ls=(0, (4, 3)), label="jobs enqueued (rate)"),
        *(Patch(color=HTTP[kind], label=HTTP_LABELS[kind]) for kind in metrics.OUTCOME_KINDS),
        Patch(color=METHOD_SPAN, label="method running"),
        Patch(color=DOWN, label="container not running"),
        mark("v", DIED, "container died"),
        mark("^", STARTED, "container started"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("json", type=Path, help="a result of bench/cutover.py, e.g. build/bench/latest.json")
    parser.add_argument("-o", "--output", type=Path, help="the PNG to write (default: next to the JSON)")
    args = parser.parse_args(argv)
    output = args.output or args.json.with_suffix(".png")
    try:
        draw(json.loads(args.json.read_text()), [output])
    except (OSError, ValueError, ImportError) as error:  # NoTimeline is a ValueError, like bad JSON
        print(f"timeline: {args.json}: {error}", file=sys.stderr)
        return 1
    print(f"timeline: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
