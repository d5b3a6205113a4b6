// jitd's workload identity issuers: identity.d (config.identity_dir) and each
// issuer's JWKS file, read at start and on SIGHUP.  The runtime owns the
// reading; the request desk owns the set in force.  jitd is one thread, so a
// reload swaps the set between two requests: none in flight is dropped.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/events/journal.h"
#include "daemon/identity/verifier.h"

namespace jit::daemon {

using IssuerSet = std::vector<identity::Issuer>;

// Reads identity.d and the key files; null (with *error) when identity.d
// does not parse.  A key file that fails keeps previous's keys for that
// issuer (journaled IdentityRejected); the set read is journaled IdentityLoaded.
std::shared_ptr<const IssuerSet> load_issuers(const Config& config, const IssuerSet& previous,
                                              Journal& journal, std::string* error);

}  // namespace jit::daemon
