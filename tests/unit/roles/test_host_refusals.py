"""Preflight's judgement of the host (the "Require what the cutover needs of the host" task of tasks/preflight.yml),
fed the reports stack_facts gives on hosts users have: every refusal that applies is said at once, each naming the
problem and what to do, and a check whose subject another refusal names stays quiet (no version complaint without
an engine, no owner or .env complaint about a file the user cannot write). One ansible-playbook run judges every
case with the task as the role ships it."""

from __future__ import annotations

import copy
import json
import re

import pytest

from tests.unit.roles import role_play

TASK = (
    "Preflight | Require what the cutover needs of the host"
    " (files, write access, Docker, compose, disk, network, module libraries)"
)
PROJECT = "/srv/business_suite"


def path(name, uid=0, gid=0, writeable=True, exists=True, isdir=False, **extra):
    facts = {"path": f"{PROJECT}/{name}".rstrip("/"), "exists": exists, "isdir": isdir}
    if exists:
        facts.update(writeable=writeable, uid=uid, gid=gid, mode="0600", pw_name="", gr_name="", **extra)
    return facts


def healthy():
    """A host ready for the cutover, as stack_facts reports it to root."""
    return {
        "paths": {
            "project": path("", isdir=True),
            "env": path(".env", dotenv={"keys": 31, "error": ""}),
            "compose": path("docker-compose.yml"),
            "compose_local": path("docker-compose.override.yml", exists=False),
            "state": path(".cutover", exists=False),
        },
        "user": {"name": "root", "uid": 0, "gids": [0]},
        "engine": {"cli": True, "rc": 0, "version": "24.0.7", "root_dir": "/var/lib/docker", "error": ""},
        "compose": {"rc": 0, "version": "2.24.5", "error": ""},
        "free_mb": {"/var/lib/docker": 18030, PROJECT: 18030},
        "network": {"exists": True, "containers": {"3f2a": {"Name": "bs-db", "IPv4Address": "172.28.0.2/16"}}},
    }


def host(**changes):
    """healthy() with `changes` applied, a dotted key per change: {"engine.rc": 1}."""
    report = copy.deepcopy(healthy())
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = report
        for key in parents:
            node = node[key]
        node[last] = value
    return report


def as_user(uid, gid, files_writeable, gids=(1001, 998)):
    """A non-root user `ops`; the project's files owned by uid:gid and writeable or not for ops."""
    changes = {"user": {"name": "ops", "uid": 1001, "gids": list(gids)}}
    for name in ("project", "env", "compose"):
        changes[f"paths.{name}.uid"], changes[f"paths.{name}.gid"] = uid, gid
        changes[f"paths.{name}.writeable"] = files_writeable
    return changes


ROOT_OWNED = as_user(0, 0, files_writeable=False)
ENV_UNREADABLE = {"paths.env.dotenv": {"keys": 0, "error": f"cannot read {PROJECT}/.env: Permission denied"}}

