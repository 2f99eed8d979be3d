"""files/module_deps_probe.py's package lookup: dpkg for what is installed, apt-cache (slow) only for the
candidates of what is not, and neither when no package is asked about. Stand-in dpkg-query and apt-cache
scripts on PATH print what the real ones print and record how they were called."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).resolve().parents[3] / "roles/redis_cutover/files/module_deps_probe.py"

# dpkg-query --show --showformat '${Package}\t${Status}\t${Version}\n' prints a line for every package it knows
# (a removed one keeps "deinstall ok config-files") and exits 1 when one is unknown.
DPKG = {
    "python3-redis": "python3-redis\tinstall ok installed\t4.3.4-3",
    "python3-docker": "python3-docker\tdeinstall ok config-files\t5.0.3-1",
}
APT_CACHE = {
    "python3-docker": "python3-docker:\n  Installed: (none)\n  Candidate: 5.0.3-1\n  Version table:\n",
    "python3-psycopg": "python3-psycopg:\n  Installed: (none)\n  Candidate: (none)\n",
}


def stand_in(bindir: Path, name: str, answers: dict[str, str], log: Path) -> None:
    script = bindir / name
    script.write_text(
        "#!" + sys.executable + "\n"
        "import json, sys\n"
        f"open({str(log)!r}, 'a').write(json.dumps([{name!r}] + sys.argv[1:]) + '\\n')\n"
        f"answers = {answers!r}\n"
        "names = [a for a in sys.argv[1:] if a.startswith('python3-')]\n"
        "for n in names:\n"
        "    if n in answers: print(answers[n])\n"
        "sys.exit(0 if all(n in answers for n in names) else 1)\n"
    )
    script.chmod(0o755)


@pytest.fixture
def probe(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "calls"
    log.touch()
    stand_in(bindir, "dpkg-query", DPKG, log)
    stand_in(bindir, "apt-cache", APT_CACHE, log)

    def run(packages):
        env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
        out = subprocess.run(
            [sys.executable, str(PROBE), ",".join(packages), str(tmp_path / "venv")],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
        return json.loads(out), [json.loads(line) for line in log.read_text().splitlines()]

    return run


def test_installed_packages_need_no_apt_cache(probe):
    report, calls = probe(["python3-redis"])
    assert report["apt"] == {"python3-redis": {"installed": "4.3.4-3"}}
    assert [call[0] for call in calls] == ["dpkg-query"]


def test_only_the_missing_packages_go_to_apt_cache(probe):
    report, calls = probe(["python3-redis", "python3-docker", "python3-psycopg"])
    assert report["apt"] == {
        "python3-redis": {"installed": "4.3.4-3"},
        # config files left by a removed package do not make it installed
        "python3-docker": {"installed": None, "candidate": "5.0.3-1"},
        "python3-psycopg": {"installed": None, "candidate": None},
    }
    assert calls[-1] == ["apt-cache", "policy", "python3-docker", "python3-psycopg"]


def test_no_packages_no_lookup(probe):
    report, calls = probe([])
    assert report["apt"] is None
    assert calls == []
