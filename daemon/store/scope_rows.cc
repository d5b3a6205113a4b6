#include "daemon/store/scope_rows.h"

#include <string.h>

#include "daemon/store/sqlite_util.h"

namespace jit::daemon::sql {

namespace {

bool is_grant(const char* owner) {
    return strcmp(owner, "grant") == 0;
}

}  // namespace

Result<void, Failure> read_scope(StatementCache& cache, const char* owner, const std::string& id,
                                 std::vector<std::string>* commands,
                                 std::vector<std::string>* runas) {
    sqlite3* db = cache.db();
    Statement q(cache, is_grant(owner)
                           ? "SELECT kind, value FROM grant_commands WHERE grant_id = ?1 "
                             "ORDER BY kind, position"
                           : "SELECT kind, value FROM request_commands WHERE "
                             "request_id = ?1 ORDER BY kind, position");
    q.text(1, id);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW)
        (q.column_text(0) == "command" ? commands : runas)->push_back(q.column_text(1));
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot read command scope");
    return {};
}

Result<void, Failure> insert_scope(StatementCache& cache, const char* owner, const std::string& id,
                                   const std::vector<std::string>& commands,
                                   const std::vector<std::string>& runas) {
    if (commands.empty() && runas.empty()) return {};
    sqlite3* db = cache.db();
    Statement insert(cache, is_grant(owner)
                                ? "INSERT INTO grant_commands (grant_id, kind, position, "
                                  "value) VALUES (?1, ?2, ?3, ?4)"
                                : "INSERT INTO request_commands (request_id, kind, "
                                  "position, value) VALUES (?1, ?2, ?3, ?4)");
    for (const auto* list : {&commands, &runas}) {
        const char* kind = list == &commands ? "command" : "runas";
        for (size_t i = 0; i < list->size(); ++i) {
            insert.reset();
            int rc = insert.text(1, id)
                         .text(2, kind)
                         .integer(3, static_cast<int64_t>(i))
                         .text(4, (*list)[i])
                         .step();
            if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot insert command scope");
        }
    }
    return {};
}

}  // namespace jit::daemon::sql
