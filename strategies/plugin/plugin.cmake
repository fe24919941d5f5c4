# Plugin bots build into be_bots (strategies/bots/CMakeLists.txt includes this file): the
# registry names "plugin" beside the built-in types. This layer only calls the function
# pointers of plugins the runner loaded (runner/plugin_loader.hpp); it never loads a file.
target_sources(be_bots PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/catalog.cpp
  ${CMAKE_CURRENT_LIST_DIR}/plugin_bot.cpp
)
# The C ABI is included by its path from the repository root ("sdk/include/botengine/sdk.h"),
# so be_bots' users keep their compile lines (and the layer check sees the include).
