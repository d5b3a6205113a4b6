// The jitd wire protocol: the one written contract between jitd, jitctl and
// pam_jit.so.  Every field tag, every message and every record is declared
// here once, as data; the enums, the schemas the decoder enforces
// (schema.h), the largest frame of each type, and the typed encoders and
// decoders (codec.h, messages.h) are all derived from these lists.
//
// Adding a message: its field list and a line in JIT_MESSAGES below, its
// struct (members named as in the list) in a header message_codec.h
// includes; msg::encode_as and msg::decode_as then handle it.  A rule that
// spans fields goes in common/wire_rules.cc and in the comment above the
// list.  A new tag is a line in JIT_FIELD_TAGS; a new record, a list and a
// line in JIT_RECORDS.
//
// Transport: a SOCK_STREAM Unix socket.  One connection carries one request
// frame from the client and one reply frame from the server, then closes.
// Both sides authenticate the other by kernel credentials (SO_PEERCRED).
//
// FRAME  (all integers little-endian)
//   offset size field
//   0      4    magic       kMagic, the bytes "JIT1"
//   4      2    version     kVersion; a peer rejects any other value
//   6      2    type        MsgType (JIT_MESSAGES below)
//   8      4    request_id  chosen by the client, echoed by the server
//   12     4    body_len    bytes of body that follow; > kMaxBody is rejected
//                           from the header alone, before anything is allocated
//   16     ...  body        a sequence of fields, exactly body_len bytes
//
// FIELD
//   0      2    tag         FieldTag (JIT_FIELD_TAGS below); each tag has one kind
//   2      1    kind        FieldKind below; must match the tag's kind
//   3      1    flags       reserved, must be 0
//   4      4    len         bytes of value; must fit in the remaining body
//   8      len  value       u64/i64: exactly 8 bytes; bool: 1 byte, 0 or 1;
//                           string: UTF-8, no NUL, len <= kMaxString;
//                           record: a nested sequence of fields (depth 1 only)
//
// A message is valid only if every field's tag is allowed for its type (an
// unknown tag is an error, never skipped), no field occurs more often than its
// declaration allows, every required field is present, each value is well
// formed, and the message's cross-field rules (written next to it below)
// hold.  Anything else is a protocol error and, for a managed account, a
// denial.  Fields are written in the order declared; a reader accepts any
// order.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "jit/values.h"

