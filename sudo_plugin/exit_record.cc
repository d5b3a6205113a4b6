#include "exit_record.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>

#include <sudo_plugin.h>

#include "jit/client.h"
#include "jit/guest_check.h"
#include "jit/wire.h"

namespace jit::sudo {

namespace {

using proto::FieldTag;

bool copy_whole(char* dst, size_t cap, const char* s) {
    size_t n = strlen(s);
    if (n >= cap) return false;
    memcpy(dst, s, n + 1);
    return true;
}

}  // namespace

void arm(ExitRecord* rec, const CommandInput& in, const char* grant_id) {
    rec->armed = false;
    rec->args_len = 0;
    bool ok = copy_whole(rec->user, sizeof rec->user, in.user) &&
              copy_whole(rec->command, sizeof rec->command, in.command) &&
              copy_whole(rec->runas_user, sizeof rec->runas_user, in.runas_user) &&
              copy_whole(rec->runas_group, sizeof rec->runas_group, in.runas_group) &&
              copy_whole(rec->grant_id, sizeof rec->grant_id, grant_id) && *grant_id;
    for (char* const* a = in.argv && in.argv[0] ? in.argv + 1 : nullptr; ok && a && *a; ++a) {
        size_t n = strlen(*a) + 1;
        ok = n <= sizeof rec->args - rec->args_len;
        if (ok) memcpy(rec->args + rec->args_len, *a, n), rec->args_len += n;
    }
    rec->armed = ok;
}

Result<size_t> encode_command_exit(const ExitRecord& rec, Ending how, uint8_t* buf, size_t cap) {
    if (!rec.armed || !rec.ran) return make_error(EINVAL, "no approved command ran");
    wire::FrameWriter w(buf, cap, proto::MsgType::CommandExitRequest, guest::request_id());
    w.add_string(FieldTag::User, rec.user);
    w.add_string(FieldTag::Service, "sudo");
    w.add_string(FieldTag::Command, rec.command);
    for (size_t off = 0; off < rec.args_len; off += strlen(rec.args + off) + 1)
        w.add_string(FieldTag::Arg, rec.args + off);
    w.add_string(FieldTag::RunasUser, rec.runas_user);
    if (*rec.runas_group) w.add_string(FieldTag::RunasGroup, rec.runas_group);
    w.add_string(FieldTag::GrantId, rec.grant_id);
    switch (how.status_type) {
        case SUDO_PLUGIN_WAIT_STATUS:
            if (WIFEXITED(how.status)) {
                w.add_u64(FieldTag::ExitStatus, uint64_t(WEXITSTATUS(how.status)));
            } else if (WIFSIGNALED(how.status)) {
                w.add_u64(FieldTag::ExitSignal, uint64_t(WTERMSIG(how.status)));
                if (WCOREDUMP(how.status)) w.add_bool(FieldTag::CoreDumped, true);
            } else {
                return make_error(EINVAL, "sudo passed a wait status that is no ending");
            }
            break;
        case SUDO_PLUGIN_EXEC_ERROR:
            w.add_u64(FieldTag::ExecError, uint64_t(how.status));
            break;
        default:  // no status, or sudo's own error: nothing ran to an end
            return make_error(EINVAL, "sudo gave no exit status");
    }
    return w.finish();
}

Result<void> send_command_exit(const guest::ModuleArgs& args, const ExitRecord& rec, Ending how) {
    static uint8_t request[proto::kMaxFrame];
    auto len = encode_command_exit(rec, how, request, sizeof request);
    if (!len) return len.error();
    uint8_t reply_buf[guest::kMaxCheckReply];
    auto reply = roundtrip(guest::client_options(args), request, *len, reply_buf, sizeof reply_buf);
    if (!reply) return reply.error();
    if (reply->header.type != proto::MsgType::CommandExitReply)
        return make_error(EPROTO, "jitd did not take the record");
    return success();
}

}  // namespace jit::sudo
