// Verifies a workload's OIDC token (a compact JWS) against the configured
// issuers and their key sets: pure logic, the instant injected, no I/O and
// no network (an unknown kid is a refusal, never a fetch).  Each refusal has
// a stable name (jit-identity(5) lists them) and a detail that never
// quotes the token.  Replay is the caller's to judge: it has the memory.
#pragma once

#include <stdint.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/identity/identity_config.h"
#include "daemon/identity/jwks.h"
#include "daemon/time/clock.h"
#include "jit/result.h"

namespace jit::daemon::identity {

enum class Refusal {
    TooLarge,        // more than proto::kMaxIdToken bytes, refused before parsing
    Malformed,       // not three dot-separated parts
    BadBase64,       // a part is not canonical base64url
    BadJson,         // header or payload not a strict JSON object
    DuplicateKey,    // a JSON object names a key twice
    TooDeep,         // JSON nested beyond the cap
    ControlBytes,    // a string or key holds a control character (NUL included)
    AlgNone,         // "alg": "none"
    AlgSymmetric,    // HS256/HS384/HS512: a shared secret is never a workload's proof
    AlgNotAllowed,   // not in the issuer's algorithms allow-list (or unknown)
    AlgKeyMismatch,  // the key's type (or its own alg) does not fit the token's alg
    CritHeader,      // "crit" names extensions jit does not implement
    KidMissing,      // no "kid" in the header
    KidUnknown,      // no key in the set has that kid
    KidAmbiguous,    // more than one key has that kid
    NoKeys,          // the issuer's key set could not be read
    BadSignature,    // the signature does not verify
    IssUnknown,      // no identity.d section has this issuer (exact match)
    AudMissing,      // no "aud"
    AudMismatch,     // "aud" (string or array) holds none of the configured audiences
    SubMissing,      // no "sub" string
    ExpMissing,      // no numeric "exp"
    Expired,         // now >= exp + skew
    NotYetValid,     // now + skew < nbf
    IatMissing,      // no numeric "iat" (token age cannot be judged)
    IatFuture,       // iat > now + skew
    TooOld,          // now - iat > max_token_age + skew
    BadClaim,        // a registered claim has the wrong JSON type
    Replayed,        // judged by the caller: this token (jti or digest) was used before
};
const char* refusal_name(Refusal r);

struct TokenRefused {
    Refusal reason;
    std::string detail;  // says what was wrong; never contains the token
    std::string what() const { return std::string(refusal_name(reason)) + ": " + detail; }
};

struct VerifiedToken {
    std::string provider;  // the identity.d section
    std::string issuer, subject, jti;
    Time exp = 0, iat = 0;
    std::string digest;      // SHA-256 of the whole token, hex: what logs may name
    std::string replay_key;  // SHA-256 of header.payload, hex: the signature cannot vary it
    // Top-level claims with a scalar value, as text (strings as they are,
    // numbers and booleans as JSON writes them).  Arrays and objects are left
    // out: a claim rule can match only a scalar.
    std::map<std::string, std::string> claims;
};

// An issuer with the keys most recently read for it (null: none readable).
struct Issuer {
    Provider config;
    std::shared_ptr<const KeySet> keys;
};

Result<VerifiedToken, TokenRefused> verify_token(std::string_view token,
                                                 const std::vector<Issuer>& issuers, Time now);

// SHA-256 of bytes as lowercase hex.
std::string sha256_hex(std::string_view bytes);

}  // namespace jit::daemon::identity
