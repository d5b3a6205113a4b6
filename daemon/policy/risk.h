// Risk signals: how a request or an implicit grant deviates from what an
// account usually does.  The baseline is kept by jitd (sources seen, hours
// of use, request counts); judging it is pure.
#pragma once

#include <stdint.h>

#include <array>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/identity/verifier.h"
#include "daemon/model/grant.h"
#include "daemon/policy/policy.h"

namespace jit::daemon {

struct Baseline {
    std::set<std::string> sources;     // source keys seen (see source_key)
    std::array<uint32_t, 24> hours{};  // uses per hour of the day, UTC
    uint32_t observations = 0;         // uses and grants recorded
};

// How a source is remembered: "local", "any", a canonical CIDR ("10.1.2.3/32"),
// or "host:NAME" for a PAM_RHOST that is a host name.
std::string source_key(std::string_view rhost_or_grant_source);

// How a workload token's claim is remembered: "workload:NAME=VALUE" for each
// claim rule r names that the token carries (a grant's matched claims, see
// WorkloadIdentity, give the same keys).  None without a token.
std::vector<std::string> workload_keys(const Rule& r, const identity::VerifiedToken* token);
std::string workload_key(const std::string& claim);  // "NAME=VALUE"

// The signals rule r watches that this event raises.  recent is the number of
// requests and implicit grants for the account in the last r.burst.period,
// this one not counted.  Until the baseline has r.risk_learn observations it
// judges nothing but bursts.
// workload: the token's keys (new-workload when one was not seen).
std::vector<RiskSignal> risk_signals(const Rule& r, const Baseline& b, std::string_view source_key,
                                     Time when, size_t recent,
                                     const std::vector<std::string>& workload = {});

std::string signal_list(const std::vector<RiskSignal>& signals);  // "new-source, burst"

}  // namespace jit::daemon
