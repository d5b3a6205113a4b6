// jitctl: the command line for jitd.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <optional>
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

enum { kSocket = 256, kJson, kTimeout, kVersion, kFleet, kFleetSocket };
const option kOptions[] = {{"socket", required_argument, nullptr, kSocket},
                           {"json", no_argument, nullptr, kJson},
                           {"timeout", required_argument, nullptr, kTimeout},
                           {"help", no_argument, nullptr, 'h'},
                           {"version", no_argument, nullptr, kVersion},
                           {"fleet", no_argument, nullptr, kFleet},
                           {"fleet-socket", required_argument, nullptr, kFleetSocket},
                           {nullptr, 0, nullptr, 0}};

// The sockets from the environment, else the defaults; options override them.
jit::ctl::Globals default_globals() {
    jit::ctl::Globals g;
    const char* env = getenv("JITCTL_SOCKET");
    g.socket_path = env && *env ? env : kDefaultSocket;
    const char* fleet_env = getenv("JITCTL_FLEET_SOCKET");
    g.fleet_socket = fleet_env && *fleet_env ? fleet_env : kDefaultFleetSocket;
    return g;
}

// Takes one global option (c, getopt_long's answer) into *g or *fleet;
// returns the exit status when the process ends here (help, version, a bad
// option).
std::optional<int> take_option(int c, jit::ctl::Globals* g, bool* fleet) {
    switch (c) {
        case kSocket:
            g->socket_path = optarg;
            return std::nullopt;
        case kJson:
            g->json = true;
            return std::nullopt;
        case kFleet:
            *fleet = true;
            return std::nullopt;
        case kFleetSocket:
            g->fleet_socket = optarg;
            return std::nullopt;
        case kTimeout: {
            char* end;
            long ms = strtol(optarg, &end, 10);
            if (*end || ms < 1 || ms > 600000) {
                fprintf(stderr, "jitctl: --timeout takes milliseconds, 1 to 600000\n");
                return jit::ctl::kExitUsage;
            }
            g->timeout_ms = int(ms);
            return std::nullopt;
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

// The command named at argv[0]; it parses from its own name onwards.
int run_command(const jit::ctl::Globals& g, int argc, char** argv) {
    if (argc < 1) {
        usage(stderr);
        return jit::ctl::kExitUsage;
    }
    const auto* command = jit::ctl::find_command(argv[0]);
    if (!command) {
        fprintf(stderr, "jitctl: unknown command '%s'\n", argv[0]);
        usage(stderr);
        return jit::ctl::kExitUsage;
    }
    optind = 0;  // glibc: 0 fully resets getopt's state
    return command->run(g, argc, argv);
}

}  // namespace

int main(int argc, char** argv) {
    jit::ctl::Globals g = default_globals();
    bool fleet = false;
    for (int c; (c = getopt_long(argc, argv, "+h", kOptions, nullptr)) != -1;)
        if (auto done = take_option(c, &g, &fleet)) return *done;
    if (fleet) return jit::ctl::run_fleet(g, argc - optind, argv + optind);
    return run_command(g, argc - optind, argv + optind);
}
