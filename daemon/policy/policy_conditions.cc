#include "daemon/policy/policy_conditions.h"

#include <algorithm>

#include "jit/timefmt.h"

namespace jit::daemon::conditions {

namespace {

Condition holds(const char* name, std::string detail) {
    return Condition{name, CondState::Holds, std::move(detail)};
}
Condition fails(const char* name, std::string detail) {
    return Condition{name, CondState::Fails, std::move(detail)};
}
Condition needs(const char* name, std::string detail) {
    return Condition{name, CondState::Needs, std::move(detail)};
}

std::string plural(size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

Condition account_condition(const Rule& r, const std::string& user, Membership m) {
    if (m == Membership::Unknown)
        return fails("account", "cannot look up " + user + " (account database failed)");
    return holds("account", user + " is among " + r.accounts.describe());
}

Condition schedule_now(const Rule& r, Time now) {
    if (!r.schedule) return holds("schedule", "any time");
    const Schedule& s = *r.schedule;
    if (s.contains(now)) {
        auto end = s.window_end(now);
        return holds("schedule", s.describe() + (end ? ": open until " + format_utc(*end) : ""));
    }
    auto next = s.next_start(now);
    return fails("schedule",
                 "outside " + s.describe() + (next ? "; next opens " + format_utc(*next) : ""));
}

Condition schedule_window(const Rule& r, Time start, Time end) {
    if (!r.schedule) return holds("schedule", "any time");
    const Schedule& s = *r.schedule;
    if (!s.contains(start)) {
        auto next = s.next_start(start);
        return fails("schedule", "starts outside " + s.describe() +
                                     (next ? "; next opens " + format_utc(*next) : ""));
    }
    auto close = s.window_end(start);
    if (close && end > *close)
        return fails("schedule", "ends after the window (" + s.describe() + ") closes at " +
                                     format_utc(*close));
    return holds("schedule", "inside " + s.describe());
}

Condition max_active(const Rule& r, const std::string& user, const EvalContext& ctx) {
    if (!r.max_active) return holds("max_active", "no limit");
    size_t n = ctx.history.active_grants(r.name, user);
    std::string text = plural(n, "grant") +
                       " from this rule active, max_active = " + std::to_string(*r.max_active);
    return n < *r.max_active ? holds("max_active", text) : fails("max_active", text);
}

Condition rate(const Rule& r, const std::string& user, Time now, const EvalContext& ctx) {
    if (!r.rate) return holds("rate", "no limit");
    size_t n = ctx.history.created_since(r.name, user, now - r.rate->period);
    std::string text = plural(n, "grant") + " or requests in the last " +
                       format_duration(r.rate->period) + ", rate = " + r.rate->describe();
    return n < r.rate->count ? holds("rate", text) : fails("rate", text);
}

// Judges the risk signals of an event; *signals receives them.
Condition risk(const Rule& r, const std::string& user, const std::string& key, Time when, Time now,
               const EvalContext& ctx, std::vector<RiskSignal>* signals,
               const identity::VerifiedToken* token) {
    if (r.risk == RiskAction::Ignore) return holds("risk", "not judged (risk = ignore)");
    size_t recent = ctx.history.created_since("", user, now - r.burst.period);
    *signals =
        risk_signals(r, ctx.history.baseline(user), key, when, recent, workload_keys(r, token));
    if (signals->empty()) return holds("risk", "no signal");
    std::string names = signal_list(*signals);
    if (r.risk == RiskAction::Deny) return fails("risk", names + " (risk = deny)");
    if (!r.approval.automatic()) return holds("risk", names + ": shown to the approvers");
    return holds("risk", names + ": escalated to " + r.risk_approval.describe());
}

Condition requester(const Rule& r, const Requester& who, const EvalContext& ctx) {
    if (!r.requesters) return holds("requester", "any local user");
    switch (requester_in(*r.requesters, who, ctx.directory)) {
        case Membership::Yes:
            return holds("requester", "uid " + std::to_string(who.uid) + " is among " +
                                          r.requesters->describe());
        case Membership::Unknown:
            return fails("requester", "cannot look up the requesters (account database failed)");
        case Membership::No:
            break;
    }
    return fails("requester",
                 "uid " + std::to_string(who.uid) + " is not among " + r.requesters->describe());
}

// Every unit, so a limit missed by a second reads as such: "2h 1s".
std::string exact_duration(uint64_t seconds) {
    static const struct {
        uint64_t size;
        char unit;
    } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    std::string out;
    for (const auto& u : units) {
        if (seconds / u.size == 0) continue;
        out += (out.empty() ? "" : " ") + std::to_string(seconds / u.size) + u.unit;
        seconds %= u.size;
    }
    return out.empty() ? "0s" : out;
}

std::string grant_source_name(const std::string& s) {
    return s.empty() ? "any" : s;
}

// Whether the rule judges this request's identity, and each claim it needs.
// A rule with identity = judges only tokens from that section; one without
// judges only local requests.
void identity_conditions(const Rule& r, const identity::VerifiedToken* id,
                         std::vector<Condition>& c) {
    if (r.identity.empty()) {
        if (id)
            c.push_back(fails("identity", "judges local requests; a workload token (" +
                                              id->provider + ") needs a rule with identity ="));
        return;
    }
    if (!id) {
        c.push_back(fails("identity", "needs a workload token from " + r.identity +
                                          " (jitctl request --id-token FILE)"));
        return;
    }
    if (id->provider != r.identity) {
        c.push_back(fails("identity",
                          "the token is from " + id->provider + ", the rule needs " + r.identity));
        return;
    }
    c.push_back(holds("identity", r.identity + ": " + id->subject));
    for (const auto& m : r.claims) {
        std::string name = "claim " + m.name;
        auto it = id->claims.find(m.name);
        if (it == id->claims.end()) {
            c.push_back(Condition{name, CondState::Fails,
                                  "missing from the token (needs " + m.describe() + ")"});
            continue;
        }
        bool ok = m.matches(it->second);
        c.push_back(Condition{name, ok ? CondState::Holds : CondState::Fails,
                              it->second + (ok ? " matches " : " does not match ") + m.describe()});
    }
}

}  // namespace

Membership requester_in(const AccountSet& set, const Requester& who,
                        const AccountDirectory& directory) {
    bool unknown = false;
    for (const auto& range : set.uids)
        if (who.uid >= range.first && who.uid <= range.last) return Membership::Yes;
    for (const auto& name : set.groups) {
        auto gid = directory.group(name);
        if (!gid) {
            unknown = true;
            continue;
        }
        if (!gid->has_value()) continue;
        if (who.gid == **gid || std::count(who.groups.begin(), who.groups.end(), **gid))
            return Membership::Yes;
    }
    for (const auto& name : set.users) {
        auto info = directory.user(name);
        if (!info) {
            unknown = true;
            continue;
        }
        if (info->has_value() && (*info)->uid == who.uid) return Membership::Yes;
    }
    return unknown ? Membership::Unknown : Membership::No;
}

RuleReport for_request(const Rule& r, const RequestSpec& q, Membership account, Time now,
                       const EvalContext& ctx) {
    RuleReport rep;
    rep.rule = &r;
    auto& c = rep.conditions;
    c.push_back(account_condition(r, q.user, account));
    c.push_back(holds("service", "covers the requested services"));
    identity_conditions(r, q.identity, c);
    if (q.identity && !r.identity.empty() && q.not_after > q.identity->exp + Time(r.max_duration))
        c.push_back(fails("identity",
                          "the grant would end after the token's exp plus the "
                          "rule's longest duration"));
    c.push_back(requester(r, q.requester, ctx));
    c.push_back(
        r.from.admits_grant_source(q.source)
            ? holds("source", grant_source_name(q.source) + " is within " + r.from.describe())
            : fails("source", "source " + grant_source_name(q.source) + " is not within " +
                                  r.from.describe() + " (name one with --source)"));
    c.push_back(schedule_window(r, q.not_before, q.not_after));
    const uint64_t length = uint64_t(q.not_after - q.not_before);
    std::string range = exact_duration(r.min_duration) + ".." + exact_duration(r.max_duration);
    c.push_back(length >= r.min_duration && length <= r.max_duration
                    ? holds("duration", exact_duration(length) + " within " + range)
                    : fails("duration", exact_duration(length) + " is outside " + range));
    if (r.reason_required)
        c.push_back(q.reason.empty() ? fails("reason", "a reason is required")
                                     : holds("reason", "given"));
    if (r.ticket)
        c.push_back(r.ticket->matches(q.ticket)
                        ? holds("ticket", q.ticket + " matches " + r.ticket->text)
                        : fails("ticket", (q.ticket.empty() ? std::string("no ticket")
                                                            : "ticket " + q.ticket) +
                                              " does not match " + r.ticket->text));
    c.push_back(max_active(r, q.user, ctx));
    c.push_back(rate(r, q.user, now, ctx));
    std::string key = q.source.empty() ? "any" : source_key(q.source);
    c.push_back(risk(r, q.user, key, q.not_before, now, ctx, &rep.signals, q.identity));
    return rep;
}

RuleReport for_implicit(const Rule& r, const CheckQuestion& q, Time now, const EvalContext& ctx) {
    RuleReport rep;
    rep.rule = &r;
    auto& c = rep.conditions;
    c.push_back(holds("account", q.user + " is among " + r.accounts.describe()));
    c.push_back(holds("service", q.service + " is among the rule's services"));
    std::string shown = q.rhost.empty() ? "(none)" : q.rhost;
    c.push_back(r.from.admits_rhost(q.rhost)
                    ? holds("source", shown + " is within " + r.from.describe())
                    : fails("source", shown + " is not within " + r.from.describe()));
    c.push_back(schedule_now(r, now));
    if (r.implicit_per_window > 0) {
        auto start = r.schedule ? r.schedule->window_start(now) : std::nullopt;
        Time since = start.value_or(now - Schedule::kHorizon);
        size_t n = ctx.history.created_since(r.name, q.user, since);
        std::string text = plural(n, "implicit grant") + " in this window, at most " +
                           std::to_string(r.implicit_per_window);
        c.push_back(n < r.implicit_per_window ? holds("implicit", text) : fails("implicit", text));
    }
    c.push_back(max_active(r, q.user, ctx));
    c.push_back(rate(r, q.user, now, ctx));
    c.push_back(risk(r, q.user, source_key(q.rhost), now, now, ctx, &rep.signals, q.identity));
    return rep;
}

RuleReport for_explain(const Rule& r, const CheckQuestion& q, Time now, const EvalContext& ctx) {
    RuleReport rep;
    rep.rule = &r;
    auto& c = rep.conditions;
    c.push_back(holds("account", q.user + " is among " + r.accounts.describe()));
    c.push_back(holds("service", q.service + " is among the rule's services"));
    if (q.identity || !r.identity.empty()) {
        if (q.identity)
            identity_conditions(r, q.identity, c);
        else
            c.push_back(needs("identity", "a workload token from " + r.identity +
                                              (r.claims.empty() ? "" : " with claims")));
    }
    c.push_back(needs("requester", r.requesters ? "one of " + r.requesters->describe()
                                                : std::string("any local user")));
    if (q.rhost.empty() || r.from.any())
        c.push_back(needs("source", "within " + r.from.describe()));
    else if (r.from.admits_rhost(q.rhost))
        c.push_back(holds("source", q.rhost + " is within " + r.from.describe()));
    else
        c.push_back(fails("source", q.rhost + " is not within " + r.from.describe()));
    c.push_back(schedule_now(r, now));
    c.push_back(needs("duration", format_duration(int64_t(r.min_duration)) + ".." +
                                      format_duration(int64_t(r.max_duration))));
    if (r.reason_required) c.push_back(needs("reason", "required"));
    if (r.ticket) c.push_back(needs("ticket", "matching " + r.ticket->text));
    c.push_back(max_active(r, q.user, ctx));
    c.push_back(rate(r, q.user, now, ctx));
    c.push_back(needs("approval", r.approval.describe()));
    return rep;
}

}  // namespace jit::daemon::conditions
