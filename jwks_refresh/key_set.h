// What a fetched document must be before it may replace anything.  JSON is
// parsed by nlohmann-json with a size cap, a depth cap and duplicate keys
// refused; every key a set offers for signatures is imported with OpenSSL,
// so "usable" means "a public key OpenSSL accepts", not "looks like one".
#pragma once

#include <string>
#include <string_view>

#include "jwks_refresh/error.h"

namespace jit::jwks {

struct KeySetSummary {
    size_t usable = 0;   // public signature keys OpenSSL imported
    size_t ignored = 0;  // keys for another use or of a type jit does not verify with
};

// A JWKS (RFC 7517): an object whose "keys" array holds at least one usable
// key of a kind jitd verifies with (RSA of 2048 bits or more, EC P-256 or
// P-384, OKP Ed25519; jit-identity(5)) whose "use", when present, is "sig".
// Other keys are ignored; one of a supported kind that does not import, or
// any key with private members, fails the whole set.
Result<KeySetSummary, Failure> check_key_set(std::string_view text);

// An OpenID provider's configuration: its "issuer" must be exactly the one
// configured (OpenID Connect Discovery 1.0, section 4.3) and its "jwks_uri"
// an https:// URL, which is returned.
Result<std::string, Failure> jwks_uri_from_discovery(std::string_view text,
                                                     const std::string& issuer);

}  // namespace jit::jwks
