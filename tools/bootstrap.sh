#!/usr/bin/env bash
# Sets up this checkout on a fresh machine: a virtualenv (.venv) with the Python side
# (simulator, `luasys` command, test tools). With --native, also the Debian packages
# that the native host build and the C tests need, and the Lua sources of the
# native-lua32 build (tools/fetch-lua-src.sh: the firmware's own, espressif/lua's, into
# build/; it says where it looks).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(build-essential cmake pkg-config liblua5.4-dev clang libclang-rt-14-dev)

if [[ "${1:-}" == "--native" ]]; then
    missing=()
    for package in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
    done
    if ((${#missing[@]})); then
        sudo=""
        [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
    fi
    tools/fetch-lua-src.sh >/dev/null
fi

[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
