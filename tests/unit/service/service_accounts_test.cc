// jitd's NSS operations driven directly: a real SQLite store, an injected
// clock, a recording journal, a fake system account database, and a sink
// that keeps every snapshot jitd publishes so the tests read it back with
// the module's own reader.
#include <errno.h>
#include <stdlib.h>
#include <syslog.h>

#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "daemon/server/dispatch.h"
#include "daemon/service/service.h"
#include "tests/unit/fakes.h"
#include "jit/snapshot.h"

namespace jit::daemon {
namespace {

using jit::testing::FakeClock;
using jit::testing::FakeDirectory;
using jit::testing::RecordingJournal;
using snapshot::Snapshot;

constexpr Time kT0 = 1'800'000'000;

// The fake system database, with ids some other source already uses.
class SystemWithIds : public FakeDirectory {
public:
    Result<bool> id_in_use(bool group, uint32_t id) const override {
        return (group ? gids : uids).count(id) > 0;
    }
    std::set<uint32_t> uids, gids;
};

class CapturingSink : public SnapshotSink {
public:
    Result<void, std::string> write(const std::vector<uint8_t>& bytes) override {
        if (failing) return std::string("disk full (test)");
        last = bytes;
        ++writes;
        return {};
    }
    std::vector<uint8_t> last;
    int writes = 0;
    bool failing = false;
};

class ServiceAccountsTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-service-accounts.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        config_.state_dir = dir_ + "/state";
        config_.managed_users = {"alice"};
        config_.nss.configured = true;
        config_.nss.uid_range = UidRange{60500, 60509};
        config_.nss.gid_range = UidRange{60600, 60609};
        system_.users["alice"] = UserInfo{1000, {1000}};
        system_.users["daemon"] = UserInfo{1, {1}};
        system_.groups["sudo"] = 27;
        ASSERT_TRUE(reopen().ok());
    }
    void TearDown() override {
        service_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }

    Result<void, Failure> reopen() {
        service_.reset();
        store_.reset();
        auto s = Store::open(config_.state_dir);
        EXPECT_TRUE(s.ok());
        store_ = std::move(*s);
        service_ = std::make_unique<JitService>(*store_, journal_, clock_, system_, config_);
        service_->set_snapshot_sink(&sink_);
        return service_->load();
    }

    Caller root() { return Caller{1, 0, 0, {}}; }

    AccountAsk add(const std::string& name) {
        AccountAsk r;
        r.name = name;
        return r;
    }

    Result<Grant, Failure> grant(const std::string& user, std::vector<std::string> groups,
                                 uint64_t seconds = 900) {
        GrantAsk r;
        r.user = user;
        r.services = {"sshd"};
        r.reason = "test";
        r.duration = seconds;
        r.groups = std::move(groups);
        return service_->grant(root(), r);
    }

    // The published snapshot, read with the module's reader.
    struct View {
        std::vector<uint8_t> bytes;
        Result<Snapshot> snap = make_error(EINVAL, "none");
        bool visible(const std::string& name, Time t) {
            uint32_t i;
            snapshot::Account a;
            return snap && snap->find_account(name, &i) && snap->account(i, &a) &&
                   snap->account_visible(a, t);
        }
        std::string members(const std::string& group, Time t) {
            uint32_t i;
            snapshot::Group g;
            std::string out;
            if (!snap || !snap->find_group(group, &i) || !snap->group(i, &g)) return "<none>";
            for (uint32_t k = 0; k < g.member_count; ++k) {
                snapshot::Member m;
                if (snap->group_member(g, k, &m) && snap->member_active(m, t))
                    out += (out.empty() ? "" : ",") + std::string(m.name.view());
            }
            return out;
        }
    };
    View published() {
        View v;
        v.bytes = sink_.last;
        v.snap = Snapshot::open(v.bytes.data(), v.bytes.size());
        EXPECT_TRUE(v.snap.ok()) << "no valid snapshot published";
        if (v.snap) {
            EXPECT_TRUE(v.snap->verify().ok());
        }
        return v;
    }

    std::string dir_;
    Config config_;
    FakeClock clock_{kT0};
    RecordingJournal journal_;
    SystemWithIds system_;
    CapturingSink sink_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<JitService> service_;
};

