"""django mode: the in-container script (run here against a stand-in ``django`` package) and
how the module reads its report."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils import django_cache
from ansible_collections.revisbali.business_suite.plugins.module_utils.container_exec import container_environment
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe import InputError, ProbeError

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
        [sys.executable, "-c", django_cache.SCRIPT, json.dumps(args)],
        capture_output=True, text=True, cwd=app_dir, timeout=30, check=False,
        env={"DJANGO_SETTINGS_MODULE": "app_settings", "PYTHONPATH": str(app_dir)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return django_cache.parse_output(proc.stdout)


def test_script_round_trip(app_dir):
    report = run_script(app_dir, "ok")
    assert report["backend"] == "django_redis.cache.RedisCache"
    assert report["values"] == {"set": 1, "incr": 2, "get": 2, "delete": None}
    assert report["stage"] == "done" and "error" not in report
    assert set(report["timings_ms"]) == {"setup", "set", "incr", "get", "delete"}
    assert django_cache.mismatches(django_cache.EXPECTED, report["values"]) == []


def test_script_check_mode_reads_only_the_backend(app_dir):
    report = run_script(app_dir, "ok", backend="django.core.cache.backends.memcached.PyMemcacheCache", check_mode=True)
    assert report["backend"] == "django.core.cache.backends.memcached.PyMemcacheCache"
    assert report["values"] == {} and set(report["timings_ms"]) == {"setup"}


def test_script_sees_what_ignore_exceptions_hides(app_dir):
    report = run_script(app_dir, "ignore_exceptions")
    assert "error" not in report
    assert report["values"]["set"] is None
    assert django_cache.mismatches(django_cache.EXPECTED, report["values"])


@pytest.mark.parametrize(
    ("mode", "stage", "reason"),
    [("noperm", "incr", "acl"), ("invalid", "backend", "backend")],
)
def test_script_reports_errors_by_stage(app_dir, mode, stage, reason):
    report = run_script(app_dir, mode)
    assert report["stage"] == stage
    assert django_cache.classify(report) == reason


def test_script_reports_broken_settings_as_a_container_problem(app_dir):
    report = run_script(app_dir, "ok", settings_text="raise ImportError('No module named django_redis')\n")
    assert report["stage"] == "setup" and django_cache.classify(report) == "container"


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
def test_classify(types, message, reason):
    assert django_cache.classify(dict(stage="set", error=dict(types=types, message=message))) == reason


def test_parse_output_takes_the_last_json_line():
    assert django_cache.parse_output('noise\n{"a": 1}\n') == {"a": 1}
    assert django_cache.parse_output("{broken\n") is None
    assert django_cache.parse_output("") is None


class FakeModule:
    def __init__(self, check_mode=False, **overrides):
        self.check_mode = check_mode
        self.params = dict(
            container="bs-core", settings_module=None, python="python", workdir=None,
            docker_host="unix:///var/run/docker.sock", exec_timeout=30, expect_backend=None, key_prefix="redis_smoke",
            ttl=60,
        )  # fmt: skip
        self.params.update(overrides)


PROD_ENV = ("PATH=/opt/venv/bin:/usr/bin", "DJANGO_SETTINGS_MODULE=business_suite.settings.prod", "PYTHONUNBUFFERED=1")


class FakeContainer:
    """A running container as the Docker SDK shows it: its configured environment and exec_run."""

    def __init__(self, env, answer, calls):
        self.attrs = {"Config": {"Env": env}}
        self.answer, self.calls = answer, calls

    def exec_run(self, argv, environment=None, workdir=None, demux=False):
        self.calls.append(dict(argv=argv, environment=environment, workdir=workdir, demux=demux))
        return self.answer


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

        monkeypatch.setattr(django_cache, "running_container", running)
        return calls

    return use


OK_REPORT = dict(
    stage="done", backend="django_redis.cache.RedisCache", values=dict(set=1, incr=2, get=2, delete=None),
    timings_ms=dict(setup=210.0, set=1.0, incr=1.0, get=0.5, delete=0.7),
)  # fmt: skip


def test_run_ok_in_the_containers_own_environment(fake_exec):
    calls = fake_exec(OK_REPORT)
    result = django_cache.run(FakeModule(expect_backend="django_redis.cache.RedisCache"))
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
    result = django_cache.run(FakeModule(settings_module="x.settings", workdir="/usr/src/app"))
    assert calls[1]["environment"] == {"DJANGO_SETTINGS_MODULE": "x.settings"}
    assert calls[1]["workdir"] == "/usr/src/app"
    assert result["settings_module"] == "x.settings" and result["settings_source"] == "option"


@pytest.mark.parametrize("env", [["PATH=/usr/bin"], ["DJANGO_SETTINGS_MODULE="], None])
def test_run_without_any_settings_module_asks_for_the_option(fake_exec, env):
    calls = fake_exec(OK_REPORT, env=env)
    with pytest.raises(ProbeError) as raised:
        django_cache.run(FakeModule())
    assert raised.value.reason == "input"
    assert raised.value.msg.startswith("settings_module: container 'bs-core' sets no DJANGO_SETTINGS_MODULE")
    assert "set settings_module" in raised.value.msg
    assert len(calls) == 1, "nothing may run in the container"


def test_container_environment_parses_the_sdk_list():
    container = FakeContainer(["A=1", "B=x=y", "EMPTY=", "BARE"], None, [])
    assert container_environment(container) == {"A": "1", "B": "x=y", "EMPTY": "", "BARE": ""}
    assert container_environment(type("C", (), {"attrs": {}})()) == {}


def test_run_wrong_backend_names_both(fake_exec):
    memcached = dict(OK_REPORT, backend="django.core.cache.backends.memcached.PyMemcacheCache")
    fake_exec(memcached)
    with pytest.raises(ProbeError) as raised:
        django_cache.run(FakeModule(expect_backend="django_redis.cache.RedisCache"))
    assert raised.value.reason == "backend"
    assert "PyMemcacheCache" in raised.value.msg and "django_redis.cache.RedisCache" in raised.value.msg


def test_run_wrong_values_are_a_mismatch(fake_exec):
    fake_exec(dict(OK_REPORT, values=dict(set=None, incr=None, get=None, delete=None)))
    with pytest.raises(ProbeError) as raised:
        django_cache.run(FakeModule())
    assert raised.value.reason == "mismatch" and "IGNORE_EXCEPTIONS" in raised.value.msg


def test_run_without_a_report_is_a_container_problem(fake_exec):
    fake_exec(None, exit_code=126, stderr='OCI runtime exec failed: exec: "python": executable file not found')
    with pytest.raises(ProbeError) as raised:
        django_cache.run(FakeModule())
    assert raised.value.reason == "container" and "executable file not found" in raised.value.msg


def test_run_check_mode_passes_check_mode_to_the_script(fake_exec):
    calls = fake_exec(dict(stage="done", backend="x.Cache", values={}, timings_ms=dict(setup=1.0)))
    result = django_cache.run(FakeModule(check_mode=True))
    assert json.loads(calls[1]["argv"][3])["check_mode"] is True
    assert result["msg"].startswith("check mode")


@pytest.mark.parametrize(
    ("field", "value"), [("ttl", 0), ("exec_timeout", -1), ("container", ""), ("python", ""), ("settings_module", "")]
)
def test_validate(field, value):
    with pytest.raises(InputError, match=f"^{field}: "):
        django_cache.validate(FakeModule(**{field: value}).params)
