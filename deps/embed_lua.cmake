# Turns the Lua sources under lua/ and the persona scripts under scripts/
# into one C file, so that the engine carries its Lua side and the bundled
# personas inside the library and needs no files at run time.
#
# Run as a script: cmake -DOUT=file.c -DROOT=<source dir> -DFILES="lua/a.lua|scripts/b.lua"
#                        -P embed_lua.cmake
# Each file becomes an entry {module name, chunk name, bytes, length}:
# lua/throng/x.lua is module throng.x; scripts/watchdog.lua is the built-in
# persona throng.personas.watchdog.
set(body "/* Generated from lua/ and scripts/ by deps/embed_lua.cmake: do not edit. */\n")
string(APPEND body "#include \"lua/lua_embedded.h\"\n\n")
set(table "")
set(i 0)
string(REPLACE "|" ";" FILES "${FILES}")
foreach(rel ${FILES})
  file(READ "${ROOT}/${rel}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
  string(APPEND body "static const char chunk_${i}[] = {\n${bytes}0};\n")
  # lua/throng/personas/table.lua -> throng.personas.table ; lua/throng/init.lua -> throng
  string(REGEX REPLACE "\\.lua$" "" mod "${rel}")
  string(REGEX REPLACE "/init$" "" mod "${mod}")
  string(REGEX REPLACE "^lua/" "" mod "${mod}")
  string(REGEX REPLACE "^scripts/" "throng/personas/" mod "${mod}")
  string(REPLACE "/" "." mod "${mod}")
  string(APPEND table "    {\"${mod}\", \"@${rel}\", chunk_${i}, ${len}},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "\nconst throng__lua_chunk_t throng__lua_chunks[] = {\n${table}    {0, 0, 0, 0}\n};\n")
file(WRITE "${OUT}.tmp" "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
