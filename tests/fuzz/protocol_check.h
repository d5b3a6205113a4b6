// The properties the protocol decoder must hold for ANY input bytes.  Shared,
// unchanged, by the libFuzzer target (protocol_fuzz.cc), which aborts on a
// violation, and by the corpus replay unit test, which reports it; so a seed
// that once crashed the fuzzer fails `make check` the same way.
//
// For every input:
//   - decode_frame either accepts it or fails with EPROTO/EMSGSIZE and a reason;
//     a body_len above kMaxBody is refused as EMSGSIZE from the header alone;
//   - an accepted frame matches its raw header bytes, and its body (and every
//     record in it) walks with FieldIterator to exactly its length;
//   - validate_body agrees with decode_frame;
//   - an accepted CHECK_REPLY is allow or deny, and an allow has a grant id and
//     an expiry; grant and revoke requests name exactly one form or target;
//   - decode(encode(decode(x))) == decode(x) for the typed messages, the
//     re-encoded frame is accepted with the same type and request id, and
//     encoding is canonical (a second round trip gives the same bytes).
#pragma once

#include <errno.h>
#include <stdint.h>

#include <algorithm>
#include <string>
#include <tuple>

#include "jit/command_messages.h"
#include "jit/identity_messages.h"
#include "jit/fleet_messages.h"
#include "jit/messages.h"
#include "jit/request_messages.h"
#include "jit/protocol.h"
#include "jit/wire.h"