TEST_F(ServiceAccountsTest, AnAddedAccountIsAllocatedStoredJournaledAndPublished) {
    int before = sink_.writes;
    auto a = service_->add_account(root(), add("deploy"));
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->uid, 60500u);
    EXPECT_EQ(a->gid, 60600u);
    EXPECT_EQ(a->home, "/home/deploy");
    EXPECT_EQ(a->shell, "/bin/sh");
    EXPECT_EQ(a->visibility, Visibility::Granted);
    EXPECT_EQ(sink_.writes, before + 1);
    ASSERT_EQ(journal_.of(Event::AccountAdded).size(), 1u);
    EXPECT_EQ(journal_.of(Event::AccountAdded)[0].field("JIT_UID"), "60500");
    // Granted visibility: in the snapshot, not visible without a grant.
    auto v = published();
    uint32_t i;
    EXPECT_TRUE(v.snap->find_account("deploy", &i));
    EXPECT_FALSE(v.visible("deploy", kT0));
    // Durable.
    ASSERT_TRUE(reopen().ok());
    ASSERT_EQ(service_->accounts().size(), 1u);
    EXPECT_EQ(service_->accounts()[0].uid, 60500u);
}

TEST_F(ServiceAccountsTest, ADeclaredAccountIsManagedAndItsGrantMakesItVisible) {
    ASSERT_TRUE(service_->add_account(root(), add("deploy")).ok());
    CheckAsk check{"deploy", "sshd", "", "", ""};
    EXPECT_EQ(service_->check(root(), check).rule, "default-deny") << "managed, no grant";
    auto g = grant("deploy", {});
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_EQ(service_->check(root(), check).decision, proto::Decision::Allow);
    auto v = published();
    EXPECT_TRUE(v.visible("deploy", kT0));
    EXPECT_TRUE(v.visible("deploy", kT0 + 899));
    EXPECT_FALSE(v.visible("deploy", kT0 + 900)) << "the module enforces the end by itself";
    EXPECT_EQ(service_->next_nss_wakeup(), std::optional<Time>(kT0 + 900));

    // At the edge jitd expires the grant and rewrites the snapshot.
    clock_.set(kT0 + 900);
    service_->expire_due();
    v = published();
    uint32_t i;
    snapshot::Account a;
    ASSERT_TRUE(v.snap->find_account("deploy", &i) && v.snap->account(i, &a));
    EXPECT_EQ(a.window_count, 0u);
    EXPECT_FALSE(service_->next_nss_wakeup().has_value());
}

TEST_F(ServiceAccountsTest, RevokingRepublishesAtOnce) {
    ASSERT_TRUE(service_->add_account(root(), add("deploy")).ok());
    auto g = grant("deploy", {"jit-sudo"});
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(published().members("jit-sudo", kT0), "deploy");
    RevokeAsk r;
    r.grant_id = g->id;
    ASSERT_TRUE(service_->revoke(root(), r).ok());
    auto v = published();
    EXPECT_FALSE(v.visible("deploy", kT0));
    EXPECT_EQ(v.members("jit-sudo", kT0), "");
}

TEST_F(ServiceAccountsTest, AGrantPutsAnyManagedAccountInAJitGroup) {
    auto g = grant("alice", {"jit-sudo", "jit-sudo", "jit-ops"});
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_EQ(g->groups, (std::vector<std::string>{"jit-sudo", "jit-ops"}));
    EXPECT_EQ(journal_.of(Event::JitGroupCreated).size(), 2u);
    auto v = published();
    EXPECT_EQ(v.members("jit-sudo", kT0), "alice");
    EXPECT_EQ(v.members("jit-ops", kT0 + 900), "") << "only for the window";
    // The groups are stored with the grant.
    ASSERT_TRUE(reopen().ok());
    EXPECT_EQ(published().members("jit-sudo", kT0), "alice");
}

