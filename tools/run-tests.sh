#!/usr/bin/env bash
# The whole test run, as CI does it: set up, build the native backend, run pytest.
# Extra arguments go to pytest (e.g. `tools/run-tests.sh -k conformance -x`).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/bootstrap.sh --native

if [[ -f host_sim/native/CMakeLists.txt ]]; then
    cmake -S host_sim/native -B build/native -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build/native -j2 >/dev/null
    export LUASYS_REQUIRE_NATIVE=1
fi

exec .venv/bin/python -m pytest "$@"
