// Requests and approvals end to end inside jitd's logic: a real SQLite store
// in a temporary directory, an injected clock, a recording journal and
// notifier, and a fake account database.  Auto-approval, N-of-M approvals
// with every refusal, narrowing, denial, cancellation, expiry, start at
// approval, restart durability, implicit grants in the check path, risk
// escalation, journal fields, and explain agreeing with check.
#include "tests/unit/requests/desk_fixture.h"

namespace jit::daemon {
namespace {

TEST_F(DeskTest, AutoApprovalGrantsAtOnceAndJournalsEverything) {
    RequestAsk m;
    m.user = "deploy";
    m.services = {"sshd"};
    m.duration = 900;
    m.reason = "hotfix";
    m.ticket = "INC-9";
    auto r = desk().create(eve(), m);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->state, RequestState::Approved);
    EXPECT_EQ(r->rule, "auto-deploy");
    ASSERT_FALSE(r->grant_id.empty());
    auto reply = check("deploy", "sshd");
    EXPECT_EQ(reply.decision, proto::Decision::Allow) << reply.reason;
    EXPECT_EQ(reply.grant_id, r->grant_id);
    EXPECT_EQ(*reply.not_after, kT0 + 900);

    auto approved = journal_.of(Event::RequestApproved);
    ASSERT_EQ(approved.size(), 1u);
    const auto& e = approved[0];
    EXPECT_EQ(e.field("JIT_REQUEST_ID"), r->id);
    EXPECT_EQ(e.field("JIT_REQUESTER"), "1500");
    EXPECT_EQ(e.field("JIT_APPROVERS"), "");
    EXPECT_EQ(e.field("JIT_RULE"), "auto-deploy");
    EXPECT_EQ(e.field("JIT_REASON"), "hotfix");
    EXPECT_EQ(e.field("JIT_TICKET"), "INC-9");
    EXPECT_EQ(e.field("JIT_GRANT_ID"), r->grant_id);
    auto created = journal_.of(Event::GrantCreated);
    ASSERT_EQ(created.size(), 1u);
    EXPECT_EQ(created[0].field("JIT_RULE"), "auto-deploy");
    EXPECT_EQ(created[0].field("JIT_REQUEST_ID"), r->id);
    EXPECT_EQ(events(), std::vector<std::string>{"request-approved"});
    EXPECT_NE(notifier_.sent[0].second.find("\"rule\":\"auto-deploy\""), std::string::npos);

    // The grant's end is journaled with its rule and request too.
    clock_.advance(900);
    service_->expire_due();
    auto expired = journal_.of(Event::GrantExpired);
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].field("JIT_RULE"), "auto-deploy");
    EXPECT_EQ(expired[0].field("JIT_REQUEST_ID"), r->id);
}

TEST_F(DeskTest, PolicyDenialsChangeNothingAndSayWhy) {
    RequestAsk m;
    m.user = "deploy";
    m.services = {"sshd"};
    m.duration = 2 * 3600;
    m.reason = "too long";
    auto r = desk().create(eve(), m);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EACCES);
    EXPECT_EQ(r.error().message, "denied: rule auto-deploy: duration: 2h is outside 1m..1h");
    m.services = {"login"};
    r = desk().create(eve(), m);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "denied: no policy rule lets deploy use login");
    m.user = "alice";
    EXPECT_EQ(desk().create(eve(), m).error().code, EINVAL) << "alice is not managed";
    m.user = "Bad Name";
    EXPECT_EQ(desk().create(eve(), m).error().code, EINVAL);
    EXPECT_EQ(journal_.of(Event::RequestDenied).size(), 2u);
    EXPECT_EQ(journal_.of(Event::GrantCreated).size(), 0u);
    auto all = desk().list(RequestFilter{});
    ASSERT_TRUE(all.ok());
    EXPECT_TRUE(all->empty()) << "refused requests are journaled, not stored";
}

