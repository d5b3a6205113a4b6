#include "jit/escape.h"

namespace jit {

std::string escape_text(std::string_view in, bool keep_utf8) {
    std::string out(in.size() * 4 + 4, '\0');
    escape_for_log(in.data(), in.size(), out.data(), out.size(), keep_utf8);
    out.resize(out.find('\0'));
    return out;
}

}  // namespace jit
