// jitd: the just-in-time access daemon.
#include <getopt.h>
#include <stdio.h>

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

}  // namespace

int main(int argc, char** argv) {
    enum { kCheckConfig = 256, kResetClockFloor, kRecover, kAuditInit, kVersion };
    static const option options[] = {
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
    jit::daemon::RuntimeOptions opts;
    bool check_only = false, reset_floor = false, recover = false;
    const char* audit_keyfile = nullptr;
    int c;
    while ((c = getopt_long(argc, argv, "c:s:d:h", options, nullptr)) != -1) {
        switch (c) {
            case 'c':
                opts.config_path = optarg;
                opts.config_path_given = true;
                break;
            case 's':
                opts.socket_override = optarg;
                break;
            case 'd':
                opts.state_dir_override = optarg;
                break;
            case kCheckConfig:
                check_only = true;
                break;
            case kResetClockFloor:
                reset_floor = true;
                break;
            case kRecover:
                recover = true;
                break;
            case kAuditInit:
                audit_keyfile = optarg;
                break;
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
    if (optind != argc) {
        fprintf(stderr, "jitd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (int(check_only) + int(reset_floor) + int(recover) + int(audit_keyfile != nullptr) > 1) {
        fprintf(stderr,
                "jitd: --check-config, --reset-clock-floor, --recover and --audit-init exclude "
                "each other\n");
        return 2;
    }
    if (audit_keyfile) return jit::daemon::init_audit(opts, audit_keyfile);
    if (recover) return jit::daemon::recover_state(opts);
    if (check_only) return jit::daemon::check_config(opts);
    if (reset_floor) return jit::daemon::reset_clock_floor(opts);
    return jit::daemon::run_daemon(opts);
}
