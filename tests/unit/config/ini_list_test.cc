// The list syntax shared by jitd.conf and the policy files.
#include <gtest/gtest.h>

#include "daemon/config/ini_file.h"

namespace jit::daemon {
namespace {

std::vector<std::string> items(std::string_view v) {
    auto r = split_list(v);
    EXPECT_TRUE(r.ok()) << v;
    return r.ok() ? std::vector<std::string>(r->begin(), r->end()) : std::vector<std::string>{};
}

TEST(IniListTest, CommasAndBlanksSeparate) {
    EXPECT_EQ(items("a"), (std::vector<std::string>{"a"}));
    EXPECT_EQ(items(" a, b\tc ,d "), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(IniListTest, AnEmptyItemIsAnError) {
    for (std::string_view v : {"", " ", ",a", "a,", "a,,b", "a, ,b"}) {
        auto r = split_list(v);
        ASSERT_FALSE(r.ok()) << "'" << v << "'";
        EXPECT_EQ(r.error(), "empty entry in list");
    }
}

TEST(IniListTest, ControlCharactersStayInTheirItem) {
    // The item's own check then rejects it; it never splits one name in two.
    EXPECT_EQ(items("a\vb,c\rd"), (std::vector<std::string>{"a\vb", "c\rd"}));
}

}  // namespace
}  // namespace jit::daemon
