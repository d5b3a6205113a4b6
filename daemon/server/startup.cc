#include "daemon/server/startup.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

namespace jit::daemon {

namespace {

// The file must not be writable by anyone but its owner, root or us: whoever
// can write it decides which accounts jit manages.
Result<void, Failure> safe_config_file(const std::string& path) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return {};  // load_config reports it
    if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)))
        return config_error(path, 0, "",
                            "must be owned by root and not writable by group or others", EPERM);
    return {};
}

}  // namespace

void fail(const std::string& message) {
    fprintf(stderr, "jitd: %s\n", message.c_str());
}

// At startup a missing default file means "defaults"; a missing file named on
// the command line is an error, and so is any missing file on reload (a file
// deleted by mistake must not unmanage every account).
Result<Config, Failure> load_configuration(const RuntimeOptions& o, bool reloading) {
    if (auto safe = safe_config_file(o.config_path); !safe) return safe.error();
    auto loaded = load_config(o.config_path);
    Config config;
    if (loaded) {
        config = *loaded;
    } else if (!reloading && !o.config_path_given && access(o.config_path.c_str(), F_OK) != 0 &&
               errno == ENOENT) {
        config = Config{};
    } else {
        return loaded.error();
    }
    if (!o.socket_override.empty()) config.socket_path = o.socket_override;
    if (!o.state_dir_override.empty()) config.state_dir = o.state_dir_override;
    return config;
}

Result<std::shared_ptr<const PolicySet>, Failure> load_policy(const Config& config) {
    auto set = load_policy_dir(config.policy_dir, PolicyOptions{});
    if (!set) return set.error();
    return std::make_shared<const PolicySet>(std::move(*set));
}

// Opens the store or says why not; *busy is set when another jitd holds it.
std::unique_ptr<Store> open_state(const std::string& state_dir, bool* busy, bool recover) {
    auto store = Store::open(state_dir, recover);
    if (store) return std::move(*store);
    fail("cannot open state: " + store.error().message);
    if (busy) *busy = store.error().code == EBUSY;
    return nullptr;
}

}  // namespace jit::daemon
