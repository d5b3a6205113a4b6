// A request for access under policy, and the approvals it collects.  Plain
// data shared by the request desk, its store and the dispatch layer.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/model/grant.h"
#include "jit/values.h"
#include "jit/result.h"

namespace jit::daemon {

using proto::RequestState;
using proto::Verdict;

struct Approval {
    std::string request_id;
    uid_t approver = 0;
    Verdict verdict = Verdict::Approve;
    Time at = 0;
    std::string comment;
    std::optional<uint64_t> duration;  // the approver shortened the request to this
};

enum class RequestKind {
    Request,   // asked for with jitctl request
    Implicit,  // created by a PAM check under an implicit rule
};

struct Request {
    std::string id;  // "r-" + 8 characters, unique forever
    RequestKind kind = RequestKind::Request;
    std::string user;
    std::vector<std::string> services;
    std::string source;  // "" any, "local", or a canonical CIDR
    Time not_before = 0;
    uint64_t duration = 0;
    bool start_on_approval = false;  // not_before is set when approved
    std::string reason, ticket;
    uid_t requester = 0;
    std::string rule;
    uint32_t required = 0;  // approvals needed; 0: approved by policy
    std::vector<std::string> approver_groups;
    std::vector<std::string> risk;  // signal names
    // The sudo command scope asked for (within the rule's); empty: the rule's.
    std::vector<std::string> commands, runas;
    Time created = 0;
    Time expires = 0;  // a pending request expires here
    RequestState state = RequestState::Pending;
    std::optional<Time> decided_at;
    std::optional<uid_t> decided_by;
    std::string comment;
    std::string grant_id;
    std::vector<Approval> approvals;
    // Set when a verified workload token made the request.  spent_keys and
    // spent_until are the token's replay keys and how long to remember them:
    // written with the request's first row, in its transaction, never read back.
    WorkloadIdentity identity;
    std::vector<std::string> spent_keys;
    Time spent_until = 0;

    Time not_after() const { return not_before + Time(duration); }
    size_t approvals_given() const;
};

// What the request desk is asked.  REQUEST_CREATE: a request for access.
struct RequestAsk {
    std::string user;
    std::vector<std::string> services;
    uint64_t duration = 0;
    std::string reason, ticket, source;
    std::optional<Time> not_before;  // book-ahead start
    bool start_on_approval = false;
    std::vector<std::string> commands, runas;  // sudo command scope, within the rule's
    std::string id_token;  // a workload's OIDC token: the request is that workload's
};
// REQUEST_CANCEL, _APPROVE, _DENY, _SHOW: a step on one request.
struct RequestStep {
    std::string id;
    std::string comment;
    std::optional<uint64_t> duration;   // approve: shorten to
    std::string source;                 // approve: narrow to
    std::vector<std::string> services;  // approve: narrow to
};
// REQUEST_LIST: which requests.
struct RequestFilter {
    std::string user;  // empty: everyone's
    bool pending_only = false;
};
// IDENTITY_LOGIN: a workload logging in with its token (pam_jit's auth phase).
struct LoginAsk {
    std::string user, service, rhost;
    std::string id_token;  // a bearer secret: never logged
};

const char* state_name(RequestState s);

// "r-" + 8 characters of the grant id alphabet, from getrandom().
Result<std::string> new_request_id();
bool valid_request_id(std::string_view id);

}  // namespace jit::daemon
