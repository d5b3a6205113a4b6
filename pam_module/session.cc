#include "session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>

#include "exchange.h"
#include "party.h"
#include "jit/escape.h"
#include "jit/message_views.h"

namespace jit::pam {

namespace {

using proto::MsgType;

// pam_set_data key holding the session id from the open, for the close.
constexpr const char* kDataKey = "pam_jit_session_id";

struct OpenVerdict {
    bool allow = false;  // only from a complete, validated allow reply
    char reason[256] = "";
    char session_id[64] = "";
    char grant_id[64] = "";
    int64_t not_after = 0;
};

// The front (pam_jit.so) registered its handle on the core before this runs,
// so pam_end frees this (later, hence earlier in libpam's list) first, while
// the core is still loaded.
void free_data(pam_handle_t*, void* data, int) {
    free(data);
}

Result<void> read_open_reply(const wire::MessageView& reply, OpenVerdict* v) {
    view::ErrorReply error;
    if (codec::decode_into<MsgType::ErrorReply>(reply, &error)) {
        copy_text(v->reason, sizeof v->reason, error.message);
        return make_error(EPROTO, "jitd refused the session");
    }
    view::SessionOpenReply answer;
    if (!codec::decode_into<MsgType::SessionOpenReply>(reply, &answer))
        return make_error(EPROTO, "jitd answered with the wrong message type");
    copy_text(v->reason, sizeof v->reason, answer.reason);
    copy_text(v->session_id, sizeof v->session_id, answer.session_id);
    copy_text(v->grant_id, sizeof v->grant_id, answer.grant_id);
    v->not_after = answer.not_after;
    v->allow = answer.decision == proto::Decision::Allow && v->session_id[0] != '\0' &&
               v->grant_id[0] != '\0';
    return success();
}

// The request and reply buffers hold the largest frame the protocol allows
// for their type, so no valid request or reply is refused for its size.
Result<void> ask_open(pam_handle_t* pamh, const ModuleArgs& args, const Who& who,
                      OpenVerdict* verdict) {
    view::SessionOpenRequest open;
    open.user = item(pamh, PAM_USER);
    open.service = item(pamh, PAM_SERVICE);
    open.pid = uint64_t(getpid());
    open.rhost = item(pamh, PAM_RHOST);
    open.tty = item(pamh, PAM_TTY);
    open.ruser = who.ruser;
    // Only what pam_systemd put in this stack's environment: the process
    // environment (sudo's) names the caller's login, not this session.
    const char* logind = pam_getenv(pamh, "XDG_SESSION_ID");
    if (logind) open.logind_session = logind;
    uint8_t request[wire::max_frame_size(MsgType::SessionOpenRequest)];
    auto len = codec::encode_into<MsgType::SessionOpenRequest>(open, request, sizeof request,
                                                               request_id());
    if (!len) return len.error();
    uint8_t reply_buf[wire::max_reply_size(MsgType::SessionOpenReply)];
    auto reply = roundtrip(client_options(args), request, *len, reply_buf, sizeof reply_buf);
    if (!reply) return reply.error();
    return read_open_reply(*reply, verdict);
}

Result<void> ask_close(pam_handle_t* pamh, const ModuleArgs& args, const Who& who,
                       const char* session_id) {
    view::SessionCloseRequest close;
    close.pid = uint64_t(getpid());
    if (session_id) close.session_id = session_id;
    close.user = who.user;
    close.service = item(pamh, PAM_SERVICE);
    uint8_t request[wire::max_frame_size(MsgType::SessionCloseRequest)];
    auto len = codec::encode_into<MsgType::SessionCloseRequest>(close, request, sizeof request,
                                                                request_id());
    if (!len) return len.error();
    uint8_t reply_buf[wire::max_reply_size(MsgType::SessionCloseReply)];
    auto reply = roundtrip(client_options(args), request, *len, reply_buf, sizeof reply_buf);
    if (!reply) return reply.error();
    if (reply->header.type == MsgType::ErrorReply)
        return make_error(ENOENT, "jitd did not know the session");
    if (reply->header.type != MsgType::SessionCloseReply)
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
