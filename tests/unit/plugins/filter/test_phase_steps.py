"""phase_steps: a phase's own task file between the user's before_/after_ hooks, and every hook checked on each
call, so the first phase of a flow refuses a bad one before anything changes."""

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.revisbali.business_suite.plugins.filter.phase_steps import PHASES, POINTS, phase_steps

SPECS = Path(__file__).resolve().parents[4] / "roles" / "redis_cutover" / "meta" / "argument_specs.yml"


@pytest.fixture
def hook_files(tmp_path):
    files = []
    for name in ("first.yml", "second.yml", "after.yml"):
        path = tmp_path / name
        path.write_text("---\n[]\n")
        files.append(str(path))
    return files


def test_no_hooks_gives_the_phase_alone():
    assert phase_steps("converge", {}) == [{"point": "converge", "file": "converge.yml"}]
    assert phase_steps("prune", None) == [{"point": "prune", "file": "snapshot_prune.yml"}]


def test_a_phase_with_nothing_to_do_keeps_only_its_hooks(hook_files):
    first, _second, after = hook_files
    hooks = {"before_images": [first], "after_images": [after]}
    assert phase_steps("images", hooks, False) == [
        {"point": "before_images", "file": first},
        {"point": "after_images", "file": after},
    ]
    assert phase_steps("prune", {}, "false") == []
    assert phase_steps("prune", {}, "True") == [{"point": "prune", "file": "snapshot_prune.yml"}]
    with pytest.raises(AnsibleFilterError, match="needed must be a boolean"):
        phase_steps("prune", {}, "maybe")


def test_hooks_come_before_and_after_in_their_order(hook_files):
    first, second, after = hook_files
    hooks = {"before_converge": [first, second], "after_converge": [after], "after_report": [after]}
    assert phase_steps("converge", hooks) == [
        {"point": "before_converge", "file": first},
        {"point": "before_converge", "file": second},
        {"point": "converge", "file": "converge.yml"},
        {"point": "after_converge", "file": after},
    ]


def test_an_empty_or_null_list_is_no_hook():
    assert phase_steps("render", {"before_render": None, "after_render": []}) == [
        {"point": "render", "file": "render.yml"}
    ]


@pytest.mark.parametrize(
    ("hooks", "message"),
    [
        ({"before_deploy": []}, r"unknown hook point before_deploy; the points are before_preflight, after_preflight"),
        ({"after_converge": "/tmp/x.yml"}, r"redis_cutover_hooks.after_converge must be a list of task files"),
        ({"after_converge": ["hooks/x.yml"]}, r"'hooks/x.yml' is not an absolute path"),
        ({"after_converge": [7]}, r"7 is not an absolute path"),
        ({"after_converge": ["/nonexistent/hook.yml"]}, r"/nonexistent/hook.yml is not a file on the controller"),
        (["/tmp/x.yml"], r"must be a mapping of hook point to task files, got list"),
    ],
)
def test_a_bad_hook_is_refused_from_any_phase(hooks, message):
    # Asked for preflight, the flows' first phase: a bad after_converge must already fail there.
    with pytest.raises(AnsibleFilterError, match=message):
        phase_steps("preflight", hooks)


def test_an_unknown_phase_is_an_error():
    with pytest.raises(AnsibleFilterError, match="unknown phase 'deploy'"):
        phase_steps("deploy", {})


def test_the_argument_specs_document_exactly_the_hook_points():
    specs = yaml.safe_load(SPECS.read_text())["argument_specs"]
    for entry in ("rollout", "rollback", "local_dev"):
        documented = specs[entry]["options"]["redis_cutover_hooks"]["options"]
        assert sorted(documented) == sorted(POINTS), entry
        for point, spec in documented.items():
            shape = {key: spec.get(key) for key in ("type", "elements", "default")}
            assert shape == {"type": "list", "elements": "str", "default": []}, (entry, point)


def test_each_phase_has_a_task_file():
    tasks = SPECS.parents[1] / "tasks"
    assert all((tasks / name).is_file() for name in PHASES.values())
