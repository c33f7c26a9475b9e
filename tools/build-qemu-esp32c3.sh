#!/usr/bin/env bash
# Builds the firmware (main/ + components/) for the ESP32-C3 into build-qemu-esp32c3/
# with the QEMU kit's idf-qemu.sh (its path: the argument), from sdkconfig.defaults plus
# sdkconfig.defaults.qemu; the device and conformance suites boot it in QEMU
# (tests/esp32c3_qemu.py). The project's own build/ and sdkconfig are not touched. Prints
# the QEMU program the kit provides on stdout; the log goes to build/qemu-esp32c3.log
# and on failure its end is shown.
set -euo pipefail
cd "$(dirname "$0")/.."

kit=${1:?usage: tools/build-qemu-esp32c3.sh PATH/TO/idf-qemu.sh}
BUILD=build-qemu-esp32c3
LOG=build/qemu-esp32c3.log
mkdir -p build
# The sdkconfig defaults only fill in what an sdkconfig lacks, and the list of defaults
# files is fixed when the build directory is configured: start over when they changed.
if [[ ! -f $BUILD/sdkconfig || sdkconfig.defaults -nt $BUILD/sdkconfig || sdkconfig.defaults.qemu -nt $BUILD/sdkconfig ]]; then
    rm -rf "$BUILD"
fi
start=$SECONDS
if ! IDF_QEMU_SDKCONFIG_DEFAULTS="sdkconfig.defaults;sdkconfig.defaults.qemu" "$kit" build . >"$LOG" 2>&1; then
    tail -n 40 "$LOG" >&2
    echo "build-qemu-esp32c3: the build failed (log: $LOG)" >&2
    exit 1
fi
echo "build-qemu-esp32c3: $BUILD/luasys.bin ($((SECONDS - start)) s)" >&2
env_file=$("$kit" setup 2>/dev/null | tail -n 1)
# shellcheck disable=SC1090
(. "$env_file" && echo "$IDF_QEMU_BIN")
