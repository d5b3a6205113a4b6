// Workload tokens through the request desk: a real SQLite store, tokens
// signed with a key generated for the test, the issuer set as jitd holds it.
// A verified token's request is judged by the rules for its issuer only,
// binds the workload to the request and the grant (store and journal, never
// the token), and spends the token in the same write; a second use is
// refused as replayed, also after a restart; every refusal names its reason
// and creates nothing.
#include <nlohmann/json.hpp>

#include <unistd.h>

#include "daemon/identity/jwks.h"
#include "daemon/server/dispatch.h"
#include "tests/helpers/jwt_sign.h"
#include "tests/unit/requests/desk_fixture.h"

namespace jit::daemon {
namespace {

namespace t = jit::testing;
using nlohmann::ordered_json;

const std::string kIss = "https://token.actions.githubusercontent.com";

const char* const kIdentityPolicy = R"(
[deploy-from-main]
accounts = deploy
services = sshd
identity = github
claims = repository=acme/web, ref=refs/heads/main
duration = 1m..30m
approval = auto

[release-by-ci]
accounts = release
services = sshd
identity = github
claims = repository=acme/web
duration = 5m..2h
approval = 1 of @approvers

[deploy-local]
accounts = deploy
services = sudo
duration = 1m..1h
approval = auto

[ci-any-repo]
accounts = ci
services = sshd
identity = github
claims = repository~acme/.*
duration = 1m..1h
reason = optional
approval = auto
risk = escalate
risk_approval = 1 of @oncall
risk_signals = new-workload
risk_learn = 2
)";

t::Pkey& signing_key() {
    static t::Pkey key = t::generate_key("P-256");
    return key;
}

class IdentityDeskTest : public DeskTest {
protected:
    void SetUp() override {
        DeskTest::SetUp();
        auto policy = std::make_shared<PolicySet>();
        auto parsed = parse_policy_text(kIdentityPolicy, "id.conf", PolicyOptions{}, policy.get());
        ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
        policy_ = policy;
        reopen_with_issuers();
    }
    // A restart: the store and service anew, the issuers as jitd loads them.
    void reopen_with_issuers() {
        reopen();
        identity::Issuer github;
        github.config.name = "github";
        github.config.issuer = kIss;
        github.config.audiences = {"jit:web-1"};
        github.config.jwks_file = "/keys/github.json";
        github.config.algorithms = {identity::Alg::ES256};
        auto keys = identity::parse_jwks("{\"keys\":[" +
                                         t::public_jwk(signing_key().get(), "k1", "ES256") + "]}");
        ASSERT_TRUE(keys) << keys.error();
        github.keys = std::make_shared<identity::KeySet>(*keys);
        desk().set_issuers(
            std::make_shared<const std::vector<identity::Issuer>>(std::vector{github}));
    }
    static ordered_json claims(const std::string& ref = "refs/heads/main") {
        return ordered_json{{"iss", kIss},
                            {"sub", "repo:acme/web:ref:" + ref},
                            {"aud", "jit:web-1"},
                            {"exp", kT0 + 300},
                            {"iat", kT0 - 10},
                            {"jti", "run-4711-" + ref},
                            {"repository", "acme/web"},
                            {"ref", ref}};
    }
    static std::string token(const ordered_json& payload) {
        return t::compact(signing_key().get(), "ES256", R"({"alg":"ES256","kid":"k1"})",
                          payload.dump());
    }
    static RequestAsk ask(const std::string& user, const std::string& tok,
                          uint64_t duration = 600) {
        RequestAsk m;
        m.user = user;
        m.services = {"sshd"};
        m.duration = duration;
        m.reason = "run 4711";
        m.id_token = tok;
        return m;
    }
    // Whether any journal field of any entry holds text.
    bool journal_holds(const std::string& text) const {
        for (const auto& e : journal_.entries) {
            if (e.message.find(text) != std::string::npos) return true;
            for (const auto& [k, v] : e.fields)
                if (v.find(text) != std::string::npos) return true;
        }
        return false;
    }
};

TEST_F(IdentityDeskTest, AVerifiedTokenBecomesAGrantBoundToTheWorkload) {
    const std::string tok = token(claims());
    auto r = desk().create(eve(), ask("deploy", tok));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->state, RequestState::Approved);
    EXPECT_EQ(r->rule, "deploy-from-main");
    const Grant* g = service_->book().find(r->grant_id);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->identity->name, "github");
    EXPECT_EQ(g->identity->issuer, kIss);
    EXPECT_EQ(g->identity->subject, "repo:acme/web:ref:refs/heads/main");
    EXPECT_EQ(g->identity->claims,
              (std::vector<std::string>{"repository=acme/web", "ref=refs/heads/main"}));
    EXPECT_EQ(g->identity->token_digest, identity::sha256_hex(tok));
    auto created = journal_.of(Event::GrantCreated);
    ASSERT_EQ(created.size(), 1u);
    EXPECT_EQ(created[0].field("JIT_IDENTITY_ISSUER"), kIss);
    EXPECT_EQ(created[0].field("JIT_IDENTITY_SUBJECT"), "repo:acme/web:ref:refs/heads/main");
    EXPECT_EQ(created[0].field("JIT_IDENTITY_CLAIMS"), "repository=acme/web, ref=refs/heads/main");
    EXPECT_EQ(created[0].field("JIT_TOKEN_DIGEST"), identity::sha256_hex(tok));
    EXPECT_EQ(journal_.of(Event::RequestApproved)[0].field("JIT_IDENTITY_SUBJECT"),
              "repo:acme/web:ref:refs/heads/main");
    EXPECT_FALSE(journal_holds(tok.substr(tok.rfind('.') + 1))) << "the signature is never logged";
    EXPECT_FALSE(journal_holds(tok.substr(0, tok.rfind('.')))) << "nor header.payload";

    // The binding survives a restart: it is in the store, not only in memory.
    reopen_with_issuers();
    g = service_->book().find(r->grant_id);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->identity->subject, "repo:acme/web:ref:refs/heads/main");
    auto shown = desk().show(r->id);
    ASSERT_TRUE(shown.ok());
    EXPECT_EQ(shown->identity.claims, g->identity->claims);
}

