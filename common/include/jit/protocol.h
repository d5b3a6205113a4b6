// The jitd wire protocol: the one written contract between jitd, jitctl and
// pam_jit.so.  Every message, its layout and its limits are defined here; the
// codec (wire.h) enforces exactly this and nothing else.
//
// Transport: a SOCK_STREAM Unix socket.  One connection carries one request
// frame from the client and one reply frame from the server, then closes.
// Both sides authenticate the other by kernel credentials (SO_PEERCRED).
//
// FRAME  (all integers little-endian)
//   offset size field
//   0      4    magic       kMagic, the bytes "JIT1"
//   4      2    version     kVersion; a peer rejects any other value
//   6      2    type        MsgType below
//   8      4    request_id  chosen by the client, echoed by the server
//   12     4    body_len    bytes of body that follow; > kMaxBody is rejected
//                           from the header alone, before anything is allocated
//   16     ...  body        a sequence of fields, exactly body_len bytes
//
// FIELD
//   0      2    tag         FieldTag below; each tag has one fixed kind
//   2      1    kind        FieldKind below; must match the tag's kind
//   3      1    flags       reserved, must be 0
//   4      4    len         bytes of value; must fit in the remaining body
//   8      len  value       u64/i64: exactly 8 bytes; bool: 1 byte, 0 or 1;
//                           string: UTF-8, no NUL, len <= kMaxString;
//                           record: a nested sequence of fields (depth 1 only)
//
// A message is valid only if every field's tag is allowed for its type (an
// unknown tag is an error, never skipped), no non-repeated tag appears twice,
// every required tag is present, and each value is well formed.  Anything
// else is a protocol error and, for a managed account, a denial.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace jit::proto {

inline constexpr uint32_t kMagic = 0x3154494a;  // "JIT1" read as little-endian u32
inline constexpr uint16_t kVersion = 1;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kFieldHeaderSize = 8;
inline constexpr uint32_t kMaxBody = 64 * 1024 - kHeaderSize;  // whole frame <= 64 KiB
inline constexpr size_t kMaxFrame = kHeaderSize + kMaxBody;
inline constexpr uint32_t kMaxString = 4096;
inline constexpr uint32_t kMaxServices = 16;   // services named in one grant
inline constexpr uint32_t kMaxRecords = 1000;  // grant records in one reply
inline constexpr uint64_t kMaxUses = 1000000;  // largest Uses a grant may carry
inline constexpr uint32_t kMaxGroups = 16;     // jit groups named in one grant or account

enum class FieldKind : uint8_t {
    U64 = 1,
    I64 = 2,
    String = 3,
    Bool = 4,
    Record = 5,
};

// Tags are global: a tag means the same thing, with the same kind, in every
// message that allows it.
enum class FieldTag : uint16_t {
    User = 1,            // string: account name, [a-z_][a-z0-9_.-]* up to 32 chars
    Service = 2,         // string: PAM service name (sshd, sudo, ...), repeated in grants
    Rhost = 3,           // string: PAM_RHOST, may be empty or a hostname
    Tty = 4,             // string: PAM_TTY
    Ruser = 5,           // string: PAM_RUSER
    Decision = 6,        // u64: Decision below; 0 is never valid
    Reason = 7,          // string: why (deny reason, grant reason, revoke reason)
    GrantId = 8,         // string: "g-" followed by 8 id characters
    NotBefore = 9,       // i64: UTC seconds since the epoch, inclusive
    NotAfter = 10,       // i64: UTC seconds since the epoch, exclusive
    Duration = 11,       // u64: seconds
    Source = 12,         // string: CIDR (10.0.0.0/8, 2001:db8::/32) or single address
    Rule = 13,           // string: what matched (grant id today, policy rule later)
    Grant = 14,          // record: one grant, layout GrantRecord below
    GrantedBy = 15,      // u64: uid of the administrator who created the grant
    Created = 16,        // i64: UTC seconds when the grant was recorded
    State = 17,          // u64: GrantState below
    EndedAt = 18,        // i64: UTC seconds when revoked/expired was recorded
    EndedBy = 19,        // u64: uid that revoked the grant
    Now = 20,            // i64: the server's clock, UTC seconds
    IncludeEnded = 21,   // bool: list ended grants too
    ErrorCode = 22,      // u64: errno value (EPERM, EINVAL, ENOENT, ...)
    Message = 23,        // string: human-readable error text
    Version = 24,        // string: jitd version
    Pid = 25,            // u64: jitd pid
    Uptime = 26,         // u64: seconds since jitd started
    ActiveGrants = 27,   // u64: grants in force now
    ManagedUsers = 28,   // string, repeated: users named by the managed= config
    ManagedGroups = 29,  // string, repeated
    ManagedUids = 30,    // string, repeated: "60000-60999"
    StateDir = 31,       // string
    SchemaVersion = 32,  // u64

