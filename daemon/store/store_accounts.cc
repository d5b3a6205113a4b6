// The store's NSS tables: accounts, their standing groups, jit groups and
// the id ledger.  Same promise as store.cc: success means committed.
#include <sqlite3.h>

#include "daemon/store/store.h"
#include "daemon/store/sqlite_util.h"

namespace jit::daemon {

namespace {

using namespace sql;

// Records id under name, or finds it already there for the same name.
Result<void, Failure> ledger_record(sqlite3* db, Store::IdKind kind, uint32_t id,
                                    const std::string& name, Time at) {
    Statement find(db, "SELECT name FROM nss_ids WHERE kind = ?1 AND id = ?2");
    int rc = find.integer(1, int64_t(kind)).integer(2, id).step();
    if (rc == SQLITE_ROW) {
        if (find.column_text(0) == name) return {};
        return Failure(EEXIST,
                       "id " + std::to_string(id) + " was allocated to " + find.column_text(0));
    }
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot read the id ledger");
    Statement insert(db, "INSERT INTO nss_ids (kind, id, name, allocated) VALUES (?1, ?2, ?3, ?4)");
    rc = insert.integer(1, int64_t(kind)).integer(2, id).text(3, name).integer(4, at).step();
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        return Failure(EEXIST, "the ledger already holds another " +
                                   std::string(kind == Store::IdKind::Uid ? "uid" : "gid") +
                                   " for " + name);
    }
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot record an id");
    return {};
}

Result<void, Failure> write_account_groups(sqlite3* db, const NssAccount& a) {
    Statement clear(db, "DELETE FROM nss_account_groups WHERE account = ?1");
    int rc = clear.text(1, a.name).step();
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot clear account groups");
    Statement insert(db,
                     "INSERT INTO nss_account_groups (account, position, grp) VALUES (?1, ?2, ?3)");
    for (size_t i = 0; i < a.groups.size(); ++i) {
        insert.reset();
        rc = insert.text(1, a.name).integer(2, int64_t(i)).text(3, a.groups[i]).step();
        if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot insert account group");
    }
    return {};
}

NssAccount read_account_row(const Statement& row) {
    NssAccount a;
    a.name = row.column_text(0);
    a.uid = uint32_t(row.column_int(1));
    a.gid = uint32_t(row.column_int(2));
    a.gecos = row.column_text(3);
    a.home = row.column_text(4);
    a.shell = row.column_text(5);
    a.visibility = Visibility(row.column_int(6));  // CHECK keeps them in range
    a.origin = AccountOrigin(row.column_int(7));
    a.created = row.column_int(8);
    return a;
}

}  // namespace

Result<std::vector<NssAccount>, Failure> Store::nss_accounts() {
    Transaction tx(db_);
    int rc = tx.begin_read();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot read jit.db");
    Statement query(db_,
                    "SELECT name, uid, gid, gecos, home, shell, visibility, origin, created "
                    "FROM nss_accounts ORDER BY name");
    std::vector<NssAccount> out;
    while ((rc = query.step()) == SQLITE_ROW) out.push_back(read_account_row(query));
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot read accounts");
    Statement groups(db_,
                     "SELECT grp FROM nss_account_groups WHERE account = ?1 ORDER BY position");
    for (auto& a : out) {
        groups.reset();
        groups.text(1, a.name);
        while ((rc = groups.step()) == SQLITE_ROW) a.groups.push_back(groups.column_text(0));
        if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot read account groups");
    }
    return out;
}

Result<std::vector<NssGroup>, Failure> Store::nss_groups() {
    Statement query(db_, "SELECT name, gid, created FROM nss_groups ORDER BY name");
    std::vector<NssGroup> out;
    int rc;
    while ((rc = query.step()) == SQLITE_ROW)
        out.push_back({query.column_text(0), uint32_t(query.column_int(1)), query.column_int(2)});
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot read jit groups");
    return out;
}

Result<std::optional<uint32_t>, Failure> Store::ledger_id(IdKind kind, const std::string& name) {
    Statement query(db_, "SELECT id FROM nss_ids WHERE kind = ?1 AND name = ?2");
    int rc = query.integer(1, int64_t(kind)).text(2, name).step();
    if (rc == SQLITE_ROW) return std::optional<uint32_t>(uint32_t(query.column_int(0)));
    if (rc == SQLITE_DONE) return std::optional<uint32_t>();
    return sqlite_fail(db_, rc, "cannot read the id ledger");
}