namespace jit::fuzz {

struct ProtocolVerdict {
    bool accepted = false;            // decode_frame accepted the frame
    proto::MsgType type{};            // valid only when accepted
    const char* violation = nullptr;  // the first broken property; nullptr: none
};

namespace detail {

using proto::FieldKind;
using proto::MsgType;

inline uint32_t le32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// ---- field-by-field equality of the typed messages ----

inline auto fields(const msg::CheckRequest& m) {
    return std::tie(m.user, m.service, m.rhost, m.tty, m.ruser);
}
inline auto fields(const msg::CommandCheckRequest& m) {
    return std::tie(m.user, m.service, m.command, m.args, m.runas_user, m.runas_group, m.cwd, m.tty,
                    m.env_set, m.preserve_env, m.shell_mode, m.sudoedit);
}
inline auto fields(const msg::AuditRead& m) {
    return std::tie(m.from, m.since, m.user);
}
inline auto fields(const msg::AuditPage& m) {
    return std::tie(m.text, m.next, m.done);
}
inline auto fields(const msg::CommandExitRequest& m) {
    return std::tie(m.user, m.service, m.command, m.args, m.runas_user, m.runas_group, m.grant_id,
                    m.exit_status, m.exit_signal, m.core_dumped, m.exec_error);
}
inline auto fields(const msg::CheckReply& m) {
    return std::tie(m.decision, m.reason, m.grant_id, m.not_after, m.rule);
}
inline auto fields(const msg::GrantRecord& g) {
    return std::tie(g.id, g.user, g.services, g.source, g.not_before, g.not_after, g.reason,
                    g.granted_by, g.created, g.state, g.ended_at, g.ended_by, g.until_session_end,
                    g.uses, g.uses_left, g.groups, g.commands, g.runas, g.identity_name,
                    g.identity_issuer, g.identity_subject, g.identity_claims, g.fleet_id);
}
inline auto fields(const msg::GrantRequest& m) {
    return std::tie(m.user, m.services, m.reason, m.source, m.duration, m.not_before, m.not_after,
                    m.until_session_end, m.uses, m.groups, m.commands, m.runas, m.fleet_id);
}
inline auto fields(const msg::FleetFresh& m) {
    return std::tie(m.until);
}
inline auto fields(const msg::FleetAdminRequest& m) {
    return std::tie(m.op, m.args);
}
inline auto fields(const msg::FleetAdminReply& m) {
    return std::tie(m.lines);
}
inline auto fields(const msg::SessionOpenRequest& m) {
    return std::tie(m.user, m.service, m.pid, m.rhost, m.tty, m.ruser, m.logind_session);
}
inline auto fields(const msg::SessionOpenReply& m) {
    return std::tie(m.decision, m.reason, m.session_id, m.grant_id, m.not_after);
}
inline auto fields(const msg::SessionCloseRequest& m) {
    return std::tie(m.pid, m.session_id, m.user, m.service);
}
inline auto fields(const msg::SessionRecord& s) {
    return std::tie(s.id, s.user, s.service, s.grant_id, s.pid, s.opened, s.state, s.rhost, s.tty,
                    s.ruser, s.logind_session, s.sid, s.audit_session, s.ended, s.reason);
}
inline auto fields(const msg::AccountRecord& a) {
    return std::tie(a.name, a.uid, a.gid, a.home, a.shell, a.gecos, a.visibility, a.groups,
                    a.origin, a.created);
}
inline auto fields(const msg::AccountAddRequest& m) {
    return std::tie(m.name, m.uid, m.groups, m.home, m.shell, m.gecos, m.visibility);
}
inline auto fields(const msg::AccountRemoveRequest& m) {
    return std::tie(m.name);
}
inline auto fields(const msg::RevokeRequest& m) {
    return std::tie(m.grant_id, m.user, m.reason);
}
inline auto fields(const msg::ListRequest& m) {
    return std::tie(m.user, m.include_ended);
}
inline auto fields(const msg::StatusReply& m) {
    return std::tie(m.version, m.pid, m.uptime, m.now, m.active_grants, m.state_dir,
                    m.schema_version, m.managed_users, m.managed_groups, m.managed_uids);
}
inline auto fields(const msg::ErrorReply& m) {
    return std::tie(m.code, m.message);
}

inline auto fields(const msg::RequestCreate& m) {
    return std::tie(m.user, m.services, m.duration, m.reason, m.ticket, m.source, m.not_before,
                    m.start_on_approval, m.commands, m.runas, m.id_token);
}
inline auto fields(const msg::RequestRecord& r) {
    return std::tie(r.id, r.user, r.services, r.source, r.not_before, r.not_after, r.duration,
                    r.start_on_approval, r.reason, r.ticket, r.requester, r.rule, r.required,
                    r.approver_groups, r.risk, r.created, r.expires, r.state, r.decided_at,
                    r.decided_by, r.comment, r.grant_id, r.commands, r.runas, r.identity_name,
                    r.identity_issuer, r.identity_subject, r.identity_claims);
}
inline auto fields(const msg::ApprovalRecord& a) {
    return std::tie(a.request_id, a.approver, a.verdict, a.at, a.comment, a.duration);
}
inline auto fields(const msg::RequestAction& m) {
    return std::tie(m.id, m.comment, m.duration, m.source, m.services);
}
inline auto fields(const msg::RequestQuery& m) {
    return std::tie(m.user, m.pending_only);
}
inline auto fields(const msg::ExplainQuery& m) {
    return std::tie(m.user, m.service, m.rhost, m.at, m.id_token);
}
inline auto fields(const msg::IdentityLoginRequest& m) {
    return std::tie(m.user, m.service, m.rhost, m.id_token);
}
inline auto fields(const msg::IdentityLoginReply& m) {
    return std::tie(m.decision, m.grant_id, m.request_id, m.not_after, m.message);
}
inline auto fields(const msg::RuleReportRecord& r) {
    return std::tie(r.rule, r.kind, r.origin, r.outcome);
}
inline auto fields(const msg::ConditionRecord& c) {
    return std::tie(c.rule, c.name, c.state, c.detail);
}

template <typename T>
bool same(const T& a, const T& b);

template <typename T>
bool same_all(const std::vector<T>& a, const std::vector<T>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const auto& x, const auto& y) { return same(x, y); });
}

