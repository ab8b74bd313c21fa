#!/usr/bin/env bash
# Install everything (with the test tools) and run the whole test suite. Installs nothing outside
# .venv/: the browser tests need Debian's chromium (/usr/bin/chromium; `.ci/run` installs it) and
# are skipped, with a line saying so, when it is missing.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh test
if [ ! -x /usr/bin/chromium ]; then
  echo "chromium (/usr/bin/chromium) is not installed: the browser tests are skipped." \
       "Install it with 'apt-get install chromium' (as root), as .ci/run does." >&2
fi
exec .venv/bin/python -m pytest "$@"
