// The sudo command scope of a request (jitctl request --command --runas):
// read from the wire, and held against the rule that decides the request.
// A request may narrow a rule's scope, never widen it.
#pragma once

#include <string>

#include "jit/failure.h"
#include "daemon/model/request.h"
#include "daemon/policy/policy.h"

namespace jit::daemon {

// Validates m's commands and runas and puts them, normalised, on r (whose
// services are set).
Result<void, Failure> requested_scope(const RequestAsk& m, Request* r);

// Why r's scope is wider than the rule's; "" when it lies within it.  A
// requested pattern lies within when it is one of the rule's patterns, or a
// command without '*' that one of them matches; runas must be the rule's.
std::string scope_outside(const Request& r, const Rule& rule);

}  // namespace jit::daemon
