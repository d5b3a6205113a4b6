// Every path that makes or ends a grant, driven through jitd's own entry
// points (jitctl grant, an auto rule, an approved request, an implicit grant
// at a PAM check; revoke, expiry, until-session-end, the last use), with a
// real store and the NSS snapshot read back with the module's reader.  Each
// path must publish the snapshot (an NSS-served account is visible exactly
// while a grant covers it), journal once, and leave the grant on disk as it
// is in memory: services, groups and limits alike.
#include <errno.h>
#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "daemon/policy/policy.h"
#include "daemon/requests/request_desk.h"
#include "daemon/service/service.h"
#include "jit/snapshot.h"
#include "tests/unit/fakes.h"

namespace jit::daemon {
namespace {

using jit::testing::FakeClock;
using jit::testing::FakeDirectory;
using jit::testing::RecordingJournal;
using snapshot::Snapshot;

constexpr Time kT0 = 1'800'000'000;  // 2027-01-15 08:00:00 UTC

const char* const kPolicy = R"(
[auto-deploy]
accounts = deploy
services = sshd
duration = 1m..1h
approval = auto

[approved-deploy]
accounts = deploy
services = sudo
duration = 1m..1h
approval = 1 of @approvers

[implicit-deploy]
accounts = deploy
services = cron
implicit = 10m
)";

class KeepingSink : public SnapshotSink {
public:
    Result<void, std::string> write(const std::vector<uint8_t>& bytes) override {
        last = bytes;
        ++writes;
        return {};
    }
    std::vector<uint8_t> last;
    int writes = 0;
};

class GrantPathsTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-grant-paths.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        config_.state_dir = dir_ + "/state";
        config_.nss.configured = true;
        config_.nss.uid_range = UidRange{60500, 60509};
        config_.nss.gid_range = UidRange{60600, 60609};
        directory_.groups = {{"approvers", 5000}};
        auto policy = std::make_shared<PolicySet>();
        auto parsed = parse_policy_text(kPolicy, "p.conf", PolicyOptions{}, policy.get());
        ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
        policy_ = policy;
        reopen();
        // deploy exists only through jitd's NSS module, and only while granted.
        AccountAsk add;
        add.name = "deploy";
        ASSERT_TRUE(service_->add_account(root(), add).ok());
        ASSERT_EQ(windows("deploy"), 0u) << "declared, not visible without a grant";
    }
    void TearDown() override {
        service_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void reopen() {
        service_.reset();
        store_.reset();
        auto s = Store::open(config_.state_dir);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
        service_ = std::make_unique<JitService>(*store_, journal_, clock_, directory_, config_);
        service_->set_snapshot_sink(&sink_);
        service_->apply_policy(policy_);
        ASSERT_TRUE(service_->load().ok());
    }

    static Caller root() { return Caller{1, 0, 0, {}}; }
    static Caller approver() { return Caller{1, 1000, 1000, {5000}}; }
    static Caller requester() { return Caller{1, 1500, 1500, {}}; }

    // The published snapshot, read with the module's reader.
    Result<Snapshot> published() const {
        return Snapshot::open(sink_.last.data(), sink_.last.size());
    }
    // How many grant windows the snapshot gives the account: 0 hides it.
    uint32_t windows(const std::string& name) const {
        auto snap = published();
        uint32_t i;
        snapshot::Account a;
        if (!snap || !snap->find_account(name, &i) || !snap->account(i, &a)) return 99;
        return a.window_count;
    }
    bool visible(const std::string& name, Time t) const {
        auto snap = published();
        uint32_t i;
        snapshot::Account a;
        return snap && snap->find_account(name, &i) && snap->account(i, &a) &&
               snap->account_visible(a, t);
    }

    CheckAnswer check(const std::string& service) {
        CheckAsk r;
        r.user = "deploy";
        r.service = service;
        return service_->check(root(), r);
    }
    RequestAsk request(const std::string& service) {
        RequestAsk m;
        m.user = "deploy";
        m.services = {service};
        m.duration = 900;
        m.reason = "release";
        return m;
    }
    Result<Grant, Failure> manual(bool until_session_end, std::optional<uint64_t> uses) {
        GrantAsk r;
        r.user = "deploy";
        r.services = {"sshd"};
        r.reason = "by hand";
        r.duration = 900;
        r.groups = {"jit-deploy"};
        r.until_session_end = until_session_end;
        r.uses = uses;
        return service_->grant(root(), r);
    }

    // The grant as the store holds it equals the grant as the book holds it:
    // a second writer that forgot a table would differ here.
    void expect_stored_as_held(const std::string& id) {
        const Grant* held = service_->book().find(id);
        ASSERT_NE(held, nullptr) << id << " is not in the book";
        auto stored = store_->active_grants();
        ASSERT_TRUE(stored.ok());
        const Grant* on_disk = nullptr;
        for (const auto& g : *stored)
            if (g.id == id) on_disk = &g;
        ASSERT_NE(on_disk, nullptr) << id << " is not in the store";
        EXPECT_EQ(on_disk->user, held->user);
        EXPECT_EQ(on_disk->services, held->services);
        EXPECT_EQ(on_disk->source, held->source);
        EXPECT_EQ(on_disk->not_before, held->not_before);
        EXPECT_EQ(on_disk->not_after, held->not_after);
        EXPECT_EQ(on_disk->groups, held->groups);
        EXPECT_EQ(on_disk->until_session_end, held->until_session_end);
        EXPECT_EQ(on_disk->uses, held->uses);
        EXPECT_EQ(on_disk->uses_left, held->uses_left);
    }
    // After a grant ends: a new snapshot was written, and it no longer holds
    // the window (checked inside it, where the old snapshot still showed it).
    void expect_hidden_again(int writes_before, Time inside_old_window) {
        EXPECT_GT(sink_.writes, writes_before) << "the end was not published";
        EXPECT_EQ(windows("deploy"), 0u);
        EXPECT_FALSE(visible("deploy", inside_old_window));
    }

    std::string dir_;
    Config config_;
    FakeClock clock_{kT0};
    RecordingJournal journal_;
    FakeDirectory directory_;
    KeepingSink sink_;
    std::shared_ptr<const PolicySet> policy_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<JitService> service_;
};

