// jitctl subcommands.  Each parses its own arguments, talks to jitd once and
// returns an exit code from connection.h.
#pragma once

#include <string>

namespace jit::ctl {

struct Globals {
    std::string socket_path;
    std::string fleet_socket;  // jit-fleet's admin socket (jitctl --fleet)
    bool json = false;
    int timeout_ms = 5000;
};

struct Command {
    const char* name;
    const char* summary;
    const char* usage;  // full --help text
    int (*run)(Globals globals, int argc, char** argv);
};

const Command* find_command(const std::string& name);
const Command* const* commands_begin();
const Command* const* commands_end();

}  // namespace jit::ctl
