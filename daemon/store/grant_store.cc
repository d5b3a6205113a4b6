// The store's grant tables: grants, grant_services, grant_limits (uses and
// until-session-end) and grant_groups.  Writes happen only inside a StoreTx,
// and only the grant ledger (daemon/ledger/) makes them: one writer, so every
// grant is written whole whichever path created it.
#include <sqlite3.h>
#include <stdint.h>

#include "daemon/store/identity_rows.h"
#include "daemon/store/scope_rows.h"
#include "daemon/store/sqlite_util.h"
#include "daemon/store/store.h"

namespace jit::daemon {
namespace {

using namespace sql;

// Written in this order by insert_grant_row().
#define JIT_GRANT_COLUMNS                                                           \
    "id, user, source, not_before, not_after, reason, granted_by, created, state, " \
    "ended_at, ended_by, end_reason"

// Every grant read selects the grant's row with its one-to-one rows (limits,
// fleet origin, workload identity) joined in, NULLs where a grant has none:
// one statement step per grant for all four.  See read_grant_row().
#define JIT_GRANT_SELECT                                                                      \
    "SELECT g.id, g.user, g.source, g.not_before, g.not_after, g.reason, g.granted_by, "      \
    "g.created, g.state, g.ended_at, g.ended_by, g.end_reason, l.until_session_end, l.uses, " \
    "l.uses_left, f.fleet_id, i.name, i.issuer, i.subject, i.claims, i.token_digest "         \
    "FROM grants g LEFT JOIN grant_limits l ON l.grant_id = g.id "                            \
    "LEFT JOIN grant_fleet f ON f.grant_id = g.id "                                           \
    "LEFT JOIN grant_identity i ON i.grant_id = g.id "

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
    GrantEnd end;
    if (!row.column_null(9)) end.at = row.column_int(9);
    if (!row.column_null(10)) end.by = static_cast<uid_t>(row.column_int(10));
    end.reason = row.column_text(11);
    g.ended = std::move(end);
    // Task-bound limits (schema step 2): no row, none.
    if (!row.column_null(12)) {
        g.until_session_end = row.column_int(12) != 0;
        if (!row.column_null(13)) {
            g.uses = static_cast<uint32_t>(row.column_int(13));
            g.uses_left = static_cast<uint32_t>(row.column_int(14));
        }
    }
    if (!row.column_null(15)) g.fleet_id = row.column_text(15);
    if (!row.column_null(16)) g.identity = sql::identity_from_row(row, 16);
    return g;
}

Result<void, Failure> insert_limits(StatementCache& cache, const Grant& g) {
    if (!g.until_session_end && !g.uses) return {};
    sqlite3* db = cache.db();
    Statement insert(cache,
                     "INSERT INTO grant_limits (grant_id, until_session_end, uses, uses_left) "
                     "VALUES (?1, ?2, ?3, ?4)");
    std::optional<int64_t> uses, left;
    if (g.uses) uses = *g.uses, left = g.uses_left.value_or(*g.uses);
    int rc = insert.text(1, g.id)
                 .integer(2, g.until_session_end ? 1 : 0)
                 .maybe_integer(3, uses)
                 .maybe_integer(4, left)
                 .step();
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot insert grant limits");
    return {};
}

// Reads every row of a grant query (JIT_GRANT_SELECT, already bound), then
// each grant's services, groups and scope: one lookup per grant and table,
// each through a statement prepared once per connection (a statement
// prepared per grant made a start with 100,000 grants take seconds).
Result<std::vector<Grant>, Failure> collect_grants(StatementCache& cache, Statement& query) {
    sqlite3* db = cache.db();
    std::vector<Grant> grants;
    int rc;
    while ((rc = query.step()) == SQLITE_ROW) grants.push_back(read_grant_row(query));
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot read grants");

    Statement services(cache,
                       "SELECT service FROM grant_services WHERE grant_id = ?1 ORDER BY position");
    Statement groups(cache, "SELECT grp FROM grant_groups WHERE grant_id = ?1 ORDER BY position");
    for (Grant& g : grants) {
        services.reset();
        services.text(1, g.id);
        while ((rc = services.step()) == SQLITE_ROW) g.services.push_back(services.column_text(0));
        if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot read grant services");
        groups.reset();
        groups.text(1, g.id);
        while ((rc = groups.step()) == SQLITE_ROW) g.groups.edit().push_back(groups.column_text(0));
        if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot read grant groups");
    }
    for (Grant& g : grants) {
        std::vector<std::string> commands, runas;
        if (auto ok = sql::read_scope(cache, "grant", g.id, &commands, &runas); !ok)
            return ok.error();
        g.commands = std::move(commands);
        g.runas = std::move(runas);
    }
    return grants;
}

Result<void, Failure> insert_list(StatementCache& cache, const char* sql, const std::string& id,
                                  const std::vector<std::string>& items, const char* what) {
    if (items.empty()) return {};
    sqlite3* db = cache.db();
    Statement insert(cache, sql);
    for (size_t i = 0; i < items.size(); ++i) {
        insert.reset();
        int rc = insert.text(1, id).integer(2, static_cast<int64_t>(i)).text(3, items[i]).step();
        if (rc != SQLITE_DONE) return sqlite_fail(db, rc, what);
    }
    return {};
}

Result<void, Failure> insert_grant_row(StatementCache& cache, const Grant& g) {
    sqlite3* db = cache.db();
    Statement insert(cache, "INSERT INTO grants (" JIT_GRANT_COLUMNS
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    std::optional<int64_t> ended_by;
    if (g.ended->by) ended_by = *g.ended->by;
    int rc = insert.text(1, g.id)
                 .text(2, g.user)
                 .text(3, g.source)
                 .integer(4, g.not_before)
                 .integer(5, g.not_after)
                 .text(6, g.reason)
                 .integer(7, g.granted_by)
                 .integer(8, g.created)
                 .integer(9, static_cast<int64_t>(g.state))
                 .maybe_integer(10, g.ended->at)
                 .maybe_integer(11, ended_by)
                 .text(12, g.ended->reason)
                 .step();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        sqlite_fail(db, rc, "grant id already exists");
        return Failure(EEXIST, "grant id already exists");
    }
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot insert grant");
    return {};
}

}  // namespace

