#include "daemon/store/audit_store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>

#include <algorithm>

#include "daemon/store/sqlite_util.h"

namespace jit::daemon {

namespace {

using sql::Statement;

AuditRow read_row(const Statement& q) {
    AuditRow r;
    r.seq = uint64_t(q.column_int(0));
    r.at = q.column_int(1);
    r.event = q.column_text(2);
    r.user = q.column_text(3);
    r.record = q.column_blob(4);
    return r;
}

}  // namespace

Result<void, Failure> AuditStore::append(StoreTx& tx, const AuditRow& row) {
    if (auto ok = tx.check(store_); !ok) return ok;
    // Prepared once: every audit record runs it, and parsing the INSERT
    // cost more than the rest of the record (callgrind).
    Statement q(*store_.statements_,
                "INSERT INTO audit_records (seq, at, event, user, record) "
                "VALUES (?1, ?2, ?3, ?4, ?5)");
    int rc = q.integer(1, int64_t(row.seq))
                 .integer(2, row.at)
                 .text(3, row.event)
                 .text(4, row.user)
                 .blob(5, row.record)
                 .step();
    if (rc != SQLITE_DONE) return sql::sqlite_fail(store_.db_, rc, "cannot append an audit record");
    return {};
}

Result<void, Failure> AuditStore::create(StoreTx& tx, const std::string& state,
                                         const std::string& signing_seed) {
    if (auto ok = tx.check(store_); !ok) return ok;
    Statement q(store_.db_,
                "INSERT INTO audit_state (only_row, size, state, signing_seed) "
                "VALUES (1, 0, ?1, ?2)");
    int rc = q.blob(1, state).blob(2, signing_seed).step();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Failure(EEXIST, "jit.db already holds an audit log");
    }
    if (rc != SQLITE_DONE) return sql::sqlite_fail(store_.db_, rc, "cannot create the audit log");
    return {};
}

Result<void, Failure> AuditStore::save_state(StoreTx& tx, uint64_t size, const std::string& state) {
    if (auto ok = tx.check(store_); !ok) return ok;
    Statement q(*store_.statements_,
                "UPDATE audit_state SET size = ?1, state = ?2 WHERE only_row = 1");
    int rc = q.integer(1, int64_t(size)).blob(2, state).step();
    if (rc == SQLITE_DONE && sqlite3_changes(store_.db_) != 1) {
        return Failure(ENOENT, "jit.db holds no audit log (jitd --audit-init)");
    }
    if (rc != SQLITE_DONE) return sql::sqlite_fail(store_.db_, rc, "cannot save the audit state");
    return {};
}

Result<void, Failure> AuditStore::add_checkpoint(StoreTx& tx, const AuditCheckpointRow& c) {
    if (auto ok = tx.check(store_); !ok) return ok;
    Statement q(store_.db_,
                "INSERT INTO audit_checkpoints (size, at, note, frontier) VALUES (?1, ?2, ?3, ?4)");
    int rc =
        q.integer(1, int64_t(c.size)).integer(2, c.at).text(3, c.note).blob(4, c.frontier).step();
    if (rc != SQLITE_DONE)
        return sql::sqlite_fail(store_.db_, rc, "cannot store an audit checkpoint");
    return {};
}