// A request naming a workload is never judged as the local caller's own:
// with no issuer configured its token is refused, and nothing is created.
TEST_F(DeskTest, ARequestWithATokenIsRefusedNotJudgedAsLocal) {
    RequestAsk m;
    m.user = "deploy";
    m.services = {"sshd"};
    m.duration = 600;
    m.reason = "ok";
    m.id_token = "eyJhbGciOiJFUzI1NiJ9.e30.c2ln";
    auto r = desk().create(eve(), m);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EACCES);
    EXPECT_EQ(r.error().message.rfind("workload token refused: ", 0), 0u) << r.error().message;
    EXPECT_EQ(r.error().message.find(m.id_token), std::string::npos);
    EXPECT_EQ(journal_.of(Event::GrantCreated).size(), 0u);
    m.id_token.clear();
    EXPECT_TRUE(desk().create(eve(), m).ok()) << "the same request without a token is approved";
}

TEST_F(DeskTest, TwoOfMApproversNobodyElse) {
    auto r = desk().create(eve(), release_request());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->state, RequestState::Pending);
    EXPECT_EQ(r->required, 2u);
    EXPECT_EQ(r->expires, kT0 + 1800);
    const std::string id = r->id;

    auto refused = desk().approve(as(1500, {5000}), action(id));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, EPERM);
    EXPECT_EQ(refused.error().message,
              "not permitted: you made this request; someone else must approve it");
    refused = desk().approve(as(2002, {5000}), action(id));
    EXPECT_EQ(refused.error().message, "not permitted: an account cannot approve its own access");
    refused = desk().approve(as(1002), action(id));
    EXPECT_EQ(refused.error().message, "not permitted: uid 1002 is not in 2 of @approvers");
    EXPECT_EQ(journal_.of(Event::RequestRefused).size(), 3u);

    auto first = desk().approve(alice(), action(id, "looks fine"));
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(first->state, RequestState::Pending) << "1 of 2";
    EXPECT_EQ(check("release", "sshd", "10.1.2.3").decision, proto::Decision::Deny);
    auto twice = desk().approve(alice(), action(id));
    ASSERT_FALSE(twice.ok());
    EXPECT_EQ(twice.error().code, EALREADY) << "each approver counts once";

    clock_.advance(60);
    auto second = desk().approve(bob(), action(id, "go"));
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(second->state, RequestState::Approved);
    auto reply = check("release", "sshd", "10.1.2.3");
    EXPECT_EQ(reply.decision, proto::Decision::Allow) << reply.reason;
    EXPECT_EQ(check("release", "sshd", "192.0.2.1").decision, proto::Decision::Deny)
        << "the grant keeps the requested source";
    auto approved = journal_.of(Event::RequestApproved);
    ASSERT_EQ(approved.size(), 1u);
    EXPECT_EQ(approved[0].field("JIT_APPROVERS"), "1000,1001");
    EXPECT_EQ(approved[0].field("JIT_TICKET"), "CHG-123");
    EXPECT_EQ(journal_.of(Event::RequestApproval).size(), 1u);
    auto late = desk().approve(as(1003, {5000}), action(id));
    EXPECT_EQ(late.error().code, EALREADY);
    EXPECT_EQ(late.error().message, "request " + id + " is already approved");
    EXPECT_EQ(events(), (std::vector<std::string>{"request-created", "request-approved"}));
}

