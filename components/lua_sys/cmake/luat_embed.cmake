# luat_embed_lua(<lua_dir> <output.c> [LUAC <luac> [LUAC_TARGET <target>] [STRIP <bool>]])
#
# Adds a build step that puts every .lua file under <lua_dir> into <output.c> (a
# table for luat_embed.c). Used by the ESP-IDF component and by the native host build
# alike. The glob is re-checked at every build (CONFIGURE_DEPENDS), so a new .lua file
# needs no CMake edit.
#
# With LUAC, each file goes in as a binary chunk compiled by that compiler
# (host_luac/luat_luac.c), which must be a host build of the target's Lua with the
# target's number model (the header of a chunk checks the sizes of int, Instruction,
# lua_Integer and lua_Number); a true STRIP drops the names of locals and upvalues and
# keeps the lines. LUAC_TARGET names the CMake target that builds it, if any.
# Without LUAC the files go in as source.
set(LUAT_EMBED_GEN_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/luat_embed_gen.cmake")

function(luat_embed_lua lua_dir output)
    cmake_parse_arguments(PARSE_ARGV 2 arg "" "LUAC;LUAC_TARGET;STRIP" "")
    file(GLOB_RECURSE lua_files CONFIGURE_DEPENDS "${lua_dir}/*.lua")
    set(depends ${lua_files} "${LUAT_EMBED_GEN_SCRIPT}")
    set(what "source")
    if(arg_LUAC)
        set(what "bytecode")
        if(arg_STRIP)
            set(what "bytecode without local names")
        endif()
        list(APPEND depends "${arg_LUAC}" ${arg_LUAC_TARGET})
    endif()
    add_custom_command(
        OUTPUT "${output}"
        COMMAND "${CMAKE_COMMAND}" "-DLUA_DIR=${lua_dir}" "-DOUTPUT=${output}"
                "-DLUAC=${arg_LUAC}" "-DSTRIP=$<BOOL:${arg_STRIP}>"
                -P "${LUAT_EMBED_GEN_SCRIPT}"
        DEPENDS ${depends}
        COMMENT "Embedding the Lua runtime files from ${lua_dir} as ${what}"
        VERBATIM)
endfunction()
