// jitd's operations driven directly: a real SQLite store in a temporary
// directory, an injected clock, a recording journal and a fake account
// directory.
#include <errno.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>
#include "tests/unit/store/grant_rows.h"

#include "daemon/time/clock.h"
#include "daemon/service/service.h"
#include "tests/unit/fakes.h"

namespace jit::daemon {
namespace {

using jit::testing::FakeClock;
using jit::testing::FakeDirectory;
using jit::testing::RecordingJournal;

constexpr Time kT0 = 1'800'000'000;

class ServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-service-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        config_.state_dir = dir_ + "/state";
        config_.managed_users = {"deploy", "backup"};
        config_.managed_uids = {{60000, 60999}};
        config_.admin_group = "jit-admins";
        directory_.groups["jit-admins"] = 4242;
        directory_.users["svc"] = UserInfo{60001, {60001}};
        directory_.users["alice"] = UserInfo{1000, {1000}};
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

    GrantAsk request(const std::string& user, uint64_t seconds,
                     std::vector<std::string> services = {"sshd"}) {
        GrantAsk r;
        r.user = user;
        r.services = std::move(services);
        r.reason = "release 4.2";
        r.duration = seconds;
        return r;
    }

    CheckAnswer check(const std::string& user, const std::string& service) {
        CheckAsk r;
        r.user = user;
        r.service = service;
        return service_->check(root(), r);
    }

