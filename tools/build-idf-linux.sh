#!/usr/bin/env bash
# Builds for ESP-IDF's linux target, with the ESP-IDF of the environment (IDF_PATH and
# idf.py from the user's own export.sh, or from the kit's env.sh: .ci/run):
#   tools/build-idf-linux.sh           the firmware (main/ + components/) into
#                                      build/idf-linux/ (luasys.elf)
#   tools/build-idf-linux.sh --bench   also the message benchmark (bench/c/idf) into
#                                      build/idf-linux-bench/ (luasys_bench.elf)
#   tools/build-idf-linux.sh --sanitize
#                                      also the firmware with AddressSanitizer and
#                                      UndefinedBehaviorSanitizer into build/idf-linux-asan/
#   tools/build-idf-linux.sh --c-api   also the component's C API test (tests/idf/c_api)
#                                      into build/idf-linux-c-api/ (lua_sys_c_api.elf)
# Each build keeps its sdkconfig and the component manager's lock file in its own
# directory, so the project's sdkconfig (a board's) is never touched. Logs go to
# build/<name>.log; on failure their end is shown.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -n "${IDF_PATH:-}" ]] && command -v idf.py >/dev/null ||
    { echo "build-idf-linux: no ESP-IDF in the environment (IDF_PATH, idf.py)" >&2; exit 1; }

# build PROJECT_DIR NAME [IDF.PY OPTION...]: builds PROJECT_DIR into build/NAME.
build() {
    local project=$1 name=$2 dir=$PWD/build/$2
    shift 2
    mkdir -p "$dir"
    # sdkconfig.defaults only fill in what an sdkconfig lacks: start from them again
    # when they changed, so the build always has the repository's settings.
    if [[ -f "$dir/sdkconfig" && sdkconfig.defaults -nt "$dir/sdkconfig" ]]; then
        rm "$dir/sdkconfig"
    fi
    local start=$SECONDS
    if ! idf.py --preview -C "$project" -B "$dir" -DIDF_TARGET=linux -DSDKCONFIG="$dir/sdkconfig" "$@" build \
            >"$dir.log" 2>&1; then
        tail -n 40 "$dir.log" >&2
        echo "build-idf-linux: building $project failed (log: $dir.log)" >&2
        exit 1
    fi
    echo "build-idf-linux: build/$name ($((SECONDS - start)) s)" >&2
}

build . idf-linux
for option in "$@"; do
    case $option in
        --bench) build bench/c/idf idf-linux-bench ;;
        --sanitize) build . idf-linux-asan -DLUASYS_SANITIZE=ON ;;
        --c-api) build tests/idf/c_api idf-linux-c-api ;;
        *) echo "build-idf-linux: unknown option $option" >&2; exit 2 ;;
    esac
done