# name: (host report, whether the stack runs, patterns: each matches one refusal, in order; [] = accepted)
CASES = {
    "healthy": (host(), True, []),
    "local dev before the files exist": (
        host(**{"paths.env": path(".env", exists=False), "paths.compose": path("docker-compose.yml", exists=False)}),
        False,
        [],
    ),
    "no project directory": (
        host(**{"paths.project": path("", exists=False), "paths.env": path(".env", exists=False)}),
        True,
        [rf"{PROJECT} must be a directory holding .env and docker-compose.yml \(found: directory=False, env=False"],
    ),
    "root-owned project, user without sudo": (
        host(**ROOT_OWNED, **ENV_UNREADABLE),
        True,
        [r"\.env, .*docker-compose\.yml are not writable by user ops .*Nothing was changed\. Run with become"],
    ),
    "files owned by the user, group root": (
        host(**as_user(1001, 0, files_writeable=True)),
        True,
        [r"user ops cannot write back .*\.env, .*docker-compose\.yml with the same owner and group.*chown"],
    ),
    "files owned by the user and one of its groups": (host(**as_user(1001, 998, files_writeable=True)), True, []),
    "malformed .env": (
        host(**{"paths.env.dotenv": {"keys": 4, "error": "line 5 is not KEY=VALUE"}}),
        True,
        [r"^the live \.env cannot be used: line 5 is not KEY=VALUE\. Nothing was changed\.$"],
    ),
    "engine refuses the user": (
        host(**{"engine.rc": 1, "engine.version": "", "engine.error": "permission denied while trying to connect"}),
        True,
        [r"this user may not use the Docker engine \(permission denied.*\): run with become .*docker group"],
    ),
    "no docker CLI": (
        host(**{"engine": {"cli": False, "rc": 127, "version": "", "root_dir": "", "error": ""}}),
        True,
        [r"^the docker CLI is not installed on this host \(no docker in PATH\)\. Nothing was changed\.$"],
    ),
    "no compose plugin": (
        host(**{"compose": {"rc": 125, "version": "", "error": "docker: 'compose' is not a docker command."}}),
        True,
        [r"the docker compose v2 plugin is not installed for this user .*'compose' is not a docker command"],
    ),
    "old engine": (
        host(**{"engine.version": "19.03.15"}),
        True,
        [r"Docker 19\.03\.15 / compose 2\.24\.5 found; the cutover needs Docker >= 20\.10"],
    ),
    "full disk": (
        host(**{"free_mb": {"/var/lib/docker": 18030, PROJECT: 120}}),
        True,
        [rf"only 120 MiB free under the Docker data root or {PROJECT}; the cutover needs \d+ MiB"],
    ),
    "nothing measured": (host(**{"free_mb": {}}), True, []),
    "Redis address held by another container": (
        host(**{"network.containers": {"9c1d": {"Name": "bs-other", "IPv4Address": "192.168.2.64/24"}}}),
        True,
        [r"address 192\.168\.2\.64 for bs-redis is held by bs-other; pick another redis_cutover_addresses\.redis"],
    ),
    "address held, stack not running yet": (
        host(**{"network.containers": {"9c1d": {"Name": "bs-other", "IPv4Address": "192.168.2.64/24"}}}),
        False,
        [],
    ),
    "two problems at once": (
        host(**ROOT_OWNED, **{"free_mb": {"/var/lib/docker": 50}}),
        True,
        [r"not writable by user ops", r"only 50 MiB free"],
    ),
}


def judged_tasks(task):
    """One copy of the task per case, each fed its report, then the results written out as JSON."""
    tasks = []
    for index in range(len(CASES)):
        case = copy.deepcopy(task)
        case["name"] = f"case {index}"
        case["vars"].update(
            __redis_cutover_host=f"{{{{ cases[{index}].report }}}}",
            __redis_cutover_stack_runs=f"{{{{ cases[{index}].stack_runs }}}}",
            # The module libraries judged usable (tests/unit/roles/test_preflight_module_deps.py judges them).
            __redis_cutover_deps_problems=[],
            __redis_cutover_deps_host={},
        )
        # The refusals as a list (the role joins them into one message): a quiet check must be absent from it.
        case["ansible.builtin.assert"]["fail_msg"] = "{{ __redis_cutover_refusals | to_json }}"
        case.update(register=f"case_{index}", ignore_errors=True)
        tasks.append(case)
    return [*tasks, role_play.write_out("[%s]" % ", ".join(f"case_{index}" for index in range(len(CASES))))]


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    work = tmp_path_factory.mktemp("host_refusals")
    extra = {
        "cases": [{"report": report, "stack_runs": runs} for report, runs, _patterns in CASES.values()],
        "out": str(work / "out.json"),
        "redis_cutover_project_dir": PROJECT,
    }
    role_play.run(work, judged_tasks(role_play.task("preflight.yml", TASK)), extra)
    return dict(zip(CASES, json.loads((work / "out.json").read_text()), strict=True))


@pytest.mark.parametrize("case", CASES)
def test_host_judgement(judged, case):
    patterns = CASES[case][2]
    result = judged[case]
    if not patterns:
        assert not result.get("failed"), f"{case}: refused a host that is ready: {result.get('msg')}"
        return
    assert result.get("failed"), f"{case}: accepted a host that is not ready"
    refusals = json.loads(result["msg"])
    assert len(refusals) == len(patterns), f"{case}: {len(patterns)} refusal(s) expected, got {refusals}"
    for pattern, refusal in zip(patterns, refusals, strict=True):
        assert re.search(pattern, refusal), f"{case}: the refusal does not say {pattern!r}: {refusal}"


def test_the_refusals_make_one_message():
    task = role_play.task("preflight.yml", TASK)
    assert task["ansible.builtin.assert"]["fail_msg"] == "{{ __redis_cutover_refusals | join(' ') }}"
