// jitctl: the command line for jitd.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <string>

#include "commands.h"
#include "connection.h"
#include "fleet_cli.h"

namespace {

constexpr const char* kDefaultSocket = "/run/jit/jitd.sock";
constexpr const char* kDefaultFleetSocket = "/run/jit/jit-fleet.sock";

void usage(FILE* out) {
    fprintf(out,
            "Usage: jitctl [--socket PATH] [--json] [--timeout MS] COMMAND [ARGS]\n"
            "       jitctl [--fleet-socket PATH] --fleet list|approve|revoke|request ...\n\n"
            "Just-in-time host access: request, approve, grant, check, revoke and list\n"
            "access for managed service accounts.\n\nCommands:\n");
    for (auto* c = jit::ctl::commands_begin(); c != jit::ctl::commands_end(); ++c)
        fprintf(out, "  %-8s %s\n", (*c)->name, (*c)->summary);

    fprintf(out,
            "\nOptions:\n"
            "      --socket PATH  jitd's socket (default $JITCTL_SOCKET, else %s)\n"
            "      --json         machine-readable output\n"
            "      --fleet        fleet requests, approvals, revocations (jit-fleet;\n"
            "                     'jitctl --fleet --help')\n"
            "      --fleet-socket PATH  jit-fleet's socket (default $JITCTL_FLEET_SOCKET,\n"
            "                     else %s)\n"
            "      --timeout MS   give up on jitd after MS milliseconds (default 5000)\n"
            "  -h, --help         this help; 'jitctl COMMAND --help' for a command\n"
            "      --version      show the version\n\n"
            "Exit status: 0 ok/allowed, 1 denied, 2 usage, 3 jitd unreachable,\n"
            "4 not permitted, 5 not found, 6 rejected; request --wait: 7 expired,\n"
            "8 cancelled, 9 still pending.  See jitctl(1).\n",
            kDefaultSocket, kDefaultFleetSocket);
}

}  // namespace

int main(int argc, char** argv) {
    enum { kSocket = 256, kJson, kTimeout, kVersion, kFleet, kFleetSocket };
    static const option options[] = {{"socket", required_argument, nullptr, kSocket},
                                     {"json", no_argument, nullptr, kJson},
                                     {"timeout", required_argument, nullptr, kTimeout},
                                     {"help", no_argument, nullptr, 'h'},
                                     {"version", no_argument, nullptr, kVersion},
                                     {"fleet", no_argument, nullptr, kFleet},
                                     {"fleet-socket", required_argument, nullptr, kFleetSocket},
                                     {nullptr, 0, nullptr, 0}};
    jit::ctl::Globals g;
    const char* env = getenv("JITCTL_SOCKET");
    g.socket_path = env && *env ? env : kDefaultSocket;
    const char* fleet_env = getenv("JITCTL_FLEET_SOCKET");
    g.fleet_socket = fleet_env && *fleet_env ? fleet_env : kDefaultFleetSocket;
    bool fleet = false;
    int c;
    while ((c = getopt_long(argc, argv, "+h", options, nullptr)) != -1) {
        switch (c) {
            case kSocket:
                g.socket_path = optarg;
                break;
            case kJson:
                g.json = true;
                break;
            case kFleet:
                fleet = true;
                break;
            case kFleetSocket:
                g.fleet_socket = optarg;
                break;
            case kTimeout: {
                char* end;
                long ms = strtol(optarg, &end, 10);
                if (*end || ms < 1 || ms > 600000) {
                    fprintf(stderr, "jitctl: --timeout takes milliseconds, 1 to 600000\n");
                    return jit::ctl::kExitUsage;
                }
                g.timeout_ms = int(ms);
                break;
            }
            case 'h':
                usage(stdout);
                return 0;
            case kVersion:
                printf("jitctl %s\n", JIT_VERSION);
                return 0;
            default:
                usage(stderr);
                return jit::ctl::kExitUsage;
        }
    }
    if (fleet) return jit::ctl::run_fleet(g, argc - optind, argv + optind);
    if (optind >= argc) {
        usage(stderr);
        return jit::ctl::kExitUsage;
    }
    const auto* command = jit::ctl::find_command(argv[optind]);
    if (!command) {
        fprintf(stderr, "jitctl: unknown command '%s'\n", argv[optind]);
        usage(stderr);
        return jit::ctl::kExitUsage;
    }
    // The subcommand parses from its own name onwards.
    int sub_argc = argc - optind;
    char** sub_argv = argv + optind;
    optind = 0;  // glibc: 0 fully resets getopt's state
    return command->run(g, sub_argc, sub_argv);
}
