# Turns one file into a C array, so that the engine carries it (the
# dashboard's page) and needs no file at run time.
#
# Run as a script: cmake -DIN=file -DOUT=file.c -DNAME=symbol -P embed_file.cmake
# It defines `const char NAME[]` (the bytes and a NUL) and
# `const size_t NAME_len` (the bytes without the NUL).
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
set(body "/* Generated from ${NAME}'s file by deps/embed_file.cmake: do not edit. */\n")
string(APPEND body "#include <stddef.h>\n\n")
string(APPEND body "extern const char ${NAME}[];\nextern const size_t ${NAME}_len;\n")
string(APPEND body "const char ${NAME}[] = {\n${bytes}0};\n")
string(APPEND body "const size_t ${NAME}_len = ${len};\n")
file(WRITE "${OUT}.tmp" "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
