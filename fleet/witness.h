// Witnessing other hosts' audit logs: a host whose trust file gives
// [host X] audit_key checks each checkpoint X publishes against the last one
// it co-signed from X, and co-signs it only if the log was only appended to
// (RFC 9162 consistency proof).  A smaller size (rollback), the same size
// with another root, or a proof that does not hold (a rewritten or forked
// log) is refused, and the witness keeps what it last co-signed, so every
// later checkpoint of that log is refused too until an operator looks.
// Pure logic; the daemon journals the verdicts and writes the cosignatures.
#pragma once

#include <stdint.h>

#include <map>
#include <string>

#include "fleet/audit_feed.h"
#include "fleet/error.h"
#include "fleet/trust.h"

namespace jit::fleet {

struct Witnessed {
    uint64_t size = 0;
    audit::Hash root{};
};
using WitnessState = std::map<std::string, Witnessed>;  // host -> last co-signed

struct Verdict {
    enum Kind { Cosign, Ignore, Refuse } kind = Ignore;
    std::string reason;            // Refuse: what is wrong; Cosign: "first" or "consistent"
    audit::Checkpoint checkpoint;  // Cosign: what is co-signed
};

class Witness {
public:
    explicit Witness(WitnessState state) : state_(std::move(state)) {}
    // p was read (and its envelope verified) at its key.  live: it arrived
    // through the watch (a new write); on a resync, older history is skipped.
    Verdict check(const FleetConfig& c, const Publication& p, bool live);
    const WitnessState& state() const { return state_; }

private:
    WitnessState state_;
};

// The cosignature record's body (kind cosignature, signed by the witness).
std::string cosignature_body(const std::string& host, const audit::Checkpoint& c,
                             const std::string& note, int64_t at);

// STATE_DIR/witness.json: what this host last co-signed from each host.
Result<WitnessState, Failure> load_witness_state(const std::string& dir);
Result<void, Failure> save_witness_state(const std::string& dir, const WitnessState& s);

}  // namespace jit::fleet
