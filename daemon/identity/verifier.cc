#include "daemon/identity/verifier.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <algorithm>

#include "daemon/identity/base64url.h"
#include "daemon/identity/json_strict.h"
#include "jit/values.h"

namespace jit::daemon::identity {

namespace {

using nlohmann::json;
template <typename T>
using Checked = Result<T, TokenRefused>;

constexpr int kMaxJsonDepth = 8;

TokenRefused refuse(Refusal r, std::string detail) {
    return TokenRefused{r, std::move(detail)};
}

Refusal from_json_fault(JsonFault f) {
    switch (f) {
        case JsonFault::DuplicateKey:
            return Refusal::DuplicateKey;
        case JsonFault::TooDeep:
            return Refusal::TooDeep;
        case JsonFault::ControlBytes:
            return Refusal::ControlBytes;
        default:
            return Refusal::BadJson;
    }
}

Checked<json> decode_part(std::string_view part, const char* what) {
    auto bytes = b64url_decode(part);
    if (!bytes) return refuse(Refusal::BadBase64, std::string(what) + " is not base64url");
    auto doc = parse_strict(*bytes, proto::kMaxIdToken, kMaxJsonDepth);
    if (!doc)
        return refuse(from_json_fault(doc.error().fault),
                      std::string(what) + ": " + doc.error().detail);
    if (!doc->is_object())
        return refuse(Refusal::BadJson, std::string(what) + " is not a JSON object");
    return std::move(*doc);
}

struct Parts {
    std::string_view header, payload, signature, signing_input;
};

Checked<Parts> split(std::string_view token) {
    size_t a = token.find('.');
    size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
    if (b == std::string_view::npos || token.find('.', b + 1) != std::string_view::npos)
        return refuse(Refusal::Malformed, "not three dot-separated parts");
    return Parts{token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1),
                 token.substr(0, b)};
}

Checked<Alg> header_alg(const json& h) {
    auto it = h.find("alg");
    if (it == h.end() || !it->is_string())
        return refuse(Refusal::BadClaim, "header has no alg string");
    const std::string& name = it->get_ref<const std::string&>();
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower == "none") return refuse(Refusal::AlgNone, "alg none (an unsigned token)");
    if (name.rfind("HS", 0) == 0)
        return refuse(Refusal::AlgSymmetric,
                      "alg " + name + " (a shared secret) is never accepted");
    auto alg = alg_from_name(name);
    if (!alg) return refuse(Refusal::AlgNotAllowed, "alg " + name + " is not supported");
    if (h.contains("crit"))
        return refuse(Refusal::CritHeader, "crit names extensions jit does not implement");
    return *alg;
}

bool fits(Alg alg, KeyType t) {
    switch (alg) {
        case Alg::RS256:
        case Alg::PS256:
            return t == KeyType::Rsa;
        case Alg::ES256:
            return t == KeyType::P256;
        case Alg::ES384:
            return t == KeyType::P384;
        case Alg::EdDSA:
            return t == KeyType::Ed25519;
    }
    return false;
}

Checked<const Jwk*> find_key(const json& h, const Issuer& issuer, Alg alg) {
    auto it = h.find("kid");
    if (it == h.end()) return refuse(Refusal::KidMissing, "header names no kid");
    if (!it->is_string()) return refuse(Refusal::BadClaim, "kid is not a string");
    const std::string& kid = it->get_ref<const std::string&>();
    if (!issuer.keys)
        return refuse(Refusal::NoKeys, "no readable key set for " + issuer.config.name);
    const Jwk* found = nullptr;
    for (const auto& k : issuer.keys->keys) {
        if (k.kid != kid) continue;
        if (found) return refuse(Refusal::KidAmbiguous, "kid " + kid + " names more than one key");
        found = &k;
    }
    if (!found)
        return refuse(Refusal::KidUnknown,
                      "no key with kid " + kid + " in " + issuer.config.jwks_file);
    if (!fits(alg, found->type) || (!found->alg.empty() && found->alg != alg_name(alg)))
        return refuse(Refusal::AlgKeyMismatch,
                      std::string("alg ") + alg_name(alg) + " does not fit key " + kid + " (" +
                          key_type_name(found->type) +
                          (found->alg.empty() ? "" : ", alg " + found->alg) + ")");
    return found;
}