    // Sessions and task-bound grants (60-79).
    SessionId = 60,        // string: "s-" followed by 8 id characters
    SessionPid = 61,       // u64: pid of the process running the PAM stack (sshd, sudo)
    LogindSession = 62,    // string: XDG_SESSION_ID that pam_systemd put in the PAM env
    UntilSessionEnd = 63,  // bool: the grant ends when the first session it admitted closes
    Uses = 64,             // u64: admissions the grant allows (1..kMaxUses)
    UsesLeft = 65,         // u64: admissions not yet used
    Session = 66,          // record: one session, layout SessionRecord below
    Opened = 67,           // i64: UTC seconds when the session opened
    SessionEnded = 68,     // i64: UTC seconds when it was closed, terminated or refused
    SessionState = 69,     // u64: SessionState below
    LeaderSid = 70,        // u64: session id (getsid) of the PAM process, read by jitd
    AuditSession = 71,     // u64: audit session id of the PAM process, read by jitd
    // NSS accounts and jit groups (40-59)
    Account = 40,     // record: one NSS account, layout AccountRecord below
    Uid = 41,         // u64: 1..0xfffffffe
    Gid = 42,         // u64: the gid of the account's private group
    Home = 43,        // string: absolute path, no ':' or control characters
    Shell = 44,       // string: absolute path, no ':' or control characters
    Gecos = 45,       // string: no ':' or control characters, may be empty
    Visibility = 46,  // u64: AccountVisibility below
    JitGroup = 47,    // string, repeated: a jit group, named like a User
    Origin = 48,      // u64: AccountOrigin below
    // ---- policy, requests and approvals (80-129) ----
    RequestId = 80,        // string: "r-" followed by 8 id characters
    Ticket = 81,           // string: change ticket, up to 128 bytes
    Comment = 82,          // string: an approver's or canceller's words
    StartOnApproval = 83,  // bool: the grant's clock starts when it is approved
    RequestState = 84,     // u64: RequestState below
    Requester = 85,        // u64: uid that made the request
    Approver = 86,         // u64: uid of an approver
    Verdict = 87,          // u64: Verdict below
    At = 88,               // i64: UTC seconds: when (an approval; explain's instant)
    Required = 89,         // u64: approvals needed; 0: approved by policy alone
    ApproverGroup = 90,    // string, repeated: group whose members may approve
    Risk = 91,             // string, repeated: risk signal (new-source, unusual-hour, burst)
    Request = 92,          // record: one request, layout RequestRecord below
    Approval = 93,         // record: one approval or denial, layout ApprovalRecord below
    PendingOnly = 94,      // bool: list pending requests only
    RuleReport = 95,       // record: one rule in explain, layout RuleReportRecord below
    Condition = 96,        // record: one condition of a rule, layout ConditionRecord below
    CondName = 97,         // string: account, service, source, schedule, ...
    CondState = 98,        // u64: CondState below
    Detail = 99,           // string: what the condition found
    Kind = 100,            // string: "request" or "implicit"
    RuleOrigin = 101,      // string: "file:line" of a rule
    Outcome = 102,         // string: what a rule does for the question
    Expires = 103,         // i64: UTC seconds when a pending request expires
    DecidedAt = 104,       // i64: UTC seconds when the request left pending
    DecidedBy = 105,       // u64: uid that decided (last approver, denier, canceller)
    Managed = 106,         // bool: whether jit manages the account
};

enum class MsgType : uint16_t {
    // CHECK_REQUEST: may this account use this PAM service now?
    //   User!, Service!, Rhost?, Tty?, Ruser?
    // Caller: root, or the uid jitd runs as.
    CheckRequest = 1,
    // CHECK_REPLY
    //   Decision!, Reason!, GrantId? NotAfter? Rule?
    //   Decision=Allow additionally requires GrantId and NotAfter.
    CheckReply = 2,

    // GRANT_REQUEST: create a grant.
    //   User!, Service+ (1..kMaxServices), Reason!, Source?,
    //   Duration (from now) | NotBefore! + NotAfter! (exactly one form),
    //   JitGroup* (0..kMaxGroups: jit groups the user is in for the window)
    // Caller: root, jitd's uid, or a member of the admin group.
    GrantRequest = 3,
    // GRANT_REPLY: Grant! (the durable record)
    GrantReply = 4,