TEST_F(ServiceAccountsTest, GroupsTheSystemResolvesAreRefusedAndNothingIsStored) {
    auto g = grant("alice", {"sudo"});
    ASSERT_FALSE(g.ok());
    EXPECT_EQ(g.error().code, EEXIST);
    EXPECT_NE(g.error().message.find("name a jit-only group"), std::string::npos);
    auto listed = service_->list(ListAsk{});
    ASSERT_TRUE(listed.ok());
    EXPECT_TRUE(listed->empty());
    g = grant("alice", {"Bad"});
    ASSERT_FALSE(g.ok());
    EXPECT_EQ(g.error().code, EINVAL);
}

TEST_F(ServiceAccountsTest, AddRefusesWhatWouldClashOrIsInvalid) {
    auto refused = [&](AccountAsk r, int code, const char* why) {
        auto a = service_->add_account(root(), r);
        ASSERT_FALSE(a.ok()) << why;
        EXPECT_EQ(a.error().code, code) << why << ": " << a.error().message;
    };
    refused(add("daemon"), EEXIST, "a name /etc/passwd has");
    system_.groups["web"] = 33;
    refused(add("web"), EEXIST, "a name /etc/group has (the private group would clash)");
    refused(add("root"), EINVAL, "root");
    refused(add("Deploy"), EINVAL, "upper case");
    auto r = add("deploy");
    r.uid = 42;
    refused(r, EINVAL, "uid outside uid_range");
    system_.uids.insert(60505);
    r.uid = 60505;
    refused(r, EEXIST, "uid the system uses");
    r = add("deploy");
    r.shell = "bin/sh";
    refused(r, EINVAL, "relative shell");
    r = add("deploy");
    r.gecos = "a:b";
    refused(r, EINVAL, "':' in gecos");
    r = add("deploy");
    r.groups = {"sudo"};
    refused(r, EEXIST, "a standing group the system resolves");
    EXPECT_TRUE(service_->accounts().empty());
    ASSERT_TRUE(service_->add_account(root(), add("deploy")).ok());
    refused(add("deploy"), EEXIST, "twice");
}

TEST_F(ServiceAccountsTest, IdsAreNeverReusedForAnotherName) {
    system_.uids.insert(60500);  // the system already uses the first one
    auto a = service_->add_account(root(), add("first"));
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->uid, 60501u);
    ASSERT_TRUE(service_->remove_account(root(), {"first"}).ok());
    auto b = service_->add_account(root(), add("second"));
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->uid, 60502u) << "60501 stays first's";
    auto r = add("third");
    r.uid = 60501;
    auto c = service_->add_account(root(), r);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, EEXIST);
    auto again = service_->add_account(root(), add("first"));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->uid, 60501u) << "the same name gets its id back";
    EXPECT_EQ(again->gid, a->gid);
}

TEST_F(ServiceAccountsTest, ARangeRunsOut) {
    config_.nss.uid_range = UidRange{60500, 60501};
    ASSERT_TRUE(reopen().ok());
    ASSERT_TRUE(service_->add_account(root(), add("a")).ok());
    ASSERT_TRUE(service_->add_account(root(), add("b")).ok());
    auto c = service_->add_account(root(), add("c"));
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, ENOSPC);
}

TEST_F(ServiceAccountsTest, NoRangesNoAccounts) {
    config_.nss.uid_range.reset();
    ASSERT_TRUE(reopen().ok());
    auto a = service_->add_account(root(), add("deploy"));
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().code, EINVAL);
    EXPECT_NE(a.error().message.find("uid_range"), std::string::npos);
}

TEST_F(ServiceAccountsTest, JitdConfAccountsFollowTheFile) {
    AccountDecl d;
    d.name = "svc";
    d.always_visible = true;
    d.groups = {"jit-ops"};
    config_.accounts = {d};
    config_.nss.groups = {"jit-sudo"};
    auto loaded = reopen();
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    ASSERT_EQ(service_->accounts().size(), 1u);
    EXPECT_EQ(service_->accounts()[0].origin, AccountOrigin::Config);
    auto v = published();
    EXPECT_TRUE(v.visible("svc", kT0));
    EXPECT_EQ(v.members("jit-ops", kT0), "svc");
    EXPECT_EQ(v.members("jit-sudo", kT0), "");
    auto removed = service_->remove_account(root(), {"svc"});
    ASSERT_FALSE(removed.ok());
    EXPECT_NE(removed.error().message.find("jitd.conf"), std::string::npos);

    // A reload that changes the section, then one that drops it.
    Config changed = config_;
    changed.accounts[0].shell = "/bin/bash";
    service_->apply_config(changed);
    EXPECT_EQ(service_->accounts()[0].shell, "/bin/bash");
    Config dropped = config_;
    dropped.accounts.clear();
    service_->apply_config(dropped);
    EXPECT_TRUE(service_->accounts().empty());
    EXPECT_FALSE(published().visible("svc", kT0));
    EXPECT_EQ(journal_.of(Event::AccountRemoved).size(), 1u);
}

