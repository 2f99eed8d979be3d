"""The execution environment definition: ansible-builder writes its build context offline, with the
collection's Python and system requirements and the collection tarball of this checkout pinned to its
version, and every pin matches the toolchain the tests use."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from awx_data import REPO, load_data
from packaging.requirements import Requirement

BIN = Path(sys.executable).parent
EE_FILE = REPO / "execution-environment.yml"
COLLECTION_EE_FILE = REPO / "meta" / "execution-environment.yml"
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
FQCN = f"{GALAXY['namespace']}.{GALAXY['name']}"
VERSION = GALAXY["version"]
# What make build (tests/build/run.sh) writes, relative to the checkout.
TARBALL = Path("build") / "collection" / f"{GALAXY['namespace']}-{GALAXY['name']}-{VERSION}.tar.gz"


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


def build_tarball(output: Path) -> Path:
    """The collection tarball of this checkout, built as make build builds it."""
    output.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [BIN / "ansible-galaxy", "collection", "build", "--force", "--output-path", output, REPO],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (tarball,) = output.glob("*.tar.gz")
    return tarball


def collection_requirement(galaxy: dict) -> dict:
    (entry,) = [item for item in galaxy["collections"] if item["name"] == FQCN]
    return entry


@pytest.fixture(scope="module")
def checkout_copy(tmp_path_factory) -> Path:
    """The EE definition and the files it names, with the tarball where make build puts it. A copy, so the
    test never races make build over the checkout's build/ directory."""
    root = tmp_path_factory.mktemp("ee-checkout")
    shutil.copy(EE_FILE, root / EE_FILE.name)
    (root / "meta").mkdir()
    for name in ("ee-requirements.txt", "ee-bindep.txt"):
        shutil.copy(REPO / "meta" / name, root / "meta" / name)
    build_tarball(root / TARBALL.parent)
    return root


@pytest.fixture(scope="module")
def build_context(checkout_copy) -> Path:
    context = checkout_copy / "context"
    subprocess.run(
        [BIN / "ansible-builder", "create", "-f", EE_FILE.name, "-c", context, "--output-filename", "Containerfile"],
        cwd=checkout_copy,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        # No network: create must work from the checkout alone.
        env={"PATH": str(BIN), "HOME": str(checkout_copy), "no_proxy": "*", "https_proxy": "http://127.0.0.1:9"},
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
    # Every dependency galaxy.yml declares, pinned before the collection so that installing its tarball pulls
    # nothing from Galaxy, plus ansible.posix for the project's ansible.cfg (profile_tasks); the collection last.
    dependencies = yaml.safe_load((REPO / "galaxy.yml").read_text())["dependencies"]
    assert sorted(names[:-1]) == sorted([*dependencies, "ansible.posix"])
    assert names[-1] == FQCN
    assert not any(repository in str(collection.values()) for collection in galaxy["collections"])


def test_the_collection_comes_from_the_tarball_in_the_context_pinned_to_its_version(build_context):
    galaxy = yaml.safe_load((build_context / "_build" / "requirements.yml").read_text())
    entry = collection_requirement(galaxy)
    assert entry["type"] == "file"
    assert entry["version"] == f"=={VERSION}"
    # The galaxy stage copies _build to /build and installs from there: the source resolves inside _build.
    tarball = build_context / "_build" / entry["source"]
    assert tarball.is_file(), f"{entry['source']} is not in the build context"
    assert tarball.name == TARBALL.name
    with tarfile.open(tarball) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["version"] == VERSION
    containerfile = (build_context / "Containerfile").read_text()
    assert "COPY _build /build" in containerfile
    assert "WORKDIR /build" in containerfile


def test_the_galaxy_stage_installs_exactly_that_version_offline(build_context, tmp_path):
    """The collection install of the galaxy stage, run on the context as the image build runs it (cwd /build).
    Its dependencies come from Galaxy in a real build; here they are left out, and nothing needs the network."""
    build = build_context / "_build"
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    entry = collection_requirement(galaxy)
    only_this = tmp_path / "requirements.yml"
    only_this.write_text(yaml.safe_dump({"collections": [entry]}))
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\n")

    def install(requirements: Path, into: Path) -> subprocess.CompletedProcess:
        # Only `into` is a collections path, as in the image: a copy installed elsewhere must not satisfy it.
        env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
        return subprocess.run(
            [BIN / "ansible-galaxy", "collection", "install", "--no-deps", "-r", requirements, "-p", into],
            cwd=build,
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
            env={**env, "ANSIBLE_COLLECTIONS_PATH": str(into), "ANSIBLE_CONFIG": str(config)},
        )

    installed = install(only_this, tmp_path / "installed")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    manifest = tmp_path / "installed" / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"] / "MANIFEST.json"
    assert json.loads(manifest.read_text())["collection_info"]["version"] == VERSION

    # A tarball of another version under the pinned name would fail the build, not slip in.
    other = tmp_path / "other.yml"
    other.write_text(yaml.safe_dump({"collections": [{**entry, "version": "==99.0.0"}]}))
    refused = install(other, tmp_path / "refused")
    assert refused.returncode != 0
    assert "does not satisfy" in refused.stdout + refused.stderr


def test_the_definition_pins_the_tarball_and_the_version_of_galaxy_yml():
    definition = yaml.safe_load(EE_FILE.read_text())
    (build_file,) = definition["additional_build_files"]
    assert build_file["src"] == str(TARBALL), "the EE copies the tarball make build writes"
    entry = collection_requirement(definition["dependencies"]["galaxy"])
    assert Path(entry["source"]) == Path(build_file["dest"]) / TARBALL.name
    assert entry["version"] == f"=={VERSION}"


def test_the_image_tag_carries_the_collection_version():
    tags = yaml.safe_load(EE_FILE.read_text())["options"]["tags"]
    assert tags
    assert all(tag.rsplit(":", 1)[1] == VERSION for tag in tags), tags
    image = load_data()["awx_execution_environment_image"]
    assert image.rsplit(":", 1)[1] == VERSION, "settings.yml names the image of this version"


def test_the_build_needs_no_git(build_context):
    definition = yaml.safe_load(EE_FILE.read_text())
    assert all(item.get("type") != "git" for item in definition["dependencies"]["galaxy"]["collections"])
    assert not re.search(r"\bgit\b", (build_context / "Containerfile").read_text())


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
