// The value syntax of policy keys, text to typed values.  Each parser returns
// the value or a message saying what is wrong with the text.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/policy/policy.h"

namespace jit::daemon::policy_values {

template <typename T>
using Parsed = Result<T, std::string>;

// "deploy, @ci-bots, 60000-60999, 70000".  root / uid 0 only if allow_root.
Parsed<AccountSet> accounts(std::string_view v, bool allow_root);
Parsed<std::vector<std::string>> services(std::string_view v);
// "/usr/bin/systemctl restart web.service, /usr/bin/journalctl -u * --since *"
Parsed<std::vector<std::string>> commands(std::string_view v);
// "root, postgres, www-data:adm"
Parsed<std::vector<std::string>> runas(std::string_view v);
// "10.0.0.0/8, 2001:db8::/32, local".
Parsed<SourceSet> sources(std::string_view v);
// "5m..2h" or "2h" (from 1s).
Parsed<std::pair<uint64_t, uint64_t>> duration_range(std::string_view v);
Parsed<uint64_t> duration(std::string_view v, uint64_t max_seconds);
// "auto" (when allow_auto) or "N of @group[, @group...]".
Parsed<ApproverSpec> approvers(std::string_view v, bool allow_auto);
// "10/day", "3/hour", "20/week".
Parsed<RateLimit> rate(std::string_view v);
Parsed<uint32_t> count(std::string_view v, uint32_t min, uint32_t max);
// An extended regular expression the whole ticket must match.
Parsed<TicketPattern> ticket(std::string_view v);
// "repository=acme/web, ref=refs/heads/main, sub~repo:acme/web:.*"; a
// comma inside [], {} or () belongs to the pattern.
Parsed<std::vector<ClaimMatch>> claims(std::string_view v);
// An identity.d section name into *out; the error, if it is not one.
std::optional<std::string> identity(std::string_view v, std::string* out);
// "10m", "10m, once per window", "10m, 3 per window".
Parsed<std::pair<uint64_t, uint32_t>> implicit(std::string_view v);
Parsed<RiskAction> risk(std::string_view v);
Parsed<uint8_t> signals(std::string_view v);
Parsed<bool> reason(std::string_view v);

}  // namespace jit::daemon::policy_values
