// Fleet records: what one host writes to etcd for the others to act on, and
// the Ed25519 envelope that lets every reader check who wrote it.  etcd's own
// ACLs decide who may write a key; the envelope decides whether a reader
// believes it, so a compromised etcd (or a host writing outside its role)
// cannot mint a grant for a host that does not trust the signer.
//
// Envelope (JSON, the value stored at the key):
//   {"v":1,"kind":"grant","signer":"admin-1","body":"<JSON text>","sig":"<base64>"}
// The signature covers "jit-fleet/v1" NUL kind NUL signer NUL body, so a body
// cannot be moved to another kind or claimed by another signer.  body is kept
// as the exact text that was signed: no canonical JSON is needed.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "fleet/error.h"
#include "jit/result.h"

namespace jit::fleet {

struct PkeyDeleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct Envelope {
    int version = 1;
    std::string kind;    // "host", "request", "approval", "grant", "revocation"
    std::string signer;  // the writing host's name in the trust file
    std::string body;    // JSON text, exactly as signed
    std::string sig;     // raw 64-byte Ed25519 signature
};

// Keys: a host's private key is a PEM file (openssl genpkey -algorithm ed25519);
// public keys in the trust file are the raw 32 bytes, base64.
Result<Pkey, Failure> load_private_key(const std::string& pem_path);
Result<Pkey, Failure> public_key_from_base64(std::string_view b64);
Result<std::string, Failure> public_key_base64(EVP_PKEY* key);

// Signs body as kind by signer and returns the envelope's JSON text.
Result<std::string, Failure> seal(EVP_PKEY* private_key, std::string_view kind,
                                  std::string_view signer, std::string_view body);

// Parses an envelope's JSON text (size-capped, strict); does not verify.
Result<Envelope, Failure> parse_envelope(std::string_view text);

// Whether env.sig is signer's signature over env (public_key: the signer's).
bool verify_envelope(const Envelope& env, EVP_PKEY* public_key);

std::string base64_encode(std::string_view bytes);
Result<std::string, Failure> base64_decode(std::string_view text);

}  // namespace jit::fleet
