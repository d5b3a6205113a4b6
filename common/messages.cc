// The named encoders and decoders of messages.h and request_messages.h: each
// is encode_as/decode_as (message_codec.h) for one struct, kept so callers
// say which message they mean.
#include "jit/message_codec.h"

namespace jit::msg {

using proto::MsgType;

Result<Frame> encode(const CheckRequest& m, uint32_t id) {
    return encode_as(MsgType::CheckRequest, m, id);
}
Result<Frame> encode(const CheckReply& m, uint32_t id) {
    return encode_as(MsgType::CheckReply, m, id);
}
Result<Frame> encode(const GrantRequest& m, uint32_t id) {
    return encode_as(MsgType::GrantRequest, m, id);
}
Result<Frame> encode(const RevokeRequest& m, uint32_t id) {
    return encode_as(MsgType::RevokeRequest, m, id);
}
Result<Frame> encode(const ListRequest& m, uint32_t id) {
    return encode_as(MsgType::ListRequest, m, id);
}
Result<Frame> encode_status_request(uint32_t id) {
    return encode_as(MsgType::StatusRequest, NoFields{}, id);
}
Result<Frame> encode(const StatusReply& m, uint32_t id) {
    return encode_as(MsgType::StatusReply, m, id);
}
Result<Frame> encode(const ErrorReply& m, uint32_t id) {
    return encode_as(MsgType::ErrorReply, m, id);
}
Result<Frame> encode(MsgType type, const GrantList& m, uint32_t id) {
    return encode_as(type, m, id);
}
Result<Frame> encode(const AccountAddRequest& m, uint32_t id) {
    return encode_as(MsgType::AccountAddRequest, m, id);
}
Result<Frame> encode(const AccountRemoveRequest& m, uint32_t id) {
    return encode_as(MsgType::AccountRemoveRequest, m, id);
}
Result<Frame> encode_account_list_request(uint32_t id) {
    return encode_as(MsgType::AccountListRequest, NoFields{}, id);
}
Result<Frame> encode(MsgType type, const AccountList& m, uint32_t id) {
    return encode_as(type, m, id);
}
Result<Frame> encode(const SessionOpenRequest& m, uint32_t id) {
    return encode_as(MsgType::SessionOpenRequest, m, id);
}
Result<Frame> encode(const SessionOpenReply& m, uint32_t id) {
    return encode_as(MsgType::SessionOpenReply, m, id);
}
Result<Frame> encode(const SessionCloseRequest& m, uint32_t id) {
    return encode_as(MsgType::SessionCloseRequest, m, id);
}
Result<Frame> encode_session_close_reply(const std::string& session_id, uint32_t id) {
    return encode_as(MsgType::SessionCloseReply, SessionClosed{session_id}, id);
}
Result<Frame> encode_session_list_request(const ListRequest& m, uint32_t id) {
    return encode_as(MsgType::SessionListRequest, m, id);
}
Result<Frame> encode(const SessionList& m, uint32_t id) {
    return encode_as(MsgType::SessionListReply, m, id);
}
Result<Frame> encode(const RequestCreate& m, uint32_t id) {
    return encode_as(MsgType::RequestCreate, m, id);
}
Result<Frame> encode(MsgType type, const RequestAction& m, uint32_t id) {
    return encode_as(type, m, id);
}
Result<Frame> encode(const RequestQuery& m, uint32_t id) {
    return encode_as(MsgType::RequestList, m, id);
}
Result<Frame> encode(MsgType type, const RequestList& m, uint32_t id) {
    return encode_as(type, m, id);
}
Result<Frame> encode(const ExplainQuery& m, uint32_t id) {
    return encode_as(MsgType::ExplainRequest, m, id);
}
Result<Frame> encode(const ExplainReply& m, uint32_t id) {
    return encode_as(MsgType::ExplainReply, m, id);
}

CheckRequest decode_check_request(const wire::MessageView& v) {
    return decode_as<CheckRequest>(v);
}
CheckReply decode_check_reply(const wire::MessageView& v) {
    return decode_as<CheckReply>(v);
}
GrantRequest decode_grant_request(const wire::MessageView& v) {
    return decode_as<GrantRequest>(v);
}
RevokeRequest decode_revoke_request(const wire::MessageView& v) {
    return decode_as<RevokeRequest>(v);
}
ListRequest decode_list_request(const wire::MessageView& v) {
    return decode_as<ListRequest>(v);
}
GrantList decode_grant_list(const wire::MessageView& v) {
    return decode_as<GrantList>(v);
}
StatusReply decode_status_reply(const wire::MessageView& v) {
    return decode_as<StatusReply>(v);
}
ErrorReply decode_error_reply(const wire::MessageView& v) {
    return decode_as<ErrorReply>(v);
}
SessionOpenRequest decode_session_open_request(const wire::MessageView& v) {
    return decode_as<SessionOpenRequest>(v);
}
SessionOpenReply decode_session_open_reply(const wire::MessageView& v) {
    return decode_as<SessionOpenReply>(v);
}
SessionCloseRequest decode_session_close_request(const wire::MessageView& v) {
    return decode_as<SessionCloseRequest>(v);
}
std::string decode_session_close_reply(const wire::MessageView& v) {
    return decode_as<SessionClosed>(v).session_id;
}
SessionList decode_session_list(const wire::MessageView& v) {
    return decode_as<SessionList>(v);
}
AccountAddRequest decode_account_add_request(const wire::MessageView& v) {
    return decode_as<AccountAddRequest>(v);
}
AccountRemoveRequest decode_account_remove_request(const wire::MessageView& v) {
    return decode_as<AccountRemoveRequest>(v);
}
AccountList decode_account_list(const wire::MessageView& v) {
    return decode_as<AccountList>(v);
}
RequestCreate decode_request_create(const wire::MessageView& v) {
    return decode_as<RequestCreate>(v);
}
RequestAction decode_request_action(const wire::MessageView& v) {
    return decode_as<RequestAction>(v);
}
RequestQuery decode_request_query(const wire::MessageView& v) {
    return decode_as<RequestQuery>(v);
}
RequestList decode_request_list(const wire::MessageView& v) {
    return decode_as<RequestList>(v);
}
ExplainQuery decode_explain_query(const wire::MessageView& v) {
    return decode_as<ExplainQuery>(v);
}
ExplainReply decode_explain_reply(const wire::MessageView& v) {
    return decode_as<ExplainReply>(v);
}

Result<Frame> encode(const AuditRead& m, uint32_t id) {
    return encode_as(MsgType::AuditReadRequest, m, id);
}
Result<Frame> encode(const AuditPage& m, uint32_t id) {
    return encode_as(MsgType::AuditReadReply, m, id);
}
AuditRead decode_audit_read(const wire::MessageView& v) {
    return decode_as<AuditRead>(v);
}
AuditPage decode_audit_page(const wire::MessageView& v) {
    return decode_as<AuditPage>(v);
}

}  // namespace jit::msg
