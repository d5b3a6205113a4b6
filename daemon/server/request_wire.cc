#include "daemon/server/request_wire.h"

namespace jit::daemon {

namespace {

msg::RequestRecord to_record(const Request& r) {
    msg::RequestRecord m;
    m.id = r.id;
    m.user = r.user;
    m.services = r.services;
    m.source = r.source;
    m.not_before = r.not_before;
    m.not_after = r.not_after();
    m.duration = r.duration;
    m.start_on_approval = r.start_on_approval;
    m.reason = r.reason;
    m.ticket = r.ticket;
    m.requester = r.requester;
    m.rule = r.rule;
    m.required = r.required;
    m.approver_groups = r.approver_groups;
    m.risk = r.risk;
    m.created = r.created;
    m.expires = r.expires;
    m.state = r.state;
    m.decided_at = r.decided_at;
    if (r.decided_by) m.decided_by = uint64_t(*r.decided_by);
    m.comment = r.comment;
    m.grant_id = r.grant_id;
    return m;
}

}  // namespace

void append_request(const Request& r, std::vector<msg::RequestRecord>& requests,
                    std::vector<msg::ApprovalRecord>& approvals) {
    requests.push_back(to_record(r));
    for (const auto& a : r.approvals)
        approvals.push_back({a.request_id, a.approver, a.verdict, a.at, a.comment, a.duration});
}

}  // namespace jit::daemon
