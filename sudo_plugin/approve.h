// The approval decision for one sudo command: who is asking, whether jit
// manages them, and what jitd says.  Fails closed for managed accounts.
#pragma once

#include "command.h"
#include "exit_record.h"
#include "jit/guest_args.h"

namespace jit::sudo {

// What the plugin holds between open() and close().
struct PluginState {
    bool open = false;
    SudoContext ctx;
    guest::ModuleArgs args;
    bool args_ok = false;
    const char* bad_arg = nullptr;  // the sudo.conf word that did not parse
    int (*say)(int msg_type, const char* fmt, ...) = nullptr;  // sudo's plugin_printf
    char message[320] = "";  // errstr for sudo: valid until close()
};

// sudo_plugin(5) results of check().
inline constexpr int kApprove = 1;
inline constexpr int kReject = 0;
inline constexpr int kError = -1;

// On an allow from jitd, arms *record for the audit half.
int approve(PluginState* st, char* const* command_info, char* const* run_argv, const char** errstr,
            ExitRecord* record);

}  // namespace jit::sudo