namespace jit::proto {

inline constexpr uint32_t kMagic = 0x3154494a;  // "JIT1" read as little-endian u32
inline constexpr uint16_t kVersion = 1;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kFieldHeaderSize = 8;
inline constexpr uint32_t kMaxBody = 64 * 1024 - kHeaderSize;  // whole frame <= 64 KiB
inline constexpr size_t kMaxFrame = kHeaderSize + kMaxBody;
// The other limits (kMaxString, kMaxServices, ...) and the values U64 fields
// carry (Decision, GrantState, ...) are in values.h.

enum class FieldKind : uint8_t {
    U64 = 1,
    I64 = 2,
    String = 3,
    Bool = 4,
    Record = 5,
};

// How often a field may occur in one message or record.
struct Occurs {
    uint16_t min;
    uint16_t max;
};
inline constexpr Occurs required{1, 1};
inline constexpr Occurs optional{0, 1};
constexpr Occurs repeated(uint32_t min, uint32_t max) {
    return Occurs{uint16_t(min), uint16_t(max)};
}

// ---- field tags ----
// X(tag, number, kind).  Tags are global: a tag means the same thing, with
// the same kind, in every message that allows it.  Times are UTC seconds
// since the epoch.  Ranges: 1-32 checks, grants and status; 40-48 NSS
// accounts; 60-71 sessions; 80-106 policy, requests and approvals;
// 130-140 command-scoped sudo; 150-154 workload identity; 200-203 how a
// sudo command ended.
// clang-format off
#define JIT_FIELD_TAGS(X)                                                                  \
    X(User, 1, String)          /* account name, [a-z_][a-z0-9_.-]* up to 32 chars */     \
    X(Service, 2, String)       /* PAM service name (sshd, sudo, ...) */                   \
    X(Rhost, 3, String)         /* PAM_RHOST, may be empty or a hostname */                \
    X(Tty, 4, String)           /* PAM_TTY */                                              \
    X(Ruser, 5, String)         /* PAM_RUSER */                                            \
    X(Decision, 6, U64)         /* Decision in values.h; 0 is never valid */               \
    X(Reason, 7, String)        /* why (deny reason, grant reason, revoke reason) */       \
    X(GrantId, 8, String)       /* "g-" followed by 8 id characters */                     \
    X(NotBefore, 9, I64)        /* inclusive */                                            \
    X(NotAfter, 10, I64)        /* exclusive */                                            \
    X(Duration, 11, U64)        /* seconds */                                              \
    X(Source, 12, String)       /* CIDR (10.0.0.0/8, 2001:db8::/32), address or "local" */ \
    X(Rule, 13, String)         /* what decided: a policy rule's name, or "grant",         \
                                   "default-deny", "unmanaged", "lookup-failed" */         \
    X(Grant, 14, Record)        /* one grant: JIT_GRANT_RECORD */                          \
    X(GrantedBy, 15, U64)       /* uid of the administrator who created the grant */       \
    X(Created, 16, I64)         /* when the record was made */                             \
    X(State, 17, U64)           /* GrantState in values.h */                               \
    X(EndedAt, 18, I64)         /* when revoked/expired was recorded */                    \
    X(EndedBy, 19, U64)         /* uid that revoked the grant */                           \
    X(Now, 20, I64)             /* the server's clock */                                   \
    X(IncludeEnded, 21, Bool)   /* list ended grants or sessions too */                    \
    X(ErrorCode, 22, U64)       /* errno value (EPERM, EINVAL, ENOENT, ...) */             \
    X(Message, 23, String)      /* human-readable error text */                            \
    X(Version, 24, String)      /* jitd version */                                         \
    X(Pid, 25, U64)             /* jitd pid */                                             \
    X(Uptime, 26, U64)          /* seconds since jitd started */                           \
    X(ActiveGrants, 27, U64)    /* grants in force now */                                  \
    X(ManagedUsers, 28, String) /* users named by the managed= config */                   \
    X(ManagedGroups, 29, String)                                                           \
    X(ManagedUids, 30, String)  /* "60000-60999" */                                        \
    X(StateDir, 31, String)                                                                \
    X(SchemaVersion, 32, U64)                                                              \
    X(Account, 40, Record)      /* one NSS account: JIT_ACCOUNT_RECORD */                  \
    X(Uid, 41, U64)             /* 1..0xfffffffe */                                        \
    X(Gid, 42, U64)             /* the gid of the account's private group */               \
    X(Home, 43, String)         /* absolute path, no ':' or control characters */          \
    X(Shell, 44, String)        /* absolute path, no ':' or control characters */          \
    X(Gecos, 45, String)        /* no ':' or control characters, may be empty */           \
    X(Visibility, 46, U64)      /* AccountVisibility in values.h */                        \
    X(JitGroup, 47, String)     /* a jit group, named like a User */                       \
    X(Origin, 48, U64)          /* AccountOrigin in values.h */                            \
    X(SessionId, 60, String)    /* "s-" followed by 8 id characters */                     \
    X(SessionPid, 61, U64)      /* pid of the process running the PAM stack */             \
    X(LogindSession, 62, String) /* XDG_SESSION_ID that pam_systemd put in the PAM env */  \
    X(UntilSessionEnd, 63, Bool) /* the grant ends when its first session closes */        \
    X(Uses, 64, U64)            /* admissions the grant allows (1..kMaxUses) */            \
    X(UsesLeft, 65, U64)        /* admissions not yet used */                              \
    X(Session, 66, Record)      /* one session: JIT_SESSION_RECORD */                      \
    X(Opened, 67, I64)          /* when the session opened */                              \
    X(SessionEnded, 68, I64)    /* when it was closed, terminated or refused */            \
    X(SessionState, 69, U64)    /* SessionState in values.h */                             \
    X(LeaderSid, 70, U64)       /* session id (getsid) of the PAM process, read by jitd */ \
    X(AuditSession, 71, U64)    /* audit session id of the PAM process, read by jitd */    \
    X(RequestId, 80, String)    /* "r-" followed by 8 id characters */                     \
    X(Ticket, 81, String)       /* change ticket, up to kMaxTicket bytes */                \
    X(Comment, 82, String)      /* an approver's or canceller's words */                   \
    X(StartOnApproval, 83, Bool) /* the grant's clock starts when it is approved */        \
    X(RequestState, 84, U64)    /* RequestState in values.h */                             \
    X(Requester, 85, U64)       /* uid that made the request */                            \
    X(Approver, 86, U64)        /* uid of an approver */                                   \
    X(Verdict, 87, U64)         /* Verdict in values.h */                                  \
    X(At, 88, I64)              /* when: an approval; explain's instant */                 \
    X(Required, 89, U64)        /* approvals needed; 0: approved by policy alone */        \
    X(ApproverGroup, 90, String) /* group whose members may approve */                     \
    X(Risk, 91, String)         /* risk signal (new-source, unusual-hour, burst) */        \
    X(Request, 92, Record)      /* one request: JIT_REQUEST_RECORD */                      \
    X(Approval, 93, Record)     /* one approval or denial: JIT_APPROVAL_RECORD */          \
    X(PendingOnly, 94, Bool)    /* list pending requests only */                           \
    X(RuleReport, 95, Record)   /* one rule in explain: JIT_RULE_REPORT_RECORD */          \
    X(Condition, 96, Record)    /* one condition of a rule: JIT_CONDITION_RECORD */        \
    X(CondName, 97, String)     /* account, service, source, schedule, ... */              \
    X(CondState, 98, U64)       /* CondState in values.h */                                \
    X(Detail, 99, String)       /* what the condition found */                             \
    X(Kind, 100, String)        /* "request" or "implicit" */                              \
    X(RuleOrigin, 101, String)  /* "file:line" of a rule */                                \
    X(Outcome, 102, String)     /* what a rule does for the question */                    \
    X(Expires, 103, I64)        /* when a pending request expires */                       \
    X(DecidedAt, 104, I64)      /* when the request left pending */                        \
    X(DecidedBy, 105, U64)      /* uid that decided (last approver, denier, canceller) */  \
    X(Managed, 106, Bool)       /* whether jit manages the account */                      \
    X(Command, 130, String)     /* absolute path of the program sudo will execute */       \
    X(Arg, 131, String)         /* argv[1..] exactly as sudo will pass it */               \
    X(RunasUser, 132, String)   /* the account the command runs as */                      \
    X(RunasGroup, 133, String)  /* the group named with sudo -g, if any */                 \
    X(Cwd, 134, String)         /* the directory the command starts in */                  \
    X(EnvSet, 135, String)      /* a variable the invoker set (sudo NAME=value cmd) */     \
    X(PreserveEnv, 136, Bool)   /* sudo -E: the invoker's environment kept */              \
    X(ShellMode, 137, Bool)     /* sudo -s or -i: the command is a shell */                \
    X(Sudoedit, 138, Bool)      /* sudoedit or sudo -e */                                  \
    X(CommandScope, 139, String) /* a command pattern (jit-policy(5), COMMANDS) */         \
    X(RunasScope, 140, String)  /* an account (or account:group) a command may run as */  \
    X(IdToken, 150, String)     /* a workload's OIDC token, the compact JWS                \
                                   "header.payload.signature" (base64url, ASCII), 1 to     \
                                   kMaxIdToken bytes.  A bearer secret until it expires:   \
                                   jitd never logs, journals, stores or echoes it; only    \
                                   its SHA-256 digest is recorded (replay memory). */      \
    X(IdentityIssuer, 151, String)  /* the verified token's "iss", exactly */              \
    X(IdentitySubject, 152, String) /* the verified token's "sub", exactly */              \
    X(IdentityClaims, 153, String)  /* one claim the rule matched, "name=value" with the   \
                                       token's value; one field per claim */               \
    X(IdentityName, 154, String)    /* the identity.d section that verified the token */ \
    X(AuditFrom, 170, U64)      /* the audit record to read from (a sequence number) */    \
    X(AuditText, 171, String)   /* a piece of the export text (see AUDIT_READ_REPLY) */    \
    X(AuditNext, 172, U64)      /* the sequence number to ask for next */                  \
    X(AuditDone, 173, Bool)     /* no record past AuditNext exists yet */                \
    X(FleetGrant, 190, String)  /* the fleet grant a local grant mirrors: "fg-" + id chars */ \
    X(FreshUntil, 191, I64)     /* fleet grants may decide until then (exclusive) */      \
    X(FleetOp, 192, String)     /* jitctl --fleet: request, approve, revoke, list */       \
    X(FleetArg, 193, String)    /* jitctl --fleet: the operation's words, in order */      \
    X(FleetOutput, 194, String) /* jitctl --fleet: one line of jit-fleet's answer */     \
    X(FleetAfter, 195, String)  /* LIST: fleet grants only, by fleet id, after this one */ \
    X(ExitStatus, 200, U64)     /* the command's exit status, 0..255 (WEXITSTATUS) */      \
    X(ExitSignal, 201, U64)     /* the signal that ended it, 1..64 (WTERMSIG) */           \
    X(CoreDumped, 202, Bool)    /* with ExitSignal: it left a core dump (WCOREDUMP) */     \
    X(ExecError, 203, U64)      /* errno of the execve(2) that failed: it never ran */
// clang-format on

enum class FieldTag : uint16_t {
#define JIT_TAG_ENUM(name, number, kind) name = number,
    JIT_FIELD_TAGS(JIT_TAG_ENUM)
#undef JIT_TAG_ENUM
};

// The kind every tag carries, or FieldKind(0) for a number that is no tag.
constexpr FieldKind kind_of(FieldTag tag) {
    switch (tag) {
#define JIT_TAG_KIND(name, number, kind) \
    case FieldTag::name:                 \
        return FieldKind::kind;
        JIT_FIELD_TAGS(JIT_TAG_KIND)
#undef JIT_TAG_KIND
    }
    return FieldKind(0);
}

// The most bytes a String field with this tag may carry.
constexpr uint32_t max_string_of(FieldTag tag) {
    return tag == FieldTag::IdToken ? kMaxIdToken : kMaxString;
}

// ---- messages and records ----
// Each message or record is one list of F(tag, member, occurs), in the order
// the encoder writes the fields.  `member` names the field in the typed
// structs (jit::msg in messages.h; the allocation-free jit::view ones in
// message_views.h), which is how the encoders and decoders follow from this
// list; `occurs` is required, optional or repeated(min, max).  When encoding,
// an optional string is left out when empty and an optional bool when false.
// "Caller" says who jitd lets send a request.
// clang-format off

// CHECK_REQUEST: may this account use this PAM service now?
// Caller: root, or the uid jitd runs as.
#define JIT_CHECK_REQUEST(F) \
    F(User, user, required) F(Service, service, required) \
    F(Rhost, rhost, optional) F(Tty, tty, optional) F(Ruser, ruser, optional)
// CHECK_REPLY.  Rule: Decision is Allow or Deny; Allow also needs a GrantId
// that is not empty, and NotAfter.
#define JIT_CHECK_REPLY(F) \
    F(Decision, decision, required) F(Reason, reason, required) \
    F(GrantId, grant_id, optional) F(NotAfter, not_after, optional) F(Rule, rule, optional)

// GRANT_REQUEST: create a grant.  Rule: exactly one form, Duration (from now)
// or both NotBefore and NotAfter.  JitGroup: groups the user is in for the
// window.  Caller: root, jitd's uid, or a member of the admin group.
#define JIT_GRANT_REQUEST(F) \
    F(User, user, required) F(Service, services, repeated(1, kMaxServices)) \
    F(Reason, reason, required) F(Source, source, optional) \
    F(Duration, duration, optional) F(NotBefore, not_before, optional) \
    F(NotAfter, not_after, optional) F(UntilSessionEnd, until_session_end, optional) \
    F(Uses, uses, optional) F(JitGroup, groups, repeated(0, kMaxGroups)) \
    F(CommandScope, commands, repeated(0, kMaxCommandScopes)) \
    F(RunasScope, runas, repeated(0, kMaxRunasScopes)) F(FleetGrant, fleet_id, optional)
// GRANT_REPLY: the durable record of the new grant.
#define JIT_GRANT_REPLY(F) F(Grant, grants, required)
// REVOKE_REQUEST: end grants now.  Rule: exactly one of GrantId and User, not
// empty.  Caller: as GRANT_REQUEST.
#define JIT_REVOKE_REQUEST(F) \
    F(GrantId, grant_id, optional) F(User, user, optional) F(Reason, reason, optional)
// REVOKE_REPLY: each grant that was revoked.
#define JIT_REVOKE_REPLY(F) F(Grant, grants, repeated(0, kMaxRecords))
// LIST_REQUEST, and SESSION_LIST_REQUEST.  Caller: any local user (grants are
// not secrets; reasons may be).
// FleetAfter (LIST only; SESSION_LIST ignores it): the active grants that
// mirror a fleet grant, ordered by fleet id, those after FleetAfter ("" from
// the first), as many as fit one frame; jit-fleet pages through them until a
// page comes back empty.
#define JIT_LIST_REQUEST(F) \
    F(User, user, optional) F(IncludeEnded, include_ended, optional) F(FleetAfter, fleet_after, optional)
#define JIT_LIST_REPLY(F) F(Now, now, required) F(Grant, grants, repeated(0, kMaxRecords))
// STATUS_REQUEST, ACCOUNT_LIST_REQUEST: an empty body.  Caller: any local user.
#define JIT_NO_FIELDS(F)
#define JIT_STATUS_REPLY(F) \
    F(Version, version, required) F(Pid, pid, required) F(Uptime, uptime, required) \
    F(Now, now, required) F(ActiveGrants, active_grants, required) \
    F(StateDir, state_dir, required) F(SchemaVersion, schema_version, required) \
    F(ManagedUsers, managed_users, repeated(0, kMaxRecords)) \
    F(ManagedGroups, managed_groups, repeated(0, kMaxRecords)) \
    F(ManagedUids, managed_uids, repeated(0, kMaxRecords))
// The value of a Grant field.  GrantId: the grant; JitGroup: groups for the window.
// Identity*: present when the grant came from a verified workload token
// (REQUEST_CREATE or IDENTITY_LOGIN with IdToken): who the token named and
// the claims the rule matched; never the token.
#define JIT_GRANT_RECORD(F) \
    F(GrantId, id, required) F(User, user, required) \
    F(Service, services, repeated(1, kMaxServices)) F(Source, source, optional) \
    F(NotBefore, not_before, required) F(NotAfter, not_after, required) \
    F(Reason, reason, required) F(GrantedBy, granted_by, required) \
    F(Created, created, required) F(State, state, required) \
    F(EndedAt, ended_at, optional) F(EndedBy, ended_by, optional) \
    F(UntilSessionEnd, until_session_end, optional) F(Uses, uses, optional) \
    F(UsesLeft, uses_left, optional) F(JitGroup, groups, repeated(0, kMaxGroups)) \
    F(CommandScope, commands, repeated(0, kMaxCommandScopes)) \
    F(RunasScope, runas, repeated(0, kMaxRunasScopes)) JIT_IDENTITY_FIELDS(F) \
    F(FleetGrant, fleet_id, optional)
// The identity a grant or request carries (see the Grant record).
#define JIT_IDENTITY_FIELDS(F) \
    F(IdentityName, identity_name, optional) F(IdentityIssuer, identity_issuer, optional) \
    F(IdentitySubject, identity_subject, optional) \
    F(IdentityClaims, identity_claims, repeated(0, kMaxIdentityClaims))

// ACCOUNT_ADD_REQUEST: declare an account that libnss_jit.so.2 serves.  jitd
// allocates the uid, and the gid of the account's private group, when they
// are not given; never one used before.  Caller: as GRANT_REQUEST.
#define JIT_ACCOUNT_ADD_REQUEST(F) \
    F(User, name, required) F(Uid, uid, optional) \
    F(JitGroup, groups, repeated(0, kMaxGroups)) F(Home, home, optional) \
    F(Shell, shell, optional) F(Gecos, gecos, optional) F(Visibility, visibility, optional)
// ACCOUNT_REPLY: the durable record, added or removed.
#define JIT_ACCOUNT_REPLY(F) F(Account, accounts, required)
// ACCOUNT_REMOVE_REQUEST.  Caller: as GRANT_REQUEST.
#define JIT_ACCOUNT_REMOVE_REQUEST(F) F(User, name, required)
#define JIT_ACCOUNT_LIST_REPLY(F) F(Account, accounts, repeated(0, kMaxRecords))
// The value of an Account field.  JitGroup: standing memberships.
#define JIT_ACCOUNT_RECORD(F) \
    F(User, name, required) F(Uid, uid, required) F(Gid, gid, required) \
    F(Home, home, required) F(Shell, shell, required) F(Gecos, gecos, optional) \
    F(Visibility, visibility, required) F(JitGroup, groups, repeated(0, kMaxGroups)) \
    F(Origin, origin, required) F(Created, created, required)

// SESSION_OPEN_REQUEST: a PAM session is opening (pam_sm_open_session).
// SessionPid must be the caller's own pid (jitd compares it with
// SO_PEERCRED).  Caller: as CHECK_REQUEST.
#define JIT_SESSION_OPEN_REQUEST(F) \
    F(User, user, required) F(Service, service, required) F(SessionPid, pid, required) \
    F(Rhost, rhost, optional) F(Tty, tty, optional) F(Ruser, ruser, optional) \
    F(LogindSession, logind_session, optional)
// SESSION_OPEN_REPLY.  Rule: Decision is Allow or Deny; Allow also needs a
// SessionId and a GrantId that are not empty, and NotAfter.
#define JIT_SESSION_OPEN_REPLY(F) \
    F(Decision, decision, required) F(Reason, reason, required) \
    F(SessionId, session_id, optional) F(GrantId, grant_id, optional) \
    F(NotAfter, not_after, optional)
// SESSION_CLOSE_REQUEST: a PAM session is closing (pam_sm_close_session).
// Caller: as CHECK_REQUEST.
#define JIT_SESSION_CLOSE_REQUEST(F) \
    F(SessionPid, pid, required) F(SessionId, session_id, optional) \
    F(User, user, optional) F(Service, service, optional)
// SESSION_CLOSE_REPLY: the session now recorded as closed.  Rule: SessionId
// is not empty.
#define JIT_SESSION_CLOSE_REPLY(F) F(SessionId, session_id, required)
#define JIT_SESSION_LIST_REPLY(F) F(Now, now, required) F(Session, sessions, repeated(0, kMaxRecords))
// The value of a Session field.  User is the managed account the session was
// admitted for (for sudo that is PAM_RUSER, the invoking account); GrantId
// the grant that covers it now.
#define JIT_SESSION_RECORD(F) \
    F(SessionId, id, required) F(User, user, required) F(Service, service, required) \
    F(GrantId, grant_id, required) F(SessionPid, pid, required) F(Opened, opened, required) \
    F(SessionState, state, required) F(Rhost, rhost, optional) F(Tty, tty, optional) \
    F(Ruser, ruser, optional) F(LogindSession, logind_session, optional) \
    F(LeaderSid, sid, optional) F(AuditSession, audit_session, optional) \
    F(SessionEnded, ended, optional) F(Reason, reason, optional)

// Policy, requests and approvals.  A request asks policy for access; it is
// approved at once (a rule with approval = auto), left pending for
// approvers, or refused with an ERROR_REPLY: EACCES when policy says no (the
// reason names the rule and condition), EINVAL for malformed input.  See
// jit-policy(5).
// REQUEST_CREATE.  Without NotBefore the grant starts now, or at approval
// when StartOnApproval is true; with NotBefore (book-ahead) it starts then.
// Rule: not both NotBefore and StartOnApproval=true.  Source: a CIDR or
// "local".  IdToken: the request is made by the workload the token names
// (only rules with identity = match it; the grant ends no later than the
// token's exp plus the rule's duration cap); see jit-identity(5).  Caller:
// any local user, recorded as the requester.
#define JIT_REQUEST_CREATE(F) \
    F(User, user, required) F(Service, services, repeated(1, kMaxServices)) \
    F(Duration, duration, required) F(Reason, reason, optional) F(Ticket, ticket, optional) \
    F(Source, source, optional) F(NotBefore, not_before, optional) \
    F(StartOnApproval, start_on_approval, optional) \
    F(CommandScope, commands, repeated(0, kMaxCommandScopes)) \
    F(RunasScope, runas, repeated(0, kMaxRunasScopes)) F(IdToken, id_token, optional)
// REQUEST_REPLY: answers REQUEST_CREATE, _CANCEL, _APPROVE, _DENY and _SHOW
// with the request and its approvals and denials.
#define JIT_REQUEST_REPLY(F) \
    F(Request, requests, required) F(Approval, approvals, repeated(0, kMaxServices))
// REQUEST_CANCEL.  Caller: the requester, or root / jitd's uid / admin_group.
#define JIT_REQUEST_CANCEL(F) F(RequestId, id, required) F(Comment, comment, optional)
// REQUEST_APPROVE: may shorten (Duration) or narrow (Source, Service) the
// request, never widen it.  Caller: a member of the rule's approver groups,
// not the requester, not the account itself; each approver counts once.
#define JIT_REQUEST_APPROVE(F) \
    F(RequestId, id, required) F(Comment, comment, optional) \
    F(Duration, duration, optional) F(Source, source, optional) \
    F(Service, services, repeated(0, kMaxServices))
// REQUEST_DENY.  Rule: Comment is not empty.  Caller: as REQUEST_APPROVE.
#define JIT_REQUEST_DENY(F) F(RequestId, id, required) F(Comment, comment, required)
// REQUEST_SHOW.  Caller: any local user.
#define JIT_REQUEST_SHOW(F) F(RequestId, id, required)
// REQUEST_LIST.  Caller: any local user.
#define JIT_REQUEST_LIST(F) F(User, user, optional) F(PendingOnly, pending_only, optional)
// REQUEST_LIST_REPLY: newest first.
#define JIT_REQUEST_LIST_REPLY(F) \
    F(Now, now, required) F(Request, requests, repeated(0, kMaxListedRequests)) \
    F(Approval, approvals, repeated(0, kMaxApprovals))
// EXPLAIN_REQUEST: At defaults to now.  IdToken: explain a request by that
// workload (which check or claim fails); the token is verified but not
// spent.  Caller: any local user.  Changes nothing.
#define JIT_EXPLAIN_REQUEST(F) \
    F(User, user, required) F(Service, service, required) F(Rhost, rhost, optional) \
    F(At, at, optional) F(IdToken, id_token, optional)
// EXPLAIN_REPLY: Decision/Reason/Rule are what a PAM check would answer at
// At, by the same code; GrantId "(new)" when an implicit grant would be
// created.  Rule: Decision is Allow or Deny.
#define JIT_EXPLAIN_REPLY(F) \
    F(Now, now, required) F(At, at, required) F(Managed, managed, required) \
    F(Decision, decision, required) F(Reason, reason, required) F(Rule, rule, required) \
    F(GrantId, grant_id, optional) F(NotAfter, not_after, optional) \
    F(RuleReport, rules, repeated(0, kMaxRecords)) \
    F(Condition, conditions, repeated(0, kMaxRecords)) \
    F(Request, requests, repeated(0, kMaxListedRequests)) \
    F(Approval, approvals, repeated(0, kMaxApprovals))
// The value of a Request field.  While pending with StartOnApproval,
// NotBefore/NotAfter show the window as if approved now.
#define JIT_REQUEST_RECORD(F) \
    F(RequestId, id, required) F(User, user, required) \
    F(Service, services, repeated(1, kMaxServices)) F(Source, source, optional) \
    F(NotBefore, not_before, required) F(NotAfter, not_after, required) \
    F(Duration, duration, required) F(StartOnApproval, start_on_approval, optional) \
    F(Reason, reason, optional) F(Ticket, ticket, optional) F(Requester, requester, required) \
    F(Rule, rule, required) F(Required, required, required) \
    F(ApproverGroup, approver_groups, repeated(0, kMaxApproverGroups)) \
    F(Risk, risk, repeated(0, kMaxRisks)) F(Created, created, required) \
    F(Expires, expires, required) F(RequestState, state, required) \
    F(DecidedAt, decided_at, optional) F(DecidedBy, decided_by, optional) \
    F(Comment, comment, optional) F(GrantId, grant_id, optional) \
    F(CommandScope, commands, repeated(0, kMaxCommandScopes)) \
    F(RunasScope, runas, repeated(0, kMaxRunasScopes)) JIT_IDENTITY_FIELDS(F)
// The value of an Approval field; Duration: what the approver shortened to.
#define JIT_APPROVAL_RECORD(F) \
    F(RequestId, request_id, required) F(Approver, approver, required) \
    F(Verdict, verdict, required) F(At, at, required) F(Comment, comment, optional) \
    F(Duration, duration, optional)
#define JIT_RULE_REPORT_RECORD(F) \
    F(Rule, rule, required) F(Kind, kind, required) F(RuleOrigin, origin, required) \
    F(Outcome, outcome, required)
#define JIT_CONDITION_RECORD(F) \
    F(Rule, rule, required) F(CondName, name, required) F(CondState, state, required) \
    F(Detail, detail, required)

// ERROR_REPLY: the request was refused or failed.  May answer any request.
#define JIT_ERROR_REPLY(F) F(ErrorCode, code, required) F(Message, message, required)

// Every record: R(tag, fields).  A record holds no records.
#define JIT_RECORDS(R) \
    R(Grant, JIT_GRANT_RECORD) R(Account, JIT_ACCOUNT_RECORD) R(Session, JIT_SESSION_RECORD) \
    R(Request, JIT_REQUEST_RECORD) R(Approval, JIT_APPROVAL_RECORD) \
    R(RuleReport, JIT_RULE_REPORT_RECORD) R(Condition, JIT_CONDITION_RECORD)

// Every message type: M(type, number, struct in jit::msg, fields).  Numbers:
// 1-10 checks, grants and status; 20-24 NSS accounts; 30-35 sessions; 40-49
// policy, requests and approvals; 50 and 53-54 sudo commands; 51-52 workload
// identity; 55-58 fleet; 60-61 the audit log; 127 the error reply.
// COMMAND_CHECK_REQUEST: may this account run this command through sudo
// now?  User: the invoking account; Service: "sudo"; Command: the path sudo
// resolved and will execute; Arg: argv[1..].  Answered with CHECK_REPLY
// (Rule: the grant and the command pattern that matched).  Rule: Command
// is an absolute path.  Caller: as CHECK_REQUEST.  Sent by jit_sudo.so.
#define JIT_COMMAND_CHECK_REQUEST(F) \
    F(User, user, required) F(Service, service, required) F(Command, command, required) \
    F(Arg, args, repeated(0, kMaxArgs)) F(RunasUser, runas_user, required) \
    F(RunasGroup, runas_group, optional) F(Cwd, cwd, optional) F(Tty, tty, optional) \
    F(EnvSet, env_set, repeated(0, kMaxEnvSet)) F(PreserveEnv, preserve_env, optional) \
    F(ShellMode, shell_mode, optional) F(Sudoedit, sudoedit, optional)

// IDENTITY_LOGIN_REQUEST: a workload proves who it is with its OIDC token
// while logging in; sent by pam_jit.so's auth phase over the root socket.
// jitd verifies IdToken against identity.d (jit-identity(5)), evaluates
// policy for User and Service as a request by that identity (rules with
// identity =, their claims =, risk signals, approval =), and when policy
// allows creates the grant (through the grant ledger) before the account
// phase's CHECK_REQUEST asks.  The token is spent (jti and digest
// remembered until exp) when it yields a grant or a pending request.
// Rule: IdToken is not empty.  Caller: root only (not jitd's uid, not
// admin_group).  Body, in the order written (FIELD layout above: tag u16,
// kind u8, flags u8 = 00, len u32, value; little-endian):
//   tag      kind    len                 value
//   01 00    03      1..4096             User     the account logging in
//   02 00    03      1..4096             Service  the PAM service (sshd)
//   03 00    03      0..4096             Rhost    PAM_RHOST; left out when empty
//   96 00    03      1..16384            IdToken  "header.payload.signature"
// e.g. 01 00 03 00 06 00 00 00 "deploy" 02 00 03 00 04 00 00 00 "sshd"
//      96 00 03 00 <len u32> <token bytes>
#define JIT_IDENTITY_LOGIN_REQUEST(F) \
    F(User, user, required) F(Service, service, required) F(Rhost, rhost, optional) \
    F(IdToken, id_token, required)
// IDENTITY_LOGIN_REPLY.  Allow: the grant exists (GrantId, NotAfter); the
// account phase's check will find it.  Deny: Message says why in words a
// CI log may show (which check or claim failed; never the token); with a
// RequestId when the request waits for approvers (retry later, or
// jitctl request --wait on a host).  A malformed request or a caller that
// is not root gets ERROR_REPLY instead; pam_jit fails closed on either.
// Rule: Decision is Allow or Deny; Allow needs GrantId and NotAfter; Deny
// needs Message.  Body (same FIELD layout):
//   tag      kind    len     value
//   06 00    01      8       Decision   1 deny, 2 allow
//   08 00    03      11      GrantId    "g-xxxxxxxx", allow only
//   50 00    03      11      RequestId  "r-xxxxxxxx", deny while pending
//   0a 00    02      8       NotAfter   the grant's end, allow only
//   17 00    03      1..4096 Message    deny: why; allow: may be left out
#define JIT_IDENTITY_LOGIN_REPLY(F) \
    F(Decision, decision, required) F(GrantId, grant_id, optional) \
    F(RequestId, request_id, optional) F(NotAfter, not_after, optional) \
    F(Message, message, optional)
// AUDIT_READ_REQUEST: a page of the audit log (jitctl audit show, export).
// Without AuditFrom, the reply starts at the first record at or after At
// (the first one kept on the host, in a sealed segment file or in jit.db,
// when At is absent), at the checkpoint before it, with the tree's frontier
// there (so the export verifies from that point); with AuditFrom it
// continues at that record.  A page comes from one segment file or from
// jit.db.  User: only that account's records (no checkpoints: such a page
// does not verify).  Caller: root, jitd's uid or admin_group.  ENOENT when
// the audit log is off, or AuditFrom is in records removed past
// audit_max_disk; EBADMSG when a segment file is not the size sealed.
#define JIT_AUDIT_READ_REQUEST(F) \
    F(AuditFrom, from, optional) F(At, since, optional) F(User, user, optional)
// AUDIT_READ_REPLY: the export format (JSON lines: frontier, records,
// checkpoints; see jitctl(1), AUDIT), cut into AuditText pieces of at most
// kMaxString bytes each; a line ends with its "\n" in whichever piece holds
// it.  AuditNext: where the next page starts.
#define JIT_AUDIT_READ_REPLY(F) \
    F(AuditText, text, repeated(0, kMaxRecords)) F(AuditNext, next, required) \
    F(AuditDone, done, optional)                                                         \
// FLEET_FRESH: jit-fleet's heartbeat.  Grants with a FleetGrant decide
// checks only while jitd's clock is before FreshUntil, which jitd caps at
// its own now + fleet_staleness (jitd.conf) so a jit-fleet that dies stops
// vouching on time.  Answered with FLEET_FRESH_REPLY: the cap applied.
// Caller: as GRANT_REQUEST.
#define JIT_FLEET_FRESH(F) F(FreshUntil, until, required)
// FLEET_ADMIN_REQUEST: jitctl --fleet, sent to jit-fleet's own socket (never
// to jitd).  FleetOp names the operation, FleetArg its words as typed.
// jit-fleet names the caller by SO_PEERCRED/SCM_CREDENTIALS and its
// fleet.conf [person] sections.  Answered with FLEET_ADMIN_REPLY (lines of
// text) or ERROR_REPLY.  Caller: any local user jit-fleet.conf names.
#define JIT_FLEET_ADMIN_REQUEST(F) \
    F(FleetOp, op, required) F(FleetArg, args, repeated(0, kMaxArgs))
#define JIT_FLEET_ADMIN_REPLY(F) F(FleetOutput, lines, repeated(0, kMaxRecords))

// COMMAND_EXIT_REQUEST: how a command jit_sudo.so approved ended, sent by
// its audit plugin when sudo closes.  An audit record, not a question:
// nothing is decided and a lost one changes nothing.  GrantId: the grant
// that allowed it (from the CHECK_REPLY); Command, Arg, RunasUser and
// RunasGroup as in the COMMAND_CHECK_REQUEST that was approved.  Rule:
// exactly one of ExitStatus, ExitSignal and ExecError; CoreDumped only with
// ExitSignal.  Answered with an empty COMMAND_EXIT_REPLY once journaled.
// Caller: as CHECK_REQUEST.
#define JIT_COMMAND_EXIT_REQUEST(F) \
    F(User, user, required) F(Service, service, required) F(Command, command, required) \
    F(Arg, args, repeated(0, kMaxArgs)) F(RunasUser, runas_user, required) \
    F(RunasGroup, runas_group, optional) F(GrantId, grant_id, required) \
    F(ExitStatus, exit_status, optional) F(ExitSignal, exit_signal, optional) \
    F(CoreDumped, core_dumped, optional) F(ExecError, exec_error, optional)

#define JIT_MESSAGES(M) \
    M(CheckRequest, 1, CheckRequest, JIT_CHECK_REQUEST) \
    M(CheckReply, 2, CheckReply, JIT_CHECK_REPLY) \
    M(GrantRequest, 3, GrantRequest, JIT_GRANT_REQUEST) \
    M(GrantReply, 4, GrantList, JIT_GRANT_REPLY) \
    M(RevokeRequest, 5, RevokeRequest, JIT_REVOKE_REQUEST) \
    M(RevokeReply, 6, GrantList, JIT_REVOKE_REPLY) \
    M(ListRequest, 7, ListRequest, JIT_LIST_REQUEST) \
    M(ListReply, 8, GrantList, JIT_LIST_REPLY) \
    M(StatusRequest, 9, NoFields, JIT_NO_FIELDS) \
    M(StatusReply, 10, StatusReply, JIT_STATUS_REPLY) \
    M(AccountAddRequest, 20, AccountAddRequest, JIT_ACCOUNT_ADD_REQUEST) \
    M(AccountReply, 21, AccountList, JIT_ACCOUNT_REPLY) \
    M(AccountRemoveRequest, 22, AccountRemoveRequest, JIT_ACCOUNT_REMOVE_REQUEST) \
    M(AccountListRequest, 23, NoFields, JIT_NO_FIELDS) \
    M(AccountListReply, 24, AccountList, JIT_ACCOUNT_LIST_REPLY) \
    M(SessionOpenRequest, 30, SessionOpenRequest, JIT_SESSION_OPEN_REQUEST) \
    M(SessionOpenReply, 31, SessionOpenReply, JIT_SESSION_OPEN_REPLY) \
    M(SessionCloseRequest, 32, SessionCloseRequest, JIT_SESSION_CLOSE_REQUEST) \
    M(SessionCloseReply, 33, SessionClosed, JIT_SESSION_CLOSE_REPLY) \
    M(SessionListRequest, 34, ListRequest, JIT_LIST_REQUEST) \
    M(SessionListReply, 35, SessionList, JIT_SESSION_LIST_REPLY) \
    M(RequestCreate, 40, RequestCreate, JIT_REQUEST_CREATE) \
    M(RequestReply, 41, RequestList, JIT_REQUEST_REPLY) \
    M(RequestCancel, 42, RequestAction, JIT_REQUEST_CANCEL) \
    M(RequestApprove, 43, RequestAction, JIT_REQUEST_APPROVE) \
    M(RequestDeny, 44, RequestAction, JIT_REQUEST_DENY) \
    M(RequestShow, 45, RequestAction, JIT_REQUEST_SHOW) \
    M(RequestList, 46, RequestQuery, JIT_REQUEST_LIST) \
    M(RequestListReply, 47, RequestList, JIT_REQUEST_LIST_REPLY) \
    M(ExplainRequest, 48, ExplainQuery, JIT_EXPLAIN_REQUEST) \
    M(ExplainReply, 49, ExplainReply, JIT_EXPLAIN_REPLY) \
    M(CommandCheckRequest, 50, CommandCheckRequest, JIT_COMMAND_CHECK_REQUEST) \
    M(IdentityLoginRequest, 51, IdentityLoginRequest, JIT_IDENTITY_LOGIN_REQUEST) \
    M(IdentityLoginReply, 52, IdentityLoginReply, JIT_IDENTITY_LOGIN_REPLY) \
    M(FleetFreshRequest, 55, FleetFresh, JIT_FLEET_FRESH) \
    M(FleetFreshReply, 56, FleetFresh, JIT_FLEET_FRESH) \
    M(FleetAdminRequest, 57, FleetAdminRequest, JIT_FLEET_ADMIN_REQUEST) \
    M(FleetAdminReply, 58, FleetAdminReply, JIT_FLEET_ADMIN_REPLY) \
    M(AuditReadRequest, 60, AuditRead, JIT_AUDIT_READ_REQUEST) \
    M(AuditReadReply, 61, AuditPage, JIT_AUDIT_READ_REPLY) \
    M(CommandExitRequest, 53, CommandExitRequest, JIT_COMMAND_EXIT_REQUEST) \
    M(CommandExitReply, 54, NoFields, JIT_NO_FIELDS) \
    M(ErrorReply, 127, ErrorReply, JIT_ERROR_REPLY)
// clang-format on

enum class MsgType : uint16_t {
#define JIT_MSG_ENUM(name, number, type, fields) name = number,
    JIT_MESSAGES(JIT_MSG_ENUM)
#undef JIT_MSG_ENUM
};

}  // namespace jit::proto