Result<void, Failure> Store::insert_grant(StoreTx& tx, const Grant& g) {
    if (auto open = tx.check(*this); !open) return open;
    // A failed INSERT undoes itself alone: the caller's transaction stays
    // usable, so an id collision can be retried inside it.
    if (auto ok = insert_grant_row(*statements_, g); !ok) return ok;
    if (auto ok = insert_list(*statements_,
                              "INSERT INTO grant_services (grant_id, position, service) "
                              "VALUES (?1, ?2, ?3)",
                              g.id, g.services, "cannot insert grant service");
        !ok)
        return ok;
    if (auto ok = insert_limits(*statements_, g); !ok) return ok;
    if (auto ok = insert_list(
            *statements_, "INSERT INTO grant_groups (grant_id, position, grp) VALUES (?1, ?2, ?3)",
            g.id, g.groups, "cannot insert grant group");
        !ok)
        return ok;
    // The fleet origin too: lost, a fleet grant would outlive jit-fleet.
    if (!g.fleet_id.empty()) {
        Statement insert(*statements_,
                         "INSERT INTO grant_fleet (grant_id, fleet_id) VALUES (?1, ?2)");
        int rc = insert.text(1, g.id).text(2, g.fleet_id).step();
        if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot insert grant origin");
    }
    if (auto ok = sql::insert_identity(*statements_, "grant", g.id, g.identity); !ok) return ok;
    // The command scope is part of the grant: lost, the grant would allow
    // any sudo command after a restart.
    return sql::insert_scope(*statements_, "grant", g.id, g.commands, g.runas);
}

