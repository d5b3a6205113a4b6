// Signs JSON Web Tokens and writes JWKS documents with OpenSSL, for the
// tests only: jwt-mint (tests/helpers/jwt_mint.cc) and the unit tests mint
// every token jitd is shown with keys the tests generate.  It signs whatever
// header and payload text it is given, byte for byte, so a test can build a
// hostile token (duplicate keys, a header that lies about its alg) with a
// valid signature.  Errors are thrown as std::runtime_error: a test helper
// has nothing to fail closed about.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace jit::testing {

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// RFC 4648 base64url without padding, as JWS uses it.
std::string b64url(std::string_view bytes);

// A private key read from a PEM file (openssl genpkey writes them).
Pkey load_private_key(const std::string& path);
// A fresh key: "RSA" (2048 bits), "P-256", "P-384" or "Ed25519".
Pkey generate_key(const std::string& type);
// The key as PEM text (private, or public with public_only).
std::string key_pem(EVP_PKEY* key, bool public_only);

// The JWS signature over `input` ("b64(header).b64(payload)") for alg:
// RS256, PS256, ES256, ES384, EdDSA (with a key of the matching type), or
// HS256 with `key` used as the HMAC secret's bytes (secret != empty).
std::string sign(EVP_PKEY* key, const std::string& alg, std::string_view input,
                 std::string_view secret = {});

// header.payload.signature over the exact header and payload texts.
// alg "none" gives an empty signature.
std::string compact(EVP_PKEY* key, const std::string& alg, std::string_view header_json,
                    std::string_view payload_json, std::string_view secret = {});

// One JWK (RFC 7517) object for the public half of key, with "kid" and, when
// alg is not empty, "alg" and "use": "sig".
std::string public_jwk(EVP_PKEY* key, const std::string& kid, const std::string& alg);

}  // namespace jit::testing
