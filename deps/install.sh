#!/bin/sh
# Installs every Debian package that throng's build, tests and benchmarks need.
# Idempotent: when everything is already installed it only checks and returns.
set -eu

# Build: compiler, CMake, pkg-config and the libraries the engine links.
BUILD="gcc make cmake pkg-config libluajit2-5.1-dev libuv1-dev libcjson-dev node-llhttp libssl-dev"
# Tests: the busted runner under LuaJIT, curl for end-to-end checks, the
# openssl command (the TLS tests make their certificates with it),
# Python's jsonschema to check JSON reports against their schema, and the
# sanitizer runtimes of CI's ASan+UBSan and ThreadSanitizer builds (gcc-12's
# libgcc-12-dev depends on them already; named so that a missing one is
# installed, not found missing at link time), and clang with its libFuzzer
# runtime (libclang-rt-14-dev) and llvm-symbolizer (llvm-14) for the fuzz
# targets of tests/fuzz/run.sh.
TEST="luajit2 lua-busted curl openssl procps python3 python3-jsonschema libasan8 libubsan1 libtsan2
clang libclang-rt-14-dev llvm-14"
# Benchmarks: peers and a target to compare against.
BENCH="wrk nginx-light python3-locust time"

case "${1:-all}" in
build) WANT="$BUILD" ;;
test) WANT="$BUILD $TEST" ;;
all) WANT="$BUILD $TEST $BENCH" ;;
*)
    echo "usage: deps/install.sh [build|test|all]" >&2
    exit 2
    ;;
esac

missing=""
for pkg in $WANT; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done

if [ -z "$missing" ]; then
    echo "deps: all packages present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "deps: installing$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