TEST_F(DeskTest, ApproversMayShortenAndNarrowNeverWiden) {
    auto r = desk().create(eve(), release_request(3600));
    ASSERT_TRUE(r.ok());
    auto a = action(r->id);
    a.duration = 7200;
    EXPECT_EQ(desk().approve(alice(), a).error().code, EINVAL) << "longer";
    a.duration.reset();
    a.services = {"sshd", "login"};
    EXPECT_EQ(desk().approve(alice(), a).error().code, EINVAL) << "a service not requested";
    a.services.clear();
    a.source = "10.0.0.0/8";
    EXPECT_EQ(desk().approve(alice(), a).error().code, EINVAL) << "wider source";
    a.source = "10.1.2.0/24";
    a.duration = 1800;
    ASSERT_TRUE(desk().approve(alice(), a).ok());
    auto b = action(r->id);
    b.duration = 600;
    b.services = {"sshd"};
    auto done = desk().approve(bob(), b);
    ASSERT_TRUE(done.ok()) << done.error().message;
    EXPECT_EQ(done->duration, 600u) << "the shortest approval wins";
    EXPECT_EQ(done->services, std::vector<std::string>{"sshd"});
    EXPECT_EQ(done->source, "10.1.2.0/24");
    EXPECT_EQ(check("release", "sshd", "10.1.2.9").decision, proto::Decision::Allow);
    EXPECT_EQ(check("release", "sshd", "10.1.3.9").decision, proto::Decision::Deny);
    EXPECT_EQ(check("release", "sudo", "10.1.2.9").decision, proto::Decision::Deny);
    clock_.advance(600);
    EXPECT_EQ(check("release", "sshd", "10.1.2.9").decision, proto::Decision::Deny);
}

TEST_F(DeskTest, OneDenialEndsTheRequest) {
    auto r = desk().create(eve(), release_request());
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(desk().approve(alice(), action(r->id)).ok());
    EXPECT_EQ(desk().deny(bob(), action(r->id)).error().code, EINVAL) << "a comment is needed";
    EXPECT_EQ(desk().deny(as(1002), action(r->id, "no")).error().code, EPERM);
    auto denied = desk().deny(bob(), action(r->id, "not during the freeze"));
    ASSERT_TRUE(denied.ok()) << denied.error().message;
    EXPECT_EQ(denied->state, RequestState::Denied);
    EXPECT_EQ(denied->decided_by, 1001u);
    auto shown = desk().show(r->id);
    ASSERT_TRUE(shown.ok());
    EXPECT_EQ(shown->state, RequestState::Denied);
    EXPECT_EQ(shown->approvals.size(), 2u);
    EXPECT_EQ(desk().approve(as(1003, {5000}), action(r->id)).error().code, EALREADY);
    auto e = journal_.of(Event::RequestDenied);
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].field("JIT_COMMENT"), "not during the freeze");
    EXPECT_EQ(e[0].field("JIT_RULE"), "release");
    EXPECT_EQ(check("release", "sshd", "10.1.2.3").decision, proto::Decision::Deny);
}

TEST_F(DeskTest, CancelByTheRequesterOrAnAdministrator) {
    auto r = desk().create(eve(), release_request());
    ASSERT_TRUE(r.ok());
    auto other = desk().cancel(alice(), action(r->id), false);
    EXPECT_EQ(other.error().code, EPERM);
    auto mine = desk().cancel(eve(), action(r->id, "wrong ticket"), false);
    ASSERT_TRUE(mine.ok());
    EXPECT_EQ(mine->state, RequestState::Cancelled);
    auto again = desk().create(eve(), release_request());
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(desk().cancel(as(0), action(again->id), true).ok());
    EXPECT_EQ(journal_.of(Event::RequestCancelled).size(), 2u);
    EXPECT_EQ(desk().cancel(eve(), action("r-zzzzzzzz"), false).error().code, ENOENT);
    EXPECT_EQ(desk().cancel(eve(), action("nonsense"), false).error().code, EINVAL);
}

TEST_F(DeskTest, PendingRequestsExpireAtTheirTtl) {
    auto r = desk().create(eve(), release_request());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(service_->next_expiry(), kT0 + 1800);
    clock_.advance(1799);
    service_->expire_due();
    EXPECT_EQ(desk().show(r->id)->state, RequestState::Pending);
    clock_.advance(1);
    service_->expire_due();
    EXPECT_EQ(desk().show(r->id)->state, RequestState::Expired);
    EXPECT_EQ(journal_.of(Event::RequestExpired).size(), 1u);
    EXPECT_EQ(events().back(), "request-expired");
    EXPECT_EQ(desk().approve(alice(), action(r->id)).error().code, EALREADY);
    EXPECT_EQ(service_->next_expiry(), std::nullopt);
}

