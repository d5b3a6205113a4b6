// The grant: jitd's unit of access.  Plain data shared by the pure logic
// (grant_book), the store and the dispatch layer.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "daemon/model/boxed.h"
#include "daemon/time/clock.h"
#include "jit/values.h"

namespace jit::daemon {

using proto::GrantState;

// The workload a grant or request was made for, from its verified OIDC
// token (jit-identity(5)): never the token itself, only its digest.
struct WorkloadIdentity {
    std::string name;                 // the identity.d section that verified it
    std::string issuer, subject;      // "iss" and "sub", exactly
    std::vector<std::string> claims;  // "name=value" for each claim the rule matched
    std::string token_digest;         // SHA-256 of the token, hex
    bool empty() const { return issuer.empty(); }
};

// How a grant ended: set on ended grants only (never on one in GrantBook).
struct GrantEnd {
    std::optional<Time> at;   // when expiry or revocation was recorded
    std::optional<uid_t> by;  // who revoked it
    std::string reason;       // revocation reason
    bool empty() const { return !at && !by && reason.empty(); }
};

// jitd holds every active grant in memory (100,000 of them in 50 MB is a
// goal): members are ordered so no padding falls between them, and what is
// empty on almost every active grant is Boxed (see boxed.h): one pointer.
struct Grant {
    std::string id;  // "g-" + 8 characters, unique forever
    std::string user;
    std::vector<std::string> services;  // PAM service names, at least one
    std::string source;                 // CIDR the PAM_RHOST must fall in; "local"; empty: any
    std::string reason;
    Time not_before = 0;  // inclusive
    Time not_after = 0;   // exclusive: at not_after the grant is over
    Time created = 0;
    GrantState state = GrantState::Active;
    uid_t granted_by = 0;
    // Task-bound grants: end with the first session they admitted, and/or
    // admit at most `uses` times (an admission is an allowed account check,
    // or a session open that no check preceded).
    bool until_session_end = false;
    std::optional<uint32_t> uses;
    std::optional<uint32_t> uses_left;       // present exactly when uses is
    Boxed<GrantEnd> ended;                   // set when the grant was revoked or expired
    Boxed<std::vector<std::string>> groups;  // jit groups the user is in during the window (NSS)
    // Command scope for sudo (jit_sudo.so, jit-policy(5) COMMANDS): when not
    // empty, sudo runs only commands matching one of these patterns, as one
    // of runas (empty: root), and `uses` counts commands.
    Boxed<std::vector<std::string>> commands;
    Boxed<std::vector<std::string>> runas;
    // Set when jit-fleet created the grant to mirror a fleet grant (its id,
    // "fg-..."): such a grant decides checks only while jit-fleet keeps it
    // fresh (FLEET_FRESH; see GrantBook::check).  Empty: a local grant.
    Boxed<std::string> fleet_id;
    // Set when a verified workload token asked for the grant.
    Boxed<WorkloadIdentity> identity;
};

// Decisions and expiry are computed against an injected clock so tests can
// stand at the exact second a grant ends.
}  // namespace jit::daemon
