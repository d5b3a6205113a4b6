#include "daemon/grants/grant_book.h"

#include <algorithm>
#include <limits>

#include "daemon/grants/cidr.h"
#include "jit/timefmt.h"
#include "daemon/grants/local_source.h"

namespace jit::daemon {

namespace {

// Why one grant does not cover the query; empty when it does.  Ordered from
// least to most specific so the most useful miss is reported.
enum class Miss {
    None = 0,
    Service = 1,
    Source = 2,
    NotStarted = 3,
    Ended = 4,
    Spent = 5,
    FleetStale = 6
};

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
        case Miss::FleetStale:
            return "grant " + g.id + " mirrors fleet grant " + *g.fleet_id +
                   ", and jit-fleet's word that fleet grants are current has run out";
        case Miss::None:
            break;
    }
    return {};
}

// The keys the indexes ask for: the id, the user of the grant at a position.
auto id_key(const Chunked<Grant>& grants) {
    return [&grants](uint32_t i) { return std::string_view(grants[i].id); };
}
auto user_key(const Chunked<Grant>& grants) {
    return [&grants](uint32_t i) { return std::string_view(grants[i].user); };
}

}  // namespace

void GrantBook::add(Grant grant) {
    // Ids are unique: a second add of one id replaces the first.
    remove(grant.id);
    const auto index = uint32_t(grants_.size());
    grants_.push_back(std::move(grant));
    next_of_user_.push_back(kEnd);
    const Grant& g = grants_.back();
    by_id_.insert(g.id, index, id_key(grants_));
    end_.push(g.not_after);
    // Appended to the user's chain, so for_user keeps the order of adds; the
    // head's prev names the tail, so an account with thousands of grants
    // costs an add no walk.
    const uint32_t head = first_of(g.user);
    if (head == kEnd) {
        by_user_.insert(g.user, index, user_key(grants_));
        prev_of_user_.push_back(index);
    } else {
        const uint32_t tail = prev_of_user_[head];
        next_of_user_[tail] = index;
        prev_of_user_.push_back(tail);
        prev_of_user_[head] = index;
    }
    ++generation_;
}

void GrantBook::reserve(size_t n) {
    grants_.reserve(n);
    next_of_user_.reserve(n);
    prev_of_user_.reserve(n);
    end_.reserve(n);
}

uint32_t GrantBook::first_of(const std::string& user) const {
    return by_user_.find(user, user_key(grants_));
}

// Takes the grant at index out of its user's chain.
void GrantBook::unlink_user(uint32_t index) {
    const std::string& user = grants_[index].user;
    const uint32_t head = first_of(user), next = next_of_user_[index];
    if (index == head) {
        if (next == kEnd) {
            by_user_.erase(user, user_key(grants_));
        } else {
            prev_of_user_[next] = prev_of_user_[index];  // the tail
            by_user_.replace(user, next, user_key(grants_));
        }
        return;
    }
    const uint32_t prev = prev_of_user_[index];
    next_of_user_[prev] = next;
    prev_of_user_[next == kEnd ? head : next] = prev;
}

// The grant at from is about to move to to: its chain points there instead.
void GrantBook::relink_user(uint32_t from, uint32_t to) {
    const std::string& user = grants_[from].user;
    uint32_t head = first_of(user);
    const uint32_t prev = prev_of_user_[from], next = next_of_user_[from];
    if (from == head) {
        by_user_.replace(user, to, user_key(grants_));
        head = to;
    } else {
        next_of_user_[prev] = to;
    }
    next_of_user_[to] = next;
    prev_of_user_[to] = prev == from ? to : prev;  // alone in its chain: its own tail
    if (next == kEnd)
        prev_of_user_[head] = to;  // from was the tail
    else
        prev_of_user_[next] = to;
}

