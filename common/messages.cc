#include "jit/messages.h"

#include <errno.h>

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

void add_grant(FrameWriter& w, const GrantRecord& g) {
    w.begin_record(FieldTag::Grant);
    w.add_string(FieldTag::GrantId, g.id);
    w.add_string(FieldTag::User, g.user);
    for (const auto& s : g.services) w.add_string(FieldTag::Service, s);
    add_optional(w, FieldTag::Source, g.source);
    w.add_i64(FieldTag::NotBefore, g.not_before);
    w.add_i64(FieldTag::NotAfter, g.not_after);
    w.add_string(FieldTag::Reason, g.reason);
    w.add_u64(FieldTag::GrantedBy, g.granted_by);
    w.add_i64(FieldTag::Created, g.created);
    w.add_u64(FieldTag::State, uint64_t(g.state));
    if (g.ended_at) w.add_i64(FieldTag::EndedAt, *g.ended_at);
    if (g.ended_by) w.add_u64(FieldTag::EndedBy, *g.ended_by);
    if (g.until_session_end) w.add_bool(FieldTag::UntilSessionEnd, true);
    if (g.uses) w.add_u64(FieldTag::Uses, *g.uses);
    if (g.uses_left) w.add_u64(FieldTag::UsesLeft, *g.uses_left);
    for (const auto& group : g.groups) w.add_string(FieldTag::JitGroup, group);
    w.end_record();
}

GrantRecord decode_grant(const FieldView& record) {
    GrantRecord g;
    FieldIterator it(record);
    FieldView f;
    while (it.next(&f)) {
        switch (f.tag) {
            case FieldTag::GrantId:
                g.id = f.str();
                break;
            case FieldTag::User:
                g.user = f.str();
                break;
            case FieldTag::Service:
                g.services.emplace_back(f.str());
                break;
            case FieldTag::Source:
                g.source = f.str();
                break;
            case FieldTag::NotBefore:
                g.not_before = f.i64();
                break;
            case FieldTag::NotAfter:
                g.not_after = f.i64();
                break;
            case FieldTag::Reason:
                g.reason = f.str();
                break;
            case FieldTag::GrantedBy:
                g.granted_by = f.u64();
                break;
            case FieldTag::Created:
                g.created = f.i64();
                break;
            case FieldTag::State:
                g.state = proto::GrantState(f.u64());
                break;
            case FieldTag::EndedAt:
                g.ended_at = f.i64();
                break;
            case FieldTag::EndedBy:
                g.ended_by = f.u64();
                break;
            case FieldTag::UntilSessionEnd:
                g.until_session_end = f.boolean();
                break;
            case FieldTag::Uses:
                g.uses = f.u64();
                break;
            case FieldTag::UsesLeft:
                g.uses_left = f.u64();
                break;
            case FieldTag::JitGroup:
                g.groups.emplace_back(f.str());
                break;
            default:
                break;  // the schema admits nothing else
        }
    }
    return g;
}

}  // namespace

Result<Frame> build_frame(MsgType type, uint32_t request_id,
                          void (*fill)(wire::FrameWriter&, const void*), const void* message) {
    return build(type, request_id, [&](FrameWriter& w) { fill(w, message); });
}

Result<Frame> encode(const CheckRequest& m, uint32_t id) {
    return build(MsgType::CheckRequest, id, [&](FrameWriter& w) {
        w.add_string(FieldTag::User, m.user);
        w.add_string(FieldTag::Service, m.service);
        add_optional(w, FieldTag::Rhost, m.rhost);
        add_optional(w, FieldTag::Tty, m.tty);
        add_optional(w, FieldTag::Ruser, m.ruser);
    });
}

Result<Frame> encode(const CheckReply& m, uint32_t id) {
    return build(MsgType::CheckReply, id, [&](FrameWriter& w) {
        w.add_u64(FieldTag::Decision, uint64_t(m.decision));
        w.add_string(FieldTag::Reason, m.reason);
        add_optional(w, FieldTag::GrantId, m.grant_id);
        if (m.not_after) w.add_i64(FieldTag::NotAfter, *m.not_after);
        add_optional(w, FieldTag::Rule, m.rule);
    });
}

Result<Frame> encode(const GrantRequest& m, uint32_t id) {
    return build(MsgType::GrantRequest, id, [&](FrameWriter& w) {
        w.add_string(FieldTag::User, m.user);
        for (const auto& s : m.services) w.add_string(FieldTag::Service, s);
        w.add_string(FieldTag::Reason, m.reason);
        add_optional(w, FieldTag::Source, m.source);
        if (m.duration) w.add_u64(FieldTag::Duration, *m.duration);
        if (m.not_before) w.add_i64(FieldTag::NotBefore, *m.not_before);
        if (m.not_after) w.add_i64(FieldTag::NotAfter, *m.not_after);
        if (m.until_session_end) w.add_bool(FieldTag::UntilSessionEnd, true);
        if (m.uses) w.add_u64(FieldTag::Uses, *m.uses);
        for (const auto& g : m.groups) w.add_string(FieldTag::JitGroup, g);
    });
}

Result<Frame> encode(const RevokeRequest& m, uint32_t id) {
    return build(MsgType::RevokeRequest, id, [&](FrameWriter& w) {
        add_optional(w, FieldTag::GrantId, m.grant_id);
        add_optional(w, FieldTag::User, m.user);
        add_optional(w, FieldTag::Reason, m.reason);
    });
}

Result<Frame> encode(const ListRequest& m, uint32_t id) {
    return build(MsgType::ListRequest, id, [&](FrameWriter& w) {
        add_optional(w, FieldTag::User, m.user);
        if (m.include_ended) w.add_bool(FieldTag::IncludeEnded, true);
    });
}

