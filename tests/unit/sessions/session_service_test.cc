// jitd's session side driven directly: a real SQLite store, an injected
// clock, a made-up process table, and a signaller and logind that record
// what they were asked to do instead of doing it.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "daemon/time/clock.h"
#include "daemon/service/service.h"
#include "daemon/sessions/session_service.h"
#include "tests/unit/fakes.h"
#include "tests/unit/sessions/session_fakes.h"

namespace jit::daemon {
namespace {

using jit::testing::FakeClock;
using jit::testing::FakeDirectory;
using jit::testing::FakeLogind;
using jit::testing::FakeProcesses;
using jit::testing::RecordingJournal;
using jit::testing::RecordingSignaller;

constexpr Time kT0 = 1'800'000'000;

class SessionServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-session-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        config_.state_dir = dir_ + "/state";
        config_.managed_users = {"deploy", "backup"};
        config_.warn_before_seconds = 0;
        config_.kill_grace_seconds = 1;
        procs_.add(1, 0, 1, 1);
        procs_.add(900, 1, 900, 5);  // "sshd" listener
        reopen();
    }
    void TearDown() override {
        sessions_.reset();
        service_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void reopen() {
        sessions_.reset();
        service_.reset();
        store_.reset();
        auto s = Store::open(config_.state_dir);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
        service_ = std::make_unique<JitService>(*store_, journal_, clock_, directory_, config_);
        sessions_ = std::make_unique<SessionService>(*store_, journal_, clock_, *service_, procs_,
                                                     terminator_);
        service_->set_observer(sessions_.get());
        service_->attach_sessions(sessions_.get());
        ASSERT_TRUE(service_->load().ok());
        ASSERT_TRUE(sessions_->load().ok());
    }
    Caller root(pid_t pid) { return Caller{pid, 0, 0, {}}; }
    std::string grant(const std::string& user, uint64_t seconds, bool until_end = false,
                      std::optional<uint64_t> uses = std::nullopt) {
        GrantAsk r;
        r.user = user;
        r.services = {"sshd"};
        r.reason = "test";
        r.duration = seconds;
        r.until_session_end = until_end;
        r.uses = uses;
        auto g = service_->grant(root(1), r);
        EXPECT_TRUE(g.ok()) << (g ? "" : g.error().message);
        return g ? g->id : "";
    }
    // An sshd-like login: [priv] pid leads its session, with a shell child.
    SessionOpenAnswer login(pid_t pid, const std::string& user, bool check = true) {
        procs_.add(pid, 900, pid, uint64_t(pid) * 10);
        procs_.add(pid + 1, pid, pid + 1, uint64_t(pid) * 10 + 1);
        if (check) {
            CheckAsk c;
            c.user = user;
            c.service = "sshd";
            service_->check(root(pid), c);
        }
        SessionOpenAsk r;
        r.user = user;
        r.service = "sshd";
        r.pid = uint64_t(pid);
        auto reply = sessions_->open(root(pid), r);
        sessions_->run_pending();
        return reply;
    }
    bool alive(pid_t pid) const { return procs_.table.count(pid) > 0; }

    std::string dir_;
    Config config_;
    FakeClock clock_{kT0};
    RecordingJournal journal_;
    FakeDirectory directory_;
    FakeProcesses procs_;
    RecordingSignaller signaller_{procs_};
    FakeLogind logind_;
    Terminator terminator_{procs_, signaller_, logind_, 4242};
    std::unique_ptr<Store> store_;
    std::unique_ptr<JitService> service_;
    std::unique_ptr<SessionService> sessions_;
};

TEST_F(SessionServiceTest, OpenUnderTheAdmittingGrantThenEndedAtExpiry) {
    std::string g = grant("deploy", 60);
    auto reply = login(100, "deploy");
    ASSERT_EQ(reply.decision, proto::Decision::Allow) << reply.reason;
    EXPECT_EQ(reply.grant_id, g);
    EXPECT_EQ(reply.not_after, std::optional<int64_t>(kT0 + 60));
    clock_.advance(59);
    service_->expire_due();
    sessions_->tick(monotonic_ms());
    EXPECT_TRUE(alive(100) && alive(101)) << "ended before not_after";
    clock_.advance(1);
    service_->expire_due();
    sessions_->tick(monotonic_ms());
    EXPECT_FALSE(alive(100));
    EXPECT_FALSE(alive(101));
    EXPECT_EQ(signaller_.sent,
              (std::vector<std::pair<pid_t, int>>{{100, SIGTERM}, {101, SIGTERM}}));
    auto listed = store_->list_sessions("deploy", true, 10);
    ASSERT_TRUE(listed && listed->size() == 1);
    EXPECT_EQ((*listed)[0].state, SessionState::Terminated);
    EXPECT_EQ(journal_.of(Event::SessionEnded).size(), 1u);
}

TEST_F(SessionServiceTest, TheSessionPidMustBeTheCallers) {
    grant("deploy", 60);
    procs_.add(100, 900, 100, 1000);
    SessionOpenAsk r{"deploy", "sshd", 100, "", "", "", ""};
    EXPECT_EQ(sessions_->open(root(555), r).decision, proto::Decision::Deny);
    EXPECT_EQ(sessions_->open(root(0), r).decision, proto::Decision::Deny);
}

TEST_F(SessionServiceTest, RefusedSessionOfAManagedAccountIsEnded) {
    auto reply = login(200, "backup");
    EXPECT_EQ(reply.decision, proto::Decision::Deny);
    EXPECT_FALSE(alive(200)) << "sshd goes on after a failed session phase; jitd ends it";
    EXPECT_EQ(journal_.of(Event::SessionRefused).size(), 2u) << "refusal, then its end";
}

TEST_F(SessionServiceTest, UnmanagedAccountsAreNeitherRecordedNorSignalled) {
    auto reply = login(300, "alice", false);
    EXPECT_EQ(reply.decision, proto::Decision::Deny);
    EXPECT_TRUE(alive(300));
    EXPECT_TRUE(signaller_.sent.empty());
}

TEST_F(SessionServiceTest, RevokeEndsAndOverlapKeeps) {
    std::string first = grant("deploy", 60);
    ASSERT_EQ(login(100, "deploy").grant_id, first);
    std::string second = grant("deploy", 600);
    RevokeAsk rv;
    rv.grant_id = first;
    ASSERT_TRUE(service_->revoke(root(1), rv).ok());
    sessions_->run_pending();
    EXPECT_TRUE(alive(100)) << second << " still covers the session";
    auto listed = store_->list_sessions("deploy", false, 10);
    ASSERT_TRUE(listed && listed->size() == 1);
    EXPECT_EQ((*listed)[0].grant_id, second);
    EXPECT_EQ(journal_.of(Event::SessionKept).size(), 1u);
    rv.grant_id = second;
    ASSERT_TRUE(service_->revoke(root(1), rv).ok());
    sessions_->run_pending();
    EXPECT_FALSE(alive(100));
}

TEST_F(SessionServiceTest, UntilSessionEndEndsTheGrantAndItsOtherSessions) {
    std::string g = grant("deploy", 3600, true);
    ASSERT_EQ(login(100, "deploy").decision, proto::Decision::Allow);
    ASSERT_EQ(login(200, "deploy").decision, proto::Decision::Allow);
    SessionCloseAsk close{200, "", "deploy", "sshd"};
    auto closed = sessions_->close(root(200), close);
    ASSERT_TRUE(closed.ok()) << closed.error().message;
    sessions_->run_pending();
    EXPECT_EQ(service_->book().find(g), nullptr) << "the grant ended";
    EXPECT_FALSE(alive(100)) << "the session it alone covered ended with it";
    auto ended = store_->list_grants("deploy", true, 10);
    ASSERT_TRUE(ended && ended->size() == 1);
    EXPECT_EQ((*ended)[0].state, GrantState::Expired);
    EXPECT_EQ((*ended)[0].ended->reason, "its session " + *closed + " closed");
}

TEST_F(SessionServiceTest, UsesAreCountedOncePerAdmission) {
    std::string g = grant("deploy", 3600, false, 2);
    ASSERT_EQ(login(100, "deploy").decision, proto::Decision::Allow);  // check + open: 1 use
    EXPECT_EQ(*service_->book().find(g)->uses_left, 1u);
    ASSERT_EQ(login(200, "deploy", false).decision, proto::Decision::Allow);  // open alone: 1 use
    EXPECT_EQ(*service_->book().find(g)->uses_left, 0u);
    EXPECT_EQ(login(300, "deploy").decision, proto::Decision::Deny);
    EXPECT_TRUE(alive(100) && alive(200)) << "spent uses do not end running sessions";
    reopen();
    EXPECT_EQ(*service_->book().find(g)->uses_left, 0u) << "uses are durable";
}

// Where the kernel names the peer (SO_PEERPIDFD), a check is matched to its
// session open by that name: no /proc read at the check, and a process that
// merely has the checked pid (reused, even with the same start time) is not
// taken for the one that was checked.
TEST_F(SessionServiceTest, AnAdmissionIsMatchedByTheKernelsNameForTheProcess) {
    std::string g = grant("deploy", 3600, false, 2);
    procs_.add(100, 900, 100, 1000);
    procs_.socket_keys[7] = 5001;
    CheckAsk c;
    c.user = "deploy";
    c.service = "sshd";
    Caller checker = root(100);
    checker.socket = 7;
    const int lookups = procs_.lookups;
    ASSERT_EQ(service_->check(checker, c).decision, proto::Decision::Allow);
    EXPECT_EQ(procs_.lookups, lookups) << "the check read /proc";
    EXPECT_EQ(*service_->book().find(g)->uses_left, 1u);

    SessionOpenAsk r;
    r.user = "deploy";
    r.service = "sshd";
    r.pid = 100;
    auto other = std::make_shared<UniqueFd>(open("/dev/null", O_RDONLY | O_CLOEXEC));
    procs_.pidfd_keys[other->get()] = 5002;  // pid 100 now, but not the process checked
    Caller impostor = root(100);
    impostor.pidfd = other;
    ASSERT_EQ(sessions_->open(impostor, r).decision, proto::Decision::Allow);
    EXPECT_EQ(*service_->book().find(g)->uses_left, 0u)
        << "another process's open is its own admission: it spends a use";

    auto same = std::make_shared<UniqueFd>(open("/dev/null", O_RDONLY | O_CLOEXEC));
    procs_.pidfd_keys[same->get()] = 5001;
    Caller checked = root(100);
    checked.pidfd = same;
    auto reply = sessions_->open(checked, r);
    ASSERT_EQ(reply.decision, proto::Decision::Allow) << reply.reason;
    EXPECT_EQ(reply.grant_id, g) << "opened under the check's admission, with no use left";
}

TEST_F(SessionServiceTest, SessionsRecordedBeforeARestartAreStillEnded) {
    grant("deploy", 60);
    ASSERT_EQ(login(100, "deploy").decision, proto::Decision::Allow);
    clock_.advance(120);  // jitd was down over not_after
    reopen();
    EXPECT_FALSE(alive(100));
    EXPECT_FALSE(alive(101));
}

TEST_F(SessionServiceTest, SessionsOfAnEarlierBootAreGoneAndNothingIsSignalled) {
    grant("deploy", 60);
    ASSERT_EQ(login(100, "deploy").decision, proto::Decision::Allow);
    procs_.boot = "boot-2";  // rebooted: pid 100 now names another process
    clock_.advance(120);
    reopen();
    EXPECT_TRUE(signaller_.sent.empty());
    EXPECT_TRUE(alive(100));
    auto listed = store_->list_sessions("deploy", true, 10);
    ASSERT_TRUE(listed && listed->size() == 1);
    EXPECT_EQ((*listed)[0].state, SessionState::Gone);
}

TEST_F(SessionServiceTest, LogindTerminatesSessionsItCreatedAndSigkillFollowsTheGrace) {
    logind_.up = true;
    signaller_.stubborn = true;  // processes ignore SIGTERM
    grant("deploy", 60);
    procs_.add(100, 900, 100, 1000);
    CheckAsk c{"deploy", "sshd", "", "", ""};
    service_->check(root(100), c);
    SessionOpenAsk r{"deploy", "sshd", 100, "", "", "", "c7"};
    ASSERT_EQ(sessions_->open(root(100), r).decision, proto::Decision::Allow);
    clock_.advance(60);
    service_->expire_due();
    sessions_->tick(monotonic_ms());
    EXPECT_EQ(logind_.terminated, std::vector<std::string>{"c7"});
    ASSERT_TRUE(sessions_->next_escalation_ms().has_value());
    sessions_->tick(*sessions_->next_escalation_ms());
    EXPECT_EQ(signaller_.sent.back(), (std::pair<pid_t, int>{100, SIGKILL}));
}

TEST_F(SessionServiceTest, TheUserManagerRidesOnTheGrantWithoutSpendingAUse) {
    std::string g = grant("deploy", 3600, false, 2);
    ASSERT_EQ(login(100, "deploy").decision, proto::Decision::Allow);  // 1 use
    procs_.add(300, 1, 300, 3000);  // user@UID.service's PAM stack
    CheckAsk c{"deploy", "systemd-user", "", "", ""};
    EXPECT_EQ(service_->check(root(300), c).decision, proto::Decision::Allow);
    SessionOpenAsk r{"deploy", "systemd-user", 300, "", "", "", ""};
    EXPECT_EQ(sessions_->open(root(300), r).decision, proto::Decision::Allow);
    sessions_->run_pending();
    EXPECT_EQ(*service_->book().find(g)->uses_left, 1u) << "the manager took no use";
    clock_.advance(3600);
    service_->expire_due();
    sessions_->tick(monotonic_ms());
    EXPECT_FALSE(alive(300)) << "the manager's session ends with the grant";
}

TEST_F(SessionServiceTest, AClosedSessionLogindNoLongerKnowsIsNotEndedAgain) {
    logind_.up = true;
    grant("deploy", 60);
    procs_.add(100, 900, 100, 1000);
    CheckAsk c{"deploy", "sshd", "", "", ""};
    service_->check(root(100), c);
    SessionOpenAsk r{"deploy", "sshd", 100, "", "", "", "c7"};
    ASSERT_EQ(sessions_->open(root(100), r).decision, proto::Decision::Allow);
    SessionCloseAsk close{100, "", "deploy", "sshd"};
    ASSERT_TRUE(sessions_->close(root(100), close).ok());
    procs_.table.erase(100);  // nothing left behind
    logind_.gone = true;
    clock_.advance(60);
    service_->expire_due();
    sessions_->tick(monotonic_ms());
    EXPECT_EQ(logind_.terminated, std::vector<std::string>{"c7"}) << "logind was asked";
    EXPECT_TRUE(journal_.of(Event::SessionEnded).empty())
        << "a session that had ended everywhere gets no second end";
}

TEST_F(SessionServiceTest, AnOpenSessionLogindAlreadyEndedIsRecordedAsGone) {
    logind_.up = true;
    grant("deploy", 60);
    procs_.add(100, 900, 100, 1000);
    CheckAsk c{"deploy", "sshd", "", "", ""};
    service_->check(root(100), c);
    SessionOpenAsk r{"deploy", "sshd", 100, "", "", "", "c7"};
    ASSERT_EQ(sessions_->open(root(100), r).decision, proto::Decision::Allow);
    logind_.gone = true;
    clock_.advance(60);
    service_->expire_due();
    sessions_->tick(monotonic_ms());
    auto ended = journal_.of(Event::SessionEnded);
    ASSERT_EQ(ended.size(), 1u) << "its process was still there and got SIGTERM";
    EXPECT_EQ(ended[0].field("JIT_LOGIND"), "gone");
}

TEST_F(SessionServiceTest, TheClockFloorSurvivesARestart) {
    std::string g = grant("deploy", 60);
    clock_.advance(120);
    service_->expire_due();
    ASSERT_TRUE(store_->raise_clock_floor(clock_.now()).ok());
    ASSERT_TRUE(store_->raise_clock_floor(kT0).ok()) << "a lower value is accepted...";
    EXPECT_EQ(*store_->clock_floor(), kT0 + 120) << "...and never lowers the floor";
    // The wall clock steps back an hour; a jitd built on the floor does not.
    clock_.set(kT0 - 3600);
    NonDecreasingClock floored(clock_, *store_->clock_floor());
    EXPECT_EQ(floored.now(), kT0 + 120);
}

TEST_F(SessionServiceTest, AnAdministratorResetLowersTheClockFloor) {
    ASSERT_TRUE(store_->raise_clock_floor(kT0 + 86400).ok());
    ASSERT_TRUE(store_->reset_clock_floor(kT0).ok());
    EXPECT_EQ(*store_->clock_floor(), kT0) << "reset lowers it, which raise never does";
    ASSERT_TRUE(store_->raise_clock_floor(kT0 + 30).ok());
    EXPECT_EQ(*store_->clock_floor(), kT0 + 30) << "and the floor rises again from there";
}

TEST(ClockLagTest, ReportsAClockBehindTheFloorOncePerEpisode) {
    ClockLag lag;
    EXPECT_FALSE(lag.check(kT0, kT0)) << "in step";
    EXPECT_FALSE(lag.check(kT0 - ClockLag::kSlack, kT0)) << "a small correction is no episode";
    EXPECT_EQ(lag.check(kT0 - 3600, kT0), std::optional<Time>(3600));
    EXPECT_FALSE(lag.check(kT0 - 3570, kT0 + 30)) << "reported once, not every 30 s";
    EXPECT_FALSE(lag.check(kT0 + 31, kT0 + 31)) << "caught up: the episode is over";
    EXPECT_EQ(lag.check(kT0 - 100, kT0 + 31), std::optional<Time>(131)) << "a new episode";
}

// Sessions under a fleet grant: jitd ends them itself when jit-fleet's word
// (FLEET_FRESH) runs out, as it does at expiry; local grants are untouched.
class FleetSessionTest : public SessionServiceTest {
protected:
    void SetUp() override {
        config_.fleet_staleness_seconds = 30;
        SessionServiceTest::SetUp();
        clock_.set(kT0 + 40);  // past the restart grace of the first load
    }
    std::string fleet_grant(const std::string& fleet_id) {
        GrantAsk r;
        r.user = "deploy";
        r.services = {"sshd"};
        r.reason = "fleet";
        r.duration = 3600;
        r.fleet_id = fleet_id;
        auto g = service_->grant(root(1), r);
        EXPECT_TRUE(g.ok()) << (g ? "" : g.error().message);
        return g ? g->id : "";
    }
    CheckAnswer check_sshd(pid_t pid) {
        CheckAsk c;
        c.user = "deploy";
        c.service = "sshd";
        return service_->check(root(pid), c);
    }
    void timers() {
        service_->expire_due();
        sessions_->tick(monotonic_ms());
    }
};

TEST_F(FleetSessionTest, ARunningSessionEndsWhenTheWordRunsOut) {
    std::string g = fleet_grant("fg-abcdefgh");
    ASSERT_EQ(service_->fleet_fresh(root(1), kT0 + 50), kT0 + 50);
    auto reply = login(100, "deploy");
    ASSERT_EQ(reply.decision, proto::Decision::Allow) << reply.reason;
    ASSERT_EQ(reply.grant_id, g);
    EXPECT_EQ(service_->next_expiry(), std::optional<Time>(kT0 + 50))
        << "the timer wakes jitd when the word runs out, long before not_after";
    clock_.set(kT0 + 49);
    timers();
    EXPECT_TRUE(alive(100) && alive(101)) << "ended while the word held";
    clock_.set(kT0 + 50);
    timers();
    EXPECT_FALSE(alive(100));
    EXPECT_FALSE(alive(101));
    ASSERT_EQ(journal_.of(Event::SessionEnded).size(), 1u);
    EXPECT_NE(journal_.of(Event::SessionEnded)[0].message.find("jit-fleet's word ran out"),
              std::string::npos)
        << journal_.of(Event::SessionEnded)[0].message;
    EXPECT_EQ(service_->next_expiry(), std::optional<Time>(kT0 + 40 + 3600))
        << "once past, the word's end no longer wakes jitd (the grant's end does)";
    const Grant* left = service_->book().find(g);
    ASSERT_NE(left, nullptr);
    EXPECT_EQ(left->state, GrantState::Active)
        << "the grant itself stays: jit-fleet may vouch again";
}

TEST_F(FleetSessionTest, EachWordMovesTheEndOn) {
    fleet_grant("fg-abcdefgh");
    service_->fleet_fresh(root(1), kT0 + 45);
    ASSERT_EQ(login(100, "deploy").decision, proto::Decision::Allow);
    for (Time t = kT0 + 44; t < kT0 + 120; t += 4) {
        clock_.set(t);
        service_->fleet_fresh(root(1), t + 5);
        timers();
    }
    EXPECT_TRUE(alive(100)) << "a jit-fleet that keeps vouching keeps its sessions";
    EXPECT_TRUE(signaller_.sent.empty());
}

TEST_F(FleetSessionTest, LocalGrantsAndTheSessionsTheyCoverAreUnaffected) {
    std::string local = grant("deploy", 600);
    ASSERT_EQ(login(100, "deploy").grant_id, local);
    service_->fleet_fresh(root(1), kT0 + 45);
    std::string fleet = fleet_grant("fg-abcdefgh");
    clock_.set(kT0 + 300);
    timers();
    EXPECT_TRUE(alive(100)) << "a session under a local grant ignores the fleet's word";
    auto listed = store_->list_sessions("deploy", false, 10);
    ASSERT_TRUE(listed && listed->size() == 1);
    EXPECT_EQ((*listed)[0].grant_id, local);
    EXPECT_NE(fleet, "");
}

TEST_F(FleetSessionTest, AStaleFleetGrantHandsTheSessionToACoveringLocalOne) {
    std::string fleet = fleet_grant("fg-abcdefgh");
    service_->fleet_fresh(root(1), kT0 + 45);
    ASSERT_EQ(login(100, "deploy").grant_id, fleet);
    std::string local = grant("deploy", 60);
    clock_.set(kT0 + 46);
    timers();
    EXPECT_TRUE(alive(100)) << local << " covers it";
    auto listed = store_->list_sessions("deploy", false, 10);
    ASSERT_TRUE(listed && listed->size() == 1);
    EXPECT_EQ((*listed)[0].grant_id, local);
}

TEST_F(FleetSessionTest, ARestartedJitdGivesRunningSessionsOneStalenessToHearAgain) {
    fleet_grant("fg-abcdefgh");
    service_->fleet_fresh(root(1), kT0 + 70);
    ASSERT_EQ(login(100, "deploy").decision, proto::Decision::Allow);
    clock_.set(kT0 + 60);
    reopen();  // grace: until kT0 + 90; the word (kT0 + 70) is forgotten
    EXPECT_TRUE(alive(100)) << "jitd's own restart does not end fleet sessions";
    EXPECT_EQ(check_sshd(300).decision, proto::Decision::Deny)
        << "but a new session waits for jit-fleet's word";
    clock_.set(kT0 + 89);
    timers();
    EXPECT_TRUE(alive(100));
    clock_.set(kT0 + 90);
    timers();
    EXPECT_FALSE(alive(100)) << "no word within max_staleness of the restart";
}

}  // namespace
}  // namespace jit::daemon
