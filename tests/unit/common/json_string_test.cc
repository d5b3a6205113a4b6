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

}  // namespace
}  // namespace jit
