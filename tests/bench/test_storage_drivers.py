"""Results of different storage drivers side by side (bench/metrics.py, bench/module_calls.py), on synthetic
results: one overlay2, one vfs (every time twice as long, and one failed run)."""

import json
from pathlib import Path

import pytest

from bench import harness, metrics, module_calls

DATA = Path(__file__).parent / "data"
SMOKE = module_calls.SMOKE

# One run of each method on overlay2; vfs doubles every time.
FIGURES = {
    "seed": dict(
        worker_gap_s=8.0, job_wait_max_s=7.9, api_outage_s=6.0, core_down_s=2.5, worker_down_s=7.5,
        jobs_enqueued=160, jobs_lost=0, jobs_duplicated=0, enqueue_failed=50, http_non2xx=30, http_5xx=30,
        http_conn_errors=40, http_timeouts=20, db_restarted=1, wall_s=8.0, rerun_s=None,
    ),
    "collection": dict(
        worker_gap_s=2.0, job_wait_max_s=0.2, api_outage_s=2.0, core_down_s=1.0, worker_down_s=1.5,
        jobs_enqueued=560, jobs_lost=0, jobs_duplicated=0, enqueue_failed=20, http_non2xx=0, http_5xx=0,
        http_conn_errors=20, http_timeouts=10, db_restarted=0, wall_s=20.0, rerun_s=6.0,
        phase_checks_s=4.0, phase_snapshot_s=0.8, container_work_s=12.0,
    ),
}  # fmt: skip


def cutover_result(driver: str) -> dict:
    """Two runs of each method (the second 10 % slower), as bench/harness.py writes them; vfs: one more, failed."""
    factor = {"overlay2": 1.0, "vfs": 2.0}[driver]
    runs = []
    for index, (method, slower) in enumerate(
        [("collection", 1.0), ("seed", 1.0), ("seed", 1.1), ("collection", 1.1)], start=1
    ):
        figures = {
            key: value if value is None or isinstance(value, int) else round(value * factor * slower, 2)
            for key, value in FIGURES[method].items()
        }
        restarted = ["bs-core", "bs-worker"] + (["postgres-srv"] if method == "seed" else [])
        runs.append(
            {"run": index, "method": method, "ok": True, "error": None, "metrics": figures}
            | {"restarted": restarted, "compose_drift": []}
        )
    if driver == "vfs":
        runs.append({"run": 5, "method": "seed", "ok": False, "error": "bs-core never became healthy", "metrics": {}})
    machine = {
        "cpus": 2, "ram_gib": 23.5, "kernel": "6.18.44", "docker_server": "20.10.24", "docker_client": "28.2.2",
        "compose": "2.40.3", "storage_driver": driver, "ansible_core": "ansible [core 2.19.14]",
        "git_commit": "abc1234", "uncommitted_changes": [],
    }  # fmt: skip
    settings = {"runs": 2, "short": False, "job_rate": 10.0, "http_rate": 10.0, "warmup_s": 5, "settle_s": 5}
    started = {"overlay2": "20261203T090000Z", "vfs": "20261203T100000Z"}[driver]
    return {"started": started, "machine": machine, "settings": settings, "runs": runs} | {
        "summary": metrics.summarize(runs)
    }


@pytest.mark.parametrize("driver", ["overlay2", "vfs"])
def test_one_result_gives_the_tables_it_always_gave(driver):
    # data/cutover-<driver>.md is what markdown() prints for this one result (regenerated when the tables change).
    assert metrics.markdown(cutover_result(driver)) == (DATA / f"cutover-{driver}.md").read_text()


