#include "jit/escape.h"

#include <stdio.h>

#include <algorithm>

namespace jit {

std::string escape_text(std::string_view in, bool keep_utf8) {
    // Names, services and reasons are printable ASCII as a rule: copied once,
    // with no buffer four times their size to fill and search.
    const bool plain = std::all_of(
        in.begin(), in.end(), [](char c) { return is_plain_ascii(static_cast<unsigned char>(c)); });
    if (plain) return std::string(in);
    std::string out(in.size() * 4 + 4, '\0');
    escape_for_log(in.data(), in.size(), out.data(), out.size(), keep_utf8);
    out.resize(out.find('\0'));
    return out;
}

std::string json_string(std::string_view s) {
    const auto* in = reinterpret_cast<const unsigned char*>(s.data());
    std::string out = "\"";
    for (size_t i = 0; i < s.size();) {
        size_t n = utf8_sequence(in + i, s.size() - i);
        uint32_t cp = n ? utf8_code_point(in + i, n) : 0xfffd;
        if (cp == '"' || cp == '\\') {
            out += '\\';
            out += char(cp);
        } else if (cp == '\n') {
            out += "\\n";
        } else if (cp == '\r') {
            out += "\\r";
        } else if (cp == '\t') {
            out += "\\t";
        } else if (cp < 0x20 || cp == 0x7f || cp == 0xfffd || is_unsafe_code_point(cp)) {
            char buf[8];
            snprintf(buf, sizeof buf, "\\u%04x", unsigned(cp));
            out += buf;
        } else {
            out.append(s.data() + i, n);
        }
        i += n ? n : 1;
    }
    return out + "\"";
}

}  // namespace jit
