// sudo approval plugin entry points (sudo_plugin(5)).  Each validates, calls
// one internal function and returns its result.  Compiled without
// exceptions, so none can cross this C ABI; no static constructor, no fd or
// allocation kept past close().
#include <stdio.h>
#include <string.h>

#include <sudo_plugin.h>

#include "approve.h"

namespace {

jit::sudo::PluginState g_state;

int jit_open(unsigned int version, sudo_conv_t conversation, sudo_printf_t plugin_printf,
             char* const settings[], char* const user_info[], int submit_optind,
             char* const submit_argv[], char* const submit_envp[], char* const plugin_options[],
             const char** errstr) {
    (void)conversation;
    (void)submit_envp;
    g_state = jit::sudo::PluginState{};
    if (SUDO_API_VERSION_GET_MAJOR(version) != SUDO_API_VERSION_MAJOR) {
        *errstr = "jit_sudo.so: incompatible sudo plugin API";
        return jit::sudo::kError;
    }
    g_state.say = plugin_printf;
    g_state.ctx = {settings, user_info, submit_argv, submit_optind};
    int argc = 0;
    while (plugin_options && plugin_options[argc]) ++argc;
    // parse_args wants const char**; it only reads.
    auto args =
        jit::guest::parse_args(argc, const_cast<const char**>(plugin_options), &g_state.bad_arg);
    g_state.args_ok = bool(args);
    if (args) g_state.args = *args;
    g_state.open = true;
    return 1;
}

void jit_close(void) {
    g_state = jit::sudo::PluginState{};
}

int jit_check(char* const command_info[], char* const run_argv[], char* const run_envp[],
              const char** errstr) {
    (void)run_envp;
    if (!g_state.open || !command_info || !errstr) return jit::sudo::kError;
    return jit::sudo::approve(&g_state, command_info, run_argv, errstr);
}

int jit_show_version(int verbose) {
    (void)verbose;
    if (g_state.say)
        g_state.say(SUDO_CONV_INFO_MSG, "jit_sudo approval plugin version %s\n", JIT_VERSION);
    return 1;
}

}  // namespace

// sudo.conf names this symbol: Plugin jit_approval jit_sudo.so ...
extern "C" {
extern __attribute__((visibility("default"))) struct approval_plugin jit_approval;
}
struct approval_plugin jit_approval = {
    SUDO_APPROVAL_PLUGIN, SUDO_API_VERSION, jit_open, jit_close, jit_check, jit_show_version,
};
