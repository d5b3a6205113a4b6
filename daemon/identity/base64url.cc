#include "daemon/identity/base64url.h"

#include <openssl/evp.h>

namespace jit::daemon::identity {

std::string b64url_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<const unsigned char*>(bytes.data()), int(bytes.size()));
    out.resize(size_t(n));
    while (!out.empty() && out.back() == '=') out.pop_back();
    for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
    return out;
}

std::optional<std::string> b64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string std64(text);
    for (char& c : std64) {
        bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (!alnum)
            return std::nullopt;  // '+', '/', '=', blanks: not base64url as JWS spells it
    }
    size_t pad = (4 - std64.size() % 4) % 4;
    std64.append(pad, '=');
    std::string out(std64.size() / 4 * 3, '\0');
    int n =
        EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<const unsigned char*>(std64.data()), int(std64.size()));
    if (n < 0 || size_t(n) < pad) return std::nullopt;
    out.resize(size_t(n) - pad);
    // Stray low bits in the last character decode to the same bytes: refuse
    // them, so each byte string has exactly one accepted spelling.
    if (b64url_encode(out) != text) return std::nullopt;
    return out;
}

}  // namespace jit::daemon::identity
