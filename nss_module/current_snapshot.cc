#include "current_snapshot.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

namespace jit::nss {

namespace {

enum : uint32_t { kFree, kFilling, kLive, kRetired };

// Enough for the current file and those still in use by calls that began
// before it was replaced; more only after fork() (see the header).
constexpr int kViews = 8;

}  // namespace

struct View {
    // Calls using the view, plus one while it is current; 0 when free.
    std::atomic<uint32_t> refs{0};
    std::atomic<uint32_t> state{kFree};
    // The second in which the path was last stat'ed for this view.
    std::atomic<int64_t> checked{0};
    Mapping map;
    snapshot::Snapshot snapshot;
    // The header as mapped, up to the state word: a change in place (by
    // hand) makes the module check the file again.
    uint8_t header[snapshot::kStateOffset] = {};
};

namespace {

constinit View g_views[kViews];
constinit std::atomic<View*> g_current{nullptr};

// A count of zero means the view is free (or being filled): never revive it.
bool pin(View* v) {
    uint32_t refs = v->refs.load(std::memory_order_relaxed);
    while (refs != 0)
        if (v->refs.compare_exchange_weak(refs, refs + 1, std::memory_order_acquire,
                                          std::memory_order_relaxed))
            return true;
    return false;
}

void unpin(View* v) {
    if (v->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    unmap_snapshot(&v->map);
    v->state.store(kFree, std::memory_order_release);
}

// Called once per view, by whoever took it out of g_current.
void retire(View* v) {
    v->state.store(kRetired, std::memory_order_relaxed);
    unpin(v);
}

View* claim() {
    for (View& v : g_views) {
        uint32_t expected = kFree;
        if (v.state.compare_exchange_strong(expected, kFilling, std::memory_order_acquire,
                                            std::memory_order_relaxed))
            return &v;
    }
    return nullptr;
}

// Whether the pinned view may answer at now.  No system call unless the
// second changed (one stat per process per second) or the file is the
// caller's own rather than root's (geteuid).
bool still_current(View* v, int64_t now) {
    if (v->state.load(std::memory_order_acquire) != kLive) return false;
    if (v->snapshot.superseded()) return false;
    if (memcmp(v->map.data, v->header, sizeof v->header) != 0) return false;
    if (v->map.own_file && geteuid() != v->map.id.uid) return false;
    int64_t seen = v->checked.load(std::memory_order_relaxed);
    // One thread per second stats; the others go on with the view meanwhile.
    if (seen != now && v->checked.compare_exchange_strong(seen, now, std::memory_order_relaxed) &&
        !still_at_path(v->map.id))
        return false;
    return true;
}

}  // namespace

CurrentSnapshot::~CurrentSnapshot() {
    if (view_) unpin(view_);
    unmap_snapshot(&local_);
}

int CurrentSnapshot::acquire() {
    now_ = int64_t(time(nullptr));  // vDSO
    View* v = g_current.load(std::memory_order_acquire);
    if (v && pin(v)) {
        if (still_current(v, now_)) {
            view_ = v;
            snapshot_ = &v->snapshot;
            return 0;
        }
        View* expected = v;
        if (g_current.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel))
            retire(v);
        unpin(v);
    }
    return map_again();
}

int CurrentSnapshot::map_again() {
    Mapping m;
    snapshot::Snapshot s;
    if (int error = map_snapshot(&m, &s)) return error;
    View* v = s.superseded() ? nullptr : claim();
    if (!v) {
        // A file already marked superseded (renamed back by hand) is read for
        // this call only, so the next call looks at the path again.
        local_ = m;
        local_snapshot_ = s;
        snapshot_ = &local_snapshot_;
        return 0;
    }
    v->map = m;
    v->snapshot = s;
    memcpy(v->header, m.data, sizeof v->header);
    v->checked.store(now_, std::memory_order_relaxed);
    v->state.store(kLive, std::memory_order_relaxed);
    v->refs.store(2, std::memory_order_release);  // current, and this call
    if (View* old = g_current.exchange(v, std::memory_order_acq_rel)) retire(old);
    view_ = v;
    snapshot_ = &v->snapshot;
    return 0;
}

}  // namespace jit::nss
