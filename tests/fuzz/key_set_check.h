// The properties jit-jwks-refresh's document checks must hold for ANY bytes
// a server sends.  Shared by the libFuzzer target (key_set_fuzz.cc) and the
// corpus replay unit test.
//
// For every input:
//   - check_key_set accepts it or says why not, and an accepted set has at
//     least one usable key;
//   - read as an OpenID configuration (for a fixed issuer), it is refused
//     with a reason or yields an https:// jwks_uri;
//   - neither throws.
#pragma once

#include <stdint.h>

#include <string_view>

#include "jwks_refresh/key_set.h"

namespace jit::fuzz {

struct KeySetVerdict {
    bool accepted = false;
    const char* violation = nullptr;
};

inline KeySetVerdict check_key_set_bytes(const uint8_t* data, size_t size) {
    KeySetVerdict v;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        auto set = jwks::check_key_set(text);
        if (set) {
            v.accepted = true;
            if (set->usable == 0) v.violation = "a key set accepted without a usable key";
        } else if (set.error().message.empty()) {
            v.violation = "a key set refused without a reason";
        }
        auto uri = jwks::jwks_uri_from_discovery(text, "https://issuer.example");
        if (uri && uri->rfind("https://", 0) != 0)
            v.violation = "discovery yielded a jwks_uri that is not https://";
        if (!uri && uri.error().message.empty()) v.violation = "discovery refused without a reason";
    } catch (...) {
        v.violation = "an exception escaped";
    }
    return v;
}

}  // namespace jit::fuzz
