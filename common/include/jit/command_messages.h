// Typed views of COMMAND_CHECK_REQUEST (protocol.h), the question
// jit_sudo.so asks for each sudo command, and COMMAND_EXIT_REQUEST, how an
// approved one ended, for jitd and the tests.  Same
// conventions as messages.h.  (jit_sudo.so itself writes the frame with
// wire::FrameWriter: it cannot use the C++ library.)
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include "jit/messages.h"

namespace jit::msg {

struct CommandCheckRequest {
    std::string user;               // the invoking account
    std::string service;            // "sudo"
    std::string command;            // the absolute path sudo will execute
    std::vector<std::string> args;  // argv[1..]
    std::string runas_user, runas_group, cwd, tty;
    std::vector<std::string> env_set;  // variables the invoker set on the command line
    bool preserve_env = false, shell_mode = false, sudoedit = false;
};

Result<Frame> encode(const CommandCheckRequest& m, uint32_t request_id);
CommandCheckRequest decode_command_check_request(const wire::MessageView& v);

struct CommandExitRequest {
    std::string user, service, command;
    std::vector<std::string> args;
    std::string runas_user, runas_group, grant_id;
    std::optional<uint64_t> exit_status, exit_signal;  // one of these, or exec_error
    bool core_dumped = false;
    std::optional<uint64_t> exec_error;
};

Result<Frame> encode(const CommandExitRequest& m, uint32_t request_id);
CommandExitRequest decode_command_exit_request(const wire::MessageView& v);
Result<Frame> encode_command_exit_reply(uint32_t request_id);

}  // namespace jit::msg
