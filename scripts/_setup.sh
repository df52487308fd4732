# Shared by scripts/start and scripts/test: a project virtualenv with the package installed.
# Every package at the exact version in constraints.txt (reproducible installs); re-installs
# only when pyproject.toml or constraints.txt changed, so repeated runs start fast.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Waakzaam needs Python 3.11 or newer; none was found on PATH." >&2
  return 1
}

setup_venv() {  # $1: pip extras, e.g. "" or "[test]"
  local extras="${1:-}"
  local stamp=".venv/.installed${extras}"
  local want
  want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
  if [ ! -x .venv/bin/python ]; then
    "$(find_python)" -m venv .venv
  fi
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    .venv/bin/python -m pip install --quiet -c constraints.txt --upgrade pip
    .venv/bin/python -m pip install --quiet -c constraints.txt -e ".${extras}"
    echo "$want" > "$stamp"
  fi
}

keep_bytecode() {  # Python keeps the compiled form of the project's modules, whatever the shell says
  # (PYTHONDONTWRITEBYTECODE): every test worker, command and bot the tests start then reads it
  # instead of compiling the bot and the tests again (3 s of CPU per worker, 0.2 s per process).
  unset PYTHONDONTWRITEBYTECODE
}

scratch_in_memory() {  # the tests' temporary files in memory (tmpfs) when the machine has one
  # SQLite's fsync at every commit then costs nothing (the tests that talk to the bot run a fifth
  # faster). What the tests prove is unchanged: a killed process loses nothing that was
  # committed, fsync or not (the page cache outlives it); a lost disk is not something a test
  # can make.
  if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    TMPDIR="$(mktemp -d /dev/shm/waakzaam-tests-XXXXXX)"
    export TMPDIR
    trap 'rm -rf "$TMPDIR"' EXIT
  fi
}
