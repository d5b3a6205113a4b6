// SQLite-backed durable state.  The promise: a call that returns success has
// committed, and with WAL + synchronous=FULL a commit has been fsynced.
#include "daemon/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iterator>

#include "jit/unique_fd.h"
#include "daemon/store/sqlite_util.h"

namespace jit::daemon {
namespace {

using namespace sql;

constexpr char kDbName[] = "jit.db";
constexpr int kBusyTimeoutMs = 5000;
constexpr int kSynchronousFull = 2;

// ---- schema -------------------------------------------------------------

// Step i takes the schema from version i to i + 1.  Append only: a shipped
// step is never edited, because databases in the field already ran it.
struct Migration {
    int to_version;
    const char* sql;
};

constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE schema_version (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    version INTEGER NOT NULL
) STRICT;
CREATE TABLE grants (
    id TEXT PRIMARY KEY NOT NULL,
    user TEXT NOT NULL,
    source TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    reason TEXT NOT NULL,
    granted_by INTEGER NOT NULL,
    created INTEGER NOT NULL,
    state INTEGER NOT NULL CHECK (state IN (1, 2, 3)),
    ended_at INTEGER,
    ended_by INTEGER,
    end_reason TEXT NOT NULL
) STRICT;
CREATE TABLE grant_services (
    grant_id TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    service TEXT NOT NULL,
    PRIMARY KEY (grant_id, position)
) STRICT, WITHOUT ROWID;
CREATE INDEX grants_by_state ON grants(state);
CREATE INDEX grants_by_user ON grants(user);
)sql"},
    {2, R"sql(
CREATE TABLE grant_limits (
    grant_id TEXT PRIMARY KEY NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    until_session_end INTEGER NOT NULL CHECK (until_session_end IN (0, 1)),
    uses INTEGER CHECK (uses IS NULL OR uses > 0),
    uses_left INTEGER CHECK (uses_left IS NULL OR (uses_left >= 0 AND uses_left <= uses)),
    CHECK ((uses IS NULL) = (uses_left IS NULL))
) STRICT;
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user TEXT NOT NULL,
    service TEXT NOT NULL,
    grant_id TEXT NOT NULL,
    admitted_by TEXT NOT NULL,
    rhost TEXT NOT NULL,
    tty TEXT NOT NULL,
    ruser TEXT NOT NULL,
    logind_session TEXT NOT NULL,
    pid INTEGER NOT NULL,
    pid_start INTEGER NOT NULL,
    sid INTEGER NOT NULL,
    audit_session INTEGER,
    boot_id TEXT NOT NULL,
    opened INTEGER NOT NULL,
    state INTEGER NOT NULL CHECK (state BETWEEN 1 AND 5),
    ended_at INTEGER,
    end_reason TEXT NOT NULL,
    warned_for INTEGER
) STRICT;
CREATE INDEX sessions_by_state ON sessions(state);
CREATE INDEX sessions_by_grant ON sessions(grant_id);
CREATE TABLE clock_floor (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    floor INTEGER NOT NULL
) STRICT;
)sql"},
    // NSS accounts and jit groups.  nss_ids is the ledger of every uid and gid
    // ever allocated, kept when an account goes, so an id is never reused
    // for another name.
    {3, R"sql(
CREATE TABLE nss_ids (
    kind INTEGER NOT NULL CHECK (kind IN (1, 2)),
    id INTEGER NOT NULL CHECK (id > 0 AND id < 4294967295),
    name TEXT NOT NULL,
    allocated INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX nss_ids_by_name ON nss_ids(kind, name);
CREATE TABLE nss_groups (
    name TEXT PRIMARY KEY NOT NULL,
    gid INTEGER NOT NULL UNIQUE,
    created INTEGER NOT NULL
) STRICT;
CREATE TABLE nss_accounts (
    name TEXT PRIMARY KEY NOT NULL,
    uid INTEGER NOT NULL UNIQUE,
    gid INTEGER NOT NULL UNIQUE,
    gecos TEXT NOT NULL,
    home TEXT NOT NULL,
    shell TEXT NOT NULL,
    visibility INTEGER NOT NULL CHECK (visibility IN (1, 2)),
    origin INTEGER NOT NULL CHECK (origin IN (1, 2)),
    created INTEGER NOT NULL
) STRICT;
CREATE TABLE nss_account_groups (
    account TEXT NOT NULL REFERENCES nss_accounts(name) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    grp TEXT NOT NULL REFERENCES nss_groups(name),
    PRIMARY KEY (account, position)
) STRICT, WITHOUT ROWID;
CREATE TABLE grant_groups (
    grant_id TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    grp TEXT NOT NULL,
    PRIMARY KEY (grant_id, position)
) STRICT, WITHOUT ROWID;
)sql"},
    // Policy: requests and their approvals, and the per-account risk
    // baseline.  Lists (services, approver groups, risk signals) are
    // comma-separated: none of their items can contain a comma.
    {4, R"sql(
CREATE TABLE requests (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('request', 'implicit')),
    user TEXT NOT NULL,
    services TEXT NOT NULL,
    source TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    duration INTEGER NOT NULL,
    start_on_approval INTEGER NOT NULL CHECK (start_on_approval IN (0, 1)),
    reason TEXT NOT NULL,
    ticket TEXT NOT NULL,
    requester INTEGER NOT NULL,
    rule TEXT NOT NULL,
    required INTEGER NOT NULL,
    approver_groups TEXT NOT NULL,
    risk TEXT NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    state INTEGER NOT NULL CHECK (state BETWEEN 1 AND 5),
    decided_at INTEGER,
    decided_by INTEGER,
    comment TEXT NOT NULL,
    grant_id TEXT REFERENCES grants(id)
) STRICT;
CREATE INDEX requests_by_state ON requests(state);
CREATE INDEX requests_by_user_created ON requests(user, created);
CREATE TABLE approvals (
    request_id TEXT NOT NULL REFERENCES requests(id),
    approver INTEGER NOT NULL,
    verdict INTEGER NOT NULL CHECK (verdict IN (1, 2)),
    at INTEGER NOT NULL,
    comment TEXT NOT NULL,
    duration INTEGER,
    PRIMARY KEY (request_id, approver)
) STRICT;
CREATE TABLE risk_baseline (
    user TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('source', 'hour')),
    value TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (user, kind, value)
) STRICT, WITHOUT ROWID;
)sql"},
};
static_assert(std::size(kMigrations) == Store::kSchemaVersion,
              "one migration step per schema version");

