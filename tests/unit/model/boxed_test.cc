#include "daemon/model/boxed.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/model/grant.h"

namespace jit::daemon {
namespace {

TEST(BoxedTest, UnsetReadsAsEmpty) {
    Boxed<std::vector<std::string>> b;
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(b.size(), 0u);
    EXPECT_TRUE((*b).empty());
    EXPECT_EQ(b.begin(), b.end());
}

TEST(BoxedTest, CopiesAreDeep) {
    Boxed<std::vector<std::string>> a = std::vector<std::string>{"/usr/bin/true"};
    Boxed<std::vector<std::string>> b = a;
    b.edit().push_back("/usr/bin/false");
    EXPECT_EQ(a.size(), 1u);
    EXPECT_EQ(b.size(), 2u);
    a = b;
    b.edit().clear();
    EXPECT_EQ(a.size(), 2u);
    EXPECT_TRUE(b.empty());
}

TEST(BoxedTest, AnEmptyValueIsTheUnsetBox) {
    Boxed<std::string> s = std::string("fg-1");
    EXPECT_EQ(s, "fg-1");
    s = std::string();
    EXPECT_TRUE(s.empty());
    EXPECT_EQ(s, Boxed<std::string>());
    EXPECT_EQ(*s, "");
}

TEST(BoxedTest, MovedFromIsEmpty) {
    Boxed<std::string> a = std::string("fg-2");
    Boxed<std::string> b = std::move(a);
    EXPECT_EQ(*b, "fg-2");
}

// The grant keeps its rarely set parts out of line; copies of a grant still
// own theirs.
TEST(BoxedTest, AGrantCopiesItsBoxedParts) {
    Grant g;
    g.identity = WorkloadIdentity{"github", "https://issuer", "repo:x", {"a=b"}, "digest"};
    g.fleet_id = std::string("fg-3");
    Grant copy = g;
    EXPECT_EQ(copy.identity->subject, "repo:x");
    EXPECT_EQ(*copy.fleet_id, "fg-3");
    g.identity = WorkloadIdentity{};
    EXPECT_TRUE(g.identity.empty());
    EXPECT_FALSE(copy.identity.empty());
    EXPECT_TRUE(copy.commands.empty());
}

}  // namespace
}  // namespace jit::daemon
