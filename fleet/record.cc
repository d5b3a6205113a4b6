#include "fleet/record.h"

#include <openssl/pem.h>
#include <stdio.h>

#include "fleet/json_strict.h"

namespace jit::fleet {

using nlohmann::json;

namespace {

constexpr std::string_view kDomain = "jit-fleet/v1";
constexpr size_t kEd25519KeyBytes = 32;
constexpr size_t kEd25519SigBytes = 64;

struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

std::string signed_message(std::string_view kind, std::string_view signer, std::string_view body) {
    std::string m(kDomain);
    m.push_back('\0');
    m.append(kind);
    m.push_back('\0');
    m.append(signer);
    m.push_back('\0');
    m.append(body);
    return m;
}

bool is_ed25519(EVP_PKEY* key) {
    return key && EVP_PKEY_get_id(key) == EVP_PKEY_ED25519;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<const unsigned char*>(bytes.data()), int(bytes.size()));
    out.resize(size_t(n));
    return out;
}

Result<std::string, Failure> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return fail("base64 length is not a multiple of 4");
    for (char c : text)
        if (!isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=')
            return fail("not base64");
    std::string out(3 * (text.size() / 4) + 1, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), int(text.size()));
    if (n < 0) return fail("not base64");
    size_t pad = 0;
    if (!text.empty() && text.back() == '=')
        pad = (text.size() >= 2 && text[text.size() - 2] == '=') ? 2 : 1;
    out.resize(size_t(n) - pad);
    return out;
}

Result<Pkey, Failure> load_private_key(const std::string& pem_path) {
    FILE* f = fopen(pem_path.c_str(), "re");
    if (!f) return fail(pem_path + ": cannot open", errno);
    Pkey key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
    fclose(f);
    if (!key) return fail(pem_path + ": not a PEM private key");
    if (!is_ed25519(key.get())) return fail(pem_path + ": not an Ed25519 key");
    return key;
}

Result<Pkey, Failure> public_key_from_base64(std::string_view b64) {
    auto raw = base64_decode(b64);
    if (!raw.ok()) return fail("public key: " + raw.error().message);
    if (raw->size() != kEd25519KeyBytes) return fail("public key: not 32 bytes");
    Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                         reinterpret_cast<const unsigned char*>(raw->data()),
                                         raw->size()));
    if (!key) return fail("public key: rejected by OpenSSL");
    return key;
}

Result<std::string, Failure> public_key_base64(EVP_PKEY* key) {
    unsigned char raw[kEd25519KeyBytes];
    size_t len = sizeof raw;
    if (!is_ed25519(key) || EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 || len != sizeof raw)
        return fail("not an Ed25519 key");
    return base64_encode(std::string_view(reinterpret_cast<char*>(raw), len));
}

Result<std::string, Failure> seal(EVP_PKEY* private_key, std::string_view kind,
                                  std::string_view signer, std::string_view body) {
    if (!is_ed25519(private_key)) return fail("signing key is not Ed25519");
    std::string msg = signed_message(kind, signer, body);
    MdCtx ctx(EVP_MD_CTX_new());
    unsigned char sig[kEd25519SigBytes];
    size_t sig_len = sizeof sig;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, private_key) != 1 ||
        EVP_DigestSign(ctx.get(), sig, &sig_len, reinterpret_cast<const unsigned char*>(msg.data()),
                       msg.size()) != 1)
        return fail("Ed25519 signing failed");
    json env = {{"v", 1},
                {"kind", std::string(kind)},
                {"signer", std::string(signer)},
                {"body", std::string(body)},
                {"sig", base64_encode(std::string_view(reinterpret_cast<char*>(sig), sig_len))}};
    return env.dump();
}

Result<Envelope, Failure> parse_envelope(std::string_view text) {
    auto doc = parse_strict(text);
    if (!doc.ok()) return fail("envelope: " + doc.error().message, EBADMSG);
    const json& j = *doc;
    if (!j.is_object() || j.size() != 5) return fail("envelope: not an object of 5 members");
    for (const char* k : {"kind", "signer", "body", "sig"})
        if (!j.contains(k) || !j[k].is_string())
            return fail(std::string("envelope: ") + k + " missing or not a string", EBADMSG);
    if (!j.contains("v") || !j["v"].is_number_integer() || j["v"].get<int64_t>() != 1)
        return fail("envelope: unknown version");
    Envelope env;
    env.kind = j["kind"].get<std::string>();
    env.signer = j["signer"].get<std::string>();
    env.body = j["body"].get<std::string>();
    auto sig = base64_decode(j["sig"].get<std::string>());
    if (!sig.ok() || sig->size() != kEd25519SigBytes)
        return fail("envelope: sig is not 64 bytes of base64");
    env.sig = std::move(*sig);
    return env;
}

bool verify_envelope(const Envelope& env, EVP_PKEY* public_key) {
    if (!is_ed25519(public_key) || env.sig.size() != kEd25519SigBytes) return false;
    std::string msg = signed_message(env.kind, env.signer, env.body);
    MdCtx ctx(EVP_MD_CTX_new());
    return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, public_key) == 1 &&
           EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(env.sig.data()),
                            env.sig.size(), reinterpret_cast<const unsigned char*>(msg.data()),
                            msg.size()) == 1;
}

}  // namespace jit::fleet