TEST_F(DeskTest, TheClockStartsAtApprovalWhenAsked) {
    auto m = release_request(1800);
    m.start_on_approval = true;
    auto r = desk().create(eve(), m);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(desk().approve(alice(), action(r->id)).ok());
    clock_.advance(1200);
    auto done = desk().approve(bob(), action(r->id));
    ASSERT_TRUE(done.ok()) << done.error().message;
    EXPECT_EQ(done->not_before, kT0 + 1200);
    EXPECT_EQ(done->not_after(), kT0 + 1200 + 1800);
    // Without it, the window was fixed at request time: 20 minutes are gone.
    auto fixed = desk().create(eve(), release_request(1800));
    ASSERT_TRUE(fixed.ok());
    ASSERT_TRUE(desk().approve(alice(), action(fixed->id)).ok());
    clock_.advance(600);
    auto late = desk().approve(bob(), action(fixed->id));
    ASSERT_TRUE(late.ok());
    EXPECT_EQ(late->not_after(), kT0 + 1200 + 1800);
}

TEST_F(DeskTest, BookAheadStartsLater) {
    auto m = release_request(600);
    m.not_before = kT0 + 3600;
    auto r = desk().create(eve(), m);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(desk().approve(alice(), action(r->id)).ok());
    ASSERT_TRUE(desk().approve(bob(), action(r->id)).ok());
    EXPECT_EQ(check("release", "sshd", "10.1.0.1").decision, proto::Decision::Deny);
    clock_.set(kT0 + 3600);
    EXPECT_EQ(check("release", "sshd", "10.1.0.1").decision, proto::Decision::Allow);
    m.not_before = kT0 - 3600;
    EXPECT_EQ(desk().create(eve(), m).error().code, EINVAL) << "not in the past";
}

TEST_F(DeskTest, PendingRequestsAndApprovalsSurviveARestart) {
    auto r = desk().create(eve(), release_request());
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(desk().approve(alice(), action(r->id)).ok());
    reopen();
    EXPECT_EQ(desk().approve(alice(), action(r->id)).error().code, EALREADY)
        << "the first approval is remembered";
    auto done = desk().approve(bob(), action(r->id));
    ASSERT_TRUE(done.ok()) << done.error().message;
    reopen();
    EXPECT_EQ(check("release", "sudo", "10.1.0.1").decision, proto::Decision::Allow);
    auto shown = desk().show(r->id);
    ASSERT_TRUE(shown.ok());
    EXPECT_EQ(shown->state, RequestState::Approved);
    EXPECT_EQ(shown->grant_id, done->grant_id);
}

TEST_F(DeskTest, RateAndActiveLimitsCountPolicyGrants) {
    RequestAsk m;
    m.user = "deploy";
    m.services = {"sshd"};
    m.duration = 600;
    m.reason = "x";
    ASSERT_TRUE(desk().create(eve(), m).ok());
    ASSERT_TRUE(desk().create(eve(), m).ok());
    auto third = desk().create(eve(), m);
    ASSERT_FALSE(third.ok());
    EXPECT_NE(third.error().message.find("max_active"), std::string::npos) << third.error().message;
    clock_.advance(600);
    service_->expire_due();
    ASSERT_TRUE(desk().create(eve(), m).ok()) << "the first two ended";
    clock_.advance(600);
    service_->expire_due();
    auto fourth = desk().create(eve(), m);
    ASSERT_FALSE(fourth.ok());
    EXPECT_NE(fourth.error().message.find("rate: 3 grants or requests in the last 1d"),
              std::string::npos)
        << fourth.error().message;
}

TEST_F(DeskTest, ApprovalAfterTheRuleWasRemovedIsRefused) {
    auto r = desk().create(eve(), release_request());
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(desk().approve(alice(), action(r->id)).ok());
    auto fewer = std::make_shared<PolicySet>();
    service_->apply_policy(fewer);
    auto done = desk().approve(bob(), action(r->id));
    ASSERT_FALSE(done.ok());
    EXPECT_EQ(done.error().code, ESTALE);
    EXPECT_EQ(desk().show(r->id)->state, RequestState::Pending);
}