// ---- the state directory --------------------------------------------------

std::string without_trailing_slashes(std::string path) {
    // "dir/" would make open() follow a symlink named dir despite O_NOFOLLOW.
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    return path;
}

// fsync the parent so a freshly created directory survives a crash.
void sync_parent_of(const std::string& dir) {
    const size_t slash = dir.rfind('/');
    const std::string parent =
        slash == std::string::npos ? "." : (slash == 0 ? "/" : dir.substr(0, slash));
    UniqueFd fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.valid()) ::fsync(fd.get());
}

Result<void> check_private_dir(const struct stat& st, const std::string& dir, std::string& err) {
    if (!S_ISDIR(st.st_mode))
        return os_fail(ENOTDIR, "state directory is not a directory", dir, err);
    if (st.st_uid != ::geteuid())
        return os_fail(EPERM, "state directory is not owned by the daemon's user", dir, err);
    if ((st.st_mode & 077) != 0)
        return os_fail(EACCES, "state directory is accessible to group or others", dir, err);
    return success();
}

// Creates dir 0700 if missing, then opens and vets it without following
// symlinks.  The returned fd pins the directory that was checked.
Result<UniqueFd> open_private_dir(const std::string& dir, std::string& err) {
    if (dir.empty()) return os_fail(EINVAL, "state directory path is empty", dir, err);
    if (::mkdir(dir.c_str(), 0700) == 0)
        sync_parent_of(dir);
    else if (errno != EEXIST)
        return os_fail(errno, "cannot create the state directory", dir, err);

    struct stat link_st {};
    if (::lstat(dir.c_str(), &link_st) != 0)
        return os_fail(errno, "cannot stat the state directory", dir, err);
    if (S_ISLNK(link_st.st_mode)) return os_fail(ELOOP, "state directory is a symlink", dir, err);

    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return os_fail(errno, "cannot open the state directory", dir, err);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return os_fail(errno, "cannot stat the state directory", dir, err);
    if (st.st_dev != link_st.st_dev || st.st_ino != link_st.st_ino)
        return os_fail(EAGAIN, "state directory changed while being opened", dir, err);
    if (auto ok = check_private_dir(st, dir, err); !ok) return ok.error();
    return fd;
}

