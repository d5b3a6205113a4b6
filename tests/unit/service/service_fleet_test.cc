// Fleet grants in jitd: a grant jit-fleet made to mirror a fleet grant
// decides checks only while jit-fleet's last FLEET_FRESH holds, capped by
// jitd's own [fleet] max_staleness; local grants never depend on it.
#include <errno.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "daemon/service/service.h"
#include "tests/unit/fakes.h"

namespace jit::daemon {
namespace {

using jit::testing::FakeClock;
using jit::testing::FakeDirectory;
using jit::testing::RecordingJournal;

constexpr Time kT0 = 1'800'000'000;

class FleetFreshTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-fleet-fresh-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        config_.state_dir = dir_ + "/state";
        config_.managed_users = {"deploy"};
        config_.fleet_staleness_seconds = 30;
        reopen();
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    void reopen() {
        service_.reset();
        store_.reset();
        auto s = Store::open(config_.state_dir);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
        service_ = std::make_unique<JitService>(*store_, journal_, clock_, directory_, config_);
        ASSERT_TRUE(service_->load().ok());
    }

    Caller root() { return Caller{1, 0, 0, {}}; }

    std::string grant(const std::string& service, const std::string& fleet_id) {
        GrantAsk a;
        a.user = "deploy";
        a.services = {service};
        a.reason = "release";
        a.duration = 3600;
        a.fleet_id = fleet_id;
        auto g = service_->grant(root(), a);
        EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.error().message);
        return g.ok() ? g->id : "";
    }

    CheckAnswer check(const std::string& service) {
        CheckAsk r;
        r.user = "deploy";
        r.service = service;
        return service_->check(root(), r);
    }
    bool allowed(const std::string& service) {
        return check(service).decision == proto::Decision::Allow;
    }

    std::string dir_;
    Config config_;
    FakeClock clock_{kT0};
    RecordingJournal journal_;
    FakeDirectory directory_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<JitService> service_;
};

TEST_F(FleetFreshTest, FleetGrantDecidesOnlyWhileFresh) {
    std::string id = grant("sshd", "fg-abcdefgh");
    EXPECT_FALSE(allowed("sshd")) << "no word from jit-fleet yet: refused";
    EXPECT_EQ(service_->fleet_fresh(root(), kT0 + 10), kT0 + 10);
    auto yes = check("sshd");
    EXPECT_EQ(yes.decision, proto::Decision::Allow);
    EXPECT_EQ(yes.grant_id, id);
    clock_.set(kT0 + 9);
    EXPECT_TRUE(allowed("sshd")) << "last second of the word";
    clock_.set(kT0 + 10);
    auto no = check("sshd");
    EXPECT_EQ(no.decision, proto::Decision::Deny) << "at fresh_until";
    EXPECT_NE(no.reason.find("fg-abcdefgh"), std::string::npos) << no.reason;
    EXPECT_EQ(no.grant_id, id);
}

TEST_F(FleetFreshTest, LocalGrantsIgnoreFreshness) {
    grant("sshd", "");
    EXPECT_TRUE(allowed("sshd"));
    clock_.advance(1000);
    EXPECT_TRUE(allowed("sshd"));
    EXPECT_TRUE(journal_.of(Event::FleetStale).empty());
}

TEST_F(FleetFreshTest, JitdCapsTheWordWithItsOwnStaleness) {
    grant("sshd", "fg-abcdefgh");
    EXPECT_EQ(service_->fleet_fresh(root(), kT0 + 100000), kT0 + 30);
    clock_.set(kT0 + 29);
    EXPECT_TRUE(allowed("sshd"));
    clock_.set(kT0 + 30);
    EXPECT_FALSE(allowed("sshd")) << "a dead jit-fleet stops vouching after max_staleness";
}

