#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_facts
short_description: Read, in one call, what a cutover checks on a docker compose host before it changes anything
version_added: 0.1.0
description:
  - Reads the files and directories named in O(paths), the user the module runs as, the Docker engine and compose
    versions, the free space of the Docker data root and of O(free_space), one network, the containers named in
    O(containers), the images of O(images) and, in the containers of O(processes), the processes running a given
    command. It never changes anything.
  - One module call instead of one task per read, so that a preflight costs one round trip to the host.
  - It reports and does not judge. An engine that does not answer, a missing network or a missing container are
    facts in the result, so that the caller can say what they mean; the module fails only on bad input.
  - The engine is asked through the C(docker) CLI, the client that C(docker compose) (and so
    M(community.docker.docker_compose_v2)) uses, with the same C(DOCKER_HOST) and context. Container results keep
    only the keys of C(docker inspect) listed in RV(containers), never C(Config.Env), so they carry no secret.
extends_documentation_fragment:
  - revisbali.business_suite.attributes
attributes:
  check_mode:
    support: full
    details: Only reads; check mode runs the same reads.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  paths:
    description:
      - Files and directories to look at, by a name of the caller's choosing. RV(paths) has the same names.
    type: dict
    default: {}
  dotenv:
    description:
      - Names of O(paths) whose file to parse as a C(.env), the way the C(dotenv) module reads it. RV(paths) then
        gives, for each, how many keys it holds and what makes it unreadable; never a key or a value.
    type: list
    elements: str
    default: []
  text:
    description:
      - Names of O(paths) whose file's text (UTF-8) to return in RV(paths), so that the caller need not read it in
        another call. Name only files that hold no secret (a compose file whose secrets are C(${VAR}) references),
        never a C(.env), since the text is in the result as it is.
    type: list
    elements: str
    default: []
  free_space:
    description: Paths whose file system's free space to report, besides the Docker data root.
    type: list
    elements: path
    default: []
  network:
    description: A Docker network to read (its containers and their addresses). Not read when empty.
    type: str
    default: ""
  containers:
    description: Container names to read. A name that does not exist is reported with C(exists=false) in RV(containers).
    type: list
    elements: str
    default: []
  images:
    description:
      - Image references to look for (C(docker image inspect), so V(redis:7) is found as
        C(docker.io/library/redis:7) too). A reference that is not there is reported with C(exists=false) in
        RV(images).
    type: list
    elements: str
    default: []
  processes:
    description:
      - By container name, a command (its words) to look for among the container's processes (C(docker top), no
        C(docker exec)). RV(processes) gives the host pids of those whose command line runs it; the command lines
        themselves are not returned (they may carry secrets).
      - A process matches when its command line holds the words in order, the first one whole or as the last part
        of a path (V(pgq) matches C(/opt/venv/bin/python3 /opt/venv/bin/pgq run ...)).
    type: dict
    default: {}
requirements:
  - The C(docker) CLI on the host for the engine, network and container facts (without it they say so).
"""

EXAMPLES = r"""
- name: Read the project directory, the engine and the stack's containers
  revisbali.business_suite.stack_facts:
    paths:
      project: /srv/business_suite
      env: /srv/business_suite/.env
      compose: /srv/business_suite/docker-compose.yml
    free_space: [/srv/business_suite]
    network: dockernet
    containers: [bs-db, bs-core, bs-worker]
  register: stack

- name: Stop when the engine does not answer
  ansible.builtin.assert:
    that: stack.engine.rc == 0
    fail_msg: "{{ stack.engine.error }}"