Result<void, Failure> AuditStore::secure_delete(bool on) {
    int rc =
        sqlite3_exec(store_.db_, on ? "PRAGMA secure_delete = ON" : "PRAGMA secure_delete = OFF",
                     nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return sql::sqlite_fail(store_.db_, rc, "cannot set secure_delete");
    return {};
}

Result<void, Failure> AuditStore::checkpoint_truncate() {
    int log = 0, done = 0;
    int rc =
        sqlite3_wal_checkpoint_v2(store_.db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    if (rc != SQLITE_OK) return sql::sqlite_fail(store_.db_, rc, "cannot checkpoint the WAL");
    if (log != 0) {
        return Failure(
            EBUSY, "the WAL was not emptied (a reader held it): " + std::to_string(done) + " of " +
                       std::to_string(log) + " frames copied");
    }
    return {};
}

Result<void, Failure> AuditStore::seal(StoreTx& tx, const AuditSegmentRow& s) {
    if (auto ok = tx.check(store_); !ok) return ok;
    Statement add(store_.db_,
                  "INSERT INTO audit_segments (first_seq, end_seq, file, bytes, sha256, sealed_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    int rc = add.integer(1, int64_t(s.first_seq))
                 .integer(2, int64_t(s.end_seq))
                 .text(3, s.file)
                 .integer(4, int64_t(s.bytes))
                 .text(5, s.sha256)
                 .integer(6, s.sealed_at)
                 .step();
    if (rc != SQLITE_DONE)
        return sql::sqlite_fail(store_.db_, rc, "cannot record a sealed segment");
    return {};
}

Result<size_t, Failure> AuditStore::prune_sealed(StoreTx& tx, size_t limit) {
    if (auto ok = tx.check(store_); !ok) return ok.error();
    // A range of the primary key from the oldest row: no scan, whatever is left.
    Statement prune(store_.db_,
                    "DELETE FROM audit_records WHERE seq >= (SELECT min(seq) FROM audit_records) "
                    "AND seq < min((SELECT min(seq) FROM audit_records) + ?1, "
                    "(SELECT coalesce(max(end_seq), 0) FROM audit_segments))");
    int rc = prune.integer(1, int64_t(limit)).step();
    if (rc != SQLITE_DONE) return sql::sqlite_fail(store_.db_, rc, "cannot prune sealed records");
    return size_t(sqlite3_changes(store_.db_));
}

Result<bool, Failure> AuditStore::sealed_rows_left() {
    Statement q(store_.db_,
                "SELECT coalesce((SELECT min(seq) FROM audit_records), -1) < "
                "(SELECT coalesce(max(end_seq), 0) FROM audit_segments)");
    int rc = q.step();
    if (rc != SQLITE_ROW) return sql::sqlite_fail(store_.db_, rc, "cannot read audit records");
    return q.column_int(0) != 0;
}

Result<void, Failure> AuditStore::forget_segment(StoreTx& tx, uint64_t first_seq) {
    if (auto ok = tx.check(store_); !ok) return ok;
    Statement q(store_.db_, "DELETE FROM audit_segments WHERE first_seq = ?1");
    int rc = q.integer(1, int64_t(first_seq)).step();
    if (rc != SQLITE_DONE)
        return sql::sqlite_fail(store_.db_, rc, "cannot forget a sealed segment");
    return {};
}

Result<std::optional<AuditStore::State>, Failure> AuditStore::state() {
    Statement q(store_.db_, "SELECT size, state, signing_seed FROM audit_state");
    int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<State>();
    if (rc != SQLITE_ROW) return sql::sqlite_fail(store_.db_, rc, "cannot read the audit state");
    return std::optional<State>(
        State{uint64_t(q.column_int(0)), q.column_blob(1), q.column_blob(2)});
}

namespace {

AuditCheckpointRow read_checkpoint(const Statement& q) {
    return AuditCheckpointRow{uint64_t(q.column_int(0)), q.column_int(1), q.column_text(2),
                              q.column_blob(3)};
}

}  // namespace

Result<std::optional<AuditCheckpointRow>, Failure> AuditStore::last_checkpoint() {
    return checkpoint_at_or_before(uint64_t(INT64_MAX));
}

Result<std::optional<AuditCheckpointRow>, Failure> AuditStore::checkpoint_at_or_before(
    uint64_t at_most) {
    Statement q(store_.db_,
                "SELECT size, at, note, frontier FROM audit_checkpoints WHERE size <= ?1 "
                "ORDER BY size DESC LIMIT 1");
    int rc = q.integer(1, int64_t(std::min<uint64_t>(at_most, INT64_MAX))).step();
    if (rc == SQLITE_DONE) return std::optional<AuditCheckpointRow>();
    if (rc != SQLITE_ROW) return sql::sqlite_fail(store_.db_, rc, "cannot read audit checkpoints");
    return std::optional<AuditCheckpointRow>(read_checkpoint(q));
}

Result<std::optional<AuditCheckpointRow>, Failure> AuditStore::checkpoint_signed_before(Time t) {
    Statement q(store_.db_,
                "SELECT size, at, note, frontier FROM audit_checkpoints WHERE at < ?1 "
                "ORDER BY size DESC LIMIT 1");
    int rc = q.integer(1, t).step();
    if (rc == SQLITE_DONE) return std::optional<AuditCheckpointRow>();
    if (rc != SQLITE_ROW) return sql::sqlite_fail(store_.db_, rc, "cannot read audit checkpoints");
    return std::optional<AuditCheckpointRow>(read_checkpoint(q));
}

Result<std::vector<AuditCheckpointRow>, Failure> AuditStore::checkpoints_between(uint64_t after,
                                                                                 uint64_t up_to) {
    Statement q(store_.db_,
                "SELECT size, at, note, frontier FROM audit_checkpoints "
                "WHERE size > ?1 AND size <= ?2 ORDER BY size");
    q.integer(1, int64_t(std::min<uint64_t>(after, INT64_MAX)))
        .integer(2, int64_t(std::min<uint64_t>(up_to, INT64_MAX)));
    std::vector<AuditCheckpointRow> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) out.push_back(read_checkpoint(q));
    if (rc != SQLITE_DONE) return sql::sqlite_fail(store_.db_, rc, "cannot read audit checkpoints");
    return out;
}

Result<std::vector<AuditSegmentRow>, Failure> AuditStore::segments() {
    Statement q(store_.db_,
                "SELECT first_seq, end_seq, file, bytes, sha256, sealed_at FROM audit_segments "
                "ORDER BY first_seq");
    std::vector<AuditSegmentRow> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW)
        out.push_back(AuditSegmentRow{uint64_t(q.column_int(0)), uint64_t(q.column_int(1)),
                                      q.column_text(2), uint64_t(q.column_int(3)), q.column_text(4),
                                      q.column_int(5)});
    if (rc != SQLITE_DONE) return sql::sqlite_fail(store_.db_, rc, "cannot read audit segments");
    return out;
}

Result<uint64_t, Failure> AuditStore::first_held() {
    Statement q(store_.db_,
                "SELECT max(coalesce((SELECT min(seq) FROM audit_records), "
                "(SELECT size FROM audit_state), 0), "
                "(SELECT coalesce(max(end_seq), 0) FROM audit_segments))");
    int rc = q.step();
    if (rc != SQLITE_ROW) return sql::sqlite_fail(store_.db_, rc, "cannot read audit records");
    return uint64_t(q.column_int(0));
}

Result<uint64_t, Failure> AuditStore::first_at_or_after(Time since) {
    Statement q(store_.db_,
                "SELECT coalesce((SELECT min(seq) FROM audit_records WHERE at >= ?1), "
                "(SELECT size FROM audit_state), 0)");
    int rc = q.integer(1, since).step();
    if (rc != SQLITE_ROW) return sql::sqlite_fail(store_.db_, rc, "cannot read audit records");
    return uint64_t(q.column_int(0));
}

Result<std::vector<AuditRow>, Failure> AuditStore::page(uint64_t from, const std::string& user,
                                                        size_t limit, size_t max_bytes) {
    Statement q(store_.db_,
                "SELECT seq, at, event, user, record FROM audit_records "
                "WHERE seq >= ?1 AND (?2 = '' OR user = ?2) ORDER BY seq LIMIT ?3");
    q.integer(1, int64_t(from)).text(2, user).integer(3, int64_t(limit));
    std::vector<AuditRow> out;
    size_t bytes = 0;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
        AuditRow r = read_row(q);
        bytes += r.record.size() + r.event.size() + r.user.size() + 32;
        // Always at least one row, so a caller paging by seq moves on.
        if (!out.empty() && bytes > max_bytes) break;
        out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return sql::sqlite_fail(store_.db_, rc, "cannot read audit records");
    return out;
}

Result<uint64_t, Failure> AuditStore::bytes_held() {
    Statement q(store_.db_,
                "SELECT coalesce(sum(length(record)), 0) FROM audit_records "
                "WHERE seq >= (SELECT coalesce(max(end_seq), 0) FROM audit_segments)");
    int rc = q.step();
    if (rc != SQLITE_ROW) return sql::sqlite_fail(store_.db_, rc, "cannot read audit records");
    return uint64_t(q.column_int(0));
}

}  // namespace jit::daemon
