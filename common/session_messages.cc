// Typed views of the session messages (protocol.h, types 30-35).  Kept apart
// from messages.cc so each file stays about one family of messages.
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

void add_session(FrameWriter& w, const SessionRecord& s) {
    w.begin_record(FieldTag::Session);
    w.add_string(FieldTag::SessionId, s.id);
    w.add_string(FieldTag::User, s.user);
    w.add_string(FieldTag::Service, s.service);
    w.add_string(FieldTag::GrantId, s.grant_id);
    w.add_u64(FieldTag::SessionPid, s.pid);
    w.add_i64(FieldTag::Opened, s.opened);
    w.add_u64(FieldTag::SessionState, uint64_t(s.state));
    add_optional(w, FieldTag::Rhost, s.rhost);
    add_optional(w, FieldTag::Tty, s.tty);
    add_optional(w, FieldTag::Ruser, s.ruser);
    add_optional(w, FieldTag::LogindSession, s.logind_session);
    if (s.sid) w.add_u64(FieldTag::LeaderSid, *s.sid);
    if (s.audit_session) w.add_u64(FieldTag::AuditSession, *s.audit_session);
    if (s.ended) w.add_i64(FieldTag::SessionEnded, *s.ended);
    add_optional(w, FieldTag::Reason, s.reason);
    w.end_record();
}

void read_session_field(SessionRecord& s, const FieldView& f) {
    switch (f.tag) {
        case FieldTag::SessionId:
            s.id = f.str();
            break;
        case FieldTag::User:
            s.user = f.str();
            break;
        case FieldTag::Service:
            s.service = f.str();
            break;
        case FieldTag::GrantId:
            s.grant_id = f.str();
            break;
        case FieldTag::SessionPid:
            s.pid = f.u64();
            break;
        case FieldTag::Opened:
            s.opened = f.i64();
            break;
        case FieldTag::SessionState:
            s.state = proto::SessionState(f.u64());
            break;
        case FieldTag::Rhost:
            s.rhost = f.str();
            break;
        case FieldTag::Tty:
            s.tty = f.str();
            break;
        case FieldTag::Ruser:
            s.ruser = f.str();
            break;
        case FieldTag::LogindSession:
            s.logind_session = f.str();
            break;
        case FieldTag::LeaderSid:
            s.sid = f.u64();
            break;
        case FieldTag::AuditSession:
            s.audit_session = f.u64();
            break;
        case FieldTag::SessionEnded:
            s.ended = f.i64();
            break;
        case FieldTag::Reason:
            s.reason = f.str();
            break;
        default:
            break;  // the schema admits nothing else
    }
}

}  // namespace

Result<Frame> encode(const SessionOpenRequest& m, uint32_t id) {
    return build(MsgType::SessionOpenRequest, id, [&](FrameWriter& w) {
        w.add_string(FieldTag::User, m.user);
        w.add_string(FieldTag::Service, m.service);
        w.add_u64(FieldTag::SessionPid, m.pid);
        add_optional(w, FieldTag::Rhost, m.rhost);
        add_optional(w, FieldTag::Tty, m.tty);
        add_optional(w, FieldTag::Ruser, m.ruser);
        add_optional(w, FieldTag::LogindSession, m.logind_session);
    });
}

Result<Frame> encode(const SessionOpenReply& m, uint32_t id) {
    return build(MsgType::SessionOpenReply, id, [&](FrameWriter& w) {
        w.add_u64(FieldTag::Decision, uint64_t(m.decision));
        w.add_string(FieldTag::Reason, m.reason);
        add_optional(w, FieldTag::SessionId, m.session_id);
        add_optional(w, FieldTag::GrantId, m.grant_id);
        if (m.not_after) w.add_i64(FieldTag::NotAfter, *m.not_after);
    });
}

Result<Frame> encode(const SessionCloseRequest& m, uint32_t id) {
    return build(MsgType::SessionCloseRequest, id, [&](FrameWriter& w) {
        w.add_u64(FieldTag::SessionPid, m.pid);
        add_optional(w, FieldTag::SessionId, m.session_id);
        add_optional(w, FieldTag::User, m.user);
        add_optional(w, FieldTag::Service, m.service);
    });
}

Result<Frame> encode_session_close_reply(const std::string& session_id, uint32_t id) {
    return build(MsgType::SessionCloseReply, id,
                 [&](FrameWriter& w) { w.add_string(FieldTag::SessionId, session_id); });
}

Result<Frame> encode_session_list_request(const ListRequest& m, uint32_t id) {
    return build(MsgType::SessionListRequest, id, [&](FrameWriter& w) {
        add_optional(w, FieldTag::User, m.user);
        if (m.include_ended) w.add_bool(FieldTag::IncludeEnded, true);
    });
}

Result<Frame> encode(const SessionList& m, uint32_t id) {
    return build(MsgType::SessionListReply, id, [&](FrameWriter& w) {
        w.add_i64(FieldTag::Now, m.now);
        for (const auto& s : m.sessions) add_session(w, s);
    });
}

SessionOpenRequest decode_session_open_request(const wire::MessageView& v) {
    SessionOpenRequest m;
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
            case FieldTag::SessionPid:
                m.pid = f.u64();
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
            case FieldTag::LogindSession:
                m.logind_session = f.str();
                break;
            default:
                break;
        }
    }
    return m;
}

SessionOpenReply decode_session_open_reply(const wire::MessageView& v) {
    SessionOpenReply m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == FieldTag::Decision) m.decision = proto::Decision(f.u64());
        if (f.tag == FieldTag::Reason) m.reason = f.str();
        if (f.tag == FieldTag::SessionId) m.session_id = f.str();
        if (f.tag == FieldTag::GrantId) m.grant_id = f.str();
        if (f.tag == FieldTag::NotAfter) m.not_after = f.i64();
    }
    return m;
}

SessionCloseRequest decode_session_close_request(const wire::MessageView& v) {
    SessionCloseRequest m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == FieldTag::SessionPid) m.pid = f.u64();
        if (f.tag == FieldTag::SessionId) m.session_id = f.str();
        if (f.tag == FieldTag::User) m.user = f.str();
        if (f.tag == FieldTag::Service) m.service = f.str();
    }
    return m;
}

std::string decode_session_close_reply(const wire::MessageView& v) {
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f))
        if (f.tag == FieldTag::SessionId) return std::string(f.str());
    return {};
}

SessionList decode_session_list(const wire::MessageView& v) {
    SessionList m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == FieldTag::Now) m.now = f.i64();
        if (f.tag != FieldTag::Session) continue;
        SessionRecord s;
        FieldIterator rec(f);
        FieldView g;
        while (rec.next(&g)) read_session_field(s, g);
        m.sessions.push_back(std::move(s));
    }
    return m;
}

}  // namespace jit::msg