"""

RETURN = r"""
paths:
  description:
    - For each name of O(paths), what is there. C(writeable) is C(access(2)) for the user the module runs as.
    - C(mode) is an octal string such as C(0640); C(pw_name) and C(gr_name) are empty when the id has no name.
    - For a name in O(dotenv) whose file exists, C(dotenv) holds C(keys), how many keys it sets, and C(error), empty
      when it parses, else why not (the line number, never its content).
    - For a name in O(text) whose file exists, C(text) holds the file's text, and C(text_error) is empty when it could
      be read, else why not (C(text) is then empty).
  returned: always
  type: dict
  sample:
    env: {path: /srv/business_suite/.env, exists: true, isdir: false, writeable: true, uid: 0, gid: 1000,
          mode: "0640", pw_name: root, gr_name: app, dotenv: {keys: 31, error: ""}}
user:
  description: The user the module runs as (the become user), its uid and every group id it has.
  returned: always
  type: dict
  sample: {name: deploy, uid: 1000, gids: [1000, 998]}
engine:
  description:
    - C(cli) is false when there is no C(docker) CLI. C(rc) is the exit status of C(docker info) (0 when the engine
      answers), C(version) the engine's version, C(root_dir) its data root, C(error) what the CLI said otherwise.
  returned: always
  type: dict
  sample: {cli: true, rc: 0, version: "24.0.7", root_dir: /var/lib/docker, error: ""}
compose:
  description: C(rc), C(version) and C(error) of C(docker compose version --short).
  returned: always
  type: dict
  sample: {rc: 0, version: "2.24.5", error: ""}
free_mb:
  description:
    - Free MiB (for an unprivileged user) of each path of O(free_space) and of the Docker data root, by path. A path
      that does not exist is left out.
  returned: always
  type: dict
  sample: {/var/lib/docker: 18030, /srv/business_suite: 18030}
network:
  description:
    - C(exists), and C(containers) as C(docker network inspect) gives them (by id, each with C(Name) and
      C(IPv4Address)). Empty when O(network) is empty or the engine does not answer.
  returned: always
  type: dict
  sample: {exists: true, containers: {"3f2a...": {Name: bs-db, IPv4Address: 172.28.0.2/16}}}
containers:
  description:
    - For each name of O(containers), C(exists) and C(container), the keys C(Id), C(Name), C(Image),
      C(Config.Image), C(Config.Labels), C(State.Status) and C(NetworkSettings.Networks.<name>.IPAddress) of
      C(docker inspect). Every name is C(exists=false) when the engine does not answer.
  returned: always
  type: dict
  sample:
    bs-db:
      exists: true
      container:
        Id: 3f2a...
        Name: /bs-db
        Image: sha256:1c0d...
        Config: {Image: "postgres:16", Labels: {com.docker.compose.service: db}}
        State: {Status: running}
        NetworkSettings: {Networks: {dockernet: {IPAddress: 172.28.0.2}}}
images:
  description:
    - For each reference of O(images), C(exists) and C(Id), the image id it resolves to (empty when it is not
      there). Every reference is C(exists=false) when the engine does not answer.
  returned: always
  type: dict
  sample: {"bs-app:release-redis": {exists: true, Id: "sha256:5994..."}, "redis:7": {exists: false, Id: ""}}
processes:
  description:
    - For each container of O(processes), the host pids of its processes that run the command, in the order
      C(docker top) lists them. Empty when none does, when the container does not exist or does not run, or when
      the engine does not answer.
  returned: always
  type: dict
  sample: {bs-core: [18944]}
reason:
  description: Why the module failed. V(input) (a parameter is invalid) or V(container) (C(docker) answered
    something that is not what C(docker inspect) gives).
  returned: failure
  type: str
  sample: input
