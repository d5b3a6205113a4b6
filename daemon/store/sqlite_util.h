// SQLite helpers shared by the store's translation units (store.cc opens
// the database, schema.cc migrates it, and one file per table family:
// grant_store.cc, session_store.cc, store_accounts.cc, request_store.cc):
// errno mapping and RAII for statements and transactions.  Internal to the
// store.
#pragma once

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "jit/failure.h"
#include "jit/result.h"

namespace jit::daemon::sql {

// ---- errors -------------------------------------------------------------

inline int errno_for(int rc) {
    switch (rc) {
        case SQLITE_CANTOPEN_SYMLINK:
            return ELOOP;
        case SQLITE_CONSTRAINT_PRIMARYKEY:
            return EEXIST;
        default:
            break;
    }
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return EBUSY;
        case SQLITE_FULL:
            return ENOSPC;
        case SQLITE_READONLY:
            return EROFS;
        case SQLITE_NOMEM:
            return ENOMEM;
        case SQLITE_PERM:
        case SQLITE_AUTH:
            return EPERM;
        case SQLITE_CANTOPEN:
            return EACCES;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            return EBADMSG;
        case SQLITE_CONSTRAINT:
        case SQLITE_MISMATCH:
        case SQLITE_RANGE:
        case SQLITE_TOOBIG:
            return EINVAL;
        default:
            return EIO;
    }
}

// What went wrong in SQLite's own words, with an errno-style code.
inline Failure sqlite_fail(sqlite3* db, int rc, const char* what) {
    const bool db_agrees = db != nullptr && sqlite3_extended_errcode(db) == rc;
    return Failure(errno_for(rc), std::string(what) + ": " +
                                      (db_agrees ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

inline Failure os_fail(int code, const char* what, const std::string& path) {
    return Failure(code, std::string(what) + ": " + path + ": " + strerror(code));
}

// ---- RAII ---------------------------------------------------------------

struct DbCloser {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;

// Statements a hot path runs for every grant, prepared once per connection:
// parsing and planning an INSERT costs more than running it.  Keyed by the
// SQL text.  The owner destroys the cache before it closes the connection
// (a statement left unfinalized would keep the connection open).
class StatementCache {
public:
    explicit StatementCache(sqlite3* db) : db_(db) {}
    ~StatementCache() {
        for (auto& entry : entries_) sqlite3_finalize(entry.second.stmt);
    }
    StatementCache(const StatementCache&) = delete;
    StatementCache& operator=(const StatementCache&) = delete;
    sqlite3* db() const { return db_; }

    struct Entry {
        sqlite3_stmt* stmt = nullptr;
        bool busy = false;  // lent to a Statement now
    };
    // The entry for sql, prepared on first use; null while it is lent out
    // (a nested use prepares its own) or when it cannot be prepared (*rc).
    Entry* lend(const char* sql, int* rc) {
        auto it = entries_.find(std::string_view(sql));
        if (it == entries_.end()) {
            sqlite3_stmt* stmt = nullptr;
            *rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
            if (*rc != SQLITE_OK) return nullptr;
            it = entries_.emplace(std::string(sql), Entry{stmt, false}).first;
        }
        if (it->second.busy) return nullptr;
        it->second.busy = true;
        return &it->second;
    }

private:
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    sqlite3* db_;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
};

// A prepared statement.  Bind failures stick: step() then returns the first
// one, so callers check once.  Bound strings must outlive the statement's use.
class Statement {
public:
    Statement(sqlite3* db, const char* sql) {
        rc_ = sqlite3_prepare_v3(db, sql, -1, 0, &stmt_, nullptr);
    }
    // Borrowed from the cache, and given back reset and unbound.
    Statement(StatementCache& cache, const char* sql) {
        lent_ = cache.lend(sql, &rc_);
        if (lent_)
            stmt_ = lent_->stmt;
        else if (rc_ == SQLITE_OK)
            rc_ = sqlite3_prepare_v3(cache.db(), sql, -1, 0, &stmt_, nullptr);
    }
    ~Statement() {
        if (!lent_) {
            sqlite3_finalize(stmt_);
            return;
        }
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        lent_->busy = false;
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& text(int i, const std::string& s) {
        if (rc_ == SQLITE_OK)
            rc_ = sqlite3_bind_text64(stmt_, i, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
        return *this;
    }
    Statement& blob(int i, const std::string& bytes) {
        if (rc_ == SQLITE_OK)
            rc_ = sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(), SQLITE_STATIC);
        return *this;
    }
    Statement& integer(int i, int64_t v) {
        if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(stmt_, i, v);
        return *this;
    }
    Statement& maybe_integer(int i, std::optional<int64_t> v) {
        if (v) return integer(i, *v);
        if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_null(stmt_, i);
        return *this;
    }
    int step() { return rc_ == SQLITE_OK ? sqlite3_step(stmt_) : rc_; }
    void reset() { sqlite3_reset(stmt_); }

    int64_t column_int(int c) const { return sqlite3_column_int64(stmt_, c); }
    bool column_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
    std::string column_text(int c) const {
        // Length from column_bytes, not strlen: the round trip is byte-exact.
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
        return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, c)))
                 : std::string();
    }
    std::string column_blob(int c) const {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, c));
        return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, c)))
                 : std::string();
    }

private:
    sqlite3_stmt* stmt_ = nullptr;
    int rc_ = SQLITE_OK;
    StatementCache::Entry* lent_ = nullptr;
};

// Rolls back on scope exit unless committed, so every early return is clean.
class Transaction {
public:
    explicit Transaction(sqlite3* db) : db_(db) {}
    ~Transaction() {
        if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    // IMMEDIATE takes the write lock up front, so a write cannot fail halfway
    // with SQLITE_BUSY after it has read.
    int begin_write() { return sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr); }
    int begin_read() { return sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr); }
    int commit() { return sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr); }

private:
    sqlite3* db_;
};

}  // namespace jit::daemon::sql
