// The command scope rows of a grant or a request (schema step 5): command
// patterns and runas accounts, in order.  Used inside the caller's
// transaction; a grant or request without rows has no scope.
#pragma once

#include <sqlite3.h>

#include <string>
#include <vector>

#include "jit/failure.h"
#include "jit/result.h"

namespace jit::daemon::sql {

class StatementCache;

// owner: "grant" (grant_commands) or "request" (request_commands).
Result<void, Failure> read_scope(StatementCache& cache, const char* owner, const std::string& id,
                                 std::vector<std::string>* commands,
                                 std::vector<std::string>* runas);
Result<void, Failure> insert_scope(StatementCache& cache, const char* owner, const std::string& id,
                                   const std::vector<std::string>& commands,
                                   const std::vector<std::string>& runas);

}  // namespace jit::daemon::sql
