"""What the harness reads from the methods' output (bench/stack.py)."""

from bench import stack
from tests.lib import sandbox

ROLLOUT_TAIL = """
PLAY RECAP *********************************************************************
sandbox                    : ok=120  changed=16   unreachable=0    failed=0    skipped=40   rescued=0    ignored=0
"""
FAILED_ROLLOUT = (
    """fatal: [sandbox]: FAILED! => {"msg": "ROLLOUT FAILED at 'Converge | Move': timeout. Back on memcached."}"""
)
SEED_OUTPUT = (
    "== step 1. Prepare\nseed: step 1 done +0.00 s\n== step 2\nseed: step 2 done +0.28 s\nseed: step 5 done +15.83 s\n"
)
DRY_RUN = """ DRY-RUN MODE -  Container postgres-srv  Recreate
 DRY-RUN MODE -  Container bs-redis  Running
 DRY-RUN MODE -  Container postgres-srv  Recreated
 DRY-RUN MODE -  Container bs-alloy  Create
 DRY-RUN MODE -  Container 6020e38422f3_postgres-srv  Starting
"""


def test_the_recap_gives_the_changed_count():
    assert stack.RECAP_RE.search(ROLLOUT_TAIL).group(1) == "16"


def test_a_failed_rollout_names_its_reason():
    assert stack.FAILED_RE.search(FAILED_ROLLOUT).group(0).startswith("ROLLOUT FAILED at 'Converge | Move': timeout.")


def test_seed_steps_are_read_with_their_times():
    assert stack.SEED_STEP_RE.findall(SEED_OUTPUT) == [("1", "0.00"), ("2", "0.28"), ("5", "15.83")]


def test_a_dry_run_names_the_containers_compose_would_create_or_recreate():
    assert sandbox.DRY_RUN_CHANGE_RE.findall(DRY_RUN) == ["postgres-srv", "bs-alloy"]
