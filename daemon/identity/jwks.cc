#include "daemon/identity/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "daemon/identity/base64url.h"
#include "daemon/identity/json_strict.h"

namespace jit::daemon::identity {

namespace {

using nlohmann::json;
using Parsed = Result<Jwk, std::string>;

struct Free {
    void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
    void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
    void operator()(BIGNUM* b) const { BN_free(b); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

std::optional<std::string> member(const json& k, const char* name) {
    auto it = k.find(name);
    if (it == k.end() || !it->is_string()) return std::nullopt;
    return b64url_decode(it->get_ref<const std::string&>());
}

std::shared_ptr<EVP_PKEY> from_params(const char* type, OSSL_PARAM_BLD* bld) {
    Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
    Owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
        return nullptr;
    return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

BIGNUM* bignum(const std::string& bytes) {
    return BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), int(bytes.size()),
                     nullptr);
}

Parsed rsa_key(const json& k) {
    auto n = member(k, "n"), e = member(k, "e");
    if (!n || !e) return std::string("RSA key without a valid n and e");
    if (n->empty() || (*n)[0] == '\0' || n->size() < 256)
        return std::string("RSA key shorter than 2048 bits");
    Owned<BIGNUM> bn_n(bignum(*n)), bn_e(bignum(*e));
    Owned<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
    if (!bn_n || !bn_e || !bld ||
        !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
        !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()))
        return std::string("RSA key could not be built");
    Jwk j;
    j.type = KeyType::Rsa;
    j.key = from_params("RSA", bld.get());
    if (!j.key) return std::string("RSA key refused by OpenSSL");
    return j;
}

Parsed ec_key(const json& k, const std::string& crv) {
    size_t size = crv == "P-256" ? 32 : 48;
    auto x = member(k, "x"), y = member(k, "y");
    if (!x || !y || x->size() != size || y->size() != size)
        return "EC " + crv + " key without a valid x and y";
    std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point
    Owned<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
    const char* group = size == 32 ? "prime256v1" : "secp384r1";
    if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                          point.size()))
        return std::string("EC key could not be built");
    Jwk j;
    j.type = size == 32 ? KeyType::P256 : KeyType::P384;
    j.key = from_params("EC", bld.get());  // checks the point is on the curve
    if (!j.key) return "EC " + crv + " key refused by OpenSSL (not on the curve?)";
    return j;
}

Parsed ed25519_key(const json& k) {
    auto x = member(k, "x");
    if (!x || x->size() != 32) return std::string("Ed25519 key without a valid x");
    EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size());
    if (!key) return std::string("Ed25519 key refused by OpenSSL");
    Jwk j;
    j.type = KeyType::Ed25519;
    j.key = std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
    return j;
}

// nullopt: a key of a kind jit does not verify with (skipped).
std::optional<Parsed> one_key(const json& k) {
    if (!k.is_object()) return Parsed(std::string("a key is not a JSON object"));
    auto str = [&](const char* name) {
        auto it = k.find(name);
        return it != k.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string kty = str("kty"), crv = str("crv"), use = str("use");
    if (!use.empty() && use != "sig") return std::nullopt;
    std::optional<Parsed> key;
    if (kty == "RSA")
        key = rsa_key(k);
    else if (kty == "EC" && (crv == "P-256" || crv == "P-384"))
        key = ec_key(k, crv);
    else if (kty == "OKP" && crv == "Ed25519")
        key = ed25519_key(k);
    else
        return std::nullopt;
    if (*key) {
        (*key)->kid = str("kid");
        (*key)->alg = str("alg");
    }
    return key;
}

}  // namespace

const char* key_type_name(KeyType t) {
    switch (t) {
        case KeyType::Rsa:
            return "RSA";
        case KeyType::P256:
            return "EC P-256";
        case KeyType::P384:
            return "EC P-384";
        case KeyType::Ed25519:
            return "Ed25519";
    }
    return "?";
}

Result<KeySet, std::string> parse_jwks(std::string_view text) {
    auto doc = parse_strict(text, kMaxJwksBytes, 8);
    if (!doc) return "key set: " + doc.error().detail;
    auto keys = doc->find("keys");
    if (!doc->is_object() || keys == doc->end() || !keys->is_array())
        return std::string("key set: not a JSON object with a \"keys\" array");
    if (keys->size() > kMaxJwksKeys)
        return "key set: more than " + std::to_string(kMaxJwksKeys) + " keys";
    KeySet set;
    for (size_t i = 0; i < keys->size(); ++i) {
        auto key = one_key((*keys)[i]);
        if (!key) {
            ++set.skipped;
            continue;
        }
        if (!*key) return "key set: key " + std::to_string(i) + ": " + key->error();
        set.keys.push_back(std::move(**key));
    }
    return set;
}

}  // namespace jit::daemon::identity
