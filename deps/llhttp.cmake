# llhttp: compiled from the C sources that Debian's node-llhttp package ships.
set(LLHTTP_SOURCE_DIR "/usr/share/llhttp" CACHE PATH "Folder holding llhttp.c, api.c and http.c")
set(LLHTTP_INCLUDE_DIR "/usr/share/include/llhttp" CACHE PATH "Folder holding llhttp.h")

foreach(f llhttp.c api.c http.c)
  if(NOT EXISTS "${LLHTTP_SOURCE_DIR}/${f}")
    message(FATAL_ERROR "llhttp source ${LLHTTP_SOURCE_DIR}/${f} not found: "
                        "install Debian's node-llhttp (deps/install.sh) or set LLHTTP_SOURCE_DIR")
  endif()
endforeach()
if(NOT EXISTS "${LLHTTP_INCLUDE_DIR}/llhttp.h")
  message(FATAL_ERROR "llhttp.h not found in ${LLHTTP_INCLUDE_DIR}: install node-llhttp")
endif()

# An object library: its objects go into libthrong itself (static and
# shared), so an installed libthrong needs no llhttp of its own.
add_library(throng_llhttp OBJECT
  ${LLHTTP_SOURCE_DIR}/llhttp.c ${LLHTTP_SOURCE_DIR}/api.c ${LLHTTP_SOURCE_DIR}/http.c)
target_include_directories(throng_llhttp PUBLIC ${LLHTTP_INCLUDE_DIR})
set_target_properties(throng_llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden)
# Third-party code: build it quietly, whatever our own warning flags are.
target_compile_options(throng_llhttp PRIVATE -w)