    // REVOKE_REQUEST: end grants now.
    //   GrantId | User (exactly one), Reason?
    // Caller: as GRANT_REQUEST.
    RevokeRequest = 5,
    // REVOKE_REPLY: Grant* (each grant that was revoked)
    RevokeReply = 6,

    // LIST_REQUEST: User?, IncludeEnded?
    // Caller: any local user (grants are not secrets; reasons may be).
    ListRequest = 7,
    // LIST_REPLY: Now!, Grant* (at most kMaxRecords)
    ListReply = 8,

    // STATUS_REQUEST: empty body.  Caller: any local user.
    StatusRequest = 9,
    // STATUS_REPLY: Version!, Pid!, Uptime!, Now!, ActiveGrants!, StateDir!,
    //   SchemaVersion!, ManagedUsers*, ManagedGroups*, ManagedUids*
    StatusReply = 10,

    // SESSION_OPEN_REQUEST: a PAM session is opening (pam_sm_open_session).
    //   User!, Service!, SessionPid!, Rhost?, Tty?, Ruser?, LogindSession?
    // SessionPid must be the caller's own pid (jitd compares it with
    // SO_PEERCRED).  Caller: as CHECK_REQUEST.
    SessionOpenRequest = 30,
    // SESSION_OPEN_REPLY
    //   Decision!, Reason!, SessionId?, GrantId?, NotAfter?
    //   Decision=Allow additionally requires SessionId, GrantId and NotAfter.
    SessionOpenReply = 31,

    // SESSION_CLOSE_REQUEST: a PAM session is closing (pam_sm_close_session).
    //   SessionPid!, SessionId?, User?, Service?
    // Caller: as CHECK_REQUEST.
    SessionCloseRequest = 32,
    // SESSION_CLOSE_REPLY: SessionId! (the session now recorded as closed)
    SessionCloseReply = 33,

    // SESSION_LIST_REQUEST: User?, IncludeEnded?   Caller: any local user.
    SessionListRequest = 34,
    // SESSION_LIST_REPLY: Now!, Session* (at most kMaxRecords)
    SessionListReply = 35,
    // ACCOUNT_ADD_REQUEST: declare an account that libnss_jit.so.2 serves.
    //   User!, Uid?, JitGroup* (0..kMaxGroups), Home?, Shell?, Gecos?,
    //   Visibility?  (jitd allocates the uid, and the gid of the account's
    //   private group, when they are not given; never one used before.)
    // Caller: as GRANT_REQUEST.
    AccountAddRequest = 20,
    // ACCOUNT_REPLY: Account! (the durable record: added, or removed)
    AccountReply = 21,
    // ACCOUNT_REMOVE_REQUEST: User!  Caller: as GRANT_REQUEST.
    AccountRemoveRequest = 22,
    // ACCOUNT_LIST_REQUEST: empty body.  Caller: any local user.
    AccountListRequest = 23,
    // ACCOUNT_LIST_REPLY: Account* (at most kMaxRecords)
    AccountListReply = 24,
    // ---- policy, requests and approvals (40-69) ----
    // A request asks policy for access; it is approved at once (a rule with
    // approval = auto), left pending for approvers, or refused with an
    // ERROR_REPLY: EACCES when policy says no (the reason names the rule and
    // condition), EINVAL for malformed input.  See jit-policy(5).

    // REQUEST_CREATE: User!, Service+ (1..kMaxServices), Duration!,
    //   Reason?, Ticket?, Source? (CIDR or "local"), NotBefore? | StartOnApproval?
    //   Without NotBefore the grant starts now, or at approval when
    //   StartOnApproval is true; with NotBefore (book-ahead) it starts then.
    // Caller: any local user, recorded as the requester.
    RequestCreate = 40,
    // REQUEST_REPLY: Request!, Approval* (the request's approvals and denials)
    //   Answers REQUEST_CREATE, _CANCEL, _APPROVE, _DENY and _SHOW.
    RequestReply = 41,
    // REQUEST_CANCEL: RequestId!, Comment?
    // Caller: the requester, or root / jitd's uid / admin_group.
    RequestCancel = 42,
    // REQUEST_APPROVE: RequestId!, Comment?, Duration? (shorten to), Source?
    //   (narrow to), Service* (narrow to).  Never widens the request.
    // Caller: a member of the rule's approver groups, not the requester, not
    //   the account itself; each approver counts once.
    RequestApprove = 43,
    // REQUEST_DENY: RequestId!, Comment! (not empty).  Caller: as approve.
    RequestDeny = 44,
    // REQUEST_SHOW: RequestId!.  Caller: any local user.
    RequestShow = 45,
    // REQUEST_LIST: User?, PendingOnly?.  Caller: any local user.
    RequestList = 46,
    // REQUEST_LIST_REPLY: Now!, Request* (newest first, at most
    //   kMaxListedRequests), Approval*
    RequestListReply = 47,
    // EXPLAIN_REQUEST: User!, Service!, Rhost?, At? (default: now)
    // Caller: any local user.  Changes nothing.
    ExplainRequest = 48,
    // EXPLAIN_REPLY: Now!, At!, Managed!, Decision!, Reason!, Rule!,
    //   GrantId?, NotAfter?, RuleReport*, Condition*, Request*, Approval*
    //   Decision/Reason/Rule are what a PAM check would answer at At, by the
    //   same code; GrantId "(new)" when an implicit grant would be created.
    ExplainReply = 49,

