# Lua compiled from source with LUA_32BITS (32-bit integers, single-precision
# floats): the number model of the firmware's Lua (espressif/lua). Included by
# CMakeLists.txt when LUASYS_LUA32_SRC names an unpacked upstream Lua source tree
# (tools/fetch-lua-src.sh puts one in build/lua-src/); defines the target `lua32`,
# which the lua_sys library then links instead of the system's Lua 5.4.
if(NOT EXISTS "${LUASYS_LUA32_SRC}/src/lua.h" OR NOT EXISTS "${LUASYS_LUA32_SRC}/src/luaconf.h")
    message(FATAL_ERROR "LUASYS_LUA32_SRC=${LUASYS_LUA32_SRC}: no Lua source tree (src/lua.h)")
endif()

# The sources are copied with LUA_32BITS switched on in luaconf.h itself, so that
# every file including lua.h sees the same configuration. (A -DLUA_32BITS on the
# command line is not enough: Lua 5.4.5..5.4.x say `#define LUA_32BITS 0`, 5.5
# `/* #define LUA_32BITS */`; lua.h includes "luaconf.h" from its own directory.)
set(lua32_dir "${CMAKE_CURRENT_BINARY_DIR}/lua32/src")
file(GLOB lua32_files "${LUASYS_LUA32_SRC}/src/*.[ch]")
file(MAKE_DIRECTORY "${lua32_dir}")
foreach(file IN LISTS lua32_files)
    get_filename_component(name "${file}" NAME)
    if(name STREQUAL "luaconf.h")
        file(READ "${file}" text)
        string(REGEX REPLACE "\n(/\\* *)?#define[ \t]+LUA_32BITS[^\n]*" "\n#define LUA_32BITS\t1 /* LuaSys: the firmware's number model */" patched "${text}")
        if(patched STREQUAL text)
            message(FATAL_ERROR "${file}: no LUA_32BITS line to switch on")
        endif()
        file(WRITE "${lua32_dir}/${name}.new" "${patched}")
        # Rewrite only on change, so a re-configure does not rebuild Lua.
        configure_file("${lua32_dir}/${name}.new" "${lua32_dir}/${name}" COPYONLY)
    else()
        configure_file("${file}" "${lua32_dir}/${name}" COPYONLY)
    endif()
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${LUASYS_LUA32_SRC}/src/luaconf.h")

file(GLOB lua32_srcs "${lua32_dir}/*.c")
# The library only: not the stand-alone interpreter, the compiler, the one-file build.
list(FILTER lua32_srcs EXCLUDE REGEX "/(lua|luac|onelua)\\.c$")
# Fails the build if the configuration did not take.
file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/lua32/lua32_check.c.new"
"#include \"lua.h\"\n"
"_Static_assert(sizeof(lua_Integer) == 4, \"LUA_32BITS: lua_Integer must be 32-bit\");\n"
"_Static_assert(sizeof(lua_Number) == 4, \"LUA_32BITS: lua_Number must be float\");\n")
configure_file("${CMAKE_CURRENT_BINARY_DIR}/lua32/lua32_check.c.new"
               "${CMAKE_CURRENT_BINARY_DIR}/lua32/lua32_check.c" COPYONLY)
add_library(lua32 STATIC ${lua32_srcs} "${CMAKE_CURRENT_BINARY_DIR}/lua32/lua32_check.c")
target_compile_definitions(lua32 PRIVATE LUA_USE_LINUX)
# Upstream code: our -Wall -Wextra -Werror is for our own sources.
target_compile_options(lua32 PRIVATE -w)
target_include_directories(lua32 PUBLIC "${lua32_dir}")
target_link_libraries(lua32 PUBLIC m ${CMAKE_DL_LIBS})
message(STATUS "Lua with LUA_32BITS from ${LUASYS_LUA32_SRC}")

# The firmware's host compiler with the same number model, which compiles the runtime's
# Lua files to the bytecode the image embeds (components/lua_sys/cmake/luat_embed.cmake).
add_executable(luac32 "${COMPONENT_DIR}/cmake/host_luac/luat_luac.c")
target_link_libraries(luac32 PRIVATE lua32)
