// The snapshot reader against files that break one rule each.  Most edits are
// resealed (record checks and file checksum recomputed) so they reach the
// rule they target; the unresealed ones show the per-record checks catching
// damage even when verify() is skipped, as the module does for a file it has
// already verified.
#include <string.h>

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/accounts/snapshot_writer.h"
#include "jit/snapshot.h"
#include "tests/unit/common/snapshot_fixture.h"

namespace jit::testing {
namespace {

using namespace snapshot;

class SnapshotReader : public ::testing::Test {
protected:
    void SetUp() override {
        auto built = daemon::build_snapshot(sample_input());
        ASSERT_TRUE(built.ok()) << built.error().what;
        good_ = built->bytes;
        l_ = layout_of(good_);
        // Sorted: accounts ci, deploy, ops; groups ci, deploy, jit-ops,
        // jit-sudo, ops; members alice, ci, deploy, ops.
        ASSERT_EQ(rd32(good_, 40), 3u);
        ASSERT_EQ(rd32(good_, 44), 5u);
        ASSERT_EQ(rd32(good_, 52), 4u);
    }
    // Account i's block, and the offset of its k-th string (name, gecos,
    // home, shell) and of its windows.
    size_t account_at(uint32_t i) const {
        return l_.blocks_off + size_t(rd32(good_, l_.accounts_off + 4 * i)) * kBlockUnit;
    }
    size_t windows_of(uint32_t i) const { return account_at(i) + kBlockHeaderSize; }
    size_t text_of(uint32_t i, int k) const {
        size_t at = windows_of(i) + size_t(rd32(good_, account_at(i) + 12)) * kWindowSize;
        for (int j = 0; j < k; ++j) at += rd16(account_at(i) + 24 + 2 * j) + 1;
        return at;
    }
    size_t used_of(uint32_t i) const { return text_of(i, 4) - account_at(i); }
    uint32_t rd16(size_t at) const { return uint32_t(good_[at]) | uint32_t(good_[at + 1]) << 8; }
    size_t group_at(uint32_t i) const { return l_.groups_off + size_t(i) * kGroupSize; }
    size_t member_at(uint32_t i) const { return l_.members_off + size_t(i) * kMemberSize; }

    // verify()'s verdict on good_ after edit and reseal ("" when accepted).
    std::string verdict(std::function<void(std::vector<uint8_t>&)> edit, bool seal = true) {
        std::vector<uint8_t> b = good_;
        edit(b);
        if (seal) reseal(b);
        auto s = Snapshot::open(b.data(), b.size());
        if (!s) return std::string("open: ") + s.error().what;
        auto v = s->verify();
        return v ? "" : v.error().what;
    }

