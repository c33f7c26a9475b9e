#!/usr/bin/env bash
# Builds for ESP-IDF's linux target, with the ESP-IDF of the environment (IDF_PATH and
# idf.py from the user's own export.sh, or from the kit's env.sh: .ci/run):
#   tools/build-idf-linux.sh           the firmware (main/ + components/) into
#                                      build/idf-linux/ (luasys.elf)
#   tools/build-idf-linux.sh --bench   also the message benchmark (bench/c/idf) into
#                                      build/idf-linux-bench/ (luasys_bench.elf)
# Each build keeps its sdkconfig and the component manager's lock file in its own
# directory, so the project's sdkconfig (a board's) is never touched. Logs go to
# build/<name>.log; on failure their end is shown.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -n "${IDF_PATH:-}" ]] && command -v idf.py >/dev/null ||
    { echo "build-idf-linux: no ESP-IDF in the environment (IDF_PATH, idf.py)" >&2; exit 1; }

# build PROJECT_DIR NAME: builds PROJECT_DIR into build/NAME.
build() {
    local project=$1 dir=$PWD/build/$2
    mkdir -p "$dir"
    # sdkconfig.defaults only fill in what an sdkconfig lacks: start from them again
    # when they changed, so the build always has the repository's settings.
    if [[ -f "$dir/sdkconfig" && sdkconfig.defaults -nt "$dir/sdkconfig" ]]; then
        rm "$dir/sdkconfig"
    fi
    local start=$SECONDS
    if ! idf.py --preview -C "$project" -B "$dir" -DIDF_TARGET=linux -DSDKCONFIG="$dir/sdkconfig" build \
            >"$dir.log" 2>&1; then
        tail -n 40 "$dir.log" >&2
        echo "build-idf-linux: building $project failed (log: $dir.log)" >&2
        exit 1
    fi
    echo "build-idf-linux: build/$2 ($((SECONDS - start)) s)" >&2
}

build . idf-linux
if [[ "${1:-}" == --bench ]]; then
    build bench/c/idf idf-linux-bench
fi