TEST_F(DeskTest, ImplicitGrantOncePerNightFromTheCheckItself) {
    clock_.set(at_utc(2, 30));
    auto first = check("backup", "sudo");
    ASSERT_EQ(first.decision, proto::Decision::Allow) << first.reason;
    EXPECT_EQ(first.rule, "backup-nightly");
    EXPECT_EQ(*first.not_after, at_utc(2, 40));
    auto granted = journal_.of(Event::GrantCreated);
    ASSERT_EQ(granted.size(), 1u);
    EXPECT_EQ(granted[0].field("JIT_RULE"), "backup-nightly");
    EXPECT_EQ(granted[0].field("JIT_SOURCE"), "local");
    EXPECT_NE(granted[0].field("JIT_REQUEST_ID"), "");
    auto decisions = journal_.of(Event::Decision);
    EXPECT_EQ(decisions.back().field("JIT_RULE"), "backup-nightly");
    EXPECT_EQ(decisions.back().field("JIT_GRANT_ID"), first.grant_id);

    clock_.set(at_utc(2, 35));
    auto during = check("backup", "sudo");
    EXPECT_EQ(during.decision, proto::Decision::Allow);
    EXPECT_EQ(during.grant_id, first.grant_id) << "the same grant, not a new one";
    EXPECT_EQ(check("backup", "sudo", "192.0.2.1").decision, proto::Decision::Deny)
        << "the implicit grant is bound to local checks";
    clock_.set(at_utc(2, 45));
    service_->expire_due();
    auto after = check("backup", "sudo");
    EXPECT_EQ(after.decision, proto::Decision::Deny) << "once per window";
    clock_.set(at_utc(3, 0));
    EXPECT_EQ(check("backup", "sudo").decision, proto::Decision::Deny) << "outside the window";
    clock_.set(at_utc(2, 1, 1));
    EXPECT_EQ(check("backup", "sudo").decision, proto::Decision::Allow) << "the next night";
    EXPECT_EQ(journal_.of(Event::GrantCreated).size(), 2u);
}

TEST_F(DeskTest, ImplicitGrantThatCannotBeStoredDenies) {
    exec("CREATE TRIGGER refuse BEFORE INSERT ON requests BEGIN SELECT RAISE(ABORT, 'no'); END");
    clock_.set(at_utc(2, 30));
    auto reply = check("backup", "sudo");
    EXPECT_EQ(reply.decision, proto::Decision::Deny);
    EXPECT_NE(reply.reason.find("could not be recorded"), std::string::npos) << reply.reason;
    EXPECT_EQ(journal_.of(Event::GrantCreated).size(), 0u);
    exec("DROP TRIGGER refuse");
    EXPECT_EQ(check("backup", "sudo").decision, proto::Decision::Allow);
}

TEST_F(DeskTest, RiskEscalatesAnAutoRuleToAHuman) {
    RequestAsk m;
    m.user = "ci";
    m.services = {"sshd"};
    m.duration = 600;
    m.source = "10.0.0.0/8";
    for (int i = 0; i < 2; ++i) {
        auto r = desk().create(as(2003), m);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->state, RequestState::Approved) << "learning: no signal yet";
    }
    auto known = desk().create(as(2003), m);
    ASSERT_TRUE(known.ok());
    EXPECT_EQ(known->state, RequestState::Approved) << "a source seen before";
    m.source = "192.0.2.0/24";
    auto odd = desk().create(as(2003), m);
    ASSERT_TRUE(odd.ok()) << odd.error().message;
    EXPECT_EQ(odd->state, RequestState::Pending);
    EXPECT_EQ(odd->risk, std::vector<std::string>{"new-source"});
    EXPECT_EQ(odd->required, 1u);
    EXPECT_EQ(odd->approver_groups, std::vector<std::string>{"oncall"});
    auto e = journal_.of(Event::RequestCreated);
    ASSERT_FALSE(e.empty());
    EXPECT_EQ(e.back().field("JIT_RISK"), "new-source");
    EXPECT_EQ(desk().approve(alice(), action(odd->id)).error().code, EPERM)
        << "approvers of another rule are not on-call";
    auto ok = desk().approve(as(1003, {5001}), action(odd->id));
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->state, RequestState::Approved);
    // The baseline is durable.
    reopen();
    auto again = desk().create(as(2003), m);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->state, RequestState::Approved) << "the approved source is now known";
}