TEST_F(ServiceAccountsTest, AJitdConfAccountThatCannotBeAppliedStopsStartup) {
    AccountDecl d;
    d.name = "daemon";  // /etc/passwd has it
    config_.accounts = {d};
    auto loaded = reopen();
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().message.find("daemon already exists"), std::string::npos);
}

TEST_F(ServiceAccountsTest, AFailedWriteIsJournaledOnceAndRetried) {
    sink_.failing = true;
    ASSERT_TRUE(service_->add_account(root(), add("a")).ok()) << "the account is durable anyway";
    ASSERT_TRUE(service_->add_account(root(), add("b")).ok());
    EXPECT_EQ(journal_.of(Event::NssSnapshotFailed).size(), 1u);
    EXPECT_EQ(service_->next_nss_wakeup(), std::optional<Time>(kT0 + NssPublisher::kRetrySeconds));
    sink_.failing = false;
    service_->publish_nss();
    EXPECT_FALSE(service_->next_nss_wakeup().has_value());
    uint32_t i;
    EXPECT_TRUE(published().snap->find_account("b", &i));
}

TEST_F(ServiceAccountsTest, WithoutNssNothingIsWritten) {
    config_.nss = NssConfig{};
    sink_.writes = 0;
    ASSERT_TRUE(reopen().ok());
    ASSERT_TRUE(grant("alice", {}).ok());
    EXPECT_EQ(sink_.writes, 0) << "a host that does not use NSS accounts keeps no snapshot";
}

TEST_F(ServiceAccountsTest, OnlyAdministratorsChangeAccountsAnyoneLists) {
    Dispatcher dispatcher(*service_);
    msg::AccountAddRequest add_deploy;
    add_deploy.name = "deploy";
    auto frame = msg::encode(add_deploy, 5);
    ASSERT_TRUE(frame.ok());
    auto view = wire::decode_frame(frame->data(), frame->size());
    ASSERT_TRUE(view.ok());
    Caller mallory{2, 1234, 1234, {}};
    auto reply = dispatcher.handle(mallory, *view);
    auto decoded = wire::decode_frame(reply.data(), reply.size());
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->header.type, proto::MsgType::ErrorReply);
    EXPECT_EQ(msg::decode_error_reply(*decoded).code, uint64_t(EPERM));
    EXPECT_TRUE(service_->accounts().empty());

    reply = dispatcher.handle(root(), *view);
    decoded = wire::decode_frame(reply.data(), reply.size());
    ASSERT_TRUE(decoded.ok());
    ASSERT_EQ(decoded->header.type, proto::MsgType::AccountReply);
    EXPECT_EQ(msg::decode_account_list(*decoded).accounts[0].uid, 60500u);

    auto list = msg::encode_account_list_request(6);
    auto list_view = wire::decode_frame(list->data(), list->size());
    reply = dispatcher.handle(mallory, *list_view);
    decoded = wire::decode_frame(reply.data(), reply.size());
    ASSERT_TRUE(decoded.ok());
    ASSERT_EQ(decoded->header.type, proto::MsgType::AccountListReply);
    EXPECT_EQ(msg::decode_account_list(*decoded).accounts.size(), 1u);

    auto remove = msg::encode(msg::AccountRemoveRequest{"deploy"}, 7);
    auto remove_view = wire::decode_frame(remove->data(), remove->size());
    reply = dispatcher.handle(mallory, *remove_view);
    decoded = wire::decode_frame(reply.data(), reply.size());
    EXPECT_EQ(msg::decode_error_reply(*decoded).code, uint64_t(EPERM));
    EXPECT_EQ(service_->accounts().size(), 1u);
}

}  // namespace
}  // namespace jit::daemon
