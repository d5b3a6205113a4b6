// Refreshing one issuer: (discovery), fetch, check, replace.  Any problem
// leaves the issuer's file exactly as it was.
#pragma once

#include <string>

#include "jwks_refresh/fetch.h"
#include "jwks_refresh/key_set.h"
#include "jwks_refresh/replace.h"
#include "jwks_refresh/sources.h"

namespace jit::jwks {

struct Outcome {
    Replaced replaced = Replaced::Unchanged;
    KeySetSummary keys;
    std::string from;  // the URL the key set came from
};

// limits.timeout_ms bounds the whole refresh of this issuer, discovery
// included.
Result<Outcome, Failure> refresh_one(const Source& source, const FetchLimits& limits);

}  // namespace jit::jwks
