#include "approve.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sudo_plugin.h>

#include "jit/client.h"
#include "jit/escape.h"
#include "jit/guest_check.h"
#include "jit/guest_managed.h"
#include "jit/wire.h"

namespace jit::sudo {

namespace {

Result<void> ask_jitd(const guest::ModuleArgs& args, const CommandInput& in,
                      guest::CheckVerdict* verdict) {
    uint8_t request[proto::kMaxFrame];
    auto len = encode_command_check(in, request, sizeof request);
    if (!len) return len.error();
    uint8_t reply_buf[guest::kMaxCheckReply];
    auto reply = roundtrip(guest::client_options(args), request, *len, reply_buf, sizeof reply_buf);
    if (!reply) return reply.error();
    return guest::read_check_reply(*reply, verdict);
}

// Refuses with a message for the user and for sudo's audit record (errstr).
int reject(PluginState* st, const char** errstr, const char* what, const char* detail) {
    char escaped[256];
    escape_for_log(detail, escaped, sizeof escaped);
    snprintf(st->message, sizeof st->message, "jit: %s%s%s", what, *escaped ? ": " : "", escaped);
    if (st->say) st->say(SUDO_CONV_ERROR_MSG, "%s\n", st->message);
    *errstr = st->message;
    return kReject;
}

}  // namespace

int approve(PluginState* st, char* const* command_info, char* const* run_argv, const char** errstr,
            ExitRecord* record) {
    const char* user = lookup(st->ctx.user_info, "user");
    if (!user || !*user) return reject(st, errstr, "sudo did not name the invoking user", "");
    // root is never managed (classify_user says so too); it also keeps root
    // working while a sudo.conf line is broken.
    if (strcmp(user, "root") == 0) return kApprove;
    if (!st->args_ok)
        return reject(st, errstr, "bad jit_sudo.so option in sudo.conf; denying until fixed",
                      st->bad_arg ? st->bad_arg : "");
    guest::Managed managed = guest::classify_user(st->args, user);
    if (managed == guest::Managed::No) return kApprove;
    auto in = gather(st->ctx, command_info, run_argv);
    if (!in) return reject(st, errstr, "denied", in.error().what);
    guest::CheckVerdict verdict;
    auto asked = ask_jitd(st->args, *in, &verdict);
    if (!asked) {
        char detail[300];
        snprintf(detail, sizeof detail, "%s (%s)%s%s", asked.error().what,
                 strerror(asked.error().code), verdict.reason[0] ? ": " : "", verdict.reason);
        return reject(st, errstr, "denied", detail);
    }
    if (!verdict.allow) return reject(st, errstr, "denied", verdict.reason);
    arm(record, *in, verdict.grant_id);
    return kApprove;
}

}  // namespace jit::sudo
