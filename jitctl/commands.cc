#include "commands.h"

#include <iterator>

namespace jit::ctl {

// Each command lives in its own cmd_*.cc; this table is the one place that
// lists them (and the order `jitctl --help` shows).
extern const Command kCheckCommand;
extern const Command kGrantCommand;
extern const Command kRevokeCommand;
extern const Command kListCommand;
extern const Command kStatusCommand;
extern const Command kSessionsCommand;
extern const Command kAccountCommand;
extern const Command kRequestCommand;
extern const Command kApproveCommand;
extern const Command kDenyCommand;
extern const Command kCancelCommand;
extern const Command kShowCommand;
extern const Command kExplainCommand;
extern const Command kPolicyCommand;
extern const Command kAuditCommand;

namespace {

const Command* const kCommands[] = {
    &kCheckCommand,    &kGrantCommand,   &kRevokeCommand,  &kListCommand,    &kStatusCommand,
    &kSessionsCommand, &kAccountCommand, &kRequestCommand, &kApproveCommand, &kDenyCommand,
    &kCancelCommand,   &kShowCommand,    &kExplainCommand, &kPolicyCommand,  &kAuditCommand,
};

}  // namespace

const Command* find_command(const std::string& name) {
    for (const auto* c : kCommands)
        if (name == c->name) return c;
    return nullptr;
}

const Command* const* commands_begin() {
    return std::begin(kCommands);
}
const Command* const* commands_end() {
    return std::end(kCommands);
}

}  // namespace jit::ctl