// JWS ECDSA signatures are r || s; OpenSSL verifies DER.
std::optional<std::string> raw_to_der(const std::string& raw, size_t half) {
    if (raw.size() != 2 * half) return std::nullopt;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
    BIGNUM* r = BN_bin2bn(p, int(half), nullptr);
    BIGNUM* s = BN_bin2bn(p + half, int(half), nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return std::nullopt;
    }
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    if (len <= 0) return std::nullopt;
    std::string out(reinterpret_cast<char*>(der), size_t(len));
    OPENSSL_free(der);
    return out;
}

bool signature_holds(const Jwk& key, Alg alg, std::string_view input, const std::string& sig) {
    std::string der = sig;
    if (alg == Alg::ES256 || alg == Alg::ES384) {
        auto d = raw_to_der(sig, alg == Alg::ES256 ? 32 : 48);
        if (!d) return false;
        der = std::move(*d);
    }
    const EVP_MD* md = alg == Alg::EdDSA   ? nullptr
                       : alg == Alg::ES384 ? EVP_sha384()
                                           : EVP_sha256();
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    bool ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, key.key.get()) == 1;
    if (ok && alg == Alg::PS256)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    if (ok && alg == Alg::RS256) ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    ok = ok &&
         EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

Checked<std::optional<Time>> time_claim(const json& p, const char* name) {
    auto it = p.find(name);
    if (it == p.end()) return std::optional<Time>();
    if (!it->is_number()) return refuse(Refusal::BadClaim, std::string(name) + " is not a number");
    double v = it->get<double>();
    if (!(v > -1e15 && v < 1e15))
        return refuse(Refusal::BadClaim, std::string(name) + " is out of range");
    return std::optional<Time>(Time(v));
}

Checked<const Provider*> issuer_of(const json& p, const std::vector<Issuer>& issuers,
                                   const Issuer** found) {
    auto it = p.find("iss");
    if (it == p.end() || !it->is_string()) return refuse(Refusal::IssUnknown, "no iss string");
    const std::string& iss = it->get_ref<const std::string&>();
    for (const auto& i : issuers)
        if (i.config.issuer == iss) {
            *found = &i;
            return &i.config;
        }
    return refuse(Refusal::IssUnknown, "issuer " + iss + " is not configured in identity.d");
}

std::optional<TokenRefused> check_audience(const json& p, const Provider& cfg) {
    auto it = p.find("aud");
    if (it == p.end()) return refuse(Refusal::AudMissing, "no aud");
    std::vector<std::string> auds;
    if (it->is_string()) {
        auds.push_back(it->get<std::string>());
    } else if (it->is_array()) {
        for (const auto& a : *it) {
            if (!a.is_string()) return refuse(Refusal::BadClaim, "aud holds a non-string");
            auds.push_back(a.get<std::string>());
        }
    } else {
        return refuse(Refusal::BadClaim, "aud is neither a string nor an array");
    }
    for (const auto& want : cfg.audiences)
        if (std::find(auds.begin(), auds.end(), want) != auds.end()) return std::nullopt;
    return refuse(Refusal::AudMismatch, "aud does not contain " + cfg.audiences.front());
}

std::optional<TokenRefused> check_times(const json& p, const Provider& cfg, Time now,
                                        VerifiedToken* out) {
    auto exp = time_claim(p, "exp"), nbf = time_claim(p, "nbf"), iat = time_claim(p, "iat");
    for (auto* c : {&exp, &nbf, &iat})
        if (!*c) return c->error();
    if (!*exp) return refuse(Refusal::ExpMissing, "no exp");
    if (now >= **exp + cfg.clock_skew)
        return refuse(Refusal::Expired, "expired " + std::to_string(now - **exp) + "s ago");
    if (*nbf && now + cfg.clock_skew < **nbf)
        return refuse(Refusal::NotYetValid,
                      "not valid for another " + std::to_string(**nbf - now) + "s");
    if (!*iat) return refuse(Refusal::IatMissing, "no iat");
    if (**iat > now + cfg.clock_skew)
        return refuse(Refusal::IatFuture,
                      "issued " + std::to_string(**iat - now) + "s in the future");
    if (now - **iat > cfg.max_token_age + cfg.clock_skew)
        return refuse(Refusal::TooOld, "issued " + std::to_string(now - **iat) +
                                           "s ago, max_token_age is " +
                                           std::to_string(cfg.max_token_age) + "s");
    out->exp = **exp;
    out->iat = **iat;
    return std::nullopt;
}