    std::vector<uint8_t> good_;
    Layout l_{};
};

// The writer marks a replaced file in place while readers have it mapped:
// a reader opened before sees the word change, and the mark leaves the file
// valid (the checksum reads the state word as zero).
TEST_F(SnapshotReader, TheSupersededMarkIsReadLiveAndKeepsTheFileValid) {
    std::vector<uint8_t> b = good_;
    auto before = Snapshot::open(b.data(), b.size());
    ASSERT_TRUE(before.ok());
    EXPECT_FALSE(before->superseded());
    b[kStateOffset] = 'O';
    EXPECT_TRUE(before->superseded());
    auto after = Snapshot::open(b.data(), b.size());
    ASSERT_TRUE(after.ok()) << after.error().what;
    EXPECT_TRUE(after->superseded());
    EXPECT_TRUE(after->verify().ok());
}

TEST_F(SnapshotReader, HeaderAndLayoutAreCheckedOnOpen) {
    EXPECT_EQ(verdict([](auto& b) { b[0] = 'X'; }), "open: not a jit NSS snapshot");
    EXPECT_EQ(verdict([](auto& b) { wr32(b, 8, 1); }), "open: unsupported snapshot version");
    // Version 2 had FNV-1a record checks: its files must not be read as CRC-32C.
    EXPECT_EQ(verdict([](auto& b) { wr32(b, 8, 2); }), "open: unsupported snapshot version");
    EXPECT_EQ(verdict([](auto& b) { wr32(b, 12, 100); }), "open: unexpected header size");
    EXPECT_EQ(verdict([](auto& b) { wr64(b, 16, b.size() + 1); }),
              "open: size does not match the header");
    EXPECT_EQ(verdict([](auto& b) { wr32(b, 92, 1); }), "open: unknown snapshot state");
    EXPECT_EQ(verdict([](auto& b) { wr32(b, 92, kSuperseded ^ 1); }),
              "open: unknown snapshot state");
    EXPECT_EQ(verdict([](auto& b) { wr32(b, 64, rd32(b, 64) + 8); }),
              "open: table offsets are not the canonical layout");
    EXPECT_EQ(verdict([](auto& b) { wr32(b, 40, kMaxAccounts + 1); }),
              "open: snapshot counts exceed the limits");
    // A count that still fits the limits but not the file.
    EXPECT_EQ(verdict([](auto& b) { wr32(b, 48, rd32(b, 48) + 1); }),
              "open: table offsets are not the canonical layout");
    for (size_t len = 0; len < good_.size(); ++len)
        EXPECT_FALSE(Snapshot::open(good_.data(), len).ok()) << "truncated to " << len;
    EXPECT_FALSE(Snapshot::open(nullptr, 0).ok());
}

// A hash slot that names the wrong record: the lookup compares the key with
// the record it reaches, so the name is not found rather than another
// account served; verify() names the damage.
TEST_F(SnapshotReader, ADamagedHashSlotMissesAndNeverServesAnotherRecord) {
    for (const uint32_t table : {l_.name_hash_off, l_.uid_hash_off}) {
        SCOPED_TRACE(table == l_.name_hash_off ? "names" : "uids");
        std::vector<uint8_t> b = good_;
        // The slots hold block positions + 1: deploy's now names ci's block.
        const uint32_t deploy_ref = rd32(b, l_.accounts_off + 4) + 1,
                       ci_ref = rd32(b, l_.accounts_off) + 1;
        size_t deploys = 0;
        for (uint32_t k = 0; k < l_.account_slots; ++k)
            if (rd32(b, table + 8 * k + 4) == deploy_ref) deploys = table + 8 * k + 4;
        ASSERT_NE(deploys, 0u);
        wr32(b, deploys, ci_ref);
        reseal(b);
        auto s = Snapshot::open(b.data(), b.size());
        ASSERT_TRUE(s.ok());
        uint32_t i = 0;
        if (table == l_.name_hash_off) {
            EXPECT_FALSE(s->find_account("deploy", &i));
            ASSERT_TRUE(s->find_account("ci", &i));
        } else {
            EXPECT_FALSE(s->find_account_by_uid(61000, &i));
            ASSERT_TRUE(s->find_account_by_uid(61001, &i));
        }
        EXPECT_EQ(i, 0u);
        EXPECT_FALSE(s->verify().ok());
    }
}

TEST_F(SnapshotReader, TheFileChecksumIsChecked) {
    EXPECT_EQ(verdict([&](auto& b) { b[b.size() - 2] ^= 1; }, false), "checksum mismatch");
    EXPECT_EQ(verdict([&](auto& b) { b[32] ^= 1; }, false), "checksum mismatch");  // generated_at
}

TEST_F(SnapshotReader, DamagedRecordsReadAsAbsentWithoutVerify) {
    auto lookup_deploy = [](const std::vector<uint8_t>& b) {
        auto s = Snapshot::open(b.data(), b.size());
        uint32_t i;
        Account a;
        return s.ok() && s->find_account("deploy", &i) && s->account(i, &a) && a.uid == 61000;
    };
    ASSERT_TRUE(lookup_deploy(good_));
    // Any byte of deploy's block: its record, its window, its strings.
    ASSERT_GT(used_of(1), kBlockHeaderSize + kWindowSize + 20);
    for (size_t at = account_at(1); at < account_at(1) + used_of(1); ++at) {
        std::vector<uint8_t> b = good_;
        b[at] ^= 0x04;
        EXPECT_FALSE(lookup_deploy(b)) << "block byte " << at - account_at(1);
    }
    std::vector<uint8_t> b;

    auto group_ok = [](const std::vector<uint8_t>& b, uint32_t gi) {
        auto s = Snapshot::open(b.data(), b.size());
        Group g;
        return s.ok() && s->group(gi, &g);
    };
    auto member_ok = [](const std::vector<uint8_t>& b, uint32_t mi) {
        auto s = Snapshot::open(b.data(), b.size());
        Member m;
        return s.ok() && s->member(mi, &m);
    };
    for (size_t k = 0; k < kGroupSize; ++k) {
        b = good_;
        b[group_at(3) + k] ^= 0x02;
        EXPECT_FALSE(group_ok(b, 3)) << "group byte " << k;
    }
    for (size_t k = 0; k < kMemberSize; ++k) {
        b = good_;
        b[member_at(0) + k] ^= 0x02;
        EXPECT_FALSE(member_ok(b, 0)) << "member byte " << k;
    }
}

TEST_F(SnapshotReader, AccountRules) {
    const size_t ci = account_at(0), deploy = account_at(1), ops = account_at(2);
    EXPECT_EQ(verdict([](auto&) {}), "");
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, deploy, 0); }), "malformed account record") << "uid 0";
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, deploy + 4, 0xffffffff); }),
              "malformed account record")
        << "gid -1";
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, deploy + 8, 3); }), "malformed account record");
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, ops + 12, 1); }), "malformed account record")
        << "an always-visible account with a window";
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, deploy + 16, 0); }), "malformed account record")
        << "a block carrying another account's index";
    EXPECT_EQ(verdict([&](auto& b) { b[deploy + 25] = 0x04; }), "malformed account record")
        << "a name longer than the block area";
    EXPECT_EQ(verdict([&](auto& b) { b[deploy + 24] += 1; }), "malformed account record")
        << "name without its NUL";
    EXPECT_EQ(verdict([&](auto& b) { b[text_of(1, 1)] = ':'; }), "malformed account record")
        << "':' in gecos";
    EXPECT_EQ(verdict([&](auto& b) { b[text_of(1, 1)] = '\n'; }), "malformed account record")
        << "newline in gecos";
    EXPECT_EQ(verdict([&](auto& b) { b[text_of(1, 1)] = '\0'; }), "malformed account record")
        << "NUL inside gecos";
    EXPECT_EQ(verdict([&](auto& b) { b[text_of(0, 0)] = 'C'; }), "malformed account record")
        << "upper case in a name";
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, ci, 61000); }),
              "uid index not sorted, or a uid repeats");
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, l_.uid_index_off, 7); }),
              "uid index points outside the accounts");
    // ci renamed zz: out of order.
    EXPECT_EQ(verdict([&](auto& b) { b[text_of(0, 0)] = b[text_of(0, 0) + 1] = 'z'; }),
              "accounts not sorted by name, or a name repeats");
    EXPECT_EQ(verdict([&](auto& b) {
                  size_t w = windows_of(1);
                  wr64(b, w + 8, rd32(b, w));  // not_after = not_before (low half)
              }),
              "malformed window");
    // The zero bytes after a block's shell are part of the one byte form.
    EXPECT_EQ(verdict([&](auto& b) { b[deploy + used_of(1)] = 1; }), "padding is not zero");
    // A position table entry one unit off: the block read there is not one.
    EXPECT_EQ(
        verdict([&](auto& b) { wr32(b, l_.accounts_off + 4, rd32(b, l_.accounts_off + 4) + 1); }),
        "malformed account record");
}

