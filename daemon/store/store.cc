// SQLite-backed durable state.  The promise: a call that returns success has
// committed, and with WAL + synchronous=FULL a commit has been fsynced.
#include "daemon/store/store.h"

#include "daemon/store/high_water.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jit/unique_fd.h"
#include "daemon/store/schema.h"
#include "daemon/store/sqlite_util.h"

namespace jit::daemon {
namespace {

using namespace sql;

constexpr char kDbName[] = "jit.db";
constexpr int kBusyTimeoutMs = 5000;
constexpr int kSynchronousFull = 2;

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

Result<void, Failure> check_private_dir(const struct stat& st, const std::string& dir) {
    if (!S_ISDIR(st.st_mode)) return os_fail(ENOTDIR, "state directory is not a directory", dir);
    if (st.st_uid != ::geteuid())
        return os_fail(EPERM, "state directory is not owned by the daemon's user", dir);
    if ((st.st_mode & 077) != 0)
        return os_fail(EACCES, "state directory is accessible to group or others", dir);
    return {};
}

// Creates dir 0700 if missing, then opens and vets it without following
// symlinks.  The returned fd pins the directory that was checked.
Result<UniqueFd, Failure> open_private_dir(const std::string& dir) {
    if (dir.empty()) return os_fail(EINVAL, "state directory path is empty", dir);
    if (::mkdir(dir.c_str(), 0700) == 0)
        sync_parent_of(dir);
    else if (errno != EEXIST)
        return os_fail(errno, "cannot create the state directory", dir);

    struct stat link_st {};
    if (::lstat(dir.c_str(), &link_st) != 0)
        return os_fail(errno, "cannot stat the state directory", dir);
    if (S_ISLNK(link_st.st_mode)) return os_fail(ELOOP, "state directory is a symlink", dir);

    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return os_fail(errno, "cannot open the state directory", dir);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return os_fail(errno, "cannot stat the state directory", dir);
    if (st.st_dev != link_st.st_dev || st.st_ino != link_st.st_ino)
        return os_fail(EAGAIN, "state directory changed while being opened", dir);
    if (auto ok = check_private_dir(st, dir); !ok) return ok.error();
    return fd;
}

// One jitd per state directory: a second one would keep its own view of the
// grants in memory, so a revocation made through one would not reach the
// other.  The lock lives as long as the Store (flock is released on close).
Result<UniqueFd, Failure> lock_state_dir(int dir_fd, const std::string& dir) {
    UniqueFd fd(::openat(dir_fd, "jitd.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return os_fail(errno, "cannot open the state lock", dir);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return os_fail(EBUSY, "another jitd is using this state directory", dir);
        return os_fail(errno, "cannot lock the state directory", dir);
    }
    return fd;
}

std::string mode_fixed(const std::string& path, mode_t was) {
    char octal[8];
    snprintf(octal, sizeof octal, "%04o", unsigned(was & 07777));
    return path + " had mode " + octal +
           " (readable or writable by others: grants, requests and history): set to 0600";
}

// Creates jit.db 0600 ourselves (SQLite would use 0644 & ~umask; the WAL and
// shm files copy the database file's mode) and makes its directory entry
// durable: a WAL whose database file vanished in a crash would be discarded.
Result<void, Failure> prepare_db_file(int dir_fd, const std::string& path,
                                      std::vector<std::string>& notices) {
    UniqueFd fd(::openat(dir_fd, kDbName, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) {
        if (errno == ELOOP) return os_fail(ELOOP, "jit.db is a symlink", path);
        return os_fail(errno, "cannot open jit.db", path);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return os_fail(errno, "cannot stat jit.db", path);
    if (!S_ISREG(st.st_mode)) return os_fail(EINVAL, "jit.db is not a regular file", path);
    if (st.st_uid != ::geteuid())
        return os_fail(EPERM, "jit.db is not owned by the daemon's user", path);
    if ((st.st_mode & 07777) != 0600) {
        if (::fchmod(fd.get(), 0600) != 0)
            return os_fail(errno, "cannot set jit.db to mode 0600", path);
        notices.push_back(mode_fixed(path, st.st_mode));
    }
    // The WAL and shm files hold the newest state: the same rule.
    for (const char* suffix : {"-wal", "-shm"}) {
        const std::string name = std::string(kDbName) + suffix;
        UniqueFd side(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!side.valid()) {
            if (errno == ENOENT) continue;
            return os_fail(errno, "cannot open", path + suffix);
        }
        struct stat sst {};
        if (::fstat(side.get(), &sst) != 0 || !S_ISREG(sst.st_mode) || sst.st_uid != ::geteuid())
            return os_fail(EPERM, "not a regular file of the daemon's user", path + suffix);
        if ((sst.st_mode & 07777) == 0600) continue;
        if (::fchmod(side.get(), 0600) != 0)
            return os_fail(errno, "cannot set mode 0600", path + suffix);
        notices.push_back(mode_fixed(path + suffix, sst.st_mode));
    }
    if (::fsync(dir_fd) != 0) return os_fail(errno, "cannot sync the state directory", path);
    return {};
}

// ---- connection setup and migration --------------------------------------

Result<void, Failure> configure(sqlite3* db) {
    sqlite3_extended_result_codes(db, 1);
    // Hardening: no writable_schema tricks, no functions run from the schema.
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
    int rc = sqlite3_busy_timeout(db, kBusyTimeoutMs);
    if (rc != SQLITE_OK) return sqlite_fail(db, rc, "cannot set the busy timeout");

    Statement wal(db, "PRAGMA journal_mode=WAL");
    rc = wal.step();
    if (rc != SQLITE_ROW) return sqlite_fail(db, rc, "cannot switch jit.db to WAL");
    if (wal.column_text(0) != "wal")
        return sqlite_fail(db, SQLITE_CANTOPEN, "jit.db refused WAL journal mode");

    rc = sqlite3_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", nullptr, nullptr,
                      nullptr);
    if (rc != SQLITE_OK) return sqlite_fail(db, rc, "cannot set jit.db pragmas");
    return {};
}

}  // namespace

// ---- Store ----------------------------------------------------------------

Store::Store(sqlite3* db) : db_(db), statements_(std::make_unique<sql::StatementCache>(db)) {}

Store::~Store() {
    statements_.reset();  // finalized first: the connection then really closes
    sqlite3_close_v2(db_);
}

void Store::release_cache() {
    sqlite3_db_release_memory(db_);
}

int Store::schema_version() const {
    return schema_version_;
}

Result<std::unique_ptr<Store>, Failure> Store::open(const std::string& state_dir, bool recover) {
    const std::string dir = without_trailing_slashes(state_dir);
    auto dir_fd = open_private_dir(dir);
    if (!dir_fd) return dir_fd.error();
    auto lock = lock_state_dir(dir_fd->get(), dir);
    if (!lock) return lock.error();
    const std::string path = dir + "/" + kDbName;
    std::vector<std::string> notices;
    if (auto ok = prepare_db_file(dir_fd->get(), path, notices); !ok) return ok.error();
    auto high_water = HighWater::open(dir_fd->get(), dir);
    if (!high_water) return high_water.error();

    // NOFOLLOW makes SQLite refuse a path with a symlink in any component.
    sqlite3* raw = nullptr;
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    DbHandle db(raw);
    if (rc != SQLITE_OK) return sqlite_fail(db.get(), rc, "cannot open jit.db");

    if (auto ok = configure(db.get()); !ok) return ok.error();
    if (auto ok = (*high_water)->vet(db.get(), recover); !ok) return ok.error();
    auto version = migrate(db.get());
    if (!version) return version.error();
    if (auto ok = (*high_water)->attach(db.get()); !ok) return ok.error();
    for (const auto& n : (*high_water)->notices()) notices.push_back(n);

    std::unique_ptr<Store> store(new Store(db.release()));
    store->schema_version_ = *version;
    store->lock_ = std::move(*lock);
    store->high_water_ = std::move(*high_water);
    store->notices_ = std::move(notices);
    // Fail closed if SQLite silently ignored a pragma the durability promise needs.
    auto settings = store->settings();
    if (!settings) return settings.error();
    if (settings->journal_mode != "wal" || settings->synchronous != kSynchronousFull ||
        !settings->foreign_keys) {
        return Failure(EIO, "journal_mode=" + settings->journal_mode +
                                " synchronous=" + std::to_string(settings->synchronous));
    }
    return store;
}

Result<std::unique_ptr<Store>, Failure> Store::open_read_only(const std::string& state_dir) {
    const std::string dir = without_trailing_slashes(state_dir);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0)
        return os_fail(errno, "cannot stat the state directory", dir);
    if (S_ISLNK(st.st_mode)) return os_fail(ELOOP, "state directory is a symlink", dir);
    if (auto ok = check_private_dir(st, dir); !ok) return ok.error();
    const std::string path = dir + "/" + kDbName;
    sqlite3* raw = nullptr;
    const int flags =
        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    DbHandle db(raw);
    if (rc != SQLITE_OK) return sqlite_fail(db.get(), rc, "cannot open jit.db");
    sqlite3_extended_result_codes(db.get(), 1);
    sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
    rc = sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
    if (rc != SQLITE_OK) return sqlite_fail(db.get(), rc, "cannot set the busy timeout");
    auto version = read_version(db.get());
    if (!version) return version.error();
    if (*version != kSchemaVersion) {
        return Failure(EPROTO, "jit.db schema version " + std::to_string(*version) +
                                   ", this build knows " + std::to_string(kSchemaVersion));
    }
    std::unique_ptr<Store> store(new Store(db.release()));
    store->schema_version_ = *version;
    return store;
}

// ---- StoreTx ----------------------------------------------------------------

namespace {
constexpr char kSavepoint[] = "SAVEPOINT jit_member";
constexpr char kRelease[] = "RELEASE jit_member";
constexpr char kRollbackMember[] = "ROLLBACK TO jit_member; RELEASE jit_member";
}  // namespace

StoreTx::StoreTx(Store& store) : store_(store), seqs_(std::make_shared<Seqs>()) {}

StoreTx::~StoreTx() {
    if (open_ && !sqlite3_get_autocommit(store_.db_))
        // A member leaves the group's transaction as it found it.
        sqlite3_exec(store_.db_, member_ ? kRollbackMember : "ROLLBACK", nullptr, nullptr, nullptr);
    restore_sync();
}

// Every commit after a relaxed one is synced again.  Should SQLite refuse
// (it only could on running out of memory), no later write may commit at
// all: query_only, until jitd restarts.
void StoreTx::restore_sync() {
    if (!relaxed_) return;
    relaxed_ = false;
    if (sqlite3_exec(store_.db_, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr) != SQLITE_OK)
        sqlite3_exec(store_.db_, "PRAGMA query_only = 1", nullptr, nullptr, nullptr);
}

Result<void, Failure> StoreTx::begin() {
    if (open_) return Failure(EINVAL, "transaction already begun");
    if (store_.high_water_ && store_.high_water_->failed()) {
        return Failure(ENOTRECOVERABLE,
                       "writes refused until jitd restarts: an earlier commit is not "
                       "confirmed durable (" +
                           store_.high_water_->failure() + ")");
    }
    member_ = store_.group_ && store_.group_.get() != this;
    // The safety level cannot change inside a transaction: set before BEGIN.
    if (sync_later_ && audit_only_ && !member_ && !group_) {
        if (int rc =
                sqlite3_exec(store_.db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
            rc != SQLITE_OK)
            return sqlite_fail(store_.db_, rc, "cannot relax the commit's sync");
        relaxed_ = true;
    }
    int rc = sqlite3_exec(store_.db_, member_ ? kSavepoint : "BEGIN IMMEDIATE", nullptr, nullptr,
                          nullptr);
    if (rc != SQLITE_OK) {
        restore_sync();
        return sqlite_fail(store_.db_, rc, "cannot lock jit.db");
    }
    open_ = true;
    return {};
}

Result<void, Failure> StoreTx::commit() {
    if (auto ok = check(store_); !ok) return ok;
    if (member_) {
        int rc = sqlite3_exec(store_.db_, kRelease, nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) return sqlite_fail(store_.db_, rc, "cannot commit");
        open_ = false;
        join(*store_.group_);
        ++store_.group_members_;
        return {};
    }
    TxAuditor* auditor = sync_later_ ? nullptr : store_.auditor_;
    if (auditor) {
        seqs_->at->assign(entries_.size(), std::nullopt);
        if (auto staged = auditor->stage(*this, entries_, *seqs_->at); !staged) {
            sqlite3_exec(store_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
            open_ = false;
            auditor->settle(staged);
            const Failure& e = staged.error();
            Failure failed(
                e.code, "cannot append to the audit log: " + e.message + ": " + strerror(e.code));
            lose(Failure(EIO, failed.message));
            return failed;
        }
    }
    HighWater* mark = store_.high_water_.get();
    const bool leave_mark =
        mark && audit_only_ && entries_.empty() && after_.empty() && lost_.empty() && !group_;
    if (relaxed_ && !leave_mark) {
        // Only the audit log's own housekeeping may commit unsynced and
        // unmarked (relaxed: no auditor, no group to tell).
        sqlite3_exec(store_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
        open_ = false;
        restore_sync();
        return Failure(EINVAL, "a state change cannot commit unsynced");
    }
    if (leave_mark) mark->leave_next(true);
    int rc = sqlite3_exec(store_.db_, "COMMIT", nullptr, nullptr, nullptr);
    if (leave_mark) mark->leave_next(false);
    restore_sync();
    if (rc != SQLITE_OK && store_.high_water_ && store_.high_water_->take_unmarked()) {
        // COMMIT took place and only the high-water mark's write failed: the
        // change is in jit.db, so memory follows it (the after-commit actions
        // run), but it is not acknowledged as durable.  The fsync is never
        // retried; writes stay refused until a restart.
        close_committed();
        Failure failed(ENOTRECOVERABLE, store_.high_water_->failure());
        lose(failed);
        return failed;
    }
    if (rc != SQLITE_OK) {
        auto failed = sqlite_fail(store_.db_, rc, "cannot commit");
        // A failed COMMIT (an I/O error) normally rolls back; make sure.
        if (!sqlite3_get_autocommit(store_.db_))
            sqlite3_exec(store_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
        open_ = false;
        if (auditor) auditor->settle(failed);
        lose(Failure(failed.code ? failed.code : EIO, failed.message));
        return failed;
    }
    close_committed();
    return {};
}

void StoreTx::close_committed() {
    open_ = false;
    if (TxAuditor* auditor = store_.auditor_; auditor && !sync_later_) auditor->settle({});
    auto actions = std::move(after_);
    after_.clear();
    for (auto& action : actions) action();
}

void StoreTx::join(StoreTx& group) {
    seqs_->at = group.seqs_->at;
    seqs_->offset = group.entries_.size();
    for (auto& e : entries_) group.entries_.push_back(std::move(e));
    entries_.clear();
    for (auto& a : after_) group.after_.push_back(std::move(a));
    after_.clear();
    for (auto& a : lost_) group.lost_.push_back(std::move(a));
    lost_.clear();
}

void StoreTx::lose(const Failure& why) {
    auto actions = std::move(lost_);
    lost_.clear();
    // Outside a group the caller hears the failure from commit() itself.
    if (!group_) return;
    for (auto& action : actions) action(why);
}

size_t StoreTx::audit(JournalEntry entry) {
    entries_.push_back(std::move(entry));
    return entries_.size() - 1;
}

std::optional<uint64_t> StoreTx::audit_seq(size_t slot) const {
    const size_t at = seqs_->offset + slot;
    return at < seqs_->at->size() ? (*seqs_->at)[at] : std::nullopt;
}

std::function<std::optional<uint64_t>()> StoreTx::audit_seq_later(size_t slot) const {
    return [seqs = seqs_, slot]() -> std::optional<uint64_t> {
        const size_t at = seqs->offset + slot;
        return at < seqs->at->size() ? (*seqs->at)[at] : std::nullopt;
    };
}

Result<void, Failure> StoreTx::check(const Store& store) const {
    if (&store != &store_ || !open_ || sqlite3_get_autocommit(store_.db_)) {
        return Failure(EINVAL, "no write transaction is open on this store");
    }
    return {};
}

// ---- group commit -----------------------------------------------------------

Result<void, Failure> Store::begin_group() {
    if (group_) return Failure(EINVAL, "a group is already open");
    auto group = std::make_unique<StoreTx>(*this);
    group->group_ = true;
    if (auto begun = group->begin(); !begun) return begun;
    group_ = std::move(group);
    group_members_ = 0;
    return {};
}

Result<void, Failure> Store::commit_group() {
    if (!group_) return Failure(EINVAL, "no group is open");
    // The group leaves the store before COMMIT: its after-commit actions may
    // begin transactions of their own, which must not join it.
    std::unique_ptr<StoreTx> group = std::move(group_);
    group_members_ = 0;
    return group->commit();
}

Result<void, Failure> Store::mark_high_water() {
    if (!high_water_) return {};
    return high_water_->mark(db_);
}

Result<Store::Settings, Failure> Store::settings() {
    Statement query(db_,
                    "SELECT journal_mode, synchronous, foreign_keys, timeout "
                    "FROM pragma_journal_mode, pragma_synchronous, pragma_foreign_keys, "
                    "pragma_busy_timeout");
    const int rc = query.step();
    if (rc != SQLITE_ROW) return sqlite_fail(db_, rc, "cannot read jit.db settings");
    Settings s;
    s.journal_mode = query.column_text(0);
    s.synchronous = static_cast<int>(query.column_int(1));
    s.foreign_keys = query.column_int(2) != 0;
    s.busy_timeout_ms = static_cast<int>(query.column_int(3));
    return s;
}

}  // namespace jit::daemon
