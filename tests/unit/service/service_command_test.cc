// jitd's answer to jit_sudo.so, driven directly: a real SQLite store, an
// injected clock and a recording journal.  Command-scoped grants allow only
// their commands, as their runas accounts, a use per command; unscoped sudo
// grants allow any command; each answer is one journal entry.
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "daemon/policy/policy.h"
#include "daemon/requests/request_desk.h"
#include "daemon/service/service.h"
#include "daemon/time/clock.h"
#include "tests/unit/fakes.h"

namespace jit::daemon {
namespace {

using jit::testing::FakeClock;
using jit::testing::FakeDirectory;
using jit::testing::RecordingJournal;

constexpr Time kT0 = 1'800'000'000;
const std::string kRestart = "/usr/bin/systemctl restart web.service";
const std::string kJournal = "/usr/bin/journalctl -u web.service --since *";

class CommandCheckTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-command-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        config_.state_dir = dir_ + "/state";
        config_.managed_users = {"deploy"};
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

    Result<Grant, Failure> grant(std::vector<std::string> commands,
                                 std::vector<std::string> runas = {},
                                 std::optional<uint64_t> uses = std::nullopt,
                                 std::vector<std::string> services = {"sudo"}) {
        GrantAsk r;
        r.user = "deploy";
        r.services = std::move(services);
        r.reason = "deploy 4711";
        r.duration = 600;
        r.uses = uses;
        r.commands = std::move(commands);
        r.runas = std::move(runas);
        return service_->grant(root(), r);
    }

    CheckAnswer run(std::string path, std::vector<std::string> args, std::string runas = "root",
                    std::string user = "deploy") {
        CommandAsk r;
        r.user = std::move(user);
        r.service = "sudo";
        r.command = std::move(path);
        r.args = std::move(args);
        r.runas_user = std::move(runas);
        r.cwd = "/srv/web";
        return service_->check_command(root(), r);
    }

