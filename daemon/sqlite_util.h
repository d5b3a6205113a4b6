// Small RAII helpers over SQLite for the request store: a prepared statement
// whose bind failures stick, and a transaction that rolls back unless
// committed.  (store.cc keeps its own copies in an anonymous namespace.)
#pragma once

#include <sqlite3.h>
#include <stdint.h>

#include <optional>
#include <string>

namespace jit::daemon::sql {

class Statement {
public:
    Statement(sqlite3* db, const char* text) {
        rc_ = sqlite3_prepare_v3(db, text, -1, 0, &stmt_, nullptr);
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Bound strings must outlive the statement's use (SQLITE_STATIC).
    Statement& text(int i, const std::string& s) {
        if (rc_ == SQLITE_OK)
            rc_ = sqlite3_bind_text64(stmt_, i, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
        return *this;
    }
    Statement& integer(int i, int64_t v) {
        if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(stmt_, i, v);
        return *this;
    }
    Statement& maybe(int i, std::optional<int64_t> v) {
        if (v) return integer(i, *v);
        if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_null(stmt_, i);
        return *this;
    }
    int step() { return rc_ == SQLITE_OK ? sqlite3_step(stmt_) : rc_; }
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }

    int64_t column_int(int c) const { return sqlite3_column_int64(stmt_, c); }
    bool column_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
    std::optional<int64_t> column_maybe(int c) const {
        if (column_null(c)) return std::nullopt;
        return column_int(c);
    }
    std::string column_text(int c) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
        return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, c)))
                 : std::string();
    }

private:
    sqlite3_stmt* stmt_ = nullptr;
    int rc_ = SQLITE_OK;
};

class Transaction {
public:
    explicit Transaction(sqlite3* db) : db_(db) {}
    ~Transaction() {
        if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    int begin_write() { return sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr); }
    int begin_read() { return sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr); }
    int commit() { return sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr); }

private:
    sqlite3* db_;
};

}  // namespace jit::daemon::sql
