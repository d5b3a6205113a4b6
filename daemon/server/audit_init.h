// jitd --audit-init KEYFILE: creates the audit log once.  The auditor's key
// (k_0 and the checkpoint verifier key) goes to KEYFILE, which must not
// exist; jit.db keeps only the evolving key and the signing key.  A log
// that exists already is never replaced: its history would be lost.
#pragma once

#include <string>

#include "daemon/store/store.h"

namespace jit::daemon {

// Returns the process exit code; says what it did or why not on stdout/stderr.
// The evolving key goes to state_dir's audit-epoch.key, never into jit.db.
int create_audit_log(Store& store, const std::string& state_dir, const std::string& keyfile);

}  // namespace jit::daemon
