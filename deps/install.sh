#!/bin/sh
# Installs every Debian package that throng's build, tests, benchmarks and
# CI need, so that a minimal Debian 12 (the debian:12 image, a debootstrap
# minbase root) has them all: packages are installed without their
# recommended ones, so each one needed is named here, even one that most
# machines have already. tests/fresh/run.sh checks that on a minbase root.
# Idempotent: when everything is already installed it only checks and returns.
set -eu

# Build: the C compiler with the C library's headers and start files
# (libc6-dev: gcc only recommends it), CMake, make, pkg-config and the
# libraries the engine links (OpenSSL for HTTPS).
BUILD="gcc libc6-dev make cmake pkg-config libluajit2-5.1-dev libuv1-dev libcjson-dev node-llhttp libssl-dev"
# Tests: the busted runner under LuaJIT, curl for end-to-end checks, the
# openssl command (the TLS tests make their certificates with it), procps
# (pgrep), Python's jsonschema to check JSON reports against their schema,
# g++ to check that the installed header compiles as C++, the sanitizer
# runtimes of CI's ASan+UBSan and ThreadSanitizer builds (gcc-12's
# libgcc-12-dev depends on them already; named so that a missing one is
# installed, not found missing at link time); the dashboard's tests
# (tests/e2e/test_dashboard*.sh) load its page in headless Chromium and let
# a real Prometheus scrape its /metrics (started by the test on loopback,
# never as a service).
TEST="luajit2 lua-busted curl openssl procps python3 python3-jsonschema g++ libasan8 libubsan1 libtsan2 chromium prometheus"
# Fuzzing (tests/fuzz/run.sh): clang with its libFuzzer runtime
# (libclang-rt-14-dev) and llvm-symbolizer (llvm-14). The suite's replays of
# the fuzz corpora build with gcc and need none of them.
FUZZ="clang libclang-rt-14-dev llvm-14"
# Benchmarks: peers and a target to compare against (nghttp2-client is
# h2load, an open-model peer: tests/bench/open_model.sh; that script installs
# its other peer, Artillery, with npm under tests/bench/.npm, not from here).
BENCH="wrk nginx-light python3-locust time nghttp2-client"
# CI's check of the README's commands on a fresh Debian root (tests/fresh).
FRESH="debootstrap"

case "${1:-all}" in
build) WANT="$BUILD" ;;
test) WANT="$BUILD $TEST" ;;
fuzz) WANT="$BUILD $FUZZ" ;;
fresh) WANT="$FRESH" ;;
all) WANT="$BUILD $TEST $FUZZ $BENCH $FRESH" ;;
*)
    echo "usage: deps/install.sh [build|test|fuzz|fresh|all]" >&2
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
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
