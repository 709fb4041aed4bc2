# LuaJIT, libuv, cJSON, OpenSSL 3 (TLS) and zlib, found through pkg-config (Debian's -dev packages).
find_package(PkgConfig REQUIRED)
pkg_check_modules(LUAJIT REQUIRED IMPORTED_TARGET luajit)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET openssl>=3.0)
# zlib: gzip and deflate response bodies (util/inflate.c).
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
find_package(Threads REQUIRED)
