# luat_embed_lua(<lua_dir> <output.c>)
#
# Adds a build step that compiles every .lua file under <lua_dir> into
# <output.c> (a table for luat_embed.c). Used by the ESP-IDF component and by
# the native host build alike. The glob is re-checked at every build
# (CONFIGURE_DEPENDS), so a new .lua file needs no CMake edit.
set(LUAT_EMBED_GEN_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/luat_embed_gen.cmake")

function(luat_embed_lua lua_dir output)
    file(GLOB_RECURSE lua_files CONFIGURE_DEPENDS "${lua_dir}/*.lua")
    add_custom_command(
        OUTPUT "${output}"
        COMMAND "${CMAKE_COMMAND}" "-DLUA_DIR=${lua_dir}" "-DOUTPUT=${output}"
                -P "${LUAT_EMBED_GEN_SCRIPT}"
        DEPENDS ${lua_files} "${LUAT_EMBED_GEN_SCRIPT}"
        COMMENT "Embedding Lua runtime files from ${lua_dir}"
        VERBATIM)
endfunction()
