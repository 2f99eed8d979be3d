#!/usr/bin/env bash
# ansible-test sanity on the collection, offline-safe:
#  - ansible-test needs the tree at ansible_collections/<namespace>/<name>/, so the files git
#    knows about (tracked, plus untracked ones that are not ignored) are mirrored into
#    build/ansible_collections/revisbali/business_suite/; never collections/ (a link back to
#    the checkout), .venv or .cache.
#  - its --venv bootstrap downloads get-pip.py from a host that is not reachable here; a
#    stand-in placed in its cache installs pip from Python's bundled wheel instead.
# Extra arguments go to ansible-test (e.g. --test validate-modules).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
venv_bin=${VENV_BIN:-$repo/.venv/bin}
python_version=${SANITY_PYTHON:-3.11}
tree=$repo/build/ansible_collections/revisbali/business_suite
export PATH=$venv_bin:$PATH

# ansible-test bootstraps this pip version into its sanity venvs; read it from ansible-test itself.
pip_version=$("$venv_bin/python" - <<'PY'
import pathlib, re, ansible_test
source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", source.read_text()).group(1))
PY
)
get_pip=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ ! -s "$get_pip" ]; then
  mkdir -p "$(dirname "$get_pip")"
  cat >"$get_pip" <<'PY'
# Stand-in for get-pip.py (written by tests/sanity/run.sh): pip from Python's bundled wheel,
# then the version ansible-test asks for, from the package index.
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY
  echo "sanity: wrote pip bootstrap stand-in $get_pip"
fi

# Runs share the mirror: a second one (another `make sanity` on this checkout) waits its turn.
mkdir -p "$repo/build"
exec 9>"$repo/build/.sanity.lock"
flock 9

# A fresh mirror each run (a few MB): nothing stale survives. ansible-test lists files through
# git, and the checkout's git ignores build/, so the mirror gets a throwaway repository of its own.
rm -rf "$tree"
mkdir -p "$tree"
cd "$repo"
git ls-files -z --cached --others --exclude-standard \
  | grep -zvE '^(collections|\.venv|\.cache|build)/' \
  | rsync -a --from0 --ignore-missing-args --files-from=- ./ "$tree/"
git -C "$tree" init -q

cd "$tree"
started=$SECONDS
# sandbox/ and bench/ are not shipped (galaxy.yml build_ignore); pwsh is not available here.
excludes=()
for dir in sandbox bench; do
  [ -d "$dir" ] && excludes+=(--exclude "$dir/")
done
ansible-test sanity --venv --python "$python_version" --color no --skip-test pslint "${excludes[@]}" "$@"
echo "sanity: passed in $((SECONDS - started)) s"
