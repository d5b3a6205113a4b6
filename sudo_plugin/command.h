// What sudo tells an approval plugin about one command, gathered from the
// "name=value" vectors it passes, and its encoding as a COMMAND_CHECK for
// jitd.  Nothing here resolves a path or reads a file: sudo has already
// resolved the command, and jitd matches exactly what sudo will execute.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "jit/result.h"

namespace jit::sudo {

// The value of "name=..." in a NULL-terminated vector, or nullptr.  Splits on
// the first '=' as sudo_plugin(5) says.
const char* lookup(char* const* vec, const char* name);
// True when the vector holds "name=true".
bool flag(char* const* vec, const char* name);

// What open() was given that check() needs; sudo keeps these vectors for the
// life of the process, so pointers into them stay valid until close().
struct SudoContext {
    char* const* settings = nullptr;
    char* const* user_info = nullptr;
    char* const* submit_argv = nullptr;
    int submit_optind = 0;
};

struct CommandInput {
    const char* user = "";               // the invoking account (user_info user=)
    const char* command = "";            // command_info command=: what sudo will execute
    char* const* argv = nullptr;         // run_argv; argv[0] is a name, not matched
    const char* runas_user = "";         // command_info runas_user=
    const char* runas_group = "";        // command_info runas_group=, when sudo -g named one
    const char* cwd = "";                // command_info cwd=
    const char* tty = "";                // user_info tty=
    char* const* submit_argv = nullptr;  // sudo's own command line, for NAME=value words
    int submit_optind = 0;               // where its options end
    bool preserve_env = false;           // sudo -E
    bool shell_mode = false;             // sudo -s / -i
    bool sudoedit = false;
};

// Gathers the input.  Fails (EINVAL) when sudo left out what jitd must see:
// no invoking user, no absolute command path, no runas user.
Result<CommandInput> gather(const SudoContext& ctx, char* const* command_info,
                            char* const* run_argv);

// Encodes the COMMAND_CHECK_REQUEST into buf.  EMSGSIZE/EINVAL when the
// command line does not fit the protocol's limits (the caller denies).
Result<size_t> encode_command_check(const CommandInput& in, uint8_t* buf, size_t cap);

}  // namespace jit::sudo
