// How jitctl shows grants: an aligned table for people, JSON for scripts.
// Every piece of server-supplied text is escaped before it reaches a terminal.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "jit/messages.h"
#include "json.h"

namespace jit::ctl {

// "active", "scheduled", "expired", "revoked".
std::string state_name(const msg::GrantRecord& g, int64_t now);
std::string user_name(uint64_t uid);
// A grant's sudo command scope on one line ("-" when it has none).
std::string commands_cell(const msg::GrantRecord& g);

std::string grants_table(const std::vector<msg::GrantRecord>& grants, int64_t now, bool show_state);
void grant_json(JsonWriter& w, const msg::GrantRecord& g, int64_t now);
// The workload a grant or request was made for (a verified token):
// "SUBJECT (NAME, ISSUER)" escaped, "" when none; the matched claims joined
// with ", "; and as the JSON member "identity" (null when none).
std::string identity_cell(const std::string& name, const std::string& issuer,
                          const std::string& subject);
std::string claims_cell(const std::vector<std::string>& claims);
void identity_json(JsonWriter& w, const std::string& name, const std::string& issuer,
                   const std::string& subject, const std::vector<std::string>& claims);
std::string grants_json(const std::vector<msg::GrantRecord>& grants, int64_t now);

// Lays out rows under a header, columns padded to their widest cell (by
// characters, not bytes, so UTF-8 reasons line up).
std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows);

}  // namespace jit::ctl