Result<void, Failure> Store::end_grant(StoreTx& tx, const std::string& id, GrantState state,
                                       Time at, std::optional<uid_t> by,
                                       const std::string& reason) {
    if (state != GrantState::Expired && state != GrantState::Revoked) {
        return Failure(EINVAL, "end_grant " + id + ": target state must be expired or revoked");
    }
    if (auto open = tx.check(*this); !open) return open;
    // One conditional UPDATE: the Active check and the change cannot be split.
    Statement update(db_,
                     "UPDATE grants SET state = ?1, ended_at = ?2, ended_by = ?3, end_reason = ?4 "
                     "WHERE id = ?5 AND state = ?6");
    std::optional<int64_t> ended_by;
    if (by) ended_by = *by;
    int rc = update.integer(1, static_cast<int64_t>(state))
                 .integer(2, at)
                 .maybe_integer(3, ended_by)
                 .text(4, reason)
                 .text(5, id)
                 .integer(6, static_cast<int64_t>(GrantState::Active))
                 .step();
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot end grant");
    if (sqlite3_changes(db_) == 1) return {};
    // Nothing changed; tell apart an unknown id from one that already ended.
    auto exists = grant_id_exists(id);
    if (!exists) return exists.error();
    if (!*exists) {
        return Failure(ENOENT, "end_grant " + id + ": no such grant");
    }
    return Failure(EALREADY, "end_grant " + id + ": grant is no longer active");
}

Result<uint32_t, Failure> Store::consume_use(StoreTx& tx, const std::string& grant_id) {
    if (auto open = tx.check(*this); !open) return open.error();
    Statement read(db_, "SELECT uses_left FROM grant_limits WHERE grant_id = ?1");
    int rc = read.text(1, grant_id).step();
    if (rc == SQLITE_DONE || (rc == SQLITE_ROW && read.column_null(0))) {
        return Failure(ENOENT, "grant " + grant_id + " has no use limit");
    }
    if (rc != SQLITE_ROW) return sqlite_fail(db_, rc, "cannot read grant uses");
    const int64_t left = read.column_int(0);
    if (left <= 0) {
        return Failure(EDQUOT, "grant " + grant_id + " has no use left");
    }
    Statement update(db_, "UPDATE grant_limits SET uses_left = ?1 WHERE grant_id = ?2");
    rc = update.integer(1, left - 1).text(2, grant_id).step();
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot take a grant use");
    return static_cast<uint32_t>(left - 1);
}

Result<std::vector<Grant>, Failure> Store::active_grants() {
    return grants_in_state(GrantState::Active);
}

Result<std::vector<Grant>, Failure> Store::list_grants(const std::string& user, bool include_ended,
                                                       size_t limit) {
    Transaction tx(db_);
    int rc = tx.begin_read();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot read jit.db");
    // Two texts rather than "?1 = '' OR user = ?1" so the user index is usable.
    const char* sql = user.empty() ? JIT_GRANT_SELECT
                          "WHERE (?2 OR g.state = ?3) "
                          "ORDER BY g.created DESC, g.rowid DESC LIMIT ?4"
                                   : JIT_GRANT_SELECT
                          "WHERE g.user = ?1 AND (?2 OR g.state = ?3) "
                          "ORDER BY g.created DESC, g.rowid DESC LIMIT ?4";
    Statement query(db_, sql);
    if (!user.empty()) query.text(1, user);
    const auto max_rows =
        limit > static_cast<size_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(limit);
    query.integer(2, include_ended ? 1 : 0)
        .integer(3, static_cast<int64_t>(GrantState::Active))
        .integer(4, max_rows);
    return collect_grants(*statements_, query);
}

Result<bool, Failure> Store::grant_id_exists(const std::string& id) {
    Statement query(db_, "SELECT 1 FROM grants WHERE id = ?1");
    const int rc = query.text(1, id).step();
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite_fail(db_, rc, "cannot look up grant");
}

Result<std::vector<Grant>, Failure> Store::grants_in_state(GrantState state) {
    Transaction tx(db_);  // one snapshot for grants and their services
    int rc = tx.begin_read();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot read jit.db");
    Statement query(db_, JIT_GRANT_SELECT "WHERE g.state = ?1 ORDER BY g.created, g.rowid");
    query.integer(1, static_cast<int64_t>(state));
    return collect_grants(*statements_, query);
}

#undef JIT_GRANT_SELECT
#undef JIT_GRANT_COLUMNS

}  // namespace jit::daemon
