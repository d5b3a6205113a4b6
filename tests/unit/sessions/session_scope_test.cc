// The pure parts of session tracking: /proc parsing, which processes belong
// to a session, and what should happen to a session at a given time.
#include <gtest/gtest.h>

#include "daemon/grants/grant_book.h"
#include "daemon/sessions/proc.h"
#include "daemon/sessions/session_plan.h"
#include "daemon/sessions/session_scope.h"

namespace jit::daemon {
namespace {

constexpr Time kT0 = 1'800'000'000;

TEST(ProcParse, StatFieldsCountFromTheLastParenthesis) {
    auto p = parse_stat(
        "4242 (my (odd) name) S 4000 4242 4242 34817 4242 4194560 1 2 3 4 5 6 7 "
        "8 20 0 1 0 987654 1000 10\n");
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->pid, 4242);
    EXPECT_EQ(p->state, 'S');
    EXPECT_EQ(p->ppid, 4000);
    EXPECT_EQ(p->sid, 4242);
    EXPECT_EQ(p->tty_nr, 34817u);
    EXPECT_EQ(p->start, 987654u);
}

TEST(ProcParse, RejectsTruncatedOrGarbledStat) {
    EXPECT_FALSE(parse_stat("").has_value());
    EXPECT_FALSE(parse_stat("12 (x) S 1 2 3").has_value()) << "no start time";
    EXPECT_FALSE(parse_stat("12 x S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19").has_value());
    EXPECT_FALSE(parse_stat("-3 (x) S 1 1 1 0 1 0 0 0 0 0 0 0 0 0 0 0 1 0 5 0").has_value());
    EXPECT_FALSE(parse_stat("12 (x) S one 1 1 0 1 0 0 0 0 0 0 0 0 0 0 0 1 0 5 0").has_value());
}

TEST(ProcParse, AuditSessionUnsetIsAbsent) {
    EXPECT_EQ(parse_audit_session("4294967295\n"), std::nullopt);
    EXPECT_EQ(parse_audit_session("17\n"), std::optional<uint32_t>(17));
    EXPECT_EQ(parse_audit_session("x"), std::nullopt);
}

TEST(ProcParse, UnifiedCgroupLine) {
    EXPECT_EQ(parse_unified_cgroup("1:name=systemd:/x\n0::/user.slice/session-3.scope\n"),
              "/user.slice/session-3.scope");
    EXPECT_EQ(parse_unified_cgroup("1:cpu:/\n"), "");
}

TEST(ProcParse, TtyPathsOnlyForPtsAndConsoles) {
    EXPECT_EQ(tty_path((136u << 8) | 3), "/dev/pts/3");
    EXPECT_EQ(tty_path((137u << 8) | 1), "/dev/pts/257");
    EXPECT_EQ(tty_path((4u << 8) | 2), "/dev/tty2");
    EXPECT_EQ(tty_path((4u << 8) | 64), "") << "ttyS0 is a serial line, not warned";
    EXPECT_EQ(tty_path((8u << 8) | 1), "");
    EXPECT_EQ(tty_path(0), "");
}

TEST(ProcParse, WarnableTtyPaths) {
    EXPECT_TRUE(warnable_tty("/dev/pts/12"));
    EXPECT_TRUE(warnable_tty("/dev/tty3"));
    EXPECT_FALSE(warnable_tty("/dev/pts/"));
    EXPECT_FALSE(warnable_tty("/dev/pts/1/../../sda"));
    EXPECT_FALSE(warnable_tty("/etc/passwd"));
    EXPECT_FALSE(warnable_tty("ssh"));
    EXPECT_FALSE(warnable_tty("/dev/ttyS0"));
}

ProcInfo proc(pid_t pid, pid_t ppid, pid_t sid, uint64_t start,
              std::optional<uint32_t> audit = std::nullopt, std::string cgroup = "") {
    ProcInfo p;
    p.pid = pid;
    p.ppid = ppid;
    p.sid = sid;
    p.start = start;
    p.audit_session = audit;
    p.cgroup = std::move(cgroup);
    return p;
}

// sshd-like: [priv] 100 leads session 100; its child 101 runs the shell in
// session 101 with a grandchild 102; 200 is someone else's login.
std::vector<ProcInfo> sshd_table() {
    return {proc(1, 0, 1, 1),          proc(2, 0, 0, 1),         proc(50, 2, 0, 2),
            proc(90, 1, 90, 5),        proc(100, 90, 100, 1000), proc(101, 100, 101, 1001),
            proc(102, 101, 101, 1002), proc(200, 90, 200, 1100), proc(201, 200, 200, 1101)};
}

std::vector<pid_t> pids(const std::vector<Target>& t) {
    std::vector<pid_t> out;
    for (const auto& x : t) out.push_back(x.pid);
    return out;
}

TEST(SessionScope, LeaderAndItsDescendantsButNobodyElse) {
    SessionIdentity id{100, 1000, 100, std::nullopt, "", "boot"};
    EXPECT_EQ(pids(select_targets(id, sshd_table(), 999)), (std::vector<pid_t>{100, 101, 102}));
}

TEST(SessionScope, AReusedPidIsNotTheSession) {
    SessionIdentity id{100, 999, 100, std::nullopt, "", "boot"};  // recorded another start time
    EXPECT_TRUE(select_targets(id, sshd_table(), 999).empty());
}

TEST(SessionScope, OrphansOfTheSessionFoundByKernelSessionWhileTheLeaderLives) {
    auto table = sshd_table();
    table.push_back(proc(300, 1, 100, 1200));  // reparented, still in session 100
    SessionIdentity id{100, 1000, 100, std::nullopt, "", "boot"};
    EXPECT_EQ(pids(select_targets(id, table, 999)), (std::vector<pid_t>{100, 101, 102, 300}));
    // Leader gone: session 100 could be a reused number; only other keys count.
    table.erase(table.begin() + 4);
    EXPECT_TRUE(select_targets(id, table, 999).empty());
}

TEST(SessionScope, NotTheCallersSessionWhenThePamProcessDoesNotLeadIt) {
    // sudo 150 runs inside someone's login session 200: session 200 is not
    // the sudo session's to end.
    auto table = sshd_table();
    table.push_back(proc(150, 201, 200, 1300));
    table.push_back(proc(151, 150, 200, 1301));
    SessionIdentity id{150, 1300, 200, std::nullopt, "", "boot"};
    EXPECT_EQ(pids(select_targets(id, table, 999)), (std::vector<pid_t>{150, 151}));
}

TEST(SessionScope, OwnAuditSessionAndLogindScopeReachEscapees) {
    auto table = sshd_table();
    table.push_back(proc(400, 1, 400, 1400, 77));  // daemonized, same audit session
    table.push_back(proc(401, 1, 401, 1401, std::nullopt, "/user.slice/session-7.scope"));
    table.push_back(proc(402, 1, 402, 1402, std::nullopt, "/user.slice/session-77.scope"));
    SessionIdentity id{100, 1000, 100, 77, "7", "boot"};
    EXPECT_EQ(pids(select_targets(id, table, 999)), (std::vector<pid_t>{100, 101, 102, 400, 401}));
}

TEST(SessionScope, NeverInitKernelThreadsZombiesOrSelf) {
    auto table = sshd_table();
    table.push_back(proc(500, 1, 500, 1500, 77));
    table.push_back(proc(501, 1, 501, 1501, 77));
    table.back().state = 'Z';
    for (auto& p : table) p.audit_session = 77;  // everyone claims the audit session
    SessionIdentity id{100, 1000, 100, 77, "", "boot"};
    auto got = pids(select_targets(id, table, 90));
    for (pid_t never : {1, 2, 50, 90, 501})
        EXPECT_EQ(std::count(got.begin(), got.end(), never), 0) << never;
}

TEST(SessionScope, TtysOfTheSessionAndAValidPamTty) {
    auto table = sshd_table();
    table[5].tty_nr = (136u << 8) | 4;
    table[7].tty_nr = (136u << 8) | 9;  // not in the session
    SessionIdentity id{100, 1000, 100, std::nullopt, "", "boot"};
    auto targets = select_targets(id, table, 999);
    auto paths = [](const std::vector<SessionTty>& ttys) {
        std::vector<std::string> out;
        for (const auto& t : ttys) out.push_back(t.path);
        return out;
    };
    auto only_ssh = session_ttys(targets, table, "ssh");
    EXPECT_EQ(paths(only_ssh), (std::vector<std::string>{"/dev/pts/4"}));
    ASSERT_EQ(only_ssh.size(), 1u);
    EXPECT_EQ(only_ssh[0].tty_nr, (136u << 8) | 4) << "the device the session holds, to check";
    EXPECT_EQ(only_ssh[0].holders, std::vector<pid_t>{table[5].pid});
    auto with_pam = session_ttys(targets, table, "/dev/tty1");
    EXPECT_EQ(paths(with_pam), (std::vector<std::string>{"/dev/pts/4", "/dev/tty1"}));
    EXPECT_EQ(with_pam[1].tty_nr, 0u) << "PAM_TTY alone names no device to check against";
    EXPECT_TRUE(with_pam[1].holders.empty());
}

Grant grant(std::string id, std::string service, Time nb, Time na) {
    Grant g;
    g.id = std::move(id);
    g.user = "deploy";
    g.services = {std::move(service)};
    g.not_before = nb;
    g.not_after = na;
    return g;
}

Session session_of(std::string grant_id) {
    Session s;
    s.id = "s-aaaaaaaa";
    s.user = "deploy";
    s.service = "sshd";
    s.grant_id = std::move(grant_id);
    s.identity.boot_id = "boot";
    return s;
}

TEST(SessionPlan, KeptWhileCoveredEndedWhenNot) {
    GrantBook book;
    book.add(grant("g-1", "sshd", kT0, kT0 + 60));
    auto s = session_of("g-1");
    auto plan = plan_session(s, book, kT0 + 59, "boot", 0);
    EXPECT_EQ(plan.verdict, SessionVerdict::Keep);
    EXPECT_EQ(plan.cover->id, "g-1");
    EXPECT_EQ(plan_session(s, book, kT0 + 60, "boot", 0).verdict, SessionVerdict::End)
        << "not_after is exclusive";
}

TEST(SessionPlan, OverlapKeepsTheSessionAndChainsTheEnd) {
    GrantBook book;
    book.add(grant("g-1", "sshd", kT0, kT0 + 60));
    book.add(grant("g-2", "sshd", kT0 + 30, kT0 + 120));
    book.add(grant("g-3", "sshd", kT0 + 100, kT0 + 300));
    book.add(grant("g-4", "sudo", kT0, kT0 + 900));  // another service covers nothing
    auto plan = plan_session(session_of("g-1"), book, kT0 + 10, "boot", 0);
    EXPECT_EQ(plan.end, kT0 + 300) << "g-1 -> g-2 -> g-3";
    plan = plan_session(session_of("g-1"), book, kT0 + 70, "boot", 0);
    EXPECT_EQ(plan.cover->id, "g-2");
}

TEST(SessionPlan, UsesDoNotEndARunningSession) {
    GrantBook book;
    Grant g = grant("g-1", "sshd", kT0, kT0 + 60);
    g.uses = 1;
    g.uses_left = 0;
    book.add(g);
    EXPECT_FALSE(book.check({"deploy", "sshd", ""}, kT0).allow) << "no new admission";
    EXPECT_EQ(plan_session(session_of("g-1"), book, kT0, "boot", 0).verdict, SessionVerdict::Keep);
}

TEST(SessionPlan, EarlierBootIsGoneRefusedIsEnded) {
    GrantBook book;
    book.add(grant("g-1", "sshd", kT0, kT0 + 60));
    EXPECT_EQ(plan_session(session_of("g-1"), book, kT0, "other-boot", 0).verdict,
              SessionVerdict::Gone);
    EXPECT_EQ(plan_session(session_of("g-1"), book, kT0, "", 0).verdict, SessionVerdict::Keep)
        << "an unreadable boot id never makes a session gone";
    auto refused = session_of("");
    refused.state = SessionState::Refused;
    EXPECT_EQ(plan_session(refused, book, kT0, "boot", 0).verdict, SessionVerdict::End);
}

TEST(SessionPlan, WarnsOnceAtTheLeadTime) {
    GrantBook book;
    book.add(grant("g-1", "sshd", kT0, kT0 + 300));
    auto s = session_of("g-1");
    auto early = plan_session(s, book, kT0, "boot", 120);
    EXPECT_FALSE(early.warn_now);
    EXPECT_EQ(early.warn_at, std::optional<Time>(kT0 + 180));
    EXPECT_TRUE(plan_session(s, book, kT0 + 180, "boot", 120).warn_now);
    s.warned_for = kT0 + 300;
    auto again = plan_session(s, book, kT0 + 200, "boot", 120);
    EXPECT_FALSE(again.warn_now);
    EXPECT_FALSE(again.warn_at.has_value());
    s.state = SessionState::Closed;
    s.warned_for.reset();
    EXPECT_FALSE(plan_session(s, book, kT0 + 200, "boot", 120).warn_now) << "closed: no terminal";
    EXPECT_FALSE(plan_session(session_of("g-1"), book, kT0 + 200, "boot", 0).warn_now)
        << "warn_before 0 disables";
}

TEST(SessionPlan, ASessionOpenedInsideTheLeadTimeIsWarnedOnceItHasATerminal) {
    GrantBook book;
    book.add(grant("g-1", "sshd", kT0, kT0 + 60));
    auto s = session_of("g-1");
    s.opened = kT0 + 10;  // 50 s before the end, with a lead time of 120 s
    auto at_open = plan_session(s, book, kT0 + 10, "boot", 120);
    EXPECT_FALSE(at_open.warn_now) << "sshd has not made the pty yet";
    EXPECT_EQ(at_open.warn_at, std::optional<Time>(kT0 + 10 + kWarnSettle));
    EXPECT_TRUE(plan_session(s, book, kT0 + 10 + kWarnSettle, "boot", 120).warn_now);
    s.opened = kT0 + 59;  // a second before the end
    auto late = plan_session(s, book, kT0 + 59, "boot", 120);
    EXPECT_FALSE(late.warn_now);
    EXPECT_FALSE(late.warn_at.has_value()) << "no notice after the end";
    EXPECT_EQ(late.verdict, SessionVerdict::Keep);
}

TEST(GrantBookUses, PrefersAnUnlimitedGrantSoUsesAreNotWasted) {
    GrantBook book;
    Grant limited = grant("g-1", "sshd", kT0, kT0 + 900);
    limited.uses = limited.uses_left = 5;
    book.add(limited);
    book.add(grant("g-2", "sshd", kT0, kT0 + 60));
    EXPECT_EQ(book.check({"deploy", "sshd", ""}, kT0).grant_id, "g-2");
}

}  // namespace
}  // namespace jit::daemon