    std::string dir_;
    Config config_;
    FakeClock clock_{kT0};
    RecordingJournal journal_;
    FakeDirectory directory_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<JitService> service_;
};

TEST_F(ServiceTest, UnmanagedAccountIsDeniedWithItsOwnRule) {
    auto reply = check("alice", "sshd");
    EXPECT_EQ(reply.decision, proto::Decision::Deny);
    EXPECT_EQ(reply.rule, "unmanaged");
    auto decisions = journal_.of(Event::Decision);
    ASSERT_EQ(decisions.size(), 1u);
    EXPECT_EQ(decisions[0].field("JIT_DECISION"), "deny");
    EXPECT_EQ(decisions[0].field("JIT_USER"), "alice");
    EXPECT_EQ(decisions[0].field("JIT_RULE"), "unmanaged");
}

TEST_F(ServiceTest, ManagedByUidRangeWithoutGrantIsDenied) {
    auto reply = check("svc", "sshd");
    EXPECT_EQ(reply.decision, proto::Decision::Deny);
    EXPECT_EQ(reply.rule, "default-deny");
}

TEST_F(ServiceTest, LookupFailureDeniesEvenWithAGrant) {
    ASSERT_TRUE(service_->grant(root(), request("svc", 600)).ok());
    directory_.failing = true;
    auto reply = check("svc", "sshd");
    EXPECT_EQ(reply.decision, proto::Decision::Deny);
    EXPECT_EQ(reply.rule, "lookup-failed");
}

TEST_F(ServiceTest, GrantIsStoredJournaledAndAllows) {
    auto g = service_->grant(root(), request("deploy", 900, {"sshd", "sudo"}));
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_EQ(g->not_before, kT0);
    EXPECT_EQ(g->not_after, kT0 + 900);
    EXPECT_EQ(g->granted_by, 0u);
    auto stored = store_->active_grants();
    ASSERT_TRUE(stored.ok());
    ASSERT_EQ(stored->size(), 1u);
    EXPECT_EQ((*stored)[0].id, g->id);
    auto created = journal_.of(Event::GrantCreated);
    ASSERT_EQ(created.size(), 1u);
    EXPECT_EQ(created[0].field("JIT_GRANT_ID"), g->id);
    EXPECT_EQ(created[0].field("JIT_SERVICE"), "sshd,sudo");
    EXPECT_EQ(created[0].field("JIT_REASON"), "release 4.2");
    EXPECT_EQ(created[0].field("JIT_REQUESTER"), "0");
    auto reply = check("deploy", "sudo");
    EXPECT_EQ(reply.decision, proto::Decision::Allow);
    EXPECT_EQ(reply.grant_id, g->id);
    EXPECT_EQ(reply.not_after, kT0 + 900);
}

// The server defers what follows a decision until its answer has gone: the
// decision's journal entry is built then, whole, and in order.
TEST_F(ServiceTest, ADecisionIsJournaledAfterItsAnswerWhenDeferred) {
    ASSERT_TRUE(service_->grant(root(), request("deploy", 900)).ok());
    service_->defer_after_answer(true);
    const size_t before = journal_.entries.size();
    auto allowed = check("deploy", "sshd");
    auto denied = check("alice", "sshd");
    EXPECT_EQ(allowed.decision, proto::Decision::Allow);
    EXPECT_EQ(denied.decision, proto::Decision::Deny);
    EXPECT_EQ(journal_.entries.size(), before) << "journaled before the answer went";
    service_->run_after_answer();
    auto decisions = journal_.of(Event::Decision);
    ASSERT_EQ(decisions.size(), 2u);
    EXPECT_EQ(decisions[0].field("JIT_DECISION"), "allow");
    EXPECT_EQ(decisions[0].field("JIT_USER"), "deploy");
    EXPECT_EQ(decisions[0].field("JIT_GRANT_ID"), allowed.grant_id);
    EXPECT_EQ(decisions[0].field("JIT_RULE"), allowed.rule);
    EXPECT_EQ(decisions[0].field("JIT_REASON"), allowed.reason);
    EXPECT_EQ(decisions[1].field("JIT_DECISION"), "deny");
    EXPECT_EQ(decisions[1].field("JIT_USER"), "alice");
    EXPECT_EQ(decisions[1].field("JIT_RULE"), "unmanaged");
    service_->run_after_answer();  // done once
    EXPECT_EQ(journal_.of(Event::Decision).size(), 2u);
}

TEST_F(ServiceTest, InvalidGrantRequestsChangeNothing) {
    auto bad = [&](GrantAsk r, int code) {
        auto g = service_->grant(root(), r);
        ASSERT_FALSE(g.ok());
        EXPECT_EQ(g.error().code, code) << g.error().message;
        EXPECT_FALSE(g.error().message.empty());
    };
    bad(request("alice", 60), EINVAL);              // unmanaged
    bad(request("Bad;Name", 60), EINVAL);           // invalid name
    bad(request("deploy", 60, {"ss hd"}), EINVAL);  // invalid service
    bad(request("deploy", 8 * 86400), EINVAL);      // longer than max_grant (7d)
    auto no_reason = request("deploy", 60);
    no_reason.reason = "";
    bad(no_reason, EINVAL);
    auto control = request("deploy", 60);
    control.reason = "two\nlines";
    bad(control, EINVAL);
    auto c1 = request("deploy", 60);
    c1.reason = "csi \xc2\x9b 31m";
    bad(c1, EINVAL);
    auto source = request("deploy", 60);
    source.source = "10.0.0.1/40";
    bad(source, EINVAL);
    auto past = request("deploy", 60);
    past.duration.reset();
    past.not_before = kT0 - 100;
    past.not_after = kT0 - 1;
    bad(past, EINVAL);
    auto inverted = request("deploy", 60);
    inverted.duration.reset();
    inverted.not_before = kT0 + 100;
    inverted.not_after = kT0 + 50;
    bad(inverted, EINVAL);
    EXPECT_TRUE(store_->list_grants("", true, 100)->empty());
    EXPECT_TRUE(journal_.of(Event::GrantCreated).empty());
}

TEST_F(ServiceTest, ReasonsMayHoldBackslashesAndUnicode) {
    auto r = request("deploy", 60);
    r.reason = "C:\\deploy \u2014 r\u00e9lease";
    auto g = service_->grant(root(), r);
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_EQ(g->reason, r.reason);
}

TEST_F(ServiceTest, ScheduledGrantAllowsOnlyInsideItsWindow) {
    auto r = request("deploy", 0);
    r.duration.reset();
    r.not_before = kT0 + 3600;
    r.not_after = kT0 + 7200;
    ASSERT_TRUE(service_->grant(root(), r).ok());
    EXPECT_EQ(check("deploy", "sshd").decision, proto::Decision::Deny);
    clock_.set(kT0 + 3600);
    EXPECT_EQ(check("deploy", "sshd").decision, proto::Decision::Allow);
}

TEST_F(ServiceTest, RevokeByIdEndsTheGrantDurably) {
    auto g = service_->grant(root(), request("deploy", 900));
    ASSERT_TRUE(g.ok());
    RevokeAsk r;
    r.grant_id = g->id;
    r.reason = "rollback";
    Caller admin{7, 0, 0, {}};
    auto revoked = service_->revoke(admin, r);
    ASSERT_TRUE(revoked.ok()) << revoked.error().message;
    ASSERT_EQ(revoked->size(), 1u);
    EXPECT_EQ((*revoked)[0].state, GrantState::Revoked);
    EXPECT_EQ(check("deploy", "sshd").decision, proto::Decision::Deny);
    auto ended = store_->list_grants("deploy", true, 10);
    ASSERT_EQ(ended->size(), 1u);
    EXPECT_EQ((*ended)[0].state, GrantState::Revoked);
    EXPECT_EQ((*ended)[0].ended->reason, "rollback");
    auto events = journal_.of(Event::GrantRevoked);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].field("JIT_REVOKE_REASON"), "rollback");

    auto again = service_->revoke(admin, r);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, EALREADY);
    r.grant_id = "g-zzzzzzzz";
    EXPECT_EQ(service_->revoke(admin, r).error().code, ENOENT);
    r.grant_id = "bogus";
    EXPECT_EQ(service_->revoke(admin, r).error().code, EINVAL);
}

