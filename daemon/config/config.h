// jitd.conf: INI, read with inih into a validated, typed struct.
#pragma once

#include <errno.h>
#include <stdint.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "jit/failure.h"
#include "jit/result.h"

namespace jit::daemon {

struct UidRange {
    uid_t first = 0;
    uid_t last = 0;
};

// An account declared in an [account NAME] section: served by libnss_jit.so.2
// and managed by jit.
struct AccountDecl {
    std::string name;
    std::optional<uid_t> uid;  // allocated from [nss] uid_range when absent
    std::vector<std::string> groups;
    std::string home;   // empty: /home/NAME
    std::string shell;  // empty: /bin/sh
    std::string gecos;
    bool always_visible = false;  // visible = always; the default is granted
};

struct NssConfig {
    std::string snapshot_path = "/run/jit/nss.snapshot";
    std::optional<UidRange> uid_range;  // where jitd allocates uids
    std::optional<UidRange> gid_range;  // and gids (private and jit groups)
    std::vector<std::string> groups;    // jit groups to create up front
    bool configured = false;            // any [nss] key or [account] section given
};

// The audit log (jitd --audit-init once; see jitd.conf(5), AUDIT).
struct AuditConfig {
    enum class Mode { Auto, On, Off };  // Auto: on once the log exists
    enum class Durability { BeforeAnswer, Batched };
    enum class Failure { Deny, Log };
    Mode mode = Mode::Auto;
    Durability durability = Durability::BeforeAnswer;
    Failure failure = Failure::Deny;
    uint64_t checkpoint_records = 1000;  // 0: not by count
    uint64_t checkpoint_seconds = 60;    // 0: not by time
    // Records older than this many go from jit.db into sealed segment files.
    uint64_t segment_records = 100000;
    // Sealed segments plus the records in jit.db: past it, the oldest
    // segment files are removed (0: no bound).
    uint64_t max_disk = uint64_t(1) << 30;
};

struct Config {
    // [jitd]
    std::string socket_path = "/run/jit/jitd.sock";
    std::string state_dir = "/var/lib/jit";
    std::string admin_group;                 // empty: only root may administer
    uint64_t max_grant_seconds = 7 * 86400;  // longest grant an admin may create
    int client_timeout_ms = 5000;            // a client must finish its exchange within this
    int frame_timeout_ms = 1000;             // and send its request frame within this
    size_t max_connections = 256;            // open at once on the public socket
    size_t max_connections_per_uid = 32;     // of which one uid may hold this many
    // [fleet] The longest jit-fleet's word keeps fleet grants deciding: each
    // FLEET_FRESH is capped at its arrival plus this (jitd.conf(5)).
    uint64_t fleet_staleness_seconds = 60;
    // [sessions]
    uint64_t warn_before_seconds = 120;  // notice on the session's terminal; 0: none
    uint64_t kill_grace_seconds = 5;     // SIGTERM to SIGKILL
    // Policy (see jit-policy(5)) and notifications.
    std::string policy_dir = "/etc/jit/policy.d";
    // Workload identity issuers (jit-identity(5)); their JWKS files are
    // named there.  Missing: no token is accepted.
    std::string identity_dir = "/etc/jit/identity.d";
    std::string notify_command;            // empty: no notifications
    int notify_timeout_ms = 10000;         // a notifier running longer is killed
    uint64_t notify_before_seconds = 300;  // "grant-ending" this long before a grant ends
    AuditConfig audit;
    // [managed]
    std::vector<std::string> managed_users;
    std::vector<std::string> managed_groups;
    std::vector<UidRange> managed_uids;
    // [nss] and [account NAME]
    NssConfig nss;
    std::vector<AccountDecl> accounts;
};

// An error in a configuration, policy or identity file: a Failure placed at
// file:line (0: the file as a whole) and key (empty: the line as a whole),
// reported as Failure::to_string() gives it ("file:line: key: message").
// code is the system error behind it (EACCES: not ours to read), else EINVAL.
inline Failure config_error(std::string file, int line, std::string key, std::string message,
                            int code = EINVAL) {
    return Failure(code, std::move(message), {std::move(file), line, std::move(key)});
}

// Parses one file.  Unknown sections or keys, repeated keys, bad values and
// syntax errors are errors; the first one is returned.  A missing file is an
// error too (callers decide whether a missing default file is acceptable).
// Parses are serialised internally, because inih's options are process-wide;
// nothing else in the process should call inih while one runs.
Result<Config, Failure> load_config(const std::string& path);
Result<Config, Failure> parse_config(const std::string& text, const std::string& name);

}  // namespace jit::daemon
