// jitctl --fleet: fleet requests, approvals, revocations and the list, asked
// of jit-fleet on its own socket (not jitd's).  jit-fleet names the caller
// by the kernel's credentials and its fleet.conf [person] sections.
#pragma once

#include <string>
#include <vector>

#include "cli.h"

namespace jit::ctl {

// jitctl --fleet OP ARGS...: argv[0] is the operation.
int run_fleet(Globals g, int argc, char** argv);
// Sends one FLEET_ADMIN_REQUEST and prints the lines that come back.
int fleet_call(const Globals& g, const std::string& op, const std::vector<std::string>& args);
// Empty when text is a selector jit-fleet accepts ("role=web,env=prod"),
// else what is wrong with it, for the user.
std::string selector_problem(const std::string& text);

}  // namespace jit::ctl