def test_several_results_make_one_set_of_tables_with_a_column_group_per_driver():
    text = metrics.markdown(cutover_result("overlay2"), cutover_result("vfs"))
    lines = text.splitlines()
    # The setting once per result, each named by its driver, in the order given.
    settings = [line for line in lines if "Measured" in line]
    assert [line.split(":")[0] for line in settings] == ["**overlay2**", "**vfs**"]
    assert "storage driver overlay2" in settings[0] and "storage driver vfs" in settings[1]
    assert (
        "| metric | seed (overlay2, n=2) | collection (overlay2, n=2) | collection / seed (overlay2) "
        "| seed (vfs, n=2) | collection (vfs, n=2) | collection / seed (vfs) |"
    ) in lines
    assert "| --- | ---: | ---: | ---: | ---: | ---: | ---: |" in lines
    assert (
        "| worker gap: longest pause between job completions (s) "
        "| 8.40 (8.00-8.80) | 2.10 (2.00-2.20) | 0.25x | 16.80 (16.00-17.60) | 4.20 (4.00-4.40) | 0.25x |"
    ) in lines
    assert "| jobs enqueued (POST /api/jobs answered 201) | 160 | 560 | - | 160 | 560 | - |" in lines
    assert "| idempotent re-run (second rollout) (s) | - | 6.3 (6.0-6.6) | - | - | 12.6 (12.0-13.2) | - |" in lines
    # Targets: a measured, a met and a why-not column per driver; overlay2 meets the 3 s gap, vfs does not.
    assert (
        "| target | measured (overlay2) | met (overlay2) | why not (overlay2) "
        "| measured (vfs) | met (vfs) | why not (vfs) |"
    ) in lines
    assert "| --- | ---: | :---: | --- | ---: | :---: | --- |" in lines
    assert (
        "| worker gap <= 3 s | 2.10 s | yes |  | 4.20 s | **no** | jobs are enqueued through bs-core, "
        "which gave no successful answer for up to 4.20 s while it restarted; "
        "an accepted job waited at most 0.42 s for a worker |"
    ) in lines
    # Each driver's own figures explain its own miss.
    wall = next(line for line in lines if line.startswith("| rollout wall time"))
    assert "took 12.6 s, within 1.5x the seed's wall; the other 8.4 s" in wall, wall
    assert "took 25.2 s, within 1.5x the seed's wall; the other 16.8 s" in wall, wall
    assert "| after the method | seed (overlay2) | collection (overlay2) | seed (vfs) | collection (vfs) |" in lines
    assert (
        "| containers the method replaced or restarted | bs-core, bs-worker, postgres-srv | bs-core, bs-worker "
        "| bs-core, bs-worker, postgres-srv | bs-core, bs-worker |"
    ) in lines
    assert "- run 5 (seed runbook, vfs): bs-core never became healthy" in lines
    # Every row of a table has as many cells as its heading.
    tables = [block.splitlines() for block in text.split("\n\n") if block.startswith("|")]
    assert [{row.count("|") for row in table} for table in tables] == [{8}, {8}, {6}]


def test_results_of_one_driver_are_told_apart_by_when_they_ran():
    first, second = cutover_result("vfs"), cutover_result("vfs") | {"started": "20261204T000000Z"}
    assert metrics.driver_labels([first, second]) == ["vfs 20261203T100000Z", "vfs 20261204T000000Z"]
    assert metrics.driver_labels([{}, cutover_result("vfs")]) == ["?", "vfs"]


def test_cutover_markdown_takes_one_json_or_several(tmp_path, capsys):
    paths = []
    for driver in ("overlay2", "vfs"):
        paths.append(tmp_path / f"{driver}.json")
        paths[-1].write_text(json.dumps(cutover_result(driver)))
    assert harness.main(["--markdown", str(paths[0])]) == 0
    assert capsys.readouterr().out == (DATA / "cutover-overlay2.md").read_text()
    assert harness.main(["--markdown", *map(str, paths)]) == 0
    assert capsys.readouterr().out == metrics.markdown(cutover_result("overlay2"), cutover_result("vfs"))


