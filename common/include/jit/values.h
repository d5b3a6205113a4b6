// The values the protocol's fields carry and the limits on them: the
// vocabulary jitd's own logic shares with the wire (a decision, a grant's
// state, how many services a grant may name).  Split from protocol.h so that
// code below jitd's server (daemon/LAYERS) uses the words without the
// messages: frames, tags and message structs stay at the edge.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace jit::proto {

inline constexpr uint32_t kMaxString = 4096;
inline constexpr uint32_t kMaxServices = 16;         // services named in one grant or request
inline constexpr uint32_t kMaxRecords = 1000;        // records (or names) in one reply
inline constexpr uint64_t kMaxUses = 1000000;        // largest Uses a grant may carry
inline constexpr uint32_t kMaxGroups = 16;           // jit groups named in one grant or account
inline constexpr uint32_t kMaxListedRequests = 100;  // requests in one list or explain reply
inline constexpr uint32_t kMaxTicket = 128;          // bytes of a Ticket
inline constexpr uint32_t kMaxApproverGroups = 16;   // approver groups named by one request
inline constexpr uint32_t kMaxRisks = 8;             // risk signals on one request
inline constexpr uint32_t kMaxArgs = 256;            // argv words in one command check
inline constexpr uint32_t kMaxEnvSet = 64;           // EnvSet names in one command check
inline constexpr uint32_t kMaxCommandScopes = 16;    // command patterns in one grant or request
inline constexpr uint32_t kMaxRunasScopes = 16;      // runas accounts in one grant or request
inline constexpr uint32_t kMaxIdToken = 16 * 1024;   // bytes of an IdToken (the only longer string)
inline constexpr uint32_t kMaxIdentityClaims = 16;   // matched claims on one grant or request
// Approvals in a reply: at most kMaxServices per request, for every request listed.
inline constexpr uint32_t kMaxApprovals = kMaxListedRequests * kMaxServices;

// ---- values carried in U64 fields ----

enum class Decision : uint64_t {
    Deny = 1,
    Allow = 2,  // only ever sent explicitly; there is no default allow
};

enum class GrantState : uint64_t {
    Active = 1,   // in force now, or scheduled (NotBefore in the future)
    Expired = 2,  // NotAfter passed
    Revoked = 3,  // ended early by an administrator
};

enum class SessionState : uint64_t {
    Open = 1,        // admitted and running
    Closed = 2,      // pam_close_session reported its end
    Terminated = 3,  // ended by jitd (or jit-sweep) because no grant covers it any more
    Refused = 4,     // its open was refused; jitd ended whatever it had started
    Gone = 5,        // recorded in an earlier boot: its processes died with that boot
};

enum class AccountVisibility : uint64_t {
    Always = 1,   // resolves at any time
    Granted = 2,  // resolves only while a grant for it covers now
};

enum class AccountOrigin : uint64_t {
    Config = 1,  // an [account NAME] section of jitd.conf
    Jitctl = 2,  // jitctl account add
};

enum class RequestState : uint64_t {
    Pending = 1,
    Approved = 2,   // a grant was created (GrantId)
    Denied = 3,     // by an approver
    Expired = 4,    // nobody decided within the rule's pending_ttl
    Cancelled = 5,  // by the requester or an administrator
};

enum class Verdict : uint64_t {
    Approve = 1,
    Deny = 2,
};

enum class CondState : uint64_t {
    Holds = 1,
    Fails = 2,
    Needs = 3,  // a requirement of a request, not judged
};

}  // namespace jit::proto