"""

import grp
import os
import pwd
import re
import stat

from ansible_collections.revisbali.business_suite.plugins.module_utils import dotenv
from ansible_collections.revisbali.business_suite.plugins.module_utils.docker_cli import MISSING, Docker
from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import ProbeError
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe_module import ProbeModule

ARGUMENT_SPEC = dict(
    paths=dict(type="dict", default={}),
    dotenv=dict(type="list", elements="str", default=[]),
    text=dict(type="list", elements="str", default=[]),
    free_space=dict(type="list", elements="path", default=[]),
    network=dict(type="str", default=""),
    containers=dict(type="list", elements="str", default=[]),
    images=dict(type="list", elements="str", default=[]),
    processes=dict(type="dict", default={}),
)


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return ""


# Far above any compose file; a file this large is not one.
TEXT_LIMIT = 4 * 1024 * 1024


def path_facts(path, parse_dotenv=False, read_text=False):
    facts = {"path": path, "exists": False, "isdir": False}
    try:
        st = os.stat(path)
    except OSError:
        return facts
    facts.update(
        exists=True,
        isdir=stat.S_ISDIR(st.st_mode),
        writeable=os.access(path, os.W_OK),
        uid=st.st_uid,
        gid=st.st_gid,
        mode="%04o" % stat.S_IMODE(st.st_mode),
        pw_name=_name(pwd.getpwuid, st.st_uid),
        gr_name=_name(grp.getgrgid, st.st_gid),
    )
    if parse_dotenv and not facts["isdir"]:
        facts["dotenv"] = dotenv_facts(path)
    if read_text and not facts["isdir"]:
        facts.update(text_facts(path, st.st_size))
    return facts


def text_facts(path, size):
    """The file's text, and why it cannot be read as text ('' when it can)."""
    if size > TEXT_LIMIT:
        return {"text": "", "text_error": "%s is %d bytes, more than %d" % (path, size, TEXT_LIMIT)}
    try:
        with open(path, "rb") as handle:
            return {"text": handle.read().decode("utf-8"), "text_error": ""}
    except OSError as exc:
        return {"text": "", "text_error": "%s cannot be read: %s" % (path, exc.strerror or exc)}
    except UnicodeDecodeError as exc:
        return {"text": "", "text_error": "%s is not UTF-8 text (byte %d)" % (path, exc.start)}


def dotenv_facts(path):
    """How many keys the .env at path sets, and why it cannot be read as one ('' when it can)."""
    try:
        return {"keys": len(dotenv.load_values(path)), "error": ""}
    except dotenv.DotenvFileError as exc:
        return {"keys": 0, "error": str(exc)}


def user_facts():
    uid = os.geteuid()
    return {"name": _name(pwd.getpwuid, uid) or str(uid), "uid": uid,
            "gids": sorted({os.getegid(), *os.getgroups()})}  # fmt: skip


def free_mb(paths):
    free = {}
    for path in paths:
        try:
            st = os.statvfs(path)
        except OSError:
            continue  # missing or not searchable: left out, as documented
        free[path] = st.f_bavail * st.f_frsize // (1024 * 1024)
    return free


def trim_container(doc):
    """The keys the caller needs of one ``docker inspect`` document; the environment (secrets) is dropped."""
    config = doc.get("Config") or {}
    networks = (doc.get("NetworkSettings") or {}).get("Networks") or {}
    addresses = {name: {"IPAddress": (net or {}).get("IPAddress", "")} for name, net in networks.items()}
    return {
        "Id": doc.get("Id", ""),
        "Name": doc.get("Name", ""),
        "Image": doc.get("Image", ""),
        "Config": {"Image": config.get("Image", ""), "Labels": config.get("Labels") or {}},
        "State": {"Status": (doc.get("State") or {}).get("Status", "")},
        "NetworkSettings": {"Networks": addresses},
    }


def engine_facts(docker):
    if not docker.cli:
        return {"cli": False, "rc": None, "version": "", "root_dir": "", "error": "no docker CLI in PATH"}
    rc, out, err = docker.run("info", "--format", "{{.ServerVersion}}\t{{.DockerRootDir}}")
    fields = out.strip().split("\t") if rc == 0 else []
    if len(fields) != 2 or not fields[0]:
        return {"cli": True, "rc": rc or 1, "version": "", "root_dir": "", "error": err or out.strip()}
    return {"cli": True, "rc": 0, "version": fields[0], "root_dir": fields[1], "error": ""}


