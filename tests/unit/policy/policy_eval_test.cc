// Policy decisions against an injected clock, history and account database:
// requests (schedules with daylight saving changes, durations, sources,
// tickets, limits, risk), implicit grants at the edges of their window, who
// may approve, and a property: explaining a check never changes its answer.
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/time/civil_time.h"
#include "daemon/policy/policy_eval.h"
#include "tests/unit/fakes.h"

namespace jit::daemon {
namespace {

using jit::testing::FakeDirectory;

Time utc(int64_t y, int m, int d, int h, int mi = 0) {
    return days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60;
}

const char* const kPolicy = R"(
[deploy-releases]
accounts = deploy
services = sshd, sudo
from = 10.0.0.0/8, 127.0.0.1
schedule = Mon-Fri 08:00-20:00 Europe/Berlin
duration = 5m..2h
ticket = CHG-[0-9]+
approval = 2 of @release-approvers
max_active = 1
rate = 3/day

[ci]
accounts = @ci-runners
services = sshd
duration = 1m..15m
reason = optional
approval = auto
risk = escalate
risk_approval = 1 of @oncall
risk_learn = 2
burst = 2/hour

[backup-nightly]
accounts = backup
services = sudo
from = local
schedule = daily 02:00-03:00 Europe/Berlin
implicit = 10m, once per window
risk = deny
risk_signals = new-source
risk_learn = 1
)";

class FakeHistory : public PolicyHistory {
public:
    size_t active_grants(const std::string& rule, const std::string& user) const override {
        auto it = active.find({rule, user});
        return it == active.end() ? 0 : it->second;
    }
    size_t created_since(const std::string& rule, const std::string& user,
                         Time since) const override {
        size_t n = 0;
        for (const auto& [r, u, t] : created)
            if ((rule.empty() || r == rule) && u == user && t >= since) ++n;
        return n;
    }
    Baseline baseline(const std::string& user) const override {
        auto it = baselines.find(user);
        return it == baselines.end() ? Baseline{} : it->second;
    }
    std::map<std::pair<std::string, std::string>, size_t> active;
    std::vector<std::tuple<std::string, std::string, Time>> created;
    std::map<std::string, Baseline> baselines;
};

class PolicyEval : public ::testing::Test {
protected:
    void SetUp() override {
        auto r = parse_policy_text(kPolicy, "p.conf", PolicyOptions{}, &policy_);
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        dir_.users["deploy"] = UserInfo{2001, {2001}};
        dir_.users["backup"] = UserInfo{2002, {2002}};
        dir_.users["runner1"] = UserInfo{2003, {2003, 3000}};
        dir_.users["alice"] = UserInfo{1000, {1000, 4000}};
        dir_.groups["ci-runners"] = 3000;
        dir_.groups["release-approvers"] = 4000;
        dir_.groups["oncall"] = 4001;
    }
    EvalContext ctx() { return EvalContext{dir_, history_}; }

    // Monday 2026-03-30 10:00 in Berlin (CEST): inside the release window.
    RequestSpec release(Time start = utc(2026, 3, 30, 8), Time length = 3600) {
        RequestSpec q;
        q.user = "deploy";
        q.services = {"sshd"};
        q.source = "10.1.0.0/16";
        q.not_before = start;
        q.not_after = start + length;
        q.reason = "release 4.2";
        q.ticket = "CHG-123";
        q.requester = Requester{1500, 1500, {}};
        return q;
    }
    RequestDecision decide(const RequestSpec& q, Time now = 0) {
        return decide_request(policy_, q, now ? now : q.not_before, ctx());
    }
    CheckPlan plan(const std::string& user, const std::string& service, const std::string& rhost,
                   Time now, bool explain = false) {
        return plan_check(book_, policy_, {user, service, rhost}, now, ctx(), explain);
    }

