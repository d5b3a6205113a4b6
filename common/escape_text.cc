#include "jit/escape.h"

#include <stdio.h>

namespace jit {

std::string escape_text(std::string_view in, bool keep_utf8) {
    std::string out(in.size() * 4 + 4, '\0');
    escape_for_log(in.data(), in.size(), out.data(), out.size(), keep_utf8);
    out.resize(out.find('\0'));
    return out;
}

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += char(c);  // UTF-8 passes through: the wire validated it
                }
        }
    }
    return out + "\"";
}

}  // namespace jit