TEST_F(IdentityDeskTest, ATokenIsSpentOnceEvenAcrossARestart) {
    const std::string tok = token(claims());
    ASSERT_TRUE(desk().create(eve(), ask("deploy", tok)).ok());
    auto again = desk().create(eve(), ask("deploy", tok));
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, EACCES);
    EXPECT_EQ(again.error().message.rfind("workload token refused: replayed", 0), 0u)
        << again.error().message;
    reopen_with_issuers();
    again = desk().create(eve(), ask("deploy", tok));
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().message.find("replayed"), std::string::npos);
    // Another signature over the same header and payload is the same token.
    auto other_sig = desk().create(eve(), ask("deploy", token(claims())));
    ASSERT_FALSE(other_sig.ok());
    EXPECT_NE(other_sig.error().message.find("replayed"), std::string::npos);
    EXPECT_EQ(journal_.of(Event::GrantCreated).size(), 1u);
}

TEST_F(IdentityDeskTest, ARefusedTokenNamesItsReasonAndCreatesNothing) {
    ordered_json expired = claims();
    expired["exp"] = kT0 - 120;
    const std::string tok = token(expired);  // ECDSA: each signing differs
    auto r = desk().create(eve(), ask("deploy", tok));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EACCES);
    EXPECT_EQ(r.error().message.rfind("workload token refused: expired:", 0), 0u)
        << r.error().message;
    auto refused = journal_.of(Event::RequestRefused);
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_EQ(refused[0].field("JIT_IDENTITY_REFUSAL"), "expired");
    EXPECT_EQ(refused[0].field("JIT_TOKEN_DIGEST"), identity::sha256_hex(tok));
    ordered_json wrong_aud = claims();
    wrong_aud["aud"] = "jit:other";
    EXPECT_NE(
        desk().create(eve(), ask("deploy", token(wrong_aud))).error().message.find("aud-mismatch"),
        std::string::npos);
    EXPECT_EQ(journal_.of(Event::GrantCreated).size(), 0u);
    EXPECT_TRUE(desk().list(RequestFilter{})->empty());
}

