#include <errno.h>

#include "jit/request_messages.h"

#include "frame_build.h"

namespace jit::msg {

using detail::add_optional;
using detail::build;
using proto::FieldTag;
using proto::MsgType;
using wire::FieldIterator;
using wire::FieldView;
using wire::FrameWriter;

namespace {

void add_request(FrameWriter& w, const RequestRecord& r) {
    w.begin_record(FieldTag::Request);
    w.add_string(FieldTag::RequestId, r.id);
    w.add_string(FieldTag::User, r.user);
    for (const auto& s : r.services) w.add_string(FieldTag::Service, s);
    add_optional(w, FieldTag::Source, r.source);
    w.add_i64(FieldTag::NotBefore, r.not_before);
    w.add_i64(FieldTag::NotAfter, r.not_after);
    w.add_u64(FieldTag::Duration, r.duration);
    if (r.start_on_approval) w.add_bool(FieldTag::StartOnApproval, true);
    add_optional(w, FieldTag::Reason, r.reason);
    add_optional(w, FieldTag::Ticket, r.ticket);
    w.add_u64(FieldTag::Requester, r.requester);
    w.add_string(FieldTag::Rule, r.rule);
    w.add_u64(FieldTag::Required, r.required);
    for (const auto& g : r.approver_groups) w.add_string(FieldTag::ApproverGroup, g);
    for (const auto& s : r.risk) w.add_string(FieldTag::Risk, s);
    w.add_i64(FieldTag::Created, r.created);
    w.add_i64(FieldTag::Expires, r.expires);
    w.add_u64(FieldTag::RequestState, uint64_t(r.state));
    if (r.decided_at) w.add_i64(FieldTag::DecidedAt, *r.decided_at);
    if (r.decided_by) w.add_u64(FieldTag::DecidedBy, *r.decided_by);
    add_optional(w, FieldTag::Comment, r.comment);
    add_optional(w, FieldTag::GrantId, r.grant_id);
    w.end_record();
}

void add_approval(FrameWriter& w, const ApprovalRecord& a) {
    w.begin_record(FieldTag::Approval);
    w.add_string(FieldTag::RequestId, a.request_id);
    w.add_u64(FieldTag::Approver, a.approver);
    w.add_u64(FieldTag::Verdict, uint64_t(a.verdict));
    w.add_i64(FieldTag::At, a.at);
    add_optional(w, FieldTag::Comment, a.comment);
    if (a.duration) w.add_u64(FieldTag::Duration, *a.duration);
    w.end_record();
}

void read_request_field(RequestRecord& r, const FieldView& f) {
    switch (f.tag) {
        case FieldTag::RequestId:
            r.id = f.str();
            break;
        case FieldTag::User:
            r.user = f.str();
            break;
        case FieldTag::Service:
            r.services.emplace_back(f.str());
            break;
        case FieldTag::Source:
            r.source = f.str();
            break;
        case FieldTag::NotBefore:
            r.not_before = f.i64();
            break;
        case FieldTag::NotAfter:
            r.not_after = f.i64();
            break;
        case FieldTag::Duration:
            r.duration = f.u64();
            break;
        case FieldTag::StartOnApproval:
            r.start_on_approval = f.boolean();
            break;
        case FieldTag::Reason:
            r.reason = f.str();
            break;
        case FieldTag::Ticket:
            r.ticket = f.str();
            break;
        case FieldTag::Requester:
            r.requester = f.u64();
            break;
        case FieldTag::Rule:
            r.rule = f.str();
            break;
        case FieldTag::Required:
            r.required = f.u64();
            break;
        case FieldTag::ApproverGroup:
            r.approver_groups.emplace_back(f.str());
            break;
        case FieldTag::Risk:
            r.risk.emplace_back(f.str());
            break;
        case FieldTag::Created:
            r.created = f.i64();
            break;
        case FieldTag::Expires:
            r.expires = f.i64();
            break;
        case FieldTag::RequestState:
            r.state = proto::RequestState(f.u64());
            break;
        case FieldTag::DecidedAt:
            r.decided_at = f.i64();
            break;
        case FieldTag::DecidedBy:
            r.decided_by = f.u64();
            break;
        case FieldTag::Comment:
            r.comment = f.str();
            break;
        case FieldTag::GrantId:
            r.grant_id = f.str();
            break;
        default:
            break;  // the schema admits nothing else
    }
}

RequestRecord decode_request(const FieldView& record) {
    RequestRecord r;
    FieldIterator it(record);
    FieldView f;
    while (it.next(&f)) read_request_field(r, f);
    return r;
}

ApprovalRecord decode_approval(const FieldView& record) {
    ApprovalRecord a;
    FieldIterator it(record);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == FieldTag::RequestId) a.request_id = f.str();
        if (f.tag == FieldTag::Approver) a.approver = f.u64();
        if (f.tag == FieldTag::Verdict) a.verdict = proto::Verdict(f.u64());
        if (f.tag == FieldTag::At) a.at = f.i64();
        if (f.tag == FieldTag::Comment) a.comment = f.str();
        if (f.tag == FieldTag::Duration) a.duration = f.u64();
    }
    return a;
}

