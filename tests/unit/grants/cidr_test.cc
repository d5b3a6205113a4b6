// Source networks: parsing (prefix and host-bit validation, canonical form)
// and matching PAM_RHOST values at the edges of each network.
#include <errno.h>

#include <string>

#include <gtest/gtest.h>

#include "daemon/grants/cidr.h"

using namespace std::string_literals;
using jit::daemon::Cidr;

namespace {

struct ValidCase {
    std::string text;
    std::string canonical;
};

class CidrValidTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(CidrValidTest, ParsesToCanonicalForm) {
    const ValidCase& c = GetParam();
    auto r = Cidr::parse(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().what;
    EXPECT_EQ(r->to_string(), c.canonical);
    // The canonical form reads back as the same network.
    auto again = Cidr::parse(r->to_string());
    ASSERT_TRUE(again.ok()) << r->to_string();
    EXPECT_EQ(again->to_string(), c.canonical);
}

INSTANTIATE_TEST_SUITE_P(
    Cidr, CidrValidTest,
    ::testing::Values(ValidCase{"10.0.0.0/8", "10.0.0.0/8"}, ValidCase{"192.0.2.7", "192.0.2.7/32"},
                      ValidCase{"192.0.2.7/32", "192.0.2.7/32"},
                      ValidCase{"0.0.0.0/0", "0.0.0.0/0"},
                      ValidCase{"172.16.0.0/12", "172.16.0.0/12"},
                      ValidCase{"255.255.255.255", "255.255.255.255/32"},
                      ValidCase{"2001:db8::/32", "2001:db8::/32"},
                      ValidCase{"2001:DB8:0000::/48", "2001:db8::/48"}, ValidCase{"::1", "::1/128"},
                      ValidCase{"::/0", "::/0"}, ValidCase{"fe80::/10", "fe80::/10"},
                      ValidCase{"::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104"}));

struct InvalidCase {
    const char* name;
    std::string text;
};

class CidrInvalidTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(CidrInvalidTest, IsRejectedWithEinval) {
    const InvalidCase& c = GetParam();
    auto r = Cidr::parse(c.text);
    ASSERT_FALSE(r.ok()) << "accepted '" << c.text << "' as " << r->to_string();
    EXPECT_EQ(r.error().code, EINVAL);
    EXPECT_STRNE(r.error().what, "");
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(Cidr, CidrInvalidTest, ::testing::Values(
    InvalidCase{"Empty", ""},
    InvalidCase{"OnlyPrefix", "/8"},
    InvalidCase{"EmptyPrefix", "10.0.0.0/"},
    InvalidCase{"V4PrefixTooLong", "10.0.0.0/33"},
    InvalidCase{"V6PrefixTooLong", "::/129"},
    InvalidCase{"HugePrefix", "10.0.0.0/1000"},
    InvalidCase{"V4HostBitsSet", "10.0.0.1/8"},
    InvalidCase{"V4HostBitsSetInPartialByte", "172.16.0.0/11"},
    InvalidCase{"V6HostBitsSet", "2001:db8::1/32"},
    InvalidCase{"MappedHostBitsSet", "::ffff:10.0.0.1/104"},
    InvalidCase{"NegativePrefix", "10.0.0.0/-1"},
    InvalidCase{"PlusPrefix", "10.0.0.0/+8"},
    InvalidCase{"LeadingZeroPrefix", "10.0.0.0/08"},
    InvalidCase{"TwoPrefixes", "10.0.0.0/8/8"},
    InvalidCase{"TrailingGarbage", "10.0.0.0/8x"},
    InvalidCase{"BlankBeforeSlash", "10.0.0.0 /8"},
    InvalidCase{"LeadingBlank", " 10.0.0.0/8"},
    InvalidCase{"TrailingBlank", "10.0.0.0/8 "},
    InvalidCase{"ShortV4", "10.0.0/24"},
    InvalidCase{"OctalLookingV4", "010.0.0.0/8"},
    InvalidCase{"OctetTooLarge", "256.0.0.0/8"},
    InvalidCase{"Hostname", "example.com"},
    InvalidCase{"HostnameWithPrefix", "example.com/24"},
    InvalidCase{"ZoneId", "fe80::1%eth0"},
    InvalidCase{"TwoDoubleColons", "2001::db8::/32"},
    InvalidCase{"EmbeddedNul", "10.0.0.0\0/8"s},
    InvalidCase{"OverlongText", std::string(200, '1') + "/8"}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) { return info.param.name; });
// clang-format on

struct MatchCase {
    const char* network;
    std::string address;
    bool inside;
};

std::ostream& operator<<(std::ostream& os, const MatchCase& c) {
    return os << c.network << (c.inside ? " contains " : " excludes ") << "'" << c.address << "'";
}

class CidrMatchTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(CidrMatchTest, Contains) {
    const MatchCase& c = GetParam();
    auto net = Cidr::parse(c.network);
    ASSERT_TRUE(net.ok()) << c.network;
    EXPECT_EQ(net->contains(c.address), c.inside) << c;
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(Cidr, CidrMatchTest, ::testing::Values(
    // IPv4: first and last address of the range, and one outside on each side
    MatchCase{"10.0.0.0/8", "10.0.0.0", true},
    MatchCase{"10.0.0.0/8", "10.255.255.255", true},
    MatchCase{"10.0.0.0/8", "9.255.255.255", false},
    MatchCase{"10.0.0.0/8", "11.0.0.0", false},
    MatchCase{"192.168.1.0/24", "192.168.1.0", true},
    MatchCase{"192.168.1.0/24", "192.168.1.255", true},
    MatchCase{"192.168.1.0/24", "192.168.0.255", false},
    MatchCase{"192.168.1.0/24", "192.168.2.0", false},
    // a prefix that ends inside a byte
    MatchCase{"172.16.0.0/12", "172.16.0.0", true},
    MatchCase{"172.16.0.0/12", "172.31.255.255", true},
    MatchCase{"172.16.0.0/12", "172.15.255.255", false},
    MatchCase{"172.16.0.0/12", "172.32.0.0", false},
    // /32: exactly one address
    MatchCase{"192.0.2.7/32", "192.0.2.7", true},
    MatchCase{"192.0.2.7/32", "192.0.2.6", false},
    MatchCase{"192.0.2.7/32", "192.0.2.8", false},
    // /0: every IPv4 address, no IPv6 one
    MatchCase{"0.0.0.0/0", "0.0.0.0", true},
    MatchCase{"0.0.0.0/0", "255.255.255.255", true},
    MatchCase{"0.0.0.0/0", "::1", false},
    MatchCase{"0.0.0.0/0", "2001:db8::1", false},
    MatchCase{"0.0.0.0/0", "::ffff:203.0.113.9", true},
    // IPv6 boundaries
    MatchCase{"2001:db8::/32", "2001:db8::", true},
    MatchCase{"2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true},
    MatchCase{"2001:db8::/32", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false},
    MatchCase{"2001:db8::/32", "2001:db9::", false},
    MatchCase{"2001:db8::/32", "2001:DB8::1", true},
    MatchCase{"2001:db8::/33", "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff", true},
    MatchCase{"2001:db8::/33", "2001:db8:8000::", false},
    // /128
    MatchCase{"::1/128", "::1", true},
    MatchCase{"::1/128", "0:0:0:0:0:0:0:1", true},
    MatchCase{"::1/128", "::2", false},
    MatchCase{"::1/128", "::", false},
    MatchCase{"::1/128", "127.0.0.1", false},
    // ::/0: every IPv6 address; a plain IPv4 address never matches an IPv6 network
    MatchCase{"::/0", "::", true},
    MatchCase{"::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},
    MatchCase{"::/0", "10.0.0.1", false},
    // IPv4-mapped IPv6 peers are judged by IPv4 networks
    MatchCase{"10.0.0.0/8", "::ffff:10.1.2.3", true},
    MatchCase{"10.0.0.0/8", "::FFFF:10.1.2.3", true},
    MatchCase{"10.0.0.0/8", "::ffff:a01:203", true},
    MatchCase{"10.0.0.0/8", "0:0:0:0:0:ffff:10.255.255.255", true},
    MatchCase{"10.0.0.0/8", "::ffff:11.0.0.0", false},
    MatchCase{"10.0.0.0/8", "::ffff:9.255.255.255", false},
    MatchCase{"192.0.2.7/32", "::ffff:192.0.2.7", true},
    MatchCase{"192.0.2.7/32", "::ffff:192.0.2.8", false},
    // only the ::ffff:0:0/96 form is an IPv4 peer
    MatchCase{"10.0.0.0/8", "::10.1.2.3", false},
    MatchCase{"10.0.0.0/8", "64:ff9b::10.1.2.3", false},
    MatchCase{"10.0.0.0/8", "::fffe:10.1.2.3", false},
    // an IPv4-mapped network matches mapped peers by their IPv6 form
    MatchCase{"::ffff:10.0.0.0/104", "::ffff:10.9.9.9", true},
    MatchCase{"::ffff:10.0.0.0/104", "::ffff:11.0.0.0", false},
    // hostnames, empty and malformed rhosts never match, even /0
    MatchCase{"0.0.0.0/0", "", false},
    MatchCase{"::/0", "", false},
    MatchCase{"0.0.0.0/0", "localhost", false},
    MatchCase{"::/0", "localhost", false},
    MatchCase{"127.0.0.0/8", "localhost", false},
    MatchCase{"0.0.0.0/0", "host.example.com", false},
    MatchCase{"0.0.0.0/0", "127.1", false},
    MatchCase{"0.0.0.0/0", "0177.0.0.1", false},
    MatchCase{"0.0.0.0/0", "1.2.3.4 ", false},
    MatchCase{"0.0.0.0/0", " 1.2.3.4", false},
    MatchCase{"0.0.0.0/0", "1.2.3.4/32", false},
    MatchCase{"0.0.0.0/0", "1.2.3.4\0"s, false},
    MatchCase{"127.0.0.0/8", "127.0.0.1\0evil.example"s, false},
    MatchCase{"0.0.0.0/0", "1.2.3.4.5", false},
    MatchCase{"::/0", "fe80::1%eth0", false},
    MatchCase{"::/0", "[::1]", false},
    MatchCase{"0.0.0.0/0", std::string(1000, '1'), false}));
// clang-format on

TEST(Cidr, DefaultConstructedMatchesNothing) {
    const Cidr none;
    EXPECT_FALSE(none.contains("0.0.0.0"));
    EXPECT_FALSE(none.contains("::"));
    EXPECT_FALSE(none.contains("10.0.0.1"));
    EXPECT_EQ(none.to_string(), "");
}

}  // namespace
