// The OpenSSL primitives the audit log uses, behind small value-returning
// functions: SHA-256, HMAC-SHA256 (EVP_MAC), Ed25519, base64 and hex.  The
// fetched algorithms are cached once per process; contexts once per thread.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <string_view>

#include "daemon/audit/audit.h"

namespace jit::daemon::audit {

Hash sha256(std::string_view a, std::string_view b = {}, std::string_view c = {});
Hash hmac_sha256(const Hash& key, std::string_view message);
void wipe_hmac_context();               // forget the last HMAC key this thread used
std::string_view view(const Hash& h);   // the 32 bytes as a string_view
std::optional<Secret> random_secret();  // from the OpenSSL CSPRNG

// Ed25519 from a 32-byte seed; empty on an OpenSSL failure.
std::optional<Hash> ed25519_public(const Secret& seed);
std::string ed25519_sign(const Secret& seed, std::string_view message);  // "" on failure
bool ed25519_verify(const Hash& public_key, std::string_view message, std::string_view sig);

// Standard base64 with padding.  decode accepts only the canonical encoding
// (what encode would write), so a changed character never decodes the same.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
std::string hex(std::string_view bytes);                  // lowercase
std::optional<std::string> unhex(std::string_view text);  // lowercase only
std::optional<Hash> hash_from_hex(std::string_view text);

void put_u32(std::string& out, uint32_t v);
void put_u64(std::string& out, uint64_t v);
uint32_t get_u32(const unsigned char* p);
uint64_t get_u64(const unsigned char* p);

}  // namespace jit::daemon::audit
