// Typed forms of the messages in protocol.h for jitd and jitctl (not for the
// modules: this layer uses the C++ standard library; they use
// message_views.h).  The members carry the names protocol.h's declarations
// give them: encode and decode are derived from those (codec.h), and each
// struct is the "type" column of JIT_MESSAGES.  encode builds a frame and
// checks it against its schema; decode_* read frames already validated by
// wire::decode_frame, so they cannot fail on layout, only on meaning.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include "jit/protocol.h"
#include "jit/result.h"
#include "jit/wire.h"

namespace jit::msg {

using Frame = std::vector<uint8_t>;

struct CheckRequest {
    std::string user, service, rhost, tty, ruser;
};

struct CheckReply {
    proto::Decision decision = proto::Decision::Deny;
    std::string reason;
    std::string grant_id;              // set when allowed
    std::optional<int64_t> not_after;  // set when allowed
    std::string rule;
};

struct GrantRecord {
    std::string id;
    std::string user;
    std::vector<std::string> services;
    std::string source;  // empty: any source
    int64_t not_before = 0;
    int64_t not_after = 0;
    std::string reason;
    uint64_t granted_by = 0;
    int64_t created = 0;
    proto::GrantState state = proto::GrantState::Active;
    std::optional<int64_t> ended_at;
    std::optional<uint64_t> ended_by;
    bool until_session_end = false;
    std::optional<uint64_t> uses;       // admissions allowed; absent: unlimited
    std::optional<uint64_t> uses_left;  // present with uses
    std::vector<std::string> groups;    // jit groups for the window
    std::vector<std::string> commands;  // sudo command patterns; empty: any command
    std::vector<std::string> runas;     // with commands: who they may run as (empty: root)
    // Set when a verified workload token made the grant (protocol.h,
    // JIT_IDENTITY_FIELDS): the identity.d section, iss, sub, and the
    // matched claims as "name=value".
    std::string identity_name, identity_issuer, identity_subject;
    std::vector<std::string> identity_claims;
    std::string fleet_id;  // the fleet grant it mirrors (jit-fleet); empty: local
};

struct GrantRequest {
    std::string user;
    std::vector<std::string> services;
    std::string reason;
    std::string source;
    std::optional<uint64_t> duration;
    std::optional<int64_t> not_before, not_after;
    bool until_session_end = false;
    std::optional<uint64_t> uses;
    std::vector<std::string> groups;           // jit groups for the window
    std::vector<std::string> commands, runas;  // sudo command scope (see GrantRecord)
    std::string fleet_id;                      // set by jit-fleet: the fleet grant mirrored
};

struct RevokeRequest {
    std::string grant_id;  // exactly one of grant_id and user
    std::string user;
    std::string reason;
};

struct ListRequest {
    std::string user;
    bool include_ended = false;
    std::optional<std::string> fleet_after;  // LIST: fleet grants only, a page after this
};

struct GrantList {  // GRANT_REPLY (one), REVOKE_REPLY and LIST_REPLY
    std::optional<int64_t> now;
    std::vector<GrantRecord> grants;
};

struct StatusReply {
    std::string version;
    uint64_t pid = 0;
    uint64_t uptime = 0;
    int64_t now = 0;
    uint64_t active_grants = 0;
    std::string state_dir;
    uint64_t schema_version = 0;
    std::vector<std::string> managed_users, managed_groups, managed_uids;
};

struct SessionOpenRequest {
    std::string user, service;
    uint64_t pid = 0;
    std::string rhost, tty, ruser, logind_session;
};

struct SessionOpenReply {
    proto::Decision decision = proto::Decision::Deny;
    std::string reason;
    std::string session_id, grant_id;  // set when allowed
    std::optional<int64_t> not_after;  // set when allowed
};

struct SessionCloseRequest {
    uint64_t pid = 0;
    std::string session_id, user, service;
};

struct SessionRecord {
    std::string id, user, service, grant_id;
    uint64_t pid = 0;
    int64_t opened = 0;
    proto::SessionState state = proto::SessionState::Open;
    std::string rhost, tty, ruser, logind_session;
    std::optional<uint64_t> sid, audit_session;
    std::optional<int64_t> ended;
    std::string reason;  // why it ended
};

struct SessionList {
    int64_t now = 0;
    std::vector<SessionRecord> sessions;
};

struct AuditRead {
    std::optional<uint64_t> from;
    std::optional<int64_t> since;
    std::string user;
};

struct AuditPage {
    std::vector<std::string> text;  // pieces of JSON lines, in order
    uint64_t next = 0;
    bool done = false;
};

struct ErrorReply {
    uint64_t code = 0;
    std::string message;
};

struct NoFields {};  // STATUS_REQUEST, ACCOUNT_LIST_REQUEST

struct SessionClosed {  // SESSION_CLOSE_REPLY
    std::string session_id;
};

// NSS accounts.
struct AccountRecord {
    std::string name;
    uint64_t uid = 0;
    uint64_t gid = 0;
    std::string home, shell, gecos;
    proto::AccountVisibility visibility = proto::AccountVisibility::Granted;
    std::vector<std::string> groups;  // standing jit groups
    proto::AccountOrigin origin = proto::AccountOrigin::Jitctl;
    int64_t created = 0;
};

struct AccountAddRequest {
    std::string name;
    std::optional<uint64_t> uid;
    std::vector<std::string> groups;
    std::string home, shell, gecos;  // empty: jitd's default
    std::optional<proto::AccountVisibility> visibility;
};

struct AccountRemoveRequest {
    std::string name;
};

struct AccountList {  // ACCOUNT_REPLY (one) and ACCOUNT_LIST_REPLY
    std::vector<AccountRecord> accounts;
};

Result<Frame> encode(const CheckRequest& m, uint32_t request_id);
Result<Frame> encode(const CheckReply& m, uint32_t request_id);
Result<Frame> encode(const GrantRequest& m, uint32_t request_id);
Result<Frame> encode(const RevokeRequest& m, uint32_t request_id);
Result<Frame> encode(const ListRequest& m, uint32_t request_id);
Result<Frame> encode_status_request(uint32_t request_id);
Result<Frame> encode(const StatusReply& m, uint32_t request_id);
Result<Frame> encode(const ErrorReply& m, uint32_t request_id);
// type is GrantReply, RevokeReply or ListReply.
Result<Frame> encode(proto::MsgType type, const GrantList& m, uint32_t request_id);
Result<Frame> encode(const AccountAddRequest& m, uint32_t request_id);
Result<Frame> encode(const AccountRemoveRequest& m, uint32_t request_id);
Result<Frame> encode_account_list_request(uint32_t request_id);
// type is AccountReply (exactly one account) or AccountListReply.
Result<Frame> encode(proto::MsgType type, const AccountList& m, uint32_t request_id);

Result<Frame> encode(const SessionOpenRequest& m, uint32_t request_id);
Result<Frame> encode(const SessionOpenReply& m, uint32_t request_id);
Result<Frame> encode(const SessionCloseRequest& m, uint32_t request_id);
Result<Frame> encode_session_close_reply(const std::string& session_id, uint32_t request_id);
// SESSION_LIST_REQUEST reuses ListRequest's layout.
Result<Frame> encode_session_list_request(const ListRequest& m, uint32_t request_id);
Result<Frame> encode(const SessionList& m, uint32_t request_id);

Result<Frame> encode(const AuditRead& m, uint32_t request_id);
Result<Frame> encode(const AuditPage& m, uint32_t request_id);

CheckRequest decode_check_request(const wire::MessageView& v);
CheckReply decode_check_reply(const wire::MessageView& v);
GrantRequest decode_grant_request(const wire::MessageView& v);
RevokeRequest decode_revoke_request(const wire::MessageView& v);
ListRequest decode_list_request(const wire::MessageView& v);
GrantList decode_grant_list(const wire::MessageView& v);
StatusReply decode_status_reply(const wire::MessageView& v);
ErrorReply decode_error_reply(const wire::MessageView& v);
SessionOpenRequest decode_session_open_request(const wire::MessageView& v);
SessionOpenReply decode_session_open_reply(const wire::MessageView& v);
SessionCloseRequest decode_session_close_request(const wire::MessageView& v);
std::string decode_session_close_reply(const wire::MessageView& v);
SessionList decode_session_list(const wire::MessageView& v);
AccountAddRequest decode_account_add_request(const wire::MessageView& v);
AccountRemoveRequest decode_account_remove_request(const wire::MessageView& v);
AccountList decode_account_list(const wire::MessageView& v);
AuditRead decode_audit_read(const wire::MessageView& v);
AuditPage decode_audit_page(const wire::MessageView& v);

}  // namespace jit::msg
