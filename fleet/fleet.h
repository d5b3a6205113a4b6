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
int run_request(const Options& o, const FleetConfig& c, const std::vector<std::string>& args);
int run_approve(const Options& o, const FleetConfig& c, const std::vector<std::string>& args);
int run_revoke(const Options& o, const FleetConfig& c, const std::vector<std::string>& args);
int run_list(const Options& o, const FleetConfig& c, const std::vector<std::string>& args);

}  // namespace jit::fleet
