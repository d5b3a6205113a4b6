// The workload identity rows of a grant or a request, and the spent tokens
// (schema step 8).  Used inside the caller's transaction; a grant or request
// without a row was not made by a token.
#pragma once

#include <sqlite3.h>

#include <string>
#include <vector>

#include "daemon/model/grant.h"
#include "jit/result.h"

namespace jit::daemon::sql {

// owner: "grant" (grant_identity) or "request" (request_identity).
Result<void> read_identity(sqlite3* db, const char* owner, const std::string& id,
                           WorkloadIdentity* out, std::string& err);
Result<void> insert_identity(sqlite3* db, const char* owner, const std::string& id,
                             const WorkloadIdentity& identity, std::string& err);

// Remembers each replay key until `until`, forgetting keys whose time
// passed before `now`.  EALREADY (and nothing written) when a key is
// remembered already: the token was used before.
Result<void> spend_token(sqlite3* db, const std::vector<std::string>& keys, Time until, Time now,
                         std::string& err);
// Whether any of keys is remembered and still in its time at now.
Result<bool> token_spent(sqlite3* db, const std::vector<std::string>& keys, Time now,
                         std::string& err);

}  // namespace jit::daemon::sql
