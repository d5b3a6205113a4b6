// The workload identity rows of a grant or a request, and the spent tokens
// (schema step 8).  Used inside the caller's transaction; a grant or request
// without a row was not made by a token.
#pragma once

#include <sqlite3.h>

#include <string>
#include <vector>

#include "daemon/model/grant.h"
#include "jit/failure.h"
#include "jit/result.h"

namespace jit::daemon::sql {

class StatementCache;
class Statement;

// owner: "grant" (grant_identity) or "request" (request_identity).
Result<void, Failure> read_identity(StatementCache& cache, const char* owner, const std::string& id,
                                    WorkloadIdentity* out);
// The identity in the five columns of row from first on: name, issuer,
// subject, claims, token_digest (as read_identity selects them).
WorkloadIdentity identity_from_row(const Statement& row, int first);
Result<void, Failure> insert_identity(StatementCache& cache, const char* owner,
                                      const std::string& id, const WorkloadIdentity& identity);

// Remembers each replay key until `until`, forgetting keys whose time
// passed before `now`.  EALREADY (and nothing written) when a key is
// remembered already: the token was used before.
Result<void, Failure> spend_token(sqlite3* db, const std::vector<std::string>& keys, Time until,
                                  Time now);
// Whether any of keys is remembered and still in its time at now.
Result<bool, Failure> token_spent(sqlite3* db, const std::vector<std::string>& keys, Time now);

}  // namespace jit::daemon::sql