// Blocks follow one another, except that one of at most a page never
// straddles a 4096-byte boundary of the file: it moves to the boundary.
TEST(SnapshotBlocks, APageSizedBlockNeverCrossesAPageBoundary) {
    EXPECT_EQ(block_position(4096, 0, 2), 0u);
    EXPECT_EQ(block_position(4096, 62, 2), 62u);
    EXPECT_EQ(block_position(4096, 63, 2), 64u) << "would cross: moved to the boundary";
    // An area starting 10 units into a page: its unit 54 is a page's first.
    EXPECT_EQ(block_position(4096 + 64 * 10, 52, 2), 52u);
    EXPECT_EQ(block_position(4096 + 64 * 10, 53, 2), 54u);
    EXPECT_EQ(block_position(4096 + 64 * 10, 54, 1), 54u);
    EXPECT_EQ(block_position(4096 + 64 * 10, 53, 12), 54u);
    EXPECT_EQ(block_position(4096, 1, 64), 64u);
    EXPECT_EQ(block_position(4096, 1, 65), 1u) << "a block over a page goes where it is";
    EXPECT_EQ(block_units(block_bytes(1, 6, 10, 11, 9)), 2u);  // 32 + 16 + 36 + 4 = 88
}

TEST_F(SnapshotReader, GroupRules) {
    // groups: 0 ci, 1 deploy, 2 jit-ops, 3 jit-sudo, 4 ops
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, group_at(2) + 8, 62000); }),
              "gid index not sorted, or a gid repeats")
        << "two groups with one gid";
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, group_at(1) + 8, 62555); }),
              "private group does not match its account");
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, group_at(1) + 16, 0); }),
              "private group does not match its account")
        << "deploy's group claiming ci";
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, group_at(2) + 12, 3); }), "malformed group record");
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, group_at(2) + 16, 0); }), "malformed group record")
        << "a jit group with an owner";
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, group_at(2) + 12, 1); }), "malformed group record")
        << "a private group with members";
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, group_at(1) + 8, 0); }), "malformed group record");
    EXPECT_EQ(verdict([&](auto& b) {
                  b[l_.strings_off + rd32(b, group_at(3)) + 4] = '+';  // "jit-+udo"
              }),
              "malformed group record");
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, l_.gid_index_off, 99); }),
              "gid index points outside the groups");
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, group_at(3) + 20, 0); }),
              "group members are not contiguous");
}

