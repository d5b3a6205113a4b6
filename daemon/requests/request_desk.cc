// The request desk's operations: create, approve, deny, cancel, show, list.
#include "daemon/requests/request_desk.h"

#include <errno.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>

#include "daemon/grants/cidr.h"
#include "daemon/base/ids.h"
#include "daemon/requests/request_scope.h"
#include "jit/escape.h"
#include "jit/timefmt.h"

namespace jit::daemon {

namespace {

constexpr size_t kMaxReason = 1024;
constexpr uint64_t kMaxDuration = 366 * 86400;
constexpr Time kMaxBookAhead = 90 * 86400;
constexpr Time kPastSlack = 60;  // a start this far in the past means "now"
constexpr int kIdAttempts = 5;

Failure op_error(int code, std::string message) {
    return Failure{code, std::move(message)};
}

// Printable text: no C0/C1 controls, no DEL.
bool printable(const std::string& s) {
    for (size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) return false;
        if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xa0)
            return false;
    }
    return true;
}

// "" (any), "local", or a canonical CIDR; nullopt when invalid.
std::optional<std::string> canonical_source(const std::string& s) {
    if (s.empty() || s == "local") return s;
    auto cidr = Cidr::parse(s);
    if (!cidr) return std::nullopt;
    return cidr->to_string();
}

// Whether narrower is inside wider ("" is anywhere).
bool source_within(const std::string& narrower, const std::string& wider) {
    if (wider.empty()) return true;
    if (narrower.empty()) return false;
    if (wider == "local" || narrower == "local") return wider == narrower;
    auto outer = Cidr::parse(wider), inner = Cidr::parse(narrower);
    return outer && inner && outer->covers(*inner);
}

Requester requester_of(const Caller& c) {
    return Requester{c.uid, c.gid, c.groups};
}

}  // namespace

Result<Request, Failure> RequestDesk::build_request(const Caller& caller, const RequestAsk& m,
                                                    Time now) {
    if (!valid_user_name(m.user))
        return op_error(EINVAL, "invalid account name '" + escape_text(m.user) + "'");
    Request r;
    r.user = m.user;
    for (const auto& s : m.services) {
        if (!valid_service_name(s))
            return op_error(EINVAL, "invalid service name '" + escape_text(s) + "'");
        if (std::find(r.services.begin(), r.services.end(), s) == r.services.end())
            r.services.push_back(s);
    }
    if (m.duration == 0 || m.duration > kMaxDuration)
        return op_error(EINVAL, "the duration must be between 1s and 366d");
    if (m.reason.size() > kMaxReason || !printable(m.reason))
        return op_error(EINVAL, "the reason must be printable text, at most 1024 bytes");
    if (m.ticket.size() > proto::kMaxTicket || !printable(m.ticket))
        return op_error(EINVAL, "the ticket must be printable text, at most 128 bytes");
    auto source = canonical_source(m.source);
    if (!source)
        return op_error(EINVAL, "invalid source '" + escape_text(m.source) +
                                    "' (a CIDR, an address, or local)");
    r.source = *source;
    r.not_before = m.not_before.value_or(now);
    if (r.not_before < now - kPastSlack)
        return op_error(EINVAL, "the request cannot start in the past");
    if (r.not_before > now + kMaxBookAhead)
        return op_error(EINVAL, "a request may be booked at most 90 days ahead");
    r.not_before = std::max(r.not_before, now);
    r.duration = m.duration;
    r.start_on_approval = m.start_on_approval;
    if (auto scoped = requested_scope(m, &r); !scoped) return scoped.error();
    r.reason = m.reason;
    r.ticket = m.ticket;
    r.requester = caller.uid;
    r.created = now;
    switch (classify_(r.user)) {
        case Membership::No:
            return op_error(EINVAL, r.user + " is not a managed account (see jitd.conf(5))");
        case Membership::Unknown:
            return op_error(EIO, "cannot look up account " + r.user);
        case Membership::Yes:
            break;
    }
    return r;
}

Result<Request, Failure> RequestDesk::create(const Caller& caller, const RequestAsk& m) {
    Time now = clock_.now();
    // A token is judged before anything else: a request that names a
    // workload is never judged as the local caller's own.
    if (m.id_token.empty()) return create_as(caller, m, nullptr, now);
    auto verified = verify_token(m.id_token, m.user, now);
    if (!verified) return verified.error();
    return create_as(caller, m, &*verified, now);
}

