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

// Selected in this order by every grant query; see read_grant_row().
#define JIT_GRANT_COLUMNS                                                           \
    "id, user, source, not_before, not_after, reason, granted_by, created, state, " \
    "ended_at, ended_by, end_reason"

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

// ---- grant rows ---------------------------------------------------------

Grant read_grant_row(const Statement& row) {
    Grant g;
    g.id = row.column_text(0);
    g.user = row.column_text(1);
    g.source = row.column_text(2);
    g.not_before = row.column_int(3);
    g.not_after = row.column_int(4);
    g.reason = row.column_text(5);
    g.granted_by = static_cast<uid_t>(row.column_int(6));
    g.created = row.column_int(7);
    g.state = static_cast<GrantState>(row.column_int(8));  // CHECK keeps it in range
    if (!row.column_null(9)) g.ended_at = row.column_int(9);
    if (!row.column_null(10)) g.ended_by = static_cast<uid_t>(row.column_int(10));
    g.end_reason = row.column_text(11);
    return g;
}

// Task-bound limits live in their own table (schema step 2); a grant without
// a row there has none.
Result<void> read_limits(sqlite3* db, std::vector<Grant>& grants, std::string& err) {
    Statement limits(db,
                     "SELECT until_session_end, uses, uses_left FROM grant_limits "
                     "WHERE grant_id = ?1");
    for (Grant& g : grants) {
        limits.reset();
        limits.text(1, g.id);
        int rc = limits.step();
        if (rc == SQLITE_DONE) continue;
        if (rc != SQLITE_ROW) return sqlite_fail(db, rc, "cannot read grant limits", err);
        g.until_session_end = limits.column_int(0) != 0;
        if (!limits.column_null(1)) {
            g.uses = static_cast<uint32_t>(limits.column_int(1));
            g.uses_left = static_cast<uint32_t>(limits.column_int(2));
        }
    }
    return success();
}

Result<void> insert_limits(sqlite3* db, const Grant& g, std::string& err) {
    if (!g.until_session_end && !g.uses) return success();
    Statement insert(db,
                     "INSERT INTO grant_limits (grant_id, until_session_end, uses, uses_left) "
                     "VALUES (?1, ?2, ?3, ?4)");
    std::optional<int64_t> uses, left;
    if (g.uses) uses = *g.uses, left = g.uses_left.value_or(*g.uses);
    int rc = insert.text(1, g.id)
                 .integer(2, g.until_session_end ? 1 : 0)
                 .maybe_integer(3, uses)
                 .maybe_integer(4, left)
                 .step();
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot insert grant limits", err);
    return success();
}

