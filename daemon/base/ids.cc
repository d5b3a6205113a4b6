#include "daemon/base/ids.h"

#include <errno.h>
#include <sys/random.h>

namespace jit::daemon {

namespace {

constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
constexpr size_t kIdChars = 8;

bool in_alphabet(char c) {
    for (const char* p = kAlphabet; *p; ++p)
        if (*p == c) return true;
    return false;
}

bool lower_or_digit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

Result<std::string> new_random_id(std::string_view prefix, size_t chars) {
    unsigned char bytes[32];
    if (chars > sizeof bytes) return make_error(EINVAL, "id too long");
    size_t got = 0;
    while (got < chars) {
        ssize_t n = getrandom(bytes + got, chars - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(errno, "getrandom failed");
        got += size_t(n);
    }
    std::string id(prefix);
    for (size_t i = 0; i < chars; ++i) id += kAlphabet[bytes[i] & 31];
    return id;
}

Result<std::string> new_grant_id() {
    return new_random_id("g-", kIdChars);
}

bool valid_grant_id(std::string_view id) {
    if (id.size() != 2 + kIdChars || id.substr(0, 2) != "g-") return false;
    for (char c : id.substr(2))
        if (!in_alphabet(c)) return false;
    return true;
}

bool valid_user_name(std::string_view name) {
    if (name.empty() || name.size() > 32) return false;
    if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'))) return false;
    for (char c : name)
        if (!(lower_or_digit(c) || c == '_' || c == '.' || c == '-')) return false;
    return true;
}

bool valid_service_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool alnum = lower_or_digit(c) || (c >= 'A' && c <= 'Z');
        if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '@' && c != '+' && c != '-')))
            return false;
    }
    return true;
}

}  // namespace jit::daemon
