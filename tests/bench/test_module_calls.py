"""The module-call benchmark's table (bench/module_calls.py): ratios to the runbook's smoke, the 1 s budget."""

from bench.module_calls import table

SMOKE = "runbook smoke: compose exec bs-core manage.py shell"


def test_ratios_are_to_the_runbook_smoke_and_only_module_calls_have_a_budget():
    text = table(
        "redis",
        {
            "seconds": {SMOKE: [0.5, 0.4, 0.6], "redis_smoke mode=django": [0.7, 0.8, 0.75], "slow": [0.9, 1.2]},
            "errors": {},
        },
    )
    assert f"| {SMOKE} | 500 | 400-600 | 1.00x | - |" in text
    assert "| redis_smoke mode=django | 750 | 700-800 | 1.50x | yes |" in text
    # The budget is judged on the slowest call, not the median.
    assert "| slow | 1050 | 900-1200 | 2.10x | **no** |" in text


def test_a_failed_call_is_shown_with_its_error_and_no_ratio_without_a_smoke():
    text = table("memcached", {"seconds": {SMOKE: [], "pgqueuer_probe (no job)": [0.3]}, "errors": {SMOKE: "boom"}})
    assert f"| {SMOKE} | failed: boom | | | |" in text
    assert "| pgqueuer_probe (no job) | 300 | 300-300 | - | yes |" in text
