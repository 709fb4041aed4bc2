#!/usr/bin/env bash
# test_install.sh - libthrong installed, and used from outside the source
# tree the two ways examples/README.md shows: `cmake --install` into a
# scratch prefix, then
#  (a) examples/smoke-check.c built with cc and nothing but pkg-config
#      (libthrong.so from the prefix), passing against `throng serve` with
#      sane limits and failing with an impossible p99 limit; the same for
#      register-function.c with `pkg-config throng luajit`;
#  (b) a small CMake project doing find_package(throng REQUIRED) and linking
#      throng::throng (register-function.c, run) and throng::throng_static
#      (smoke-check.c, run);
#  (c) the installed `throng` command running from an empty directory: the
#      installed tree holds no Lua file and needs none;
#  (d) the installed throng.h compiling alone with -std=c99 -pedantic.
#
# Needs THRONG (the built binary: its directory is the build directory) and
# THRONG_SOURCE; uses only 127.0.0.1 and ephemeral ports.
. "$(dirname "$0")/lib.sh"

SOURCE=${THRONG_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=$(cd "$(dirname "$THRONG")" && pwd)
PREFIX=$WORK/prefix
[ -f "$BUILD/CMakeCache.txt" ] || fail "$BUILD (the directory of \$THRONG) is not a build directory"

# A sanitized build installs sanitized libraries: what links them must be
# built with the same flags.
SAN=""
grep -q '^THRONG_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" && SAN="-fsanitize=address,undefined"
grep -q '^THRONG_SANITIZE_THREAD:BOOL=ON' "$BUILD/CMakeCache.txt" && SAN="-fsanitize=thread"

# step NAME cmd...: runs a step, bounded; its output is in $WORK/NAME.log
# and shown when it fails.
step() {
    local name=$1
    shift
    timeout 60 "$@" >"$WORK/$name.log" 2>&1 || fail "$name failed (status $?): $*
$(tail -30 "$WORK/$name.log")"
}

step install cmake --install "$BUILD" --prefix "$PREFIX"

# What was installed.
PC=$(find "$PREFIX" -name throng.pc -print | head -1)
[ -n "$PC" ] || fail "no throng.pc under $PREFIX"
PCDIR=$(dirname "$PC")
LIBDIR=$(dirname "$PCDIR")
for f in "$PREFIX/include/throng.h" "$PREFIX/bin/throng" "$LIBDIR/libthrong.a" \
    "$LIBDIR/libthrong.so" "$LIBDIR/cmake/throng/throngConfig.cmake" \
    "$LIBDIR/cmake/throng/throngConfigVersion.cmake" "$LIBDIR/cmake/throng/throngTargets.cmake"; do
    [ -e "$f" ] || fail "not installed: $f ($(cd "$PREFIX" && find . -type f | tr '\n' ' '))"
done
lua_files=$(find "$PREFIX" -name '*.lua')
[ -z "$lua_files" ] || fail "the installed tree holds Lua files: $lua_files"

pc() {
    PKG_CONFIG_PATH=$PCDIR pkg-config "$@"
}
[ "$(pc --variable=libdir throng)" -ef "$LIBDIR" ] || fail "throng.pc's libdir is $(pc --variable=libdir throng), not $LIBDIR"
header_version=$(sed -n 's/^#define THRONG_VERSION_STRING "\(.*\)"$/\1/p' "$PREFIX/include/throng.h")
[ -n "$header_version" ] && [ "$(pc --modversion throng)" = "$header_version" ] ||
    fail "throng.pc's version '$(pc --modversion throng)' is not throng.h's '$header_version'"

# Everything below happens outside the source tree.
APP=$WORK/app
mkdir -p "$APP/pc" "$APP/cmake" "$APP/elsewhere"
cp "$SOURCE/examples/smoke-check.c" "$SOURCE/examples/register-function.c" \
    "$SOURCE/examples/register-function.lua" "$APP/pc/"
cp "$SOURCE/examples/smoke-check.c" "$SOURCE/examples/register-function.c" \
    "$SOURCE/examples/register-function.lua" "$APP/cmake/"
cd "$APP/elsewhere" || fail "cd"

start_server good
start_server slow --latency 20ms

# (d) The installed header alone, strictly.
printf '#include <throng.h>\nint main(void) { return throng_version() == 0; }\n' >"$APP/header.c"
step header-c99 cc -std=c99 -pedantic -Wall -Wextra -Werror -I"$PREFIX/include" \
    -c "$APP/header.c" -o "$APP/header.o"
if command -v c++ >/dev/null; then
    cp "$APP/header.c" "$APP/header.cpp"
    step header-c++ c++ -std=c++11 -pedantic -Wall -Wextra -Werror -I"$PREFIX/include" \
        -c "$APP/header.cpp" -o "$APP/header-cpp.o"
fi

# (a) cc and pkg-config only, against the shared library.
# shellcheck disable=SC2046,SC2086
step pc-smoke cc -std=c11 -Wall -Wextra -Werror $SAN "$APP/pc/smoke-check.c" \
    $(pc --cflags --libs throng) -Wl,-rpath,"$LIBDIR" -o "$APP/pc/smoke-check"
# shellcheck disable=SC2046,SC2086
step pc-register cc -std=c11 -Wall -Wextra -Werror $SAN "$APP/pc/register-function.c" \
    $(pc --cflags --libs throng luajit) -Wl,-rpath,"$LIBDIR" -o "$APP/pc/register-function"
ldd "$APP/pc/smoke-check" | grep -q "libthrong.so.* => $LIBDIR/" ||
    fail "smoke-check does not load libthrong.so from the prefix:
$(ldd "$APP/pc/smoke-check")"

run_app() { # OUT cmd...
    local out=$1
    shift
    timeout 30 "$@" >"$out" 2>&1
    RC=$?
}
run_app "$WORK/pc-pass.out" "$APP/pc/smoke-check" -d 1 -c 2 --max-p99 1000 "$good_ADDR"
expect_rc 0 "$WORK/pc-pass.out"
expect_grep "PASS" "$WORK/pc-pass.out"
run_app "$WORK/pc-fail.out" "$APP/pc/smoke-check" -d 1 -c 2 --max-p99 0.001 "$good_ADDR"
[ "$RC" -ne 0 ] || fail "an impossible p99 limit passed:
$(cat "$WORK/pc-fail.out")"
expect_rc 1 "$WORK/pc-fail.out"
expect_grep "--max-p99" "$WORK/pc-fail.out"
run_app "$WORK/pc-register.out" "$APP/pc/register-function" "$good_ADDR" "$APP/pc/register-function.lua"
expect_rc 0 "$WORK/pc-register.out"
expect_grep "throng.checksum was called" "$WORK/pc-register.out"

# (b) A CMake project of its own.
cat >"$APP/cmake/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.18)
project(throng_embedding C)
find_package(throng REQUIRED)
add_executable(register-function register-function.c)
target_link_libraries(register-function PRIVATE throng::throng)
add_executable(smoke-check smoke-check.c)
target_link_libraries(smoke-check PRIVATE throng::throng_static)
foreach(t register-function smoke-check)
  target_compile_options(${t} PRIVATE -Wall -Wextra -Werror)
endforeach()
EOF
step cmake-configure cmake -S "$APP/cmake" -B "$APP/cmake/build" -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_C_FLAGS=$SAN" "-DCMAKE_EXE_LINKER_FLAGS=$SAN"
grep -q "^throng_DIR:PATH=$LIBDIR/cmake/throng" "$APP/cmake/build/CMakeCache.txt" ||
    fail "find_package(throng) found $(grep '^throng_DIR' "$APP/cmake/build/CMakeCache.txt"), not the prefix's"
step cmake-build cmake --build "$APP/cmake/build"
ldd "$APP/cmake/build/register-function" | grep -q "libthrong.so.* => $LIBDIR/" ||
    fail "register-function does not load libthrong.so from the prefix:
$(ldd "$APP/cmake/build/register-function")"
run_app "$WORK/cmake-register.out" "$APP/cmake/build/register-function" "$good_ADDR" \
    "$APP/cmake/register-function.lua"
expect_rc 0 "$WORK/cmake-register.out"
calls=$(sed -n 's/^throng.checksum was called \([0-9]*\) times.*/\1/p' "$WORK/cmake-register.out")
[ -n "$calls" ] && [ "$calls" -gt 0 ] || fail "no call counted:
$(cat "$WORK/cmake-register.out")"
run_app "$WORK/cmake-smoke.out" "$APP/cmake/build/smoke-check" -d 1 -c 2 --max-p99 10 "$slow_ADDR"
expect_rc 1 "$WORK/cmake-smoke.out"
expect_grep "is over --max-p99 10 ms" "$WORK/cmake-smoke.out"

# (c) The installed command, from a directory with no file of the project,
# with no Lua search path from the environment.
run_app "$WORK/installed-run.out" env -u LUA_PATH -u LUA_CPATH "$PREFIX/bin/throng" run \
    -s "$good_ADDR" -c 2 -d 1 -q --slow-down 0.05
expect_rc 0 "$WORK/installed-run.out"
expect_grep "requests" "$WORK/installed-run.out"
[ -z "$(ls -A "$APP/elsewhere")" ] || fail "the run left files: $(ls -A "$APP/elsewhere")"

echo "ok: install"