inline bool same(const msg::RequestList& a, const msg::RequestList& b) {
    return a.now == b.now && same_all(a.requests, b.requests) && same_all(a.approvals, b.approvals);
}
inline bool same(const msg::ExplainReply& a, const msg::ExplainReply& b) {
    return std::tie(a.now, a.at, a.managed, a.decision, a.reason, a.rule, a.grant_id,
                    a.not_after) == std::tie(b.now, b.at, b.managed, b.decision, b.reason, b.rule,
                                             b.grant_id, b.not_after) &&
           same_all(a.rules, b.rules) && same_all(a.conditions, b.conditions) &&
           same_all(a.requests, b.requests) && same_all(a.approvals, b.approvals);
}

template <typename T>
bool same(const T& a, const T& b) {
    return fields(a) == fields(b);
}
inline bool same(const std::string& a, const std::string& b) {
    return a == b;
}
inline bool same(const msg::SessionList& a, const msg::SessionList& b) {
    return a.now == b.now &&
           std::equal(a.sessions.begin(), a.sessions.end(), b.sessions.begin(), b.sessions.end(),
                      [](const auto& x, const auto& y) { return same(x, y); });
}
inline bool same(const msg::GrantList& a, const msg::GrantList& b) {
    return a.now == b.now &&
           std::equal(a.grants.begin(), a.grants.end(), b.grants.begin(), b.grants.end(),
                      [](const auto& x, const auto& y) { return same(x, y); });
}
inline bool same(const msg::AccountList& a, const msg::AccountList& b) {
    return std::equal(a.accounts.begin(), a.accounts.end(), b.accounts.begin(), b.accounts.end(),
                      [](const auto& x, const auto& y) { return same(x, y); });
}

// ---- the properties ----

// A validated body (or record) must walk to exactly its length; records are
// walked one level down, which is as deep as the schema allows.
inline bool walks_exactly(const uint8_t* p, size_t len, int depth) {
    wire::FieldIterator it(p, len);
    wire::FieldView f;
    size_t seen = 0;
    while (it.next(&f)) {
        seen += proto::kFieldHeaderSize + f.len;
        if (f.kind == FieldKind::Record && (depth > 0 || !walks_exactly(f.data, f.len, 1)))
            return false;
    }
    return seen == len;
}

template <typename Decode, typename Encode>
const char* round_trip(const wire::MessageView& v, Decode decode, Encode encode) {
    auto first = decode(v);
    auto frame = encode(first, v.header.request_id);
    if (!frame) return "re-encoding a decoded message failed";
    auto again = wire::decode_frame(frame->data(), frame->size());
    if (!again) return "the decoder rejects the re-encoded frame";
    if (again->header.type != v.header.type || again->header.request_id != v.header.request_id)
        return "re-encoding changed the frame header";
    auto second = decode(*again);
    if (!same(first, second)) return "decode(encode(decode(x))) differs from decode(x)";
    auto frame2 = encode(second, v.header.request_id);
    if (!frame2 || *frame2 != *frame) return "encoding is not canonical";
    return nullptr;
}

template <typename M>
auto encoder() {
    return [](const M& m, uint32_t id) { return msg::encode(m, id); };
}

