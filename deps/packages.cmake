# LuaJIT, libuv, cJSON and OpenSSL 3 (TLS), found through pkg-config (Debian's -dev packages).
find_package(PkgConfig REQUIRED)
pkg_check_modules(LUAJIT REQUIRED IMPORTED_TARGET luajit)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET openssl>=3.0)
find_package(Threads REQUIRED)
