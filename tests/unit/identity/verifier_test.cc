// The token verifier against hostile tokens: every token below is minted
// with real keys generated for this test (tests/helpers/jwt_sign.h) and must
// be refused with the named reason; the controls show the untampered tokens
// pass, so the table can fail.
#include "daemon/identity/verifier.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/bn.h>

#include <functional>
#include <string>
#include <vector>

#include "daemon/identity/base64url.h"
#include "tests/helpers/jwt_sign.h"

namespace jit::daemon::identity {
namespace {

namespace t = jit::testing;
using nlohmann::ordered_json;

constexpr Time kNow = 1800000000;
const std::string kIss = "https://token.example";

struct Keys {
    t::Pkey rsa = t::generate_key("RSA"), p256 = t::generate_key("P-256"),
            p384 = t::generate_key("P-384"), ed = t::generate_key("Ed25519"),
            other_rsa = t::generate_key("RSA");
};
Keys& keys() {
    static Keys k;
    return k;
}

std::string jwks(std::vector<std::string> items) {
    std::string out = "{\"keys\":[";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
    return out + "]}";
}

std::vector<Issuer> issuers() {
    auto& k = keys();
    Issuer main;
    main.config.name = "ci";
    main.config.issuer = kIss;
    main.config.audiences = {"jit:web-1"};
    main.config.jwks_file = "/keys/ci.json";
    main.config.algorithms = {Alg::RS256, Alg::PS256, Alg::ES256, Alg::ES384, Alg::EdDSA};
    auto set = parse_jwks(
        jwks({t::public_jwk(k.rsa.get(), "rsa1", ""), t::public_jwk(k.p256.get(), "ec1", "ES256"),
              t::public_jwk(k.p384.get(), "ec384", ""), t::public_jwk(k.ed.get(), "ed1", "")}));
    EXPECT_TRUE(set) << set.error();
    main.keys = std::make_shared<KeySet>(*set);
    Issuer strict = main;
    strict.config.name = "strict";
    strict.config.issuer = "https://strict.example";
    strict.config.algorithms = {Alg::ES256};
    Issuer dup = main;
    dup.config.name = "dup";
    dup.config.issuer = "https://dup.example";
    auto d = parse_jwks(jwks(
        {t::public_jwk(k.rsa.get(), "same", ""), t::public_jwk(k.other_rsa.get(), "same", "")}));
    dup.keys = std::make_shared<KeySet>(*d);
    Issuer nokeys = main;
    nokeys.config.name = "nokeys";
    nokeys.config.issuer = "https://nokeys.example";
    nokeys.keys = nullptr;
    return {main, strict, dup, nokeys};
}

ordered_json claims() {
    return ordered_json{{"iss", kIss},
                        {"sub", "repo:acme/web:ref:refs/heads/main"},
                        {"aud", "jit:web-1"},
                        {"exp", kNow + 300},
                        {"iat", kNow - 10},
                        {"nbf", kNow - 10},
                        {"jti", "abc123"},
                        {"repository", "acme/web"},
                        {"ref", "refs/heads/main"}};
}

EVP_PKEY* key_for(const std::string& alg) {
    auto& k = keys();
    if (alg == "ES256") return k.p256.get();
    if (alg == "ES384") return k.p384.get();
    if (alg == "EdDSA") return k.ed.get();
    return k.rsa.get();
}
std::string kid_for(const std::string& alg) {
    return alg == "ES256" ? "ec1" : alg == "ES384" ? "ec384" : alg == "EdDSA" ? "ed1" : "rsa1";
}

std::string mint(const ordered_json& payload, const std::string& alg = "RS256",
                 std::optional<std::string> kid = std::nullopt, ordered_json extra = {}) {
    ordered_json h{{"alg", alg}};
    if (kid.value_or(kid_for(alg)) != "") h["kid"] = kid.value_or(kid_for(alg));
    for (auto& [name, v] : extra.items()) h[name] = v;
    return t::compact(key_for(alg), alg, h.dump(), payload.dump());
}
std::string mint_raw(const std::string& header, const std::string& payload,
                     const std::string& alg = "RS256") {
    return t::compact(key_for(alg), alg, header, payload);
}
std::string with(const char* name, ordered_json v) {
    auto c = claims();
    c[name] = v;
    return mint(c);
}
std::string without(const char* name) {
    auto c = claims();
    c.erase(name);
    return mint(c);
}
std::string nested(char open, char close, int depth) {
    return std::string(size_t(depth), open) + std::string(size_t(depth), close);
}

std::string hdr(const std::string& alg, const std::string& kid) {
    return ordered_json{{"alg", alg}, {"kid", kid}}.dump();
}

struct Hostile {
    const char* name;
    std::function<std::string()> token;
    Refusal expected;
};

std::vector<Hostile> hostile_tokens() {
    return {
        {"alg none",
         [] {
             return t::compact(nullptr, "none", R"({"alg":"none","kid":"rsa1"})", claims().dump());
         },
         Refusal::AlgNone},
        {"alg NoNe", [&] { return mint_raw(R"({"alg":"NoNe","kid":"rsa1"})", claims().dump()); },
         Refusal::AlgNone},
        {"HS256 with the public key as secret",
         [] {
             std::string pem = t::key_pem(keys().rsa.get(), true);
             return t::compact(nullptr, "HS256", R"({"alg":"HS256","kid":"rsa1"})", claims().dump(),
                               pem);
         },
         Refusal::AlgSymmetric},
        {"HS512 header",
         [&] { return mint_raw(R"({"alg":"HS512","kid":"rsa1"})", claims().dump()); },
         Refusal::AlgSymmetric},
        {"alg RS512 unknown", [&] { return mint_raw(hdr("RS512", "rsa1"), claims().dump()); },
         Refusal::AlgNotAllowed},
        {"alg outside the issuer's allow-list",
         [] {
             auto c = claims();
             c["iss"] = "https://strict.example";
             return mint(c, "RS256");
         },
         Refusal::AlgNotAllowed},
        {"ES256 header over an RSA kid",
         [&] { return mint_raw(hdr("ES256", "rsa1"), claims().dump(), "ES256"); },
         Refusal::AlgKeyMismatch},
        {"RS256 header over an EC kid",
         [&] { return mint_raw(hdr("RS256", "ec1"), claims().dump()); }, Refusal::AlgKeyMismatch},
        {"ES384 header over a P-256 kid",
         [&] { return mint_raw(hdr("ES384", "ec1"), claims().dump(), "ES384"); },
         Refusal::AlgKeyMismatch},
        {"PS256 over a key whose JWK says ES256",
         [&] { return mint_raw(hdr("PS256", "ec1"), claims().dump(), "PS256"); },
         Refusal::AlgKeyMismatch},
        {"crit header",
         [] {
             return mint(claims(), "RS256", std::nullopt, {{"crit", {"exp"}}});
         },
         Refusal::CritHeader},
        {"kid missing", [] { return mint(claims(), "RS256", ""); }, Refusal::KidMissing},
        {"kid unknown", [] { return mint(claims(), "RS256", "rsa2"); }, Refusal::KidUnknown},
        {"kid duplicated in the JWKS",
         [] {
             auto c = claims();
             c["iss"] = "https://dup.example";
             return mint(c, "RS256", "same");
         },
         Refusal::KidAmbiguous},
        {"issuer without a readable key set",
         [] {
             auto c = claims();
             c["iss"] = "https://nokeys.example";
             return mint(c);
         },
         Refusal::NoKeys},
        {"wrong iss", [] { return with("iss", "https://evil.example"); }, Refusal::IssUnknown},
        {"iss with a trailing slash", [] { return with("iss", kIss + "/"); }, Refusal::IssUnknown},
        {"iss missing", [] { return without("iss"); }, Refusal::IssUnknown},
        {"aud missing", [] { return without("aud"); }, Refusal::AudMissing},
        {"aud array without ours",
         [] {
             return with("aud", {"jit:web-2", "sts.amazonaws.com"});
         },
         Refusal::AudMismatch},
        {"aud a longer string", [] { return with("aud", "jit:web-10"); }, Refusal::AudMismatch},
        {"aud a number", [] { return with("aud", 7); }, Refusal::BadClaim},
        {"expired", [] { return with("exp", kNow - 61); }, Refusal::Expired},
        {"exp missing", [] { return without("exp"); }, Refusal::ExpMissing},
        {"exp a string", [] { return with("exp", "1800000300"); }, Refusal::BadClaim},
        {"nbf in the future", [] { return with("nbf", kNow + 120); }, Refusal::NotYetValid},
        {"iat far in the future", [] { return with("iat", kNow + 3600); }, Refusal::IatFuture},
        {"iat missing", [] { return without("iat"); }, Refusal::IatMissing},
        {"older than max_token_age", [] { return with("iat", kNow - 3600); }, Refusal::TooOld},
        {"sub missing", [] { return without("sub"); }, Refusal::SubMissing},
        {"17 KiB token", [] { return with("pad", std::string(17 * 1024, 'x')); },
         Refusal::TooLarge},
        {"two parts",
         [] {
             auto s = mint(claims());
             return s.substr(0, s.rfind('.'));
         },
         Refusal::Malformed},
        {"four parts", [] { return mint(claims()) + ".x"; }, Refusal::Malformed},
        {"bad base64 in the header",
         [] { return "eyJ+bGc." + mint(claims()).substr(mint(claims()).find('.') + 1); },
         Refusal::BadBase64},
        {"base64 padding",
         [] {
             auto s = mint(claims());
             return s.substr(0, s.find('.')) + "=" + s.substr(s.find('.'));
         },
         Refusal::BadBase64},
        {"non-canonical trailing bits",
         [] {
             // "e30" is "{}"; "e31" decodes to the same bytes with stray low bits.
             return mint_raw(hdr("RS256", "rsa1"), claims().dump()).substr(0, 0) +
                    b64url_encode(hdr("RS256", "rsa1")) + ".e31.c2ln";
         },
         Refusal::BadBase64},
        {"bad base64 in the signature", [] { return mint(claims()) + "*"; }, Refusal::BadBase64},
        {"duplicate keys in the payload",
         [&] {
             return mint_raw(hdr("RS256", "rsa1"),
                             R"({"iss":")" + kIss + R"(","sub":"a","sub":"b"})");
         },
         Refusal::DuplicateKey},
        {"duplicate alg in the header",
         [&] { return mint_raw(R"({"alg":"RS256","kid":"rsa1","alg":"none"})", claims().dump()); },
         Refusal::DuplicateKey},
        {"depth bomb in the payload",
         [&] {
             return mint_raw(hdr("RS256", "rsa1"),
                             R"({"iss":")" + kIss + R"(","x":)" + nested('[', ']', 5000) + "}");
         },
         Refusal::TooDeep},
        {"depth bomb in the header",
         [&] {
             return mint_raw(R"({"alg":"RS256","x":)" + nested('[', ']', 3000) + "}",
                             claims().dump());
         },
         Refusal::TooDeep},
        {"object depth bomb",
         [&] {
             std::string b;
             for (int i = 0; i < 100; ++i) b += "{\"a\":";
             b += "1" + std::string(100, '}');
             return mint_raw(hdr("RS256", "rsa1"), b);
         },
         Refusal::TooDeep},
        {"claim with NUL", [] { return with("ref", std::string("refs/heads/main\0x", 17)); },
         Refusal::ControlBytes},
        {"claim with an escape character", [] { return with("ref", "refs/heads/\x1b[31mmain"); },
         Refusal::ControlBytes},
        {"key with a control byte", [] { return with("re\x01f", "x"); }, Refusal::ControlBytes},
        {"payload not an object", [&] { return mint_raw(hdr("RS256", "rsa1"), "[1,2]"); },
         Refusal::BadJson},
        {"payload not JSON", [&] { return mint_raw(hdr("RS256", "rsa1"), "{\"iss\":"); },
         Refusal::BadJson},
        {"valid signature over a different header",
         [] {
             std::string good = mint(claims());
             std::string other = b64url_encode(R"({"alg":"RS256","kid":"rsa1","typ":"JWT"})");
             return other + good.substr(good.find('.'));
         },
         Refusal::BadSignature},
        {"payload changed after signing",
         [] {
             std::string good = mint(claims());
             auto c = claims();
             c["ref"] = "refs/heads/evil";
             size_t a = good.find('.'), b = good.rfind('.');
             return good.substr(0, a + 1) + b64url_encode(c.dump()) + good.substr(b);
         },
         Refusal::BadSignature},
        {"signed by another RSA key",
         [] {
             return t::compact(keys().other_rsa.get(), "RS256", R"({"alg":"RS256","kid":"rsa1"})",
                               claims().dump());
         },
         Refusal::BadSignature},
        {"ES256 signature one byte short",
         [] {
             auto s = mint(claims(), "ES256");
             size_t b = s.rfind('.');
             auto sig = *b64url_decode(s.substr(b + 1));
             sig.pop_back();
             return s.substr(0, b + 1) + b64url_encode(sig);
         },
         Refusal::BadSignature},
        {"RS256 signature in DER-less PS256 form",
         [] {
             auto s = mint_raw(R"({"alg":"PS256","kid":"rsa1"})", claims().dump(), "PS256");
             size_t a = s.find('.');
             return b64url_encode(R"({"alg":"RS256","kid":"rsa1"})") + s.substr(a);
         },
         Refusal::BadSignature},
    };
}

TEST(IdentityVerifier, EveryHostileTokenIsRefusedWithItsReason) {
    auto iss = issuers();
    auto table = hostile_tokens();
    ASSERT_GE(table.size(), 30u);
    for (const auto& h : table) {
        std::string token = h.token();
        auto v = verify_token(token, iss, kNow);
        ASSERT_FALSE(v) << h.name << ": accepted";
        EXPECT_EQ(refusal_name(v.error().reason), std::string(refusal_name(h.expected)))
            << h.name << ": " << v.error().detail;
        EXPECT_EQ(v.error().detail.find(token), std::string::npos) << h.name << ": token in detail";
    }
}

TEST(IdentityVerifier, UntamperedTokensPassForEveryAlgorithm) {
    auto iss = issuers();
    for (std::string alg : {"RS256", "PS256", "ES256", "ES384", "EdDSA"}) {
        std::string token = mint(claims(), alg);
        auto v = verify_token(token, iss, kNow);
        ASSERT_TRUE(v) << alg << ": " << v.error().what();
        EXPECT_EQ(v->provider, "ci");
        EXPECT_EQ(v->issuer, kIss);
        EXPECT_EQ(v->subject, "repo:acme/web:ref:refs/heads/main");
        EXPECT_EQ(v->jti, "abc123");
        EXPECT_EQ(v->exp, kNow + 300);
        EXPECT_EQ(v->claims.at("repository"), "acme/web");
        EXPECT_EQ(v->digest, sha256_hex(token));
        EXPECT_EQ(v->digest.size(), 64u);
    }
    auto arr = claims();
    arr["aud"] = {"other", "jit:web-1"};
    EXPECT_TRUE(verify_token(mint(arr), iss, kNow)) << "aud as an array holding ours";
}

TEST(IdentityVerifier, SkewIsHonouredAtTheEdges) {
    auto iss = issuers();
    EXPECT_TRUE(verify_token(with("exp", kNow - 59), iss, kNow)) << "within 60 s skew";
    EXPECT_FALSE(verify_token(with("exp", kNow - 60), iss, kNow));
    EXPECT_TRUE(verify_token(with("nbf", kNow + 60), iss, kNow));
    EXPECT_TRUE(verify_token(with("iat", kNow - 660), iss, kNow)) << "600 s age + 60 s skew";
    EXPECT_FALSE(verify_token(with("iat", kNow - 661), iss, kNow));
}

TEST(IdentityVerifier, EcdsaSignatureRewriteChangesTheDigestButNotTheReplayKey) {
    // (r, n - s) is a second valid ECDSA signature over the same input; the
    // replay key is taken over header.payload so it names both.
    auto iss = issuers();
    std::string token = mint(claims(), "ES256");
    size_t b = token.rfind('.');
    std::string sig = *b64url_decode(token.substr(b + 1));
    BIGNUM* n = BN_new();
    BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr);
    BN_sub(s, n, s);
    BN_bn2binpad(s, reinterpret_cast<unsigned char*>(sig.data()) + 32, 32);
    BN_free(n);
    BN_free(s);
    std::string twin = token.substr(0, b + 1) + b64url_encode(sig);
    auto a = verify_token(token, iss, kNow), c = verify_token(twin, iss, kNow);
    ASSERT_TRUE(a) << a.error().what();
    ASSERT_TRUE(c) << c.error().what();
    EXPECT_NE(a->digest, c->digest);
    EXPECT_EQ(a->replay_key, c->replay_key);
}

}  // namespace
}  // namespace jit::daemon::identity
