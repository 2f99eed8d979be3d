"""The execution environment definition: ansible-builder writes its build context offline, with the
collection's Python and system requirements, and every pin matches the toolchain the tests use."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from awx_data import REPO
from packaging.requirements import Requirement

BIN = Path(sys.executable).parent
EE_FILE = REPO / "execution-environment.yml"
COLLECTION_EE_FILE = REPO / "meta" / "execution-environment.yml"


def requirement_pins(path: Path) -> dict[str, str]:
    """name[extras] -> specifier of a pip requirements file (comments and includes left out)."""
    lines = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    requirements = [Requirement(line) for line in lines if line and not line.startswith("-")]
    return {
        req.name.lower() + "".join(f"[{extra}]" for extra in sorted(req.extras)): str(req.specifier)
        for req in requirements
    }


def ee_pins() -> dict[str, str]:
    """The modules' libraries (requirements.txt) plus the controller's own: ruamel.yaml for the compose edit."""
    controller = {"ruamel.yaml": requirement_pins(REPO / "requirements-dev.in")["ruamel.yaml"]}
    return requirement_pins(REPO / "requirements.txt") | controller


def bindep_packages(path: Path) -> list[str]:
    return [line.split()[0] for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def build_context(tmp_path_factory) -> Path:
    context = tmp_path_factory.mktemp("ee") / "context"
    subprocess.run(
        [BIN / "ansible-builder", "create", "-f", EE_FILE, "-c", context, "--output-filename", "Containerfile"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return context


def test_create_writes_a_build_context_offline(build_context):
    containerfile = (build_context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile
    assert "introspect" in containerfile
    for name in ("requirements.txt", "bindep.txt", "requirements.yml"):
        assert (build_context / "_build" / name).is_file()


def test_the_context_carries_the_collection_python_requirements(build_context):
    context_pins = requirement_pins(build_context / "_build" / "requirements.txt")
    assert context_pins == ee_pins()


def test_the_context_carries_the_collection_system_requirements(build_context):
    packages = bindep_packages(build_context / "_build" / "bindep.txt")
    assert packages == bindep_packages(REPO / "meta" / "ee-bindep.txt")
    assert "openssh-clients" in packages


def test_the_context_installs_the_collections_the_cutover_uses(build_context):
    galaxy = yaml.safe_load((build_context / "_build" / "requirements.yml").read_text())
    names = [collection["name"] for collection in galaxy["collections"]]
    repository = yaml.safe_load((REPO / "galaxy.yml").read_text())["repository"]
    assert names[:3] == ["community.docker", "community.general", "ansible.posix"]
    assert names[3] == f"{repository}.git"


def test_the_collection_metadata_points_at_its_requirement_files():
    dependencies = yaml.safe_load(COLLECTION_EE_FILE.read_text())["dependencies"]
    assert dependencies == {"python": "meta/ee-requirements.txt", "system": "meta/ee-bindep.txt"}
    assert requirement_pins(REPO / dependencies["python"]) == ee_pins()


def test_ee_pins_match_the_tested_toolchain():
    definition = yaml.safe_load(EE_FILE.read_text())["dependencies"]
    dev_pins = requirement_pins(REPO / "requirements-dev.in")
    assert definition["ansible_core"]["package_pip"] == f"ansible-core{dev_pins['ansible-core']}"
    assert definition["ansible_runner"]["package_pip"] == f"ansible-runner{dev_pins['ansible-runner']}"
    for collection in definition["galaxy"]["collections"][:3]:
        (installed,) = importlib.util.find_spec(f"ansible_collections.{collection['name']}").submodule_search_locations
        manifest = json.loads((Path(installed) / "MANIFEST.json").read_text())
        assert collection["version"] == manifest["collection_info"]["version"], collection["name"]


def test_a_built_collection_carries_its_ee_metadata(tmp_path):
    subprocess.run(
        [BIN / "ansible-galaxy", "collection", "build", "--output-path", tmp_path, REPO],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (tarball,) = tmp_path.glob("*.tar.gz")
    listing = subprocess.run(["tar", "-tzf", tarball], check=True, capture_output=True, text=True).stdout.split()
    for member in ("meta/execution-environment.yml", "meta/ee-requirements.txt", "meta/ee-bindep.txt"):
        assert member in listing
