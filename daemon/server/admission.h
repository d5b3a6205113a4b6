// Who may hold a connection on the public socket.  Any local user may
// connect there, so one user could otherwise hold every slot: each uid gets
// a share, the whole socket a ceiling, and a refusal is journaled at most
// once per uid and window (a flood must not become a journal flood).
// Pure bookkeeping; the caller owns the clock and the sockets.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <unordered_map>

namespace jit::daemon {

class Admission {
public:
    struct Limits {
        size_t max_connections = 256;  // the whole public socket
        size_t max_per_uid = 32;       // one uid's share of it
    };
    enum class Verdict { Admit, OverTotal, OverUid };

    explicit Admission(Limits limits) : limits_(limits) {}
    void set_limits(Limits limits) { limits_ = limits; }

    // Admits (and counts) a connection from uid, or says which cap it hit.
    Verdict admit(uid_t uid);
    // A connection admitted for uid has closed.
    void release(uid_t uid);
    size_t open() const { return open_; }
    size_t open_for(uid_t uid) const;

    // Whether a refusal of uid at now_ms is journaled; when it is,
    // *held_back is how many were not since the last entry for that uid.
    bool should_journal(uid_t uid, uint64_t now_ms, uint64_t* held_back);

    static constexpr uint64_t kJournalWindowMs = 10000;

private:
    struct Quiet {
        uint64_t last_ms = 0;
        uint64_t held_back = 0;
    };
    Limits limits_;
    size_t open_ = 0;
    std::unordered_map<uid_t, size_t> per_uid_;
    std::unordered_map<uid_t, Quiet> quiet_;
};

}  // namespace jit::daemon
