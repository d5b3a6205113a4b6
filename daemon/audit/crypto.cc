#include "daemon/audit/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <new>

namespace jit::daemon::audit {

namespace {

// With valid arguments these OpenSSL calls fail only when memory runs out,
// which the rest of jitd meets as std::bad_alloc too.
void must(int ok) {
    if (ok != 1) throw std::bad_alloc();
}

const EVP_MD* sha256_md() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!md) throw std::bad_alloc();
    return md;
}

EVP_MAC* hmac_algorithm() {
    static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!mac) throw std::bad_alloc();
    return mac;
}

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct MacCtxFree {
    void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

EVP_MD_CTX* digest_ctx() {
    thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx) throw std::bad_alloc();
    return ctx.get();
}

// The digest is set once: setting it at every init looks SHA-256 up again.
EVP_MAC_CTX* new_mac_ctx() {
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac_algorithm());
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (ctx && EVP_MAC_CTX_set_params(ctx, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        ctx = nullptr;
    }
    return ctx;
}

EVP_MAC_CTX* mac_ctx() {
    thread_local std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(new_mac_ctx());
    if (!ctx) throw std::bad_alloc();
    return ctx.get();
}

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string_view view(const Hash& h) {
    return {reinterpret_cast<const char*>(h.data()), h.size()};
}

std::optional<Secret> random_secret() {
    Hash bytes;
    if (RAND_priv_bytes(bytes.data(), int(bytes.size())) != 1) return std::nullopt;
    Secret s(bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return s;
}

Hash sha256(std::string_view a, std::string_view b, std::string_view c) {
    EVP_MD_CTX* ctx = digest_ctx();
    must(EVP_DigestInit_ex2(ctx, sha256_md(), nullptr));
    must(EVP_DigestUpdate(ctx, a.data(), a.size()));
    if (!b.empty()) must(EVP_DigestUpdate(ctx, b.data(), b.size()));
    if (!c.empty()) must(EVP_DigestUpdate(ctx, c.data(), c.size()));
    Hash out;
    unsigned int len = 0;
    must(EVP_DigestFinal_ex(ctx, out.data(), &len));
    return out;
}

Hash hmac_sha256(const Hash& key, std::string_view message) {
    EVP_MAC_CTX* ctx = mac_ctx();
    must(EVP_MAC_init(ctx, key.data(), key.size(), nullptr));
    must(EVP_MAC_update(ctx, bytes(message), message.size()));
    Hash out;
    size_t len = 0;
    must(EVP_MAC_final(ctx, out.data(), &len, out.size()));
    return out;
}

void wipe_hmac_context() {
    // The context keeps the last key's schedule until the next init.
    Hash zero{};
    must(EVP_MAC_init(mac_ctx(), zero.data(), zero.size(), nullptr));
}

namespace {

Pkey private_key(const Secret& seed) {
    return Pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.bytes().data(),
                                             seed.bytes().size()));
}

}  // namespace

std::optional<Hash> ed25519_public(const Secret& seed) {
    Pkey key = private_key(seed);
    Hash pub;
    size_t len = pub.size();
    if (!key || EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != pub.size())
        return std::nullopt;
    return pub;
}

std::string ed25519_sign(const Secret& seed, std::string_view message) {
    Pkey key = private_key(seed);
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    std::string sig(64, '\0');
    size_t len = sig.size();
    if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       bytes(message), message.size()) != 1 ||
        len != 64)
        return {};
    return sig;
}

bool ed25519_verify(const Hash& public_key, std::string_view message, std::string_view sig) {
    if (sig.size() != 64) return false;
    Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(),
                                         public_key.size()));
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    return key && ctx &&
           EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
           EVP_DigestVerify(ctx.get(), bytes(sig), sig.size(), bytes(message), message.size()) == 1;
}

std::string base64_encode(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(in), int(in.size()));
    out.resize(size_t(n));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0 || text.size() > (1u << 30)) return std::nullopt;
    std::string out(text.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(text),
                            int(text.size()));
    if (n < 0) return std::nullopt;
    size_t pad = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
    out.resize(size_t(n) - pad);
    // EVP_DecodeBlock skips blanks and ignores unused bits: insist on the one
    // encoding that encode() writes.
    if (base64_encode(out) != text) return std::nullopt;
    return out;
}

std::string hex(std::string_view in) {
    static const char digits[] = "0123456789abcdef";
    std::string out(in.size() * 2, '\0');
    for (size_t i = 0; i < in.size(); ++i) {
        unsigned char c = in[i];
        out[2 * i] = digits[c >> 4];
        out[2 * i + 1] = digits[c & 15];
    }
    return out;
}

namespace {

int nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> unhex(std::string_view text) {
    if (text.size() % 2) return std::nullopt;
    std::string out(text.size() / 2, '\0');
    for (size_t i = 0; i < out.size(); ++i) {
        int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[i] = char(hi << 4 | lo);
    }
    return out;
}

std::optional<Hash> hash_from_hex(std::string_view text) {
    if (text.size() != 64) return std::nullopt;
    Hash h;
    for (size_t i = 0; i < h.size(); ++i) {
        int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        h[i] = uint8_t(hi << 4 | lo);
    }
    return h;
}

void put_u32(std::string& out, uint32_t v) {
    const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    out.append(b, 4);
}
void put_u64(std::string& out, uint64_t v) {
    put_u32(out, uint32_t(v >> 32));
    put_u32(out, uint32_t(v));
}
uint32_t get_u32(const unsigned char* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint64_t get_u64(const unsigned char* p) {
    return uint64_t(get_u32(p)) << 32 | get_u32(p + 4);
}

// ---- secrets and the forward-evolving key ----

Secret& Secret::operator=(const Secret& o) {
    bytes_ = o.bytes_;
    return *this;
}

Secret::~Secret() {
    OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

namespace {

std::string label(const char* what, uint64_t epoch) {
    std::string m = what;
    put_u64(m, epoch);
    return m;
}

}  // namespace

void EvolvingKey::advance() {
    Hash next = hmac_sha256(key_.bytes(), label("jit-audit/v1 next", epoch_ + 1));
    key_ = Secret(next);  // the old key's bytes are overwritten in place
    OPENSSL_cleanse(next.data(), next.size());
    wipe_hmac_context();
    ++epoch_;
}

void EvolvingKey::advance_to(uint64_t epoch) {
    while (epoch_ < epoch) advance();
}

// The body starts with u32be(12) "jit-audit/v1", the key step with the
// text "jit-audit/v1 next": the two HMAC inputs can never coincide, so a
// record's MAC says nothing about the next key.
Hash EvolvingKey::mac(std::string_view body) const {
    return hmac_sha256(key_.bytes(), body);
}

}  // namespace jit::daemon::audit