// An allowed check's source joins the baseline after the answer has gone
// (the server defers that work), and is written then; a decision made in
// between already counts it.
TEST_F(DeskTest, AnAllowedCheckTeachesTheBaselineAfterItsAnswer) {
    ci_past_learning();
    service_->defer_after_answer(true);  // as the server does
    EXPECT_EQ(check("ci", "sshd", "192.0.2.7").decision, proto::Decision::Allow);
    EXPECT_EQ(desk().baseline("ci").sources.count("192.0.2.7/32"), 1u) << "noted at once";
    EXPECT_EQ(desk().baseline("ci").observations, 3u);
    service_->run_after_answer();
    reopen();
    EXPECT_EQ(desk().baseline("ci").sources.count("192.0.2.7/32"), 1u)
        << "a new source is written once learned";
}

TEST_F(DeskTest, ARequestDecidedBeforeACheckIsLearnedCountsItsSource) {
    RequestAsk m = ci_past_learning();
    service_->defer_after_answer(true);  // as the server does
    EXPECT_EQ(check("ci", "sshd", "192.0.2.7").decision, proto::Decision::Allow);
    m.source = "192.0.2.7";
    auto seen = desk().create(as(2003), m);
    ASSERT_TRUE(seen.ok()) << seen.error().message;
    EXPECT_EQ(seen->state, RequestState::Approved) << "the checked source is not new";
    EXPECT_TRUE(seen->risk.empty());
    m.source = "198.51.100.1";
    auto odd = desk().create(as(2003), m);
    ASSERT_TRUE(odd.ok()) << odd.error().message;
    EXPECT_EQ(odd->risk, std::vector<std::string>{"new-source"}) << "one never used is";
    service_->run_after_answer();
}

TEST_F(DeskTest, GrantEndingSoonIsAnnouncedOnce) {
    RequestAsk m;
    m.user = "deploy";
    m.services = {"sshd"};
    m.duration = 1800;
    m.reason = "x";
    auto r = desk().create(eve(), m);
    ASSERT_TRUE(r.ok());
    clock_.set(kT0 + 1500);
    service_->expire_due();
    service_->expire_due();
    auto e = events();
    EXPECT_EQ(std::count(e.begin(), e.end(), "grant-ending"), 1);
    EXPECT_NE(notifier_.sent.back().second.find("\"seconds_left\":300"), std::string::npos);
}

// Notices are found by walking the grants by end, up to the first not yet in
// its last minutes: each grant is announced in its turn, once, whatever the
// order the grants were made in.
TEST_F(DeskTest, GrantsEndingAreAnnouncedInTheirTurn) {
    for (uint64_t duration : {1800, 900}) {  // the rule allows two at once
        RequestAsk m;
        m.user = "deploy";
        m.services = {"sshd"};
        m.duration = duration;
        m.reason = "x";
        auto made = desk().create(eve(), m);
        ASSERT_TRUE(made.ok()) << made.error().message;
    }
    auto notices = [&] {
        auto e = events();
        return std::count(e.begin(), e.end(), "grant-ending");
    };
    clock_.set(kT0 + 599);
    service_->expire_due();
    EXPECT_EQ(notices(), 0);
    clock_.set(kT0 + 600);
    service_->expire_due();
    EXPECT_EQ(notices(), 1);
    clock_.set(kT0 + 1500);
    service_->expire_due();
    service_->expire_due();
    EXPECT_EQ(notices(), 2);
    EXPECT_NE(notifier_.sent.back().second.find("\"seconds_left\":300"), std::string::npos);
}

}  // namespace
}  // namespace jit::daemon
