// The fleet's records and their keys in etcd: the one place the schema and
// the etcd roles that guard it are written down (schema version v1; a change
// of layout is a new prefix).
//
//   /jit/v1/hosts/<host>                 kind host: {"host","labels","key","at"}
//                                        lease-bound: gone when the host stops heartbeating
//   /jit/v1/requests/<host>/<id>         kind request: {"id","account","services","hosts",
//                                        "duration","reason","requester","host","at"}
//                                        <host> is the requesting host, the signer
//   /jit/v1/approvals/<id>/<signer>.<approver>  kind approval: {"request","approver","at"}
//   /jit/v1/grants/<id>                  kind grant: {"id","request","account","services",
//                                        "hosts","not_before","not_after","reason",
//                                        "approvals":[approval envelopes]}
//   /jit/v1/revocations/<grant id>       kind revocation: {"grant","by","reason","at"}
//   /jit/v1/audit/<host>/checkpoint      kind audit-checkpoint: {"note","size","proof",
//                                        "from"}: <host>'s latest signed audit checkpoint
//                                        and the consistency proof from size `from`
//                                        (its previous published checkpoint)
//   /jit/v1/cosignatures/<witness>/<host>  kind cosignature: {"host","size","root",
//                                        "note","at"}: <witness> checked <host>'s
//                                        checkpoint against the last one it saw
//
// Every value is a signed envelope (record.h).  A grant ends at its signed
// not_after on each host's own clock; the etcd lease on a grant only collects
// garbage after it (etcd re-arms lease TTLs on leader change, so a lease is
// a minimum, never a security expiry).  A record is believed only when its
// key names the id its body carries and its signer is trusted for it.
//
// etcd RBAC (rbac.cc prints these as etcdctl commands: jit-fleet etcd-roles).
// One etcd user per host, named as the host, with one role jit-host-<host>:
//   read       /jit/v1/                  every host watches the whole schema
//   readwrite  /jit/v1/hosts/<host>      its own heartbeat
//   readwrite  /jit/v1/requests/<host>/  its own requests
//   readwrite  /jit/v1/audit/<host>/     its own audit checkpoints
//   readwrite  /jit/v1/cosignatures/<host>/  what it witnessed
// and, only for a host whose trust entry says may = approve / grant / revoke:
//   readwrite  /jit/v1/approvals/        (approve)
//   readwrite  /jit/v1/grants/           (grant: minted by the last approval)
//   readwrite  /jit/v1/revocations/      (revoke)
// So a web host's credentials cannot write an approval, a grant, a
// revocation or another host's keys: etcd refuses (403).  etcd's prefixes
// cannot tie an approval key to its signer, so between approver hosts the
// envelope's signature is what decides; the roles only keep everyone else
// out.  The gateway cannot authenticate by client certificate, hence users
// (password over TLS) rather than certificate common names.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "fleet/error.h"
#include "fleet/trust.h"
#include "jit/result.h"

namespace jit::fleet {

inline constexpr const char* kPrefix = "/jit/v1/";
inline constexpr const char* kHostsPrefix = "/jit/v1/hosts/";
inline constexpr const char* kRequestsPrefix = "/jit/v1/requests/";
inline constexpr const char* kApprovalsPrefix = "/jit/v1/approvals/";
inline constexpr const char* kGrantsPrefix = "/jit/v1/grants/";
inline constexpr const char* kRevocationsPrefix = "/jit/v1/revocations/";
inline constexpr const char* kAuditPrefix = "/jit/v1/audit/";
inline constexpr const char* kCosignaturesPrefix = "/jit/v1/cosignatures/";

inline std::string request_key(const std::string& host, const std::string& id) {
    return kRequestsPrefix + host + "/" + id;
}

struct ApprovalRecord {
    std::string signer;  // the approver's host
    std::string request;
    std::string approver;  // the person on that host
    int64_t at = 0;
};

struct GrantRecord {
    std::string signer;
    std::string id, request, account, reason;
    std::vector<std::string> services;
    Selector hosts;
    int64_t not_before = 0, not_after = 0;
    std::vector<ApprovalRecord> approvals;
};

struct RevocationRecord {
    std::string signer;
    std::string grant, by, reason;
    int64_t at = 0;
};

// Verify an envelope read at key against the trust file and decode its body.
// The caller passes this host's labels: a record about another host is
// refused with ENOENT ("not for this host"), a bad one with EBADMSG/EPERM and
// a reason worth journaling.
Result<GrantRecord, Failure> read_grant(const FleetConfig& c, const std::string& key,
                                        const std::string& value);
Result<RevocationRecord, Failure> read_revocation(const FleetConfig& c, const std::string& key,
                                                  const std::string& value);
Result<ApprovalRecord, Failure> read_approval(const FleetConfig& c, const std::string& value);

// Bodies, as the signer writes them.
std::string grant_body(const GrantRecord& g, const std::vector<std::string>& approval_envelopes);
std::string revocation_body(const RevocationRecord& r);
std::string approval_body(const ApprovalRecord& a);

// Request ids are "fr-" and grant ids "fg-" + the same 10 characters, from
// daemon::new_random_id.
inline constexpr size_t kFleetIdChars = 10;

}  // namespace jit::fleet
