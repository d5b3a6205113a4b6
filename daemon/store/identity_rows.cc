#include "daemon/store/identity_rows.h"

#include <errno.h>
#include <string.h>

#include "daemon/store/sqlite_util.h"

namespace jit::daemon::sql {

namespace {

bool is_grant(const char* owner) {
    return strcmp(owner, "grant") == 0;
}

// Claims are kept one per line: a verified claim holds no control byte.
std::string join_lines(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : "\n") + s;
    return out;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        out.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return out;
}

}  // namespace

Result<void, Failure> read_identity(StatementCache& cache, const char* owner, const std::string& id,
                                    WorkloadIdentity* out) {
    sqlite3* db = cache.db();
    Statement q(cache, is_grant(owner) ? "SELECT name, issuer, subject, claims, token_digest "
                                         "FROM grant_identity WHERE grant_id = ?1"
                                       : "SELECT name, issuer, subject, claims, token_digest "
                                         "FROM request_identity WHERE request_id = ?1");
    q.text(1, id);
    int rc = q.step();
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return sqlite_fail(db, rc, "cannot read workload identity");
    *out = identity_from_row(q, 0);
    return {};
}

WorkloadIdentity identity_from_row(const Statement& row, int first) {
    WorkloadIdentity id;
    id.name = row.column_text(first);
    id.issuer = row.column_text(first + 1);
    id.subject = row.column_text(first + 2);
    id.claims = split_lines(row.column_text(first + 3));
    id.token_digest = row.column_text(first + 4);
    return id;
}

Result<void, Failure> insert_identity(StatementCache& cache, const char* owner,
                                      const std::string& id, const WorkloadIdentity& identity) {
    if (identity.empty()) return {};
    sqlite3* db = cache.db();
    Statement insert(
        cache, is_grant(owner) ? "INSERT INTO grant_identity (grant_id, name, issuer, subject, "
                                 "claims, token_digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                               : "INSERT INTO request_identity (request_id, name, issuer, subject, "
                                 "claims, token_digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    int rc = insert.text(1, id)
                 .text(2, identity.name)
                 .text(3, identity.issuer)
                 .text(4, identity.subject)
                 .text(5, join_lines(identity.claims))
                 .text(6, identity.token_digest)
                 .step();
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot insert workload identity");
    return {};
}

Result<void, Failure> spend_token(sqlite3* db, const std::vector<std::string>& keys, Time until,
                                  Time now) {
    Statement forget(db, "DELETE FROM spent_tokens WHERE until < ?1");
    int rc = forget.integer(1, now).step();
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot forget expired tokens");
    Statement insert(db, "INSERT INTO spent_tokens (replay_key, until) VALUES (?1, ?2)");
    for (const auto& key : keys) {
        insert.reset();
        rc = insert.text(1, key).integer(2, until).step();
        if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
            return Failure(EALREADY, "the token was used before");
        }
        if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot remember the token");
    }
    return {};
}

Result<bool, Failure> token_spent(sqlite3* db, const std::vector<std::string>& keys, Time now) {
    Statement q(db, "SELECT 1 FROM spent_tokens WHERE replay_key = ?1 AND until >= ?2");
    for (const auto& key : keys) {
        q.reset();
        int rc = q.text(1, key).integer(2, now).step();
        if (rc == SQLITE_ROW) return true;
        if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot read spent tokens");
    }
    return false;
}

}  // namespace jit::daemon::sql
