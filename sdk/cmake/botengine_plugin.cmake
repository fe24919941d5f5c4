# botengine_add_plugin(TARGET SOURCE...): a plugin the engine loads with dlopen (a MODULE
# library, no "lib" prefix), exporting only its entry point (BOTENGINE_PLUGIN) so two plugins
# in one process never bind to each other's symbols.
function(botengine_add_plugin target)
  add_library(${target} MODULE ${ARGN})
  target_link_libraries(${target} PRIVATE botengine::sdk)
  set_target_properties(${target} PROPERTIES PREFIX "" CXX_VISIBILITY_PRESET hidden
                                             VISIBILITY_INLINES_HIDDEN ON)
endfunction()
