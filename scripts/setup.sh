#!/usr/bin/env bash
# Create .venv/ at the repo root and install the project (and, with "test", its test tools).
# Re-running is cheap: pip runs only when pyproject.toml changed since the last install. The
# test install is the run install plus the test tools: after `./test.sh`, `./run.sh` installs
# nothing; after `./run.sh`, `./test.sh` adds only the test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-}"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/python -m pip install --quiet --progress-bar off --disable-pip-version-check --upgrade pip
fi
base=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"  # the project and its dependencies
stamp="$base${extra:+-$extra}"
[ -f "$stamp" ] && exit 0
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
if [ -f "$base" ]; then
  # the project is installed: only the extra's own requirements, as pyproject.toml lists them
  mapfile -t tools < <(.venv/bin/python - "$extra" <<'PY'
import sys, tomllib
for req in tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"][sys.argv[1]]:
    print(req)
PY
)
  "${pip[@]}" "${tools[@]}"
else
  spec="."; [ -n "$extra" ] && spec=".[$extra]"
  "${pip[@]}" -e "$spec"
  touch "$base"
fi
touch "$stamp"
