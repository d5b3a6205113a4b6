#include "jit/wire.h"

#include <errno.h>
#include <string.h>

namespace jit::wire {

namespace {

using proto::kFieldHeaderSize;
using proto::kHeaderSize;
using proto::kMaxBody;
using proto::kMaxString;

void put_u16(uint8_t* p, uint16_t v) {
    p[0] = uint8_t(v);
    p[1] = uint8_t(v >> 8);
}
void put_u32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
void put_u64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
uint16_t get_u16(const uint8_t* p) {
    return uint16_t(p[0] | (p[1] << 8));
}
uint32_t get_u32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint64_t get_u64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

// ---- schemas: the layouts documented in protocol.h, as data ----

struct Schema;
struct FieldSpec {
    FieldTag tag;
    uint16_t min;  // occurrences required
    uint16_t max;  // occurrences allowed
    const Schema* record;
};
struct Schema {
    const FieldSpec* fields;
    size_t count;
};

// A schema whose fields are checked at compile time: a tag listed twice (as
// a merge can leave behind) would make its limits ambiguous, so it does not
// build.
void a_field_tag_is_listed_twice_in_one_schema() {}  // not constexpr: the error
template <size_t N>
consteval Schema checked_schema(const FieldSpec (&fields)[N]) {
    for (size_t i = 0; i < N; ++i)
        for (size_t j = i + 1; j < N; ++j)
            if (fields[i].tag == fields[j].tag) a_field_tag_is_listed_twice_in_one_schema();
    return Schema{fields, N};
}

constexpr uint16_t kMany = proto::kMaxRecords;
constexpr uint16_t kServices = proto::kMaxServices;
constexpr uint16_t kGroups = proto::kMaxGroups;

constexpr FieldSpec kGrantRecordFields[] = {
    {FieldTag::GrantId, 1, 1, nullptr},         {FieldTag::User, 1, 1, nullptr},
    {FieldTag::Service, 1, kServices, nullptr}, {FieldTag::Source, 0, 1, nullptr},
    {FieldTag::NotBefore, 1, 1, nullptr},       {FieldTag::NotAfter, 1, 1, nullptr},
    {FieldTag::Reason, 1, 1, nullptr},          {FieldTag::GrantedBy, 1, 1, nullptr},
    {FieldTag::Created, 1, 1, nullptr},         {FieldTag::State, 1, 1, nullptr},
    {FieldTag::EndedAt, 0, 1, nullptr},         {FieldTag::EndedBy, 0, 1, nullptr},
    {FieldTag::UntilSessionEnd, 0, 1, nullptr}, {FieldTag::Uses, 0, 1, nullptr},
    {FieldTag::UsesLeft, 0, 1, nullptr},        {FieldTag::JitGroup, 0, kGroups, nullptr},
};
constexpr Schema kGrantRecord = checked_schema(kGrantRecordFields);

constexpr FieldSpec kAccountRecordFields[] = {
    {FieldTag::User, 1, 1, nullptr},       {FieldTag::Uid, 1, 1, nullptr},
    {FieldTag::Gid, 1, 1, nullptr},        {FieldTag::Home, 1, 1, nullptr},
    {FieldTag::Shell, 1, 1, nullptr},      {FieldTag::Gecos, 0, 1, nullptr},
    {FieldTag::Visibility, 1, 1, nullptr}, {FieldTag::JitGroup, 0, kGroups, nullptr},
    {FieldTag::Origin, 1, 1, nullptr},     {FieldTag::Created, 1, 1, nullptr},
};
constexpr Schema kAccountRecord = checked_schema(kAccountRecordFields);

constexpr FieldSpec kCheckRequest[] = {
    {FieldTag::User, 1, 1, nullptr},  {FieldTag::Service, 1, 1, nullptr},
    {FieldTag::Rhost, 0, 1, nullptr}, {FieldTag::Tty, 0, 1, nullptr},
    {FieldTag::Ruser, 0, 1, nullptr},
};
constexpr FieldSpec kCheckReply[] = {
    {FieldTag::Decision, 1, 1, nullptr}, {FieldTag::Reason, 1, 1, nullptr},
    {FieldTag::GrantId, 0, 1, nullptr},  {FieldTag::NotAfter, 0, 1, nullptr},
    {FieldTag::Rule, 0, 1, nullptr},
};
constexpr FieldSpec kGrantRequest[] = {
    {FieldTag::User, 1, 1, nullptr},     {FieldTag::Service, 1, kServices, nullptr},
    {FieldTag::Reason, 1, 1, nullptr},   {FieldTag::Source, 0, 1, nullptr},
    {FieldTag::Duration, 0, 1, nullptr}, {FieldTag::NotBefore, 0, 1, nullptr},
    {FieldTag::NotAfter, 0, 1, nullptr}, {FieldTag::UntilSessionEnd, 0, 1, nullptr},
    {FieldTag::Uses, 0, 1, nullptr},     {FieldTag::JitGroup, 0, kGroups, nullptr},
};
constexpr FieldSpec kOneGrant[] = {{FieldTag::Grant, 1, 1, &kGrantRecord}};
constexpr FieldSpec kRevokeRequest[] = {
    {FieldTag::GrantId, 0, 1, nullptr},
    {FieldTag::User, 0, 1, nullptr},
    {FieldTag::Reason, 0, 1, nullptr},
};
constexpr FieldSpec kManyGrants[] = {{FieldTag::Grant, 0, kMany, &kGrantRecord}};
constexpr FieldSpec kListRequest[] = {
    {FieldTag::User, 0, 1, nullptr},
    {FieldTag::IncludeEnded, 0, 1, nullptr},
};
constexpr FieldSpec kListReply[] = {
    {FieldTag::Now, 1, 1, nullptr},
    {FieldTag::Grant, 0, kMany, &kGrantRecord},
};
constexpr FieldSpec kStatusReply[] = {
    {FieldTag::Version, 1, 1, nullptr},
    {FieldTag::Pid, 1, 1, nullptr},
    {FieldTag::Uptime, 1, 1, nullptr},
    {FieldTag::Now, 1, 1, nullptr},
    {FieldTag::ActiveGrants, 1, 1, nullptr},
    {FieldTag::StateDir, 1, 1, nullptr},
    {FieldTag::SchemaVersion, 1, 1, nullptr},
    {FieldTag::ManagedUsers, 0, kMany, nullptr},
    {FieldTag::ManagedGroups, 0, kMany, nullptr},
    {FieldTag::ManagedUids, 0, kMany, nullptr},
};
constexpr FieldSpec kAccountAddRequest[] = {
    {FieldTag::User, 1, 1, nullptr},           {FieldTag::Uid, 0, 1, nullptr},
    {FieldTag::JitGroup, 0, kGroups, nullptr}, {FieldTag::Home, 0, 1, nullptr},
    {FieldTag::Shell, 0, 1, nullptr},          {FieldTag::Gecos, 0, 1, nullptr},
    {FieldTag::Visibility, 0, 1, nullptr},
};
constexpr FieldSpec kOneAccount[] = {{FieldTag::Account, 1, 1, &kAccountRecord}};
constexpr FieldSpec kAccountRemoveRequest[] = {{FieldTag::User, 1, 1, nullptr}};
constexpr FieldSpec kManyAccounts[] = {{FieldTag::Account, 0, kMany, &kAccountRecord}};
// ---- policy, requests and approvals ----
constexpr FieldSpec kRequestRecordFields[] = {
    {FieldTag::RequestId, 1, 1, nullptr},
    {FieldTag::User, 1, 1, nullptr},
    {FieldTag::Service, 1, kServices, nullptr},
    {FieldTag::Source, 0, 1, nullptr},
    {FieldTag::NotBefore, 1, 1, nullptr},
    {FieldTag::NotAfter, 1, 1, nullptr},
    {FieldTag::Duration, 1, 1, nullptr},
    {FieldTag::StartOnApproval, 0, 1, nullptr},
    {FieldTag::Reason, 0, 1, nullptr},
    {FieldTag::Ticket, 0, 1, nullptr},
    {FieldTag::Requester, 1, 1, nullptr},
    {FieldTag::Rule, 1, 1, nullptr},
    {FieldTag::Required, 1, 1, nullptr},
    {FieldTag::ApproverGroup, 0, kServices, nullptr},
    {FieldTag::Risk, 0, 8, nullptr},
    {FieldTag::Created, 1, 1, nullptr},
    {FieldTag::Expires, 1, 1, nullptr},
    {FieldTag::RequestState, 1, 1, nullptr},
    {FieldTag::DecidedAt, 0, 1, nullptr},
    {FieldTag::DecidedBy, 0, 1, nullptr},
    {FieldTag::Comment, 0, 1, nullptr},
    {FieldTag::GrantId, 0, 1, nullptr},
};
constexpr Schema kRequestRecord = checked_schema(kRequestRecordFields);
constexpr FieldSpec kApprovalRecordFields[] = {
    {FieldTag::RequestId, 1, 1, nullptr}, {FieldTag::Approver, 1, 1, nullptr},
    {FieldTag::Verdict, 1, 1, nullptr},   {FieldTag::At, 1, 1, nullptr},
    {FieldTag::Comment, 0, 1, nullptr},   {FieldTag::Duration, 0, 1, nullptr},
};
constexpr Schema kApprovalRecord = checked_schema(kApprovalRecordFields);
constexpr FieldSpec kRuleReportFields[] = {
    {FieldTag::Rule, 1, 1, nullptr},
    {FieldTag::Kind, 1, 1, nullptr},
    {FieldTag::RuleOrigin, 1, 1, nullptr},
    {FieldTag::Outcome, 1, 1, nullptr},
};
constexpr Schema kRuleReportRecord = checked_schema(kRuleReportFields);
constexpr FieldSpec kConditionFields[] = {
    {FieldTag::Rule, 1, 1, nullptr},
    {FieldTag::CondName, 1, 1, nullptr},
    {FieldTag::CondState, 1, 1, nullptr},
    {FieldTag::Detail, 1, 1, nullptr},
};
constexpr Schema kConditionRecord = checked_schema(kConditionFields);

constexpr uint16_t kListed = proto::kMaxListedRequests;
// Approvals in a reply: at most kMaxServices approvers per request, for
// every request listed.
constexpr uint16_t kApprovals = proto::kMaxListedRequests * proto::kMaxServices;

constexpr FieldSpec kRequestCreate[] = {
    {FieldTag::User, 1, 1, nullptr},      {FieldTag::Service, 1, kServices, nullptr},
    {FieldTag::Duration, 1, 1, nullptr},  {FieldTag::Reason, 0, 1, nullptr},
    {FieldTag::Ticket, 0, 1, nullptr},    {FieldTag::Source, 0, 1, nullptr},
    {FieldTag::NotBefore, 0, 1, nullptr}, {FieldTag::StartOnApproval, 0, 1, nullptr},
};
constexpr FieldSpec kRequestReply[] = {
    {FieldTag::Request, 1, 1, &kRequestRecord},
    {FieldTag::Approval, 0, kServices, &kApprovalRecord},
};
constexpr FieldSpec kRequestCancel[] = {
    {FieldTag::RequestId, 1, 1, nullptr},
    {FieldTag::Comment, 0, 1, nullptr},
};
constexpr FieldSpec kRequestApprove[] = {
    {FieldTag::RequestId, 1, 1, nullptr},       {FieldTag::Comment, 0, 1, nullptr},
    {FieldTag::Duration, 0, 1, nullptr},        {FieldTag::Source, 0, 1, nullptr},
    {FieldTag::Service, 0, kServices, nullptr},
};
constexpr FieldSpec kRequestDeny[] = {
    {FieldTag::RequestId, 1, 1, nullptr},
    {FieldTag::Comment, 1, 1, nullptr},
};
constexpr FieldSpec kRequestShow[] = {{FieldTag::RequestId, 1, 1, nullptr}};
constexpr FieldSpec kRequestList[] = {
    {FieldTag::User, 0, 1, nullptr},
    {FieldTag::PendingOnly, 0, 1, nullptr},
};
constexpr FieldSpec kRequestListReply[] = {
    {FieldTag::Now, 1, 1, nullptr},
    {FieldTag::Request, 0, kListed, &kRequestRecord},
    {FieldTag::Approval, 0, kApprovals, &kApprovalRecord},
};
constexpr FieldSpec kExplainRequest[] = {
    {FieldTag::User, 1, 1, nullptr},
    {FieldTag::Service, 1, 1, nullptr},
    {FieldTag::Rhost, 0, 1, nullptr},
    {FieldTag::At, 0, 1, nullptr},
};
constexpr FieldSpec kExplainReply[] = {
    {FieldTag::Now, 1, 1, nullptr},
    {FieldTag::At, 1, 1, nullptr},
    {FieldTag::Managed, 1, 1, nullptr},
    {FieldTag::Decision, 1, 1, nullptr},
    {FieldTag::Reason, 1, 1, nullptr},
    {FieldTag::Rule, 1, 1, nullptr},
    {FieldTag::GrantId, 0, 1, nullptr},
    {FieldTag::NotAfter, 0, 1, nullptr},
    {FieldTag::RuleReport, 0, kMany, &kRuleReportRecord},
    {FieldTag::Condition, 0, kMany, &kConditionRecord},
    {FieldTag::Request, 0, kListed, &kRequestRecord},
    {FieldTag::Approval, 0, kApprovals, &kApprovalRecord},
};

constexpr FieldSpec kErrorReply[] = {
    {FieldTag::ErrorCode, 1, 1, nullptr},
    {FieldTag::Message, 1, 1, nullptr},
};

constexpr FieldSpec kSessionRecordFields[] = {
    {FieldTag::SessionId, 1, 1, nullptr},     {FieldTag::User, 1, 1, nullptr},
    {FieldTag::Service, 1, 1, nullptr},       {FieldTag::GrantId, 1, 1, nullptr},
    {FieldTag::SessionPid, 1, 1, nullptr},    {FieldTag::Opened, 1, 1, nullptr},
    {FieldTag::SessionState, 1, 1, nullptr},  {FieldTag::Rhost, 0, 1, nullptr},
    {FieldTag::Tty, 0, 1, nullptr},           {FieldTag::Ruser, 0, 1, nullptr},
    {FieldTag::LogindSession, 0, 1, nullptr}, {FieldTag::LeaderSid, 0, 1, nullptr},
    {FieldTag::AuditSession, 0, 1, nullptr},  {FieldTag::SessionEnded, 0, 1, nullptr},
    {FieldTag::Reason, 0, 1, nullptr},
};
constexpr Schema kSessionRecord = checked_schema(kSessionRecordFields);
constexpr FieldSpec kSessionOpenRequest[] = {
    {FieldTag::User, 1, 1, nullptr},          {FieldTag::Service, 1, 1, nullptr},
    {FieldTag::SessionPid, 1, 1, nullptr},    {FieldTag::Rhost, 0, 1, nullptr},
    {FieldTag::Tty, 0, 1, nullptr},           {FieldTag::Ruser, 0, 1, nullptr},
    {FieldTag::LogindSession, 0, 1, nullptr},
};
constexpr FieldSpec kSessionOpenReply[] = {
    {FieldTag::Decision, 1, 1, nullptr},  {FieldTag::Reason, 1, 1, nullptr},
    {FieldTag::SessionId, 0, 1, nullptr}, {FieldTag::GrantId, 0, 1, nullptr},
    {FieldTag::NotAfter, 0, 1, nullptr},
};
constexpr FieldSpec kSessionCloseRequest[] = {
    {FieldTag::SessionPid, 1, 1, nullptr},
    {FieldTag::SessionId, 0, 1, nullptr},
    {FieldTag::User, 0, 1, nullptr},
    {FieldTag::Service, 0, 1, nullptr},
};
constexpr FieldSpec kSessionCloseReply[] = {{FieldTag::SessionId, 1, 1, nullptr}};
constexpr FieldSpec kSessionListReply[] = {
    {FieldTag::Now, 1, 1, nullptr},
    {FieldTag::Session, 0, kMany, &kSessionRecord},
};

#define JIT_SCHEMA(a) checked_schema(a)

bool schema_for(MsgType type, Schema* out) {
    switch (type) {
        case MsgType::CheckRequest:
            *out = JIT_SCHEMA(kCheckRequest);
            return true;
        case MsgType::CheckReply:
            *out = JIT_SCHEMA(kCheckReply);
            return true;
        case MsgType::GrantRequest:
            *out = JIT_SCHEMA(kGrantRequest);
            return true;
        case MsgType::GrantReply:
            *out = JIT_SCHEMA(kOneGrant);
            return true;
        case MsgType::RevokeRequest:
            *out = JIT_SCHEMA(kRevokeRequest);
            return true;
        case MsgType::RevokeReply:
            *out = JIT_SCHEMA(kManyGrants);
            return true;
        case MsgType::ListRequest:
            *out = JIT_SCHEMA(kListRequest);
            return true;
        case MsgType::ListReply:
            *out = JIT_SCHEMA(kListReply);
            return true;
        case MsgType::StatusRequest:
            *out = Schema{nullptr, 0};
            return true;
        case MsgType::StatusReply:
            *out = JIT_SCHEMA(kStatusReply);
            return true;
        case MsgType::AccountAddRequest:
            *out = JIT_SCHEMA(kAccountAddRequest);
            return true;
        case MsgType::AccountReply:
            *out = JIT_SCHEMA(kOneAccount);
            return true;
        case MsgType::AccountRemoveRequest:
            *out = JIT_SCHEMA(kAccountRemoveRequest);
            return true;
        case MsgType::AccountListRequest:
            *out = Schema{nullptr, 0};
            return true;
        case MsgType::AccountListReply:
            *out = JIT_SCHEMA(kManyAccounts);
            return true;
        case MsgType::RequestCreate:
            *out = JIT_SCHEMA(kRequestCreate);
            return true;
        case MsgType::RequestReply:
            *out = JIT_SCHEMA(kRequestReply);
            return true;
        case MsgType::RequestCancel:
            *out = JIT_SCHEMA(kRequestCancel);
            return true;
        case MsgType::RequestApprove:
            *out = JIT_SCHEMA(kRequestApprove);
            return true;
        case MsgType::RequestDeny:
            *out = JIT_SCHEMA(kRequestDeny);
            return true;
        case MsgType::RequestShow:
            *out = JIT_SCHEMA(kRequestShow);
            return true;
        case MsgType::RequestList:
            *out = JIT_SCHEMA(kRequestList);
            return true;
        case MsgType::RequestListReply:
            *out = JIT_SCHEMA(kRequestListReply);
            return true;
        case MsgType::ExplainRequest:
            *out = JIT_SCHEMA(kExplainRequest);
            return true;
        case MsgType::ExplainReply:
            *out = JIT_SCHEMA(kExplainReply);
            return true;
        case MsgType::ErrorReply:
            *out = JIT_SCHEMA(kErrorReply);
            return true;
        case MsgType::SessionOpenRequest:
            *out = JIT_SCHEMA(kSessionOpenRequest);
            return true;
        case MsgType::SessionOpenReply:
            *out = JIT_SCHEMA(kSessionOpenReply);
            return true;
        case MsgType::SessionCloseRequest:
            *out = JIT_SCHEMA(kSessionCloseRequest);
            return true;
        case MsgType::SessionCloseReply:
            *out = JIT_SCHEMA(kSessionCloseReply);
            return true;
        case MsgType::SessionListRequest:
            *out = JIT_SCHEMA(kListRequest);
            return true;
        case MsgType::SessionListReply:
            *out = JIT_SCHEMA(kSessionListReply);
            return true;
    }
    return false;
}

// The most fields one schema lists (the request record has 22).
constexpr size_t kMaxSpecs = 32;
static_assert(sizeof kRequestRecordFields / sizeof(FieldSpec) <= kMaxSpecs);
static_assert(sizeof kExplainReply / sizeof(FieldSpec) <= kMaxSpecs);

Error protocol_error(const char* what) {
    return make_error(EPROTO, what);
}

Result<void> check_value(const FieldView& f, const FieldSpec& spec, int depth);

Result<void> validate_fields(const Schema& schema, const uint8_t* p, size_t len, int depth,
                             uint16_t* counts) {
    const uint8_t* end = p + len;
    for (size_t i = 0; i < schema.count; ++i) counts[i] = 0;
    while (p < end) {
        if (size_t(end - p) < kFieldHeaderSize) return protocol_error("truncated field header");
        FieldView f;
        f.tag = FieldTag(get_u16(p));
        f.kind = FieldKind(p[2]);
        uint8_t flags = p[3];
        f.len = get_u32(p + 4);
        p += kFieldHeaderSize;
        if (flags != 0) return protocol_error("reserved field flags set");
        if (f.len > size_t(end - p)) return protocol_error("field length exceeds frame");
        if (kind_of(f.tag) == FieldKind(0)) return protocol_error("unknown field tag");
        if (kind_of(f.tag) != f.kind) return protocol_error("field kind does not match tag");
        f.data = p;
        size_t i = 0;
        while (i < schema.count && schema.fields[i].tag != f.tag) ++i;
        if (i == schema.count) return protocol_error("field not allowed in this message");
        if (++counts[i] > schema.fields[i].max) return protocol_error("field repeated");
        if (auto r = check_value(f, schema.fields[i], depth); !r) return r;
        p += f.len;
    }
    for (size_t i = 0; i < schema.count; ++i)
        if (counts[i] < schema.fields[i].min) return protocol_error("required field missing");
    return success();
}

Result<void> check_value(const FieldView& f, const FieldSpec& spec, int depth) {
    switch (f.kind) {
        case FieldKind::U64:
        case FieldKind::I64:
            if (f.len != 8) return protocol_error("integer field is not 8 bytes");
            return success();
        case FieldKind::Bool:
            if (f.len != 1 || f.data[0] > 1) return protocol_error("malformed boolean");
            return success();
        case FieldKind::String:
            if (f.len > kMaxString) return protocol_error("string too long");
            if (!valid_text(reinterpret_cast<const char*>(f.data), f.len))
                return protocol_error("string is not valid UTF-8 text");
            return success();
        case FieldKind::Record: {
            if (depth > 0 || spec.record == nullptr) return protocol_error("nested record");
            uint16_t counts[kMaxSpecs];
            return validate_fields(*spec.record, f.data, f.len, depth + 1, counts);
        }
    }
    return protocol_error("unknown field kind");
}

bool has_field(const uint8_t* body, size_t len, FieldTag tag, FieldView* out) {
    FieldIterator it(body, len);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == tag) {
            if (out) *out = f;
            return true;
        }
    }
    return false;
}