TEST_F(IdentityDeskTest, TheWrongBranchIsDeniedNamingTheClaimAndTheTokenIsNotSpent) {
    const std::string tok = token(claims("refs/heads/feature"));
    auto r = desk().create(eve(), ask("deploy", tok));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message,
              "denied: rule deploy-from-main: claim ref: refs/heads/feature does not match "
              "ref=refs/heads/main");
    auto denied = journal_.of(Event::RequestDenied);
    ASSERT_EQ(denied.size(), 1u);
    EXPECT_EQ(denied[0].field("JIT_IDENTITY_SUBJECT"), "repo:acme/web:ref:refs/heads/feature");
    // Not spent by a denial: the same token may still ask where its claims do fit.
    auto fits = desk().create(eve(), ask("release", tok));
    ASSERT_TRUE(fits.ok()) << fits.error().message;
    EXPECT_EQ(fits->state, RequestState::Pending);
}

TEST_F(IdentityDeskTest, ATokenIsJudgedOnlyByTheRulesForItsIssuer) {
    RequestAsk m = ask("deploy", token(claims()));
    m.services = {"sudo"};  // deploy-local would approve a local request at once
    auto r = desk().create(eve(), m);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EACCES);
    m.id_token.clear();
    EXPECT_TRUE(desk().create(eve(), m).ok()) << "the same request without a token is approved";
}

TEST_F(IdentityDeskTest, APendingTokenRequestIsApprovedIntoAGrantThatNamesTheWorkload) {
    const std::string tok = token(claims());
    auto r = desk().create(eve(), ask("release", tok));
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->state, RequestState::Pending);
    EXPECT_EQ(r->identity.subject, "repo:acme/web:ref:refs/heads/main");
    EXPECT_NE(desk().create(eve(), ask("release", tok)).error().message.find("replayed"),
              std::string::npos)
        << "the pending request spent the token";
    reopen_with_issuers();  // pending across a restart
    RequestStep a;
    a.id = r->id;
    auto first = desk().approve(alice(), a);
    ASSERT_TRUE(first.ok()) << first.error().message;
    ASSERT_EQ(first->state, RequestState::Approved);
    const Grant* g = service_->book().find(first->grant_id);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->identity->subject, "repo:acme/web:ref:refs/heads/main");
    EXPECT_EQ(g->identity->claims, std::vector<std::string>{"repository=acme/web"});
}

TEST_F(IdentityDeskTest, WithoutIssuersEveryTokenIsRefused) {
    desk().set_issuers(nullptr);
    auto r = desk().create(eve(), ask("deploy", token(claims())));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.rfind("workload token refused: iss-unknown", 0), 0u)
        << r.error().message;
    EXPECT_EQ(journal_.of(Event::GrantCreated).size(), 0u);
}

TEST_F(IdentityDeskTest, ExplainWithATokenNamesTheFailingClaimAndSpendsNothing) {
    const std::string tok = token(claims("refs/heads/feature"));
    auto verified = desk().verify_token(tok, "deploy", kT0);
    ASSERT_TRUE(verified.ok()) << verified.error().message;
    ExplainQuestion q{"deploy", "sshd", "", std::nullopt, &*verified};
    Explanation e = service_->explain(q);
    bool named = false;
    for (const auto& c : e.conditions)
        named = named || (c.rule == "deploy-from-main" && c.state == CondState::Fails &&
                          c.name == "claim ref");
    EXPECT_TRUE(named);
    EXPECT_TRUE(desk().verify_token(tok, "deploy", kT0).ok()) << "explain spends nothing";
}