    CheckAnswer pam_check(const std::string& service) {
        CheckAsk r;
        r.user = "deploy";
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

TEST_F(CommandCheckTest, GrantedCommandIsAllowedAndJournaledWithItsGrant) {
    auto g = grant({kRestart, kJournal});
    ASSERT_TRUE(g) << g.error().message;
    auto reply = run("/usr/bin/systemctl", {"restart", "web.service"});
    EXPECT_EQ(reply.decision, proto::Decision::Allow) << reply.reason;
    EXPECT_EQ(reply.grant_id, g->id);
    EXPECT_EQ(reply.rule, g->id + ": " + kRestart);
    auto entries = journal_.of(Event::Decision);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].field("JIT_DECISION"), "allow");
    EXPECT_EQ(entries[0].field("JIT_COMMAND"), "/usr/bin/systemctl restart web.service");
    EXPECT_EQ(entries[0].field("JIT_RUNAS"), "root");
    EXPECT_EQ(entries[0].field("JIT_GRANT_ID"), g->id);
    EXPECT_EQ(entries[0].field("JIT_CWD"), "/srv/web");
}

TEST_F(CommandCheckTest, ExitRecordsAreJournaledWithTheGrantAndHowTheCommandEnded) {
    auto g = grant({kRestart});
    ASSERT_TRUE(g) << g.error().message;
    CommandEnd r;
    r.user = "deploy";
    r.service = "sudo";
    r.command = "/usr/bin/systemctl";
    r.args = {"restart", "web.service"};
    r.runas_user = "root";
    r.grant_id = g->id;
    r.exit_status = 3;
    service_->record_command_exit(Caller{4242, 0, 0, {}}, r);
    r.exit_status.reset();
    r.exit_signal = 9;
    r.core_dumped = true;
    service_->record_command_exit(Caller{4243, 0, 0, {}}, r);
    r.exit_signal.reset();
    r.core_dumped = false;
    r.exec_error = ENOENT;
    service_->record_command_exit(Caller{4244, 0, 0, {}}, r);
    auto entries = journal_.of(Event::CommandExited);
    ASSERT_EQ(entries.size(), 3u);
    for (const auto& e : entries) {
        EXPECT_EQ(e.field("JIT_COMMAND"), "/usr/bin/systemctl restart web.service");
        EXPECT_EQ(e.field("JIT_RUNAS"), "root");
        EXPECT_EQ(e.field("JIT_GRANT_ID"), g->id);
        EXPECT_EQ(e.field("JIT_USER"), "deploy");
    }
    EXPECT_EQ(entries[0].field("JIT_EXIT_STATUS"), "3");
    EXPECT_EQ(entries[0].field("JIT_EXIT"), "status 3");
    EXPECT_EQ(entries[0].field("JIT_CALLER_PID"), "4242");
    EXPECT_EQ(entries[1].field("JIT_EXIT_SIGNAL"), "9");
    EXPECT_EQ(entries[1].field("JIT_CORE_DUMPED"), "1");
    EXPECT_EQ(entries[1].field("JIT_EXIT"), "signal 9 (Killed, core dumped)");
    EXPECT_EQ(entries[2].field("JIT_EXEC_ERROR"), std::to_string(ENOENT));
    EXPECT_EQ(entries[2].field("JIT_EXIT_STATUS"), "<absent>");
    // A record, not a decision: no decision entry, no use, nothing stored.
    EXPECT_TRUE(journal_.of(Event::Decision).empty());
}

TEST_F(CommandCheckTest, OtherCommandsArgumentsAndRunasAreRefused) {
    auto g = grant({kRestart, kJournal});
    ASSERT_TRUE(g);
    auto stop = run("/usr/bin/systemctl", {"stop", "web.service"});
    EXPECT_EQ(stop.decision, proto::Decision::Deny);
    EXPECT_EQ(stop.grant_id, "");  // a deny names no grant on the wire
    EXPECT_EQ(stop.rule, "no-grant");
    EXPECT_EQ(run("/usr/bin/../bin/systemctl", {"restart", "web.service"}).decision,
              proto::Decision::Deny);
    EXPECT_EQ(run("/home/deploy/bin/systemctl", {"restart", "web.service"}).decision,
              proto::Decision::Deny);
    auto psql = run("/usr/bin/psql", {}, "postgres");
    EXPECT_EQ(psql.decision, proto::Decision::Deny);
    EXPECT_NE(psql.reason.find("may not run as postgres"), std::string::npos) << psql.reason;
    EXPECT_EQ(run("/usr/bin/journalctl", {"-u", "web.service", "--since", "today"}).decision,
              proto::Decision::Allow);
    auto entries = journal_.of(Event::Decision);
    ASSERT_EQ(entries.size(), 5u);  // one per command decision
    EXPECT_EQ(entries[0].field("JIT_DECISION"), "deny");
    EXPECT_EQ(entries[0].field("JIT_COMMAND"), "/usr/bin/systemctl stop web.service");
    EXPECT_EQ(entries[3].field("JIT_RUNAS"), "postgres");
    // Each refusal is journaled with the grant that came closest.
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(entries[i].field("JIT_GRANT_ID"), g->id) << i;
}

TEST_F(CommandCheckTest, UsesCountCommandsNotThePamChecksBeforeThem) {
    auto g = grant({kRestart}, {}, 2);
    ASSERT_TRUE(g);
    for (int i = 0; i < 2; ++i) {
        // sudo's PAM account check comes first each time: it spends nothing.
        EXPECT_EQ(pam_check("sudo").decision, proto::Decision::Allow);
        auto r = run("/usr/bin/systemctl", {"restart", "web.service"});
        EXPECT_EQ(r.decision, proto::Decision::Allow) << r.reason;
    }
    auto spent = run("/usr/bin/systemctl", {"restart", "web.service"});
    EXPECT_EQ(spent.decision, proto::Decision::Deny);
    EXPECT_NE(spent.reason.find("no use left"), std::string::npos) << spent.reason;
    // A refused command spends nothing either: the count survives a restart.
    reopen();
    EXPECT_EQ(service_->book().find(g->id)->uses_left.value_or(99), 0u);
}

TEST_F(CommandCheckTest, RefusedCommandSpendsNoUse) {
    auto g = grant({kRestart}, {}, 1);
    ASSERT_TRUE(g);
    EXPECT_EQ(run("/usr/bin/systemctl", {"stop", "web.service"}).decision, proto::Decision::Deny);
    EXPECT_EQ(run("/usr/bin/systemctl", {"restart", "web.service"}).decision,
              proto::Decision::Allow);
}

TEST_F(CommandCheckTest, UnscopedSudoGrantAllowsAnyCommand) {
    ASSERT_TRUE(grant({}));
    auto r = run("/bin/bash", {});
    EXPECT_EQ(r.decision, proto::Decision::Allow) << r.reason;
}

TEST_F(CommandCheckTest, NoGrantExpiredGrantAndSshOnlyGrantRefuse) {
    EXPECT_EQ(run("/usr/bin/systemctl", {"restart", "web.service"}).decision,
              proto::Decision::Deny);
    ASSERT_TRUE(grant({}, {}, std::nullopt, {"sshd"}));
    EXPECT_EQ(run("/usr/bin/systemctl", {"restart", "web.service"}).decision,
              proto::Decision::Deny);
    ASSERT_TRUE(grant({kRestart}));
    clock_.advance(600);
    EXPECT_EQ(run("/usr/bin/systemctl", {"restart", "web.service"}).decision,
              proto::Decision::Deny);
}

TEST_F(CommandCheckTest, UnmanagedAccountIsRefused) {
    auto r = run("/usr/bin/id", {}, "root", "alice");
    EXPECT_EQ(r.decision, proto::Decision::Deny);
    EXPECT_EQ(r.rule, "unmanaged");
}

TEST_F(CommandCheckTest, ScopeSurvivesARestart) {
    auto g = grant({kRestart}, {"root", "www-data:adm"});
    ASSERT_TRUE(g);
    reopen();
    const Grant* back = service_->book().find(g->id);
    ASSERT_NE(back, nullptr);
    EXPECT_EQ(back->commands, std::vector<std::string>{kRestart});
    EXPECT_EQ(back->runas, (std::vector<std::string>{"root", "www-data:adm"}));
}

TEST_F(CommandCheckTest, BadScopesAreRejectedAtGrantTime) {
    EXPECT_FALSE(grant({"systemctl restart web.service"}));
    EXPECT_FALSE(grant({"/usr/bin/../bin/systemctl"}));
    EXPECT_FALSE(grant({kRestart}, {"not a name"}));
    EXPECT_FALSE(grant({}, {"root"}));                            // runas without commands
    EXPECT_FALSE(grant({kRestart}, {}, std::nullopt, {"sshd"}));  // commands without sudo
}

// The story: the rule's scope binds the grant an approved request
// makes, and an implicit grant a sudo check makes.
TEST_F(CommandCheckTest, PolicyRulesScopeTheGrantsTheyMake) {
    auto policy = std::make_shared<PolicySet>();
    auto parsed = parse_policy_text(
        "[web-restart]\naccounts = deploy\nservices = sudo\n"
        "commands = /usr/bin/systemctl restart web.service, "
        "/usr/bin/journalctl -u web.service --since *\n"
        "runas = root\nduration = 1m..15m\nuses = 5\napproval = auto\n",
        "p.conf", PolicyOptions{}, policy.get());
    ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
    service_->apply_policy(policy);
    RequestAsk m;
    m.user = "deploy";
    m.services = {"sudo"};
    m.duration = 600;
    m.reason = "deploy 4711";
    auto r = service_->desk().create(Caller{1, 1500, 1500, {}}, m);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_FALSE(r->grant_id.empty());
    const Grant* g = service_->book().find(r->grant_id);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->commands.size(), 2u);
    EXPECT_EQ(g->runas, std::vector<std::string>{"root"});
    EXPECT_EQ(g->uses, std::optional<uint32_t>(5));  // the rule's uses = 5
    EXPECT_EQ(g->uses_left, std::optional<uint32_t>(5));
    EXPECT_EQ(run("/usr/bin/systemctl", {"restart", "web.service"}).decision,
              proto::Decision::Allow);
    EXPECT_EQ(run("/usr/bin/systemctl", {"stop", "web.service"}).decision, proto::Decision::Deny);
    EXPECT_EQ(run("/usr/bin/psql", {}, "postgres").decision, proto::Decision::Deny);
    // The scope is on disk with the grant: a restart does not widen it.
    reopen();
    EXPECT_EQ(service_->book().find(r->grant_id)->commands.size(), 2u);
    EXPECT_EQ(run("/usr/bin/systemctl", {"stop", "web.service"}).decision, proto::Decision::Deny);
    EXPECT_EQ(run("/usr/bin/systemctl", {"restart", "web.service"}).decision,
              proto::Decision::Allow);
    // Two restarts allowed, the refusals spent nothing: three of five uses are left.
    EXPECT_EQ(service_->book().find(r->grant_id)->uses_left, std::optional<uint32_t>(3));
}