std::optional<TokenRefused> read_claims(const json& p, VerifiedToken* out) {
    auto sub = p.find("sub");
    if (sub == p.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty())
        return refuse(Refusal::SubMissing, "no sub string");
    out->subject = sub->get<std::string>();
    if (auto jti = p.find("jti"); jti != p.end()) {
        if (!jti->is_string()) return refuse(Refusal::BadClaim, "jti is not a string");
        out->jti = jti->get<std::string>();
    }
    for (const auto& [name, value] : p.items()) {
        if (value.is_string())
            out->claims[name] = value.get<std::string>();
        else if (value.is_number() || value.is_boolean())
            out->claims[name] = value.dump();
    }
    return std::nullopt;
}

}  // namespace

const char* refusal_name(Refusal r) {
    switch (r) {
        case Refusal::TooLarge:
            return "token-too-large";
        case Refusal::Malformed:
            return "malformed";
        case Refusal::BadBase64:
            return "bad-base64";
        case Refusal::BadJson:
            return "bad-json";
        case Refusal::DuplicateKey:
            return "duplicate-key";
        case Refusal::TooDeep:
            return "too-deep";
        case Refusal::ControlBytes:
            return "control-bytes";
        case Refusal::AlgNone:
            return "alg-none";
        case Refusal::AlgSymmetric:
            return "alg-symmetric";
        case Refusal::AlgNotAllowed:
            return "alg-not-allowed";
        case Refusal::AlgKeyMismatch:
            return "alg-key-mismatch";
        case Refusal::CritHeader:
            return "crit-header";
        case Refusal::KidMissing:
            return "kid-missing";
        case Refusal::KidUnknown:
            return "kid-unknown";
        case Refusal::KidAmbiguous:
            return "kid-ambiguous";
        case Refusal::NoKeys:
            return "no-keys";
        case Refusal::BadSignature:
            return "bad-signature";
        case Refusal::IssUnknown:
            return "iss-unknown";
        case Refusal::AudMissing:
            return "aud-missing";
        case Refusal::AudMismatch:
            return "aud-mismatch";
        case Refusal::SubMissing:
            return "sub-missing";
        case Refusal::ExpMissing:
            return "exp-missing";
        case Refusal::Expired:
            return "expired";
        case Refusal::NotYetValid:
            return "not-yet-valid";
        case Refusal::IatMissing:
            return "iat-missing";
        case Refusal::IatFuture:
            return "iat-future";
        case Refusal::TooOld:
            return "too-old";
        case Refusal::BadClaim:
            return "bad-claim";
        case Refusal::Replayed:
            return "replayed";
    }
    return "refused";
}

std::string sha256_hex(std::string_view bytes) {
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), d);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : d) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

Result<VerifiedToken, TokenRefused> verify_token(std::string_view token,
                                                 const std::vector<Issuer>& issuers, Time now) {
    if (token.size() > proto::kMaxIdToken)
        return refuse(Refusal::TooLarge, std::to_string(token.size()) + " bytes, more than " +
                                             std::to_string(proto::kMaxIdToken));
    auto parts = split(token);
    if (!parts) return parts.error();
    auto header = decode_part(parts->header, "header");
    if (!header) return header.error();
    auto alg = header_alg(*header);
    if (!alg) return alg.error();
    auto payload = decode_part(parts->payload, "payload");
    if (!payload) return payload.error();
    const Issuer* issuer = nullptr;
    auto cfg = issuer_of(*payload, issuers, &issuer);
    if (!cfg) return cfg.error();
    const auto& allowed = (*cfg)->algorithms;
    if (std::find(allowed.begin(), allowed.end(), *alg) == allowed.end())
        return refuse(Refusal::AlgNotAllowed, std::string("alg ") + alg_name(*alg) + " is not in " +
                                                  (*cfg)->name + "'s algorithms");
    auto key = find_key(*header, *issuer, *alg);
    if (!key) return key.error();
    auto sig = b64url_decode(parts->signature);
    if (!sig) return refuse(Refusal::BadBase64, "signature is not base64url");
    if (!signature_holds(**key, *alg, parts->signing_input, *sig))
        return refuse(Refusal::BadSignature, "signature does not verify with key " + (*key)->kid);
    VerifiedToken v;
    v.provider = (*cfg)->name;
    v.issuer = (*cfg)->issuer;
    if (auto bad = check_audience(*payload, **cfg)) return *bad;
    if (auto bad = check_times(*payload, **cfg, now, &v)) return *bad;
    if (auto bad = read_claims(*payload, &v)) return *bad;
    v.digest = sha256_hex(token);
    v.replay_key = sha256_hex(parts->signing_input);
    return v;
}

}  // namespace jit::daemon::identity
