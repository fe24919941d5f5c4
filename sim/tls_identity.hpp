// The simulator's TLS identity is the server scaffold's (net/server/tls_identity.hpp); this
// header keeps the be::sim names that the simulator's configuration and its tests use.
#pragma once

#include "net/server/tls_identity.hpp"

namespace be::sim {

using net::server::load_tls_identity;
using net::server::make_self_signed_identity;
using net::server::SelfSignedOptions;
using net::server::TlsIdentity;

}  // namespace be::sim
