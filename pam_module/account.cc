#include "account.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <security/pam_ext.h>

#include "exchange.h"
#include "jit/escape.h"
#include "jit/client.h"
#include "jit/message_views.h"

namespace jit::pam {

namespace {

using proto::MsgType;

struct CheckInput {
    const char* user;
    const char* service;
    const char* rhost;
    const char* tty;
    const char* ruser;
};

struct Verdict {
    bool allow = false;  // set only from a complete, validated allow reply
    char reason[256] = "";
    char grant_id[64] = "";
    int64_t not_after = 0;
};

// Reads a validated CHECK_REPLY or ERROR_REPLY.  Anything but a well-formed
// allow that is still in force leaves verdict->allow false.
Result<void> read_reply(const wire::MessageView& reply, Verdict* verdict) {
    view::ErrorReply error;
    if (codec::decode_into<MsgType::ErrorReply>(reply, &error)) {
        copy_text(verdict->reason, sizeof verdict->reason, error.message);
        return make_error(EPROTO, "jitd refused the check");
    }
    view::CheckReply answer;
    if (!codec::decode_into<MsgType::CheckReply>(reply, &answer))
        return make_error(EPROTO, "jitd answered with the wrong message type");
    copy_text(verdict->reason, sizeof verdict->reason, answer.reason);
    copy_text(verdict->grant_id, sizeof verdict->grant_id, answer.grant_id);
    verdict->not_after = answer.not_after;
    // The decoder already insists an allow carries a grant id and an expiry;
    // an expiry already past on our own clock is not an allow.
    verdict->allow = answer.decision == proto::Decision::Allow && verdict->grant_id[0] != '\0' &&
                     verdict->not_after > time(nullptr);
    return success();
}

Result<void> ask_jitd(const ModuleArgs& args, const CheckInput& in, Verdict* verdict) {
    // Both buffers hold the largest frame the protocol allows for their type,
    // so no valid request or reply is refused for its size.
    uint8_t request[wire::max_frame_size(MsgType::CheckRequest)];
    view::CheckRequest query{in.user, in.service, in.rhost, in.tty, in.ruser};
    auto len =
        codec::encode_into<MsgType::CheckRequest>(query, request, sizeof request, request_id());
    if (!len) return len.error();
    uint8_t reply_buf[wire::max_reply_size(MsgType::CheckReply)];
    auto reply = roundtrip(client_options(args), request, *len, reply_buf, sizeof reply_buf);
    if (!reply) return reply.error();
    return read_reply(*reply, verdict);
}

int decide(pam_handle_t* pamh, const ModuleArgs& args, const CheckInput& in, Managed managed) {
    char user[128], detail[300];
    escape_for_log(in.user, user, sizeof user);
    if (managed == Managed::Unknown)
        pam_syslog(pamh, LOG_WARNING,
                   "cannot tell whether %s is managed (lookup failed); treating it as managed",
                   user);
    Verdict verdict;
    auto asked = ask_jitd(args, in, &verdict);
    if (!asked) {
        escape_for_log(verdict.reason, detail, sizeof detail);
        pam_syslog(pamh, LOG_ERR, "denying %s: %s (%s)%s%s", user, asked.error().what,
                   strerror(asked.error().code), detail[0] ? ": " : "", detail);
        return PAM_PERM_DENIED;
    }
    if (!verdict.allow) {
        escape_for_log(verdict.reason, detail, sizeof detail);
        pam_syslog(pamh, LOG_NOTICE, "denying %s for %s: %s", user, in.service, detail);
        return PAM_PERM_DENIED;
    }
    escape_for_log(verdict.grant_id, detail, sizeof detail);
    pam_syslog(pamh, LOG_INFO, "allowing %s for %s under grant %s, %lld seconds left", user,
               in.service, detail, static_cast<long long>(verdict.not_after - time(nullptr)));
    return PAM_SUCCESS;
}

// With PAM_USER unset, libpam's pam_get_user asks through the conversation,
// and crashes when the application gave none (its bug; we check first).
bool can_get_user(pam_handle_t* pamh) {
    const void* user = nullptr;
    if (pam_get_item(pamh, PAM_USER, &user) == PAM_SUCCESS && user) return true;
    const void* conv = nullptr;
    return pam_get_item(pamh, PAM_CONV, &conv) == PAM_SUCCESS && conv &&
           static_cast<const pam_conv*>(conv)->conv != nullptr;
}

}  // namespace

int account_phase(pam_handle_t* pamh, int argc, const char** argv) {
    const char* bad_arg = nullptr;
    char escaped[128];
    auto args = parse_args(argc, argv, &bad_arg);
    if (!args) {
        pam_syslog(pamh, LOG_ERR, "%s%s%s; denying everyone until the PAM line is fixed",
                   args.error().what, bad_arg ? ": " : "",
                   bad_arg ? escape_for_log(bad_arg, escaped, sizeof escaped) : "");
        return PAM_SERVICE_ERR;
    }
    const char* user = nullptr;
    if (!can_get_user(pamh)) {
        pam_syslog(pamh, LOG_ERR,
                   "no user name and no conversation function to ask for one; "
                   "denying");
        return PAM_USER_UNKNOWN;
    }
    if (pam_get_user(pamh, &user, nullptr) != PAM_SUCCESS || !user || !*user) {
        pam_syslog(pamh, LOG_ERR, "cannot get the user name; denying");
        return PAM_USER_UNKNOWN;
    }
    Managed managed = classify_user(*args, user);
    if (managed == Managed::No) {
        if (args->debug)
            pam_syslog(pamh, LOG_DEBUG, "%s is not managed; ignoring",
                       escape_for_log(user, escaped, sizeof escaped));
        return PAM_IGNORE;
    }
    CheckInput in{user, item(pamh, PAM_SERVICE), item(pamh, PAM_RHOST), item(pamh, PAM_TTY),
                  item(pamh, PAM_RUSER)};
    return decide(pamh, *args, in, managed);
}

}  // namespace jit::pam
