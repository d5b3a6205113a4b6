#include "daemon/store/high_water.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/base/crash_point.h"
#include "daemon/store/sqlite_util.h"

namespace jit::daemon {

namespace {

using sql::os_fail;
using sql::sqlite_fail;
using sql::Statement;

// Two slots, written alternately, so a write torn by a crash leaves the
// other one (one commit older, never ahead of jit.db) readable.
constexpr uint64_t kMagic = 0x31304d5748544a4aULL;  // "JJTHWM01"
constexpr size_t kSlotSize = 24;                    // magic, generation, check
constexpr uint64_t kCheckpointPages = 1000;         // SQLite's own default

uint64_t fnv1a(const uint8_t* p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

void put_u64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}

uint64_t get_u64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

std::optional<uint64_t> read_slot(const uint8_t* p) {
    if (get_u64(p) != kMagic || get_u64(p + 16) != fnv1a(p, 16)) return std::nullopt;
    return get_u64(p + 8);
}

// Tables jit.db has, and its generation when it has the counter.
struct DbState {
    int64_t tables = 0;
    std::optional<uint64_t> generation;
};

Result<DbState, Failure> db_state(sqlite3* db) {
    DbState s;
    Statement count(db,
                    "SELECT count(*), count(*) FILTER (WHERE name = 'jit_generation') "
                    "FROM sqlite_schema WHERE type = 'table'");
    int rc = count.step();
    if (rc != SQLITE_ROW) return sqlite_fail(db, rc, "cannot read the jit.db schema");
    s.tables = count.column_int(0);
    if (count.column_int(1) == 0) return s;
    Statement gen(db, "SELECT n FROM jit_generation WHERE only_row = 1");
    rc = gen.step();
    if (rc == SQLITE_ROW)
        s.generation = uint64_t(gen.column_int(0));
    else if (rc != SQLITE_DONE)
        return sqlite_fail(db, rc, "cannot read the generation");
    return s;
}

std::string quoted(const std::string& name) {
    std::string out = "\"";
    for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

}  // namespace

Result<std::unique_ptr<HighWater>, Failure> HighWater::open(int dir_fd, const std::string& dir) {
    const std::string path = dir + "/" + kFileName;
    UniqueFd fd(::openat(dir_fd, kFileName, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return os_fail(errno, "cannot open the high-water mark", path);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid())
        return os_fail(EPERM, "the high-water mark is not a regular file of ours", path);
    std::unique_ptr<HighWater> h(new HighWater(std::move(fd), path));
    if (auto r = h->read_mark(); !r) return r.error();
    return h;
}

Result<void, Failure> HighWater::read_mark() {
    uint8_t buf[2 * kSlotSize] = {};
    ssize_t n = ::pread(fd_.get(), buf, sizeof buf, 0);
    if (n < 0) return os_fail(errno, "cannot read the high-water mark", path_);
    if (n == 0) return {};  // a new state directory
    for (size_t slot = 0; slot < 2; ++slot) {
        if (size_t(n) < (slot + 1) * kSlotSize) continue;
        auto g = read_slot(buf + slot * kSlotSize);
        if (g && (!recorded_ || *g > *recorded_)) {
            recorded_ = g;
            next_slot_ = 1 - slot;
        }
    }
    damaged_ = !recorded_;
    return {};
}

Result<void, Failure> HighWater::vet(sqlite3* db, bool recover) {
    auto state = db_state(db);
    if (!state) return state.error();
    if (damaged_ && !recover) {
        return Failure(EUCLEAN,
                       path_ +
                           " is damaged (no valid record), so jitd cannot tell what it had "
                           "committed; it refuses to guess.  Restore the state directory from a "
                           "backup, or accept jit.db as it is with jitd --recover (see jitd(8))");
    }
    std::string problem;
    if (recorded_) {
        const uint64_t want = *recorded_;
        if (state->tables == 0)
            problem = "jit.db is empty";
        else if (!state->generation)
            problem = "jit.db has no generation counter (an older or foreign copy)";
        else if (*state->generation < want)
            problem = "jit.db holds generation " + std::to_string(*state->generation);
        if (!problem.empty())
            problem += ", but this state directory had committed generation " +
                       std::to_string(want) + " (" + path_ + ")";
    }
    if (problem.empty() && !damaged_) return {};
    if (!recover) {
        return Failure(
            EUCLEAN,
            problem +
                ": the database is behind what jitd acknowledged (a damaged or truncated "
                "jit.db-wal, a truncated or replaced jit.db).  jitd refuses to serve an older "
                "state, in which a revoked grant could be in force again.  Restore jit.db from a "
                "backup, or accept it as it is with jitd --recover (see jitd(8))");
    }
    notices_.push_back("recovery: accepted jit.db as it is: " +
                       (problem.empty() ? path_ + " was damaged" : problem));
    // Start the mark afresh, durably, so no stale slot outranks the new one.
    if (::ftruncate(fd_.get(), 0) != 0 || ::fsync(fd_.get()) != 0)
        return os_fail(errno, "cannot reset the high-water mark", path_);
    recorded_.reset();
    damaged_ = false;
    next_slot_ = 0;
    return {};
}

Result<void, Failure> HighWater::attach(sqlite3* db) {
    int rc = sqlite3_exec(db,
                          "CREATE TABLE IF NOT EXISTS jit_generation ("
                          "  only_row INTEGER PRIMARY KEY CHECK (only_row = 1),"
                          "  n INTEGER NOT NULL);"
                          "INSERT OR IGNORE INTO jit_generation VALUES (1, 0)",
                          nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return sqlite_fail(db, rc, "cannot create the generation counter");
    std::vector<std::string> tables;
    {
        Statement list(db,
                       "SELECT name FROM sqlite_schema WHERE type = 'table' AND "
                       "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name != 'jit_generation'");
        while ((rc = list.step()) == SQLITE_ROW) tables.push_back(list.column_text(0));
        if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot list jit.db's tables");
    }
    for (const auto& t : tables) {
        for (const char* op : {"INSERT", "UPDATE", "DELETE"}) {
            std::string trigger = "CREATE TEMP TRIGGER IF NOT EXISTS " +
                                  quoted("jit_gen_" + std::string(op) + "_" + t) + " AFTER " + op +
                                  " ON main." + quoted(t) +
                                  " BEGIN UPDATE jit_generation SET n = n + 1; END";
            rc = sqlite3_exec(db, trigger.c_str(), nullptr, nullptr, nullptr);
            if (rc != SQLITE_OK) return sqlite_fail(db, rc, "cannot count jit.db's changes");
        }
    }
    auto state = db_state(db);
    if (!state) return state.error();
    if (!recorded_)
        notices_.push_back(path_ + " started at generation " +
                           std::to_string(state->generation.value_or(0)));
    if (!recorded_ || state->generation.value_or(0) > *recorded_)
        if (auto r = record(state->generation.value_or(0)); !r)
            return os_fail(r.error().code, "cannot record the high-water mark", path_);
    sqlite3_wal_hook(db, on_commit, this);
#ifdef JIT_CRASH_POINTS
    sqlite3_commit_hook(
        db,
        [](void*) {
            JIT_CRASH_POINT("before-commit");
            return 0;
        },
        nullptr);
#endif
    return {};
}

Result<void, Failure> HighWater::record(uint64_t generation) {
    if (failed_) return Failure(EIO, "an earlier write of the high-water mark failed");
    uint8_t slot[kSlotSize];
    put_u64(slot, kMagic);
    put_u64(slot + 8, generation);
    put_u64(slot + 16, fnv1a(slot, 16));
    ssize_t n = ::pwrite(fd_.get(), slot, sizeof slot, off_t(next_slot_ * kSlotSize));
    // After a failed fsync the page cache may say anything: never retry and
    // call it done.  The mark stays failed until jitd restarts and re-reads.
    if (n != ssize_t(sizeof slot) || ::fdatasync(fd_.get()) != 0) {
        int code = n < 0 || errno ? errno : EIO;
        failed_ = true;
        failure_ = "cannot write the high-water mark " + path_ + ": " + strerror(code ? code : EIO);
        return Failure(code ? code : EIO, "cannot write the high-water mark");
    }
    recorded_ = generation;
    next_slot_ = 1 - next_slot_;
    return {};
}

// Runs after each commit (the write lock released), before the statement
// that committed returns: the mark is durable before the caller answers.
int HighWater::on_commit(void* self, sqlite3* db, const char* name, int wal_pages) {
    auto* h = static_cast<HighWater*>(self);
    JIT_CRASH_POINT("committed");
    const bool leave = std::exchange(h->leave_next_, false) && !h->failed_;
    const int rc = leave ? SQLITE_OK : h->mark_generation(db);
    JIT_CRASH_POINT("marked");
    // The hook replaces SQLite's automatic checkpoint; do what it did.
    if (uint64_t(wal_pages) >= kCheckpointPages)
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return rc;
}

int HighWater::mark_generation(sqlite3* db) {
    int rc = SQLITE_OK;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT n FROM jit_generation WHERE only_row = 1", -1, &st,
                           nullptr) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = SQLITE_IOERR;
    } else {
        uint64_t n = uint64_t(sqlite3_column_int64(st, 0));
        if (failed_ || ((!recorded_ || n > *recorded_) && !record(n))) rc = SQLITE_IOERR_FSYNC;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        // This commit took place; no later one may until a restart re-reads
        // the mark.  query_only refuses a write before it commits.
        unmarked_ = true;
        if (!failed_) {
            failed_ = true;
            failure_ = "cannot read the generation counter: " + std::string(sqlite3_errmsg(db));
        }
        sqlite3_exec(db, "PRAGMA query_only = 1", nullptr, nullptr, nullptr);
    }
    return rc;
}

Result<void, Failure> HighWater::mark(sqlite3* db) {
    leave_next_ = false;
    if (mark_generation(db) == SQLITE_OK) return {};
    unmarked_ = false;  // said here, not by a COMMIT
    return Failure(EIO, failure_);
}

}  // namespace jit::daemon
