// Seed corpora are stored as hex text so the repository holds no binary files
// and a reviewer can read every seed.  One frame per file; whitespace is
// ignored and '#' starts a comment that runs to the end of the line.  The fuzz
// runner (through hex2bin) and the replay test both parse with this code, so a
// seed means the same bytes to both.
#pragma once

#include <stdint.h>

#include <optional>
#include <string_view>
#include <vector>

namespace jit::fuzz {

inline int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The bytes the text spells, or nullopt when it holds a stray character or an
// odd number of digits: a damaged seed must be noticed, not half-read.
inline std::optional<std::vector<uint8_t>> parse_hex(std::string_view text) {
    std::vector<uint8_t> out;
    int high = -1;
    bool in_comment = false;
    for (char c : text) {
        if (in_comment) {
            in_comment = c != '\n';
            continue;
        }
        if (c == '#') {
            in_comment = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
        int v = hex_value(c);
        if (v < 0) return std::nullopt;
        if (high < 0) {
            high = v;
        } else {
            out.push_back(uint8_t(high << 4 | v));
            high = -1;
        }
    }
    if (high >= 0) return std::nullopt;
    return out;
}

}  // namespace jit::fuzz
