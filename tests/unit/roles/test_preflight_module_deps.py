"""What tasks/preflight.yml makes of the module-deps probe's result (files/module_deps_probe.py): the modules'
interpreter (the note step judges the mode), and a refusal before anything is installed (the require step) that names
the mode, the host and every problem, or that Python could not be run at all. Both steps run as the role ships them,
one case after another, on a host that is otherwise ready."""

from __future__ import annotations

import copy
import json
import re

import pytest

from tests.unit.roles import role_play
from tests.unit.roles.test_host_refusals import PROJECT, healthy
from tests.unit.roles.test_host_refusals import TASK as REQUIRE
from tests.unit.roles.test_module_deps_problems import BOOKWORM, DEBIAN_USER_INSTALLED, GOOD_LIBS, host

JUDGE = (
    "Preflight | Note which release the files describe, their modes and owners, where the probes reach the stack,"
    " and the modules' interpreter"
)
VENV = "/opt/business_suite-modules"


def ran(report):
    return {"rc": 0, "stdout": json.dumps(report), "stderr": ""}


DEBIAN = host("Debian 12", "debian", "3.11.2", GOOD_LIBS)

# name: (redis_cutover_module_deps, probe result, interpreter the modules get, patterns of the refusal; [] = accepted)
CASES = {
    "none, the libraries there": ("none", ran(DEBIAN), "/usr/bin/python3", []),
    "venv": ("venv", ran(host("Debian 12", "debian", "3.11.2")), f"{VENV}/bin/python", []),
    "system, every package there": (
        "system",
        ran(host("Debian 12", "debian", "3.11.2", GOOD_LIBS, **DEBIAN_USER_INSTALLED)),
        "/usr/bin/python3",
        [],
    ),
    "system, packages to install": (
        "system",
        ran(host("Debian 12", "debian", "3.11.2", apt=BOOKWORM)),
        "/usr/bin/python3",
        [],
    ),
    "system as a user without root": (
        "system",
        ran(host("Debian 12", "debian", "3.11.2", apt=BOOKWORM, uid=1000)),
        "/usr/bin/python3",
        [
            r"^redis_cutover_module_deps=system cannot give the modules redis-py >= \S+",
            r"on Debian 12 \(Python 3\.11\.2",
        ],
    ),
    "no such interpreter": (
        "none",
        {"rc": 127, "stdout": "", "stderr": "/bin/sh: 1: /usr/bin/python3.13: not found\n"},
        "",
        [
            r"on this host \(Python unknown, not run\)",
            r"could not run Python on the host to check the module libraries \(/bin/sh: 1: /usr/bin/python3\.13: not",
            r"set redis_cutover_module_python .* to a Python 3 on the host\. Nothing was installed",
        ],
    ),
    "a Python that prints no report": (
        "system",
        {"rc": 0, "stdout": "Python 2.7.18\n", "stderr": ""},
        "",
        [r"could not run Python on the host to check the module libraries"],
    ),
}


def case_tasks():
    judge, refuse = role_play.task("preflight.yml", JUDGE), role_play.task("preflight.yml", REQUIRE)
    tasks = []
    for index, (mode, probe, *_expected) in enumerate(CASES.values()):
        given = {"redis_cutover_module_deps": mode, "__redis_cutover_deps_probe": probe}
        ready = {"__redis_cutover_host": healthy(), "__redis_cutover_stack_runs": False}
        step = copy.deepcopy(judge)
        step["vars"].update(given, **ready)
        check = copy.deepcopy(refuse)
        check["vars"].update(given, **ready)
        check.update(register="refused", ignore_errors=True)
        keep = {
            "name": f"Keep case {index}",
            "ansible.builtin.set_fact": {
                "results": "{{ results | default([]) + [{'refused': refused, 'python': __redis_cutover_python,"
                " 'install': __redis_cutover_deps_install}] }}"
            },
            "vars": {"redis_cutover_module_deps": mode},
        }
        tasks += [step, check, keep]
    return [*tasks, role_play.write_out("results")]


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    work = tmp_path_factory.mktemp("module_deps_check")
    extra = {
        "out": str(work / "out.json"),
        "redis_cutover_module_venv": VENV,
        "redis_cutover_project_dir": PROJECT,
    }
    role_play.run(work, case_tasks(), extra)
    return dict(zip(CASES, json.loads((work / "out.json").read_text()), strict=True))


# Whether the install phase runs: pip checks a venv's pins every time; OS packages only when one is missing.
INSTALL = {"venv": True, "system, packages to install": True, "system as a user without root": True}


PROBED = [name for name, case in CASES.items() if case[1]["rc"] == 0 and case[1]["stdout"].startswith("{")]


@pytest.mark.parametrize("case", PROBED)
def test_the_install_phase_runs_only_with_something_to_install(judged, case):
    assert judged[case]["install"] is INSTALL.get(case, False)


@pytest.mark.parametrize("case", CASES)
def test_module_deps_check(judged, case):
    python, patterns = CASES[case][2:]
    refused = judged[case]["refused"]
    if not patterns:
        assert not refused.get("failed"), f"{case}: refused: {refused.get('msg')}"
        assert judged[case]["python"] == python
        return
    assert refused.get("failed"), f"{case}: accepted"
    missing = [pattern for pattern in patterns if not re.search(pattern, refused["msg"])]
    assert not missing, f"{case}: the refusal does not say {missing}: {refused['msg']}"
    assert judged[case]["python"] == python
