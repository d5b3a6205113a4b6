#include "daemon/server/admission.h"

namespace jit::daemon {

namespace {
// Past this many uids remembered, entries older than the window are dropped:
// a caller cycling through uids cannot grow the table without bound.
constexpr size_t kMaxQuietEntries = 1024;
}  // namespace

Admission::Verdict Admission::admit(uid_t uid) {
    if (open_ >= limits_.max_connections) return Verdict::OverTotal;
    size_t& mine = per_uid_[uid];
    if (mine >= limits_.max_per_uid) {
        if (mine == 0) per_uid_.erase(uid);
        return Verdict::OverUid;
    }
    ++mine;
    ++open_;
    return Verdict::Admit;
}

void Admission::release(uid_t uid) {
    auto it = per_uid_.find(uid);
    if (it == per_uid_.end() || it->second == 0) return;
    if (--it->second == 0) per_uid_.erase(it);
    if (open_ > 0) --open_;
}

size_t Admission::open_for(uid_t uid) const {
    auto it = per_uid_.find(uid);
    return it == per_uid_.end() ? 0 : it->second;
}

bool Admission::should_journal(uid_t uid, uint64_t now_ms, uint64_t* held_back) {
    if (quiet_.size() >= kMaxQuietEntries) {
        for (auto it = quiet_.begin(); it != quiet_.end();)
            it = now_ms - it->second.last_ms >= kJournalWindowMs ? quiet_.erase(it) : std::next(it);
        if (quiet_.size() >= kMaxQuietEntries) return false;
    }
    auto [it, fresh] = quiet_.try_emplace(uid);
    Quiet& q = it->second;
    if (!fresh && now_ms - q.last_ms < kJournalWindowMs) {
        ++q.held_back;
        return false;
    }
    *held_back = q.held_back;
    q.last_ms = now_ms;
    q.held_back = 0;
    return true;
}

}  // namespace jit::daemon