def calls_result(driver: str | None) -> dict:
    """bench/module_calls.py's JSON: on vfs every call twice as long, redis_smoke mode=direct failed and no
    memcached release; None: a result from before the JSON held the machine."""
    factor = 2.0 if driver == "vfs" else 1.0
    redis = {
        module_calls.INTERPRETER: [0.014, 0.015, 0.019],
        SMOKE: [0.5, 0.45, 0.6],
        "redis_smoke mode=django": [0.75, 0.7, 0.8],
        "redis_smoke mode=direct": [0.2, 0.22, 0.25],
    }
    releases = {"redis": {"seconds": {call: [t * factor for t in times] for call, times in redis.items()}}}
    releases["redis"]["errors"] = {}
    if driver == "vfs":
        releases["redis"]["seconds"]["redis_smoke mode=direct"] = []
        releases["redis"]["errors"]["redis_smoke mode=direct"] = "boom"
    else:
        releases["memcached"] = {"seconds": {SMOKE: [0.4], "pgqueuer_probe (no job)": [0.3]}, "errors": {}}
    started = "20261203T090000Z" if driver == "vfs" else "20261203T080000Z"
    result = {"started": started, "runs": 3, "budget_s": 1.0}
    return result | ({"machine": {"storage_driver": driver}} if driver else {}) | {"releases": releases}


def test_module_calls_of_one_result_print_what_the_run_printed():
    old = calls_result(None)
    assert module_calls.markdown(old) == (
        "Module call cost, 3 call(s) of each kind per release, measured 20261203T080000Z:\n"
        + module_calls.table("redis", old["releases"]["redis"])
        + module_calls.table("memcached", old["releases"]["memcached"])
    )
    assert module_calls.markdown(calls_result("overlay2")).startswith(
        "Module call cost, 3 call(s) of each kind per release, measured 20261203T080000Z, storage driver overlay2:\n"
    )


def test_module_calls_of_several_results_have_a_column_group_per_driver(tmp_path, capsys):
    paths = []
    for driver in ("overlay2", "vfs"):
        paths.append(tmp_path / f"{driver}.json")
        paths[-1].write_text(json.dumps(calls_result(driver)))
    assert module_calls.main(["--markdown", *map(str, paths)]) == 0
    text = capsys.readouterr().out
    assert text == module_calls.markdown(calls_result("overlay2"), calls_result("vfs"))
    lines = text.splitlines()
    assert lines[0].endswith("measured 20261203T080000Z, storage driver overlay2.")
    assert lines[2].endswith("measured 20261203T090000Z, storage driver vfs.")
    assert lines.count("### redis release") == lines.count("### memcached release") == 1
    assert (
        "| call | overlay2 (n=3): median (min-max) ms | overlay2: / runbook smoke "
        "| vfs (n=3): median (min-max) ms | vfs: / runbook smoke |"
    ) in lines
    assert "| --- | ---: | ---: | ---: | ---: |" in lines
    assert f"| {SMOKE} | 500 (450-600) | 1.00x | 1000 (900-1200) | 1.00x |" in lines
    assert "| redis_smoke mode=django | 750 (700-800) | 1.50x | 1500 (1400-1600) | 1.50x |" in lines
    assert "| redis_smoke mode=direct | 220 (200-250) | 0.44x | failed: boom | - |" in lines
    # vfs measured no memcached release.
    assert "| pgqueuer_probe (no job) | 300 (300-300) | 0.75x | - | - |" in lines


def test_a_module_calls_run_records_the_machine_and_prints_its_tables(tmp_path, monkeypatch, capsys):
    measured = calls_result("overlay2")["releases"]["redis"]
    monkeypatch.setattr(module_calls, "measure", lambda release, runs: measured)
    monkeypatch.setattr(module_calls, "machine", lambda: {"storage_driver": "overlay2", "cpus": 2})
    monkeypatch.setattr(module_calls, "OUT_DIR", tmp_path)
    assert module_calls.main(["--runs", "3", "--releases", "redis"]) == 0
    [path] = tmp_path.glob("module-calls-*.json")
    result = json.loads(path.read_text())
    assert result["machine"] == {"storage_driver": "overlay2", "cpus": 2}
    assert result["releases"] == {"redis": measured}
    assert capsys.readouterr().out == module_calls.markdown(result) + f"\nbench: results in {path}\n"
