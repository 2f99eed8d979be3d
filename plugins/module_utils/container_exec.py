# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a command inside a running container through the Docker SDK (works with docker 5.0+)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from contextlib import contextmanager

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe import ProbeError

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"


def docker_host_default():
    return os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST


def _engine_error(docker_host, exc):
    return ProbeError("container", "Docker engine at %s: %s: %s" % (docker_host, type(exc).__name__, exc))


@contextmanager
def running_container(docker_host, name, timeout=30):
    """The running container ``name`` (a Docker SDK ``Container``), for one engine connection.

    ``timeout`` bounds every engine call, an exec included. A container that is missing or not
    running is a ``container`` failure, reported before anything runs in it; so is any engine
    error inside the ``with`` block.
    """
    errors = deps.docker_errors
    try:
        client = deps.docker.DockerClient(base_url=docker_host, timeout=timeout, version="auto")
    except errors.DockerException as e:
        raise _engine_error(docker_host, e) from e
    try:
        try:
            container = client.containers.get(name)
        except errors.NotFound:
            raise ProbeError("container", "container %r does not exist on %s" % (name, docker_host)) from None
        if container.status != "running":
            raise ProbeError("container", "container %r is %s, not running" % (name, container.status))
        yield container
    except errors.DockerException as e:
        raise _engine_error(docker_host, e) from e
    except deps.RequestException as e:  # the SDK lets socket timeouts through as requests errors
        raise ProbeError("container", "exec in %r gave no answer within %s s: %s" % (name, timeout, e)) from e
    finally:
        client.close()


def container_environment(container):
    """The container's configured environment (the image's ENV with the run's own on top): what an exec
    inherits when it is given no ``environment`` of its own."""
    environment = {}
    for entry in (container.attrs.get("Config") or {}).get("Env") or []:
        key, _sep, value = entry.partition("=")
        environment[key] = value
    return environment


def run_in(container, argv, environment=None, workdir=None):
    """Run ``argv`` in ``container`` (inside ``running_container``); returns ``(exit_code, stdout, stderr)``.

    ``environment`` is added to the container's own; None runs in the container's environment alone.
    """
    exit_code, (stdout, stderr) = container.exec_run(argv, environment=environment, workdir=workdir, demux=True)
    return exit_code, _text(stdout), _text(stderr)


def _text(data):
    return (data or b"").decode("utf-8", "replace")