    // ERROR_REPLY: the request was refused or failed.  ErrorCode!, Message!
    // May answer any request type.
    ErrorReply = 127,
};

// GRANT RECORD (the value of a Grant field)
//   GrantId!, User!, Service+ (1..kMaxServices), Source?, NotBefore!,
//   NotAfter!, Reason!, GrantedBy!, Created!, State!, EndedAt?, EndedBy?,
//   UntilSessionEnd?, Uses?, UsesLeft?, JitGroup* (0..kMaxGroups)
// GRANT_REQUEST may also carry UntilSessionEnd? and Uses?.

// SESSION RECORD (the value of a Session field)
//   SessionId!, User!, Service!, GrantId!, SessionPid!, Opened!, SessionState!,
//   Rhost?, Tty?, Ruser?, LogindSession?, LeaderSid?, AuditSession?,
//   SessionEnded?, Reason?
// User is the managed account the session was admitted for (for sudo that is
// PAM_RUSER, the invoking account); GrantId the grant that covers it now.

// ACCOUNT RECORD (the value of an Account field)
//   User!, Uid!, Gid!, Home!, Shell!, Gecos?, Visibility!,
//   JitGroup* (0..kMaxGroups: standing memberships), Origin!, Created!

enum class AccountVisibility : uint64_t {
    Always = 1,   // resolves at any time
    Granted = 2,  // resolves only while a grant for it covers now
};

enum class AccountOrigin : uint64_t {
    Config = 1,  // an [account NAME] section of jitd.conf
    Jitctl = 2,  // jitctl account add
};

// REQUEST RECORD (the value of a Request field)
//   RequestId!, User!, Service+ (1..kMaxServices), Source?, NotBefore!,
//   NotAfter!, Duration!, StartOnApproval?, Reason?, Ticket?, Requester!,
//   Rule!, Required!, ApproverGroup*, Risk*, Created!, Expires!,
//   RequestState!, DecidedAt?, DecidedBy?, Comment?, GrantId?
//   While pending with StartOnApproval, NotBefore/NotAfter show the window
//   as if approved now.
// APPROVAL RECORD: RequestId!, Approver!, Verdict!, At!, Comment?, Duration?
// RULE REPORT RECORD: Rule!, Kind!, RuleOrigin!, Outcome!
// CONDITION RECORD: Rule!, CondName!, CondState!, Detail!

inline constexpr uint32_t kMaxListedRequests = 100;
inline constexpr uint32_t kMaxTicket = 128;

enum class RequestState : uint64_t {
    Pending = 1,
    Approved = 2,   // a grant was created (GrantId)
    Denied = 3,     // by an approver
    Expired = 4,    // nobody decided within the rule's pending_ttl
    Cancelled = 5,  // by the requester or an administrator
};

enum class Verdict : uint64_t {
    Approve = 1,
    Deny = 2,
};

enum class CondState : uint64_t {
    Holds = 1,
    Fails = 2,
    Needs = 3,  // a requirement of a request, not judged
};

enum class Decision : uint64_t {
    Deny = 1,
    Allow = 2,  // only ever sent explicitly; there is no default allow
};

enum class GrantState : uint64_t {
    Active = 1,   // in force now, or scheduled (NotBefore in the future)
    Expired = 2,  // NotAfter passed
    Revoked = 3,  // ended early by an administrator
};

enum class SessionState : uint64_t {
    Open = 1,        // admitted and running
    Closed = 2,      // pam_close_session reported its end
    Terminated = 3,  // ended by jitd (or jit-sweep) because no grant covers it any more
    Refused = 4,     // its open was refused; jitd ended whatever it had started
    Gone = 5,        // recorded in an earlier boot: its processes died with that boot
};

}  // namespace jit::proto