bool GrantBook::remove(const std::string& id) {
    const uint32_t index = by_id_.find(id, id_key(grants_));
    if (index == kEnd) return false;
    const auto last = uint32_t(grants_.size() - 1);
    by_id_.erase(id, id_key(grants_));
    end_.erase(index);
    unlink_user(index);
    if (index != last) {
        // The last grant moves into the hole: its index entries follow it.
        Grant& moved = grants_[last];
        by_id_.replace(moved.id, index, id_key(grants_));
        relink_user(last, index);
        grants_[index] = std::move(moved);
    }
    grants_.pop_back();
    next_of_user_.pop_back();
    prev_of_user_.pop_back();
    ++generation_;
    return true;
}

const Grant* GrantBook::find(const std::string& id) const {
    const uint32_t index = by_id_.find(id, id_key(grants_));
    return index == kEnd ? nullptr : &grants_[index];
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
    for (uint32_t i = first_of(q.user); i != kEnd; i = next_of_user_[i]) {
        const Grant& g = grants_[i];
        if (g.state != GrantState::Active) continue;
        Miss m = miss_of(g, q, now);
        if (m == Miss::None && g.uses_left && *g.uses_left == 0) m = Miss::Spent;
        if (m == Miss::None && !fleet_fresh(g, now)) m = Miss::FleetStale;
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
        // Every allowed login waits for this string: built in one piece.
        out.reason.reserve(32 + best->id.size());
        out.reason.append("grant ").append(best->id).append(" ends ");
        append_relative(&out.reason, best->not_after, now);
        return out;
    }
    if (!closest) {
        out.reason = "no active grant for " + q.user;
        return out;
    }
    out.grant_id = closest->id;
    out.fleet_stale = closest_miss == Miss::FleetStale;
    out.reason = describe(closest_miss, *closest, q, now);
    return out;
}

const Grant* GrantBook::cover(const CheckQuery& q, Time now) const {
    const Grant* best = nullptr;
    for (uint32_t i = first_of(q.user); i != kEnd; i = next_of_user_[i]) {
        const Grant& g = grants_[i];
        if (g.state == GrantState::Active && miss_of(g, q, now) == Miss::None &&
            fleet_keeps_sessions(g, now) && (!best || g.not_after > best->not_after))
            best = &g;
    }
    return best;
}

Time GrantBook::coverage_end(const CheckQuery& q, Time now) const {
    Time t = now;
    // Each step moves t to the end of a grant covering it; at most one step
    // per grant, since ends only grow.
    size_t n = 0;
    of_user(q.user, [&](const Grant&) { ++n; });
    for (size_t i = 0; i <= n; ++i) {
        const Grant* g = cover(q, t);
        if (!g) return t;
        t = g->not_after;
    }
    return t;
}

void GrantBook::set_uses_left(const std::string& id, uint32_t left) {
    const uint32_t index = by_id_.find(id, id_key(grants_));
    if (index == kEnd) return;
    grants_[index].uses_left = left;
    ++generation_;
}

std::vector<Grant> GrantBook::due(Time now) const {
    std::vector<Grant> out;
    for (uint32_t index : end_.ending_by(now)) out.push_back(grants_[index]);
    return out;
}

std::optional<Time> GrantBook::next_expiry() const {
    return end_.earliest();
}

std::vector<Grant> GrantBook::for_user(const std::string& user) const {
    std::vector<Grant> out;
    of_user(user, [&](const Grant& g) { out.push_back(g); });
    return out;
}

size_t GrantBook::in_force(Time now) const {
    const InForce& kept = in_force_;
    if (kept.generation == generation_ && kept.from <= now && now < kept.until) return kept.count;
    // The count holds from the latest start or end at or before now until
    // the earliest one after it.
    InForce fresh{generation_, std::numeric_limits<Time>::min(), std::numeric_limits<Time>::max(),
                  0};
    for (const Grant& g : grants_) {
        for (Time edge : {g.not_before, g.not_after}) {
            if (edge <= now)
                fresh.from = std::max(fresh.from, edge);
            else
                fresh.until = std::min(fresh.until, edge);
        }
        fresh.count += g.not_before <= now && now < g.not_after;
    }
    in_force_ = fresh;
    return fresh.count;
}

}  // namespace jit::daemon