Result<Frame> encode_status_request(uint32_t id) {
    return build(MsgType::StatusRequest, id, [](FrameWriter&) {});
}

Result<Frame> encode(const StatusReply& m, uint32_t id) {
    return build(MsgType::StatusReply, id, [&](FrameWriter& w) {
        w.add_string(FieldTag::Version, m.version);
        w.add_u64(FieldTag::Pid, m.pid);
        w.add_u64(FieldTag::Uptime, m.uptime);
        w.add_i64(FieldTag::Now, m.now);
        w.add_u64(FieldTag::ActiveGrants, m.active_grants);
        w.add_string(FieldTag::StateDir, m.state_dir);
        w.add_u64(FieldTag::SchemaVersion, m.schema_version);
        for (const auto& s : m.managed_users) w.add_string(FieldTag::ManagedUsers, s);
        for (const auto& s : m.managed_groups) w.add_string(FieldTag::ManagedGroups, s);
        for (const auto& s : m.managed_uids) w.add_string(FieldTag::ManagedUids, s);
    });
}

Result<Frame> encode(const ErrorReply& m, uint32_t id) {
    return build(MsgType::ErrorReply, id, [&](FrameWriter& w) {
        w.add_u64(FieldTag::ErrorCode, m.code);
        w.add_string(FieldTag::Message, m.message);
    });
}

Result<Frame> encode(MsgType type, const GrantList& m, uint32_t id) {
    return build(type, id, [&](FrameWriter& w) {
        if (type == MsgType::ListReply) w.add_i64(FieldTag::Now, m.now.value_or(0));
        for (const auto& g : m.grants) add_grant(w, g);
    });
}

CheckRequest decode_check_request(const wire::MessageView& v) {
    CheckRequest m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        switch (f.tag) {
            case FieldTag::User:
                m.user = f.str();
                break;
            case FieldTag::Service:
                m.service = f.str();
                break;
            case FieldTag::Rhost:
                m.rhost = f.str();
                break;
            case FieldTag::Tty:
                m.tty = f.str();
                break;
            case FieldTag::Ruser:
                m.ruser = f.str();
                break;
            default:
                break;
        }
    }
    return m;
}

CheckReply decode_check_reply(const wire::MessageView& v) {
    CheckReply m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        switch (f.tag) {
            case FieldTag::Decision:
                m.decision = proto::Decision(f.u64());
                break;
            case FieldTag::Reason:
                m.reason = f.str();
                break;
            case FieldTag::GrantId:
                m.grant_id = f.str();
                break;
            case FieldTag::NotAfter:
                m.not_after = f.i64();
                break;
            case FieldTag::Rule:
                m.rule = f.str();
                break;
            default:
                break;
        }
    }
    return m;
}

GrantRequest decode_grant_request(const wire::MessageView& v) {
    GrantRequest m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        switch (f.tag) {
            case FieldTag::User:
                m.user = f.str();
                break;
            case FieldTag::Service:
                m.services.emplace_back(f.str());
                break;
            case FieldTag::Reason:
                m.reason = f.str();
                break;
            case FieldTag::Source:
                m.source = f.str();
                break;
            case FieldTag::Duration:
                m.duration = f.u64();
                break;
            case FieldTag::NotBefore:
                m.not_before = f.i64();
                break;
            case FieldTag::NotAfter:
                m.not_after = f.i64();
                break;
            case FieldTag::UntilSessionEnd:
                m.until_session_end = f.boolean();
                break;
            case FieldTag::Uses:
                m.uses = f.u64();
                break;
            case FieldTag::JitGroup:
                m.groups.emplace_back(f.str());
                break;
            default:
                break;
        }
    }
    return m;
}

RevokeRequest decode_revoke_request(const wire::MessageView& v) {
    RevokeRequest m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        switch (f.tag) {
            case FieldTag::GrantId:
                m.grant_id = f.str();
                break;
            case FieldTag::User:
                m.user = f.str();
                break;
            case FieldTag::Reason:
                m.reason = f.str();
                break;
            default:
                break;
        }
    }
    return m;
}

ListRequest decode_list_request(const wire::MessageView& v) {
    ListRequest m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == FieldTag::User) m.user = f.str();
        if (f.tag == FieldTag::IncludeEnded) m.include_ended = f.boolean();
    }
    return m;
}

GrantList decode_grant_list(const wire::MessageView& v) {
    GrantList m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == FieldTag::Now) m.now = f.i64();
        if (f.tag == FieldTag::Grant) m.grants.push_back(decode_grant(f));
    }
    return m;
}

StatusReply decode_status_reply(const wire::MessageView& v) {
    StatusReply m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        switch (f.tag) {
            case FieldTag::Version:
                m.version = f.str();
                break;
            case FieldTag::Pid:
                m.pid = f.u64();
                break;
            case FieldTag::Uptime:
                m.uptime = f.u64();
                break;
            case FieldTag::Now:
                m.now = f.i64();
                break;
            case FieldTag::ActiveGrants:
                m.active_grants = f.u64();
                break;
            case FieldTag::StateDir:
                m.state_dir = f.str();
                break;
            case FieldTag::SchemaVersion:
                m.schema_version = f.u64();
                break;
            case FieldTag::ManagedUsers:
                m.managed_users.emplace_back(f.str());
                break;
            case FieldTag::ManagedGroups:
                m.managed_groups.emplace_back(f.str());
                break;
            case FieldTag::ManagedUids:
                m.managed_uids.emplace_back(f.str());
                break;
            default:
                break;
        }
    }
    return m;
}

ErrorReply decode_error_reply(const wire::MessageView& v) {
    ErrorReply m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == FieldTag::ErrorCode) m.code = f.u64();
        if (f.tag == FieldTag::Message) m.message = f.str();
    }
    return m;
}

}  // namespace jit::msg
