"""Reports, as JSON on stdout, what the module libraries need on this host. Changes nothing.

Run by the role with the interpreter the modules will use (or, for venv mode, the one that creates the
venv). Arguments: the comma-separated OS packages of redis_cutover_module_system_packages, and the venv path
(whether this user can create it is reported).
Works on Python 3.6+ so that an old host gets a clear refusal rather than a traceback.
"""

import json
import os
import shutil
import subprocess
import sys

LIBRARIES = ("redis", "psycopg", "docker")


def imported_version(name):
    try:
        module = __import__(name)
    except ImportError:
        return None
    return str(getattr(module, "__version__", "0"))


def library_versions():
    try:
        from importlib import metadata  # Python 3.8+
    except ImportError:
        metadata = None
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name) if metadata else imported_version(name)
        except metadata.PackageNotFoundError:
            found[name] = imported_version(name)  # installed without metadata, or not at all
    return found


def apt_policy(packages):
    """Installed and candidate version of each package (None: none), or None without apt-cache."""
    if not packages or shutil.which("apt-cache") is None:
        return None
    env = dict(os.environ, LC_ALL="C")
    out = subprocess.run(
        ["apt-cache", "policy", *packages], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, check=False
    ).stdout.decode("utf-8", "replace")
    policy = {name: {"installed": None, "candidate": None} for name in packages}
    current = None
    for line in out.splitlines():
        if line and not line[0].isspace() and line.endswith(":"):
            current = policy.get(line[:-1])
        elif current is not None and line.strip().startswith(("Installed:", "Candidate:")):
            key, value = line.strip().partition(":")[::2]
            value = value.strip()
            current[key.lower()] = None if value in ("", "(none)") else value
    return policy


def can_make_venv():
    try:
        import ensurepip  # noqa: F401 - Debian ships it in python3-venv
        import venv  # noqa: F401
    except ImportError:
        return False
    return True


def can_create(path):
    """True when this user may create (or write into) path: the nearest existing ancestor is writable."""
    if not path:
        return True
    path = os.path.abspath(path)
    while not os.path.exists(path):
        path = os.path.dirname(path)
    return os.access(path, os.W_OK | os.X_OK)


def main():
    packages = [name for name in (sys.argv[1] if len(sys.argv) > 1 else "").split(",") if name]
    venv_path = sys.argv[2] if len(sys.argv) > 2 else ""
    os_release = {}
    try:
        with open("/etc/os-release", encoding="utf-8") as handle:
            for line in handle:
                key, value = line.strip().partition("=")[::2]
                os_release[key] = value.strip('"')
    except OSError:
        pass
    report = {
        "python": sys.executable,
        "python_version": "%d.%d.%d" % sys.version_info[:3],
        "uid": os.getuid(),
        "os": os_release.get("PRETTY_NAME", "unknown"),
        "os_id": os_release.get("ID", ""),
        "libraries": library_versions(),
        "apt": apt_policy(packages),
        "can_make_venv": can_make_venv(),
        "venv_creatable": can_create(venv_path),
    }
    print(json.dumps(report))


main()
