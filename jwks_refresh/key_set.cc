#include "jwks_refresh/key_set.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <vector>

namespace jit::jwks {

using nlohmann::json;

namespace {

constexpr int kMaxDepth = 8;
constexpr size_t kMaxDocumentBytes = 1024 * 1024;

Result<json, Failure> parse_strict(std::string_view text) {
    if (text.size() > kMaxDocumentBytes) return problem("document larger than 1 MiB");
    std::vector<std::set<std::string>> keys;  // one set per open object
    std::string trouble;
    auto check = [&](int depth, json::parse_event_t event, json& parsed) {
        if (!trouble.empty()) return false;
        if (depth > kMaxDepth) {
            trouble = "JSON nested deeper than " + std::to_string(kMaxDepth);
            return false;
        }
        if (event == json::parse_event_t::object_start) keys.emplace_back();
        if (event == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
        if (event == json::parse_event_t::key && !keys.empty() &&
            !keys.back().insert(parsed.get<std::string>()).second) {
            trouble = "duplicate key \"" + parsed.get<std::string>() + "\"";
            return false;
        }
        return true;
    };
    json value = json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/false);
    if (!trouble.empty()) return problem(trouble);
    if (value.is_discarded()) return problem("not JSON");
    return value;
}

// base64url without padding (RFC 7515, section 2) through OpenSSL's decoder.
std::optional<std::string> base64url(const json& v) {
    if (!v.is_string()) return std::nullopt;
    std::string s = v.get<std::string>();
    if (s.empty() || s.size() > 4096) return std::nullopt;
    for (char& c : s) {
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (c == '+' || c == '/' || c == '=')
            return std::nullopt;
    }
    if (s.size() % 4 == 1) return std::nullopt;
    const size_t pad = (4 - s.size() % 4) % 4;
    s.append(pad, '=');
    std::string out(s.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(s.data()), int(s.size()));
    if (n < 0) return std::nullopt;
    out.resize(size_t(n) - pad);
    return out;
}

struct PkeyDeleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

Pkey from_params(const char* type, OSSL_PARAM_BLD* bld) {
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
    EVP_PKEY* key = nullptr;
    if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return Pkey(key);
}

Result<void, Failure> import_rsa(const json& k) {
    auto n = base64url(k.value("n", json())), e = base64url(k.value("e", json()));
    if (!n || !e) return problem("RSA key without valid \"n\" and \"e\"");
    BIGNUM* bn_n =
        BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), int(n->size()), nullptr);
    BIGNUM* bn_e =
        BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), int(e->size()), nullptr);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    Pkey key;
    if (bn_n && bn_e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
        key = from_params("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    if (!key) return problem("RSA key that OpenSSL does not accept");
    if (EVP_PKEY_get_bits(key.get()) < 2048) return problem("RSA key shorter than 2048 bits");
    return {};
}

// The curves jitd verifies with (jit-identity(5)); keys on others are skipped.
struct Curve {
    const char* crv;
    const char* group;
    size_t bytes;
};
constexpr Curve kCurves[] = {{"P-256", "prime256v1", 32}, {"P-384", "secp384r1", 48}};

std::string crv_of(const json& k) {
    return k.value("crv", json()).is_string() ? k["crv"].get<std::string>() : "";
}

bool jit_verifies_with(const std::string& kty, const std::string& crv) {
    if (kty == "RSA") return true;
    if (kty == "OKP") return crv == "Ed25519";
    if (kty != "EC") return false;
    for (const Curve& c : kCurves)
        if (crv == c.crv) return true;
    return false;
}

Result<void, Failure> import_ec(const json& k) {
    const std::string crv = crv_of(k);
    for (const Curve& c : kCurves) {
        if (crv != c.crv) continue;
        auto x = base64url(k.value("x", json())), y = base64url(k.value("y", json()));
        if (!x || !y || x->size() != c.bytes || y->size() != c.bytes)
            return problem("EC key whose \"x\" or \"y\" is not a " + crv + " coordinate");
        const std::string point = "\x04" + *x + *y;
        OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
        Pkey key;
        if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c.group, 0) &&
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                             point.size()))
            key = from_params("EC", bld);
        OSSL_PARAM_BLD_free(bld);
        EVP_PKEY_CTX* ctx = key ? EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr) : nullptr;
        const bool on_curve = ctx && EVP_PKEY_public_check(ctx) == 1;
        EVP_PKEY_CTX_free(ctx);
        if (!on_curve) return problem("EC key whose point is not on " + crv);
        return {};
    }
    return problem("EC key on an unsupported curve \"" + crv + "\"");
}

Result<void, Failure> import_okp(const json& k) {
    if (k.value("crv", json()) != "Ed25519") return problem("OKP key that is not Ed25519");
    auto x = base64url(k.value("x", json()));
    if (!x || x->size() != 32) return problem("Ed25519 key whose \"x\" is not 32 bytes");
    Pkey key(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size()));
    if (!key) return problem("Ed25519 key that OpenSSL does not accept");
    return {};
}

// 1: usable, 0: ignored (not for signatures, or a type jit does not use).
Result<int, Failure> check_key(const json& k) {
    if (!k.is_object()) return problem("a key that is not an object");
    if (!k.contains("kty") || !k["kty"].is_string()) return problem("a key without \"kty\"");
    for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "k"})
        if (k.contains(secret))
            return problem(std::string("a key with the private member \"") + secret + "\"");
    if (k.contains("use") && k["use"] != "sig") return 0;
    const std::string kty = k["kty"].get<std::string>();
    if (!jit_verifies_with(kty, crv_of(k))) return 0;
    Result<void, Failure> r = kty == "RSA"  ? import_rsa(k)
                              : kty == "EC" ? import_ec(k)
                                            : import_okp(k);
    if (!r.ok()) return r.error();
    return 1;
}

}  // namespace

Result<KeySetSummary, Failure> check_key_set(std::string_view text) {
    auto doc = parse_strict(text);
    if (!doc.ok()) return problem("not a key set: " + doc.error().message);
    if (!doc->is_object() || !doc->contains("keys") || !(*doc)["keys"].is_array())
        return problem("not a key set: no \"keys\" array");
    KeySetSummary summary;
    size_t index = 0;
    for (const json& k : (*doc)["keys"]) {
        auto usable = check_key(k);
        if (!usable.ok())
            return problem("key " + std::to_string(index) + ": " + usable.error().message);
        (*usable ? summary.usable : summary.ignored)++;
        ++index;
    }
    if (summary.usable == 0)
        return problem("no usable signature key among " + std::to_string(index) + " keys");
    return summary;
}

Result<std::string, Failure> jwks_uri_from_discovery(std::string_view text,
                                                     const std::string& issuer) {
    auto doc = parse_strict(text);
    if (!doc.ok()) return problem("not an OpenID configuration: " + doc.error().message);
    if (!doc->is_object()) return problem("not an OpenID configuration: not an object");
    const json& iss = doc->value("issuer", json());
    if (!iss.is_string() || iss.get<std::string>() != issuer)
        return problem("the OpenID configuration names another issuer");
    const json& uri = doc->value("jwks_uri", json());
    if (!uri.is_string() || uri.get<std::string>().rfind("https://", 0) != 0)
        return problem("the OpenID configuration has no https:// \"jwks_uri\"");
    return uri.get<std::string>();
}

}  // namespace jit::jwks
