"""The role's judgement of redis_cutover_module_deps on a host (templates/module_deps_problems.j2), fed the
reports files/module_deps_probe.py gives on the distributions users run: refused before anything is installed,
naming why and what to do; accepted where the mode can work. One ansible-playbook run renders every case."""

from __future__ import annotations

import json
import re

import pytest

from tests.unit.roles import role_play


def host(os_name, os_id, python_version, libraries=None, apt=None, uid=0, can_make_venv=True, venv_creatable=True):
    return {
        "python": "/usr/bin/python3",
        "python_version": python_version,
        "uid": uid,
        "os": os_name,
        "os_id": os_id,
        "libraries": libraries or {"redis": None, "psycopg": None, "docker": None},
        "apt": apt,
        "can_make_venv": can_make_venv,
        "venv_creatable": venv_creatable,
    }


def apt(**packages):
    return {name.replace("_", "-"): {"installed": None, "candidate": version} for name, version in packages.items()}


BOOKWORM = apt(python3_redis="4.3.4-3", python3_psycopg="3.1.7-4", python3_docker="5.0.3-1")
JAMMY = apt(python3_redis="3.5.3-2", python3_psycopg=None, python3_docker="5.0.3-1")
BULLSEYE = apt(python3_redis="3.5.3-2", python3_psycopg=None, python3_docker="4.1.0-1.2")
GOOD_LIBS = {"redis": "4.3.4", "psycopg": "3.1.7", "docker": "5.0.3"}
# Bookworm's packages installed: the probe reports no candidate for them (it does not ask apt-cache).
BOOKWORM_INSTALLED = {name: {"installed": policy["candidate"]} for name, policy in BOOKWORM.items()}
DEBIAN_USER_INSTALLED = {"apt": BOOKWORM_INSTALLED, "uid": 1000}

# name: (mode, stage, host report, extra vars, patterns every one of which a problem must match; [] = accepted)
CASES = {
    "debian 12 system": ("system", "before", host("Debian 12", "debian", "3.11.2", apt=BOOKWORM), {}, []),
    "debian 12 system, libraries installed": (
        "system",
        "before",
        host("Debian 12", "debian", "3.11.2", GOOD_LIBS, **DEBIAN_USER_INSTALLED),
        {},
        [],
    ),
    # Nothing to install, so the install phase is skipped: the libraries the interpreter imports are judged now.
    "debian 12 system, packages installed, the interpreter imports an older redis-py": (
        "system",
        "before",
        host("Debian 12", "debian", "3.11.2", {**GOOD_LIBS, "redis": "3.5.3"}, **DEBIAN_USER_INSTALLED),
        {},
        [r"/usr/bin/python3 has redis 3\.5\.3, older than", r"point redis_cutover_module_python at the system Python"],
    ),
    "debian 12 system as a user without root": (
        "system",
        "before",
        host("Debian 12", "debian", "3.11.2", apt=BOOKWORM, uid=1000),
        {},
        [r"needs root: run with become", r"use redis_cutover_module_deps 'venv'"],
    ),
    "ubuntu 22.04 system": (
        "system",
        "before",
        host("Ubuntu 22.04.4 LTS", "ubuntu", "3.10.12", apt=JAMMY),
        {},
        [
            r"python3-redis 3\.5\.3-2 is what apt would install, older than redis 4\.3",
            r"python3-psycopg is not available",
            r"'venv'",
        ],
    ),
    "debian 11 system": (
        "system",
        "before",
        host("Debian 11", "debian", "3.9.2", apt=BULLSEYE),
        {},
        [
            r"python3-redis 3\.5\.3",
            r"python3-psycopg is not available",
            r"python3-docker 4\.1\.0-1\.2 .*older than docker 5\.0",
            r"'venv'",
        ],
    ),
    "rhel 9 system": (
        "system",
        "before",
        host("Red Hat Enterprise Linux 9.4", "rhel", "3.9.18"),
        {},
        [r"no apt-cache", r"'venv'"],
    ),
    "debian 11 venv": (
        "venv",
        "before",
        host("Debian 11", "debian", "3.9.2"),
        {},
        [r"Python 3\.9\.2 cannot install the pinned requirements"],
    ),
    "debian 12 venv": ("venv", "before", host("Debian 12", "debian", "3.11.2", can_make_venv=False), {}, []),
    "rhel 9 venv without ensurepip, not root": (
        "venv",
        "before",
        host("Red Hat Enterprise Linux 9.4", "rhel", "3.11.7", uid=1000, can_make_venv=False, venv_creatable=False),
        {},
        [r"cannot create a virtualenv", r"cannot be created by uid 1000"],
    ),
    "none with the libraries": ("none", "before", host("Debian 12", "debian", "3.11.2", GOOD_LIBS), {}, []),
    "none with redis-py 3.5": (
        "none",
        "before",
        host("Ubuntu 22.04", "ubuntu", "3.10.12", {"redis": "3.5.3", "psycopg": "3.1.7", "docker": "5.0.3"}),
        {},
        [r"has redis 3\.5\.3, older than 4\.3", r"redis_cutover_module_python"],
    ),
    "after an install, psycopg missing": (
        "system",
        "after",
        host("Debian 12", "debian", "3.11.2", {"redis": "4.3.4", "psycopg": None, "docker": "5.0.3"}),
        {},
        [r"psycopg is not importable"],
    ),
}

RENDER = {
    "name": "Render each case",
    "ansible.builtin.set_fact": {
        "rendered": (
            "{{ rendered | default({}) | combine({item.key: lookup('ansible.builtin.template',"
            " 'module_deps_problems.j2', template_vars={'host': item.value.host, 'stage': item.value.stage,"
            " 'redis_cutover_module_deps': item.value.mode}) | from_json}) }}"
        )
    },
    "loop": "{{ cases | dict2items }}",
    "loop_control": {"label": "{{ item.key }}"},
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    work = tmp_path_factory.mktemp("module_deps")
    extra = {
        "out": str(work / "out.json"),
        "cases": {name: {"mode": c[0], "stage": c[1], "host": c[2]} for name, c in CASES.items()},
        "redis_cutover_project_dir": "/srv/business_suite",
    }
    role_play.run(work, [RENDER, role_play.write_out("rendered")], extra)
    return json.loads((work / "out.json").read_text())


@pytest.mark.parametrize("case", CASES)
def test_module_deps_judgement(rendered, case):
    patterns = CASES[case][4]
    problems = rendered[case]
    if not patterns:
        assert problems == [], f"{case}: refused a mode that works: {problems}"
        return
    text = "; ".join(problems)
    missing = [pattern for pattern in patterns if not re.search(pattern, text)]
    assert not missing, f"{case}: the refusal does not say {missing}: {text}"
