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
# libraries the engine links (OpenSSL for HTTPS, zlib for gzip bodies).
BUILD="gcc libc6-dev make cmake pkg-config libluajit2-5.1-dev libuv1-dev libcjson-dev node-llhttp libssl-dev zlib1g-dev"
# Tests: the busted runner under LuaJIT, curl for end-to-end checks, the
# openssl command (the TLS tests make their certificates with it), procps
# (pgrep), Python's jsonschema to check JSON reports against their schema,
# g++ to check that the installed header compiles as C++, the sanitizer
# runtimes of CI's ASan+UBSan and ThreadSanitizer builds (gcc-12's
# libgcc-12-dev depends on them already; named so that a missing one is
# installed, not found missing at link time); chromium and chromium-driver,
# the headless browser that loads the HTML report and the live dashboard
# (tests/e2e/test_html_chromium.sh, test_dashboard_browser.sh; its fonts
# come with fontconfig's dependencies); and prometheus, which scrapes the
# dashboard's /metrics (test_dashboard_prometheus.sh: started by the test
# on loopback, never as a service: see policy-rc.d below); Python's
# kubernetes models and YAML reader, which validate examples/kubernetes/
# offline (tests/e2e/test_kubernetes.sh: no cluster is reached); Open MPI
# (libopenmpi-dev, with the mpicc wrapper CMake's FindMPI asks, and
# openmpi-bin's mpirun), with which the next configure builds the optional
# MPI runs (THRONG_MPI=AUTO) and the suite runs them (tests/mpi). The demo's
# build needs none of it.
TEST="luajit2 lua-busted curl openssl procps python3 python3-jsonschema python3-kubernetes python3-yaml g++ libasan8 libubsan1 libtsan2 chromium chromium-driver prometheus libopenmpi-dev openmpi-bin"
# Fuzzing (tests/fuzz/run.sh): clang with its libFuzzer runtime
# (libclang-rt-14-dev) and llvm-symbolizer (llvm-14). The suite's replays of
# the fuzz corpora build with gcc and need none of them.
FUZZ="clang libclang-rt-14-dev llvm-14"
# Benchmarks: peers and a target to compare against (nghttp2-client is
# h2load, an open-model peer: tests/bench/open_model.sh; that script installs
# its other peer, Artillery, with npm under tests/bench/.npm, not from here).
BENCH="wrk nginx-light python3-locust time nghttp2-client bc"
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
# No package may start a service while it installs (prometheus would listen
# on every address as a daemon): a policy-rc.d that refuses every start,
# for the length of the install, unless the machine has one of its own.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
    own_policy=1
    printf '#!/bin/sh\n# deps/install.sh: no service starts while throng installs its packages\nexit 101\n' |
        $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
fi
rc=0
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
if [ -n "$own_policy" ]; then $SUDO rm -f "$policy"; fi
[ "$rc" -eq 0 ] || exit "$rc"
echo "deps: done"
