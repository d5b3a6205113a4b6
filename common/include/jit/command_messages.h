// Typed view of COMMAND_CHECK_REQUEST (protocol.h), the question
// jit_sudo.so asks for each sudo command, for jitd and the tests.  Same
// conventions as messages.h.  (jit_sudo.so itself writes the frame with
// wire::FrameWriter: it cannot use the C++ library.)
#pragma once

#include <stdint.h>

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

}  // namespace jit::msg