inline const char* typed_round_trip(const wire::MessageView& v) {
    switch (v.header.type) {
        case MsgType::CheckRequest:
            return round_trip(v, msg::decode_check_request, encoder<msg::CheckRequest>());
        case MsgType::CheckReply:
            return round_trip(v, msg::decode_check_reply, encoder<msg::CheckReply>());
        case MsgType::CommandCheckRequest:
            return round_trip(v, msg::decode_command_check_request,
                              encoder<msg::CommandCheckRequest>());
        case MsgType::CommandExitRequest:
            return round_trip(v, msg::decode_command_exit_request,
                              encoder<msg::CommandExitRequest>());
        case MsgType::CommandExitReply: {
            auto frame = msg::encode_command_exit_reply(v.header.request_id);
            if (!frame || !wire::decode_frame(frame->data(), frame->size()))
                return "a command exit reply does not round-trip";
            return nullptr;
        }
        case MsgType::GrantRequest:
            return round_trip(v, msg::decode_grant_request, encoder<msg::GrantRequest>());
        case MsgType::RevokeRequest:
            return round_trip(v, msg::decode_revoke_request, encoder<msg::RevokeRequest>());
        case MsgType::ListRequest:
            return round_trip(v, msg::decode_list_request, encoder<msg::ListRequest>());
        case MsgType::StatusReply:
            return round_trip(v, msg::decode_status_reply, encoder<msg::StatusReply>());
        case MsgType::ErrorReply:
            return round_trip(v, msg::decode_error_reply, encoder<msg::ErrorReply>());
        case MsgType::GrantReply:
        case MsgType::RevokeReply:
        case MsgType::ListReply: {
            MsgType type = v.header.type;
            return round_trip(
                v, msg::decode_grant_list,
                [type](const msg::GrantList& m, uint32_t id) { return msg::encode(type, m, id); });
        }
        case MsgType::SessionOpenRequest:
            return round_trip(v, msg::decode_session_open_request,
                              encoder<msg::SessionOpenRequest>());
        case MsgType::SessionOpenReply:
            return round_trip(v, msg::decode_session_open_reply, encoder<msg::SessionOpenReply>());
        case MsgType::SessionCloseRequest:
            return round_trip(v, msg::decode_session_close_request,
                              encoder<msg::SessionCloseRequest>());
        case MsgType::SessionCloseReply:
            return round_trip(v, msg::decode_session_close_reply, msg::encode_session_close_reply);
        case MsgType::SessionListRequest:
            return round_trip(v, msg::decode_list_request, msg::encode_session_list_request);
        case MsgType::SessionListReply:
            return round_trip(v, msg::decode_session_list, encoder<msg::SessionList>());
        case MsgType::AuditReadRequest:
            return round_trip(v, msg::decode_audit_read, encoder<msg::AuditRead>());
        case MsgType::AuditReadReply:
            return round_trip(v, msg::decode_audit_page, encoder<msg::AuditPage>());
        case MsgType::StatusRequest: {
            auto frame = msg::encode_status_request(v.header.request_id);
            if (!frame || !wire::decode_frame(frame->data(), frame->size()))
                return "a status request does not round-trip";
            return nullptr;
        }
        case MsgType::AccountAddRequest:
            return round_trip(v, msg::decode_account_add_request,
                              encoder<msg::AccountAddRequest>());
        case MsgType::AccountRemoveRequest:
            return round_trip(v, msg::decode_account_remove_request,
                              encoder<msg::AccountRemoveRequest>());
        case MsgType::AccountReply:
        case MsgType::AccountListReply: {
            MsgType type = v.header.type;
            return round_trip(v, msg::decode_account_list,
                              [type](const msg::AccountList& m, uint32_t id) {
                                  return msg::encode(type, m, id);
                              });
        }
        case MsgType::AccountListRequest: {
            auto frame = msg::encode_account_list_request(v.header.request_id);
            if (!frame || !wire::decode_frame(frame->data(), frame->size()))
                return "an account list request does not round-trip";
            return nullptr;
        }
        case MsgType::FleetFreshRequest:
        case MsgType::FleetFreshReply: {
            MsgType type = v.header.type;
            return round_trip(
                v, msg::decode_fleet_fresh,
                [type](const msg::FleetFresh& m, uint32_t id) { return msg::encode(type, m, id); });
        }
        case MsgType::FleetAdminRequest:
            return round_trip(v, msg::decode_fleet_admin_request,
                              encoder<msg::FleetAdminRequest>());
        case MsgType::FleetAdminReply:
            return round_trip(v, msg::decode_fleet_admin_reply, encoder<msg::FleetAdminReply>());
        case MsgType::RequestCreate:
            return round_trip(v, msg::decode_request_create, encoder<msg::RequestCreate>());
        case MsgType::RequestCancel:
        case MsgType::RequestApprove:
        case MsgType::RequestDeny:
        case MsgType::RequestShow: {
            MsgType type = v.header.type;
            return round_trip(v, msg::decode_request_action,
                              [type](const msg::RequestAction& m, uint32_t id) {
                                  return msg::encode(type, m, id);
                              });
        }
        case MsgType::RequestList:
            return round_trip(v, msg::decode_request_query, encoder<msg::RequestQuery>());
        case MsgType::RequestReply:
        case MsgType::RequestListReply: {
            MsgType type = v.header.type;
            return round_trip(v, msg::decode_request_list,
                              [type](const msg::RequestList& m, uint32_t id) {
                                  return msg::encode(type, m, id);
                              });
        }
        case MsgType::ExplainRequest:
            return round_trip(v, msg::decode_explain_query, encoder<msg::ExplainQuery>());
        case MsgType::ExplainReply:
            return round_trip(v, msg::decode_explain_reply, encoder<msg::ExplainReply>());
        case MsgType::IdentityLoginRequest:
            return round_trip(v, msg::decode_identity_login_request,
                              encoder<msg::IdentityLoginRequest>());
        case MsgType::IdentityLoginReply:
            return round_trip(v, msg::decode_identity_login_reply,
                              encoder<msg::IdentityLoginReply>());
    }
    return "decode_frame accepted a message type the check does not know";
}

