// Durable state: SQLite in the state directory (WAL, synchronous=FULL).
// Every write returns only after it is on disk, so jitd acknowledges nothing
// that a crash could lose.  No sockets, no clocks, no logging here.
#pragma once

#include <stddef.h>

#include <memory>
#include <string>
#include <vector>

#include "grant.h"
#include "jit/result.h"
#include "jit/unique_fd.h"

struct sqlite3;

namespace jit::daemon {

class Store {
public:
    // Creates the state directory (0700) if it is missing, refuses it if it is
    // a symlink, not a directory, not owned by the current euid, or accessible
    // to group or others; opens (creating) jit.db inside it without following
    // symlinks, and migrates the schema to the current version.
    static Result<std::unique_ptr<Store>> open(const std::string& state_dir);
    // The same; on failure *detail (when non-null) receives what the OS or
    // SQLite said, for the caller's log line (Error::what stays static).
    static Result<std::unique_ptr<Store>> open(const std::string& state_dir, std::string* detail);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    static constexpr int kSchemaVersion = 2;
    int schema_version() const;

    // Durable on success.  EEXIST if the id is already taken.
    Result<void> insert_grant(const Grant& grant);

    // Moves an Active grant to Expired or Revoked, recording when, by whom and
    // why.  ENOENT if no such grant, EALREADY if it is no longer Active.
    Result<void> end_grant(const std::string& id, GrantState state, Time at,
                           std::optional<uid_t> by, const std::string& reason);

    // Every grant in state Active (including ones not yet started or already
    // past not_after but not yet marked), oldest first.
    Result<std::vector<Grant>> active_grants();

    // Grants for one user (or all when user is empty), newest first, at most
    // limit; ended grants only when include_ended.
    Result<std::vector<Grant>> list_grants(const std::string& user, bool include_ended,
                                           size_t limit);

    Result<bool> grant_id_exists(const std::string& id);

    // What the connection really runs with, read back from SQLite: for the
    // startup log line and for tests of the durability promise.
    struct Settings {
        std::string journal_mode;  // "wal"
        int synchronous = -1;      // 2 = FULL
        bool foreign_keys = false;
        int busy_timeout_ms = 0;
    };
    Result<Settings> settings();

    // The detail behind the last failure (SQLite's message where there is
    // one), for the caller's log line.  Each call resets it.
    const std::string& last_error() const { return last_error_; }

private:
    friend class RequestStore;  // requests share the connection and its transactions
    explicit Store(sqlite3* db);
    sqlite3* db_;
    int schema_version_ = 0;
    UniqueFd lock_;  // flock on jitd.lock: one jitd per state directory
    std::string last_error_;
};

}  // namespace jit::daemon
