// Committed means committed: a durable high-water mark of jit.db kept
// outside the database and its WAL.  SQLite drops WAL frames whose checksum
// fails, silently, so a damaged or truncated WAL (or a jit.db truncated or
// replaced by an older copy) would otherwise serve an older state: a revoked
// grant active again.  Every row jit.db's tables change bumps a generation
// counter in the same transaction (TEMP triggers, so tables added by later
// migrations are counted too); after each commit the counter is written to
// jit.hwm and fsynced, before the operation is acknowledged.  At open, a
// database behind the mark is refused.
#pragma once

#include <sqlite3.h>
#include <stdint.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "jit/failure.h"
#include "jit/result.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

class HighWater {
public:
    static constexpr const char* kFileName = "jit.hwm";

    // Opens (creating, 0600, no symlinks) the mark in the state directory.
    static Result<std::unique_ptr<HighWater>, Failure> open(int dir_fd, const std::string& dir);

    // Compares db (configured, not yet migrated) with the mark.  Refuses
    // (EUCLEAN, the story in the message) a database that is empty, not counted or
    // behind while the mark says this directory committed more; with recover
    // it accepts the database as it is and says so in notices().
    Result<void, Failure> vet(sqlite3* db, bool recover);

    // Creates the counter (once), the triggers and the commit hook, and
    // records where the database stands.
    Result<void, Failure> attach(sqlite3* db);

    // What an operator must hear about (a mark recreated, a state accepted).
    const std::vector<std::string>& notices() const { return notices_; }
    // Set when recording failed: the mark is never retried as if that fsync
    // had succeeded, and the connection is made read-only (PRAGMA
    // query_only) so no later write commits until jitd restarts.
    bool failed() const { return failed_; }
    // Why it failed ("" while it has not).
    const std::string& failure() const { return failure_; }
    // True once after a commit that took place but whose mark could not be
    // written: the change is in jit.db, not confirmed durable.
    bool take_unmarked() { return std::exchange(unmarked_, false); }
    std::optional<uint64_t> recorded() const { return recorded_; }

    // The next commit leaves the mark as it is (the audit log's own
    // transactions, which another mark guards: see StoreTx::audit_only);
    // cleared by that commit or by leave_next(false).
    void leave_next(bool leave) { leave_next_ = leave; }
    // Brings the mark up to the database's generation now (nothing when it
    // is there already): for a commit that was left and must be marked after
    // all.  A failure is the commit hook's: writes refused until a restart.
    Result<void, Failure> mark(sqlite3* db);

    HighWater(const HighWater&) = delete;
    HighWater& operator=(const HighWater&) = delete;
    ~HighWater() = default;

private:
    HighWater(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
    Result<void, Failure> read_mark();
    Result<void, Failure> record(uint64_t generation);
    static int on_commit(void* self, sqlite3* db, const char* name, int wal_pages);
    // SQLITE_OK, or the error on_commit reports (the mark is then failed).
    int mark_generation(sqlite3* db);

    UniqueFd fd_;
    std::string path_;
    std::optional<uint64_t> recorded_;  // nullopt: never recorded (new directory)
    bool damaged_ = false;              // bytes present, no valid slot
    size_t next_slot_ = 0;              // the slot not holding the newest record
    bool failed_ = false;
    bool unmarked_ = false;
    bool leave_next_ = false;
    std::string failure_;
    std::vector<std::string> notices_;
};

}  // namespace jit::daemon