// Implicit rules carry scope and uses too: sudo's PAM check makes a grant
// bound to the rule's commands, whose uses count commands only.  For an
// unscoped service the check that makes the grant is its first admission
// and spends a use like every later one.
TEST_F(CommandCheckTest, ImplicitRulesCarryScopeAndUses) {
    auto policy = std::make_shared<PolicySet>();
    auto parsed = parse_policy_text(
        "[web-implicit]\naccounts = deploy\nservices = sudo\nimplicit = 10m\n"
        "commands = /usr/bin/systemctl restart web.service\nuses = 2\n"
        "[cron-implicit]\naccounts = deploy\nservices = cron\nimplicit = 10m\nuses = 2\n",
        "p.conf", PolicyOptions{}, policy.get());
    ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
    service_->apply_policy(policy);

    ASSERT_EQ(pam_check("sudo").decision, proto::Decision::Allow);  // makes the grant
    ASSERT_EQ(service_->book().grants().size(), 1u);
    const Grant& sudo = service_->book().grants().front();
    EXPECT_EQ(sudo.commands, std::vector<std::string>{kRestart});
    EXPECT_EQ(sudo.uses_left, std::optional<uint32_t>(2));  // a PAM check spends none
    EXPECT_EQ(run("/usr/bin/systemctl", {"stop", "web.service"}).decision, proto::Decision::Deny);
    for (int i = 0; i < 2; ++i)
        EXPECT_EQ(run("/usr/bin/systemctl", {"restart", "web.service"}).decision,
                  proto::Decision::Allow);
    EXPECT_EQ(run("/usr/bin/systemctl", {"restart", "web.service"}).decision,
              proto::Decision::Deny);

    EXPECT_EQ(pam_check("cron").decision, proto::Decision::Allow);  // makes it, one use
    EXPECT_EQ(pam_check("cron").decision, proto::Decision::Allow);  // the second
    std::vector<std::optional<uint32_t>> cron_left;
    for (const Grant& g : service_->book().grants())
        if (g.services == std::vector<std::string>{"cron"}) cron_left.push_back(g.uses_left);
    EXPECT_EQ(cron_left, std::vector<std::optional<uint32_t>>{0});
}

