// jit.db's schema, one migration step per version, and the code that reads
// the version and runs the missing steps.
#include "daemon/store/schema.h"

#include <sqlite3.h>
#include <stdint.h>

#include <iterator>

#include "daemon/store/sqlite_util.h"
#include "daemon/store/store.h"

namespace jit::daemon::sql {
namespace {

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
    // Command scopes for sudo: a grant's command patterns and runas accounts,
    // and a request's, in order.  A grant or request without rows has none.
    {5, R"sql(
CREATE TABLE grant_commands (
    grant_id TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('command', 'runas')),
    position INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (grant_id, kind, position)
) STRICT, WITHOUT ROWID;
CREATE TABLE request_commands (
    request_id TEXT NOT NULL REFERENCES requests(id),
    kind TEXT NOT NULL CHECK (kind IN ('command', 'runas')),
    position INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (request_id, kind, position)
) STRICT, WITHOUT ROWID;
)sql"},
    // The audit log (daemon/trail): one row per record, in sequence, only
    // ever appended; rows already copied into a sealed segment file may be
    // pruned, no other row.  audit_state holds what the writer needs after
    // the last record (the chain head, the tree's frontier, the evolving key)
    // and the checkpoint signing key, written in the same transaction as the
    // records it follows.  Each checkpoint keeps the tree's frontier at its
    // size, so an export or a segment can start there.
    {6, R"sql(
CREATE TABLE audit_segments (
    first_seq INTEGER PRIMARY KEY CHECK (first_seq >= 0),
    end_seq INTEGER NOT NULL UNIQUE CHECK (end_seq > first_seq),
    file TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    sealed_at INTEGER NOT NULL
) STRICT;
CREATE TABLE audit_records (
    seq INTEGER PRIMARY KEY CHECK (seq >= 0),
    at INTEGER NOT NULL,
    event TEXT NOT NULL,
    user TEXT NOT NULL,
    record BLOB NOT NULL
) STRICT;
CREATE INDEX audit_records_by_at ON audit_records(at);
CREATE TRIGGER audit_records_append_only BEFORE UPDATE ON audit_records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER audit_records_prune_sealed BEFORE DELETE ON audit_records
WHEN old.seq >= (SELECT coalesce(max(end_seq), 0) FROM audit_segments)
BEGIN SELECT RAISE(ABORT, 'only records sealed into a segment may be pruned'); END;
CREATE TABLE audit_state (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    size INTEGER NOT NULL CHECK (size >= 0),
    state BLOB NOT NULL,
    signing_seed BLOB NOT NULL
) STRICT;
CREATE TABLE audit_checkpoints (
    size INTEGER PRIMARY KEY CHECK (size > 0),
    at INTEGER NOT NULL,
    note TEXT NOT NULL,
    frontier BLOB NOT NULL
) STRICT;
)sql"},
    // Fleet grants: the local grants jit-fleet made to mirror a fleet grant,
    // and which one.  A grant without a row is local.
    {7, R"sql(
CREATE TABLE grant_fleet (
    grant_id TEXT PRIMARY KEY NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    fleet_id TEXT NOT NULL
) STRICT, WITHOUT ROWID;
)sql"},
    // Workload identity (jit-identity(5)): who a verified token named on the
    // grants and requests it made (claims: the matched "name=value" items,
    // one per line; a verified claim holds no control byte), and the spent
    // tokens: each token's replay keys until it expires, written in the
    // transaction of the request or grant it made, so no crash lets a token
    // be used twice.
    {8, R"sql(
CREATE TABLE grant_identity (
    grant_id TEXT PRIMARY KEY NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    claims TEXT NOT NULL,
    token_digest TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE request_identity (
    request_id TEXT PRIMARY KEY NOT NULL REFERENCES requests(id),
    name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    claims TEXT NOT NULL,
    token_digest TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX request_identity_by_token ON request_identity(token_digest);
CREATE TABLE spent_tokens (
    replay_key TEXT PRIMARY KEY NOT NULL,
    until INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX spent_tokens_by_until ON spent_tokens(until);
)sql"},
};
static_assert(std::size(kMigrations) == Store::kSchemaVersion,
              "one migration step per schema version");

Result<void, Failure> apply_step(sqlite3* db, const Migration& step) {
    int rc = sqlite3_exec(db, step.sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return sqlite_fail(db, rc, "schema migration failed");
    Statement stamp(db,
                    "INSERT INTO schema_version (only_row, version) VALUES (1, ?1) "
                    "ON CONFLICT (only_row) DO UPDATE SET version = excluded.version");
    rc = stamp.integer(1, step.to_version).step();
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot record the schema version");
    return {};
}

}  // namespace

Result<int, Failure> read_version(sqlite3* db) {
    Statement count(db,
                    "SELECT count(*), "
                    "  count(*) FILTER (WHERE type = 'table' AND name = 'schema_version') "
                    "FROM sqlite_schema");
    int rc = count.step();
    if (rc != SQLITE_ROW) return sqlite_fail(db, rc, "cannot read the jit.db schema");
    if (count.column_int(1) == 0) {
        if (count.column_int(0) == 0) return 0;
        return Failure(EPROTO, "jit.db has tables but no schema_version");
    }
    Statement version(db, "SELECT version FROM schema_version");
    rc = version.step();
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot read the schema version");
        return Failure(EBADMSG, "schema_version has no row");
    }
    const int64_t v = version.column_int(0);
    if (v < 1 || v > INT32_MAX) {
        return Failure(EBADMSG, "schema_version holds " + std::to_string(v));
    }
    return static_cast<int>(v);
}

Result<int, Failure> migrate(sqlite3* db) {
    for (;;) {
        Transaction tx(db);
        int rc = tx.begin_write();
        if (rc != SQLITE_OK) return sqlite_fail(db, rc, "cannot lock jit.db");
        auto version = read_version(db);
        if (!version) return version.error();
        if (*version > Store::kSchemaVersion) {
            return Failure(EPROTO, "jit.db schema version " + std::to_string(*version) +
                                       ", this jitd knows " +
                                       std::to_string(Store::kSchemaVersion));
        }
        if (*version == Store::kSchemaVersion) return *version;
        if (auto ok = apply_step(db, kMigrations[*version]); !ok) return ok.error();
        rc = tx.commit();
        if (rc != SQLITE_OK) return sqlite_fail(db, rc, "cannot commit a schema migration");
    }
}

}  // namespace jit::daemon::sql
