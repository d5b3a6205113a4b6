// /etc/jit/fleet.conf (jit-fleet.conf(5)): this host's place in the fleet and
// the trust file every fleet record is checked against.  Parsing is pure: the
// caller reads the file; keys are decoded here so a bad key is a config error.
//
//   [fleet]                 this host
//   host = web-1            its name (the etcd key /jit/v1/hosts/web-1)
//   labels = role=web, env=prod
//   key = /etc/jit/fleet/host.key           Ed25519 private key (PEM)
//   endpoints = http://127.0.0.1:2379, ...  etcd members (JSON gateway)
//   user = web-1 / password_file = ...      etcd user for RBAC (optional)
//   max_staleness = 60s     cut off from etcd longer than this: see offline
//   offline = deny          deny: fleet grants refused for new sessions; keep
//   approvals = 2           distinct approvals a fleet grant must carry here
//
//   admin_socket = /run/jit/jit-fleet.sock  where jitctl --fleet reaches jit-fleet
//
//   [person bob]            a person who acts on the fleet from this host
//   users = bob, 1001       the local accounts (names or uids) that are bob
//   may = request, approve, revoke   what bob may do here (default: request)
//
//   [host admin-1]          a host whose records this host believes
//   key = BASE64            its Ed25519 public key (raw 32 bytes)
//   may = approve, grant, revoke    what it may sign (request is implied)
//   for = role=web env=prod; role=db  selectors of the hosts it acts for
//   audit_key = NAME+ID+KEY  its audit log's checkpoint verifier key: this
//                            host witnesses that log (co-signs its checkpoints)
#pragma once

#include <openssl/evp.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/audit/audit.h"
#include "fleet/record.h"
#include "fleet/error.h"
#include "jit/result.h"

namespace jit::fleet {

using Labels = std::map<std::string, std::string>;
// A selector matches a host whose labels include every pair; {} matches all.
using Selector = Labels;

enum class Offline { Deny, Keep };

enum Permission : unsigned { kRequest = 1, kApprove = 2, kGrant = 4, kRevoke = 8 };

struct TrustedHost {
    std::string name;
    std::shared_ptr<EVP_PKEY> key;
    unsigned may = kRequest;
    std::vector<Selector> acts_for;  // empty: no host
    // Set: this host is a witness of that host's audit log.
    std::optional<daemon::audit::VerifierKey> audit_key;
};

// A person: the name fleet records carry (requester, approver, revoker),
// vouched for by this host's key, and the local accounts that act as them.
struct Person {
    std::string name;
    std::vector<std::string> users;  // local account names
    std::vector<uint32_t> uids;      // or uids
    unsigned may = kRequest;         // kRequest, kApprove, kRevoke
};

inline constexpr const char* kDefaultAdminSocket = "/run/jit/jit-fleet.sock";

struct FleetConfig {
    std::string host;
    Labels labels;
    std::string key_path;
    std::vector<std::string> endpoints;
    std::string user, password_file, ca_file;
    uint64_t max_staleness = 60;
    Offline offline = Offline::Deny;
    unsigned approvals = 1;
    std::map<std::string, TrustedHost> trusted;
    std::string admin_socket = kDefaultAdminSocket;
    std::map<std::string, Person> people;
};

// "role=web, env=prod"
Result<Labels, Failure> parse_labels(std::string_view text);
// "a=b c=d; e=f", "*"
Result<std::vector<Selector>, Failure> parse_selectors(std::string_view text);
bool selector_matches(const Selector& s, const Labels& labels);
// A host, person or label name: 1-63 of letters, digits, - _ .
bool valid_fleet_name(std::string_view s);
std::string format_labels(const Labels& labels);  // "env=prod,role=web"

// Parses fleet.conf's text; errors read "name:line: key: message".
Result<FleetConfig, Failure> parse_fleet_config(const std::string& text, const std::string& name);

// Whether signer may sign `permission` records for a host with these labels.
bool trusted_for(const FleetConfig& c, const std::string& signer, Permission permission,
                 const Labels& target);

}  // namespace jit::fleet
