// What every jitd command reads before it acts (serving, or one of the
// offline commands): the configuration, the policy and the state directory,
// and how it says on stderr that it cannot.
#pragma once

#include <memory>
#include <string>

#include "daemon/config/config.h"
#include "daemon/policy/policy.h"
#include "daemon/server/runtime.h"
#include "daemon/store/store.h"
#include "jit/failure.h"

namespace jit::daemon {

// "jitd: message" on stderr: the commands run before (or without) a journal.
void fail(const std::string& message);

// The configuration file with the command line's overrides applied.
Result<Config, Failure> load_configuration(const RuntimeOptions& o, bool reloading);

// The policy set in config.policy_dir, validated as a whole.
Result<std::shared_ptr<const PolicySet>, Failure> load_policy(const Config& config);

// Opens the store or says why not; *busy is set when another jitd holds it.
std::unique_ptr<Store> open_state(const std::string& state_dir, bool* busy = nullptr,
                                  bool recover = false);

}  // namespace jit::daemon
