// explain against check through the whole desk: a property over many
// instants and questions (explain's answer is the check's answer), and what
// explain shows about rules, conditions and pending approvals.
#include "tests/unit/requests/desk_fixture.h"

namespace jit::daemon {
namespace {

// Property: at any instant, for anything asked, explain's answer is the
// check's answer (the check then acts on it).
TEST_F(DeskTest, ExplainNeverDisagreesWithCheck) {
    std::mt19937_64 rng(9);
    const char* users[] = {"backup", "backup", "ci", "ci", "deploy", "release", "alice"};
    const char* services[] = {"sudo", "sshd"};
    const char* hosts[] = {"", "", "127.0.0.1", "10.1.2.3", "192.0.2.7"};
    RequestAsk m;
    m.user = "ci";
    m.services = {"sshd"};
    m.duration = 900;
    m.source = "10.0.0.0/8";
    Time t = at_utc(1, 50);
    int allowed = 0, implicit = 0;
    for (int i = 0; i < 1000; ++i) {
        t += Time(rng() % 90);
        clock_.set(t);
        service_->expire_due();
        if (rng() % 20 == 0) (void)desk().create(as(2003), m);
        msg::ExplainQuery q{users[rng() % 7], services[rng() % 2], hosts[rng() % 5], t, ""};
        auto explained = explain(q);
        auto checked = check(q.user, q.service, q.rhost);
        ASSERT_EQ(explained.decision, checked.decision)
            << q.user << " " << q.service << " '" << q.rhost << "' at " << t << ": "
            << explained.reason << " / " << checked.reason;
        ASSERT_EQ(explained.rule, checked.rule);
        if (checked.decision == proto::Decision::Allow) {
            ++allowed;
            implicit += explained.grant_id == "(new)";
            ASSERT_EQ(explained.not_after, checked.not_after);
            if (explained.grant_id != "(new)") {
                ASSERT_EQ(explained.grant_id, checked.grant_id);
            }
        }
    }
    // Not vacuous: both answers, and implicit grants, were seen.
    EXPECT_GT(allowed, 5);
    EXPECT_GT(implicit, 0);
    EXPECT_LT(allowed, 900);
}

TEST_F(DeskTest, ExplainShowsRulesConditionsAndPendingApprovals) {
    auto r = desk().create(eve(), release_request());
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(desk().approve(alice(), action(r->id)).ok());
    auto e = explain({"release", "sshd", "10.1.2.3", {}, ""});
    EXPECT_TRUE(e.managed);
    EXPECT_EQ(e.decision, proto::Decision::Deny);
    ASSERT_EQ(e.rules.size(), 1u);
    EXPECT_EQ(e.rules[0].rule, "release");
    EXPECT_EQ(e.rules[0].origin, "p.conf:10");
    EXPECT_EQ(e.rules[0].outcome, "a request would need 2 of @approvers");
    ASSERT_EQ(e.requests.size(), 1u);
    EXPECT_EQ(e.requests[0].id, r->id);
    ASSERT_EQ(e.approvals.size(), 1u);
    EXPECT_EQ(e.approvals[0].approver, 1000u);
    auto unmanaged = explain({"alice", "sshd", "", {}, ""});
    EXPECT_FALSE(unmanaged.managed);
    EXPECT_EQ(unmanaged.rule, "unmanaged");
}

}  // namespace
}  // namespace jit::daemon