// ---- paths that make a grant ---------------------------------------------

TEST_F(GrantPathsTest, JitctlGrantPublishesAndStoresGroupsAndLimits) {
    auto g = manual(true, 3);
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_TRUE(visible("deploy", kT0));
    EXPECT_EQ(journal_.of(Event::GrantCreated).size(), 1u);
    expect_stored_as_held(g->id);
    ASSERT_EQ(service_->book().find(g->id)->groups, std::vector<std::string>{"jit-deploy"});
}

// The defect of issue 14, reproduced: an auto rule's grant allowed the check
// but the snapshot kept hiding the account, so PAM admitted an account NSS
// could not resolve.
TEST_F(GrantPathsTest, AutoApprovedRequestPublishesTheSnapshot) {
    int before = sink_.writes;
    auto r = service_->desk().create(requester(), request("sshd"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->state, RequestState::Approved);
    EXPECT_EQ(check("sshd").decision, proto::Decision::Allow);
    EXPECT_GT(sink_.writes, before) << "the grant was not published";
    EXPECT_TRUE(visible("deploy", kT0)) << "PAM allows deploy but NSS hides it";
    EXPECT_EQ(journal_.of(Event::GrantCreated).size(), 1u);
    expect_stored_as_held(r->grant_id);
}

TEST_F(GrantPathsTest, ApprovedRequestPublishesTheSnapshot) {
    auto r = service_->desk().create(requester(), request("sudo"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->state, RequestState::Pending);
    EXPECT_EQ(windows("deploy"), 0u) << "nothing is granted while pending";
    RequestStep a;
    a.id = r->id;
    auto approved = service_->desk().approve(approver(), a);
    ASSERT_TRUE(approved.ok()) << approved.error().message;
    ASSERT_EQ(approved->state, RequestState::Approved);
    EXPECT_EQ(check("sudo").decision, proto::Decision::Allow);
    EXPECT_TRUE(visible("deploy", kT0));
    EXPECT_EQ(journal_.of(Event::GrantCreated).size(), 1u);
    expect_stored_as_held(approved->grant_id);
}

TEST_F(GrantPathsTest, ImplicitGrantAtACheckPublishesTheSnapshot) {
    auto reply = check("cron");
    ASSERT_EQ(reply.decision, proto::Decision::Allow) << reply.reason;
    EXPECT_EQ(reply.rule, "implicit-deploy");
    EXPECT_TRUE(visible("deploy", kT0)) << "PAM allows deploy but NSS hides it";
    EXPECT_EQ(journal_.of(Event::GrantCreated).size(), 1u);
    expect_stored_as_held(reply.grant_id);
}

// A grant made by any path survives a restart exactly as it was held.
TEST_F(GrantPathsTest, EveryPathsGrantReloadsAsItWasHeld) {
    auto manual_grant = manual(false, 2);
    auto automatic = service_->desk().create(requester(), request("sshd"));
    auto implicit = check("cron");
    ASSERT_TRUE(manual_grant.ok() && automatic.ok());
    ASSERT_EQ(implicit.decision, proto::Decision::Allow);
    std::vector<Grant> before(service_->book().grants().begin(), service_->book().grants().end());
    reopen();
    ASSERT_EQ(service_->book().size(), before.size());
    for (const auto& g : before) {
        const Grant* again = service_->book().find(g.id);
        ASSERT_NE(again, nullptr) << g.id;
        EXPECT_EQ(again->services, g.services);
        EXPECT_EQ(again->groups, g.groups);
        EXPECT_EQ(again->uses, g.uses);
        EXPECT_EQ(again->uses_left, g.uses_left);
    }
    EXPECT_TRUE(visible("deploy", kT0)) << "published again at load";
}

// ---- paths that end a grant ----------------------------------------------

TEST_F(GrantPathsTest, RevokePublishesTheEnd) {
    auto r = service_->desk().create(requester(), request("sshd"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    int before = sink_.writes;
    RevokeAsk revoke;
    revoke.grant_id = r->grant_id;
    ASSERT_TRUE(service_->revoke(root(), revoke).ok());
    expect_hidden_again(before, kT0 + 10);
    ASSERT_EQ(journal_.of(Event::GrantRevoked).size(), 1u);
    EXPECT_EQ(journal_.of(Event::GrantRevoked)[0].field("JIT_RULE"), "auto-deploy");
}

TEST_F(GrantPathsTest, ExpiryPublishesTheEnd) {
    ASSERT_EQ(check("cron").decision, proto::Decision::Allow);
    int before = sink_.writes;
    clock_.set(kT0 + 600);
    EXPECT_TRUE(service_->expire_due());
    expect_hidden_again(before, kT0 + 10);
    ASSERT_EQ(journal_.of(Event::GrantExpired).size(), 1u);
    EXPECT_EQ(journal_.of(Event::GrantExpired)[0].field("JIT_RULE"), "implicit-deploy");
}

TEST_F(GrantPathsTest, UntilSessionEndPublishesTheEnd) {
    auto g = manual(true, std::nullopt);
    ASSERT_TRUE(g.ok()) << g.error().message;
    ASSERT_TRUE(visible("deploy", kT0));
    int before = sink_.writes;
    ASSERT_TRUE(service_->end_with_session(g->id, "its session s-test0001 closed").ok());
    expect_hidden_again(before, kT0 + 10);
    ASSERT_EQ(journal_.of(Event::GrantExpired).size(), 1u);
    auto stored = store_->list_grants("deploy", true, 10);
    ASSERT_TRUE(stored.ok());
    ASSERT_EQ(stored->size(), 1u);
    EXPECT_EQ((*stored)[0].state, GrantState::Expired);
}

// The last use does not end the grant: the session it admitted lives on
// (and its account must keep resolving), but the use is on disk and in the
// book, and no further check is allowed.
TEST_F(GrantPathsTest, TheLastUseIsRecordedButLeavesTheGrantInForce) {
    auto g = manual(false, 1);
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_EQ(check("sshd").decision, proto::Decision::Allow);
    EXPECT_EQ(service_->book().find(g->id)->uses_left, std::optional<uint32_t>(0));
    expect_stored_as_held(g->id);
    auto denied = check("sshd");
    EXPECT_EQ(denied.decision, proto::Decision::Deny);
    EXPECT_NE(denied.reason.find("no use left"), std::string::npos) << denied.reason;
    EXPECT_TRUE(visible("deploy", kT0 + 10)) << "the admitted session's account still resolves";
}

}  // namespace
}  // namespace jit::daemon
