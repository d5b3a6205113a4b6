// jit.db's schema: the migration steps, and reading and raising the version.
// Internal to the store (store.cc opens the database through these).
#pragma once

#include <string>

#include "jit/failure.h"
#include "jit/result.h"

struct sqlite3;

namespace jit::daemon::sql {

// The schema version of an open database: 0 for an empty one; fails for a
// database that is not ours.
Result<int, Failure> read_version(sqlite3* db);
// Runs the missing steps, each in its own transaction, and returns the
// version reached (Store::kSchemaVersion).  Refuses a newer database.
Result<int, Failure> migrate(sqlite3* db);

}  // namespace jit::daemon::sql
