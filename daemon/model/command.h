// A sudo command as jit_sudo.so describes it: the question before it runs
// (COMMAND_CHECK_REQUEST) and, once approved, how it ended
// (COMMAND_EXIT_REQUEST).  Plain data shared by the command scopes (policy),
// the service and jitctl's explain; the server converts the wire forms.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

namespace jit::daemon {

struct CommandAsk {
    std::string user;               // the invoking account
    std::string service;            // "sudo"
    std::string command;            // the absolute path sudo will execute
    std::vector<std::string> args;  // argv[1..]
    std::string runas_user, runas_group, cwd, tty;
    std::vector<std::string> env_set;  // variables the invoker set on the command line
    bool preserve_env = false, shell_mode = false, sudoedit = false;
};

struct CommandEnd {
    std::string user, service, command;
    std::vector<std::string> args;
    std::string runas_user, runas_group, grant_id;
    std::optional<uint64_t> exit_status, exit_signal;  // one of these, or exec_error
    bool core_dumped = false;
    std::optional<uint64_t> exec_error;
};

}  // namespace jit::daemon
