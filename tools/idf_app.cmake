# The start of this repository's extra ESP-IDF apps for the linux target (bench/c/idf,
# tests/idf/c_api): the repository's components and sdkconfig.defaults, and the
# component manager's lock file kept in the build directory, as the firmware's own
# CMakeLists.txt keeps it. An app's CMakeLists.txt includes this, then calls project().
get_filename_component(luasys_repo "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(EXTRA_COMPONENT_DIRS "${luasys_repo}/components")
set(SDKCONFIG_DEFAULTS "${luasys_repo}/sdkconfig.defaults")
include($ENV{IDF_PATH}/tools/cmake/project.cmake)
idf_build_set_property(DEPENDENCIES_LOCK "${CMAKE_BINARY_DIR}/dependencies.lock")
