#include "daemon/sessions/check_admissions.h"

#include <utility>

namespace jit::daemon {

void CheckAdmissions::drop(Order::iterator it) {
    auto [first, last] = by_pid_.equal_range(it->a.pid);
    for (auto i = first; i != last; ++i)
        if (i->second == it) {
            by_pid_.erase(i);
            break;
        }
    order_.erase(it);
}

void CheckAdmissions::add(CheckAdmission a) {
    // Entries are recorded in clock order, so the expired ones are in front
    // (a clock stepped back leaves some behind a newer one: take() ignores
    // them, and the cap bounds them).
    while (!order_.empty() && order_.front().a.at + kTtl < a.at) drop(order_.begin());
    auto [first, last] = by_pid_.equal_range(a.pid);
    for (auto i = first; i != last; ++i) {
        const CheckAdmission& old = i->second->a;
        if (old.key == a.key && old.start == a.start) {
            drop(i->second);  // the same process checked again: its newer check counts
            break;
        }
    }
    if (order_.size() >= kMax) drop(order_.begin());
    const pid_t pid = a.pid;
    order_.push_back(Entry{next_seq_++, std::move(a)});
    by_pid_.emplace(pid, std::prev(order_.end()));
}

std::optional<CheckAdmission> CheckAdmissions::take(pid_t pid, uint64_t key, uint64_t start,
                                                    Time now, const std::string& user,
                                                    const std::string& ruser) {
    std::optional<Order::iterator> best;
    auto [first, last] = by_pid_.equal_range(pid);
    for (auto i = first; i != last; ++i) {
        const Entry& e = *i->second;
        if (e.a.at + kTtl < now) continue;
        if (e.a.key != 0 ? e.a.key != key : e.a.start != start) continue;
        // sudo opens its session with PAM_USER set to the target (root) and
        // PAM_RUSER to the account that was checked.
        if (e.a.query.user != user && e.a.query.user != ruser) continue;
        if (!best || e.seq < (*best)->seq) best = i->second;
    }
    if (!best) return std::nullopt;
    CheckAdmission a = std::move((*best)->a);
    drop(*best);
    return a;
}

}  // namespace jit::daemon