TEST_F(ServiceTest, RevokeByUserEndsEveryGrantOfThatUserOnly) {
    ASSERT_TRUE(service_->grant(root(), request("deploy", 900)).ok());
    ASSERT_TRUE(service_->grant(root(), request("deploy", 300, {"sudo"})).ok());
    ASSERT_TRUE(service_->grant(root(), request("backup", 300)).ok());
    RevokeAsk r;
    r.user = "deploy";
    auto revoked = service_->revoke(root(), r);
    ASSERT_TRUE(revoked.ok());
    EXPECT_EQ(revoked->size(), 2u);
    EXPECT_EQ(check("deploy", "sudo").decision, proto::Decision::Deny);
    EXPECT_EQ(check("backup", "sshd").decision, proto::Decision::Allow);
    EXPECT_EQ(service_->revoke(root(), r).error().code, ENOENT);
}

TEST_F(ServiceTest, ExpiryIsRecordedAtTheExactSecond) {
    auto g = service_->grant(root(), request("deploy", 60));
    ASSERT_TRUE(g.ok());
    clock_.set(kT0 + 59);
    EXPECT_TRUE(service_->expire_due());
    EXPECT_TRUE(journal_.of(Event::GrantExpired).empty());
    EXPECT_EQ(check("deploy", "sshd").decision, proto::Decision::Allow);
    clock_.set(kT0 + 60);
    EXPECT_EQ(check("deploy", "sshd").decision, proto::Decision::Deny)
        << "denied at not_after even before the timer runs";
    EXPECT_TRUE(service_->expire_due());
    auto expired = journal_.of(Event::GrantExpired);
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].field("JIT_GRANT_ID"), g->id);
    EXPECT_EQ((*store_->list_grants("deploy", true, 10))[0].state, GrantState::Expired);
    EXPECT_FALSE(service_->next_expiry().has_value());
}

