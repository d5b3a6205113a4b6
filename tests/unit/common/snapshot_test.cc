// The NSS snapshot format: jitd's writer and the module's reader agree, every
// rule of the format in snapshot.h is enforced by the reader, and the writer
// refuses input that would break one.
#include "jit/snapshot.h"

#include <errno.h>
#include <string.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/accounts/snapshot_writer.h"
#include "tests/unit/common/snapshot_fixture.h"

namespace jit::daemon {
namespace {

using snapshot::Account;
using snapshot::Group;
using snapshot::GroupKind;
using snapshot::Member;
using snapshot::Snapshot;
using testing::kT0;
using testing::sample_input;

TEST(SnapshotFormat, WhatTheWriterWritesTheReaderReads) {
    auto built = build_snapshot(sample_input());
    ASSERT_TRUE(built.ok()) << built.error().what;
    auto s = Snapshot::open(built->bytes.data(), built->bytes.size());
    ASSERT_TRUE(s.ok()) << s.error().what;
    ASSERT_TRUE(s->verify().ok()) << s->verify().error().what;
    EXPECT_EQ(s->generated_at(), kT0);
    EXPECT_EQ(s->account_count(), 3u);
    EXPECT_EQ(s->group_count(), 5u);  // 3 private + 2 jit

    uint32_t i;
    Account a;
    ASSERT_TRUE(s->find_account("deploy", &i));
    ASSERT_TRUE(s->account(i, &a));
    EXPECT_EQ(a.name.view(), "deploy");
    EXPECT_EQ(a.uid, 61000u);
    EXPECT_EQ(a.gid, 62100u);
    EXPECT_EQ(a.gecos.view(), "Deploy bot");
    EXPECT_EQ(a.home.view(), "/srv/deploy");
    EXPECT_EQ(a.shell.view(), "/bin/bash");
    EXPECT_EQ(a.visibility, Visibility::Granted);
    uint32_t by_uid;
    ASSERT_TRUE(s->find_account_by_uid(61000, &by_uid));
    EXPECT_EQ(by_uid, i);
    EXPECT_FALSE(s->find_account("nosuch", &i));
    EXPECT_FALSE(s->find_account_by_uid(1, &i));

    Group g;
    ASSERT_TRUE(s->find_group("jit-sudo", &i));
    ASSERT_TRUE(s->group(i, &g));
    EXPECT_EQ(g.gid, 62000u);
    EXPECT_EQ(g.kind, GroupKind::Jit);
    ASSERT_TRUE(s->find_group_by_gid(62100, &i));
    ASSERT_TRUE(s->group(i, &g));
    EXPECT_EQ(g.name.view(), "deploy");
    EXPECT_EQ(g.kind, GroupKind::Private);
}

TEST(SnapshotFormat, WindowsIncludeTheirStartAndExcludeTheirEnd) {
    auto built = build_snapshot(sample_input());
    ASSERT_TRUE(built.ok());
    auto s = Snapshot::open(built->bytes.data(), built->bytes.size());
    ASSERT_TRUE(s.ok());
    uint32_t i;
    Account deploy, ci, ops;
    ASSERT_TRUE(s->find_account("deploy", &i) && s->account(i, &deploy));
    ASSERT_TRUE(s->find_account("ci", &i) && s->account(i, &ci));
    ASSERT_TRUE(s->find_account("ops", &i) && s->account(i, &ops));
    // deploy: granted [kT0-60, kT0+900) and [kT0+600, kT0+1800), merged.
    EXPECT_EQ(deploy.window_count, 1u);
    EXPECT_FALSE(s->account_visible(deploy, kT0 - 61));
    EXPECT_TRUE(s->account_visible(deploy, kT0 - 60));
    EXPECT_TRUE(s->account_visible(deploy, kT0 + 1799));
    EXPECT_FALSE(s->account_visible(deploy, kT0 + 1800));
    // ci: only a grant in the future.
    EXPECT_FALSE(s->account_visible(ci, kT0));
    EXPECT_TRUE(s->account_visible(ci, kT0 + 3600));
    // ops: always.
    EXPECT_EQ(ops.window_count, 0u);
    EXPECT_TRUE(s->account_visible(ops, INT64_MIN));
}

TEST(SnapshotFormat, MembershipsFollowGrantsAndAccountVisibility) {
    auto built = build_snapshot(sample_input());
    ASSERT_TRUE(built.ok());
    auto s = Snapshot::open(built->bytes.data(), built->bytes.size());
    ASSERT_TRUE(s.ok());
    auto members_at = [&](const char* group, int64_t t) {
        uint32_t gi;
        Group g;
        std::string out;
        if (!s->find_group(group, &gi) || !s->group(gi, &g)) return std::string("<none>");
        for (uint32_t k = 0; k < g.member_count; ++k) {
            Member m;
            if (s->group_member(g, k, &m) && s->member_active(m, t))
                out += (out.empty() ? "" : ",") + std::string(m.name.view());
        }
        return out;
    };
    // alice is not a jit account: her membership needs only its window.
    EXPECT_EQ(members_at("jit-sudo", kT0), "alice,deploy");
    EXPECT_EQ(members_at("jit-sudo", kT0 + 1000), "deploy");
    EXPECT_EQ(members_at("jit-sudo", kT0 + 1800), "");
    EXPECT_EQ(members_at("jit-ops", kT0), "ops");  // standing
    // ci's membership comes with a grant that starts later.
    EXPECT_EQ(members_at("jit-ops", kT0 + 3600), "ci,ops");

    uint32_t first, last;
    s->members_named("alice", &first, &last);
    EXPECT_EQ(last - first, 1u);
    s->members_named("nobody", &first, &last);
    EXPECT_EQ(last - first, 0u);
}

TEST(SnapshotWriter, DropsEndedWindowsAndReportsTheNextEdge) {
    SnapshotInput in = sample_input();
    auto built = build_snapshot(in);
    ASSERT_TRUE(built.ok());
    ASSERT_TRUE(built->next_edge.has_value());
    EXPECT_EQ(*built->next_edge, kT0 + 900);  // alice's grant (and deploy's first) end
    in.now = kT0 + 1800;
    built = build_snapshot(in);
    ASSERT_TRUE(built.ok());
    EXPECT_EQ(*built->next_edge, kT0 + 3600);  // ci's grant starts
    in.now = kT0 + 99999;
    built = build_snapshot(in);
    ASSERT_TRUE(built.ok());
    EXPECT_FALSE(built->next_edge.has_value());
    auto s = Snapshot::open(built->bytes.data(), built->bytes.size());
    ASSERT_TRUE(s.ok());
    uint32_t i;
    Account deploy;
    ASSERT_TRUE(s->find_account("deploy", &i) && s->account(i, &deploy));
    EXPECT_EQ(deploy.window_count, 0u) << "ended windows are not carried";
}

TEST(SnapshotWriter, RefusesInputThatBreaksTheFormat) {
    auto refused = [](SnapshotInput in, const char* why) {
        auto built = build_snapshot(in);
        EXPECT_FALSE(built.ok()) << why;
        if (!built.ok()) {
            EXPECT_EQ(built.error().code, EINVAL) << why;
        }
    };
    SnapshotInput in = sample_input();
    in.accounts[1].name = in.accounts[0].name;
    refused(in, "duplicate account name");
    in = sample_input();
    in.accounts[1].uid = in.accounts[0].uid;
    refused(in, "duplicate uid");
    in = sample_input();
    in.groups[0].gid = in.accounts[0].gid;
    refused(in, "jit group gid equal to a private group's");
    in = sample_input();
    in.groups[0].name = in.accounts[0].name;
    refused(in, "jit group named like an account");
    in = sample_input();
    in.accounts[0].uid = 0;
    refused(in, "uid 0");
    in = sample_input();
    in.accounts[0].gecos = "a:b";
    refused(in, "':' in gecos");
    in = sample_input();
    in.accounts[0].shell = "bin/sh";
    refused(in, "relative shell");
    in = sample_input();
    in.accounts[0].name = "Deploy";
    refused(in, "upper-case name");
    in = sample_input();
    in.grants[0].groups = {"no-such-group"};
    refused(in, "membership of an unknown group");
    in = sample_input();
    in.accounts[0].groups = {in.accounts[1].name};
    refused(in, "membership of a private group");
}

TEST(SnapshotWriter, AnEmptySnapshotIsValid) {
    SnapshotInput in;
    in.now = kT0;
    auto built = build_snapshot(in);
    ASSERT_TRUE(built.ok());
    EXPECT_EQ(built->bytes.size(), snapshot::kHeaderSize);
    auto s = Snapshot::open(built->bytes.data(), built->bytes.size());
    ASSERT_TRUE(s.ok());
    EXPECT_TRUE(s->verify().ok());
    uint32_t i;
    EXPECT_FALSE(s->find_account("x", &i));
    uint32_t first, last;
    s->members_named("x", &first, &last);
    EXPECT_EQ(first, last);
}

TEST(SnapshotFormat, TheChecksumNoticesEverySingleByteChange) {
    auto built = build_snapshot(sample_input());
    ASSERT_TRUE(built.ok());
    std::vector<uint8_t> bytes = built->bytes;
    for (size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] ^= 0x80;
        auto s = Snapshot::open(bytes.data(), bytes.size());
        EXPECT_TRUE(!s.ok() || !s->verify().ok()) << "byte " << i;
        bytes[i] ^= 0x80;
    }
}

}  // namespace
}  // namespace jit::daemon
