// Makes untrusted text (user names, rhost, reasons from the wire) safe for a
// single log or terminal line.  Control characters (C0, DEL, C1, and the
// bidirectional controls U+061C, U+200E/F, U+202A-202E, U+2066-2069),
// backslash and, unless keep_utf8, every non-ASCII byte become \xNN, so no
// text can start a new line, forge a log field, drive a terminal or read
// backwards.
// Used by pam_jit.so (fixed buffers) and by jitd and jitctl (std::string).
#pragma once

#include <stddef.h>

#include <string>
#include <string_view>

namespace jit {

// Always NUL-terminates out (cap >= 4); marks truncation with "...".
const char* escape_for_log(const char* in, size_t in_len, char* out, size_t cap,
                           bool keep_utf8 = false);
const char* escape_for_log(const char* in, char* out, size_t cap);

// Unbounded variant for jitd and jitctl (libjitcommon, not for the modules).
std::string escape_text(std::string_view in, bool keep_utf8 = true);

// s as a quoted JSON string (RFC 8259): quote, backslash and control
// characters escaped; UTF-8 passes through (the wire validated it).
std::string json_string(std::string_view s);

}  // namespace jit
