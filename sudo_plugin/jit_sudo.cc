// sudo plugin entry points (sudo_plugin(5)): jit_approval, the approval
// plugin that asks jitd about each command, and jit_audit, the audit plugin
// that tells jitd how an approved command ended.  Each validates, calls one
// internal function and returns its result.  Compiled without exceptions, so
// none can cross this C ABI; no static constructor, no fd or allocation kept
// past close().  sudo loads both from the one file, so they share this
// process's state: the approval arms g_exit, the audit reads it.
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sudo_plugin.h>

#include "approve.h"
#include "exit_record.h"

namespace {

jit::sudo::PluginState g_state;
jit::sudo::ExitRecord g_exit;  // zero-initialised (.bss): unarmed

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
    return jit::sudo::approve(&g_state, command_info, run_argv, errstr, &g_exit);
}

int jit_show_version(int verbose) {
    (void)verbose;
    if (g_state.say)
        g_state.say(SUDO_CONV_INFO_MSG, "jit_sudo approval plugin version %s\n", JIT_VERSION);
    return 1;
}

// ---- the audit plugin.  Every hook returns 1 whatever happens: an audit
// plugin that fails makes sudo refuse, and this one only records. ----

// Every member initialised: a global with an indeterminate member would get
// a static constructor, which would run inside sudo.
struct AuditState {
    bool args_ok = false;
    jit::guest::ModuleArgs args;     // points into sudo's plugin_options
    const char* idle_why = nullptr;  // why args_ok is false: a sudo.conf word, or static text
    sudo_printf_t say = nullptr;
};
AuditState g_audit;

int audit_open(unsigned int version, sudo_conv_t conversation, sudo_printf_t plugin_printf,
               char* const settings[], char* const user_info[], int submit_optind,
               char* const submit_argv[], char* const submit_envp[], char* const plugin_options[],
               const char** errstr) {
    (void)conversation, (void)settings, (void)user_info, (void)submit_optind;
    (void)submit_argv, (void)submit_envp, (void)errstr;
    g_audit = AuditState{};
    g_audit.say = plugin_printf;
    g_audit.idle_why = "another major sudo plugin API";
    if (SUDO_API_VERSION_GET_MAJOR(version) != SUDO_API_VERSION_MAJOR) return 1;  // stays idle
    int argc = 0;
    while (plugin_options && plugin_options[argc]) ++argc;
    const char* bad = nullptr;
    auto args = jit::guest::parse_args(argc, const_cast<const char**>(plugin_options), &bad);
    g_audit.args_ok = bool(args);
    if (args) g_audit.args = *args;
    g_audit.idle_why = args ? nullptr : bad ? bad : args.error().what;
    return 1;
}

int audit_accept(const char* plugin_name, unsigned int plugin_type, char* const command_info[],
                 char* const run_argv[], char* const run_envp[], const char** errstr) {
    (void)plugin_name, (void)command_info, (void)run_argv, (void)run_envp, (void)errstr;
    // Called once per plugin that accepted, and last for sudo's front end:
    // that one means the command is being run.
    if (plugin_type == SUDO_FRONT_END) g_exit.ran = true;
    return 1;
}

int audit_reject(const char*, unsigned int, const char*, char* const[], const char**) {
    return 1;
}

int audit_error(const char*, unsigned int, const char*, char* const[], const char**) {
    return 1;
}

void audit_close(int status_type, int status) {
    // A broken jit_audit line loses the record of a command jitd allowed:
    // say so (the command's own result stays sudo's).
    bool ended = status_type == SUDO_PLUGIN_WAIT_STATUS || status_type == SUDO_PLUGIN_EXEC_ERROR;
    if (!g_audit.args_ok && g_exit.armed && g_exit.ran && ended && g_audit.say)
        g_audit.say(SUDO_CONV_ERROR_MSG,
                    "jit: exit status not recorded: jit_audit in sudo.conf: %s\n",
                    g_audit.idle_why ? g_audit.idle_why : "not set up");
    if (g_audit.args_ok && g_exit.armed && g_exit.ran) {
        auto sent = jit::sudo::send_command_exit(g_audit.args, g_exit, {status_type, status});
        if (!sent && sent.error().code != EINVAL && g_audit.say)
            g_audit.say(SUDO_CONV_ERROR_MSG, "jit: exit status not recorded: %s (%s)\n",
                        sent.error().what, strerror(sent.error().code));
    }
    g_exit.armed = g_exit.ran = false;
}

int audit_show_version(int verbose) {
    (void)verbose;
    if (g_audit.say)
        g_audit.say(SUDO_CONV_INFO_MSG, "jit_sudo audit plugin version %s\n", JIT_VERSION);
    return 1;
}

}  // namespace

// sudo.conf names these symbols: Plugin jit_approval jit_sudo.so ... and
// Plugin jit_audit jit_sudo.so ...
extern "C" {
extern __attribute__((visibility("default"))) struct approval_plugin jit_approval;
extern __attribute__((visibility("default"))) struct audit_plugin jit_audit;
}
struct approval_plugin jit_approval = {
    SUDO_APPROVAL_PLUGIN, SUDO_API_VERSION, jit_open, jit_close, jit_check, jit_show_version,
};
struct audit_plugin jit_audit = {
    SUDO_AUDIT_PLUGIN, SUDO_API_VERSION,   audit_open, audit_close, audit_accept, audit_reject,
    audit_error,       audit_show_version, nullptr,    nullptr,     nullptr,
};
