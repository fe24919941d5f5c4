# Script strategies build into be_bots (strategies/bots/CMakeLists.txt includes this file):
# the registry names "script" beside the built-in types. Lua 5.4 from Debian (liblua5.4-dev,
# scripts/setup.sh), found through pkg-config.
pkg_check_modules(LUA54 REQUIRED IMPORTED_TARGET lua5.4)
target_sources(be_bots PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/lua_host.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sandbox.cpp
  ${CMAKE_CURRENT_LIST_DIR}/state_codec.cpp
  ${CMAKE_CURRENT_LIST_DIR}/script_api.cpp
  ${CMAKE_CURRENT_LIST_DIR}/script_bot.cpp
  ${CMAKE_CURRENT_LIST_DIR}/upvalue_writes.cpp
)
target_link_libraries(be_bots PUBLIC PkgConfig::LUA54)
