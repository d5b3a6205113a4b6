// One HTTPS GET with hard limits, through libcurl.  Only https:// is spoken,
// for the first URL and for every redirect (a redirect to http:// fails);
// the body is capped; the whole transfer, redirects included, has one
// deadline.  Anything but a final 200 is an error.
#pragma once

#include <string>

#include "jwks_refresh/error.h"

namespace jit::jwks {

struct FetchLimits {
    size_t max_bytes = 256 * 1024;  // a JWKS of a large issuer is a few KiB
    long timeout_ms = 10000;        // the whole transfer
    long max_redirects = 3;
    std::string ca_file;  // empty: the system's trust store
};

// remaining_ms (at most limits.timeout_ms) is what is left of the limit when
// this transfer is one of several under it.
Result<std::string, Failure> https_get(const std::string& url, const FetchLimits& limits,
                                       long remaining_ms);

}  // namespace jit::jwks
