#!/usr/bin/env bash
# The whole test run, as CI does it: set up, build the native backend (plain and with
# AddressSanitizer + UndefinedBehaviorSanitizer), run pytest.
# Extra arguments go to pytest (e.g. `tools/run-tests.sh -k conformance -x`).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/bootstrap.sh --native

cmake -S host_sim/native -B build/native -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/native -j2 >/dev/null
cmake -S host_sim/native -B build/native-asan -DLUASYS_SANITIZE=ON >/dev/null
cmake --build build/native-asan -j2 >/dev/null
export LUASYS_REQUIRE_NATIVE=1

exec .venv/bin/python -m pytest "$@"
