#include "jit/escape.h"

#include <string.h>

namespace jit {

namespace {

// Bidirectional controls reorder what a terminal or log viewer shows (a
// reason with U+202E reads backwards): escaped like the other controls.
// U+061C, U+200E/U+200F, U+202A..U+202E, U+2066..U+2069.
bool is_bidi_control(const unsigned char* p, size_t n) {
    if (n == 2) return p[0] == 0xd8 && p[1] == 0x9c;
    if (n != 3 || p[0] != 0xe2) return false;
    if (p[1] == 0x80) return p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae);
    return p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9;
}

// Bytes to emit verbatim starting at in[i]: 0 means escape in[i].
size_t plain_run(const unsigned char* in, size_t i, size_t len, bool keep_utf8) {
    unsigned char c = in[i];
    if (c >= 0x20 && c < 0x7f) return c == '\\' ? 0 : 1;
    if (c < 0x80 || !keep_utf8) return 0;
    size_t n = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || i + n > len) return 0;
    for (size_t k = 1; k < n; ++k)
        if ((in[i + k] & 0xc0) != 0x80) return 0;
    if (c == 0xc2 && in[i + 1] < 0xa0) return 0;  // U+0080..U+009F: C1 controls
    if (is_bidi_control(in + i, n)) return 0;
    return n;
}

}  // namespace

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