// Reads every row of a grant query (already bound), then each grant's services.
Result<std::vector<Grant>> collect_grants(sqlite3* db, Statement& query, std::string& err) {
    std::vector<Grant> grants;
    int rc;
    while ((rc = query.step()) == SQLITE_ROW) grants.push_back(read_grant_row(query));
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot read grants", err);

    Statement services(db,
                       "SELECT service FROM grant_services WHERE grant_id = ?1 ORDER BY position");
    Statement groups(db, "SELECT grp FROM grant_groups WHERE grant_id = ?1 ORDER BY position");
    for (Grant& g : grants) {
        services.reset();
        services.text(1, g.id);
        while ((rc = services.step()) == SQLITE_ROW) g.services.push_back(services.column_text(0));
        if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot read grant services", err);
        groups.reset();
        groups.text(1, g.id);
        while ((rc = groups.step()) == SQLITE_ROW) g.groups.push_back(groups.column_text(0));
        if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot read grant groups", err);
    }
    if (auto ok = read_limits(db, grants, err); !ok) return ok.error();
    return grants;
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

Result<void> Store::insert_grant(const Grant& g) {
    last_error_.clear();
    Transaction tx(db_);
    int rc = tx.begin_write();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot lock jit.db", last_error_);

    Statement insert(db_, "INSERT INTO grants (" JIT_GRANT_COLUMNS
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    std::optional<int64_t> ended_by;
    if (g.ended_by) ended_by = *g.ended_by;
    rc = insert.text(1, g.id)
             .text(2, g.user)
             .text(3, g.source)
             .integer(4, g.not_before)
             .integer(5, g.not_after)
             .text(6, g.reason)
             .integer(7, g.granted_by)
             .integer(8, g.created)
             .integer(9, static_cast<int64_t>(g.state))
             .maybe_integer(10, g.ended_at)
             .maybe_integer(11, ended_by)
             .text(12, g.end_reason)
             .step();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        sqlite_fail(db_, rc, "grant id already exists", last_error_);
        return make_error(EEXIST, "grant id already exists");
    }
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot insert grant", last_error_);

    Statement service(
        db_, "INSERT INTO grant_services (grant_id, position, service) VALUES (?1, ?2, ?3)");
    for (size_t i = 0; i < g.services.size(); ++i) {
        service.reset();
        rc =
            service.text(1, g.id).integer(2, static_cast<int64_t>(i)).text(3, g.services[i]).step();
        if (rc != SQLITE_DONE)
            return sqlite_fail(db_, rc, "cannot insert grant service", last_error_);
    }
    if (auto ok = insert_limits(db_, g, last_error_); !ok) return ok.error();
    Statement group(db_, "INSERT INTO grant_groups (grant_id, position, grp) VALUES (?1, ?2, ?3)");
    for (size_t i = 0; i < g.groups.size(); ++i) {
        group.reset();
        rc = group.text(1, g.id).integer(2, static_cast<int64_t>(i)).text(3, g.groups[i]).step();
        if (rc != SQLITE_DONE)
            return sqlite_fail(db_, rc, "cannot insert grant group", last_error_);
    }
    rc = tx.commit();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot commit grant", last_error_);
    return success();
}

Result<void> Store::end_grant(const std::string& id, GrantState state, Time at,
                              std::optional<uid_t> by, const std::string& reason) {
    last_error_.clear();
    if (state != GrantState::Expired && state != GrantState::Revoked) {
        last_error_ = "end_grant " + id + ": target state must be expired or revoked";
        return make_error(EINVAL, "a grant can only end as expired or revoked");
    }
    Transaction tx(db_);
    int rc = tx.begin_write();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot lock jit.db", last_error_);

    // One conditional UPDATE: the Active check and the change cannot be split.
    Statement update(db_,
                     "UPDATE grants SET state = ?1, ended_at = ?2, ended_by = ?3, end_reason = ?4 "
                     "WHERE id = ?5 AND state = ?6");
    std::optional<int64_t> ended_by;
    if (by) ended_by = *by;
    rc = update.integer(1, static_cast<int64_t>(state))
             .integer(2, at)
             .maybe_integer(3, ended_by)
             .text(4, reason)
             .text(5, id)
             .integer(6, static_cast<int64_t>(GrantState::Active))
             .step();
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot end grant", last_error_);
    if (sqlite3_changes(db_) == 1) {
        rc = tx.commit();
        if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot commit grant end", last_error_);
        return success();
    }
    // Nothing changed; tell apart an unknown id from one that already ended.
    auto exists = grant_id_exists(id);
    if (!exists) return exists.error();
    if (!*exists) {
        last_error_ = "end_grant " + id + ": no such grant";
        return make_error(ENOENT, "no such grant");
    }
    last_error_ = "end_grant " + id + ": grant is no longer active";
    return make_error(EALREADY, "grant is no longer active");
}

Result<std::vector<Grant>> Store::active_grants() {
    last_error_.clear();
    Transaction tx(db_);  // one snapshot for grants and their services
    int rc = tx.begin_read();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot read jit.db", last_error_);
    Statement query(
        db_, "SELECT " JIT_GRANT_COLUMNS " FROM grants WHERE state = ?1 ORDER BY created, rowid");
    query.integer(1, static_cast<int64_t>(GrantState::Active));
    return collect_grants(db_, query, last_error_);
}

Result<std::vector<Grant>> Store::list_grants(const std::string& user, bool include_ended,
                                              size_t limit) {
    last_error_.clear();
    Transaction tx(db_);
    int rc = tx.begin_read();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot read jit.db", last_error_);
    // Two texts rather than "?1 = '' OR user = ?1" so the user index is usable.
    const char* sql = user.empty() ? "SELECT " JIT_GRANT_COLUMNS
                                     " FROM grants WHERE (?2 OR state = ?3) "
                                     "ORDER BY created DESC, rowid DESC LIMIT ?4"
                                   : "SELECT " JIT_GRANT_COLUMNS
                                     " FROM grants WHERE user = ?1 AND (?2 OR state = ?3) "
                                     "ORDER BY created DESC, rowid DESC LIMIT ?4";
    Statement query(db_, sql);
    if (!user.empty()) query.text(1, user);
    const auto max_rows =
        limit > static_cast<size_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(limit);
    query.integer(2, include_ended ? 1 : 0)
        .integer(3, static_cast<int64_t>(GrantState::Active))
        .integer(4, max_rows);
    return collect_grants(db_, query, last_error_);
}

Result<bool> Store::grant_id_exists(const std::string& id) {
    last_error_.clear();
    Statement query(db_, "SELECT 1 FROM grants WHERE id = ?1");
    const int rc = query.text(1, id).step();
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite_fail(db_, rc, "cannot look up grant", last_error_);
}

Result<uint32_t> Store::consume_use(const std::string& grant_id) {
    last_error_.clear();
    Transaction tx(db_);
    int rc = tx.begin_write();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot lock jit.db", last_error_);
    Statement read(db_, "SELECT uses_left FROM grant_limits WHERE grant_id = ?1");
    rc = read.text(1, grant_id).step();
    if (rc == SQLITE_DONE || (rc == SQLITE_ROW && read.column_null(0))) {
        last_error_ = "grant " + grant_id + " has no use limit";
        return make_error(ENOENT, "grant has no use limit");
    }
    if (rc != SQLITE_ROW) return sqlite_fail(db_, rc, "cannot read grant uses", last_error_);
    const int64_t left = read.column_int(0);
    if (left <= 0) {
        last_error_ = "grant " + grant_id + " has no use left";
        return make_error(EDQUOT, "no use left");
    }
    Statement update(db_, "UPDATE grant_limits SET uses_left = ?1 WHERE grant_id = ?2");
    rc = update.integer(1, left - 1).text(2, grant_id).step();
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot take a grant use", last_error_);
    rc = tx.commit();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot commit a grant use", last_error_);
    return static_cast<uint32_t>(left - 1);
}

Result<std::vector<Grant>> Store::grants_in_state(GrantState state) {
    last_error_.clear();
    Transaction tx(db_);
    int rc = tx.begin_read();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot read jit.db", last_error_);
    Statement query(
        db_, "SELECT " JIT_GRANT_COLUMNS " FROM grants WHERE state = ?1 ORDER BY created, rowid");
    query.integer(1, static_cast<int64_t>(state));
    return collect_grants(db_, query, last_error_);
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

#undef JIT_GRANT_COLUMNS

}  // namespace jit::daemon
