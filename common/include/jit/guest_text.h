// The few string operations the guests' argument parsing and managed-account
// test need, written out: pam_jit.so (the PAM front) links that code, and
// every libc function it imports costs each pam_start of every PAM stack that
// names it about 900 instructions of symbol binding (pam_module/front.cc).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace jit::guest::text {

inline size_t length(const char* s) {
    size_t n = 0;
    while (s[n]) ++n;
    return n;
}

inline bool equal(const char* a, const char* b) {
    while (*a && *a == *b) ++a, ++b;
    return *a == *b;
}

// Whether the first n bytes of s are prefix's (stops at s's end).
inline bool starts_with(const char* s, const char* prefix, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (s[i] != prefix[i]) return false;
    return true;
}

// The first c in s, or nullptr.
inline const char* find(const char* s, char c) {
    for (; *s; ++s)
        if (*s == c) return s;
    return nullptr;
}

// Decimal digits at s into *out (at most 0xffffffff); *end after them.
// false when s does not start with a digit or the number is too large.
inline bool parse_u32(const char* s, const char** end, uint32_t* out) {
    if (*s < '0' || *s > '9') return false;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; ++s) {
        v = v * 10 + uint64_t(*s - '0');
        if (v > 0xffffffffu) return false;
    }
    *out = uint32_t(v);
    *end = s;
    return true;
}

}  // namespace jit::guest::text