// A text field that is present but empty names nothing, and the typed layer
// (messages.h) cannot tell it from an absent one; so the rules that hinge on
// a field's presence count it as absent.  Otherwise a frame could pass a rule
// here and fail it once decoded and re-encoded (found by the protocol fuzzer).
bool has_text(const uint8_t* body, size_t len, FieldTag tag) {
    FieldView f;
    return has_field(body, len, tag, &f) && f.len > 0;
}

// Rules that span fields, checked after the schema.
Result<void> check_message_rules(MsgType type, const uint8_t* body, size_t len) {
    FieldView f;
    switch (type) {
        case MsgType::SessionOpenReply: {
            has_field(body, len, FieldTag::Decision, &f);
            auto d = proto::Decision(f.u64());
            if (d == proto::Decision::Allow) {
                if (!has_text(body, len, FieldTag::SessionId) ||
                    !has_text(body, len, FieldTag::GrantId) ||
                    !has_field(body, len, FieldTag::NotAfter, nullptr))
                    return protocol_error("allow without session id, grant id and expiry");
            } else if (d != proto::Decision::Deny) {
                return protocol_error("unknown decision value");
            }
            return success();
        }
        case MsgType::SessionCloseReply:
            if (!has_text(body, len, FieldTag::SessionId))
                return protocol_error("close reply without a session id");
            return success();
        case MsgType::CheckReply: {
            has_field(body, len, FieldTag::Decision, &f);
            auto d = proto::Decision(f.u64());
            if (d == proto::Decision::Allow) {
                if (!has_text(body, len, FieldTag::GrantId) ||
                    !has_field(body, len, FieldTag::NotAfter, nullptr))
                    return protocol_error("allow without grant id and expiry");
            } else if (d != proto::Decision::Deny) {
                return protocol_error("unknown decision value");
            }
            return success();
        }
        case MsgType::GrantRequest: {
            bool duration = has_field(body, len, FieldTag::Duration, nullptr);
            bool nb = has_field(body, len, FieldTag::NotBefore, nullptr);
            bool na = has_field(body, len, FieldTag::NotAfter, nullptr);
            if (duration ? (nb || na) : !(nb && na))
                return protocol_error("grant needs a duration or both bounds");
            return success();
        }
        case MsgType::RevokeRequest: {
            bool id = has_text(body, len, FieldTag::GrantId);
            bool user = has_text(body, len, FieldTag::User);
            if (id == user) return protocol_error("revoke needs a grant id or a user");
            return success();
        }
        case MsgType::RequestCreate: {
            bool on_approval = has_field(body, len, FieldTag::StartOnApproval, &f) && f.boolean();
            if (on_approval && has_field(body, len, FieldTag::NotBefore, nullptr))
                return protocol_error("a request starts at NotBefore or at approval, not both");
            return success();
        }
        case MsgType::RequestDeny:
            if (!has_text(body, len, FieldTag::Comment))
                return protocol_error("a denial needs a comment");
            return success();
        case MsgType::ExplainReply: {
            has_field(body, len, FieldTag::Decision, &f);
            auto d = proto::Decision(f.u64());
            if (d != proto::Decision::Allow && d != proto::Decision::Deny)
                return protocol_error("unknown decision value");
            return success();
        }
        default:
            return success();
    }
}

}  // namespace