// One jitd per state directory: a second one would keep its own view of the
// grants in memory, so a revocation made through one would not reach the
// other.  The lock lives as long as the Store (flock is released on close).
Result<UniqueFd> lock_state_dir(int dir_fd, const std::string& dir, std::string& err) {
    UniqueFd fd(::openat(dir_fd, "jitd.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return os_fail(errno, "cannot open the state lock", dir, err);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return os_fail(EBUSY, "another jitd is using this state directory", dir, err);
        return os_fail(errno, "cannot lock the state directory", dir, err);
    }
    return fd;
}

// Creates jit.db 0600 ourselves (SQLite would use 0644 & ~umask; the WAL and
// shm files copy the database file's mode) and makes its directory entry
// durable: a WAL whose database file vanished in a crash would be discarded.
Result<void> prepare_db_file(int dir_fd, const std::string& path, std::string& err) {
    UniqueFd fd(::openat(dir_fd, kDbName, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) {
        if (errno == ELOOP) return os_fail(ELOOP, "jit.db is a symlink", path, err);
        return os_fail(errno, "cannot open jit.db", path, err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return os_fail(errno, "cannot stat jit.db", path, err);
    if (!S_ISREG(st.st_mode)) return os_fail(EINVAL, "jit.db is not a regular file", path, err);
    if (st.st_uid != ::geteuid())
        return os_fail(EPERM, "jit.db is not owned by the daemon's user", path, err);
    if ((st.st_mode & 07777) != 0600 && ::fchmod(fd.get(), 0600) != 0)
        return os_fail(errno, "cannot set jit.db to mode 0600", path, err);
    if (::fsync(dir_fd) != 0) return os_fail(errno, "cannot sync the state directory", path, err);
    return success();
}

// ---- connection setup and migration --------------------------------------

Result<void> configure(sqlite3* db, std::string& err) {
    sqlite3_extended_result_codes(db, 1);
    // Hardening: no writable_schema tricks, no functions run from the schema.
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
    int rc = sqlite3_busy_timeout(db, kBusyTimeoutMs);
    if (rc != SQLITE_OK) return sqlite_fail(db, rc, "cannot set the busy timeout", err);

    Statement wal(db, "PRAGMA journal_mode=WAL");
    rc = wal.step();
    if (rc != SQLITE_ROW) return sqlite_fail(db, rc, "cannot switch jit.db to WAL", err);
    if (wal.column_text(0) != "wal")
        return sqlite_fail(db, SQLITE_CANTOPEN, "jit.db refused WAL journal mode", err);

    rc = sqlite3_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", nullptr, nullptr,
                      nullptr);
    if (rc != SQLITE_OK) return sqlite_fail(db, rc, "cannot set jit.db pragmas", err);
    return success();
}

// 0 for an empty database; fails for a database that is not ours.
Result<int> read_version(sqlite3* db, std::string& err) {
    Statement count(db,
                    "SELECT count(*), "
                    "  count(*) FILTER (WHERE type = 'table' AND name = 'schema_version') "
                    "FROM sqlite_schema");
    int rc = count.step();
    if (rc != SQLITE_ROW) return sqlite_fail(db, rc, "cannot read the jit.db schema", err);
    if (count.column_int(1) == 0) {
        if (count.column_int(0) == 0) return 0;
        err = "jit.db has tables but no schema_version";
        return make_error(EPROTO, "jit.db was not written by jitd");
    }
    Statement version(db, "SELECT version FROM schema_version");
    rc = version.step();
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot read the schema version", err);
        err = "schema_version has no row";
        return make_error(EBADMSG, "jit.db has no schema version");
    }
    const int64_t v = version.column_int(0);
    if (v < 1 || v > INT32_MAX) {
        err = "schema_version holds " + std::to_string(v);
        return make_error(EBADMSG, "jit.db has an invalid schema version");
    }
    return static_cast<int>(v);
}

Result<void> apply_step(sqlite3* db, const Migration& step, std::string& err) {
    int rc = sqlite3_exec(db, step.sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return sqlite_fail(db, rc, "schema migration failed", err);
    Statement stamp(db,
                    "INSERT INTO schema_version (only_row, version) VALUES (1, ?1) "
                    "ON CONFLICT (only_row) DO UPDATE SET version = excluded.version");
    rc = stamp.integer(1, step.to_version).step();
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot record the schema version", err);
    return success();
}

// Runs the missing steps, each in its own transaction, and returns the version.
Result<int> migrate(sqlite3* db, std::string& err) {
    for (;;) {
        Transaction tx(db);
        int rc = tx.begin_write();
        if (rc != SQLITE_OK) return sqlite_fail(db, rc, "cannot lock jit.db", err);
        auto version = read_version(db, err);
        if (!version) return version.error();
        if (*version > Store::kSchemaVersion) {
            err = "jit.db schema version " + std::to_string(*version) + ", this jitd knows " +
                  std::to_string(Store::kSchemaVersion);
            return make_error(EPROTO, "state written by a newer jitd");
        }
        if (*version == Store::kSchemaVersion) return *version;
        if (auto ok = apply_step(db, kMigrations[*version], err); !ok) return ok.error();
        rc = tx.commit();
        if (rc != SQLITE_OK) return sqlite_fail(db, rc, "cannot commit a schema migration", err);
    }
}

}  // namespace

// ---- Store ----------------------------------------------------------------

Store::Store(sqlite3* db) : db_(db) {}

Store::~Store() {
    sqlite3_close_v2(db_);
}

int Store::schema_version() const {
    return schema_version_;
}

Result<std::unique_ptr<Store>> Store::open(const std::string& state_dir) {
    return open(state_dir, nullptr);
}

Result<std::unique_ptr<Store>> Store::open(const std::string& state_dir, std::string* detail) {
    std::string scratch;
    std::string& err = detail ? *detail : scratch;
    err.clear();
    const std::string dir = without_trailing_slashes(state_dir);
    auto dir_fd = open_private_dir(dir, err);
    if (!dir_fd) return dir_fd.error();
    auto lock = lock_state_dir(dir_fd->get(), dir, err);
    if (!lock) return lock.error();
    const std::string path = dir + "/" + kDbName;
    if (auto ok = prepare_db_file(dir_fd->get(), path, err); !ok) return ok.error();

    // NOFOLLOW makes SQLite refuse a path with a symlink in any component.
    sqlite3* raw = nullptr;
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    DbHandle db(raw);
    if (rc != SQLITE_OK) return sqlite_fail(db.get(), rc, "cannot open jit.db", err);

    if (auto ok = configure(db.get(), err); !ok) return ok.error();
    auto version = migrate(db.get(), err);
    if (!version) return version.error();

    std::unique_ptr<Store> store(new Store(db.release()));
    store->schema_version_ = *version;
    store->lock_ = std::move(*lock);
    // Fail closed if SQLite silently ignored a pragma the durability promise needs.
    auto settings = store->settings();
    if (!settings) {
        err = store->last_error();
        return settings.error();
    }
    if (settings->journal_mode != "wal" || settings->synchronous != kSynchronousFull ||
        !settings->foreign_keys) {
        err = "journal_mode=" + settings->journal_mode +
              " synchronous=" + std::to_string(settings->synchronous);
        return make_error(EIO, "jit.db is not running with WAL, synchronous=FULL, foreign keys");
    }
    return store;
}

Result<std::unique_ptr<Store>> Store::open_read_only(const std::string& state_dir,
                                                     std::string* detail) {
    std::string scratch;
    std::string& err = detail ? *detail : scratch;
    err.clear();
    const std::string dir = without_trailing_slashes(state_dir);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0)
        return os_fail(errno, "cannot stat the state directory", dir, err);
    if (S_ISLNK(st.st_mode)) return os_fail(ELOOP, "state directory is a symlink", dir, err);
    if (auto ok = check_private_dir(st, dir, err); !ok) return ok.error();
    const std::string path = dir + "/" + kDbName;
    sqlite3* raw = nullptr;
    const int flags =
        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    DbHandle db(raw);
    if (rc != SQLITE_OK) return sqlite_fail(db.get(), rc, "cannot open jit.db", err);
    sqlite3_extended_result_codes(db.get(), 1);
    sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
    rc = sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
    if (rc != SQLITE_OK) return sqlite_fail(db.get(), rc, "cannot set the busy timeout", err);
    auto version = read_version(db.get(), err);
    if (!version) return version.error();
    if (*version != kSchemaVersion) {
        err = "jit.db schema version " + std::to_string(*version) + ", this build knows " +
              std::to_string(kSchemaVersion);
        return make_error(EPROTO, "jit.db has another schema version");
    }
    std::unique_ptr<Store> store(new Store(db.release()));
    store->schema_version_ = *version;
    return store;
}

// ---- StoreTx ----------------------------------------------------------------

StoreTx::~StoreTx() {
    if (open_ && !sqlite3_get_autocommit(store_.db_))
        sqlite3_exec(store_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Result<void> StoreTx::begin() {
    store_.last_error_.clear();
    if (open_) return make_error(EINVAL, "transaction already begun");
    int rc = sqlite3_exec(store_.db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK)
        return sqlite_fail(store_.db_, rc, "cannot lock jit.db", store_.last_error_);
    open_ = true;
    return success();
}

Result<void> StoreTx::commit() {
    if (auto ok = check(store_); !ok) return ok;
    int rc = sqlite3_exec(store_.db_, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return sqlite_fail(store_.db_, rc, "cannot commit", store_.last_error_);
    open_ = false;
    auto actions = std::move(after_);
    after_.clear();
    for (auto& action : actions) action();
    return success();
}

Result<void> StoreTx::check(const Store& store) const {
    if (&store != &store_ || !open_ || sqlite3_get_autocommit(store_.db_)) {
        store.last_error_ = "no write transaction is open on this store";
        return make_error(EINVAL, "no open write transaction");
    }
    return success();
}

Result<Store::Settings> Store::settings() {
    last_error_.clear();
    Statement query(db_,
                    "SELECT journal_mode, synchronous, foreign_keys, timeout "
                    "FROM pragma_journal_mode, pragma_synchronous, pragma_foreign_keys, "
                    "pragma_busy_timeout");
    const int rc = query.step();
    if (rc != SQLITE_ROW) return sqlite_fail(db_, rc, "cannot read jit.db settings", last_error_);
    Settings s;
    s.journal_mode = query.column_text(0);
    s.synchronous = static_cast<int>(query.column_int(1));
    s.foreign_keys = query.column_int(2) != 0;
    s.busy_timeout_ms = static_cast<int>(query.column_int(3));
    return s;
}

}  // namespace jit::daemon
