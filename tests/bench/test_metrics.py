"""The benchmark's arithmetic (bench/metrics.py) on hand-made observations."""

import pytest

from bench import metrics


def test_longest_gap_counts_the_window_edges():
    assert metrics.longest_gap([11.0, 12.0, 13.0], 10.0, 14.0) == 1.0
    assert metrics.longest_gap([10.5, 11.0, 18.0], 10.0, 20.0) == 7.0
    # Nothing after 12: the worker never came back inside the window.
    assert metrics.longest_gap([11.0, 12.0], 10.0, 30.0) == 18.0
    assert metrics.longest_gap([], 10.0, 15.0) == 5.0
    # Events outside the window do not shorten a gap inside it.
    assert metrics.longest_gap([5.0, 11.0, 25.0], 10.0, 20.0) == 9.0


def test_job_accounting_finds_lost_duplicated_and_unacknowledged_jobs():
    acked = {1: 100.0, 2: 100.1, 3: 100.2, 4: 100.3}
    processed = [(1, 100.05), (2, 100.2), (2, 101.0), (3, 103.2), (5, 100.5)]
    figures = metrics.job_accounting(acked, processed)
    assert figures["jobs_enqueued"] == 4
    assert figures["jobs_processed"] == 4
    assert (figures["jobs_lost"], figures["lost_seqs"]) == (1, [4])
    assert (figures["jobs_duplicated"], figures["duplicated_seqs"]) == (1, [2])
    assert figures["processed_unacknowledged"] == 1
    assert figures["job_wait_max_s"] == pytest.approx(3.0)


def test_http_counts_separate_statuses_from_connection_errors_and_timeouts():
    outcomes = [
        {"kind": "ok", "status": 200},
        {"kind": "http", "status": 503},
        {"kind": "http", "status": 400},
        {"kind": "error", "status": None},
        {"kind": "timeout", "status": None},
        {"kind": "timeout", "status": None},
    ]
    figures = metrics.http_counts(outcomes)
    assert figures["requests"] == 6
    assert figures["ok"] == 1
    assert (figures["http_non2xx"], figures["http_5xx"]) == (2, 1)
    assert (figures["http_conn_errors"], figures["http_timeouts"]) == (1, 2)
    assert figures["statuses"] == {"400": 1, "503": 1}


def run(method, ok=True, **figures):
    return {"method": method, "ok": ok, "metrics": figures, "run": 0, "error": None if ok else "boom"}


def test_summary_takes_medians_of_successful_runs_and_the_collection_seed_ratio():
    runs = [
        run("seed", worker_gap_s=10.0, wall_s=20.0),
        run("seed", worker_gap_s=14.0, wall_s=22.0),
        run("seed", worker_gap_s=12.0, wall_s=21.0),
        run("collection", worker_gap_s=2.0, wall_s=30.0, rerun_s=12.0),
        run("collection", worker_gap_s=4.0, wall_s=34.0, rerun_s=14.0),
        run("collection", ok=False, worker_gap_s=99.0, wall_s=1.0),
    ]
    summary = metrics.summarize(runs)
    assert summary["worker_gap_s"]["seed"] == {"median": 12.0, "min": 10.0, "max": 14.0, "n": 3}
    assert summary["worker_gap_s"]["collection"]["median"] == 3.0
    assert summary["worker_gap_s"]["ratio"] == pytest.approx(0.25)
    assert summary["rerun_s"]["seed"] is None
    assert summary["rerun_s"]["ratio"] is None


def test_targets_are_judged_on_medians_ratios_and_the_worst_run():
    runs = [
        run("seed", worker_gap_s=10.0, wall_s=20.0, jobs_lost=0, http_5xx=0),
        run("collection", worker_gap_s=2.0, wall_s=40.0, rerun_s=7.0, jobs_lost=0, http_5xx=0),
        run("collection", worker_gap_s=2.5, wall_s=40.0, rerun_s=9.0, jobs_lost=1, http_5xx=0),
    ]
    met = {t["target"]: t["met"] for t in metrics.targets(metrics.summarize(runs))}
    assert met == {
        "worker gap <= 0.5x the seed's": True,
        "worker gap <= 3 s": True,
        "rollout wall time <= 1.5x the seed's": False,
        "0 lost jobs (every run)": False,
        "0 HTTP 5xx (every run)": True,
        "idempotent re-run <= 8 s": True,
    }


def test_markdown_shows_medians_ranges_ratios_targets_and_failed_runs():
    runs = [
        run("seed", worker_gap_s=10.0, wall_s=20.0),
        run("seed", worker_gap_s=14.0, wall_s=20.0),
        run("collection", worker_gap_s=2.0, wall_s=30.0),
        run("collection", ok=False),
    ]
    text = metrics.markdown({"runs": runs, "summary": metrics.summarize(runs)})
    assert "| seed runbook (n=2) | collection rollout (n=1) |" in text
    assert "| worker gap: longest pause between job completions (s) | 12.00 (10.00-14.00) | 2.00 | 0.17x |" in text
    assert "| wall time of the method (s) | 20.0 | 30.0 | 1.50x |" in text
    assert "| rollout wall time <= 1.5x the seed's | 1.50x | yes |" in text
    assert "| idempotent re-run <= 8 s | - | not measured |" in text
    assert "- run 0 (collection rollout): boom" in text


