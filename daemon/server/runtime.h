// jitd's process: configuration, state, the sd-event loop, signals, the
// expiry timer and the service manager protocol (sd_notify).
#pragma once

#include <string>

namespace jit::daemon {

struct RuntimeOptions {
    std::string config_path = "/etc/jit/jitd.conf";
    bool config_path_given = false;
    std::string socket_override;
    std::string state_dir_override;
};

// Runs until SIGTERM/SIGINT.  Returns the process exit code.
int run_daemon(const RuntimeOptions& options);

// Loads and validates the configuration only (jitd --check-config).
int check_config(const RuntimeOptions& options);

// Accepts a jit.db that is behind its high-water mark (jitd must be stopped).
int recover_state(const RuntimeOptions& options);

// Creates the audit log; the auditor's key goes to keyfile (jitd must be stopped).
int init_audit(const RuntimeOptions& options, const std::string& keyfile);

// Lowers the saved clock floor to the current time (jitd must be stopped).
int reset_clock_floor(const RuntimeOptions& options);

}  // namespace jit::daemon
