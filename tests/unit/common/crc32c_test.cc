// CRC-32C, the NSS snapshot's record check: the published test vectors, the
// CPU's instruction and the table agree on every length and alignment, and
// the text rules' 8-bytes-at-a-time path says what the byte rules say.
#include "jit/crc32c.h"

#include <stdint.h>
#include <string.h>

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "jit/snapshot.h"
#include "jit/wire.h"

namespace jit {
namespace {

uint32_t of(const std::vector<uint8_t>& v, bool portable = false) {
    return portable ? crc32c_portable(0, v.data(), v.size()) : crc32c(0, v.data(), v.size());
}

// RFC 3720, B.4, and the usual check value.
TEST(Crc32c, PublishedVectors) {
    for (bool portable : {false, true}) {
        std::vector<uint8_t> v(32, 0);
        EXPECT_EQ(of(v, portable), 0x8a9136aau);
        std::fill(v.begin(), v.end(), 0xff);
        EXPECT_EQ(of(v, portable), 0x62a8ab43u);
        for (int i = 0; i < 32; ++i) v[size_t(i)] = uint8_t(i);
        EXPECT_EQ(of(v, portable), 0x46dd794eu);
        for (int i = 0; i < 32; ++i) v[size_t(i)] = uint8_t(31 - i);
        EXPECT_EQ(of(v, portable), 0x113fdb5cu);
        const std::string digits = "123456789";
        EXPECT_EQ(of({digits.begin(), digits.end()}, portable), 0xe3069283u);
        EXPECT_EQ(of({}, portable), 0u);
    }
}

// Every length up to a few words past a record, at every alignment, in one
// piece and split in two: the instruction path (8 bytes, then a tail) and
// the table give the same value.
TEST(Crc32c, InstructionAndTableAgree) {
    std::mt19937 rng(16);
    std::vector<uint8_t> buf(400 + 8);
    for (auto& b : buf) b = uint8_t(rng());
    for (size_t offset = 0; offset < 8; ++offset)
        for (size_t len = 0; len <= 400; ++len) {
            const uint8_t* p = buf.data() + offset;
            uint32_t whole = crc32c(0, p, len);
            ASSERT_EQ(whole, crc32c_portable(0, p, len)) << offset << "+" << len;
            size_t cut = len / 3;
            ASSERT_EQ(crc32c(crc32c(0, p, cut), p + cut, len - cut), whole);
        }
    // Informational: which path this machine takes.
    printf("crc32c: %s\n", crc32c_in_hardware() ? "SSE 4.2 instruction" : "table");
}

TEST(Crc32c, EveryFlippedBitChangesIt) {
    std::vector<uint8_t> v(128);
    for (size_t i = 0; i < v.size(); ++i) v[i] = uint8_t(i * 7);
    const uint32_t base = of(v);
    for (size_t bit = 0; bit < v.size() * 8; ++bit) {
        v[bit / 8] ^= uint8_t(1u << (bit % 8));
        ASSERT_NE(of(v), base) << "bit " << bit;
        v[bit / 8] ^= uint8_t(1u << (bit % 8));
    }
}

// The rules as snapshot.h states them, a byte at a time.
bool reference_text(std::string_view s) {
    if (s.size() > snapshot::kMaxText) return false;
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f || c == ':') return false;
    }
    return wire::valid_text(s.data(), s.size());
}

// valid_text() checks plain ASCII 8 bytes at a time; strings of every length
// with one byte from each class that matters at every position say the same
// as the byte rules.
TEST(SnapshotText, WordAtATimeAgreesWithTheByteRules) {
    const unsigned char specials[] = {0x00, 0x01, 0x09, 0x0a, 0x1f, 0x20, 0x3a, 0x39, 0x3b,
                                      0x7e, 0x7f, 0x80, 0xc3, 0xa9, 0xff, 'a',  '/'};
    size_t accepted = 0, refused = 0;
    for (size_t len = 0; len <= 40; ++len)
        for (size_t at = 0; at < std::max<size_t>(len, 1); ++at)
            for (unsigned char c : specials) {
                std::string s(len, 'x');
                if (len > 0) s[at] = char(c);
                bool want = reference_text(s);
                ASSERT_EQ(snapshot::valid_text(s), want)
                    << "len " << len << " at " << at << " byte " << unsigned(c);
                (want ? accepted : refused)++;
            }
    std::string utf8 = "Zoë Ünal, /home/zoë";
    EXPECT_TRUE(snapshot::valid_text(utf8));
    EXPECT_FALSE(snapshot::valid_text(std::string("\xc3", 1)));
    EXPECT_GT(accepted, 0u);
    EXPECT_GT(refused, 0u);
    std::mt19937 rng(7);
    for (int round = 0; round < 20000; ++round) {
        std::string s(rng() % 48, ' ');
        for (auto& ch : s) ch = char(0x20 + rng() % 0x60 + (rng() % 16 == 0 ? 0x60 : 0));
        ASSERT_EQ(snapshot::valid_text(s), reference_text(s)) << s;
    }
}

}  // namespace
}  // namespace jit