// What the typed consumers rely on once a frame is accepted: pam_jit and
// jitd read these fields without re-checking the rules.
inline const char* check_meaning(const wire::MessageView& v) {
    switch (v.header.type) {
        case MsgType::CheckReply: {
            auto m = msg::decode_check_reply(v);
            if (m.decision != proto::Decision::Allow && m.decision != proto::Decision::Deny)
                return "accepted a check reply that is neither allow nor deny";
            if (m.decision == proto::Decision::Allow && (m.grant_id.empty() || !m.not_after))
                return "accepted an allow without a grant id or expiry";
            return nullptr;
        }
        case MsgType::GrantRequest: {
            auto m = msg::decode_grant_request(v);
            if (m.services.empty() || m.services.size() > proto::kMaxServices)
                return "accepted a grant request with a bad service count";
            if (m.duration.has_value() == (m.not_before.has_value() || m.not_after.has_value()) ||
                m.not_before.has_value() != m.not_after.has_value())
                return "accepted a grant request without exactly one duration form";
            return nullptr;
        }
        case MsgType::RevokeRequest: {
            auto m = msg::decode_revoke_request(v);
            if (m.grant_id.empty() == m.user.empty())
                return "accepted a revoke request without exactly one target";
            return nullptr;
        }
        case MsgType::SessionOpenReply: {
            auto m = msg::decode_session_open_reply(v);
            if (m.decision != proto::Decision::Allow && m.decision != proto::Decision::Deny)
                return "accepted a session reply that is neither allow nor deny";
            if (m.decision == proto::Decision::Allow &&
                (m.session_id.empty() || m.grant_id.empty() || !m.not_after))
                return "accepted a session allow without a session id, grant id or expiry";
            return nullptr;
        }
        case MsgType::RequestCreate: {
            auto m = msg::decode_request_create(v);
            if (m.services.empty() || m.services.size() > proto::kMaxServices)
                return "accepted a request with a bad service count";
            if (m.start_on_approval && m.not_before)
                return "accepted a request that starts both at a time and at approval";
            return nullptr;
        }
        case MsgType::RequestDeny:
            if (msg::decode_request_action(v).comment.empty())
                return "accepted a denial without a comment";
            return nullptr;
        case MsgType::RequestReply:
            if (msg::decode_request_list(v).requests.size() != 1)
                return "accepted a request reply without exactly one request";
            return nullptr;
        case MsgType::ExplainReply: {
            auto d = msg::decode_explain_reply(v).decision;
            if (d != proto::Decision::Allow && d != proto::Decision::Deny)
                return "accepted an explanation that is neither allow nor deny";
            return nullptr;
        }
        case MsgType::IdentityLoginRequest:
            if (msg::decode_identity_login_request(v).id_token.empty())
                return "accepted an identity login without a token";
            return nullptr;
        case MsgType::IdentityLoginReply: {
            auto m = msg::decode_identity_login_reply(v);
            if (m.decision != proto::Decision::Allow && m.decision != proto::Decision::Deny)
                return "accepted a login reply that is neither allow nor deny";
            if (m.decision == proto::Decision::Allow && (m.grant_id.empty() || !m.not_after))
                return "accepted a login allow without a grant id or expiry";
            if (m.decision == proto::Decision::Deny && m.message.empty())
                return "accepted a login denial without a message";
            return nullptr;
        }
        default:
            return nullptr;
    }
}

