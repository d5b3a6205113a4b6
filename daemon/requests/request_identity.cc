// The request desk's side of workload identity: a token is verified against
// the issuers in force, refused if it was spent before, and the workload it
// names is bound to the request (and so to its grant) with the replay keys
// the request's first write remembers.
#include <errno.h>
#include <syslog.h>

#include "daemon/events/identity_fields.h"
#include "daemon/requests/request_desk.h"
#include "jit/escape.h"

namespace jit::daemon {

namespace {

// The keys a spent token is remembered by: its digest over header.payload
// (the signature cannot vary it) and its jti, per issuer.
std::vector<std::string> replay_keys(const identity::VerifiedToken& t) {
    std::vector<std::string> keys{"jws:" + t.replay_key};
    if (!t.jti.empty())
        keys.push_back("jti:" + identity::sha256_hex(t.issuer + std::string(1, '\0') + t.jti));
    return keys;
}

constexpr size_t kMaxShown = 1024;  // a subject, a claim or a refusal's detail

// At most kMaxShown bytes, cut on a character boundary: a claim is the
// workload's text and must fit every record and reply it is shown in.
std::string cut(const std::string& s) {
    if (s.size() <= kMaxShown) return s;
    size_t n = kMaxShown - 3;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
    return s.substr(0, n) + "...";
}

}  // namespace

void RequestDesk::set_issuers(std::shared_ptr<const std::vector<identity::Issuer>> issuers) {
    issuers_ = std::move(issuers);
}

Failure RequestDesk::token_refused(const std::string& user, const std::string& reason,
                                   const std::string& detail, const std::string& digest) {
    journal_.record(Event::RequestRefused, LOG_WARNING,
                    "workload token for " + escape_text(user) + " refused: " + reason + ": " +
                        escape_text(detail),
                    {{"JIT_USER", user},
                     {"JIT_IDENTITY_REFUSAL", reason},
                     {"JIT_REASON", bounded_text(detail)},
                     {"JIT_TOKEN_DIGEST", digest}});
    return Failure{EACCES, "workload token refused: " + reason + ": " + cut(detail)};
}

Result<identity::VerifiedToken, Failure> RequestDesk::verify_signed(const std::string& token,
                                                                    const std::string& user,
                                                                    Time now) {
    static const std::vector<identity::Issuer> kNone;
    const auto& issuers = issuers_ ? *issuers_ : kNone;
    auto verified = identity::verify_token(token, issuers, now);
    if (!verified)
        return token_refused(user, identity::refusal_name(verified.error().reason),
                             verified.error().detail,
                             token.size() <= proto::kMaxIdToken ? identity::sha256_hex(token) : "");
    if (verified->subject.size() > kMaxShown)
        return token_refused(user, identity::refusal_name(identity::Refusal::BadClaim),
                             "sub is longer than " + std::to_string(kMaxShown) + " bytes",
                             verified->digest);
    return std::move(*verified);
}

Result<identity::VerifiedToken, Failure> RequestDesk::verify_token(const std::string& token,
                                                                   const std::string& user,
                                                                   Time now) {
    auto verified = verify_signed(token, user, now);
    if (!verified) return verified;
    auto spent = is_spent(*verified, now);
    if (!spent) return spent.error();
    if (*spent)
        return token_refused(user, identity::refusal_name(identity::Refusal::Replayed),
                             "this token was used before (jti or digest remembered until it "
                             "expires)",
                             verified->digest);
    return verified;
}

Result<bool, Failure> RequestDesk::is_spent(const identity::VerifiedToken& t, Time now) {
    auto spent = requests_.token_spent(replay_keys(t), now);
    if (!spent) return Failure{EIO, "cannot read spent tokens: " + spent.error().message};
    return *spent;
}

void RequestDesk::bind_identity(Request* r, const identity::VerifiedToken& t,
                                const Rule* rule) const {
    r->identity.name = t.provider;
    r->identity.issuer = t.issuer;
    r->identity.subject = t.subject;
    r->identity.token_digest = t.digest;
    r->identity.claims.clear();
    if (rule)
        for (const auto& m : rule->claims) {
            auto it = t.claims.find(m.name);
            if (it != t.claims.end() && m.matches(it->second) &&
                r->identity.claims.size() < proto::kMaxIdentityClaims)
                r->identity.claims.push_back(cut(m.name + "=" + it->second));
        }
    Time skew = 0;
    if (issuers_)
        for (const auto& i : *issuers_)
            if (i.config.name == t.provider) skew = i.config.clock_skew;
    r->spent_keys = replay_keys(t);
    r->spent_until = t.exp + skew;
}

}  // namespace jit::daemon