LoginAsk login_as(const std::string& user, const std::string& tok) {
    return LoginAsk{user, "sshd", "192.0.2.7", tok};
}

TEST_F(IdentityDeskTest, ALoginWithAGoodTokenCreatesTheGrantTheAccountPhaseFinds) {
    const std::string tok = token(claims());
    auto a = desk().login(as(0), login_as("deploy", tok));
    ASSERT_TRUE(a.allow) << a.message;
    const Grant* g = service_->book().find(a.grant_id);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(a.not_after, g->not_after);
    EXPECT_EQ(g->not_after, kT0 + 30 * 60) << "the rule's longest duration";
    EXPECT_EQ(g->source, "192.0.2.7/32") << "bound to the address the login came from";
    EXPECT_EQ(g->identity->subject, "repo:acme/web:ref:refs/heads/main");
    EXPECT_EQ(check("deploy", "sshd", "192.0.2.7").decision, proto::Decision::Allow);
    EXPECT_EQ(check("deploy", "sshd", "192.0.2.8").decision, proto::Decision::Deny);
    // The token has logged in: the same token again is a replay.
    auto again = desk().login(as(0), login_as("deploy", tok));
    EXPECT_FALSE(again.allow);
    EXPECT_EQ(again.message.rfind("workload token refused: replayed", 0), 0u) << again.message;
    reopen_with_issuers();
    EXPECT_FALSE(desk().login(as(0), login_as("deploy", tok)).allow) << "also after a restart";
    EXPECT_EQ(journal_.of(Event::GrantCreated).size(), 1u);
    // Another account with it is a replay.
    auto other = desk().login(as(0), login_as("release", tok));
    EXPECT_FALSE(other.allow);
    EXPECT_EQ(other.message.rfind("workload token refused: replayed", 0), 0u) << other.message;
    EXPECT_TRUE(other.request_id.empty());
}

TEST_F(IdentityDeskTest, ALoginWaitsForApproversWithTheRequestId) {
    const std::string tok = token(claims());
    auto a = desk().login(as(0), login_as("release", tok));
    ASSERT_FALSE(a.allow);
    ASSERT_FALSE(a.request_id.empty());
    EXPECT_EQ(a.message, "request " + a.request_id + " waits for approval (1 of @approvers)");
    auto again = desk().login(as(0), login_as("release", tok));
    EXPECT_FALSE(again.allow);
    EXPECT_EQ(again.request_id, a.request_id) << "asked again: the same request, not a new one";
    ASSERT_TRUE(desk().approve(alice(), action(a.request_id)).ok());
    auto approved = desk().login(as(0), login_as("release", tok));
    ASSERT_TRUE(approved.allow) << approved.message;
    EXPECT_EQ(check("release", "sshd", "192.0.2.7").decision, proto::Decision::Allow);
    EXPECT_FALSE(desk().login(as(0), login_as("release", tok)).allow)
        << "once it has logged in, the token is spent for logins too";
}

TEST_F(IdentityDeskTest, ALoginWithABadTokenIsDeniedWithTheReason) {
    ordered_json expired = claims();
    expired["exp"] = kT0 - 120;
    auto a = desk().login(as(0), login_as("deploy", token(expired)));
    EXPECT_FALSE(a.allow);
    EXPECT_EQ(a.message.rfind("workload token refused: expired", 0), 0u) << a.message;
    auto branch = desk().login(as(0), login_as("deploy", token(claims("refs/heads/dev"))));
    EXPECT_FALSE(branch.allow);
    EXPECT_NE(branch.message.find("claim ref: refs/heads/dev does not match"), std::string::npos)
        << branch.message;
    auto garbage = desk().login(as(0), login_as("deploy", "not.a.token"));
    EXPECT_FALSE(garbage.allow);
    EXPECT_FALSE(garbage.message.empty());
    EXPECT_EQ(journal_.of(Event::GrantCreated).size(), 0u);
    EXPECT_EQ(check("deploy", "sshd", "192.0.2.7").decision, proto::Decision::Deny);
}