def compose_facts(docker):
    if not docker.cli:
        return {"rc": None, "version": "", "error": "no docker CLI in PATH"}
    rc, out, err = docker.run("compose", "version", "--short")
    return {"rc": rc, "version": out.strip() if rc == 0 else "", "error": err if rc else ""}


def network_facts(docker, name):
    docs = docker.inspect("network", "inspect", name) if name else []
    if not docs:
        return {"exists": False, "containers": {}}
    containers = docs[0].get("Containers") or {}
    return {"exists": True, "containers": {k: {"Name": v.get("Name", ""), "IPv4Address": v.get("IPv4Address", "")}
                                           for k, v in containers.items()}}  # fmt: skip


def container_facts(docker, names, up):
    found = {}
    if names and up:
        # A missing name makes rc 1 and is absent from the output; the others are still printed.
        docs = docker.inspect("container", "inspect", *names)
        found = dict((doc.get("Name", "").lstrip("/"), doc) for doc in docs)
    return dict((n, {"exists": n in found, "container": trim_container(found[n]) if n in found else {}}) for n in names)


def image_facts(docker, refs, up):
    found = {}
    for ref in refs:
        # One reference per call: the CLI prints only the ones it finds, so several could not be told apart.
        docs = docker.inspect("image", "inspect", ref) if up else []
        found[ref] = {"exists": bool(docs), "Id": docs[0].get("Id", "") if docs else ""}
    return found


def command_pattern(words):
    """A command line holding ``words`` in order: the first whole or as the last part of a path."""
    return re.compile(r"(?:^|[\s/])" + r"\s+".join(re.escape(w) for w in words) + r"(?:\s|$)")


def process_facts(docker, wanted, up):
    found = {}
    for name, words in wanted.items():
        pids = []
        rc, out, err = docker.run("top", name, "-o", "pid,args") if up else (1, "", "")
        # A container that does not exist or does not run runs nothing; any other complaint is a failure.
        if rc != 0 and up and not (MISSING.search(err) or "is not running" in err):
            raise ProbeError("container", "docker top %s failed: %s" % (name, err[:300]))
        if rc == 0:
            pattern = command_pattern(words)
            for line in out.splitlines()[1:]:
                pid, _sep, args = line.strip().partition(" ")
                if pid.isdigit() and pattern.search(args.strip()):
                    pids.append(int(pid))
        found[name] = pids
    return found


def check_processes(wanted):
    for name, words in wanted.items():
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise ProbeError("input", "processes.%s must be a command as a list of words, got %r" % (name, words))


def survey(module):
    params = module.params
    for label, path in params["paths"].items():
        if not isinstance(path, str) or not path.startswith("/"):
            raise ProbeError("input", "paths.%s must be an absolute path, got %r" % (label, path))
    for option in ("dotenv", "text"):
        for label in params[option]:
            if label not in params["paths"]:
                known = ", ".join(params["paths"])
                raise ProbeError("input", "%s names %r, which is not one of paths (%s)" % (option, label, known))
    check_processes(params["processes"])
    docker = Docker(module)
    engine = engine_facts(docker)
    up = engine["rc"] == 0
    places = list(params["free_space"]) + ([engine["root_dir"]] if engine["root_dir"] else [])
    return {
        "paths": dict(
            (label, path_facts(path, label in params["dotenv"], label in params["text"]))
            for label, path in params["paths"].items()
        ),
        "user": user_facts(),
        "engine": engine,
        "compose": compose_facts(docker),
        "free_mb": free_mb(places),
        "network": network_facts(docker, params["network"] if up else ""),
        "containers": container_facts(docker, params["containers"], up),
        "images": image_facts(docker, params["images"], up),
        "processes": process_facts(docker, params["processes"], up),
    }


def main():
    module = ProbeModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(survey)


if __name__ == "__main__":
    main()