inline bool known_type(uint16_t t) {
    return (t >= uint16_t(MsgType::CheckRequest) && t <= uint16_t(MsgType::StatusReply)) ||
           (t >= uint16_t(MsgType::SessionOpenRequest) &&
            t <= uint16_t(MsgType::SessionListReply)) ||
           (t >= uint16_t(MsgType::AccountAddRequest) &&
            t <= uint16_t(MsgType::AccountListReply)) ||
           (t >= uint16_t(MsgType::RequestCreate) && t <= uint16_t(MsgType::IdentityLoginReply)) ||
           t == uint16_t(MsgType::ErrorReply);
}

inline const char* check_rejection(const uint8_t* data, size_t len, const Error& e) {
    if (e.code != EPROTO && e.code != EMSGSIZE)
        return "decode_frame failed with an unexpected errno";
    if (e.what == nullptr || e.what[0] == '\0') return "decode_frame failed without a reason";
    if (len < proto::kHeaderSize) return nullptr;
    auto header = wire::parse_header(data, proto::kHeaderSize);
    if (!header && header.error().code != e.code)
        return "decode_frame and parse_header disagree about a bad header";
    bool sane = le32(data) == proto::kMagic && (data[4] | data[5] << 8) == proto::kVersion &&
                known_type(uint16_t(data[6] | data[7] << 8));
    if (sane && le32(data + 12) > proto::kMaxBody && e.code != EMSGSIZE)
        return "an oversized body_len was not refused as EMSGSIZE from the header";
    return nullptr;
}

inline const char* check_accepted(const uint8_t* data, size_t len, const wire::MessageView& v) {
    if (len < proto::kHeaderSize || len > proto::kMaxFrame)
        return "accepted a frame of impossible size";
    if (le32(data) != proto::kMagic || (data[4] | data[5] << 8) != proto::kVersion)
        return "accepted a frame with a bad magic or version";
    if (uint16_t(v.header.type) != (data[6] | data[7] << 8))
        return "header type differs from bytes";
    if (v.header.request_id != le32(data + 8)) return "request id differs from bytes";
    if (v.body != data + proto::kHeaderSize || v.body_len != len - proto::kHeaderSize ||
        v.header.body_len != v.body_len)
        return "body does not span the rest of the frame";
    if (!wire::validate_body(v.header.type, v.body, v.body_len))
        return "validate_body rejects a body decode_frame accepted";
    if (!walks_exactly(v.body, v.body_len, 0)) return "a validated body does not walk exactly";
    if (const char* wrong = check_meaning(v)) return wrong;
    return typed_round_trip(v);
}

}  // namespace detail

inline ProtocolVerdict check_protocol_frame(const uint8_t* data, size_t len) {
    ProtocolVerdict verdict;
    auto decoded = wire::decode_frame(data, len);
    if (!decoded) {
        verdict.violation = detail::check_rejection(data, len, decoded.error());
        return verdict;
    }
    verdict.accepted = true;
    verdict.type = decoded->header.type;
    verdict.violation = detail::check_accepted(data, len, *decoded);
    return verdict;
}

}  // namespace jit::fuzz
