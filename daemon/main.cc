// jitd: the just-in-time access daemon.
#include <getopt.h>
#include <stdio.h>

#include <optional>

#include "daemon/server/runtime.h"

namespace {

void usage(FILE* out) {
    fprintf(
        out,
        "Usage: jitd [OPTIONS]\n"
        "Just-in-time host access daemon: answers pam_jit.so and jitctl on a Unix socket.\n\n"
        "  -c, --config PATH        configuration file (default /etc/jit/jitd.conf)\n"
        "  -s, --socket PATH        listen here instead of the configured socket\n"
        "  -d, --state-dir PATH     keep state here instead of the configured directory\n"
        "      --check-config       validate the configuration and exit\n"
        "      --reset-clock-floor  lower a clock floor left ahead of the clock (jitd stopped)\n"
        "      --recover            accept a database behind what jitd had committed (jitd "
        "stopped)\n"
        "      --audit-init KEYFILE create the audit log; the auditor's key goes to KEYFILE "
        "(once, jitd stopped)\n"
        "  -h, --help               show this help\n"
        "      --version            show the version\n\n"
        "Signals: SIGTERM/SIGINT stop, SIGHUP reloads the configuration.\n"
        "See jitd(8) and jitd.conf(5).\n");
}

// What the command line asks for: where jitd's files are, and at most one
// offline command instead of serving.
struct Invocation {
    jit::daemon::RuntimeOptions runtime;
    bool check_only = false, reset_floor = false, recover = false;
    const char* audit_keyfile = nullptr;
};

enum { kCheckConfig = 256, kResetClockFloor, kRecover, kAuditInit, kVersion };
const option kOptions[] = {
    {"config", required_argument, nullptr, 'c'},
    {"socket", required_argument, nullptr, 's'},
    {"state-dir", required_argument, nullptr, 'd'},
    {"check-config", no_argument, nullptr, kCheckConfig},
    {"reset-clock-floor", no_argument, nullptr, kResetClockFloor},
    {"recover", no_argument, nullptr, kRecover},
    {"audit-init", required_argument, nullptr, kAuditInit},
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, kVersion},
    {nullptr, 0, nullptr, 0},
};

// Takes one option (c, getopt_long's answer) into *inv; returns the exit
// status when the process ends here (help, version, a bad option).
std::optional<int> take_option(int c, Invocation* inv) {
    switch (c) {
        case 'c':
            inv->runtime.config_path = optarg;
            inv->runtime.config_path_given = true;
            return std::nullopt;
        case 's':
            inv->runtime.socket_override = optarg;
            return std::nullopt;
        case 'd':
            inv->runtime.state_dir_override = optarg;
            return std::nullopt;
        case kCheckConfig:
            inv->check_only = true;
            return std::nullopt;
        case kResetClockFloor:
            inv->reset_floor = true;
            return std::nullopt;
        case kRecover:
            inv->recover = true;
            return std::nullopt;
        case kAuditInit:
            inv->audit_keyfile = optarg;
            return std::nullopt;
        case 'h':
            usage(stdout);
            return 0;
        case kVersion:
            printf("jitd %s\n", JIT_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
    }
}

// After the options: no operand, and at most one offline command.
std::optional<int> refuse_leftovers(int argc, char** argv, const Invocation& inv) {
    if (optind != argc) {
        fprintf(stderr, "jitd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    const int offline = int(inv.check_only) + int(inv.reset_floor) + int(inv.recover) +
                        int(inv.audit_keyfile != nullptr);
    if (offline > 1) {
        fprintf(stderr,
                "jitd: --check-config, --reset-clock-floor, --recover and --audit-init exclude "
                "each other\n");
        return 2;
    }
    return std::nullopt;
}

int run(const Invocation& inv) {
    if (inv.audit_keyfile) return jit::daemon::init_audit(inv.runtime, inv.audit_keyfile);
    if (inv.recover) return jit::daemon::recover_state(inv.runtime);
    if (inv.check_only) return jit::daemon::check_config(inv.runtime);
    if (inv.reset_floor) return jit::daemon::reset_clock_floor(inv.runtime);
    return jit::daemon::run_daemon(inv.runtime);
}

}  // namespace

int main(int argc, char** argv) {
    Invocation inv;
    for (int c; (c = getopt_long(argc, argv, "c:s:d:h", kOptions, nullptr)) != -1;)
        if (auto done = take_option(c, &inv)) return *done;
    if (auto refused = refuse_leftovers(argc, argv, inv)) return *refused;
    return run(inv);
}