FieldKind kind_of(FieldTag tag) {
    switch (tag) {
        case FieldTag::User:
        case FieldTag::Service:
        case FieldTag::Rhost:
        case FieldTag::Tty:
        case FieldTag::Ruser:
        case FieldTag::Reason:
        case FieldTag::GrantId:
        case FieldTag::Source:
        case FieldTag::Rule:
        case FieldTag::Message:
        case FieldTag::Version:
        case FieldTag::ManagedUsers:
        case FieldTag::ManagedGroups:
        case FieldTag::ManagedUids:
        case FieldTag::StateDir:
        case FieldTag::SessionId:
        case FieldTag::LogindSession:
        case FieldTag::Home:
        case FieldTag::Shell:
        case FieldTag::Gecos:
        case FieldTag::JitGroup:
        case FieldTag::RequestId:
        case FieldTag::Ticket:
        case FieldTag::Comment:
        case FieldTag::ApproverGroup:
        case FieldTag::Risk:
        case FieldTag::CondName:
        case FieldTag::Detail:
        case FieldTag::Kind:
        case FieldTag::RuleOrigin:
        case FieldTag::Outcome:
            return FieldKind::String;
        case FieldTag::Decision:
        case FieldTag::Duration:
        case FieldTag::GrantedBy:
        case FieldTag::State:
        case FieldTag::EndedBy:
        case FieldTag::ErrorCode:
        case FieldTag::Pid:
        case FieldTag::Uptime:
        case FieldTag::ActiveGrants:
        case FieldTag::SchemaVersion:
        case FieldTag::SessionPid:
        case FieldTag::Uses:
        case FieldTag::UsesLeft:
        case FieldTag::SessionState:
        case FieldTag::LeaderSid:
        case FieldTag::AuditSession:
        case FieldTag::Uid:
        case FieldTag::Gid:
        case FieldTag::Visibility:
        case FieldTag::Origin:
        case FieldTag::RequestState:
        case FieldTag::Requester:
        case FieldTag::Approver:
        case FieldTag::Verdict:
        case FieldTag::Required:
        case FieldTag::CondState:
        case FieldTag::DecidedBy:
            return FieldKind::U64;
        case FieldTag::NotBefore:
        case FieldTag::NotAfter:
        case FieldTag::Created:
        case FieldTag::EndedAt:
        case FieldTag::Now:
        case FieldTag::Opened:
        case FieldTag::SessionEnded:
        case FieldTag::At:
        case FieldTag::Expires:
        case FieldTag::DecidedAt:
            return FieldKind::I64;
        case FieldTag::IncludeEnded:
        case FieldTag::UntilSessionEnd:
        case FieldTag::StartOnApproval:
        case FieldTag::PendingOnly:
        case FieldTag::Managed:
            return FieldKind::Bool;
        case FieldTag::Grant:
        case FieldTag::Session:
        case FieldTag::Account:
        case FieldTag::Request:
        case FieldTag::Approval:
        case FieldTag::RuleReport:
        case FieldTag::Condition:
            return FieldKind::Record;
    }
    return FieldKind(0);
}

