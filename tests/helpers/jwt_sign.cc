#include "tests/helpers/jwt_sign.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

namespace jit::testing {

namespace {

[[noreturn]] void fail(const std::string& what) {
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e) ERR_error_string_n(e, buf, sizeof buf);
    throw std::runtime_error(what + (e ? std::string(": ") + buf : std::string()));
}

struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
    void operator()(BIO* b) const { BIO_free(b); }
    void operator()(BIGNUM* b) const { BN_free(b); }
    void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
template <typename T>
using Owned = std::unique_ptr<T, CtxFree>;

std::string bn_bytes(EVP_PKEY* key, const char* param, int pad = 0) {
    BIGNUM* raw = nullptr;
    if (!EVP_PKEY_get_bn_param(key, param, &raw)) fail(std::string("reading ") + param);
    Owned<BIGNUM> bn(raw);
    int len = pad ? pad : BN_num_bytes(bn.get());
    std::string out(size_t(len), '\0');
    if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), len) != len)
        fail("encoding a number");
    return out;
}

// ECDSA signatures in JWS are r || s, each the curve's size (RFC 7518 3.4).
std::string der_to_raw(const std::string& der, int half) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    Owned<ECDSA_SIG> sig(d2i_ECDSA_SIG(nullptr, &p, long(der.size())));
    if (!sig) fail("decoding an ECDSA signature");
    const BIGNUM *r = nullptr, *s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    std::string out(size_t(2 * half), '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    if (BN_bn2binpad(r, o, half) != half || BN_bn2binpad(s, o + half, half) != half)
        fail("encoding an ECDSA signature");
    return out;
}

std::string hmac_sha256(std::string_view secret, std::string_view input) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!HMAC(EVP_sha256(), secret.data(), int(secret.size()),
              reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len))
        fail("HMAC");
    return std::string(reinterpret_cast<char*>(mac), len);
}

}  // namespace

std::string b64url(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<const unsigned char*>(bytes.data()), int(bytes.size()));
    out.resize(size_t(n));
    while (!out.empty() && out.back() == '=') out.pop_back();
    for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
    return out;
}

Pkey load_private_key(const std::string& path) {
    Owned<BIO> bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) fail("cannot open " + path);
    Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) fail("not a PEM private key: " + path);
    return key;
}

Pkey generate_key(const std::string& type) {
    EVP_PKEY* k = nullptr;
    if (type == "RSA")
        k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(2048));
    else if (type == "P-256")
        k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    else if (type == "P-384")
        k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
    else if (type == "Ed25519")
        k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    else
        throw std::runtime_error("unknown key type " + type);
    if (!k) fail("generating a " + type + " key");
    return Pkey(k);
}

std::string key_pem(EVP_PKEY* key, bool public_only) {
    Owned<BIO> bio(BIO_new(BIO_s_mem()));
    int ok = public_only
                 ? PEM_write_bio_PUBKEY(bio.get(), key)
                 : PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    if (!ok) fail("writing PEM");
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, size_t(len));
}

std::string sign(EVP_PKEY* key, const std::string& alg, std::string_view input,
                 std::string_view secret) {
    if (alg == "none") return "";
    if (alg == "HS256") return hmac_sha256(secret, input);
    const EVP_MD* md = nullptr;
    if (alg == "RS256" || alg == "PS256" || alg == "ES256")
        md = EVP_sha256();
    else if (alg == "ES384")
        md = EVP_sha384();
    else if (alg != "EdDSA")
        throw std::runtime_error("jwt_sign: unsupported alg " + alg);
    Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key) != 1)
        fail("signing with " + alg + " (does the key fit the alg?)");
    if (alg == "PS256" && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
        fail("PSS parameters");
    size_t len = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(input.data());
    if (EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) fail("signature size");
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                       input.size()) != 1)
        fail("signing");
    sig.resize(len);
    if (alg == "ES256") return der_to_raw(sig, 32);
    if (alg == "ES384") return der_to_raw(sig, 48);
    return sig;
}

std::string compact(EVP_PKEY* key, const std::string& alg, std::string_view header_json,
                    std::string_view payload_json, std::string_view secret) {
    std::string input = b64url(header_json) + "." + b64url(payload_json);
    return input + "." + b64url(sign(key, alg, input, secret));
}

std::string public_jwk(EVP_PKEY* key, const std::string& kid, const std::string& alg) {
    nlohmann::ordered_json j;
    switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_RSA:
            j["kty"] = "RSA";
            j["n"] = b64url(bn_bytes(key, OSSL_PKEY_PARAM_RSA_N));
            j["e"] = b64url(bn_bytes(key, OSSL_PKEY_PARAM_RSA_E));
            break;
        case EVP_PKEY_EC: {
            char group[64] = "";
            if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                sizeof group, nullptr))
                fail("reading the curve");
            std::string g = group;
            int size = g == "prime256v1" ? 32 : g == "secp384r1" ? 48 : 0;
            if (size == 0) throw std::runtime_error("jwt_sign: unsupported curve " + g);
            j["kty"] = "EC";
            j["crv"] = size == 32 ? "P-256" : "P-384";
            j["x"] = b64url(bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_X, size));
            j["y"] = b64url(bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_Y, size));
            break;
        }
        case EVP_PKEY_ED25519: {
            unsigned char raw[32];
            size_t len = sizeof raw;
            if (!EVP_PKEY_get_raw_public_key(key, raw, &len)) fail("reading the Ed25519 key");
            j["kty"] = "OKP";
            j["crv"] = "Ed25519";
            j["x"] = b64url(std::string_view(reinterpret_cast<char*>(raw), len));
            break;
        }
        default:
            throw std::runtime_error("jwt_sign: unsupported key type");
    }
    if (!kid.empty()) j["kid"] = kid;
    if (!alg.empty()) {
        j["alg"] = alg;
        j["use"] = "sig";
    }
    return j.dump();
}

}  // namespace jit::testing