// jitctl request --command: a request may narrow the rule's scope, to one of
// its patterns or a concrete command one matches, never widen it.
TEST_F(CommandCheckTest, RequestsNarrowTheRuleScopeNeverWidenIt) {
    auto policy = std::make_shared<PolicySet>();
    auto parsed = parse_policy_text(
        "[web]\naccounts = deploy\nservices = sudo\n"
        "commands = /usr/bin/systemctl restart web-*.service, /usr/bin/id\n"
        "runas = root, www-data\nduration = 1m..15m\napproval = auto\n",
        "p.conf", PolicyOptions{}, policy.get());
    ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
    service_->apply_policy(policy);
    auto ask = [&](std::vector<std::string> commands, std::vector<std::string> runas = {}) {
        RequestAsk m;
        m.user = "deploy";
        m.services = {"sudo"};
        m.duration = 600;
        m.reason = "deploy 4711";
        m.commands = std::move(commands);
        m.runas = std::move(runas);
        return service_->desk().create(Caller{1, 1500, 1500, {}}, m);
    };
    auto wider = ask({"/usr/bin/systemctl restart *"});
    ASSERT_FALSE(wider.ok());
    EXPECT_EQ(wider.error().code, EACCES);
    EXPECT_NE(wider.error().message.find("not within the rule's commands"), std::string::npos);
    EXPECT_FALSE(ask({"/usr/bin/rm -rf /"}).ok());
    EXPECT_FALSE(ask({"/usr/bin/id"}, {"postgres"}).ok());
    EXPECT_FALSE(ask({}, {"root"}).ok());  // runas without commands

    auto r = ask({"/usr/bin/systemctl  restart web-1.service"}, {"www-data"});
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Grant* g = service_->book().find(r->grant_id);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->commands, std::vector<std::string>{"/usr/bin/systemctl restart web-1.service"});
    EXPECT_EQ(g->runas, std::vector<std::string>{"www-data"});
    EXPECT_EQ(run("/usr/bin/systemctl", {"restart", "web-1.service"}, "www-data").decision,
              proto::Decision::Allow);
    EXPECT_EQ(run("/usr/bin/systemctl", {"restart", "web-2.service"}, "www-data").decision,
              proto::Decision::Deny);
    EXPECT_EQ(run("/usr/bin/id", {}, "www-data").decision, proto::Decision::Deny);
    // The request keeps its scope on disk too.
    auto shown = service_->desk().show(r->id);
    ASSERT_TRUE(shown.ok());
    EXPECT_EQ(shown->commands, g->commands);
}

}  // namespace
}  // namespace jit::daemon
