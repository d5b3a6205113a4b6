// How a sudo command jit_sudo.so approved ended, as its audit plugin reports
// when sudo closes: one journal entry that joins the decision entry by grant
// id and sudo's pid.  A record, not a decision: nothing is checked against
// the grant book (the grant may have ended while the command ran) and
// nothing is stored.
#include <syslog.h>

#include <string.h>

#include "daemon/policy/command_scope.h"
#include "daemon/service/service.h"
#include "jit/escape.h"

namespace jit::daemon {

namespace {

// "status 3", "signal 9 (Killed, core dumped)", "not run: No such file or directory".
std::string ending(const CommandEnd& r, Fields* fields) {
    if (r.exit_status) {
        fields->push_back({"JIT_EXIT_STATUS", std::to_string(*r.exit_status)});
        return "status " + std::to_string(*r.exit_status);
    }
    if (r.exit_signal) {
        fields->push_back({"JIT_EXIT_SIGNAL", std::to_string(*r.exit_signal)});
        if (r.core_dumped) fields->push_back({"JIT_CORE_DUMPED", "1"});
        const char* name = *r.exit_signal < 65 ? strsignal(int(*r.exit_signal)) : nullptr;
        return "signal " + std::to_string(*r.exit_signal) + " (" + (name ? name : "?") +
               (r.core_dumped ? ", core dumped)" : ")");
    }
    uint64_t e = r.exec_error.value_or(0);
    fields->push_back({"JIT_EXEC_ERROR", std::to_string(e)});
    return std::string("not run: ") + (e < 4096 ? strerror(int(e)) : "unknown error");
}

}  // namespace

void JitService::record_command_exit(const Caller& caller, const CommandEnd& r) {
    CommandAsk cmd;
    cmd.command = r.command;
    cmd.args = r.args;
    std::string line = command_line(cmd);
    std::string runas = r.runas_user + (r.runas_group.empty() ? "" : ":" + r.runas_group);
    Fields fields = {{"JIT_USER", r.user},
                     {"JIT_SERVICE", r.service},
                     {"JIT_COMMAND", line},
                     {"JIT_RUNAS", runas},
                     {"JIT_GRANT_ID", r.grant_id},
                     {"JIT_REQUESTER", std::to_string(caller.uid)},
                     {"JIT_CALLER_PID", std::to_string(caller.pid)}};
    std::string how = ending(r, &fields);
    fields.push_back({"JIT_EXIT", how});
    bool clean = r.exit_status && *r.exit_status == 0;
    journal_.record(Event::CommandExited, clean ? LOG_INFO : LOG_NOTICE,
                    "exit " + escape_text(r.user) + " sudo as " + escape_text(runas) + ": " + line +
                        ": " + how + " (grant " + escape_text(r.grant_id) + ")",
                    fields);
}

}  // namespace jit::daemon
