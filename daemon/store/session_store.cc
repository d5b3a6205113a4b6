// The store's session records and clock floor (schema step 2).  Same promise
// as store.cc: a call that returns success has committed and been fsynced.
#include <errno.h>
#include <sqlite3.h>

#include "daemon/store/sqlite_util.h"
#include "daemon/store/store.h"

namespace jit::daemon {
namespace {

using namespace sql;

// Selected in this order by every session query; see read_session_row().
#define JIT_SESSION_COLUMNS                                                              \
    "id, user, service, grant_id, admitted_by, rhost, tty, ruser, logind_session, pid, " \
    "pid_start, sid, audit_session, boot_id, opened, state, ended_at, end_reason, warned_for"

Session read_session_row(const Statement& row) {
    Session s;
    s.id = row.column_text(0);
    s.user = row.column_text(1);
    s.service = row.column_text(2);
    s.grant_id = row.column_text(3);
    s.admitted_by = row.column_text(4);
    s.rhost = row.column_text(5);
    s.tty = row.column_text(6);
    s.ruser = row.column_text(7);
    s.identity.logind_session = row.column_text(8);
    s.identity.pid = static_cast<pid_t>(row.column_int(9));
    s.identity.pid_start = static_cast<uint64_t>(row.column_int(10));
    s.identity.sid = static_cast<pid_t>(row.column_int(11));
    if (!row.column_null(12)) s.identity.audit_session = static_cast<uint32_t>(row.column_int(12));
    s.identity.boot_id = row.column_text(13);
    s.opened = row.column_int(14);
    s.state = static_cast<SessionState>(row.column_int(15));  // CHECK keeps it in range
    if (!row.column_null(16)) s.ended_at = row.column_int(16);
    s.end_reason = row.column_text(17);
    if (!row.column_null(18)) s.warned_for = row.column_int(18);
    return s;
}

Result<std::vector<Session>, Failure> collect(sqlite3* db, Statement& query) {
    std::vector<Session> out;
    int rc;
    while ((rc = query.step()) == SQLITE_ROW) out.push_back(read_session_row(query));
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot read sessions");
    return out;
}

// One statement that must change exactly one row, in its own transaction.
Result<bool, Failure> write_one(sqlite3* db, Statement& update, const char* what) {
    int rc = update.step();
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, what);
    return sqlite3_changes(db) == 1;
}

}  // namespace

Result<void, Failure> Store::insert_session(const Session& s) {
    Statement insert(db_, "INSERT INTO sessions (" JIT_SESSION_COLUMNS
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                          "?14, ?15, ?16, ?17, ?18, ?19)");
    std::optional<int64_t> audit;
    if (s.identity.audit_session) audit = *s.identity.audit_session;
    int rc = insert.text(1, s.id)
                 .text(2, s.user)
                 .text(3, s.service)
                 .text(4, s.grant_id)
                 .text(5, s.admitted_by)
                 .text(6, s.rhost)
                 .text(7, s.tty)
                 .text(8, s.ruser)
                 .text(9, s.identity.logind_session)
                 .integer(10, s.identity.pid)
                 .integer(11, static_cast<int64_t>(s.identity.pid_start))
                 .integer(12, s.identity.sid)
                 .maybe_integer(13, audit)
                 .text(14, s.identity.boot_id)
                 .integer(15, s.opened)
                 .integer(16, static_cast<int64_t>(s.state))
                 .maybe_integer(17, s.ended_at)
                 .text(18, s.end_reason)
                 .maybe_integer(19, s.warned_for)
                 .step();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        sqlite_fail(db_, rc, "session id already exists");
        return Failure(EEXIST, "session id already exists");
    }
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot insert session");
    return {};
}

Result<void, Failure> Store::rebind_session(const std::string& id, const std::string& grant_id) {
    Statement update(db_, "UPDATE sessions SET grant_id = ?1, warned_for = NULL WHERE id = ?2");
    update.text(1, grant_id).text(2, id);
    auto changed = write_one(db_, update, "cannot rebind session");
    if (!changed) return changed.error();
    if (!*changed) return Failure(ENOENT, "no such session");
    return {};
}

