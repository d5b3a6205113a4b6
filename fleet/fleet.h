// jit-fleet's commands: the mirror daemon (daemon.cc) and the admin side
// that writes requests, approvals and revocations (admin.cc).
#pragma once

#include <string>
#include <vector>

#include "fleet/trust.h"

namespace jit::fleet {

struct Options {
    std::string config_path = "/etc/jit/fleet.conf";
    std::string state_dir = "/var/lib/jit/fleet";
    std::string socket_path = "/run/jit/jitd.sock";
    std::string password;  // read from [fleet] password_file
};

// Reads and parses the config (and the etcd password file it names).
bool load_config(Options& o, FleetConfig* out);

int run_daemon(const Options& o, const FleetConfig& c);

// Who a fleet record names as requester, approver or revoker: a [person]
// the admin socket matched to the caller, or root acting for the host.
struct Actor {
    std::string name;
};
using Lines = std::vector<std::string>;

// The admin operations (admin.cc).  args are the operation's words after its
// name; an EINVAL error is a usage error.
Result<Lines, Failure> fleet_request(const Options& o, const FleetConfig& c, const Actor& who,
                                     const std::vector<std::string>& args);
Result<Lines, Failure> fleet_approve(const Options& o, const FleetConfig& c, const Actor& who,
                                     const std::vector<std::string>& args);
Result<Lines, Failure> fleet_revoke(const Options& o, const FleetConfig& c, const Actor& who,
                                    const std::vector<std::string>& args);
Result<Lines, Failure> fleet_list(const Options& o, const FleetConfig& c, const Actor& who,
                                  const std::vector<std::string>& args);

}  // namespace jit::fleet