Result<std::vector<uint32_t>, Failure> Store::ledger_ids(IdKind kind, uint32_t first,
                                                         uint32_t last) {
    Statement query(db_,
                    "SELECT id FROM nss_ids WHERE kind = ?1 AND id BETWEEN ?2 AND ?3 ORDER BY id");
    query.integer(1, int64_t(kind)).integer(2, first).integer(3, last);
    std::vector<uint32_t> out;
    int rc;
    while ((rc = query.step()) == SQLITE_ROW) out.push_back(uint32_t(query.column_int(0)));
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot read the id ledger");
    return out;
}

Result<void, Failure> Store::insert_nss_account(const NssAccount& a) {
    Transaction tx(db_);
    int rc = tx.begin_write();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot lock jit.db");
    if (auto r = ledger_record(db_, IdKind::Uid, a.uid, a.name, a.created); !r) return r;
    if (auto r = ledger_record(db_, IdKind::Gid, a.gid, a.name, a.created); !r) return r;
    Statement insert(db_,
                     "INSERT INTO nss_accounts (name, uid, gid, gecos, home, shell, visibility, "
                     "origin, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    rc = insert.text(1, a.name)
             .integer(2, a.uid)
             .integer(3, a.gid)
             .text(4, a.gecos)
             .text(5, a.home)
             .text(6, a.shell)
             .integer(7, int64_t(a.visibility))
             .integer(8, int64_t(a.origin))
             .integer(9, a.created)
             .step();
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        sqlite_fail(db_, rc, "account exists");
        return Failure(EEXIST, "account exists");
    }
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot insert account");
    if (auto r = write_account_groups(db_, a); !r) return r;
    rc = tx.commit();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot commit account");
    return {};
}

Result<void, Failure> Store::update_nss_account(const NssAccount& a) {
    Transaction tx(db_);
    int rc = tx.begin_write();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot lock jit.db");
    Statement update(db_,
                     "UPDATE nss_accounts SET gecos = ?2, home = ?3, shell = ?4, visibility = ?5, "
                     "origin = ?6 WHERE name = ?1 AND uid = ?7 AND gid = ?8");
    rc = update.text(1, a.name)
             .text(2, a.gecos)
             .text(3, a.home)
             .text(4, a.shell)
             .integer(5, int64_t(a.visibility))
             .integer(6, int64_t(a.origin))
             .integer(7, a.uid)
             .integer(8, a.gid)
             .step();
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot update account");
    if (sqlite3_changes(db_) != 1) {
        return Failure(ENOENT, "update " + a.name + ": no such account with that uid and gid");
    }
    if (auto r = write_account_groups(db_, a); !r) return r;
    rc = tx.commit();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot commit account");
    return {};
}

Result<void, Failure> Store::delete_nss_account(const std::string& name) {
    Statement del(db_, "DELETE FROM nss_accounts WHERE name = ?1");
    int rc = del.text(1, name).step();
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot delete account");
    if (sqlite3_changes(db_) != 1) {
        return Failure(ENOENT, "delete " + name + ": no such account");
    }
    return {};
}

Result<void, Failure> Store::insert_nss_group(const NssGroup& g) {
    Transaction tx(db_);
    int rc = tx.begin_write();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot lock jit.db");
    if (auto r = ledger_record(db_, IdKind::Gid, g.gid, g.name, g.created); !r) return r;
    Statement insert(db_, "INSERT INTO nss_groups (name, gid, created) VALUES (?1, ?2, ?3)");
    rc = insert.text(1, g.name).integer(2, g.gid).integer(3, g.created).step();
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        sqlite_fail(db_, rc, "jit group exists");
        return Failure(EEXIST, "jit group exists");
    }
    if (rc != SQLITE_DONE) return sqlite_fail(db_, rc, "cannot insert jit group");
    rc = tx.commit();
    if (rc != SQLITE_OK) return sqlite_fail(db_, rc, "cannot commit jit group");
    return {};
}

}  // namespace jit::daemon
