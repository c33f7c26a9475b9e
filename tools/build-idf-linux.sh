#!/usr/bin/env bash
# Builds the firmware (main/ + components/) for ESP-IDF's linux target into
# build/idf-linux/ (luasys.elf), with the ESP-IDF of the environment: IDF_PATH and
# idf.py from the user's own export.sh, or from the kit's env.sh (.ci/run). The
# sdkconfig and the component manager's lock file stay in that directory, so the
# project's own sdkconfig (a board's) is never touched. The log goes to
# build/idf-linux.log; on failure its end is shown.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=build/idf-linux
[[ -n "${IDF_PATH:-}" ]] && command -v idf.py >/dev/null ||
    { echo "build-idf-linux: no ESP-IDF in the environment (IDF_PATH, idf.py)" >&2; exit 1; }
mkdir -p "$BUILD"
# sdkconfig.defaults only fill in what an sdkconfig lacks: start from them again when
# they changed, so the build always has the repository's settings.
if [[ -f "$BUILD/sdkconfig" && sdkconfig.defaults -nt "$BUILD/sdkconfig" ]]; then
    rm "$BUILD/sdkconfig"
fi
start=$SECONDS
if ! idf.py --preview -B "$BUILD" -DIDF_TARGET=linux -DSDKCONFIG="$BUILD/sdkconfig" build \
        >"$BUILD.log" 2>&1; then
    tail -n 40 "$BUILD.log" >&2
    echo "build-idf-linux: the build failed (log: $BUILD.log)" >&2
    exit 1
fi
echo "build-idf-linux: $BUILD/luasys.elf ($((SECONDS - start)) s)" >&2