Result<Request, Failure> RequestDesk::create_as(const Caller& caller, const RequestAsk& m,
                                                const identity::VerifiedToken* token, Time now) {
    auto built = build_request(caller, m, now);
    if (!built) return built.error();
    Request r = std::move(*built);
    RequestSpec spec{r.user,        r.services, r.source, r.not_before,
                     r.not_after(), r.reason,   r.ticket, requester_of(caller)};
    spec.identity = token;
    RequestDecision d = decide_request(*policy_, spec, now, EvalContext{directory_, *this});
    if (d.rule) r.rule = d.rule->name;
    if (token) bind_identity(&r, *token, d.rule);
    for (RiskSignal s : d.signals) r.risk.emplace_back(signal_name(s));
    if (d.rule && d.verdict != RequestVerdict::NoRule && d.verdict != RequestVerdict::Denied)
        if (std::string why = scope_outside(r, *d.rule); !why.empty()) {
            d.verdict = RequestVerdict::Denied;
            d.reason = why + " (rule " + d.rule->name + ")";
        }
    if (d.verdict == RequestVerdict::NoRule || d.verdict == RequestVerdict::Denied) {
        r.state = RequestState::Denied;
        r.comment = d.reason;
        journal_request(Event::RequestDenied, LOG_NOTICE, "denied by policy: " + d.reason, r);
        return op_error(EACCES, "denied: " + d.reason);
    }
    auto id = new_request_id();
    if (!id) return op_error(id.error().code, id.error().what);
    r.id = *id;
    r.required = d.approvers.required;
    r.approver_groups = d.approvers.groups;
    if (d.verdict == RequestVerdict::Approved) return create_approved(std::move(r), geteuid());
    r.expires = now + d.rule->pending_ttl;
    if (!r.start_on_approval) r.expires = std::min(r.expires, r.not_after());
    return store_pending(std::move(r), d.reason);
}

// A request left for approvers: written (with its token spent, if any),
// journaled and announced.
Result<Request, Failure> RequestDesk::store_pending(Request r, const std::string& why) {
    for (int attempt = 0;; ++attempt) {
        auto stored =
            commit_journaled([&](StoreTx& tx) { return requests_.insert(tx, r); },
                             request_entry(Event::RequestCreated, LOG_NOTICE, why, r, ""));
        if (stored) break;
        if (stored.error().code == EEXIST && attempt < kIdAttempts) {
            auto again = new_request_id();
            if (!again) return op_error(again.error().code, again.error().what);
            r.id = *again;
            continue;
        }
        if (stored.error().code == EALREADY)
            return token_refused(r.user, "replayed", "this token was used before",
                                 r.identity.token_digest);
        journal_.record(Event::StoreFailed, LOG_ERR,
                        "cannot store request: " + stored.error().message, {{"JIT_USER", r.user}});
        return op_error(EIO, "cannot store the request: " + stored.error().message);
    }
    r.spent_keys.clear();  // spent with the insert; an approval writes no request row
    pending_[r.id] = r;
    send("request-created", r);
    return r;
}

// Approved at once by policy: the grant and the request in one write.
Result<Request, Failure> RequestDesk::create_approved(Request r, uid_t granted_by) {
    Time now = clock_.now();
    if (r.start_on_approval) r.not_before = now;
    r.state = RequestState::Approved;
    r.decided_at = now;
    r.comment = "approved by rule " + r.rule;
    auto g = grant_for(r, granted_by, now);
    if (!g) return g.error();
    auto written = commit_with_grant(
        &r, std::move(*g),
        [this](StoreTx& tx, const Request& x) { return requests_.insert_approved(tx, x); },
        "cannot store the grant", "approved by rule " + r.rule);
    if (!written && written.error().code == ENOTRECOVERABLE) return written.error();
    if (!written && written.error().code == EALREADY && !r.identity.empty())
        return token_refused(r.user, "replayed", "this token was used before",
                             r.identity.token_digest);
    if (!written) {
        journal_.record(Event::StoreFailed, LOG_ERR,
                        "request " + r.id + " and its grant: " + written.error().message,
                        {{"JIT_USER", r.user}, {"JIT_RULE", r.rule}});
        return written.error();
    }
    send("request-approved", r);
    return r;
}

