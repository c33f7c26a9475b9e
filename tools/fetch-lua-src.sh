#!/usr/bin/env bash
# Puts pristine upstream Lua sources into build/lua-src/lua-<version>/src/ and prints
# build/lua-src/lua-<version>. The native-lua32 build (host_sim/native,
# -DLUASYS_LUA32_SRC=<dir>) compiles them with LUA_32BITS, the number model of the
# firmware's Lua. Does nothing when the sources are there.
#
# The sources are the firmware's own Lua, from the first of:
#  1. managed_components/espressif__lua/lua/: put there by any idf.py build of this
#     project (the ESP-IDF component manager's copy of espressif/lua);
#  2. the ESP component storage in IDF_COMPONENT_LOCAL_STORAGE_URL (file://...; the
#     ESP-IDF kit's env.sh sets it): its espressif/lua archive;
#  3. Debian's lua5.4 source package (its upstream tarball), from the machine's own apt
#     sources (`apt-get source`; they need deb-src entries).
# None of them is downloaded from anywhere this script names.
set -euo pipefail
cd "$(dirname "$0")/.."

DEST=build/lua-src
existing=$(ls -d "$DEST"/lua-5.*/ 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -n "$existing" && -f "$existing/src/lua.h" ]]; then
    echo "${existing%/}"
    exit 0
fi

# Copies the Lua sources in directory $1 (lua.h, *.c, ...) to $DEST/lua-<version>/src.
install_from() {
    local from=$1 version
    version=$(awk '/^#define LUA_VERSION_(MAJOR|MINOR|RELEASE)_N[ \t]/ { v = v (v == "" ? "" : ".") $3 } END { print v }' \
              "$from/lua.h")
    [[ "$version" =~ ^5\.[0-9]+\.[0-9]+$ ]] || { echo "fetch-lua-src: no Lua version in $from/lua.h" >&2; return 1; }
    rm -rf "$DEST/lua-$version"
    mkdir -p "$DEST/lua-$version/src"
    cp "$from"/*.[ch] "$DEST/lua-$version/src/"
    echo "$DEST/lua-$version"
}

mkdir -p "$DEST"
if [[ -f managed_components/espressif__lua/lua/lua.h ]]; then
    install_from managed_components/espressif__lua/lua
    exit 0
fi

storage=${IDF_COMPONENT_LOCAL_STORAGE_URL:-}
archive=$(ls "${storage#file://}"/components/espressif/lua/lua_*.tgz 2>/dev/null | sort -V | tail -n 1 || true)
if [[ "$storage" == file://* && -n "$archive" ]]; then
    unpacked=$(mktemp -d)
    trap 'rm -rf "$unpacked"' EXIT
    tar -xzf "$archive" -C "$unpacked" lua
    install_from "$unpacked/lua"
    exit 0
fi

download=$(mktemp -d)
trap 'rm -rf "$download"' EXIT
if (cd "$download" && apt-get -qq source --download-only --tar-only lua5.4 >&2); then
    tarball=$(ls "$download"/*.orig.tar.* | head -n 1)
    tar -xf "$tarball" -C "$download"
    install_from "$(dirname "$(ls "$download"/lua-5.*/src/lua.h | head -n 1)")"
    exit 0
fi
echo "fetch-lua-src: no Lua sources: build the firmware with ESP-IDF once (idf.py fills" \
     "managed_components/), set up the ESP-IDF kit (its env.sh), or enable deb-src in apt's sources" >&2
exit 1
