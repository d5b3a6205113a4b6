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
#include "jit/failure.h"
#include "jit/result.h"

namespace jit::daemon {

using IssuerSet = std::vector<identity::Issuer>;

// Reads identity.d and the key files; fails (placed at the file) when
// identity.d does not parse.  A key file that fails keeps previous's keys for
// that issuer (journaled IdentityRejected); the set read is journaled
// IdentityLoaded.
Result<std::shared_ptr<const IssuerSet>, Failure> load_issuers(const Config& config,
                                                               const IssuerSet& previous,
                                                               Journal& journal);

}  // namespace jit::daemon