    PolicySet policy_;
    FakeDirectory dir_;
    FakeHistory history_;
    GrantBook book_;
};

struct RequestCase {
    const char* name;
    void (*edit)(RequestSpec&);
    RequestVerdict verdict;
    const char* reason;  // a substring of the decision's reason
};

const RequestCase kRequestCases[] = {
    {"InsideEverythingGoesToApprovers", [](RequestSpec&) {}, RequestVerdict::Pending,
     "rule deploy-releases needs 2 of @release-approvers"},
    {"SaturdayIsOutsideTheSchedule",
     [](RequestSpec& q) { q.not_before = utc(2026, 3, 28, 9), q.not_after = q.not_before + 3600; },
     RequestVerdict::Denied, "schedule: starts outside Mon-Fri 08:00-20:00 Europe/Berlin"},
    {"EndingAfterTheWindowClosesIsRefused",
     [](RequestSpec& q) {
         q.not_before = utc(2026, 3, 30, 17, 30), q.not_after = q.not_before + 3600;
     },
     RequestVerdict::Denied,
     "ends after the window (Mon-Fri 08:00-20:00 Europe/Berlin) closes at 2026-03-30 18:00:00 UTC"},
    {"LastMinuteBeforeCloseFitsExactly",
     [](RequestSpec& q) {
         q.not_before = utc(2026, 3, 30, 17, 55), q.not_after = utc(2026, 3, 30, 18);
     },
     RequestVerdict::Pending, "needs 2 of"},
    {"ZeroSevenFiftyNineCetIsBeforeOpening",  // the Monday before the change: CET
     [](RequestSpec& q) {
         q.not_before = utc(2026, 3, 23, 6, 59), q.not_after = q.not_before + 600;
     },
     RequestVerdict::Denied, "schedule: starts outside"},
    {"EightCetIsOpen",
     [](RequestSpec& q) { q.not_before = utc(2026, 3, 23, 7), q.not_after = q.not_before + 600; },
     RequestVerdict::Pending, "needs 2 of"},
    {"EightCestIsOpenAnHourEarlierInUtc",
     [](RequestSpec& q) { q.not_before = utc(2026, 3, 30, 6), q.not_after = q.not_before + 600; },
     RequestVerdict::Pending, "needs 2 of"},
    {"SevenCestIsClosed",
     [](RequestSpec& q) {
         q.not_before = utc(2026, 3, 30, 5, 59), q.not_after = q.not_before + 600;
     },
     RequestVerdict::Denied, "schedule"},
    {"TooLong", [](RequestSpec& q) { q.not_after = q.not_before + 2 * 3600 + 1; },
     RequestVerdict::Denied, "duration: 2h 1s is outside 5m..2h"},
    {"LongestAllowed", [](RequestSpec& q) { q.not_after = q.not_before + 2 * 3600; },
     RequestVerdict::Pending, "needs"},
    {"TooShort", [](RequestSpec& q) { q.not_after = q.not_before + 299; }, RequestVerdict::Denied,
     "duration: 4m 59s is outside 5m..2h"},
    {"ShortestAllowed", [](RequestSpec& q) { q.not_after = q.not_before + 300; },
     RequestVerdict::Pending, "needs"},
    {"TicketMustMatchWhole", [](RequestSpec& q) { q.ticket = "CHG-12x"; }, RequestVerdict::Denied,
     "ticket: ticket CHG-12x does not match CHG-[0-9]+"},
    {"TicketCaseMatters", [](RequestSpec& q) { q.ticket = "chg-12"; }, RequestVerdict::Denied,
     "ticket"},
    {"TicketMissing", [](RequestSpec& q) { q.ticket.clear(); }, RequestVerdict::Denied,
     "ticket: no ticket does not match"},
    {"ReasonMissing", [](RequestSpec& q) { q.reason.clear(); }, RequestVerdict::Denied,
     "reason: a reason is required"},
    {"AnySourceIsWiderThanTheRule", [](RequestSpec& q) { q.source.clear(); },
     RequestVerdict::Denied, "source: source any is not within 10.0.0.0/8, 127.0.0.1/32"},
    {"SourceOutside", [](RequestSpec& q) { q.source = "192.0.2.0/24"; }, RequestVerdict::Denied,
     "source"},
    {"SourceWiderThanTheNetwork", [](RequestSpec& q) { q.source = "10.0.0.0/7"; },
     RequestVerdict::Denied, "source"},
    {"SingleHostInside", [](RequestSpec& q) { q.source = "127.0.0.1/32"; }, RequestVerdict::Pending,
     "needs"},
    {"ServiceNotInAnyRule",
     [](RequestSpec& q) {
         q.services = {"sshd", "login"};
     },
     RequestVerdict::NoRule, "no policy rule lets deploy use sshd,login"},
    {"AccountNotInAnyRule", [](RequestSpec& q) { q.user = "alice"; }, RequestVerdict::NoRule,
     "no policy rule lets alice use sshd"},
};

class RequestTable : public PolicyEval, public ::testing::WithParamInterface<RequestCase> {};

TEST_P(RequestTable, Decides) {
    const RequestCase& c = GetParam();
    RequestSpec q = release();
    c.edit(q);
    RequestDecision d = decide(q);
    EXPECT_EQ(int(d.verdict), int(c.verdict)) << d.reason;
    EXPECT_NE(d.reason.find(c.reason), std::string::npos) << d.reason;
    if (c.verdict == RequestVerdict::Pending) {
        EXPECT_EQ(d.approvers.describe(), "2 of @release-approvers");
        EXPECT_EQ(d.rule->name, "deploy-releases");
    }
}

INSTANTIATE_TEST_SUITE_P(Requests, RequestTable, ::testing::ValuesIn(kRequestCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(PolicyEval, LimitsCountWhatTheHistorySays) {
    history_.active[{"deploy-releases", "deploy"}] = 1;
    RequestDecision d = decide(release());
    EXPECT_EQ(d.verdict, RequestVerdict::Denied);
    EXPECT_NE(d.reason.find("max_active: 1 grant from this rule active, max_active = 1"),
              std::string::npos)
        << d.reason;
    history_.active.clear();
    Time now = utc(2026, 3, 30, 8);
    for (int i = 0; i < 3; ++i)
        history_.created.emplace_back("deploy-releases", "deploy", now - 3600 * (i + 1));
    d = decide(release(), now);
    EXPECT_EQ(d.verdict, RequestVerdict::Denied);
    EXPECT_NE(d.reason.find("rate: 3 grants or requests in the last 1d, rate = 3/day"),
              std::string::npos)
        << d.reason;
    // One of them falls out of the day: allowed again.
    std::get<2>(history_.created[2]) = now - 86400 - 1;
    EXPECT_EQ(decide(release(), now).verdict, RequestVerdict::Pending);
}

RequestSpec ci_request(Time at) {
    RequestSpec q;
    q.user = "runner1";
    q.services = {"sshd"};
    q.source = "10.0.0.0/8";
    q.not_before = at;
    q.not_after = at + 600;
    q.requester = Requester{2003, 2003, {3000}};
    return q;
}

TEST_F(PolicyEval, AutoApprovesByGroupMembershipUntilRiskEscalates) {
    Time at = utc(2026, 3, 30, 10);
    RequestDecision d = decide(ci_request(at));
    EXPECT_EQ(d.verdict, RequestVerdict::Approved) << d.reason;
    EXPECT_EQ(d.rule->name, "ci");
    EXPECT_TRUE(d.signals.empty()) << "an empty baseline is still learning";

    Baseline b;
    b.observations = 2;
    b.sources = {"10.0.0.0/8"};
    b.hours[10] = 2;
    history_.baselines["runner1"] = b;
    d = decide(ci_request(at));
    EXPECT_EQ(d.verdict, RequestVerdict::Approved) << "a known source at a known hour";

    RequestSpec q = ci_request(at);
    q.source = "192.0.2.0/24";
    d = decide(q);
    EXPECT_EQ(d.verdict, RequestVerdict::Pending);
    EXPECT_EQ(d.approvers.describe(), "1 of @oncall");
    EXPECT_EQ(signal_list(d.signals), "new-source");
    EXPECT_NE(d.reason.find("(new-source)"), std::string::npos) << d.reason;

    d = decide(ci_request(utc(2026, 3, 30, 15)));
    EXPECT_EQ(signal_list(d.signals), "unusual-hour");
    d = decide(ci_request(utc(2026, 3, 30, 11)));
    EXPECT_TRUE(d.signals.empty()) << "the neighbouring hour is usual";

    history_.created.emplace_back("ci", "runner1", at - 100);
    history_.created.emplace_back("other", "runner1", at - 200);
    d = decide(ci_request(at));
    EXPECT_EQ(signal_list(d.signals), "burst") << "2 in the last hour, burst = 2/hour";
    EXPECT_EQ(d.verdict, RequestVerdict::Pending);
}

TEST_F(PolicyEval, LookupFailureDeniesAGroupRule) {
    dir_.failing = true;
    RequestDecision d = decide(ci_request(utc(2026, 3, 30, 10)));
    EXPECT_EQ(d.verdict, RequestVerdict::Denied);
    EXPECT_NE(d.reason.find("account: cannot look up runner1"), std::string::npos) << d.reason;
}

TEST_F(PolicyEval, ImplicitGrantInsideTheNightlyWindow) {
    Time t = utc(2026, 6, 10, 0, 30);  // 02:30 CEST
    CheckPlan p = plan("backup", "sudo", "", t);
    ASSERT_TRUE(p.implicit.has_value()) << p.outcome.reason;
    EXPECT_TRUE(p.outcome.allow);
    EXPECT_EQ(p.rule, "backup-nightly");
    EXPECT_EQ(p.implicit->not_before, t);
    EXPECT_EQ(p.implicit->not_after, t + 600);
    EXPECT_EQ(p.implicit->source, "local");

    p = plan("backup", "sudo", "", utc(2026, 6, 10, 0, 55));
    ASSERT_TRUE(p.implicit.has_value());
    EXPECT_EQ(p.implicit->not_after, utc(2026, 6, 10, 1)) << "cut at the window's end";

    p = plan("backup", "sudo", "", utc(2026, 6, 10, 1));
    EXPECT_FALSE(p.outcome.allow);
    EXPECT_EQ(p.rule, "default-deny");
    p = plan("backup", "sudo", "10.0.0.1", t);
    EXPECT_FALSE(p.outcome.allow) << "not local";
    p = plan("backup", "sshd", "", t);
    EXPECT_FALSE(p.outcome.allow) << "sshd is not the rule's service";
    p = plan("deploy", "sudo", "", t);
    EXPECT_FALSE(p.outcome.allow) << "deploy has only a request rule";
}

TEST_F(PolicyEval, ImplicitOncePerWindowAcrossTheDoubledFallHour) {
    // 2026-10-25: 02:00-03:00 Berlin happens twice, 00:00Z to 02:00Z.
    CheckPlan first = plan("backup", "sudo", "", utc(2026, 10, 25, 0, 55));
    ASSERT_TRUE(first.implicit.has_value());
    EXPECT_EQ(first.implicit->not_after, utc(2026, 10, 25, 1, 5)) << "the window goes on";
    history_.created.emplace_back("backup-nightly", "backup", utc(2026, 10, 25, 0, 55));
    CheckPlan second = plan("backup", "sudo", "", utc(2026, 10, 25, 1, 55));
    EXPECT_FALSE(second.outcome.allow) << "still the same window";
    ASSERT_FALSE(second.reports.empty());
    EXPECT_EQ(second.reports[0].first_failure()->name, "implicit");
    // The next night is a new window.
    CheckPlan next = plan("backup", "sudo", "", utc(2026, 10, 26, 1, 30));
    ASSERT_TRUE(next.implicit.has_value());
    EXPECT_EQ(next.implicit->not_after, utc(2026, 10, 26, 1, 40));
    // Spring: the night without 02:00 has no window at all.
    EXPECT_FALSE(plan("backup", "sudo", "", utc(2026, 3, 29, 1, 0)).outcome.allow);
    EXPECT_FALSE(plan("backup", "sudo", "", utc(2026, 3, 29, 0, 59)).outcome.allow);
}

TEST_F(PolicyEval, ImplicitRiskDenyNamesTheSignal) {
    Baseline b;
    b.observations = 1;
    b.sources = {"10.9.9.9/32"};
    history_.baselines["backup"] = b;
    CheckPlan p = plan("backup", "sudo", "", utc(2026, 6, 10, 0, 30));
    EXPECT_FALSE(p.outcome.allow);
    ASSERT_EQ(p.reports.size(), 1u);
    EXPECT_EQ(p.reports[0].first_failure()->name, "risk");
    EXPECT_EQ(p.reports[0].first_failure()->detail, "new-source (risk = deny)");
    history_.baselines["backup"].sources.insert("local");
    EXPECT_TRUE(plan("backup", "sudo", "", utc(2026, 6, 10, 0, 30)).outcome.allow);
}

TEST_F(PolicyEval, AnExistingGrantAnswersFirst) {
    Grant g;
    g.id = "g-aaaaaaaa";
    g.user = "backup";
    g.services = {"sudo"};
    g.not_before = utc(2026, 6, 10, 0);
    g.not_after = utc(2026, 6, 10, 5);
    book_.add(g);
    CheckPlan p = plan("backup", "sudo", "", utc(2026, 6, 10, 0, 30));
    EXPECT_TRUE(p.outcome.allow);
    EXPECT_EQ(p.rule, "grant");
    EXPECT_FALSE(p.implicit.has_value());
}

TEST_F(PolicyEval, ExplainListsWhatARequestWouldNeed) {
    CheckPlan p = plan("deploy", "sshd", "10.1.2.3", utc(2026, 3, 30, 8), true);
    EXPECT_FALSE(p.outcome.allow);
    ASSERT_EQ(p.reports.size(), 1u);
    const RuleReport& r = p.reports[0];
    EXPECT_EQ(r.rule->name, "deploy-releases");
    std::map<std::string, CondState> states;
    for (const auto& c : r.conditions) states[c.name] = c.state;
    EXPECT_EQ(states["source"], CondState::Holds);
    EXPECT_EQ(states["schedule"], CondState::Holds);
    EXPECT_EQ(states["duration"], CondState::Needs);
    EXPECT_EQ(states["ticket"], CondState::Needs);
    EXPECT_EQ(states["approval"], CondState::Needs);
    p = plan("deploy", "sshd", "192.0.2.1", utc(2026, 3, 28, 8), true);
    for (const auto& c : p.reports[0].conditions) states[c.name] = c.state;
    EXPECT_EQ(states["source"], CondState::Fails);
    EXPECT_EQ(states["schedule"], CondState::Fails);
}

TEST_F(PolicyEval, WhoMayApprove) {
    ApproverSpec spec = policy_.find("deploy-releases")->approval;
    const uid_t requester = 1500;
    auto verdict = [&](Requester who) { return may_approve(spec, who, requester, "deploy", dir_); };
    EXPECT_TRUE(verdict({1000, 1000, {4000}}).allowed) << "supplementary member";
    EXPECT_TRUE(verdict({1001, 4000, {}}).allowed) << "primary group member";
    EXPECT_EQ(verdict({1500, 1500, {4000}}).why_not,
              "you made this request; someone else must approve it");
    EXPECT_EQ(verdict({2001, 2001, {4000}}).why_not, "an account cannot approve its own access");
    EXPECT_EQ(verdict({1002, 1002, {4001}}).why_not, "uid 1002 is not in 2 of @release-approvers");
    dir_.groups.erase("release-approvers");
    EXPECT_FALSE(verdict({1000, 1000, {4000}}).allowed) << "an unresolvable group admits nobody";
    dir_.failing = true;
    EXPECT_FALSE(verdict({1000, 1000, {4000}}).allowed);
}

// Property: over many situations, explaining gives the answer checking gives.
TEST_F(PolicyEval, ExplainNeverDisagreesWithCheck) {
    std::mt19937_64 rng(5);
    std::uniform_int_distribution<Time> when(utc(2026, 1, 1, 0), utc(2027, 1, 1, 0));
    const char* users[] = {"backup", "deploy", "runner1", "alice"};
    const char* services[] = {"sudo", "sshd", "login"};
    const char* hosts[] = {"", "localhost", "10.1.2.3", "192.0.2.1", "::1", "bastion"};
    for (int i = 0; i < 3000; ++i) {
        history_.created.clear();
        if (rng() % 3 == 0) history_.created.emplace_back("backup-nightly", "backup", when(rng));
        Baseline b;
        b.observations = uint32_t(rng() % 3);
        if (rng() % 2) b.sources.insert("local");
        history_.baselines["backup"] = b;
        Time t = i % 2 ? when(rng) : utc(2026, 10, 25, 0) + Time(rng() % 7200);
        std::string user = users[rng() % 4], service = services[rng() % 3],
                    rhost = hosts[rng() % 6];
        CheckPlan check = plan(user, service, rhost, t, false);
        CheckPlan explain = plan(user, service, rhost, t, true);
        ASSERT_EQ(check.outcome.allow, explain.outcome.allow) << user << " " << service << " " << t;
        ASSERT_EQ(check.rule, explain.rule);
        ASSERT_EQ(check.outcome.not_after, explain.outcome.not_after);
        ASSERT_EQ(check.implicit.has_value(), explain.implicit.has_value());
    }
}

}  // namespace
}  // namespace jit::daemon
