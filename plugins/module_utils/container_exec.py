# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a command inside a running container through the Docker SDK (works with docker 5.0+)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe import ProbeError

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"


def docker_host_default():
    return os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST


def _engine_error(docker_host, exc):
    return ProbeError("container", "Docker engine at %s: %s: %s" % (docker_host, type(exc).__name__, exc))


def exec_in_container(docker_host, name, argv, environment=None, workdir=None, timeout=30):
    """Run ``argv`` in container ``name``; returns ``(exit_code, stdout, stderr)`` as text.

    ``timeout`` bounds every engine call, the exec included. A container that is missing
    or not running is a ``container`` failure, reported before anything runs in it.
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
        exit_code, (stdout, stderr) = container.exec_run(argv, environment=environment, workdir=workdir, demux=True)
    except errors.DockerException as e:
        raise _engine_error(docker_host, e) from e
    except deps.RequestException as e:  # the SDK lets socket timeouts through as requests errors
        raise ProbeError("container", "exec in %r gave no answer within %s s: %s" % (name, timeout, e)) from e
    finally:
        client.close()
    return exit_code, _text(stdout), _text(stderr)


def _text(data):
    return (data or b"").decode("utf-8", "replace")
