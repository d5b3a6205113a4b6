#include "account.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <security/pam_ext.h>

#include "args.h"
#include "exchange.h"
#include "jit/escape.h"
#include "jit/client.h"
#include "jit/wire.h"
#include "managed.h"

namespace jit::pam {

namespace {

using proto::FieldTag;

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

Result<size_t> encode_check(const CheckInput& in, uint8_t* buf, size_t cap) {
    wire::FrameWriter w(buf, cap, proto::MsgType::CheckRequest, request_id());
    w.add_string(FieldTag::User, in.user);
    w.add_string(FieldTag::Service, in.service);
    if (*in.rhost) w.add_string(FieldTag::Rhost, in.rhost);
    if (*in.tty) w.add_string(FieldTag::Tty, in.tty);
    if (*in.ruser) w.add_string(FieldTag::Ruser, in.ruser);
    return w.finish();
}

// Reads a validated CHECK_REPLY or ERROR_REPLY.  Anything but a well-formed
// allow that is still in force leaves verdict->allow false.
Result<void> read_reply(const wire::MessageView& reply, Verdict* verdict) {
    wire::FieldIterator it(reply.body, reply.body_len);
    wire::FieldView f;
    if (reply.header.type == proto::MsgType::ErrorReply) {
        while (it.next(&f))
            if (f.tag == FieldTag::Message)
                copy_text(verdict->reason, sizeof verdict->reason, f.str());
        return make_error(EPROTO, "jitd refused the check");
    }
    if (reply.header.type != proto::MsgType::CheckReply)
        return make_error(EPROTO, "jitd answered with the wrong message type");
    bool allow = false;
    while (it.next(&f)) {
        switch (f.tag) {
            case FieldTag::Decision:
                allow = f.u64() == uint64_t(proto::Decision::Allow);
                break;
            case FieldTag::Reason:
                copy_text(verdict->reason, sizeof verdict->reason, f.str());
                break;
            case FieldTag::GrantId:
                copy_text(verdict->grant_id, sizeof verdict->grant_id, f.str());
                break;
            case FieldTag::NotAfter:
                verdict->not_after = f.i64();
                break;
            default:
                break;
        }
    }
    // The decoder already insists an allow carries a grant id and an expiry;
    // an expiry already past on our own clock is not an allow.
    verdict->allow = allow && verdict->grant_id[0] != '\0' && verdict->not_after > time(nullptr);
    return success();
}

Result<void> ask_jitd(const ModuleArgs& args, const CheckInput& in, Verdict* verdict) {
    uint8_t request[2048];
    auto len = encode_check(in, request, sizeof request);
    if (!len) return len.error();
    ClientOptions options = client_options(args);
    // Room for the largest CHECK_REPLY the protocol allows (Reason, GrantId and
    // Rule at kMaxString each): a smaller buffer would deny a valid allow.
    constexpr size_t kMaxCheckReply =
        proto::kHeaderSize + 5 * proto::kFieldHeaderSize + 2 * 8 + 3 * proto::kMaxString;
    uint8_t reply_buf[kMaxCheckReply];
    auto reply = roundtrip(options, request, *len, reply_buf, sizeof reply_buf);
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
