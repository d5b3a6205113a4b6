#include "daemon/server/check_wire.h"

#include <utility>

namespace jit::daemon {

CheckAsk from_wire(msg::CheckRequest m) {
    return CheckAsk{std::move(m.user), std::move(m.service), std::move(m.rhost), std::move(m.tty),
                    std::move(m.ruser)};
}

msg::CheckReply to_wire(CheckAnswer a) {
    msg::CheckReply r;
    r.decision = a.decision;
    r.reason = std::move(a.reason);
    r.grant_id = std::move(a.grant_id);
    r.not_after = a.not_after;
    r.rule = std::move(a.rule);
    return r;
}

CommandAsk from_wire(const msg::CommandCheckRequest& m) {
    CommandAsk a;
    a.user = m.user;
    a.service = m.service;
    a.command = m.command;
    a.args = m.args;
    a.runas_user = m.runas_user;
    a.runas_group = m.runas_group;
    a.cwd = m.cwd;
    a.tty = m.tty;
    a.env_set = m.env_set;
    a.preserve_env = m.preserve_env;
    a.shell_mode = m.shell_mode;
    a.sudoedit = m.sudoedit;
    return a;
}

CommandEnd from_wire(const msg::CommandExitRequest& m) {
    CommandEnd e;
    e.user = m.user;
    e.service = m.service;
    e.command = m.command;
    e.args = m.args;
    e.runas_user = m.runas_user;
    e.runas_group = m.runas_group;
    e.grant_id = m.grant_id;
    e.exit_status = m.exit_status;
    e.exit_signal = m.exit_signal;
    e.core_dumped = m.core_dumped;
    e.exec_error = m.exec_error;
    return e;
}

}  // namespace jit::daemon
