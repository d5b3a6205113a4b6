#include "auth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <security/pam_ext.h>

#include "auth_args.h"
#include "exchange.h"
#include "jit/escape.h"
#include "jit/message_views.h"

namespace jit::pam {

namespace {

using proto::MsgType;

constexpr long kPollMs = 2000;  // between re-asks while a request is pending

// A compact JWS: three base64url parts separated by two dots.
bool looks_like_token(const char* s, size_t len) {
    int dots = 0;
    for (size_t i = 0; i < len; ++i) {
        const char c = s[i];
        if (c == '.') {
            ++dots;
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_')) {
            return false;
        }
    }
    return dots == 2;
}

void wipe(void* p, size_t n) {
    explicit_bzero(p, n);
}

// Asks through the conversation with echo off.  On success *answer is the
// application's malloc()ed reply, which the caller wipes and frees.
int ask_token(pam_handle_t* pamh, const char* prompt, char** answer) {
    const void* item = nullptr;
    if (pam_get_item(pamh, PAM_CONV, &item) != PAM_SUCCESS || !item ||
        !static_cast<const pam_conv*>(item)->conv)
        return PAM_CONV_ERR;
    const pam_conv* conv = static_cast<const pam_conv*>(item);
    pam_message message{PAM_PROMPT_ECHO_OFF, prompt};
    const pam_message* messages[1] = {&message};
    pam_response* reply = nullptr;
    int rc = conv->conv(1, messages, &reply, conv->appdata_ptr);
    *answer = reply ? reply[0].resp : nullptr;
    free(reply);
    if (rc != PAM_SUCCESS) {
        if (*answer) {
            wipe(*answer, strlen(*answer));
            free(*answer);
            *answer = nullptr;
        }
        return PAM_CONV_ERR;
    }
    return *answer ? PAM_SUCCESS : PAM_CONV_ERR;
}

void tell(pam_handle_t* pamh, int style, const char* text) {
    pam_prompt(pamh, style, nullptr, "%s", text);
}

struct LoginAnswer {
    proto::Decision decision = proto::Decision::Deny;
    bool allow = false;  // set only from a complete, validated allow still in force
    char grant_id[64] = "";
    char request_id[64] = "";
    char message[256] = "";
    int64_t not_after = 0;
};

Result<void> read_answer(const wire::MessageView& reply, LoginAnswer* out) {
    view::ErrorReply error;
    if (codec::decode_into<MsgType::ErrorReply>(reply, &error)) {
        copy_text(out->message, sizeof out->message, error.message);
        return make_error(EPROTO, "jitd refused the identity login");
    }
    view::IdentityLoginReply answer;
    if (!codec::decode_into<MsgType::IdentityLoginReply>(reply, &answer))
        return make_error(EPROTO, "jitd answered with the wrong message type");
    copy_text(out->grant_id, sizeof out->grant_id, answer.grant_id);
    copy_text(out->request_id, sizeof out->request_id, answer.request_id);
    copy_text(out->message, sizeof out->message, answer.message);
    out->decision = answer.decision;
    out->not_after = answer.not_after;
    out->allow = answer.decision == proto::Decision::Allow && out->grant_id[0] != '\0' &&
                 out->not_after > time(nullptr);
    return success();
}

// One IDENTITY_LOGIN exchange from an already encoded request frame.
Result<void> exchange(const ModuleArgs& args, const uint8_t* request, size_t len,
                      LoginAnswer* out) {
    uint8_t reply_buf[wire::max_reply_size(MsgType::IdentityLoginReply)];
    auto reply = roundtrip(client_options(args), request, len, reply_buf, sizeof reply_buf);
    if (!reply) return reply.error();
    *out = LoginAnswer{};
    return read_answer(*reply, out);
}

void sleep_ms(long ms) {
    timespec ts{ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

long long monotonic_ms() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct Login {
    pam_handle_t* pamh;
    const ModuleArgs& args;
    const AuthArgs& auth;
    const char* user;  // escaped for the log
    const char* service;
};

// Maps jitd's answers to a PAM code, re-asking while a request is pending
// and `wait` allows.  The request frame holds the token; the caller wipes it.
int login(const Login& l, const uint8_t* request, size_t len) {
    char text[400], detail[300];
    LoginAnswer answer;
    const long long deadline = monotonic_ms() + 1000LL * l.auth.wait_seconds;
    bool told_waiting = false;
    for (;;) {
        auto asked = exchange(l.args, request, len, &answer);
        if (!asked) {
            escape_for_log(answer.message, detail, sizeof detail);
            pam_syslog(l.pamh, LOG_ERR, "identity login of %s refused: %s (%s)%s%s", l.user,
                       asked.error().what, strerror(asked.error().code), detail[0] ? ": " : "",
                       detail);
            return PAM_AUTHINFO_UNAVAIL;
        }
        if (answer.allow) {
            escape_for_log(answer.grant_id, detail, sizeof detail);
            pam_syslog(l.pamh, LOG_INFO, "identity login of %s for %s: grant %s, %lld seconds left",
                       l.user, l.service, detail,
                       static_cast<long long>(answer.not_after - time(nullptr)));
            return PAM_SUCCESS;
        }
        const bool pending = answer.decision == proto::Decision::Deny && answer.request_id[0];
        escape_for_log(answer.request_id, detail, sizeof detail);
        if (pending && monotonic_ms() + kPollMs <= deadline) {
            if (!told_waiting) {
                snprintf(text, sizeof text,
                         "jit: request %s waits for approval; waiting up to %u s", detail,
                         l.auth.wait_seconds);
                tell(l.pamh, PAM_TEXT_INFO, text);
                told_waiting = true;
            }
            sleep_ms(kPollMs);
            continue;
        }
        if (pending) {
            snprintf(text, sizeof text,
                     "jit: request %s waits for approval; log in again once it is approved",
                     detail);
            tell(l.pamh, PAM_TEXT_INFO, text);
            pam_syslog(l.pamh, LOG_NOTICE, "identity login of %s for %s: request %s pending",
                       l.user, l.service, detail);
            return PAM_AUTH_ERR;
        }
        escape_for_log(answer.message, detail, sizeof detail);
        snprintf(text, sizeof text, "jit: identity refused: %s", detail);
        tell(l.pamh, PAM_ERROR_MSG, text);
        pam_syslog(l.pamh, LOG_NOTICE, "identity login of %s for %s refused: %s", l.user, l.service,
                   detail);
        return PAM_AUTH_ERR;
    }
}

// Reads the token, encodes it into the request frame, wipes the answer
// buffer, and logs in.  The frame is wiped before returning.
int read_and_login(pam_handle_t* pamh, const ModuleArgs& args, const AuthArgs& auth,
                   const char* user, const char* escaped_user) {
    char* answer = nullptr;
    if (ask_token(pamh, auth.prompt, &answer) != PAM_SUCCESS) {
        pam_syslog(pamh, LOG_ERR, "identity login of %s: no conversation to read a token",
                   escaped_user);
        return PAM_CONV_ERR;
    }
    // Blanks around a pasted token are not part of it.
    size_t len = strlen(answer);
    const size_t total = len;
    char* token = answer;
    while (len > 0 && (*token == ' ' || *token == '\t' || *token == '\n' || *token == '\r'))
        ++token, --len;
    while (len > 0 && strchr(" \t\r\n", token[len - 1])) --len;
    const char* problem = len == 0                        ? "no token given"
                          : len > proto::kMaxIdToken      ? "token larger than 16 KiB"
                          : !looks_like_token(token, len) ? "not a compact JWS token"
                                                          : nullptr;
    static_assert(proto::kMaxIdToken == 16 * 1024, "the message above names the limit");
    uint8_t request[wire::max_frame_size(MsgType::IdentityLoginRequest)];
    size_t request_len = 0;
    if (!problem) {
        view::IdentityLoginRequest q{user, item(pamh, PAM_SERVICE), item(pamh, PAM_RHOST),
                                     std::string_view(token, len)};
        auto encoded = codec::encode_into<MsgType::IdentityLoginRequest>(q, request, sizeof request,
                                                                         request_id());
        if (encoded)
            request_len = *encoded;
        else
            problem = "cannot encode the login request";
    }
    wipe(answer, total);
    free(answer);
    if (problem) {
        pam_syslog(pamh, LOG_NOTICE, "identity login of %s refused: %s", escaped_user, problem);
        tell(pamh, PAM_ERROR_MSG, problem);
        wipe(request, sizeof request);
        return PAM_AUTH_ERR;
    }
    const int rc =
        login(Login{pamh, args, auth, escaped_user, item(pamh, PAM_SERVICE)}, request, request_len);
    wipe(request, sizeof request);
    return rc;
}

}  // namespace

int auth_phase(pam_handle_t* pamh, int argc, const char** argv) {
    const char* bad_arg = nullptr;
    char escaped[128];
    AuthArgs auth;
    const char* rest[kMaxAuthArgs];
    int nrest = 0;
    if (argc > kMaxAuthArgs) {
        pam_syslog(pamh, LOG_ERR, "too many module arguments; denying everyone");
        return PAM_SERVICE_ERR;
    }
    bool split = split_args(argc, argv, &auth, rest, &nrest, &bad_arg);
    auto args = split ? parse_args(nrest, rest, &bad_arg) : Result<ModuleArgs>(Error{EINVAL, ""});
    if (!split || !args) {
        pam_syslog(pamh, LOG_ERR,
                   "bad module argument: %s; denying everyone until the PAM line is fixed",
                   escape_for_log(bad_arg ? bad_arg : "", escaped, sizeof escaped));
        return PAM_SERVICE_ERR;
    }
    const char* user = nullptr;
    if (pam_get_item(pamh, PAM_USER, reinterpret_cast<const void**>(&user)) != PAM_SUCCESS ||
        !user || !*user) {
        // sshd sets the user before auth; asking for it here would take the
        // token prompt's place in the conversation.
        pam_syslog(pamh, LOG_ERR, "no user name; denying");
        return PAM_USER_UNKNOWN;
    }
    escape_for_log(user, escaped, sizeof escaped);
    Managed managed = classify_user(*args, user);
    if (managed == Managed::No) {
        if (args->debug) pam_syslog(pamh, LOG_DEBUG, "%s is not managed; ignoring", escaped);
        return PAM_IGNORE;
    }
    if (managed == Managed::Unknown)
        pam_syslog(pamh, LOG_WARNING,
                   "cannot tell whether %s is managed (lookup failed); treating it as managed",
                   escaped);
    return read_and_login(pamh, *args, auth, user, escaped);
}

}  // namespace jit::pam
