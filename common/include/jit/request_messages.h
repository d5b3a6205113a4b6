// Typed forms of the policy, request and approval messages (protocol.h,
// types 40-49) for jitd and jitctl.  Same conventions as messages.h: members
// are named as in protocol.h's declarations, encode checks the frame
// against its schema, decode_* read frames wire::decode_frame validated.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include "jit/messages.h"

namespace jit::msg {

struct RequestCreate {
    std::string user;
    std::vector<std::string> services;
    uint64_t duration = 0;
    std::string reason, ticket, source;
    std::optional<int64_t> not_before;  // book-ahead start
    bool start_on_approval = false;
    std::vector<std::string> commands, runas;  // sudo command scope, within the rule's
    std::string id_token;  // a workload's OIDC token: the request is that workload's
};

struct RequestRecord {
    std::string id;
    std::string user;
    std::vector<std::string> services;
    std::string source;
    int64_t not_before = 0, not_after = 0;
    uint64_t duration = 0;
    bool start_on_approval = false;
    std::string reason, ticket;
    uint64_t requester = 0;
    std::string rule;
    uint64_t required = 0;
    std::vector<std::string> approver_groups;
    std::vector<std::string> risk;
    std::vector<std::string> commands, runas;  // the sudo command scope asked for
    int64_t created = 0, expires = 0;
    proto::RequestState state = proto::RequestState::Pending;
    std::optional<int64_t> decided_at;
    std::optional<uint64_t> decided_by;
    std::string comment;
    std::string grant_id;
    std::string identity_name, identity_issuer, identity_subject;  // see GrantRecord
    std::vector<std::string> identity_claims;
};

struct ApprovalRecord {
    std::string request_id;
    uint64_t approver = 0;
    proto::Verdict verdict = proto::Verdict::Approve;
    int64_t at = 0;
    std::string comment;
    std::optional<uint64_t> duration;  // shortened to
};

// REQUEST_REPLY (one request) and REQUEST_LIST_REPLY (many).
struct RequestList {
    std::optional<int64_t> now;  // list reply only
    std::vector<RequestRecord> requests;
    std::vector<ApprovalRecord> approvals;
};

struct RequestAction {  // REQUEST_CANCEL, _APPROVE, _DENY, _SHOW
    std::string id;
    std::string comment;
    std::optional<uint64_t> duration;   // approve: shorten to
    std::string source;                 // approve: narrow to
    std::vector<std::string> services;  // approve: narrow to
};

struct RequestQuery {  // REQUEST_LIST
    std::string user;
    bool pending_only = false;
};

struct ExplainQuery {
    std::string user, service, rhost;
    std::optional<int64_t> at;
    std::string id_token;  // explain a request by this workload
};

struct RuleReportRecord {
    std::string rule, kind, origin, outcome;
};

struct ConditionRecord {
    std::string rule, name;
    proto::CondState state = proto::CondState::Holds;
    std::string detail;
};

struct ExplainReply {
    int64_t now = 0, at = 0;
    bool managed = false;
    proto::Decision decision = proto::Decision::Deny;
    std::string reason, rule, grant_id;
    std::optional<int64_t> not_after;
    std::vector<RuleReportRecord> rules;
    std::vector<ConditionRecord> conditions;
    std::vector<RequestRecord> requests;
    std::vector<ApprovalRecord> approvals;
};

Result<Frame> encode(const RequestCreate& m, uint32_t request_id);
// type: RequestCancel, RequestApprove, RequestDeny or RequestShow.
Result<Frame> encode(proto::MsgType type, const RequestAction& m, uint32_t request_id);
Result<Frame> encode(const RequestQuery& m, uint32_t request_id);
// type: RequestReply (exactly one request) or RequestListReply.
Result<Frame> encode(proto::MsgType type, const RequestList& m, uint32_t request_id);
Result<Frame> encode(const ExplainQuery& m, uint32_t request_id);
Result<Frame> encode(const ExplainReply& m, uint32_t request_id);

RequestCreate decode_request_create(const wire::MessageView& v);
RequestAction decode_request_action(const wire::MessageView& v);
RequestQuery decode_request_query(const wire::MessageView& v);
RequestList decode_request_list(const wire::MessageView& v);
ExplainQuery decode_explain_query(const wire::MessageView& v);
ExplainReply decode_explain_reply(const wire::MessageView& v);

}  // namespace jit::msg
