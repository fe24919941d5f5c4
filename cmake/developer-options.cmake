# Developer options in one place (STYLE.md #10): warnings and sanitizers live on INTERFACE
# targets that only our own targets link, so third-party headers compiled as SYSTEM are not
# held to -Werror and a sanitizer build instruments exactly our code plus what it inlines.

option(BE_WERROR "Treat warnings as errors on botengine's own targets" ON)
set(BE_SANITIZER "" CACHE STRING "Sanitizer build: '', 'address' (ASan+UBSan) or 'thread' (TSan)")
set_property(CACHE BE_SANITIZER PROPERTY STRINGS "" address thread)

add_library(be_warnings INTERFACE)
# Not -Wnull-dereference: at -O3, GCC 12 reports it from inside libstdc++ (streambuf,
# istreambuf_iterator) for code that is fine, and warnings here are errors.
target_compile_options(be_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2)
if(BE_WERROR)
  target_compile_options(be_warnings INTERFACE -Werror)
endif()

add_library(be_sanitizers INTERFACE)
if(BE_SANITIZER STREQUAL "address")
  target_compile_options(be_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(be_sanitizers INTERFACE -fsanitize=address,undefined)
  target_compile_definitions(be_sanitizers INTERFACE BE_SANITIZER_ADDRESS=1)
elseif(BE_SANITIZER STREQUAL "thread")
  target_compile_options(be_sanitizers INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(be_sanitizers INTERFACE -fsanitize=thread)
  target_compile_definitions(be_sanitizers INTERFACE BE_SANITIZER_THREAD=1)
elseif(NOT BE_SANITIZER STREQUAL "")
  message(FATAL_ERROR "BE_SANITIZER must be '', 'address' or 'thread', not '${BE_SANITIZER}'")
endif()

# Every botengine target calls this: C++20, our warnings, the sanitizer of this build.
function(be_target_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_link_libraries(${target} PRIVATE be_warnings)
  target_link_libraries(${target} PUBLIC be_sanitizers)
endfunction()
