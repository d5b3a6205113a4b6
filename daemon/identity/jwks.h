// A JSON Web Key Set (RFC 7517) as an issuer publishes it: the public keys
// its tokens may be signed with, read from a file jit-jwks-refresh keeps
// fresh (jitd itself never fetches).  Only signing keys jit can use are
// kept: RSA (2048 bits or more), EC P-256 and P-384, OKP Ed25519; others
// (encryption keys, unknown types) are skipped and counted, not errors,
// since a real issuer's set may hold them.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jit/result.h"

namespace jit::daemon::identity {

enum class KeyType { Rsa, P256, P384, Ed25519 };
const char* key_type_name(KeyType t);

struct Jwk {
    std::string kid;  // empty: the key has none and no token can name it
    std::string alg;  // the key's "alg", if it names one
    KeyType type = KeyType::Rsa;
    std::shared_ptr<EVP_PKEY> key;
};

struct KeySet {
    std::vector<Jwk> keys;
    size_t skipped = 0;  // keys present but not usable for signatures here
};

inline constexpr size_t kMaxJwksBytes = 256 * 1024;
inline constexpr size_t kMaxJwksKeys = 64;

// Refuses text that is not strict JSON (json_strict.h), not {"keys":[...]},
// or holds a malformed key of a supported type.
Result<KeySet, std::string> parse_jwks(std::string_view text);

}  // namespace jit::daemon::identity
