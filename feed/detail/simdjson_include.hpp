// simdjson, included once for feed/: GCC's -Wnull-dereference misfires on the inlined
// token iterator (a flow-analysis false positive inside the library); silence it for the
// library's lines only, our code keeps the warning.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <simdjson.h>
#pragma GCC diagnostic pop
