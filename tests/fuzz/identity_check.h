// The properties the workload-token verifier and the JWKS reader must hold
// for ANY input bytes, shared by the libFuzzer target (identity_fuzz.cc)
// and the corpus replay unit test.  Input: first byte 't' = a token verified
// against a fixed issuer and key set (RS256, ES256, EdDSA keys), 'j' = a key
// set, anything else = both readings of the rest.
//   - neither throws; every refusal has a name and a detail, and the detail
//     never repeats the token;
//   - an accepted token names the fixed issuer, a subject, an unexpired exp,
//     and its digest is the SHA-256 of exactly the input;
//   - an accepted key set holds at most kMaxJwksKeys keys, each usable.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/identity/jwks.h"
#include "daemon/identity/verifier.h"

namespace jit::fuzz {

inline constexpr int64_t kIdentityNow = 1800000000;

inline const std::vector<daemon::identity::Issuer>& identity_issuers() {
    static const std::vector<daemon::identity::Issuer> issuers = [] {
        using namespace daemon::identity;
        Issuer i;
        i.config.name = "fuzz";
        i.config.issuer = "https://fuzz.example";
        i.config.audiences = {"jit:fuzz"};
        i.config.jwks_file = "/fuzz.json";
        i.config.algorithms = {Alg::RS256, Alg::PS256, Alg::ES256, Alg::ES384, Alg::EdDSA};
        auto keys = parse_jwks(
            R"jwks({"keys":[{"kty":"EC","crv":"P-256","x":"H-IRO62CDOr1f5XWYnVo3PfDMW4TA9iAp7ll2lkVS54","y":"atwexvLHwGOJf8y8Ivwu-U6iCOEtSOMzcglQdhLo-Xo","kid":"ec1"},{"kty":"RSA","n":"0vfN5crYZLxX7nCLVqaBDOFdJN_F39ot1woUvUymBCnUqqVedwqspyUBT14XMEgoc1VDxtLbUD_JKZ8kENkmffE7oytkOHsgx8iBD8bs_FyrYExlycUBOV9LON2SpvhQIDJiz3Z1ltuqrETNC8NpzXCCaH2_n0InHPc28VGcYJmHWx0WqothahxVe0woViV6HsqNGoYLy4WvV9KlkpY17Q3RiAKb5Tkb5XPyo8tb2PxQSkYZp_n_yuY9epSPCqR5IE2shAAsv1g5CbH7pj01iEhZOZB4bH-HFSF7F0AL3zo8_tRiADc9zmob_Q8--QMPIHaAFDO7DQ2ThfSE1HOG0Q","e":"AQAB","kid":"rsa1"},{"kty":"OKP","crv":"Ed25519","x":"4K9UnwRwoNWPPhdSk0uHA4WWiOGq2L7Gb9iXB3LVHpg","kid":"ed1"}]})jwks");
        if (keys) i.keys = std::make_shared<KeySet>(std::move(*keys));
        return std::vector<Issuer>{i};
    }();
    return issuers;
}

// Only an input of a token's shape (three non-empty dot-separated parts, at
// least 16 bytes) can be "repeated": no fixed refusal text has two dots, and
// a header or claim value quoted in a detail is decoded from inside the token,
// so it is shorter than the token.  Shorter dot-free inputs are words that the
// fixed texts may contain by chance ("e dot-separated " is a piece of the
// Malformed detail, which a fuzz-smoke run found).
inline bool looks_like_a_token(std::string_view token) {
    if (token.size() < 16) return false;
    size_t first = token.find('.');
    if (first == std::string_view::npos || first == 0) return false;
    size_t second = token.find('.', first + 1);
    if (second == std::string_view::npos || second == first + 1) return false;
    return second + 1 < token.size() && token.find('.', second + 1) == std::string_view::npos;
}

inline const char* check_token(std::string_view token, bool* accepted) {
    using namespace daemon::identity;
    auto v = verify_token(token, identity_issuers(), kIdentityNow);
    *accepted = v.ok();
    if (!v) {
        if (v.error().detail.empty()) return "a refusal without a detail";
        if (std::string(refusal_name(v.error().reason)) == "refused") return "an unnamed refusal";
        if (looks_like_a_token(token) && v.error().detail.find(token) != std::string::npos)
            return "a refusal repeats the token";
        return nullptr;
    }
    if (v->provider != "fuzz" || v->issuer != "https://fuzz.example")
        return "wrong issuer accepted";
    if (v->subject.empty()) return "accepted without a subject";
    if (v->exp + 60 <= kIdentityNow) return "accepted an expired token";
    if (v->digest != sha256_hex(token)) return "digest is not over the token";
    return nullptr;
}

inline const char* check_jwks(std::string_view text, bool* accepted) {
    auto set = daemon::identity::parse_jwks(text);
    *accepted = set.ok();
    if (!set) return set.error().empty() ? "a refused key set without a reason" : nullptr;
    if (set->keys.size() > daemon::identity::kMaxJwksKeys) return "too many keys accepted";
    for (const auto& k : set->keys)
        if (!k.key) return "an accepted key is null";
    return nullptr;
}

struct IdentityVerdict {
    bool accepted = false;  // the token verified, or the key set was read
    const char* violation = nullptr;
};

inline IdentityVerdict check_identity(const uint8_t* data, size_t len) {
    IdentityVerdict v;
    try {
        std::string_view all(reinterpret_cast<const char*>(data), len);
        std::string_view rest = len ? all.substr(1) : all;
        if (len && data[0] == 't') {
            v.violation = check_token(rest, &v.accepted);
        } else if (len && data[0] == 'j') {
            v.violation = check_jwks(rest, &v.accepted);
        } else {
            bool ignored = false;
            v.violation = check_token(rest, &ignored);
            if (!v.violation) v.violation = check_jwks(rest, &ignored);
        }
    } catch (...) {
        v.violation = "an exception escaped the verifier or the key set reader";
    }
    return v;
}

}  // namespace jit::fuzz
