#!/usr/bin/env bash
# Puts pristine upstream Lua sources into build/lua-src/lua-<version>/ and prints that
# directory. The native-lua32 build (host_sim/native, -DLUASYS_LUA32_SRC=<dir>)
# compiles them with LUA_32BITS, the number model of the firmware's Lua.
#
# The sources are the upstream tarball (the "orig" tarball) of Debian's source
# package, fetched by apt-get from Debian's archive and checked against its signed
# index: Lua 5.5, the device's version (espressif/lua 5.5.x), which only Debian's
# unstable suite packages; Lua 5.4 from the same suite if 5.5 is not to be had.
# apt runs on a private configuration under build/lua-src/apt/: nothing on the
# system changes and no root is needed. Does nothing when the sources are there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEST=build/lua-src
existing=$(ls -d "$DEST"/lua-5.*/ 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -n "$existing" && -f "$existing/src/lua.h" ]]; then
    echo "${existing%/}"
    exit 0
fi

APT="$PWD/$DEST/apt"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/download"
cat >"$APT/sources.list" <<'EOF'
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian unstable main
EOF
apt_opts=(-qq -o "Dir::Etc::sourcelist=$APT/sources.list" -o Dir::Etc::sourceparts=-
          -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o Debug::NoLocking=1
          -o "APT::Sandbox::User=$(id -un)")
apt-get "${apt_opts[@]}" update >&2
cd "$APT/download"
rm -f ./*.orig.tar.*
for package in lua5.5 lua5.4; do
    if apt-get "${apt_opts[@]}" source --download-only --tar-only "$package" >&2; then
        break
    fi
done
tarball=$(ls "$APT"/download/*.orig.tar.* 2>/dev/null | head -n 1 || true)
[[ -n "$tarball" ]] || { echo "fetch-lua-src: no Lua source package could be fetched" >&2; exit 1; }
cd - >/dev/null
tar -xf "$tarball" -C "$DEST"
dir=$(ls -d "$DEST"/lua-5.*/ | sort -V | tail -n 1)
echo "${dir%/}"
