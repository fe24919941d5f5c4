# The fixed dependency set, all from Debian packages (scripts/setup.sh installs them).
# Each becomes an IMPORTED target named dep::<name> so folders link by intent, not by path.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# LMDB: the journal's storage engine.
pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb)
add_library(dep::lmdb ALIAS PkgConfig::LMDB)

# zstd: compression of archived journal segments.
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
add_library(dep::zstd ALIAS PkgConfig::ZSTD)

# liburing: batched capture writes.
pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing)
add_library(dep::uring ALIAS PkgConfig::URING)

# zlib: inflating the venues' zipped historical files (feed/import/zip_reader.hpp says why
# not libzip or minizip).
find_package(ZLIB REQUIRED)
add_library(dep::zlib ALIAS ZLIB::ZLIB)

# simdjson: On-Demand parsing of exchange messages.
find_package(simdjson REQUIRED)
add_library(dep::simdjson ALIAS simdjson::simdjson)

# moodycamel ConcurrentQueue: multi-producer ingress only (docs/ARCHITECTURE.md §2).
find_path(CONCURRENTQUEUE_INCLUDE_DIR concurrentqueue/concurrentqueue.h REQUIRED)
add_library(dep_concurrentqueue INTERFACE)
target_include_directories(dep_concurrentqueue SYSTEM INTERFACE ${CONCURRENTQUEUE_INCLUDE_DIR})
add_library(dep::concurrentqueue ALIAS dep_concurrentqueue)

# ReaderWriterQueue: a benchmark peer for the SPSC ring, never linked into the engine.
find_path(READERWRITERQUEUE_INCLUDE_DIR readerwriterqueue/readerwriterqueue.h)

# Boost.Beast (header-only over Boost.Asio) and OpenSSL for TLS and HMAC.
find_package(Boost 1.74 REQUIRED COMPONENTS system)
find_package(OpenSSL REQUIRED)

if(BE_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(BE_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