Result<void, Failure> RequestDesk::commit_with_grant(Request* r, Grant g, const RowWriter& write,
                                                     const std::string& failure,
                                                     const std::string& what,
                                                     const std::string& extra) {
    auto failed = [&](const std::string& detail) {
        r->grant_id.clear();
        return Failure{EIO, failure + ": " + detail};
    };
    StoreTx tx(store_);
    if (auto begun = tx.begin(); !begun) return failed(begun.error().message);
    auto made = ledger_.create(tx, std::move(g), origin_of(*r));
    if (!made) return made.error().code == EIO ? failed(made.error().message) : made.error();
    r->grant_id = made->id;
    if (auto ok = write(tx, *r); !ok) {
        // A spent token (EALREADY from its replay keys) is a refusal, not a fault.
        if (ok.error().code == EALREADY && !r->spent_keys.empty()) {
            r->grant_id.clear();
            return Failure{EALREADY, "the token was used before"};
        }
        return failed(ok.error().message);
    }
    JournalEntry approved = request_entry(Event::RequestApproved, LOG_NOTICE, what, *r, extra);
    const size_t slot = tx.audit(approved);
    if (auto ok = tx.commit(); !ok) {
        if (ok.error().code != ENOTRECOVERABLE) return failed(ok.error().message);
        // In jit.db with its grant (which the ledger now holds), but not
        // confirmed durable: said loudly, and not acknowledged.
        const std::string told = "request " + r->id + " and grant " + r->grant_id +
                                 " committed but not durable: " + ok.error().message +
                                 "; jitd refuses writes until it is restarted";
        journal_.record(Event::StoreFailed, LOG_CRIT, told,
                        {{"JIT_USER", r->user}, {"JIT_GRANT_ID", r->grant_id}});
        return Failure{ENOTRECOVERABLE, told};
    }
    if (auto seq = tx.audit_seq(slot))
        approved.fields.push_back({"JIT_AUDIT_SEQ", std::to_string(*seq)});
    journal_.record_entry(approved);
    return {};
}

Result<Request, Failure> RequestDesk::pending_request(const std::string& id) const {
    if (!valid_request_id(id))
        return op_error(EINVAL, "invalid request id '" + escape_text(id) + "'");
    auto it = pending_.find(id);
    if (it != pending_.end()) return it->second;
    auto stored = requests_.find(id);
    if (!stored) return op_error(EIO, "cannot read requests: " + stored.error().message);
    if (!stored->has_value()) return op_error(ENOENT, "no request " + id);
    return op_error(EALREADY, "request " + id + " is already " + state_name((*stored)->state));
}

Result<void, Failure> RequestDesk::may_decide(const Caller& caller, const Request& r) {
    ApproverSpec spec{r.required, r.approver_groups};
    auto verdict = may_approve(spec, requester_of(caller), r.requester, r.user, directory_);
    if (!verdict.allowed) {
        journal_request(Event::RequestRefused, LOG_WARNING,
                        "uid " + std::to_string(caller.uid) + " may not decide: " + verdict.why_not,
                        r);
        return op_error(EPERM, "not permitted: " + verdict.why_not);
    }
    for (const auto& a : r.approvals)
        if (a.approver == caller.uid)
            return op_error(
                EALREADY, "uid " + std::to_string(caller.uid) + " has already decided on " + r.id);
    return {};
}

// The request as an approver leaves it: shorter, fewer services, a smaller
// source; never wider.
Result<Request, Failure> RequestDesk::narrowed(const Request& r, const RequestStep& m) const {
    Request out = r;
    if (m.duration) {
        if (*m.duration == 0 || *m.duration > r.duration)
            return op_error(EINVAL, "an approver may shorten a request (at most " +
                                        format_duration(Time(r.duration)) + "), never lengthen it");
        out.duration = *m.duration;
    }
    if (!m.services.empty()) {
        out.services.clear();
        for (const auto& s : m.services) {
            if (std::find(r.services.begin(), r.services.end(), s) == r.services.end())
                return op_error(EINVAL, "service '" + escape_text(s) +
                                            "' was not requested; an approver may only narrow");
            if (std::find(out.services.begin(), out.services.end(), s) == out.services.end())
                out.services.push_back(s);
        }
    }
    if (!m.source.empty()) {
        auto source = canonical_source(m.source);
        if (!source || !source_within(*source, r.source))
            return op_error(EINVAL, "source '" + escape_text(m.source) + "' is not within " +
                                        (r.source.empty() ? "any" : r.source) +
                                        "; an approver may only narrow");
        out.source = *source;
    }
    if (m.comment.size() > kMaxReason || !printable(m.comment))
        return op_error(EINVAL, "the comment must be printable text, at most 1024 bytes");
    return out;
}