Result<void, Failure> Store::end_session(const std::string& id, SessionState state, Time at,
                                         const std::string& reason) {
    if (state == SessionState::Open) return Failure(EINVAL, "a session cannot end as open");
    // Open may become anything; Closed only Terminated (processes it left
    // behind were ended) or Gone.  One conditional UPDATE, so the check and
    // the change cannot be split.
    Statement update(db_,
                     "UPDATE sessions SET state = ?1, ended_at = ?2, end_reason = ?3 "
                     "WHERE id = ?4 AND (state = 1 OR (state = 2 AND ?1 IN (3, 5)))");
    update.integer(1, static_cast<int64_t>(state)).integer(2, at).text(3, reason).text(4, id);
    auto changed = write_one(db_, update, "cannot end session");
    if (!changed) return changed.error();
    if (*changed) return {};
    Statement exists(db_, "SELECT 1 FROM sessions WHERE id = ?1");
    int rc = exists.text(1, id).step();
    if (rc == SQLITE_DONE) return Failure(ENOENT, "no such session");
    if (rc != SQLITE_ROW) return sqlite_fail(db_, rc, "cannot look up session");
    return Failure(EALREADY, "session has already ended");
}

Result<void, Failure> Store::mark_warned(const std::string& id, Time end) {
    Statement update(db_, "UPDATE sessions SET warned_for = ?1 WHERE id = ?2");
    update.integer(1, end).text(2, id);
    auto changed = write_one(db_, update, "cannot record the warning");
    if (!changed) return changed.error();
    return {};
}

Result<std::vector<Session>, Failure> Store::sessions_to_watch(Time since) {
    Statement query(db_, "SELECT " JIT_SESSION_COLUMNS
                         " FROM sessions WHERE state = 1 OR (state IN (2, 3, 4) AND "
                         "ended_at >= ?1) ORDER BY opened, rowid");
    query.integer(1, since);
    return collect(db_, query);
}

Result<std::vector<Session>, Failure> Store::list_sessions(const std::string& user,
                                                           bool include_ended, size_t limit) {
    const char* sql = user.empty() ? "SELECT " JIT_SESSION_COLUMNS
                                     " FROM sessions WHERE (?2 OR state = 1) "
                                     "ORDER BY opened DESC, rowid DESC LIMIT ?3"
                                   : "SELECT " JIT_SESSION_COLUMNS
                                     " FROM sessions WHERE user = ?1 AND (?2 OR state = 1) "
                                     "ORDER BY opened DESC, rowid DESC LIMIT ?3";
    Statement query(db_, sql);
    if (!user.empty()) query.text(1, user);
    const auto max_rows =
        limit > static_cast<size_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(limit);
    query.integer(2, include_ended ? 1 : 0).integer(3, max_rows);
    return collect(db_, query);
}

Result<Time, Failure> Store::clock_floor() {
    Statement query(db_, "SELECT floor FROM clock_floor WHERE only_row = 1");
    int rc = query.step();
    if (rc == SQLITE_DONE) return Time(0);
    if (rc != SQLITE_ROW) return sqlite_fail(db_, rc, "cannot read the clock floor");
    return query.column_int(0);
}

Result<void, Failure> Store::raise_clock_floor(Time t) {
    Statement upsert(db_,
                     "INSERT INTO clock_floor (only_row, floor) VALUES (1, ?1) "
                     "ON CONFLICT (only_row) DO UPDATE SET floor = max(floor, excluded.floor)");
    int rc = upsert.integer(1, t).step();
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot raise the clock floor");
    return {};
}

Result<void, Failure> Store::reset_clock_floor(Time t) {
    Statement upsert(db_,
                     "INSERT INTO clock_floor (only_row, floor) VALUES (1, ?1) "
                     "ON CONFLICT (only_row) DO UPDATE SET floor = excluded.floor");
    int rc = upsert.integer(1, t).step();
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot reset the clock floor");
    return {};
}

#undef JIT_SESSION_COLUMNS

}  // namespace jit::daemon
