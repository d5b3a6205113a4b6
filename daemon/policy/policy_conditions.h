// The conditions of one rule, evaluated one by one into a RuleReport.  Used
// by policy_eval.cc; separate so each condition stays small and testable.
#pragma once

#include "daemon/policy/policy_eval.h"

namespace jit::daemon::conditions {

// A request rule judging a concrete request.
RuleReport for_request(const Rule& r, const RequestSpec& q, Membership account, Time now,
                       const EvalContext& ctx);
// An implicit rule judging a PAM check.
RuleReport for_implicit(const Rule& r, const CheckQuestion& q, Time now, const EvalContext& ctx);
// A request rule described for `explain`: what can be judged now is judged,
// what depends on the request is listed as needed.
RuleReport for_explain(const Rule& r, const CheckQuestion& q, Time now, const EvalContext& ctx);

Membership requester_in(const AccountSet& set, const Requester& who,
                        const AccountDirectory& directory);

}  // namespace jit::daemon::conditions
