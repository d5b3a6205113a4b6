// The journal fields that name the workload a grant or request was made
// for: JIT_IDENTITY_ISSUER, JIT_IDENTITY_SUBJECT, JIT_IDENTITY_CLAIMS (the
// matched claims), JIT_IDENTITY_NAME and JIT_TOKEN_DIGEST.  Values are
// escaped and bounded: a token's claims are the workload's words.  The token
// itself is never a field.
#pragma once

#include <string>

#include "daemon/events/journal.h"
#include "daemon/model/grant.h"

namespace jit::daemon {

inline constexpr size_t kMaxIdentityField = 1024;

// Appends the fields to *out; nothing for an empty identity.
void add_identity_fields(const WorkloadIdentity& identity, Fields* out);
// "issuer subject" in words for a MESSAGE, escaped and bounded.
std::string describe_identity(const WorkloadIdentity& identity);
// Escaped, then cut to at most kMaxIdentityField bytes on a character boundary.
std::string bounded_text(const std::string& text);

}  // namespace jit::daemon
