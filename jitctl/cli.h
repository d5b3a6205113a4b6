// What every jitctl subcommand shares: option parsing with --help and
// --json, error reporting, and the exit codes of connection.h.
#pragma once

#include <getopt.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "commands.h"
#include "connection.h"
#include "jit/messages.h"

namespace jit::ctl {

uint32_t request_id();
int usage_error(const char* command, const std::string& message);
int failed(const CallError& f);
// "a,b,,c" -> {"a","b","c"} appended to out.
void split_commas(const char* arg, std::vector<std::string>* out);
void print_help(const Command& c);
// "granted g-...: deploy on sshd until ... (in 15m)", or JSON.
void print_grants(const Globals& g, const std::vector<msg::GrantRecord>& grants, const char* verb);

// Every subcommand also takes the global --json after its name.
constexpr int kJsonOption = 'J';
// clang-format off
#define JIT_COMMON_OPTIONS \
    {"help", no_argument, nullptr, 'h'}, {"json", no_argument, nullptr, kJsonOption}, \
    {nullptr, 0, nullptr, 0}
// clang-format on

struct OptionParser {
    const Command& command;
    Globals& globals;
    int argc;
    char** argv;
    const option* options;
    const char* shortopts;
    bool help = false;

    // Returns the next option that is the command's own: -1 at the end, '?'
    // on error (already reported).  --help and --json are handled here.
    int next();
};

}  // namespace jit::ctl
