#include <gtest/gtest.h>

#include "jit/escape.h"

namespace jit {
namespace {

TEST(JsonStringTest, QuotesAndEscapesWhatJsonRequires) {
    EXPECT_EQ(json_string(""), "\"\"");
    EXPECT_EQ(json_string("deploy"), "\"deploy\"");
    EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(json_string("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
}

TEST(JsonStringTest, OtherControlsBecomeUnicodeEscapes) {
    EXPECT_EQ(json_string(std::string("\x01\x1b[2J\x7f", 6)), "\"\\u0001\\u001b[2J\\u007f\"");
    EXPECT_EQ(json_string(std::string("a\0b", 3)), "\"a\\u0000b\"") << "a NUL ends nothing";
}

TEST(JsonStringTest, Utf8PassesThrough) {
    EXPECT_EQ(json_string("r\xc3\xa9sum\xc3\xa9"), "\"r\xc3\xa9sum\xc3\xa9\"");
}

// The same code points the text output escapes (escape_text) must not reach a
// terminal through --json either: a reason with U+202E would read backwards.
TEST(JsonStringTest, BidiAndOtherUnsafeCodePointsBecomeUnicodeEscapes) {
    EXPECT_EQ(json_string("deploy \xe2\x80\xaetxt.exe"), "\"deploy \\u202etxt.exe\"");
    EXPECT_EQ(json_string("\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f"), "\"\\u061c\\u200e\\u200f\"");
    EXPECT_EQ(json_string("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"),
              "\"\\u202a\\u202b\\u202c\\u202d\"");
    EXPECT_EQ(json_string("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"),
              "\"\\u2066\\u2067\\u2068\\u2069\"");
    EXPECT_EQ(json_string("a\xe2\x80\xa8"
                          "b\xe2\x80\xa9"),
              "\"a\\u2028b\\u2029\"")
        << "line separators";
    EXPECT_EQ(json_string("\xc2\x85\xc2\x9b[2J"), "\"\\u0085\\u009b[2J\"") << "C1 controls";
    // Neighbours of the escaped ranges pass through.
    EXPECT_EQ(json_string("\xc2\xa0\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5"),
              "\"\xc2\xa0\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\"");
}

TEST(JsonStringTest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
    EXPECT_EQ(json_string("a\xffz"), "\"a\\ufffdz\"");
    EXPECT_EQ(json_string("\xe2\x80"), "\"\\ufffd\\ufffd\"") << "a truncated sequence";
    EXPECT_EQ(json_string("\xc0\x8a"), "\"\\ufffd\\ufffd\"") << "an overlong newline is no newline";
    EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"") << "a surrogate";
    EXPECT_EQ(json_string("\xf0\x9f\x94\x91"), "\"\xf0\x9f\x94\x91\"") << "4-byte UTF-8 passes";
}

}  // namespace
}  // namespace jit
