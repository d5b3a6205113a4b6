#include "daemon/grants/grant_book.h"

#include <algorithm>

#include "daemon/grants/cidr.h"
#include "jit/timefmt.h"
#include "daemon/grants/local_source.h"

namespace jit::daemon {

namespace {

// Why one grant does not cover the query; empty when it does.  Ordered from
// least to most specific so the most useful miss is reported.
enum class Miss { None = 0, Service = 1, Source = 2, NotStarted = 3, Ended = 4, Spent = 5 };

Miss miss_of(const Grant& g, const CheckQuery& q, Time now) {
    const bool user_manager = q.service == kUserManagerService;
    if (!user_manager &&
        std::find(g.services.begin(), g.services.end(), q.service) == g.services.end())
        return Miss::Service;
    if (now < g.not_before) return Miss::NotStarted;
    if (now >= g.not_after) return Miss::Ended;
    if (user_manager) return Miss::None;  // local by nature; see grant_book.h
    if (g.source == "local") {
        // Bound to checks that did not come over the network (policy grants).
        if (!is_local_rhost(q.rhost)) return Miss::Source;
    } else if (!g.source.empty()) {
        auto cidr = Cidr::parse(g.source);
        if (!cidr || !cidr->contains(q.rhost)) return Miss::Source;
    }
    return Miss::None;
}

std::string describe(Miss miss, const Grant& g, const CheckQuery& q, Time now) {
    switch (miss) {
        case Miss::Service:
            return "no grant for " + q.user + " covers service " + q.service;
        case Miss::Source:
            return "grant " + g.id + " does not admit source " +
                   (q.rhost.empty() ? std::string("(none)") : q.rhost);
        case Miss::NotStarted:
            return "grant " + g.id + " starts " + format_relative(g.not_before, now);
        case Miss::Ended:
            return "grant " + g.id + " ended " + format_relative(g.not_after, now);
        case Miss::Spent:
            return "grant " + g.id + " has no use left (" + std::to_string(g.uses.value_or(0)) +
                   " used)";
        case Miss::None:
            break;
    }
    return {};
}

}  // namespace

void GrantBook::add(Grant grant) {
    grants_.push_back(std::move(grant));
}

bool GrantBook::remove(const std::string& id) {
    auto it =
        std::find_if(grants_.begin(), grants_.end(), [&](const Grant& g) { return g.id == id; });
    if (it == grants_.end()) return false;
    grants_.erase(it);
    return true;
}

const Grant* GrantBook::find(const std::string& id) const {
    for (const auto& g : grants_)
        if (g.id == id) return &g;
    return nullptr;
}

// Unlimited before use-limited, then the longest.
static bool better(const Grant& a, const Grant* b) {
    if (!b) return true;
    if (a.uses.has_value() != b->uses.has_value()) return !a.uses.has_value();
    return a.not_after > b->not_after;
}

CheckOutcome GrantBook::check(const CheckQuery& q, Time now) const {
    CheckOutcome out;
    const Grant* best = nullptr;
    const Grant* closest = nullptr;
    Miss closest_miss = Miss::None;
    for (const auto& g : grants_) {
        if (g.user != q.user || g.state != GrantState::Active) continue;
        Miss m = miss_of(g, q, now);
        if (m == Miss::None && g.uses_left && *g.uses_left == 0) m = Miss::Spent;
        if (m == Miss::None) {
            if (better(g, best)) best = &g;
        } else if (!closest || m > closest_miss) {
            closest = &g;
            closest_miss = m;
        }
    }
    if (best) {
        out.allow = true;
        out.grant_id = best->id;
        out.not_after = best->not_after;
        out.reason = "grant " + best->id + " ends " + format_relative(best->not_after, now);
        return out;
    }
    if (!closest) {
        out.reason = "no active grant for " + q.user;
        return out;
    }
    out.grant_id = closest->id;
    out.reason = describe(closest_miss, *closest, q, now);
    return out;
}

const Grant* GrantBook::cover(const CheckQuery& q, Time now) const {
    const Grant* best = nullptr;
    for (const auto& g : grants_)
        if (g.user == q.user && g.state == GrantState::Active && miss_of(g, q, now) == Miss::None &&
            (!best || g.not_after > best->not_after))
            best = &g;
    return best;
}

Time GrantBook::coverage_end(const CheckQuery& q, Time now) const {
    Time t = now;
    // Each step moves t to the end of a grant covering it; at most one step
    // per grant, since ends only grow.
    for (size_t i = 0; i <= grants_.size(); ++i) {
        const Grant* g = cover(q, t);
        if (!g) return t;
        t = g->not_after;
    }
    return t;
}

void GrantBook::set_uses_left(const std::string& id, uint32_t left) {
    for (auto& g : grants_)
        if (g.id == id) g.uses_left = left;
}

std::vector<Grant> GrantBook::due(Time now) const {
    std::vector<Grant> out;
    for (const auto& g : grants_)
        if (g.not_after <= now) out.push_back(g);
    return out;
}

std::optional<Time> GrantBook::next_expiry() const {
    std::optional<Time> next;
    for (const auto& g : grants_)
        if (!next || g.not_after < *next) next = g.not_after;
    return next;
}

std::vector<Grant> GrantBook::for_user(const std::string& user) const {
    std::vector<Grant> out;
    for (const auto& g : grants_)
        if (g.user == user) out.push_back(g);
    return out;
}

size_t GrantBook::in_force(Time now) const {
    return size_t(std::count_if(grants_.begin(), grants_.end(), [&](const Grant& g) {
        return g.not_before <= now && now < g.not_after;
    }));
}

}  // namespace jit::daemon
