#include "session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>

#include "exchange.h"
#include "jit/escape.h"
#include "jit/wire.h"
#include "managed.h"

namespace jit::pam {

namespace {

using proto::FieldTag;

// pam_set_data key holding the session id from the open, for the close.
constexpr const char* kDataKey = "pam_jit_session_id";

// Room for the largest SESSION_OPEN_REPLY (Reason, SessionId, GrantId at
// kMaxString each): a smaller buffer would turn a valid allow into a denial.
constexpr size_t kMaxOpenReply =
    proto::kHeaderSize + 5 * proto::kFieldHeaderSize + 2 * 8 + 3 * proto::kMaxString;

struct Who {
    const char* user;   // the managed account among PAM_USER and PAM_RUSER
    const char* ruser;  // PAM_RUSER ("" when unset)
    Managed managed;
};

struct OpenVerdict {
    bool allow = false;  // only from a complete, validated allow reply
    char reason[256] = "";
    char session_id[64] = "";
    char grant_id[64] = "";
    int64_t not_after = 0;
};

// sudo opens its session with PAM_USER set to the target account (usually
// root, never managed) and PAM_RUSER to the invoking one: the session belongs
// to whichever of the two jit manages.  A failed lookup counts as managed.
Who managed_party(pam_handle_t* pamh, const ModuleArgs& args) {
    Who who{item(pamh, PAM_USER), item(pamh, PAM_RUSER), Managed::No};
    if (*who.user) who.managed = classify_user(args, who.user);
    if (who.managed == Managed::No && *who.ruser) {
        Managed m = classify_user(args, who.ruser);
        if (m != Managed::No) {
            who.managed = m;
            who.user = who.ruser;
        }
    }
    return who;
}

void free_data(pam_handle_t*, void* data, int) {
    free(data);
}

Result<void> read_open_reply(const wire::MessageView& reply, OpenVerdict* v) {
    wire::FieldIterator it(reply.body, reply.body_len);
    wire::FieldView f;
    if (reply.header.type == proto::MsgType::ErrorReply) {
        while (it.next(&f))
            if (f.tag == FieldTag::Message) copy_text(v->reason, sizeof v->reason, f.str());
        return make_error(EPROTO, "jitd refused the session");
    }
    if (reply.header.type != proto::MsgType::SessionOpenReply)
        return make_error(EPROTO, "jitd answered with the wrong message type");
    bool allow = false;
    while (it.next(&f)) {
        if (f.tag == FieldTag::Decision) allow = f.u64() == uint64_t(proto::Decision::Allow);
        if (f.tag == FieldTag::Reason) copy_text(v->reason, sizeof v->reason, f.str());
        if (f.tag == FieldTag::SessionId) copy_text(v->session_id, sizeof v->session_id, f.str());
        if (f.tag == FieldTag::GrantId) copy_text(v->grant_id, sizeof v->grant_id, f.str());
        if (f.tag == FieldTag::NotAfter) v->not_after = f.i64();
    }
    v->allow = allow && v->session_id[0] != '\0' && v->grant_id[0] != '\0';
    return success();
}

Result<void> ask_open(pam_handle_t* pamh, const ModuleArgs& args, const Who& who,
                      OpenVerdict* verdict) {
    uint8_t request[2048];
    wire::FrameWriter w(request, sizeof request, proto::MsgType::SessionOpenRequest, request_id());
    w.add_string(FieldTag::User, item(pamh, PAM_USER));
    w.add_string(FieldTag::Service, item(pamh, PAM_SERVICE));
    w.add_u64(FieldTag::SessionPid, uint64_t(getpid()));
    if (*item(pamh, PAM_RHOST)) w.add_string(FieldTag::Rhost, item(pamh, PAM_RHOST));
    if (*item(pamh, PAM_TTY)) w.add_string(FieldTag::Tty, item(pamh, PAM_TTY));
    if (*who.ruser) w.add_string(FieldTag::Ruser, who.ruser);
    // Only what pam_systemd put in this stack's environment: the process
    // environment (sudo's) names the caller's login, not this session.
    const char* logind = pam_getenv(pamh, "XDG_SESSION_ID");
    if (logind && *logind) w.add_string(FieldTag::LogindSession, logind);
    auto len = w.finish();
    if (!len) return len.error();
    uint8_t reply_buf[kMaxOpenReply];
    auto reply = roundtrip(client_options(args), request, *len, reply_buf, sizeof reply_buf);
    if (!reply) return reply.error();
    return read_open_reply(*reply, verdict);
}

Result<void> ask_close(pam_handle_t* pamh, const ModuleArgs& args, const Who& who,
                       const char* session_id) {
    uint8_t request[512];
    wire::FrameWriter w(request, sizeof request, proto::MsgType::SessionCloseRequest, request_id());
    w.add_u64(FieldTag::SessionPid, uint64_t(getpid()));
    if (session_id && *session_id) w.add_string(FieldTag::SessionId, session_id);
    w.add_string(FieldTag::User, who.user);
    if (*item(pamh, PAM_SERVICE)) w.add_string(FieldTag::Service, item(pamh, PAM_SERVICE));
    auto len = w.finish();
    if (!len) return len.error();
    uint8_t reply_buf[proto::kHeaderSize + 2 * proto::kFieldHeaderSize + 8 + 2 * proto::kMaxString];
    auto reply = roundtrip(client_options(args), request, *len, reply_buf, sizeof reply_buf);
    if (!reply) return reply.error();
    if (reply->header.type == proto::MsgType::ErrorReply)
        return make_error(ENOENT, "jitd did not know the session");
    if (reply->header.type != proto::MsgType::SessionCloseReply)
        return make_error(EPROTO, "jitd answered with the wrong message type");
    return success();
}

// Parses the arguments and finds the managed party; *code is set when the
// phase must return at once (bad arguments, nobody managed).
bool prepare(pam_handle_t* pamh, int argc, const char** argv, ModuleArgs* args, Who* who,
             int* code) {
    const char* bad_arg = nullptr;
    char escaped[128];
    auto parsed = parse_args(argc, argv, &bad_arg);
    if (!parsed) {
        pam_syslog(pamh, LOG_ERR, "%s%s%s; refusing sessions until the PAM line is fixed",
                   parsed.error().what, bad_arg ? ": " : "",
                   bad_arg ? escape_for_log(bad_arg, escaped, sizeof escaped) : "");
        *code = PAM_SERVICE_ERR;
        return false;
    }
    *args = *parsed;
    *who = managed_party(pamh, *args);
    if (who->managed == Managed::No) {
        *code = PAM_IGNORE;
        return false;
    }
    return true;
}

}  // namespace

int open_session_phase(pam_handle_t* pamh, int argc, const char** argv) {
    ModuleArgs args;
    Who who{};
    int code = PAM_SERVICE_ERR;
    if (!prepare(pamh, argc, argv, &args, &who, &code)) return code;
    char user[128], detail[300];
    escape_for_log(who.user, user, sizeof user);
    OpenVerdict verdict;
    auto asked = ask_open(pamh, args, who, &verdict);
    // Never PAM_SESSION_ERR: sudo treats it as a warning and runs the command
    // anyway.  PAM_PERM_DENIED makes sudo fail; sshd restricts the session
    // and jitd, which refused it, ends it.
    if (!asked) {
        escape_for_log(verdict.reason, detail, sizeof detail);
        pam_syslog(pamh, LOG_ERR, "refusing session of %s: %s (%s)%s%s; it is NOT tracked", user,
                   asked.error().what, strerror(asked.error().code), detail[0] ? ": " : "", detail);
        return PAM_PERM_DENIED;
    }
    if (!verdict.allow) {
        escape_for_log(verdict.reason, detail, sizeof detail);
        pam_syslog(pamh, LOG_NOTICE, "session of %s refused: %s", user, detail);
        return PAM_PERM_DENIED;
    }
    char* id = strdup(verdict.session_id);
    if (id && pam_set_data(pamh, kDataKey, id, free_data) != PAM_SUCCESS) free(id);
    escape_for_log(verdict.session_id, detail, sizeof detail);
    pam_syslog(pamh, LOG_INFO, "session %s of %s opened", detail, user);
    return PAM_SUCCESS;
}

int close_session_phase(pam_handle_t* pamh, int argc, const char** argv) {
    ModuleArgs args;
    Who who{};
    int code = PAM_SERVICE_ERR;
    if (!prepare(pamh, argc, argv, &args, &who, &code)) return code;
    const void* data = nullptr;
    const char* session_id = nullptr;
    if (pam_get_data(pamh, kDataKey, &data) == PAM_SUCCESS && data)
        session_id = static_cast<const char*>(data);
    auto told = ask_close(pamh, args, who, session_id);
    if (!told) {
        char user[128];
        pam_syslog(pamh, LOG_WARNING, "could not report the end of the session of %s: %s",
                   escape_for_log(who.user, user, sizeof user), told.error().what);
        return PAM_SESSION_ERR;
    }
    return PAM_SUCCESS;
}

}  // namespace jit::pam
