"""redis_smoke's checks: the direct round trip against a scripted client; the Docker SDK wrapper (a missing,
stopped or unanswering container is a ``container`` failure, and the one engine connection is closed whatever
happens); the django mode's in-container script (run here against a stand-in ``django`` package) and how the
module reads its report."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps, redis_smoke_checks
from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import InputError, ProbeError
from ansible_collections.revisbali.business_suite.plugins.module_utils.redis_connection import REDIS_CONNECTION_SPEC


def test_mismatches_compare_value_and_type_in_step_order():
    expected = {"set": True, "incr": 2, "get": "2"}
    assert redis_smoke_checks.mismatches(expected, {"set": True, "incr": 2, "get": "2"}) == []
    # 1 == True in Python, but a cache that returns 1 for set is not what we asked for.
    assert redis_smoke_checks.mismatches(expected, {"set": 1, "incr": 2, "get": "2"}) == [
        "set returned 1, expected True"
    ]
    assert redis_smoke_checks.mismatches(expected, {"set": None}) == [
        "set returned None, expected True",
        "incr returned '<not reached>', expected 2",
        "get returned '<not reached>', expected '2'",
    ]


# Direct mode.


@pytest.mark.parametrize(
    ("value", "size"),
    [(0, 0), (1024, 1024), ("1024", 1024), ("64mb", 64 * 1024**2), ("64MB", 64 * 1024**2), ("1k", 1000),
     ("512kb", 512 * 1024), ("2m", 2_000_000), ("1g", 10**9), ("1gb", 1024**3), (" 10 b ", 10)],
)  # fmt: skip
def test_parse_size_follows_redis_units(value, size):
    assert redis_smoke_checks.parse_size(value) == size


@pytest.mark.parametrize("value", ["-1", "64 megs", "1.5gb", "", True, "mb"])
def test_parse_size_rejects(value):
    with pytest.raises(InputError, match="min_free_memory: "):
        redis_smoke_checks.parse_size(value)


def test_parse_version():
    assert redis_smoke_checks.parse_version("7.0") == (7, 0)
    assert redis_smoke_checks.parse_version(7.2) == (7, 2)
    with pytest.raises(InputError, match="min_version: 'seven'"):
        redis_smoke_checks.parse_version("seven")


def test_server_facts_and_assertions():
    info = dict(redis_version=7.0, role="master", maxmemory=200 * 1024**2, maxmemory_policy="allkeys-lru",
                used_memory=150 * 1024**2, connected_clients=3)  # fmt: skip
    server = redis_smoke_checks.server_facts(info)
    assert server["redis_version"] == "7.0" and server["free_memory"] == 50 * 1024**2
    assert "connected_clients" not in server

    wanted = dict(policy="allkeys-lru", min_free=redis_smoke_checks.parse_size("50mb"), min_version=(7, 0))
    assert redis_smoke_checks.check_assertions(server, wanted) == ([], [])

    wanted = dict(policy="noeviction", min_free=redis_smoke_checks.parse_size("51mb"), min_version=(7, 2))
    failed = redis_smoke_checks.check_assertions(server, wanted)[0]
    assert len(failed) == 3
    assert "maxmemory_policy is 'allkeys-lru', expected 'noeviction'" in failed[0]
    assert "redis_version 7.0 is older than 7.2" in failed[1]
    assert "below min_free_memory 53477376" in failed[2]


def test_unlimited_maxmemory_cannot_fail_min_free_memory():
    server = redis_smoke_checks.server_facts(dict(redis_version="7.0.15", maxmemory=0, used_memory=10**9))
    assert server["free_memory"] is None
    failed, warnings = redis_smoke_checks.check_assertions(server, dict(policy=None, min_free=1, min_version=None))
    assert failed == [] and "maxmemory is 0" in warnings[0]


class DirectModule:
    def __init__(self, check_mode=False, **overrides):
        self.params = {name: spec.get("default") for name, spec in REDIS_CONNECTION_SPEC.items()}
        self.params.update(key_prefix="redis_smoke", ttl=60, expect_maxmemory_policy=None, min_free_memory=None,
                           min_version=None)  # fmt: skip
        self.params.update(overrides)
        self.check_mode = check_mode
        self.warnings, self.hidden = [], set()

    def warn(self, text):
        self.warnings.append(text)

    def hide(self, *secrets):
        self.hidden.update(s for s in secrets if s)


class FakeRedis:
    """A client whose replies the test chooses; records the commands it got."""

    def __init__(self, replies=None, errors=None, info=None):
        self.replies = dict(ping=True, set=True, incr=2, get="2", eval=1, delete=1)
        self.replies.update(replies or {})
        self.errors = errors or {}
        self.info_reply = info or dict(redis_version="7.0.15", role="master", maxmemory=0,
                                       maxmemory_policy="noeviction", used_memory=1)  # fmt: skip
        self.calls = []

    def _reply(self, name, *args):
        self.calls.append((name, *args))
        if name in self.errors:
            raise self.errors[name]
        return self.replies.get(name)

    def ping(self):
        return self._reply("ping")

    def info(self):
        self._reply("info")
        return self.info_reply

    def set(self, key, value, ex):
        return self._reply("set", key, value, ex)

    def incr(self, key):
        return self._reply("incr", key)

    def get(self, key):
        return self._reply("get", key)

    def eval(self, script, numkeys, key):
        return self._reply("eval", script, numkeys, key)

    def delete(self, key):
        return self._reply("delete", key)

    def close(self):
        self.calls.append(("close",))


@pytest.fixture
def fake_redis(monkeypatch):
    holder = {}

    def use(**kwargs):
        client = FakeRedis(**kwargs)
        monkeypatch.setattr(redis_smoke_checks.redis_connection, "connect", lambda settings: client)
        holder["client"] = client
        return client

    return use


def test_round_trip_sequence(fake_redis):
    client = fake_redis()
    result = redis_smoke_checks.run_direct(DirectModule(ttl=30))
    names = [call[0] for call in client.calls]
    assert names == ["ping", "info", "set", "incr", "get", "eval", "delete", "close"]
    key = result["key"]
    assert client.calls[2] == ("set", key, 1, 30)
    assert "EXISTS" in client.calls[5][1]
    assert result["values"] == {"set": True, "incr": 2, "get": "2", "eval": 1, "delete": 1}


def test_swallowed_errors_are_mismatches(fake_redis):
    # What a proxy or a client that ignores exceptions looks like: no error, wrong values.
    fake_redis(replies=dict(set=None, incr=None, get=None))
    with pytest.raises(ProbeError) as raised:
        redis_smoke_checks.run_direct(DirectModule())
    assert raised.value.reason == "mismatch"
    assert "set returned None, expected True" in raised.value.msg
    assert "get returned None, expected '2'" in raised.value.msg


def test_eval_denied_is_acl_and_the_key_is_removed(fake_redis):
    client = fake_redis(errors=dict(eval=deps.redis.exceptions.NoPermissionError("NOPERM no eval for you")))
    with pytest.raises(ProbeError) as raised:
        redis_smoke_checks.run_direct(DirectModule())
    assert raised.value.reason == "acl" and "EVAL" in raised.value.msg
    assert raised.value.facts["values"] == {"set": True, "incr": 2, "get": "2"}
    assert client.calls[-2][0] == "delete", "the probe key must be cleaned up after a failure"


def test_info_denied_is_a_warning_unless_an_assertion_needs_it(fake_redis):
    denied = deps.redis.exceptions.NoPermissionError("NOPERM info")
    fake_redis(errors=dict(info=denied))
    module = DirectModule()
    result = redis_smoke_checks.run_direct(module)
    assert result["server"] == {} and "INFO is not permitted" in module.warnings[0]

    fake_redis(errors=dict(info=denied))
    with pytest.raises(ProbeError) as raised:
        redis_smoke_checks.run_direct(DirectModule(min_version="7.0"))
    assert raised.value.reason == "acl"


def test_check_mode_writes_nothing(fake_redis):
    client = fake_redis()
    result = redis_smoke_checks.run_direct(DirectModule(check_mode=True))
    assert [call[0] for call in client.calls] == ["ping", "info", "close"]
    assert result["values"] == {} and result["msg"].startswith("check mode")


def test_url_password_is_hidden(fake_redis):
    fake_redis()
    module = DirectModule(url="redis://app:pa55word@cache:6379/1", host=None, port=None, db=None)
    redis_smoke_checks.run_direct(module)
    assert module.hidden == {"pa55word"}


def test_unreachable_keeps_latency(fake_redis):
    fake_redis(errors=dict(ping=deps.redis.exceptions.ConnectionError("Error 111 connecting")))
    with pytest.raises(ProbeError) as raised:
        redis_smoke_checks.run_direct(DirectModule())
    assert raised.value.reason == "unreachable" and "connect failed" in raised.value.msg
    assert "connect" in raised.value.facts["latency_ms"]


# The application's container.


class FakeContainer:
    """A container as the Docker SDK shows it: its status, its configured environment and exec_run."""

    def __init__(self, env=None, answer=(0, (b"out\n", None)), calls=None, status="running"):
        self.status = status
        self.attrs = {"Config": {"Env": env}}
        self.answer, self.calls = answer, [] if calls is None else calls

    def exec_run(self, argv, environment=None, workdir=None, demux=False):
        self.calls.append(dict(argv=argv, environment=environment, workdir=workdir, demux=demux))
        return self.answer


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
    clients = engine(**{"bs-core": FakeContainer(["DJANGO_SETTINGS_MODULE=app.settings"])})
    with redis_smoke_checks.running_container("unix:///x.sock", "bs-core") as container:
        assert redis_smoke_checks.container_environment(container) == {"DJANGO_SETTINGS_MODULE": "app.settings"}
        assert redis_smoke_checks.run_in(container, ["true"]) == (0, "out\n", "")
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
    with pytest.raises(ProbeError) as raised, redis_smoke_checks.running_container("unix:///x.sock", "bs-core"):
        pytest.fail("the body must not run")
    assert raised.value.reason == "container" and message in raised.value.msg
    assert clients[0].closed


def test_engine_errors_inside_the_block_are_container_failures(engine):
    clients = engine(**{"bs-core": FakeContainer()})
    with (
        pytest.raises(ProbeError) as raised,
        redis_smoke_checks.running_container("unix:///x.sock", "bs-core", timeout=3),
    ):
        raise deps.RequestException("read timed out")
    assert raised.value.reason == "container" and "gave no answer within 3 s" in raised.value.msg
    with pytest.raises(ProbeError) as raised, redis_smoke_checks.running_container("unix:///x.sock", "bs-core"):
        raise deps.docker_errors.APIError("500 Server Error")
    assert raised.value.reason == "container" and "Docker engine at unix:///x.sock: APIError" in raised.value.msg
    assert all(client.closed for client in clients)


# Just enough of Django's API for the script: setup(), conf.settings, core.cache.caches.
FAKE_DJANGO = {
    "django/__init__.py": """
        import importlib, os
        def setup():
            importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    """,
    "django/conf.py": """
        import importlib, os
        class _Settings:
            def __getattr__(self, name):
                return getattr(importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"]), name)
        settings = _Settings()
    """,
    "django/core/__init__.py": "",
    "django/core/cache.py": """
        from django.conf import settings
        class InvalidCacheBackendError(Exception): pass
        class ResponseError(Exception): pass
        class NoPermissionError(ResponseError): pass
        class Cache:
            def __init__(self, mode):
                self.mode, self.data = mode, {}
            def set(self, key, value, timeout):
                if self.mode != "ignore_exceptions":
                    self.data[key] = value
            def get(self, key):
                return self.data.get(key)
            def incr(self, key):
                if self.mode == "noperm":
                    raise NoPermissionError("NOPERM User app has no permissions to run the 'evalsha' command")
                if key not in self.data:
                    if self.mode == "ignore_exceptions":
                        return None
                    raise ValueError("Key '%s' not found" % key)
                self.data[key] += 1
                return self.data[key]
            def delete(self, key):
                return self.data.pop(key, None) is not None
        class _Caches:
            def __getitem__(self, alias):
                if settings.CACHE_MODE == "invalid":
                    raise InvalidCacheBackendError("Could not find backend 'django_redis.cache.RedisCache'")
                return Cache(settings.CACHE_MODE)
        caches = _Caches()
    """,
}


@pytest.fixture
def app_dir(tmp_path):
    for name, text in FAKE_DJANGO.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def run_script(app_dir, mode, backend="django_redis.cache.RedisCache", check_mode=False, settings_text=None):
    (app_dir / "app_settings.py").write_text(
        settings_text or f"CACHES = {{'default': {{'BACKEND': {backend!r}}}}}\nCACHE_MODE = {mode!r}\n"
    )
    args = dict(key="redis_smoke:abc", ttl=60, timeout=10, check_mode=check_mode)
    proc = subprocess.run(
        [sys.executable, "-c", redis_smoke_checks.DJANGO_SCRIPT, json.dumps(args)],
        capture_output=True, text=True, cwd=app_dir, timeout=30, check=False,
        env={"DJANGO_SETTINGS_MODULE": "app_settings", "PYTHONPATH": str(app_dir)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return redis_smoke_checks.parse_output(proc.stdout)


def test_script_round_trip(app_dir):
    report = run_script(app_dir, "ok")
    assert report["backend"] == "django_redis.cache.RedisCache"
    assert report["values"] == {"set": 1, "incr": 2, "get": 2, "delete": None}
    assert report["stage"] == "done" and "error" not in report
    assert set(report["timings_ms"]) == {"setup", "set", "incr", "get", "delete"}
    assert redis_smoke_checks.mismatches(redis_smoke_checks.DJANGO_EXPECTED, report["values"]) == []


def test_script_check_mode_reads_only_the_backend(app_dir):
    report = run_script(app_dir, "ok", backend="django.core.cache.backends.memcached.PyMemcacheCache", check_mode=True)
    assert report["backend"] == "django.core.cache.backends.memcached.PyMemcacheCache"
    assert report["values"] == {} and set(report["timings_ms"]) == {"setup"}


def test_script_sees_what_ignore_exceptions_hides(app_dir):
    report = run_script(app_dir, "ignore_exceptions")
    assert "error" not in report
    assert report["values"]["set"] is None
    assert redis_smoke_checks.mismatches(redis_smoke_checks.DJANGO_EXPECTED, report["values"])


@pytest.mark.parametrize(
    ("mode", "stage", "reason"),
    [("noperm", "incr", "acl"), ("invalid", "backend", "backend")],
)
def test_script_reports_errors_by_stage(app_dir, mode, stage, reason):
    report = run_script(app_dir, mode)
    assert report["stage"] == stage
    assert redis_smoke_checks.classify_report(report) == reason


def test_script_reports_broken_settings_as_a_container_problem(app_dir):
    report = run_script(app_dir, "ok", settings_text="raise ImportError('No module named django_redis')\n")
    assert report["stage"] == "setup" and redis_smoke_checks.classify_report(report) == "container"


@pytest.mark.parametrize(
    ("types", "message", "reason"),
    [
        (["ValueError", "Exception"], "Key 'x' not found", "mismatch"),
        (["ConnectionError", "RedisError", "Exception"], "Error 111 connecting to bs-redis:6379", "unreachable"),
        (["AuthenticationError", "ConnectionError"], "invalid password", "auth"),
        (["ConnectionRefusedError", "OSError", "Exception"], "[Errno 111] Connection refused", "unreachable"),
        (["MemcacheUnexpectedCloseError", "MemcacheError", "Exception"], "", "unreachable"),
        (["ImproperlyConfigured", "Exception"], "bad CACHES", "backend"),
    ],
)
def test_classify_report(types, message, reason):
    assert redis_smoke_checks.classify_report(dict(stage="set", error=dict(types=types, message=message))) == reason


def test_parse_output_takes_the_last_json_line():
    assert redis_smoke_checks.parse_output('noise\n{"a": 1}\n') == {"a": 1}
    assert redis_smoke_checks.parse_output("{broken\n") is None
    assert redis_smoke_checks.parse_output("") is None


class DjangoModule:
    def __init__(self, check_mode=False, **overrides):
        self.check_mode = check_mode
        self.params = dict(
            container="bs-core", settings_module=None, python="python", workdir=None,
            docker_host="unix:///var/run/docker.sock", exec_timeout=30, expect_backend=None, key_prefix="redis_smoke",
            ttl=60,
        )  # fmt: skip
        self.params.update(overrides)


PROD_ENV = ("PATH=/opt/venv/bin:/usr/bin", "DJANGO_SETTINGS_MODULE=business_suite.settings.prod", "PYTHONUNBUFFERED=1")


@pytest.fixture
def fake_exec(monkeypatch):
    """Replaces the Docker engine with a container whose exec answers a canned script report."""
    calls = []

    def use(report=None, exit_code=0, stderr="", env=PROD_ENV):
        stdout = b"" if report is None else json.dumps(report).encode()
        container = FakeContainer(env, (exit_code, (stdout, stderr.encode())), calls)

        @contextlib.contextmanager
        def running(docker_host, name, timeout=30):
            calls.append(dict(docker_host=docker_host, name=name, timeout=timeout))
            yield container

        monkeypatch.setattr(redis_smoke_checks, "running_container", running)
        return calls

    return use


OK_REPORT = dict(
    stage="done", backend="django_redis.cache.RedisCache", values=dict(set=1, incr=2, get=2, delete=None),
    timings_ms=dict(setup=210.0, set=1.0, incr=1.0, get=0.5, delete=0.7),
)  # fmt: skip


def test_run_ok_in_the_containers_own_environment(fake_exec):
    calls = fake_exec(OK_REPORT)
    result = redis_smoke_checks.run_django(DjangoModule(expect_backend="django_redis.cache.RedisCache"))
    assert result["backend"] == "django_redis.cache.RedisCache" and "round trip ok" in result["msg"]
    assert calls[0] == dict(docker_host="unix:///var/run/docker.sock", name="bs-core", timeout=30)
    assert calls[1]["environment"] is None, "nothing set: the container's DJANGO_SETTINGS_MODULE applies"
    assert calls[1]["argv"][:2] == ["python", "-c"]
    assert json.loads(calls[1]["argv"][3])["key"] == result["key"]
    assert set(result["latency_ms"]) == {"setup", "set", "incr", "get", "delete", "total"}
    assert result["settings_module"] == "business_suite.settings.prod" and result["settings_source"] == "container"
    assert "(business_suite.settings.prod from the container)" in result["msg"]


def test_run_with_settings_module_sets_it(fake_exec):
    calls = fake_exec(OK_REPORT)
    result = redis_smoke_checks.run_django(DjangoModule(settings_module="x.settings", workdir="/usr/src/app"))
    assert calls[1]["environment"] == {"DJANGO_SETTINGS_MODULE": "x.settings"}
    assert calls[1]["workdir"] == "/usr/src/app"
    assert result["settings_module"] == "x.settings" and result["settings_source"] == "option"


@pytest.mark.parametrize("env", [["PATH=/usr/bin"], ["DJANGO_SETTINGS_MODULE="], None])
def test_run_without_any_settings_module_asks_for_the_option(fake_exec, env):
    calls = fake_exec(OK_REPORT, env=env)
    with pytest.raises(ProbeError) as raised:
        redis_smoke_checks.run_django(DjangoModule())
    assert raised.value.reason == "input"
    assert raised.value.msg.startswith("settings_module: container 'bs-core' sets no DJANGO_SETTINGS_MODULE")
    assert "set settings_module" in raised.value.msg
    assert len(calls) == 1, "nothing may run in the container"


def test_container_environment_parses_the_sdk_list():
    container = FakeContainer(["A=1", "B=x=y", "EMPTY=", "BARE"], None, [])
    assert redis_smoke_checks.container_environment(container) == {"A": "1", "B": "x=y", "EMPTY": "", "BARE": ""}
    assert redis_smoke_checks.container_environment(type("C", (), {"attrs": {}})()) == {}


def test_run_wrong_backend_names_both(fake_exec):
    memcached = dict(OK_REPORT, backend="django.core.cache.backends.memcached.PyMemcacheCache")
    fake_exec(memcached)
    with pytest.raises(ProbeError) as raised:
        redis_smoke_checks.run_django(DjangoModule(expect_backend="django_redis.cache.RedisCache"))
    assert raised.value.reason == "backend"
    assert "PyMemcacheCache" in raised.value.msg and "django_redis.cache.RedisCache" in raised.value.msg


def test_run_wrong_values_are_a_mismatch(fake_exec):
    fake_exec(dict(OK_REPORT, values=dict(set=None, incr=None, get=None, delete=None)))
    with pytest.raises(ProbeError) as raised:
        redis_smoke_checks.run_django(DjangoModule())
    assert raised.value.reason == "mismatch" and "IGNORE_EXCEPTIONS" in raised.value.msg


def test_run_without_a_report_is_a_container_problem(fake_exec):
    fake_exec(None, exit_code=126, stderr='OCI runtime exec failed: exec: "python": executable file not found')
    with pytest.raises(ProbeError) as raised:
        redis_smoke_checks.run_django(DjangoModule())
    assert raised.value.reason == "container" and "executable file not found" in raised.value.msg


def test_run_check_mode_passes_check_mode_to_the_script(fake_exec):
    calls = fake_exec(dict(stage="done", backend="x.Cache", values={}, timings_ms=dict(setup=1.0)))
    result = redis_smoke_checks.run_django(DjangoModule(check_mode=True))
    assert json.loads(calls[1]["argv"][3])["check_mode"] is True
    assert result["msg"].startswith("check mode")


@pytest.mark.parametrize(
    ("field", "value"), [("ttl", 0), ("exec_timeout", -1), ("container", ""), ("python", ""), ("settings_module", "")]
)
def test_validate_django(field, value):
    with pytest.raises(InputError, match=f"^{field}: "):
        redis_smoke_checks.validate_django(DjangoModule(**{field: value}).params)