TEST_F(SnapshotReader, MembershipRules) {
    // members: 0 alice/jit-sudo, 1 ci/jit-ops, 2 deploy/jit-sudo, 3 ops/jit-ops
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, member_at(0) + 8, 1); }),
              "membership of a group that is not a jit group");
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, member_at(2) + 12, kNoAccount); }),
              "membership does not reference its account")
        << "a jit account's membership must carry its visibility";
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, member_at(0) + 12, 1); }),
              "membership does not reference its account");
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, member_at(0) + 8, 9); }), "malformed membership");
    EXPECT_EQ(verdict([&](auto& b) { wr32(b, member_at(0) + 36, 1); }), "malformed membership");
    EXPECT_EQ(verdict([&](auto& b) { wr64(b, member_at(1) + 16, uint64_t(INT64_MAX)); }),
              "malformed membership")
        << "empty window";
    EXPECT_EQ(verdict([&](auto& b) {
                  std::vector<uint8_t> tmp(b.begin() + member_at(0),
                                           b.begin() + member_at(0) + kMemberSize);
                  memcpy(&b[member_at(0)], &b[member_at(1)], kMemberSize);
                  memcpy(&b[member_at(1)], tmp.data(), kMemberSize);
              }),
              "memberships not sorted, or one repeats");
    // The group index entry for jit-sudo pointing at a jit-ops membership.
    EXPECT_EQ(verdict([&](auto& b) {
                  uint32_t first = rd32(b, group_at(3) + 20);
                  wr32(b, l_.group_members_off + 4 * first, 1);
              }),
              "group member index entry of another group");
    EXPECT_EQ(verdict([&](auto& b) {
                  uint32_t first = rd32(b, group_at(3) + 20);
                  uint32_t one = rd32(b, l_.group_members_off + 4 * first);
                  uint32_t two = rd32(b, l_.group_members_off + 4 * (first + 1));
                  wr32(b, l_.group_members_off + 4 * first, two);
                  wr32(b, l_.group_members_off + 4 * (first + 1), one);
              }),
              "group member index not sorted, or an entry repeats");
    // Padding after the last u32 table (4 members: 16 bytes, no padding);
    // after the gid index (5 groups: 20 bytes, 4 of padding).
    EXPECT_EQ(verdict([&](auto& b) { b[l_.gid_index_off + 20] = 1; }), "padding is not zero");
}

// Whatever a resealed single-byte edit does, lookups stay inside the file and
// what verify() accepts is consistent (run under ASan by the sanitize layer).
TEST_F(SnapshotReader, EverySingleByteEditIsSafeToLookUp) {
    for (size_t at = 0; at < good_.size(); ++at) {
        for (uint8_t flip : {0x01, 0x80, 0xff}) {
            std::vector<uint8_t> b = good_;
            b[at] ^= flip;
            reseal(b);
            auto s = Snapshot::open(b.data(), b.size());
            if (!s) continue;
            bool verified = s->verify().ok();
            uint32_t i, first, last;
            Account a;
            Group g;
            Member m;
            for (const char* name : {"ci", "deploy", "ops", "alice", "jit-sudo", "zz"}) {
                if (s->find_account(name, &i) && s->account(i, &a)) {
                    s->account_visible(a, kT0);
                    if (verified) {
                        EXPECT_EQ(a.name.view(), name);
                    }
                }
                if (s->find_group(name, &i) && s->group(i, &g)) {
                    s->group_visible(g, kT0);
                    for (uint32_t k = 0; k < g.member_count; ++k)
                        if (s->group_member(g, k, &m)) s->member_active(m, kT0);
                }
                s->members_named(name, &first, &last);
                for (uint32_t k = first; k < last && k < first + 10; ++k)
                    if (s->member(k, &m)) s->member_active(m, kT0);
            }
            for (uint32_t id : {61000u, 61001u, 62000u, 62100u, 0u})
                if (s->find_account_by_uid(id, &i) || s->find_group_by_gid(id, &i)) {
                }
            for (uint32_t k = 0; k < 8; ++k) {
                s->account(k, &a);
                s->group(k, &g);
                s->member(k, &m);
            }
        }
    }
}

}  // namespace
}  // namespace jit::testing
