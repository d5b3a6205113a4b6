// Makes untrusted text (user names, rhost, reasons from the wire) safe for a
// single log or terminal line.  Control characters (C0, DEL, C1, the
// bidirectional controls U+061C, U+200E/F, U+202A-202E, U+2066-2069, and the
// separators U+2028/U+2029),
// backslash and, unless keep_utf8, every non-ASCII byte become \xNN, so no
// text can start a new line, forge a log field, drive a terminal or read
// backwards.
// Used by pam_jit.so (fixed buffers) and by jitd and jitctl (std::string).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <string_view>

namespace jit {

// A byte escape_for_log and escape_text pass as it is: printable ASCII other
// than backslash (json_string also escapes the quote).
inline bool is_plain_ascii(unsigned char c) {
    return c >= 0x20 && c < 0x7f && c != '\\';
}

// Always NUL-terminates out (cap >= 4); marks truncation with "...".
const char* escape_for_log(const char* in, size_t in_len, char* out, size_t cap,
                           bool keep_utf8 = false);
const char* escape_for_log(const char* in, char* out, size_t cap);

// Unbounded variant for jitd and jitctl (libjitcommon, not for the modules).
std::string escape_text(std::string_view in, bool keep_utf8 = true);

// s as a quoted JSON string (RFC 8259) that is as safe on a terminal as
// escape_text: quote, backslash, C0 controls and DEL, and the code points
// is_unsafe_code_point names are written as \uXXXX; a byte that is not
// part of well-formed UTF-8 becomes \ufffd, so the output is valid JSON
// whatever s holds; other UTF-8 passes through.
std::string json_string(std::string_view s);

// The code points escaped even where UTF-8 is kept: C1 controls, the
// bidirectional controls (U+061C, U+200E/F, U+202A-202E, U+2066-2069) and the
// line and paragraph separators U+2028/U+2029.
bool is_unsafe_code_point(uint32_t cp);
// Length of the well-formed UTF-8 sequence at in (1 for ASCII), or 0 when in
// holds none there (bad lead or continuation, overlong, surrogate, truncated).
size_t utf8_sequence(const unsigned char* in, size_t len);
uint32_t utf8_code_point(const unsigned char* in, size_t n);

}  // namespace jit