RuleReportRecord decode_rule_report(const FieldView& record) {
    RuleReportRecord r;
    FieldIterator it(record);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == FieldTag::Rule) r.rule = f.str();
        if (f.tag == FieldTag::Kind) r.kind = f.str();
        if (f.tag == FieldTag::RuleOrigin) r.origin = f.str();
        if (f.tag == FieldTag::Outcome) r.outcome = f.str();
    }
    return r;
}

ConditionRecord decode_condition(const FieldView& record) {
    ConditionRecord c;
    FieldIterator it(record);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == FieldTag::Rule) c.rule = f.str();
        if (f.tag == FieldTag::CondName) c.name = f.str();
        if (f.tag == FieldTag::CondState) c.state = proto::CondState(f.u64());
        if (f.tag == FieldTag::Detail) c.detail = f.str();
    }
    return c;
}

}  // namespace

Result<Frame> encode(const RequestCreate& m, uint32_t id) {
    return build(MsgType::RequestCreate, id, [&](FrameWriter& w) {
        w.add_string(FieldTag::User, m.user);
        for (const auto& s : m.services) w.add_string(FieldTag::Service, s);
        w.add_u64(FieldTag::Duration, m.duration);
        add_optional(w, FieldTag::Reason, m.reason);
        add_optional(w, FieldTag::Ticket, m.ticket);
        add_optional(w, FieldTag::Source, m.source);
        if (m.not_before) w.add_i64(FieldTag::NotBefore, *m.not_before);
        if (m.start_on_approval) w.add_bool(FieldTag::StartOnApproval, true);
    });
}

Result<Frame> encode(MsgType type, const RequestAction& m, uint32_t id) {
    return build(type, id, [&](FrameWriter& w) {
        w.add_string(FieldTag::RequestId, m.id);
        if (type == MsgType::RequestShow) return;
        add_optional(w, FieldTag::Comment, m.comment);
        if (type != MsgType::RequestApprove) return;
        if (m.duration) w.add_u64(FieldTag::Duration, *m.duration);
        add_optional(w, FieldTag::Source, m.source);
        for (const auto& s : m.services) w.add_string(FieldTag::Service, s);
    });
}

Result<Frame> encode(const RequestQuery& m, uint32_t id) {
    return build(MsgType::RequestList, id, [&](FrameWriter& w) {
        add_optional(w, FieldTag::User, m.user);
        if (m.pending_only) w.add_bool(FieldTag::PendingOnly, true);
    });
}

Result<Frame> encode(MsgType type, const RequestList& m, uint32_t id) {
    return build(type, id, [&](FrameWriter& w) {
        if (type == MsgType::RequestListReply) w.add_i64(FieldTag::Now, m.now.value_or(0));
        for (const auto& r : m.requests) add_request(w, r);
        for (const auto& a : m.approvals) add_approval(w, a);
    });
}

Result<Frame> encode(const ExplainQuery& m, uint32_t id) {
    return build(MsgType::ExplainRequest, id, [&](FrameWriter& w) {
        w.add_string(FieldTag::User, m.user);
        w.add_string(FieldTag::Service, m.service);
        add_optional(w, FieldTag::Rhost, m.rhost);
        if (m.at) w.add_i64(FieldTag::At, *m.at);
    });
}