Result<Request, Failure> RequestDesk::approve(const Caller& caller, const RequestStep& m) {
    auto found = pending_request(m.id);
    if (!found) return found.error();
    if (auto ok = may_decide(caller, *found); !ok) return ok.error();
    auto next = narrowed(*found, m);
    if (!next) return next.error();
    Request r = std::move(*next);
    Time now = clock_.now();
    Approval a{r.id, caller.uid, Verdict::Approve, now, m.comment, m.duration};
    if (r.approvals_given() + 1 < r.required) {
        Request after = r;
        after.approvals.push_back(a);
        auto written =
            commit_journaled([&](StoreTx& tx) { return requests_.add_approval(tx, r, a); },
                             request_entry(Event::RequestApproval, LOG_NOTICE,
                                           "approval " + std::to_string(after.approvals_given()) +
                                               " of " + std::to_string(after.required) +
                                               " by uid " + std::to_string(caller.uid),
                                           after, m.comment));
        if (!written)
            return op_error(EIO, "cannot record the approval: " + written.error().message);
        pending_[r.id] = after;
        return after;
    }
    if (r.start_on_approval) r.not_before = now;
    r.approvals.push_back(a);
    r.state = RequestState::Approved;
    r.decided_at = now;
    r.decided_by = caller.uid;
    r.comment = m.comment;
    auto g = grant_for(r, caller.uid, now);
    if (!g) return g.error();
    auto written = commit_with_grant(
        &r, std::move(*g),
        [this, &a](StoreTx& tx, const Request& x) { return requests_.approve(tx, x, a); },
        "cannot record the approval", "approved by uid " + std::to_string(caller.uid), m.comment);
    if (!written && written.error().code == ENOTRECOVERABLE) pending_.erase(r.id);
    if (!written) return written.error();
    pending_.erase(r.id);
    send("request-approved", r);
    return r;
}

// The grant an approval creates, after the rule is checked once more: it
// must still exist, and the grant's window must still fit its schedule and
// its limit on active grants.
Result<Grant, Failure> RequestDesk::grant_for(const Request& r, uid_t by, Time now) {
    const Rule* rule = policy_->find(r.rule);
    if (!rule)
        return op_error(ESTALE, "rule " + r.rule +
                                    " is no longer in the policy; the request "
                                    "can only be cancelled or expire");
    if (r.not_after() <= now) return op_error(EINVAL, "the requested window is already over");
    Time start = std::max(r.not_before, now);
    if (rule->schedule) {
        auto end = rule->schedule->window_end(start);
        if (!rule->schedule->contains(start) || (end && r.not_after() > *end))
            return op_error(EACCES, "the grant would fall outside " + rule->schedule->describe() +
                                        " (rule " + rule->name + ")");
    }
    if (rule->max_active && active_grants(rule->name, r.user) >= *rule->max_active)
        return op_error(EACCES, "rule " + rule->name + " allows " +
                                    std::to_string(*rule->max_active) + " active grant(s) for " +
                                    r.user + " and that many are active");
    Grant g;  // the ledger gives it its id
    g.user = r.user;
    g.services = r.services;
    g.source = r.source;
    g.not_before = r.not_before;
    g.not_after = r.not_after();
    g.reason = r.reason.empty() ? "request " + r.id : r.reason;
    g.granted_by = by;
    g.created = now;
    if (rule->uses) g.uses = g.uses_left = *rule->uses;
    g.identity = r.identity;
    // A sudo command scope binds every grant that covers sudo: the one the
    // request asked for (already checked to lie within the rule's), or the rule's.
    if (std::find(g.services.begin(), g.services.end(), "sudo") != g.services.end()) {
        g.commands = r.commands.empty() ? rule->commands : r.commands;
        g.runas = r.commands.empty() || r.runas.empty() ? rule->runas : r.runas;
    }
    return g;
}