def test_markdown_lists_what_each_method_restarted_and_left_drifting():
    runs = [
        run("seed", worker_gap_s=1.0) | {"restarted": ["bs-core", "postgres-srv"], "compose_drift": []},
        run("collection", worker_gap_s=1.0) | {"restarted": ["bs-core"], "compose_drift": ["postgres-srv"]},
        run("collection", worker_gap_s=1.0) | {"restarted": ["bs-core"], "compose_drift": []},
    ]
    text = metrics.markdown({"runs": runs, "summary": metrics.summarize(runs)})
    assert "| containers the method replaced or restarted | bs-core, postgres-srv | bs-core |" in text
    assert "would still recreate | none | postgres-srv (1 run); none (1 run) |" in text


def test_downtime_runs_from_a_container_dying_to_its_successor_starting():
    events = [
        {"t": 1.0, "container": "bs-core", "action": "kill"},
        {"t": 1.2, "container": "bs-core", "action": "die"},
        {"t": 1.3, "container": "bs-core", "action": "destroy"},
        {"t": 2.0, "container": "bs-worker", "action": "die"},
        {"t": 3.0, "container": "bs-core", "action": "create"},
        {"t": 4.7, "container": "bs-core", "action": "start"},
        {"t": 9.0, "container": "bs-worker", "action": "start"},
    ]
    assert metrics.downtime(events, "bs-core") == pytest.approx(3.5)
    assert metrics.downtime(events, "bs-worker") == pytest.approx(7.0)
    assert metrics.downtime(events, "postgres-srv") == 0.0


def test_http_counts_keep_what_the_failures_said():
    outcomes = [
        {"kind": "http", "status": 503, "body": {"backend": "x", "error": "ConnectionRefusedError: refused"}},
        {"kind": "http", "status": 503, "body": {"backend": "x", "error": "ConnectionRefusedError: refused"}},
        {"kind": "timeout", "status": None, "body": "timed out"},
        {"kind": "ok", "status": 200, "body": {"value": 2}},
    ]
    assert metrics.http_counts(outcomes)["errors"] == [
        ("http 503: ConnectionRefusedError: refused", 2),
        ("timeout : timed out", 1),
    ]


def test_phase_figures_come_from_the_rollout_report_and_add_up_the_containers_own_work():
    phases = {"preflight_render_images": 4.1, "snapshot": 0.74, "redis_healthy": 4.06, "core_frontend_moved": 6.48}
    phases |= {"cache_verified": 1.17, "worker_swap": 3.43, "total": 26.0}
    assert metrics.phase_figures(phases) == {"phase_checks_s": 4.1, "phase_snapshot_s": 0.74, "container_work_s": 13.97}
    # A report without a phase (a run that changed nothing) gives no sum rather than a short one.
    assert metrics.phase_figures({"preflight_render_images": 4.0}) == {"phase_checks_s": 4.0}
    assert metrics.phase_figures(None) == {}


def test_a_missed_wall_target_says_what_the_containers_alone_cost_against_the_seed():
    runs = [
        run("seed", wall_s=3.4),
        run("collection", wall_s=27.6, container_work_s=13.97),
    ]
    summary = metrics.summarize(runs)
    wall = next(t for t in metrics.targets(summary) if t["target"].startswith("rollout wall time"))
    assert wall["met"] is False
    assert "took 14.0 s, 4.1x the seed's whole wall" in wall["why"], wall["why"]
    text = metrics.markdown({"runs": runs, "summary": summary})
    assert "| rollout wall time <= 1.5x the seed's | 8.12x | **no** | the containers' own work (Redis" in text
    assert "worker swap) (s) | - | 13.97 | - |" in text
    # Container work that fits within 1.5x the seed's wall: the miss is the collection's other steps.
    runs = [run("seed", wall_s=10.0), run("collection", wall_s=27.0, container_work_s=12.0)]
    wall = metrics.targets(metrics.summarize(runs))[2]
    assert wall["why"].endswith(
        "took 12.0 s, within 1.5x the seed's wall; the other 15.0 s are the checks, snapshot and verifications"
    ), wall["why"]
    # A met target, or one without the report's phases, has nothing to explain.
    assert not metrics.targets(metrics.summarize([run("seed", wall_s=20.0), run("collection", wall_s=21.0)]))[2]["why"]


def test_a_missed_worker_gap_says_bs_core_could_not_enqueue_while_it_restarted():
    runs = [
        run("seed", worker_gap_s=3.3),
        run("collection", worker_gap_s=3.1, api_outage_s=2.9, job_wait_max_s=0.35),
    ]
    why = {t["target"]: t["why"] for t in metrics.targets(metrics.summarize(runs))}
    assert why["worker gap <= 0.5x the seed's"] == (
        "jobs are enqueued through bs-core, which gave no successful answer for up to 2.90 s while it restarted; "
        "an accepted job waited at most 0.35 s for a worker"
    )
    assert why["worker gap <= 3 s"] == why["worker gap <= 0.5x the seed's"]
