// The fixture of the request desk tests (request_desk_test.cc and
// request_desk_explain_test.cc): a real SQLite store in a temporary
// directory, an injected clock, a recording journal and notifier, a fake
// account database and a policy with auto, N-of-M, risk and implicit rules.
#pragma once

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <syslog.h>

#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "daemon/time/civil_time.h"
#include "daemon/policy/policy.h"
#include "daemon/requests/request_desk.h"
#include "daemon/server/request_wire.h"
#include "daemon/service/service.h"
#include "tests/unit/fakes.h"

namespace jit::daemon {

using jit::testing::FakeClock;
using jit::testing::FakeDirectory;
using jit::testing::RecordingJournal;

constexpr Time kT0 = 1'800'000'000;  // 2027-01-15 08:00:00 UTC

const char* const kPolicy = R"(
[auto-deploy]
accounts = deploy
services = sshd
duration = 1m..1h
approval = auto
rate = 3/day
max_active = 2

[release]
accounts = release
services = sshd, sudo
from = 10.0.0.0/8, local
duration = 5m..2h
ticket = CHG-[0-9]+
approval = 2 of @approvers
pending_ttl = 30m

[ci]
accounts = ci
services = sshd
duration = 1m..1h
reason = optional
approval = auto
risk = escalate
risk_approval = 1 of @oncall
risk_signals = new-source
risk_learn = 2

[backup-nightly]
accounts = backup
services = sudo
from = local
schedule = daily 02:00-03:00 UTC
implicit = 10m, once per window
)";

class RecordingNotifier : public Notifier {
public:
    void notify(const std::string& event, const std::string& json) override {
        sent.emplace_back(event, json);
    }
    std::vector<std::pair<std::string, std::string>> sent;
};

class DeskTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-desk-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        config_.state_dir = dir_ + "/state";
        config_.managed_users = {"deploy", "release", "ci", "backup"};
        config_.admin_group = "jit-admins";
        directory_.groups = {{"jit-admins", 4242}, {"approvers", 5000}, {"oncall", 5001}};
        directory_.users["deploy"] = UserInfo{2001, {2001}};
        directory_.users["release"] = UserInfo{2002, {2002, 5000}};
        directory_.users["ci"] = UserInfo{2003, {2003}};
        directory_.users["backup"] = UserInfo{2004, {2004}};
        auto policy = std::make_shared<PolicySet>();
        auto parsed = parse_policy_text(kPolicy, "p.conf", PolicyOptions{}, policy.get());
        ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
        policy_ = policy;
        reopen();
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
        service_->apply_policy(policy_);
        service_->desk().set_notifier(&notifier_, 300);
        ASSERT_TRUE(service_->load().ok());
    }
    RequestDesk& desk() { return service_->desk(); }

    static Caller as(uid_t uid, std::vector<gid_t> groups = {}) {
        return Caller{1, uid, uid, std::move(groups)};
    }
    static Caller eve() { return as(1500); }
    static Caller alice() { return as(1000, {5000}); }
    static Caller bob() { return as(1001, {5000}); }

    RequestAsk release_request(uint64_t seconds = 3600) {
        RequestAsk m;
        m.user = "release";
        m.services = {"sshd", "sudo"};
        m.duration = seconds;
        m.reason = "release 4.2";
        m.ticket = "CHG-123";
        m.source = "10.1.0.0/16";
        return m;
    }
    RequestStep action(const std::string& id, const std::string& comment = "") {
        RequestStep a;
        a.id = id;
        a.comment = comment;
        return a;
    }
    // The ci rule's account past its learning (risk_learn = 2): two grants
    // from any source.  Returns its request, to ask again.
    RequestAsk ci_past_learning() {
        RequestAsk m;
        m.user = "ci";
        m.services = {"sshd"};
        m.duration = 600;
        for (int i = 0; i < 2; ++i) EXPECT_TRUE(desk().create(as(2003), m).ok());
        return m;
    }
    CheckAnswer check(const std::string& user, const std::string& service,
                      const std::string& rhost = "") {
        CheckAsk r;
        r.user = user;
        r.service = service;
        r.rhost = rhost;
        return service_->check(as(0), r);
    }
    // explain as a client gets it: through the dispatcher's conversions.
    msg::ExplainReply explain(const msg::ExplainQuery& q) {
        return to_wire(service_->explain(from_wire(q)));
    }
    std::vector<std::string> events() const {
        std::vector<std::string> out;
        for (const auto& [e, j] : notifier_.sent) out.push_back(e);
        return out;
    }
    void exec(const std::string& sql) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((config_.state_dir + "/jit.db").c_str(), &db), SQLITE_OK);
        char* msg = nullptr;
        EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg), SQLITE_OK)
            << (msg ? msg : "");
        sqlite3_free(msg);
        sqlite3_close(db);
    }

    std::string dir_;
    Config config_;
    FakeClock clock_{kT0};
    RecordingJournal journal_;
    FakeDirectory directory_;
    RecordingNotifier notifier_;
    std::shared_ptr<const PolicySet> policy_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<JitService> service_;
};

inline Time at_utc(int h, int m, int day = 0) {
    return days_from_civil(2027, 1, 16 + day) * 86400 + h * 3600 + m * 60;
}

}  // namespace jit::daemon
