"""Unit-test helpers: run a module in-process and prove that nothing was contacted."""

from __future__ import annotations

import json
import socket

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps


class Contacted(AssertionError):
    """Raised when code under test tries to reach a server."""


@pytest.fixture
def no_network(monkeypatch):
    """Every way the modules could reach a server raises Contacted and is recorded."""
    attempts = []

    def refuse(what):
        def _refuse(*args, **kwargs):
            attempts.append(what)
            raise Contacted(f"{what} was attempted")

        return _refuse

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    monkeypatch.setattr(deps.psycopg, "connect", refuse("psycopg.connect"))  # libpq opens its own sockets
    monkeypatch.setattr(deps.redis, "Redis", refuse("redis.Redis"))
    monkeypatch.setattr(deps.docker, "DockerClient", refuse("docker.DockerClient"))
    return attempts


@pytest.fixture
def run_module(capsys):
    """Runs a module's ``main`` with ``args``; returns its JSON result (success or failure)."""

    def _run(main, args, check_mode=False):
        payload = dict(args, _ansible_check_mode=check_mode)
        with patch_module_args(payload), pytest.raises(SystemExit):
            main()
        return json.loads(capsys.readouterr().out)

    return _run


@pytest.fixture
def rejected(run_module, no_network):
    """Runs a module with bad ``args``: it must fail with reason=input, the message naming
    ``field`` and not the password the cases use (hunter2), and with nothing contacted."""

    def _rejected(main, args, field):
        result = run_module(main, args)
        assert result["failed"] is True
        assert result["reason"] == "input"
        assert field in result["msg"]
        assert "hunter2" not in result["msg"]
        assert no_network == [], "nothing may be contacted before the input is valid"

    return _rejected
