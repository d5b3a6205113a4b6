// How jitctl shows requests and explanations: lines and tables for people,
// JSON for scripts.  Server text is escaped before it reaches a terminal.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "jit/request_messages.h"
#include "json.h"

namespace jit::ctl {

const char* request_state_name(proto::RequestState s);

// "request r-...: pending: 1 of 2 approvals (@release-approvers), expires in 59m"
std::string request_summary(const msg::RequestRecord& r,
                            const std::vector<msg::ApprovalRecord>& approvals, int64_t now);
// Every field, one per line, then each approval.
std::string request_detail(const msg::RequestRecord& r,
                           const std::vector<msg::ApprovalRecord>& approvals, int64_t now);
std::string requests_table(const std::vector<msg::RequestRecord>& requests,
                           const std::vector<msg::ApprovalRecord>& approvals, int64_t now);

void request_json(JsonWriter& w, const msg::RequestRecord& r,
                  const std::vector<msg::ApprovalRecord>& approvals, int64_t now);
std::string requests_json(const msg::RequestList& list, int64_t now);

// explain --command: each grant covering sudo judged against one command.
struct CommandExplanation {
    std::string path;               // as given
    std::vector<std::string> args;  // as given
    std::string line;               // for display (escaped)
    std::string runas;              // USER[:GROUP]
    std::string error;              // the command did not parse; nothing judged
    struct GrantVerdict {
        std::string grant_id;
        bool allow = false;
        bool unscoped = false;  // the grant names no commands: any command
        std::string pattern;    // the pattern that matched
        std::string why;        // why none did
    };
    std::vector<GrantVerdict> grants;
    bool allowed = false;
};

std::string explain_text(const msg::ExplainQuery& q, const msg::ExplainReply& e);
std::string command_text(const msg::ExplainQuery& q, const CommandExplanation& c);
// With c, the JSON object gains a "command" member.
std::string explain_json(const msg::ExplainQuery& q, const msg::ExplainReply& e,
                         const CommandExplanation* c = nullptr);

}  // namespace jit::ctl