bool valid_text(const char* s, size_t len) {
    const auto* p = reinterpret_cast<const unsigned char*>(s);
    const unsigned char* end = p + len;
    while (p < end) {
        unsigned c = *p;
        if (c == 0) return false;
        if (c < 0x80) {
            ++p;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0)
            n = 1, cp = c & 0x1f, min = 0x80;
        else if ((c & 0xf0) == 0xe0)
            n = 2, cp = c & 0x0f, min = 0x800;
        else if ((c & 0xf8) == 0xf0)
            n = 3, cp = c & 0x07, min = 0x10000;
        else
            return false;
        if (size_t(end - p) <= n) return false;
        for (size_t i = 1; i <= n; ++i) {
            if ((p[i] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        p += n + 1;
    }
    return true;
}

Result<FrameHeader> parse_header(const uint8_t* b, size_t len) {
    if (len != kHeaderSize) return protocol_error("short frame header");
    if (get_u32(b) != proto::kMagic) return protocol_error("bad frame magic");
    if (get_u16(b + 4) != proto::kVersion) return protocol_error("unsupported protocol version");
    FrameHeader h;
    h.type = MsgType(get_u16(b + 6));
    Schema unused;
    if (!schema_for(h.type, &unused)) return protocol_error("unknown message type");
    h.request_id = get_u32(b + 8);
    h.body_len = get_u32(b + 12);
    if (h.body_len > kMaxBody) return make_error(EMSGSIZE, "frame body exceeds limit");
    return h;
}

Result<void> validate_body(MsgType type, const uint8_t* body, size_t len) {
    Schema schema;
    if (!schema_for(type, &schema)) return protocol_error("unknown message type");
    if (len > kMaxBody) return make_error(EMSGSIZE, "frame body exceeds limit");
    uint16_t counts[kMaxSpecs];
    if (auto r = validate_fields(schema, body, len, 0, counts); !r) return r;
    return check_message_rules(type, body, len);
}

Result<MessageView> decode_frame(const uint8_t* bytes, size_t len) {
    if (len < kHeaderSize) return protocol_error("short frame header");
    auto h = parse_header(bytes, kHeaderSize);
    if (!h) return h.error();
    if (len - kHeaderSize != h->body_len) return protocol_error("frame length mismatch");
    MessageView m;
    m.header = *h;
    m.body = bytes + kHeaderSize;
    m.body_len = h->body_len;
    if (auto r = validate_body(m.header.type, m.body, m.body_len); !r) return r.error();
    return m;
}

uint64_t FieldView::u64() const {
    return get_u64(data);
}
int64_t FieldView::i64() const {
    return int64_t(get_u64(data));
}

bool FieldIterator::next(FieldView* out) {
    if (size_t(end_ - p_) < kFieldHeaderSize) return false;
    out->tag = FieldTag(get_u16(p_));
    out->kind = FieldKind(p_[2]);
    out->len = get_u32(p_ + 4);
    out->data = p_ + kFieldHeaderSize;
    if (out->len > size_t(end_ - out->data)) return false;  // never on a validated body
    p_ = out->data + out->len;
    return true;
}

FrameWriter::FrameWriter(uint8_t* buf, size_t capacity, MsgType type, uint32_t request_id)
    : buf_(buf), capacity_(capacity), len_(kHeaderSize) {
    if (capacity_ > proto::kMaxFrame) capacity_ = proto::kMaxFrame;
    if (capacity_ < kHeaderSize) {
        fail(EMSGSIZE, "buffer smaller than a frame header");
        return;
    }
    put_u32(buf_, proto::kMagic);
    put_u16(buf_ + 4, proto::kVersion);
    put_u16(buf_ + 6, uint16_t(type));
    put_u32(buf_ + 8, request_id);
    put_u32(buf_ + 12, 0);
}

void FrameWriter::fail(int code, const char* what) {
    if (!failed_) error_ = make_error(code, what);
    failed_ = true;
}

uint8_t* FrameWriter::field_header(FieldTag tag, FieldKind kind, size_t value_len) {
    if (failed_) return nullptr;
    if (kind_of(tag) != kind) {
        fail(EINVAL, "field kind does not match tag");
        return nullptr;
    }
    if (value_len > capacity_ - len_ || capacity_ - len_ - value_len < kFieldHeaderSize) {
        fail(EMSGSIZE, "message too large for a frame");
        return nullptr;
    }
    uint8_t* p = buf_ + len_;
    put_u16(p, uint16_t(tag));
    p[2] = uint8_t(kind);
    p[3] = 0;
    put_u32(p + 4, uint32_t(value_len));
    len_ += kFieldHeaderSize + value_len;
    return p + kFieldHeaderSize;
}

void FrameWriter::add_string(FieldTag tag, std::string_view value) {
    if (value.size() > kMaxString) return fail(EINVAL, "string too long");
    if (!valid_text(value.data(), value.size())) return fail(EINVAL, "string is not UTF-8 text");
    if (uint8_t* p = field_header(tag, FieldKind::String, value.size()))
        if (!value.empty()) memcpy(p, value.data(), value.size());
}

void FrameWriter::add_u64(FieldTag tag, uint64_t value) {
    if (uint8_t* p = field_header(tag, FieldKind::U64, 8)) put_u64(p, value);
}

void FrameWriter::add_i64(FieldTag tag, int64_t value) {
    if (uint8_t* p = field_header(tag, FieldKind::I64, 8)) put_u64(p, uint64_t(value));
}

void FrameWriter::add_bool(FieldTag tag, bool value) {
    if (uint8_t* p = field_header(tag, FieldKind::Bool, 1)) p[0] = value ? 1 : 0;
}

void FrameWriter::begin_record(FieldTag tag) {
    if (record_start_ != 0) return fail(EINVAL, "nested record");
    size_t at = len_;
    if (field_header(tag, FieldKind::Record, 0)) record_start_ = at;
}

void FrameWriter::end_record() {
    if (failed_) return;
    if (record_start_ == 0) return fail(EINVAL, "end_record without begin_record");
    size_t value_len = len_ - record_start_ - kFieldHeaderSize;
    put_u32(buf_ + record_start_ + 4, uint32_t(value_len));
    record_start_ = 0;
}

Result<size_t> FrameWriter::finish() {
    if (record_start_ != 0) fail(EINVAL, "record left open");
    if (failed_) return error_;
    put_u32(buf_ + 12, uint32_t(len_ - kHeaderSize));
    return len_;
}

}  // namespace jit::wire