Result<Frame> encode(const ExplainReply& m, uint32_t id) {
    return build(MsgType::ExplainReply, id, [&](FrameWriter& w) {
        w.add_i64(FieldTag::Now, m.now);
        w.add_i64(FieldTag::At, m.at);
        w.add_bool(FieldTag::Managed, m.managed);
        w.add_u64(FieldTag::Decision, uint64_t(m.decision));
        w.add_string(FieldTag::Reason, m.reason);
        w.add_string(FieldTag::Rule, m.rule);
        add_optional(w, FieldTag::GrantId, m.grant_id);
        if (m.not_after) w.add_i64(FieldTag::NotAfter, *m.not_after);
        for (const auto& r : m.rules) {
            w.begin_record(FieldTag::RuleReport);
            w.add_string(FieldTag::Rule, r.rule);
            w.add_string(FieldTag::Kind, r.kind);
            w.add_string(FieldTag::RuleOrigin, r.origin);
            w.add_string(FieldTag::Outcome, r.outcome);
            w.end_record();
        }
        for (const auto& c : m.conditions) {
            w.begin_record(FieldTag::Condition);
            w.add_string(FieldTag::Rule, c.rule);
            w.add_string(FieldTag::CondName, c.name);
            w.add_u64(FieldTag::CondState, uint64_t(c.state));
            w.add_string(FieldTag::Detail, c.detail);
            w.end_record();
        }
        for (const auto& r : m.requests) add_request(w, r);
        for (const auto& a : m.approvals) add_approval(w, a);
    });
}

RequestCreate decode_request_create(const wire::MessageView& v) {
    RequestCreate m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == FieldTag::User) m.user = f.str();
        if (f.tag == FieldTag::Service) m.services.emplace_back(f.str());
        if (f.tag == FieldTag::Duration) m.duration = f.u64();
        if (f.tag == FieldTag::Reason) m.reason = f.str();
        if (f.tag == FieldTag::Ticket) m.ticket = f.str();
        if (f.tag == FieldTag::Source) m.source = f.str();
        if (f.tag == FieldTag::NotBefore) m.not_before = f.i64();
        if (f.tag == FieldTag::StartOnApproval) m.start_on_approval = f.boolean();
    }
    return m;
}

RequestAction decode_request_action(const wire::MessageView& v) {
    RequestAction m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == FieldTag::RequestId) m.id = f.str();
        if (f.tag == FieldTag::Comment) m.comment = f.str();
        if (f.tag == FieldTag::Duration) m.duration = f.u64();
        if (f.tag == FieldTag::Source) m.source = f.str();
        if (f.tag == FieldTag::Service) m.services.emplace_back(f.str());
    }
    return m;
}

RequestQuery decode_request_query(const wire::MessageView& v) {
    RequestQuery m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == FieldTag::User) m.user = f.str();
        if (f.tag == FieldTag::PendingOnly) m.pending_only = f.boolean();
    }
    return m;
}

RequestList decode_request_list(const wire::MessageView& v) {
    RequestList m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == FieldTag::Now) m.now = f.i64();
        if (f.tag == FieldTag::Request) m.requests.push_back(decode_request(f));
        if (f.tag == FieldTag::Approval) m.approvals.push_back(decode_approval(f));
    }
    return m;
}

ExplainQuery decode_explain_query(const wire::MessageView& v) {
    ExplainQuery m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == FieldTag::User) m.user = f.str();
        if (f.tag == FieldTag::Service) m.service = f.str();
        if (f.tag == FieldTag::Rhost) m.rhost = f.str();
        if (f.tag == FieldTag::At) m.at = f.i64();
    }
    return m;
}

ExplainReply decode_explain_reply(const wire::MessageView& v) {
    ExplainReply m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        switch (f.tag) {
            case FieldTag::Now:
                m.now = f.i64();
                break;
            case FieldTag::At:
                m.at = f.i64();
                break;
            case FieldTag::Managed:
                m.managed = f.boolean();
                break;
            case FieldTag::Decision:
                m.decision = proto::Decision(f.u64());
                break;
            case FieldTag::Reason:
                m.reason = f.str();
                break;
            case FieldTag::Rule:
                m.rule = f.str();
                break;
            case FieldTag::GrantId:
                m.grant_id = f.str();
                break;
            case FieldTag::NotAfter:
                m.not_after = f.i64();
                break;
            case FieldTag::RuleReport:
                m.rules.push_back(decode_rule_report(f));
                break;
            case FieldTag::Condition:
                m.conditions.push_back(decode_condition(f));
                break;
            case FieldTag::Request:
                m.requests.push_back(decode_request(f));
                break;
            case FieldTag::Approval:
                m.approvals.push_back(decode_approval(f));
                break;
            default:
                break;
        }
    }
    return m;
}

}  // namespace jit::msg