Result<Request, Failure> RequestDesk::finish(Request r, RequestState state, const Caller& caller,
                                             const std::string& comment, const Approval* vote,
                                             Event event, const std::string& what) {
    r.state = state;
    r.decided_at = clock_.now();
    r.decided_by = caller.uid;
    r.comment = comment;
    if (vote) r.approvals.push_back(*vote);
    auto written = commit_journaled([&](StoreTx& tx) { return requests_.finish(tx, r, vote); },
                                    request_entry(event, LOG_NOTICE, what, r, comment));
    if (!written) return op_error(EIO, "cannot record the decision: " + written.error().message);
    pending_.erase(r.id);
    return r;
}

// The audit record is written in the request's own transaction: an answer
// never leaves for a request change whose record could still be lost.
Result<void, Failure> RequestDesk::commit_journaled(const TxWriter& write, JournalEntry entry) {
    StoreTx tx(store_);
    if (auto begun = tx.begin(); !begun) return Failure{begun.error().code, begun.error().message};
    if (auto ok = write(tx); !ok) return Failure{ok.error().code, ok.error().message};
    const size_t slot = tx.audit(entry);
    if (auto ok = tx.commit(); !ok) return Failure{ok.error().code, ok.error().message};
    if (auto seq = tx.audit_seq(slot))
        entry.fields.push_back({"JIT_AUDIT_SEQ", std::to_string(*seq)});
    journal_.record_entry(entry);
    return {};
}

Result<Request, Failure> RequestDesk::deny(const Caller& caller, const RequestStep& m) {
    auto found = pending_request(m.id);
    if (!found) return found.error();
    if (auto ok = may_decide(caller, *found); !ok) return ok.error();
    if (m.comment.empty() || m.comment.size() > kMaxReason || !printable(m.comment))
        return op_error(EINVAL, "a denial needs a comment: printable text, at most 1024 bytes");
    Approval vote{found->id, caller.uid, Verdict::Deny, clock_.now(), m.comment, {}};
    auto r = finish(*found, RequestState::Denied, caller, m.comment, &vote, Event::RequestDenied,
                    "denied by uid " + std::to_string(caller.uid));
    if (!r) return r;
    send("request-denied", *r);
    return r;
}

Result<Request, Failure> RequestDesk::cancel(const Caller& caller, const RequestStep& m,
                                             bool administrator) {
    auto found = pending_request(m.id);
    if (!found) return found.error();
    if (found->requester != caller.uid && !administrator) {
        journal_request(Event::RequestRefused, LOG_WARNING,
                        "uid " + std::to_string(caller.uid) + " may not cancel", *found);
        return op_error(EPERM, "not permitted: only the requester or an administrator may cancel");
    }
    if (m.comment.size() > kMaxReason || !printable(m.comment))
        return op_error(EINVAL, "the comment must be printable text, at most 1024 bytes");
    auto r = finish(*found, RequestState::Cancelled, caller, m.comment, nullptr,
                    Event::RequestCancelled, "cancelled by uid " + std::to_string(caller.uid));
    if (!r) return r;
    send("request-cancelled", *r);
    return r;
}

Result<Request, Failure> RequestDesk::show(const std::string& id) {
    if (!valid_request_id(id))
        return op_error(EINVAL, "invalid request id '" + escape_text(id) + "'");
    auto it = pending_.find(id);
    if (it != pending_.end()) return it->second;
    auto stored = requests_.find(id);
    if (!stored) return op_error(EIO, "cannot read requests: " + stored.error().message);
    if (!stored->has_value()) return op_error(ENOENT, "no request " + id);
    return **stored;
}

Result<std::vector<Request>, Failure> RequestDesk::list(const RequestFilter& q) {
    expire_due();  // nothing past its deadline is listed as pending
    auto found = requests_.list(q.user, q.pending_only, proto::kMaxListedRequests);
    if (!found) return op_error(EIO, "cannot read requests: " + found.error().message);
    return std::move(*found);
}

std::vector<Request> RequestDesk::pending_for(const std::string& user,
                                              const std::string& service) const {
    std::vector<Request> out;
    for (const auto& [id, r] : pending_)
        if (r.user == user &&
            std::find(r.services.begin(), r.services.end(), service) != r.services.end())
            out.push_back(r);
    return out;
}

}  // namespace jit::daemon
