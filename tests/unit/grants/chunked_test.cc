// The grant book's storage: growing never moves an element (so a grant
// added at 100,000 copies none of the others), and it reads as a sequence.
#include "daemon/grants/chunked.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace jit::daemon {
namespace {

TEST(Chunked, GrowingNeverMovesWhatItHolds) {
    Chunked<std::string, 4> c;
    c.push_back("first");
    const std::string* first = &c[0];
    const char* bytes = c[0].data();
    for (int i = 1; i < 1000; ++i) c.push_back(std::to_string(i));
    EXPECT_EQ(&c[0], first) << "the element stays where it was";
    EXPECT_EQ(c[0].data(), bytes) << "and was not copied or moved";
    EXPECT_EQ(c.size(), 1000u);
    EXPECT_EQ(c[999], "999");
    EXPECT_EQ(c.back(), "999");
}

TEST(Chunked, ReadsAsASequenceInOrder) {
    Chunked<int, 3> c;
    std::vector<int> want;
    for (int i = 0; i < 10; ++i) {
        c.push_back(i * i);
        want.push_back(i * i);
    }
    EXPECT_EQ(std::vector<int>(c.begin(), c.end()), want);
    EXPECT_EQ(std::count_if(c.begin(), c.end(), [](int v) { return v % 2 == 0; }), 5);
    Chunked<int, 3> empty;
    EXPECT_TRUE(empty.empty());
    EXPECT_EQ(empty.begin(), empty.end());
}

TEST(Chunked, PopBackReleasesTheElementAndSpareChunks) {
    Chunked<std::string, 2> c;
    for (int i = 0; i < 9; ++i) c.push_back(std::string(100, char('a' + i)));
    std::string& last = c[8];
    c.pop_back();
    EXPECT_TRUE(last.empty()) << "the slot is reset, what it held freed";  // chunk kept: a spare
    EXPECT_EQ(c.size(), 8u);
    while (c.size() > 1) c.pop_back();
    EXPECT_EQ(c.back(), std::string(100, 'a'));
    for (int i = 1; i < 9; ++i) c.push_back(std::to_string(i));
    EXPECT_EQ(std::vector<std::string>(c.begin(), c.end()).back(), "8");
    EXPECT_EQ(c[1], "1") << "chunks given back are made again as needed";
}

}  // namespace
}  // namespace jit::daemon
