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


def run_c(argv):
    """stdout of argv in the C locale ('' when it cannot run); a non-zero exit is an answer, not an error."""
    env = dict(os.environ, LC_ALL="C")
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, check=False)
    except OSError:
        return ""
    return done.stdout.decode("utf-8", "replace")


def dpkg_installed(packages):
    """Installed version of each package that dpkg holds as installed (a removed one's config does not count)."""
    out = run_c(["dpkg-query", "--show", "--showformat", "${Package}\t${Status}\t${Version}\n", *packages])
    found = {}
    for line in out.splitlines():
        name, status, version = [*line.split("\t"), "", ""][:3]
        if status.endswith(" installed") and version:
            found[name.split(":")[0]] = version
    return found


def apt_candidates(packages):
    """Candidate version of each package (None: no package source has it), from apt-cache policy."""
    candidates = {name: None for name in packages}
    current = None
    for line in run_c(["apt-cache", "policy", *packages]).splitlines():
        if line and not line[0].isspace() and line.endswith(":"):
            current = line[:-1] if line[:-1] in candidates else None
        elif current is not None and line.strip().startswith("Candidate:"):
            value = line.strip().partition(":")[2].strip()
            candidates[current] = None if value in ("", "(none)") else value
    return candidates


def apt_policy(packages):
    """Installed and candidate version of each package (None: none), or None without apt.

    dpkg answers for the installed packages at once; apt-cache, which loads every package list (most of a
    second), is asked only for the candidates of the packages that are not installed, the only ones the role
    would install. An installed package's report has no candidate: nothing reads it."""
    if not packages or shutil.which("apt-cache") is None or shutil.which("dpkg-query") is None:
        return None
    installed = dpkg_installed(packages)
    missing = [name for name in packages if name not in installed]
    candidates = apt_candidates(missing) if missing else {}
    policy = {}
    for name in packages:
        if name in installed:
            policy[name] = {"installed": installed[name]}
        else:
            policy[name] = {"installed": None, "candidate": candidates[name]}
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
