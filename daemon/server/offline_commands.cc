// jitd's offline commands: each reads the configuration, and all but
// --check-config take the state directory's lock, so none runs beside a
// serving jitd.
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

#include <memory>
#include <optional>

#include "daemon/events/journal.h"
#include "daemon/server/audit_init.h"
#include "daemon/server/runtime.h"
#include "daemon/server/startup.h"
#include "daemon/time/clock.h"
#include "jit/timefmt.h"

namespace jit::daemon {

namespace {

// The configuration and the state directory, locked: what every offline
// command but --check-config starts from.  Said why not (fail) when not.
struct OfflineState {
    Config config;
    std::unique_ptr<Store> store;
};

std::optional<OfflineState> open_offline(const RuntimeOptions& options, bool recover = false) {
    auto config = load_configuration(options, false);
    if (!config) return fail(config.error().to_string()), std::nullopt;
    bool busy = false;
    auto store = open_state(config->state_dir, &busy, recover);
    if (!store) {
        if (busy) fail("stop jitd.socket and jitd.service first, then run this again");
        return std::nullopt;
    }
    return OfflineState{std::move(*config), std::move(store)};
}

}  // namespace

int check_config(const RuntimeOptions& options) {
    auto config = load_configuration(options, false);
    if (!config) return fail(config.error().to_string()), 1;
    auto policy = load_policy(*config);
    if (!policy) return fail(policy.error().to_string()), 1;
    printf("%s: %zu policy rule(s) in %zu file(s)\n", config->policy_dir.c_str(),
           (*policy)->rules.size(), (*policy)->files.size());
    if (access(options.config_path.c_str(), F_OK) != 0)
        printf("%s: not found; the built-in defaults apply (jit manages no account)\n",
               options.config_path.c_str());
    else
        printf("%s: configuration is valid\n", options.config_path.c_str());
    return 0;
}

// Offline repair of a clock floor raised by a clock that was wrong: the lock
// on the state directory refuses it while a jitd serves from it.
int reset_clock_floor(const RuntimeOptions& options) {
    auto state = open_offline(options);
    if (!state) return 1;
    auto old_floor = state->store->clock_floor();
    if (!old_floor) return fail("cannot read the clock floor: " + old_floor.error().message), 1;
    const Time now = SystemClock().now();
    if (*old_floor <= now) {
        printf("the clock floor (%s) is not ahead of the clock (%s): nothing to reset\n",
               format_utc(*old_floor).c_str(), format_utc(now).c_str());
        return 0;
    }
    if (auto reset = state->store->reset_clock_floor(now); !reset)
        return fail("cannot reset the clock floor: " + reset.error().message), 1;
    SystemJournal().record(Event::ClockFloorReset, LOG_NOTICE,
                           "clock floor reset from " + format_utc(*old_floor) + " to " +
                               format_utc(now) + " by uid " + std::to_string(getuid()),
                           {{"JIT_CLOCK_FLOOR", format_iso8601(now)},
                            {"JIT_OLD_CLOCK_FLOOR", format_iso8601(*old_floor)}});
    printf("clock floor reset from %s to %s; grants that ended meanwhile stay ended\n",
           format_utc(*old_floor).c_str(), format_utc(now).c_str());
    return 0;
}

int init_audit(const RuntimeOptions& options, const std::string& keyfile) {
    auto state = open_offline(options);
    if (!state) return 1;
    return create_audit_log(*state->store, state->config.state_dir, keyfile);
}

// The operator's way out when jitd refuses a database behind its high-water
// mark: accept jit.db as it is (after restoring a backup, or knowingly).
int recover_state(const RuntimeOptions& options) {
    auto state = open_offline(options, true);
    if (!state) return 1;
    SystemJournal journal;
    for (const auto& notice : state->store->open_notices()) {
        journal.record(
            Event::StateRepaired, LOG_WARNING,
            "state: " + notice + " (jitd --recover by uid " + std::to_string(getuid()) + ")",
            {{"JIT_STATE_DIR", state->config.state_dir}});
        printf("%s\n", notice.c_str());
    }
    printf("%s: jit.db accepted as it is; start jitd to serve it\n",
           state->config.state_dir.c_str());
    return 0;
}

}  // namespace jit::daemon
