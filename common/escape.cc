#include "jit/escape.h"

#include <string.h>

namespace jit {

namespace {

uint32_t code_point(const unsigned char* p, size_t n) {
    if (n == 2) return (p[0] & 0x1fu) << 6 | (p[1] & 0x3fu);
    if (n == 3) return (p[0] & 0x0fu) << 12 | (p[1] & 0x3fu) << 6 | (p[2] & 0x3fu);
    return (p[0] & 0x07u) << 18 | (p[1] & 0x3fu) << 12 | (p[2] & 0x3fu) << 6 | (p[3] & 0x3fu);
}

// Bytes to emit verbatim starting at in[i]: 0 means escape in[i].
size_t plain_run(const unsigned char* in, size_t i, size_t len, bool keep_utf8) {
    unsigned char c = in[i];
    if (is_plain_ascii(c)) return 1;
    if (c < 0x80 || !keep_utf8) return 0;
    size_t n = utf8_sequence(in + i, len - i);
    if (n == 0) return 0;
    if (is_unsafe_code_point(code_point(in + i, n))) return 0;
    return n;
}

}  // namespace

// C1 controls act like C0 ones on some terminals; bidirectional controls
// reorder what a terminal or log viewer shows (a reason with U+202E reads
// backwards); U+2028/U+2029 end a line for some readers (and a JavaScript
// string).
bool is_unsafe_code_point(uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t utf8_sequence(const unsigned char* in, size_t len) {
    if (len == 0 || in[0] < 0x80) return len == 0 ? 0 : 1;
    unsigned char c = in[0];
    size_t n = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || n > len) return 0;
    for (size_t k = 1; k < n; ++k)
        if ((in[k] & 0xc0) != 0x80) return 0;
    static const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    uint32_t cp = code_point(in, n);
    if (cp < smallest[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;  // overlong, surrogate
    return n;
}

uint32_t utf8_code_point(const unsigned char* in, size_t n) {
    return n == 1 ? in[0] : code_point(in, n);
}

const char* escape_for_log(const char* in, size_t in_len, char* out, size_t cap, bool keep_utf8) {
    static const char hex[] = "0123456789abcdef";
    const auto* s = reinterpret_cast<const unsigned char*>(in);
    size_t o = 0;
    for (size_t i = 0; i < in_len;) {
        size_t run = plain_run(s, i, in_len, keep_utf8);
        size_t need = run ? run : 4;
        if (o + need + 4 > cap) {  // keep room for "..." and the NUL
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (run) {
            memcpy(out + o, s + i, run);
            o += run;
            i += run;
            continue;
        }
        out[o++] = '\\';
        out[o++] = 'x';
        out[o++] = hex[s[i] >> 4];
        out[o++] = hex[s[i] & 15];
        ++i;
    }
    out[o] = '\0';
    return out;
}

const char* escape_for_log(const char* in, char* out, size_t cap) {
    if (!in) in = "";
    return escape_for_log(in, strlen(in), out, cap);
}

}  // namespace jit
