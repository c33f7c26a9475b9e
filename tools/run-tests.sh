#!/usr/bin/env bash
# The whole test run, as CI does it: set up, build the native backend (plain, with
# AddressSanitizer + UndefinedBehaviorSanitizer, and against a Lua built with
# LUA_32BITS like the firmware's), build the firmware for ESP-IDF's linux target (plain,
# and with AddressSanitizer + UndefinedBehaviorSanitizer) when an ESP-IDF is set up
# (IDF_PATH and idf.py: your own after its export.sh, or the kit:
# . "$(../shared/esp-idf-kit/idf-kit.sh | tail -n 1)"; .ci/run does that) and, with the
# QEMU kit, the firmware for the ESP32-C3; run pytest.
# tests/fuzz builds the libFuzzer targets itself and fuzzes each for a few seconds.
# Extra arguments go to pytest (e.g. `tools/run-tests.sh -k conformance -x`).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/bootstrap.sh --native

cmake -S host_sim/native -B build/native -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/native -j2 >/dev/null
cmake -S host_sim/native -B build/native-asan -DLUASYS_SANITIZE=ON >/dev/null
cmake --build build/native-asan -j2 >/dev/null
lua32_src=$(tools/fetch-lua-src.sh) # no-op after bootstrap; prints the source directory
cmake -S host_sim/native -B build/native-lua32 -DLUASYS_LUA32_SRC="$lua32_src" >/dev/null
cmake --build build/native-lua32 -j2 >/dev/null
export LUASYS_REQUIRE_NATIVE=1
if [[ -n "${IDF_PATH:-}" ]] && command -v idf.py >/dev/null; then
    tools/build-idf-linux.sh --sanitize --c-api
    export LUASYS_REQUIRE_IDF=1
elif [[ "${LUASYS_REQUIRE_IDF:-}" == 1 ]]; then
    echo "run-tests: LUASYS_REQUIRE_IDF=1 but no ESP-IDF is set up (IDF_PATH, idf.py)" >&2
    exit 1
fi
export LUASYS_REQUIRE_FUZZ=1
# The firmware for the ESP32-C3, booted in QEMU by the device suite (--luasys-device
# qemu), when the QEMU kit is there (LUASYS_IDF_QEMU_SH, which .ci/run sets, else
# ../shared/esp-idf-kit/idf-qemu.sh); then those tests are required. Your own ESP-IDF and
# QEMU: docs/firmware.md.
qemu_kit=${LUASYS_IDF_QEMU_SH:-../shared/esp-idf-kit/idf-qemu.sh}
if [[ -x "$qemu_kit" ]]; then
    LUASYS_QEMU=$(tools/build-qemu-esp32c3.sh "$qemu_kit")
    export LUASYS_QEMU
    export LUASYS_REQUIRE_QEMU=1
elif [[ "${LUASYS_REQUIRE_QEMU:-}" == 1 ]]; then
    echo "run-tests: LUASYS_REQUIRE_QEMU=1 but the QEMU kit is not there ($qemu_kit)" >&2
    exit 1
fi

exec .venv/bin/python -m pytest "$@"
