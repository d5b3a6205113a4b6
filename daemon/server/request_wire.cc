#include "daemon/server/request_wire.h"

namespace jit::daemon {

namespace {

proto::CondState to_wire(CondState s) {
    switch (s) {
        case CondState::Holds:
            return proto::CondState::Holds;
        case CondState::Fails:
            return proto::CondState::Fails;
        case CondState::Needs:
            return proto::CondState::Needs;
    }
    return proto::CondState::Fails;
}

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
    m.commands = r.commands;
    m.runas = r.runas;
    m.identity_name = r.identity.name;
    m.identity_issuer = r.identity.issuer;
    m.identity_subject = r.identity.subject;
    m.identity_claims = r.identity.claims;
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

RequestAsk from_wire(const msg::RequestCreate& m) {
    RequestAsk a;
    a.user = m.user;
    a.services = m.services;
    a.duration = m.duration;
    a.reason = m.reason;
    a.ticket = m.ticket;
    a.source = m.source;
    a.not_before = m.not_before;
    a.start_on_approval = m.start_on_approval;
    a.commands = m.commands;
    a.runas = m.runas;
    a.id_token = m.id_token;
    return a;
}

RequestStep from_wire(const msg::RequestAction& m) {
    return RequestStep{m.id, m.comment, m.duration, m.source, m.services};
}

RequestFilter from_wire(const msg::RequestQuery& m) {
    return RequestFilter{m.user, m.pending_only};
}

LoginAsk from_wire(const msg::IdentityLoginRequest& m) {
    return LoginAsk{m.user, m.service, m.rhost, m.id_token};
}

ExplainQuestion from_wire(const msg::ExplainQuery& q) {
    return ExplainQuestion{q.user, q.service, q.rhost, q.at};
}

msg::ExplainReply to_wire(const Explanation& e) {
    msg::ExplainReply reply;
    reply.now = e.now;
    reply.at = e.at;
    reply.managed = e.managed;
    reply.decision = e.allow ? proto::Decision::Allow : proto::Decision::Deny;
    reply.reason = e.reason;
    reply.rule = e.rule;
    reply.grant_id = e.grant_id;
    reply.not_after = e.not_after;
    for (const auto& r : e.rules) reply.rules.push_back({r.name, r.kind, r.origin, r.outcome});
    for (const auto& c : e.conditions)
        reply.conditions.push_back({c.rule, c.name, to_wire(c.state), c.detail});
    for (const auto& r : e.pending) append_request(r, reply.requests, reply.approvals);
    return reply;
}

}  // namespace jit::daemon