TEST_F(IdentityDeskTest, ALoginOnAServiceNoIdentityRuleCoversIsDenied) {
    LoginAsk m = login_as("deploy", token(claims()));
    m.service = "sudo";  // only deploy-local (no identity =) covers it
    auto a = desk().login(as(0), m);
    EXPECT_FALSE(a.allow);
    EXPECT_EQ(a.message.rfind("denied: ", 0), 0u) << a.message;
}

// A repository (or branch, or any claim a rule matches by pattern) the
// account has not been granted for before is a risk signal: an auto rule
// with risk = escalate leaves such a request for its risk approvers.
TEST_F(IdentityDeskTest, ANewRepositoryIsARiskSignal) {
    auto from = [&](const std::string& repo, const std::string& run) {
        ordered_json c = claims();
        c["repository"] = repo;
        c["jti"] = run;
        return desk().create(eve(), ask("ci", token(c)));
    };
    for (const char* run : {"1", "2"}) {  // the baseline learns acme/web (risk_learn = 2)
        auto r = from("acme/web", run);
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_EQ(r->state, RequestState::Approved);
    }
    auto known = from("acme/web", "3");
    ASSERT_TRUE(known.ok()) << known.error().message;
    EXPECT_EQ(known->state, RequestState::Approved) << "a repository seen before: no signal";
    auto fresh = from("acme/api", "4");
    ASSERT_TRUE(fresh.ok()) << fresh.error().message;
    EXPECT_EQ(fresh->state, RequestState::Pending);
    EXPECT_EQ(fresh->risk, std::vector<std::string>{"new-workload"});
    EXPECT_EQ(fresh->approver_groups, std::vector<std::string>{"oncall"});
    // Remembered in the store: after a restart acme/web is still known.
    reopen_with_issuers();
    auto again = from("acme/web", "5");
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->state, RequestState::Approved);
}

// The dispatch table admits IDENTITY_LOGIN from root only: a login that can
// create grants is the PAM stack's, not jitd's own uid's or an admin's.
TEST_F(IdentityDeskTest, OnlyRootMayLogInWithAToken) {
    Dispatcher dispatcher(*service_);
    auto frame =
        msg::encode(msg::IdentityLoginRequest{"deploy", "sshd", "192.0.2.7", token(claims())}, 7);
    ASSERT_TRUE(frame.ok());
    auto view = wire::decode_frame(frame->data(), frame->size());
    ASSERT_TRUE(view.ok());
    for (uid_t uid : {uid_t(1000), getuid() == 0 ? uid_t(4242) : getuid()}) {
        auto reply = dispatcher.handle(as(uid, {4242}), *view);
        auto decoded = wire::decode_frame(reply.data(), reply.size());
        ASSERT_TRUE(decoded.ok());
        EXPECT_EQ(decoded->header.type, proto::MsgType::ErrorReply) << "uid " << uid;
        EXPECT_EQ(msg::decode_error_reply(*decoded).code, uint64_t(EPERM));
    }
    EXPECT_EQ(journal_.of(Event::GrantCreated).size(), 0u);
    auto reply = dispatcher.handle(as(0), *view);
    auto decoded = wire::decode_frame(reply.data(), reply.size());
    ASSERT_TRUE(decoded.ok());
    ASSERT_EQ(decoded->header.type, proto::MsgType::IdentityLoginReply);
    auto answer = msg::decode_identity_login_reply(*decoded);
    EXPECT_EQ(answer.decision, proto::Decision::Allow) << answer.message;
    EXPECT_FALSE(answer.grant_id.empty());
}

}  // namespace
}  // namespace jit::daemon
