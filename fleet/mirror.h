// What this host does with the fleet records it reads: pure logic with an
// injected time, so the rules (mirror a verified grant once, apply a
// revocation on arrival, never mirror a revoked grant again, refuse fleet
// grants while cut off from etcd) are unit-tested without etcd or jitd.
// The daemon (main.cc) feeds it records and carries out the actions.
#pragma once

#include <stdint.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fleet/records.h"

namespace jit::fleet {

struct Mirrored {
    std::string local_id;  // jitd's grant id
    std::string account;
    int64_t not_after = 0;
};

// Persisted by the daemon between runs (state.json).
struct MirrorState {
    std::map<std::string, Mirrored> mirrored;  // fleet grant id -> the local grant
    std::map<std::string, int64_t> revoked;    // fleet grant id -> its not_after (kept until then)
    int64_t revision = 0;                      // next etcd revision to watch from (0: resync)
};

struct Action {
    enum Kind { Mirror, Revoke, Refused } kind;
    std::string fleet_id;
    std::optional<GrantRecord> grant;  // Mirror
    std::string local_id;              // Revoke
    std::string reason;                // Revoke: why; Refused: what was wrong
    std::string key;                   // Refused: the etcd key
};

class Mirror {
public:
    Mirror(const FleetConfig& config, MirrorState state)
        : config_(config), state_(std::move(state)) {}

    // A record was put at key (a full resync feeds every key the same way).
    std::vector<Action> on_put(const std::string& key, const std::string& value, int64_t now);
    // A key was deleted.  A grant key deleted before its not_after ends the
    // local grant: deletion can only take access away (fail closed).
    std::vector<Action> on_delete(const std::string& key, int64_t now);
    // Heard from etcd (a successful read or watch window) at now.
    void heard(int64_t now) { last_heard_ = now; }
    // Staleness and housekeeping, called every loop.  With offline = deny and
    // nothing heard for max_staleness, every mirrored grant is ended locally
    // (and mirrored again once etcd answers and a resync confirms it).
    std::vector<Action> tick(int64_t now);

    // The daemon reports what jitd did: Mirror succeeded with local_id, or
    // Revoke succeeded (or found the grant already gone).
    void mirrored(const GrantRecord& g, const std::string& local_id);
    void unmirrored(const std::string& fleet_id);

    // What jit-fleet tells jitd (FLEET_FRESH): fleet grants may decide until
    // then.  offline = deny: max_staleness after etcd last answered (0 if it
    // never did); keep: max_staleness from now, as long as jit-fleet runs.
    int64_t fresh_until(int64_t now) const {
        int64_t window = int64_t(config_.max_staleness);
        if (config_.offline == Offline::Keep) return now + window;
        return last_heard_ == 0 ? 0 : last_heard_ + window;
    }
    bool cut_off(int64_t now) const {
        return last_heard_ == 0 || now - last_heard_ > int64_t(config_.max_staleness);
    }
    const MirrorState& state() const { return state_; }
    MirrorState& state() { return state_; }

private:
    std::vector<Action> revoke(const std::string& fleet_id, const std::string& reason,
                               int64_t not_after);

    const FleetConfig& config_;
    MirrorState state_;
    int64_t last_heard_ = 0;
};

}  // namespace jit::fleet
