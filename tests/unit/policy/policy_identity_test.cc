// Policy for workload identity: identity = and claims = in a rule, and how a
// request made with a verified token is judged: only by rules for its
// issuer, each claim exact or an anchored pattern, a missing claim never
// matching, and explain naming the claim that failed.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "daemon/policy/policy_eval.h"
#include "tests/unit/fakes.h"

namespace jit::daemon {
namespace {

using jit::testing::FakeDirectory;

const char* const kPolicy = R"(
[local-deploy]
accounts = deploy
services = sshd, sudo
duration = 5m..2h
approval = auto

[deploy-from-main]
accounts = deploy
services = sshd, sudo
identity = github
claims = repository=acme/web, ref=refs/heads/main, environment~prod(uction)?, run_attempt~[0-9]{1,3}
duration = 5m..30m
reason = optional
approval = auto
)";

class NoHistory : public PolicyHistory {
public:
    size_t active_grants(const std::string&, const std::string&) const override { return 0; }
    size_t created_since(const std::string&, const std::string&, Time) const override { return 0; }
    Baseline baseline(const std::string&) const override { return {}; }
};

class PolicyIdentity : public ::testing::Test {
protected:
    void SetUp() override {
        policy_ = PolicySet{};
        auto r = parse_policy_text(kPolicy, "p.conf", PolicyOptions{}, &policy_);
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        dir_.users["deploy"] = UserInfo{2001, {2001}};
        token_.provider = "github";
        token_.issuer = "https://token.actions.githubusercontent.com";
        token_.subject = "repo:acme/web:ref:refs/heads/main";
        token_.exp = kNow + 300;
        token_.claims = {{"repository", "acme/web"},
                         {"ref", "refs/heads/main"},
                         {"environment", "production"},
                         {"run_attempt", "1"}};
    }
    RequestDecision decide(bool with_token, Time length = 600) {
        RequestSpec q;
        q.user = "deploy";
        q.services = {"sshd"};
        q.not_before = kNow;
        q.not_after = kNow + length;
        q.reason = "run 4711";
        q.requester = Requester{0, 0, {}};
        if (with_token) q.identity = &token_;
        return decide_request(policy_, q, kNow, EvalContext{dir_, history_});
    }
    static constexpr Time kNow = 1800000000;
    PolicySet policy_;
    FakeDirectory dir_;
    NoHistory history_;
    identity::VerifiedToken token_;
};

TEST_F(PolicyIdentity, AMatchingTokenIsApprovedByItsRuleOnly) {
    auto d = decide(true);
    EXPECT_EQ(d.verdict, RequestVerdict::Approved) << d.reason;
    ASSERT_NE(d.rule, nullptr);
    EXPECT_EQ(d.rule->name, "deploy-from-main") << "not the local rule listed first";
}

TEST_F(PolicyIdentity, ALocalRequestNeverMeetsAnIdentityRule) {
    auto d = decide(false);
    EXPECT_EQ(d.verdict, RequestVerdict::Approved);
    EXPECT_EQ(d.rule->name, "local-deploy");
    policy_.rules.erase(policy_.rules.begin());
    d = decide(false);
    EXPECT_EQ(d.verdict, RequestVerdict::Denied);
    EXPECT_NE(d.reason.find("needs a workload token from github"), std::string::npos) << d.reason;
}

TEST_F(PolicyIdentity, EachClaimFailureIsNamed) {
    struct Case {
        const char* claim;
        const char* value;  // nullptr: remove the claim
        const char* reason;
    } cases[] = {
        {"ref", "refs/heads/main-evil",
         "claim ref: refs/heads/main-evil does not match ref=refs/heads/main"},
        {"ref", "refs/heads/mai", "claim ref: refs/heads/mai does not match"},
        {"repository", "acme/web2", "claim repository"},
        {"repository", "ACME/web", "claim repository"},
        {"environment", "production-eu", "claim environment: production-eu does not match"},
        {"environment", "xprod", "claim environment"},
        {"run_attempt", "1234", "claim run_attempt"},
        {"ref", nullptr, "claim ref: missing from the token"},
        {"environment", nullptr, "claim environment: missing from the token"},
    };
    for (const auto& c : cases) {
        SetUp();
        if (c.value)
            token_.claims[c.claim] = c.value;
        else
            token_.claims.erase(c.claim);
        auto d = decide(true);
        EXPECT_EQ(d.verdict, RequestVerdict::Denied) << c.claim << "=" << (c.value ? c.value : "-");
        EXPECT_NE(d.reason.find(c.reason), std::string::npos) << d.reason;
        EXPECT_NE(d.reason.find("deploy-from-main"), std::string::npos) << d.reason;
    }
    token_.claims["environment"] = "prod";
    EXPECT_EQ(decide(true).verdict, RequestVerdict::Approved) << "the pattern's other spelling";
}

TEST_F(PolicyIdentity, ATokenFromAnotherIssuerOrPastItsCapIsRefused) {
    token_.provider = "gitlab";
    auto d = decide(true);
    EXPECT_EQ(d.verdict, RequestVerdict::Denied);
    EXPECT_NE(d.reason.find("identity"), std::string::npos) << d.reason;
    SetUp();
    token_.exp = kNow - 1600;  // exp + 30m cap ends before the grant would
    d = decide(true, 1800);
    EXPECT_EQ(d.verdict, RequestVerdict::Denied);
    EXPECT_NE(d.reason.find("token's exp"), std::string::npos) << d.reason;
}

TEST_F(PolicyIdentity, ExplainSaysWhichClaimFailed) {
    token_.claims["ref"] = "refs/heads/dev";
    GrantBook book;
    CheckQuestion q{"deploy", "sshd", "", &token_};
    auto plan = plan_check(book, policy_, q, kNow, EvalContext{dir_, history_}, true);
    bool named = false;
    for (const auto& rep : plan.reports)
        if (rep.rule->name == "deploy-from-main")
            for (const auto& c : rep.conditions)
                if (c.name == "claim ref" && c.state == CondState::Fails) named = true;
    EXPECT_TRUE(named);
}

TEST(PolicyIdentityParse, ClaimsSyntax) {
    struct Case {
        const char* rule_tail;
        const char* error;  // nullptr: accepted
    } cases[] = {
        {"identity = github\nclaims = ref=refs/heads/main", nullptr},
        {"identity = github\nclaims = sub~repo:acme/[a-z]{1,20}:.*, ref=x", nullptr},
        {"claims = ref=refs/heads/main", "needs identity"},
        {"identity = GitHub", "invalid identity name"},
        {"identity = github\nclaims = ref", "expected name=value"},
        {"identity = github\nclaims = ref=", "empty value"},
        {"identity = github\nclaims = ref=a, ref=b", "given twice"},
        {"identity = github\nclaims = ref~a+*", "too complex"},
        {"identity = github\nclaims = bad name=x", "invalid claim name"},
    };
    for (const auto& c : cases) {
        std::string text = std::string(
                               "[r]\naccounts = deploy\nservices = sshd\nduration = 1m..5m\n"
                               "approval = auto\n") +
                           c.rule_tail + "\n";
        PolicySet set;
        auto r = parse_policy_text(text, "p.conf", PolicyOptions{}, &set);
        if (!c.error) {
            EXPECT_TRUE(r.ok()) << c.rule_tail << ": " << r.error().to_string();
            continue;
        }
        ASSERT_FALSE(r.ok()) << c.rule_tail;
        EXPECT_NE(r.error().to_string().find(c.error), std::string::npos)
            << c.rule_tail << ": " << r.error().to_string();
    }
}

}  // namespace
}  // namespace jit::daemon
