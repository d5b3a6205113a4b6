// Log escaping: controls of every kind, bidirectional ones included, become
// \xNN; ordinary UTF-8 passes through when kept.
#include "jit/escape.h"

#include <gtest/gtest.h>

namespace jit {
namespace {

TEST(Escape, ControlsAndBackslashAreEscaped) {
    EXPECT_EQ(escape_text("a\nb\\c\x7f"), "a\\x0ab\\x5cc\\x7f");
    EXPECT_EQ(escape_text("\xc2\x85"), "\\xc2\\x85");  // C1: NEL
}

TEST(Escape, PrintableAsciiPassesUnchangedAndAnythingElseIsStillSeen) {
    std::string printable;
    for (char c = 0x20; c < 0x7f; ++c)
        if (c != '\\') printable += c;
    EXPECT_EQ(escape_text(printable), printable);
    EXPECT_EQ(escape_text(""), "");
    // One byte to escape anywhere in an otherwise plain string is escaped.
    for (size_t at : {size_t(0), size_t(7), printable.size() - 1}) {
        for (char odd : {'\n', '\\', '\x7f', '\0', '\x1b'}) {
            std::string s = printable;
            s[at] = odd;
            std::string out = escape_text(s);
            EXPECT_EQ(out.find(odd), odd == '\\' ? at : std::string::npos) << out;
            EXPECT_NE(out.find("\\x"), std::string::npos) << out;
        }
    }
}

TEST(Escape, BidirectionalControlsAreEscaped) {
    // U+202E RIGHT-TO-LEFT OVERRIDE would make "txt.exe" read "exe.txt".
    EXPECT_EQ(escape_text("a\u202Eb"), "a\\xe2\\x80\\xaeb");
    for (const char* bidi : {"\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067",
                             "\u2068", "\u2069", "\u200E", "\u200F", "\u061C"}) {
        std::string out = escape_text(bidi);
        EXPECT_EQ(out.find_first_of("\x80\xff"), std::string::npos) << out;
        EXPECT_EQ(out.rfind("\\x", 0), 0u) << out;
    }
}

TEST(Escape, LineSeparatorsAndOverlongFormsAreEscaped) {
    EXPECT_EQ(escape_text("a\u2028b\u2029"), "a\\xe2\\x80\\xa8b\\xe2\\x80\\xa9");
    // An overlong newline (C0 8A) and an encoded surrogate are not UTF-8.
    EXPECT_EQ(escape_text("\xc0\x8a"), "\\xc0\\x8a");
    EXPECT_EQ(escape_text("\xed\xa0\x80"), "\\xed\\xa0\\x80");
}

TEST(Escape, OrdinaryUtf8PassesWhenKept) {
    EXPECT_EQ(escape_text("caf\u00e9 \u2013 \u2065 \u202F"), "caf\u00e9 \u2013 \u2065 \u202F");
    char out[64];
    EXPECT_STREQ(escape_for_log("caf\u00e9", out, sizeof out), "caf\\xc3\\xa9");  // modules: ASCII
}

}  // namespace
}  // namespace jit