TEST_F(ServiceTest, GrantsSurviveReopenAndThoseThatEndedMeanwhileExpireAtLoad) {
    auto long_one = service_->grant(root(), request("deploy", 3600));
    auto short_one = service_->grant(root(), request("backup", 60));
    ASSERT_TRUE(long_one.ok() && short_one.ok());
    clock_.set(kT0 + 120);
    reopen();
    EXPECT_EQ(check("deploy", "sshd").decision, proto::Decision::Allow);
    EXPECT_EQ(check("backup", "sshd").decision, proto::Decision::Deny);
    auto expired = journal_.of(Event::GrantExpired);
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].field("JIT_GRANT_ID"), short_one->id);
}

TEST_F(ServiceTest, GrantCreatedInTheFutureIsIgnoredAtLoad) {
    Grant forged;
    forged.id = "g-fffffff0";
    forged.user = "deploy";
    forged.services = {"sshd"};
    forged.not_before = kT0;
    forged.not_after = kT0 + 7200;
    forged.reason = "forged";
    forged.created = kT0 + 3600;
    ASSERT_TRUE(testing::insert_grant(*store_, forged).ok());
    reopen();
    EXPECT_EQ(check("deploy", "sshd").decision, proto::Decision::Deny);
}

TEST_F(ServiceTest, BackwardClockStepNeverRevivesAnExpiredGrant) {
    FakeClock wall(kT0);
    NonDecreasingClock guarded(wall);
    JitService service(*store_, journal_, guarded, directory_, config_);
    ASSERT_TRUE(service.grant(root(), request("deploy", 60)).ok());
    wall.set(kT0 + 61);
    ASSERT_TRUE(service.expire_due());
    wall.set(kT0 + 10);  // the wall clock steps back inside the old window
    CheckAsk r;
    r.user = "deploy";
    r.service = "sshd";
    EXPECT_EQ(service.check(root(), r).decision, proto::Decision::Deny);
    EXPECT_EQ(service.now(), kT0 + 61);
}

TEST_F(ServiceTest, WhoMayAdministerAndCheck) {
    uid_t self = geteuid();
    EXPECT_TRUE(service_->may_administer(Caller{1, 0, 0, {}}));
    EXPECT_TRUE(service_->may_administer(Caller{1, self, 0, {}}));
    EXPECT_TRUE(service_->may_administer(Caller{1, 1234, 4242, {}})) << "primary gid";
    EXPECT_TRUE(service_->may_administer(Caller{1, 1234, 100, {100, 4242}})) << "supplementary";
    if (self != 1234) {
        EXPECT_FALSE(service_->may_administer(Caller{1, 1234, 100, {100}}));
        EXPECT_FALSE(service_->may_check(Caller{1, 1234, 4242, {4242}})) << "admins do not check";
    }
    EXPECT_TRUE(service_->may_check(Caller{1, 0, 0, {}}));
}

TEST_F(ServiceTest, UnresolvableAdminGroupLeavesOnlyRootAndIsJournaled) {
    config_.admin_group = "no-such-group";
    service_->apply_config(config_);
    if (geteuid() != 1234) {
        EXPECT_FALSE(service_->may_administer(Caller{1, 1234, 4242, {4242}}));
    }
    EXPECT_FALSE(journal_.of(Event::ConfigWarning).empty());
    EXPECT_TRUE(journal_.of(Event::ConfigRejected).empty()) << "the configuration did apply";
}

TEST_F(ServiceTest, ListShowsEndedGrantsOnlyWhenAsked) {
    auto g = service_->grant(root(), request("deploy", 60));
    ASSERT_TRUE(service_->grant(root(), request("backup", 600)).ok());
    clock_.set(kT0 + 60);
    ListAsk r;
    auto active = service_->list(r);
    ASSERT_TRUE(active.ok());
    ASSERT_EQ(active->size(), 1u) << "the expired grant is recorded as such before listing";
    EXPECT_EQ((*active)[0].user, "backup");
    r.include_ended = true;
    EXPECT_EQ(service_->list(r)->size(), 2u);
    r.user = "deploy";
    EXPECT_EQ(service_->list(r)->size(), 1u);
}

}  // namespace
}  // namespace jit::daemon