TEST_F(FleetFreshTest, StaleEpisodeIsJournaledOnceAndItsEndToo) {
    grant("sshd", "fg-abcdefgh");
    service_->fleet_fresh(root(), kT0 + 5);
    clock_.set(kT0 + 6);
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(allowed("sshd"));
    ASSERT_EQ(journal_.of(Event::FleetStale).size(), 1u);
    EXPECT_EQ(journal_.of(Event::FleetStale)[0].priority, LOG_WARNING);
    EXPECT_TRUE(journal_.of(Event::FleetFresh).empty());
    service_->fleet_fresh(root(), kT0 + 20);
    service_->fleet_fresh(root(), kT0 + 21);
    EXPECT_EQ(journal_.of(Event::FleetFresh).size(), 1u) << "the episode ends once";
    EXPECT_TRUE(allowed("sshd"));
    clock_.set(kT0 + 40);
    EXPECT_FALSE(allowed("sshd"));
    EXPECT_EQ(journal_.of(Event::FleetStale).size(), 2u) << "a second episode";
}

TEST_F(FleetFreshTest, OriginSurvivesARestartAndWaitsForJitFleet) {
    std::string id = grant("sshd", "fg-abcdefgh");
    service_->fleet_fresh(root(), kT0 + 20);
    ASSERT_TRUE(allowed("sshd"));
    reopen();
    const Grant* g = service_->book().find(id);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->fleet_id, "fg-abcdefgh");
    EXPECT_FALSE(allowed("sshd")) << "a restarted jitd waits for jit-fleet's word";
    service_->fleet_fresh(root(), kT0 + 20);
    EXPECT_TRUE(allowed("sshd"));
    auto listed = service_->list(ListAsk{"deploy", false});
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ(listed->front().fleet_id, "fg-abcdefgh");
}

TEST_F(FleetFreshTest, SudoCommandsObeyFreshnessToo) {
    grant("sudo", "fg-abcdefgh");
    CommandAsk r;
    r.user = "deploy";
    r.service = "sudo";
    r.command = "/usr/bin/true";
    r.runas_user = "root";
    EXPECT_EQ(service_->check_command(root(), r).decision, proto::Decision::Deny);
    service_->fleet_fresh(root(), kT0 + 20);
    EXPECT_EQ(service_->check_command(root(), r).decision, proto::Decision::Allow);
}

TEST_F(FleetFreshTest, MalformedFleetIdIsRefusedAndChangesNothing) {
    GrantAsk a;
    a.user = "deploy";
    a.services = {"sshd"};
    a.reason = "x";
    a.duration = 60;
    for (const std::string& bad :
         std::vector<std::string>{"g-abcdefgh", "fg-\n", std::string(80, 'f')}) {
        a.fleet_id = bad;
        auto g = service_->grant(root(), a);
        ASSERT_FALSE(g.ok()) << bad;
        EXPECT_EQ(g.error().code, EINVAL);
    }
    EXPECT_EQ(service_->book().size(), 0u);
}

TEST_F(FleetFreshTest, FleetGrantsArePagedInFleetIdOrderPastTheListCap) {
    // More than one LIST could carry: jit-fleet takes them all back by pages.
    constexpr int kGrants = 1100;
    std::vector<std::string> fleet_ids;
    for (int i = 0; i < kGrants; ++i) {
        char id[16];
        snprintf(id, sizeof id, "fg-%07d", (i * 7919) % kGrants);  // not in creation order
        fleet_ids.push_back(id);
    }
    for (const auto& f : fleet_ids) ASSERT_NE(grant("sshd", f), "");
    std::string local = grant("sshd", "");
    std::string revoked = grant("sudo", "fg-zzzzzzzz");
    RevokeAsk rv;
    rv.grant_id = revoked;
    ASSERT_TRUE(service_->revoke(root(), rv).ok());
    auto plain = service_->list(ListAsk{});
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(plain->size(), size_t(proto::kMaxRecords)) << "a plain LIST stops at the cap";

    std::vector<std::string> seen;
    std::string after;
    for (int pages = 0; pages < 100; ++pages) {
        auto page = service_->fleet_page(after, 256);
        if (page.empty()) break;
        EXPECT_LE(page.size(), 256u);
        for (const auto& g : page) {
            EXPECT_GT(g.fleet_id, after) << "in fleet id order, after the cursor";
            EXPECT_EQ(g.state, GrantState::Active);
            after = g.fleet_id;
            seen.push_back(g.fleet_id);
        }
    }
    std::sort(fleet_ids.begin(), fleet_ids.end());
    EXPECT_EQ(seen, fleet_ids) << "every active fleet grant once; no local or revoked one";
}

}  // namespace
}  // namespace jit::daemon
