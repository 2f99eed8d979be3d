"""The Docker SDK wrapper: a missing, stopped or unanswering container is a ``container`` failure,
and the one engine connection is closed whatever happens."""

from __future__ import annotations

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils import container_exec, deps
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe import ProbeError


class FakeContainer:
    def __init__(self, status="running", env=None):
        self.status = status
        self.attrs = {"Config": {"Env": env or []}}

    def exec_run(self, argv, environment=None, workdir=None, demux=False):
        return 0, (b"out\n", None)


class FakeClient:
    def __init__(self, containers):
        self._containers = containers
        self.closed = False
        self.containers = self

    def get(self, name):
        if name not in self._containers:
            raise deps.docker_errors.NotFound("No such container: %s" % name)
        return self._containers[name]

    def close(self):
        self.closed = True


@pytest.fixture
def engine(monkeypatch):
    clients = []

    def use(**containers):
        def client(base_url, timeout, version):
            clients.append(FakeClient(containers))
            return clients[-1]

        monkeypatch.setattr(deps.docker, "DockerClient", client)
        return clients

    return use


def test_running_container_reads_the_env_and_runs(engine):
    clients = engine(**{"bs-core": FakeContainer(env=["DJANGO_SETTINGS_MODULE=app.settings"])})
    with container_exec.running_container("unix:///x.sock", "bs-core") as container:
        assert container_exec.container_environment(container) == {"DJANGO_SETTINGS_MODULE": "app.settings"}
        assert container_exec.run_in(container, ["true"]) == (0, "out\n", "")
    assert clients[0].closed


@pytest.mark.parametrize(
    ("containers", "message"),
    [
        ({}, "container 'bs-core' does not exist on unix:///x.sock"),
        ({"bs-core": FakeContainer(status="exited")}, "container 'bs-core' is exited, not running"),
    ],
)
def test_missing_or_stopped_container(engine, containers, message):
    clients = engine(**containers)
    with pytest.raises(ProbeError) as raised, container_exec.running_container("unix:///x.sock", "bs-core"):
        pytest.fail("the body must not run")
    assert raised.value.reason == "container" and message in raised.value.msg
    assert clients[0].closed


def test_engine_errors_inside_the_block_are_container_failures(engine):
    clients = engine(**{"bs-core": FakeContainer()})
    with pytest.raises(ProbeError) as raised, container_exec.running_container("unix:///x.sock", "bs-core", timeout=3):
        raise deps.RequestException("read timed out")
    assert raised.value.reason == "container" and "gave no answer within 3 s" in raised.value.msg
    with pytest.raises(ProbeError) as raised, container_exec.running_container("unix:///x.sock", "bs-core"):
        raise deps.docker_errors.APIError("500 Server Error")
    assert raised.value.reason == "container" and "Docker engine at unix:///x.sock: APIError" in raised.value.msg
    assert all(client.closed for client in clients)
