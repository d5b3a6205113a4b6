// IDENTITY_LOGIN: pam_jit's auth phase hands jitd a workload's token while
// it logs in.  The token is the request (for the account, the PAM service,
// from the login's address), judged and spent exactly as REQUEST_CREATE
// with --id-token; a grant allows.  While approvers decide the module asks
// again with the same token: that is not a replay but the same login, and is
// answered with the state of the request the token made.  Every failure is
// a denial with a message a CI log may show; never the token.
#include <errno.h>

#include <algorithm>

#include "daemon/grants/cidr.h"
#include "daemon/requests/request_desk.h"
#include "jit/escape.h"
#include "jit/timefmt.h"

namespace jit::daemon {

namespace {

constexpr uint64_t kFallbackDuration = 60;  // no rule fits: denied anyway, with its reason
constexpr size_t kMaxLoginReason = 1000;

RequestDesk::LoginAnswer refusal(std::string message, std::string request_id = "") {
    RequestDesk::LoginAnswer a;
    a.message = std::move(message);
    a.request_id = std::move(request_id);
    return a;
}

}  // namespace

RequestDesk::LoginAnswer RequestDesk::login(const Caller& caller, const LoginAsk& m) {
    const Time now = clock_.now();
    auto verified = verify_signed(m.id_token, m.user, now);
    if (!verified) return refusal(verified.error().message);
    auto spent = is_spent(*verified, now);
    if (!spent) return refusal(spent.error().message);
    if (*spent) return login_again(m, *verified);
    auto made = create_as(caller, login_request(m, *verified), &*verified, now);
    if (!made) return refusal(made.error().message);
    return claimed(answer_for(*made), m, *verified);
}

// An allow is given once per token: the login that gets it spends the
// token's login key, so the same token cannot log in again (a replay) while
// its asking again during approval is still the same login.
RequestDesk::LoginAnswer RequestDesk::claimed(LoginAnswer a, const LoginAsk& m,
                                              const identity::VerifiedToken& t) {
    if (!a.allow) return a;
    Time skew = 0;
    if (issuers_)
        for (const auto& i : *issuers_)
            if (i.config.name == t.provider) skew = i.config.clock_skew;
    auto spent = requests_.spend({"login:" + t.digest}, t.exp + skew, clock_.now());
    if (spent) return a;
    if (spent.error().code == EALREADY)
        return refusal(token_refused(m.user, identity::refusal_name(identity::Refusal::Replayed),
                                     "this token has logged in before", t.digest)
                           .message);
    return refusal("cannot record the login: " + spent.error().message);
}

// The request a login makes: the rule for this issuer, account and service
// sets its length (its longest); the address the login comes from is its
// source when it is one.
RequestAsk RequestDesk::login_request(const LoginAsk& m, const identity::VerifiedToken& t) const {
    RequestAsk q;
    q.user = m.user;
    q.services = {m.service};
    q.duration = kFallbackDuration;
    for (const auto& rule : policy_->rules) {
        if (rule.is_implicit() || rule.identity != t.provider || rule.max_duration == 0) continue;
        if (std::find(rule.services.begin(), rule.services.end(), m.service) == rule.services.end())
            continue;
        if (account_in(rule.accounts, m.user, directory_) != Membership::Yes) continue;
        q.duration = rule.max_duration;
        break;
    }
    if (auto cidr = Cidr::parse(m.rhost)) q.source = cidr->to_string();
    q.reason = "identity login of " + t.subject;
    if (q.reason.size() > kMaxLoginReason) q.reason.resize(kMaxLoginReason);
    while (!q.reason.empty() && (static_cast<unsigned char>(q.reason.back()) & 0xc0) == 0x80)
        q.reason.pop_back();
    return q;
}

// The same token again: the request it made answers, if it was made for
// this account and service; any other use is a replay.
RequestDesk::LoginAnswer RequestDesk::login_again(const LoginAsk& m,
                                                  const identity::VerifiedToken& t) {
    auto found = requests_.find_by_token(t.digest);
    if (!found) return refusal("cannot read requests: " + found.error().message);
    const auto it = pending_.find(*found ? (*found)->id : "");
    const Request* r = it != pending_.end() ? &it->second : found->has_value() ? &**found : nullptr;
    if (!r || r->user != m.user ||
        std::find(r->services.begin(), r->services.end(), m.service) == r->services.end())
        return refusal(token_refused(m.user, identity::refusal_name(identity::Refusal::Replayed),
                                     "this token was used before (jti or digest remembered until "
                                     "it expires)",
                                     t.digest)
                           .message);
    return claimed(answer_for(*r), m, t);
}

RequestDesk::LoginAnswer RequestDesk::answer_for(const Request& r) const {
    switch (r.state) {
        case RequestState::Pending: {
            std::string groups;
            for (const auto& g : r.approver_groups) groups += (groups.empty() ? "@" : ", @") + g;
            return refusal("request " + r.id + " waits for approval (" +
                               std::to_string(r.required) + " of " + groups + ")",
                           r.id);
        }
        case RequestState::Approved: {
            const Grant* g = ledger_.book().find(r.grant_id);
            if (!g || g->not_after <= clock_.now())
                return refusal("request " + r.id + " was approved, but its grant " + r.grant_id +
                               " is no longer in force");
            LoginAnswer a;
            a.allow = true;
            a.grant_id = g->id;
            a.not_after = g->not_after;
            return a;
        }
        default:
            return refusal("request " + r.id + " was " + state_name(r.state) +
                           (r.comment.empty() ? "" : ": " + escape_text(r.comment)));
    }
}

}  // namespace jit::daemon
