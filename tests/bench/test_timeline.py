"""The per-second timeline (bench/metrics.py) and its picture (bench/timeline.py) on hand-made runs."""

import json

import pytest

from bench import metrics, timeline


def test_bins_line_up_on_the_origin_and_cover_the_whole_window():
    # Load from 3.5 s before the method to 2.2 s after its start: bins -4 .. 2 (their left edges).
    assert metrics.bin_range(96.5, 102.2, 100.0) == (-4, 7)
    assert metrics.bin_range(100.0, 102.0, 100.0) == (0, 2)
    assert metrics.bin_range(100.0, 100.0, 100.0) == (0, 0)


def test_a_time_on_an_edge_counts_in_the_bin_it_starts():
    assert metrics.per_bin([100.0, 100.999, 101.0, 102.5], 100.0, 0, 3) == [2, 1, 1]


def test_times_outside_the_bins_are_left_out():
    # Before the first bin (e.g. before the load started) and at or after the last one's end.
    assert metrics.per_bin([95.0, 96.9, 97.0, 99.5, 101.0, 130.0], 100.0, -3, 4) == [1, 0, 1, 0]


def test_no_times_give_empty_bins():
    assert metrics.per_bin([], 100.0, -2, 3) == [0, 0, 0]
    assert metrics.per_bin([100.5], 100.0, 0, 0) == []


def outcome(kind, sent, status=None):
    return {"kind": kind, "status": status, "sent": sent, "done": sent + 0.01}


def test_the_timeline_counts_completions_and_each_clients_outcomes_per_second():
    window = {"load_start": 97.2, "method_start": 100.0, "method_end": 101.5, "window_end": 102.4}
    processed = [(1, 97.5), (2, 99.1), (2, 99.2), (3, 101.9), (4, 140.0)]  # seq 4: done while draining
    producer = [outcome("ok", 97.3, 201), outcome("error", 100.1), outcome("timeout", 100.6)]
    reader = [outcome("ok", 97.4, 200), outcome("http", 101.2, 503), outcome("ok", 102.3, 200)]
    line = metrics.timeline(window, processed, {"producer": producer, "reader": reader})
    assert (line["bin_s"], line["start"]) == (1, -3)
    assert line["jobs"] == [1, 0, 2, 0, 1, 0]
    assert line["http"]["producer"] == {
        "ok": [1, 0, 0, 0, 0, 0],
        "http": [0, 0, 0, 0, 0, 0],
        "error": [0, 0, 0, 1, 0, 0],
        "timeout": [0, 0, 0, 1, 0, 0],
    }
    assert line["http"]["reader"]["ok"] == [1, 0, 0, 0, 0, 1]
    assert line["http"]["reader"]["http"] == [0, 0, 0, 0, 1, 0]


def test_down_spans_pair_each_death_with_the_next_start():
    events = [
        {"t": -2.0, "container": "bs-worker", "action": "start"},  # started before it ever died: no span
        {"t": 1.0, "container": "bs-core", "action": "die"},
        {"t": 2.5, "container": "bs-core", "action": "start"},
        {"t": 4.0, "container": "bs-core", "action": "die"},
        {"t": 3.0, "container": "bs-worker", "action": "die"},
    ]
    assert metrics.down_spans(events, "bs-core") == [(1.0, 2.5), (4.0, None)]
    assert metrics.down_spans(events, "bs-worker") == [(3.0, None)]
    assert metrics.downtime(events, "bs-core") == 1.5


def run(index, method, wall, *, ok=True, with_timeline=True):
    """A short run: load from -3 s, the method from 0 to `wall`, load stop 2 s later."""
    start = 1000.0
    window = {"load_start": 997.0, "method_start": start, "method_end": start + wall, "window_end": start + wall + 2}
    produced = [outcome("ok", start - 3 + k / 10, 201) for k in range(int((wall + 5) * 10))]
    read = [outcome("error" if 10 < k < 20 else "ok", start - 3 + k / 10, 200) for k in range(int((wall + 5) * 10))]
    processed = [(k, o["sent"] + 0.2) for k, o in enumerate(produced) if not start + 1 < o["sent"] < start + 2]
    events = [
        {"t": 0.8, "container": "bs-worker", "action": "die"},
        {"t": 2.1, "container": "bs-worker", "action": "start"},
        {"t": 1.0, "container": "memcached", "action": "die"},
    ]
    made = {
        "run": index,
        "method": method,
        "ok": ok,
        "metrics": {"wall_s": wall, "worker_gap_s": 1.2, "api_outage_s": 0.9, "http_conn_errors": 9},
        "window": window,
        "events": events,
    }
    if with_timeline:
        made["timeline"] = metrics.timeline(window, processed, {"producer": produced, "reader": read})
    return made


def result(*runs):
    return {
        "started": "20260102T030405Z",
        "machine": {"storage_driver": "overlay2"},
        "settings": {"job_rate": 10.0, "http_rate": 10.0},
        "runs": list(runs),
    }


def test_the_median_run_by_wall_time_is_drawn_preferring_successful_runs():
    runs = [run(1, "collection", 9.0), run(2, "collection", 5.0), run(3, "collection", 7.0), run(4, "seed", 3.0)]
    runs.append(run(5, "seed", 4.0, ok=False))
    assert timeline.median_run(runs, "collection") == (runs[2], 3)
    assert timeline.median_run(runs, "seed") == (runs[3], 1)
    assert timeline.median_run([run(6, "seed", 4.0, ok=False)], "seed")[1] == 1
    assert timeline.median_run([run(7, "seed", 4.0, with_timeline=False)], "seed") == (None, 0)


@pytest.mark.parametrize("seed_has_timeline", [True, False], ids=["both methods", "one method"])
def test_the_picture_is_a_png_of_the_expected_size(tmp_path, seed_has_timeline):
    image = pytest.importorskip("PIL.Image")
    paths = [tmp_path / "cutover.png", tmp_path / "docs/timeline.png"]
    seed = run(2, "seed", 3.0, ok=False, with_timeline=seed_has_timeline)
    timeline.draw(result(run(1, "collection", 6.0), seed), paths)
    for path in paths:
        with image.open(path) as picture:
            assert (picture.format, picture.size) == ("PNG", (1600, 1000))


def test_a_result_without_timelines_is_refused_with_a_message(tmp_path, capsys):
    older = tmp_path / "old.json"
    older.write_text(json.dumps(result(run(1, "collection", 6.0, with_timeline=False))))
    assert timeline.main([str(older), "-o", str(tmp_path / "old.png")]) == 1
    assert "no run in this result has a per-second timeline" in capsys.readouterr().err
    assert not (tmp_path / "old.png").exists()
