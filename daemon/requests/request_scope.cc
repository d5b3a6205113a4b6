#include "daemon/requests/request_scope.h"

#include <errno.h>

#include <algorithm>

#include "daemon/policy/command_scope.h"
#include "jit/escape.h"

namespace jit::daemon {

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

bool within_rule(const CommandPattern& asked, const std::vector<std::string>& rule_patterns) {
    if (has(rule_patterns, asked.text)) return true;
    if (asked.text.find('*') != std::string::npos) return false;  // a wider pattern
    for (const auto& text : rule_patterns) {
        auto p = parse_command_pattern(text);
        if (p && pattern_matches(*p, asked.path, asked.args)) return true;
    }
    return false;
}

}  // namespace

Result<void, Failure> requested_scope(const RequestAsk& m, Request* r) {
    if (m.commands.empty() && !m.runas.empty())
        return Failure{EINVAL, "--runas is only meaningful with --command"};
    if (m.commands.empty()) return {};
    if (!has(r->services, "sudo")) return Failure{EINVAL, "a command scope needs the service sudo"};
    if (m.commands.size() > proto::kMaxCommandScopes || m.runas.size() > proto::kMaxRunasScopes)
        return Failure{EINVAL, "too many commands or runas accounts"};
    for (const auto& c : m.commands) {
        auto p = parse_command_pattern(c);
        if (!p) return Failure{EINVAL, "command '" + escape_text(c) + "': " + p.error()};
        if (!has(r->commands, p->text)) r->commands.push_back(p->text);
    }
    for (const auto& u : m.runas) {
        if (auto bad = runas_problem(u); !bad.empty()) return Failure{EINVAL, "runas: " + bad};
        r->runas.push_back(u);
    }
    return {};
}

std::string scope_outside(const Request& r, const Rule& rule) {
    if (rule.commands.empty()) return {};  // the rule lets sudoers decide: any scope narrows it
    std::vector<std::string> rule_runas =
        rule.runas.empty() ? std::vector<std::string>{"root"} : rule.runas;
    for (const auto& text : r.commands) {
        auto p = parse_command_pattern(text);
        if (!p || !within_rule(*p, rule.commands))
            return "command '" + escape_text(text) + "' is not within the rule's commands";
    }
    for (const auto& u : r.runas)
        if (!has(rule_runas, u)) return "runas " + escape_text(u) + " is not the rule's";
    return {};
}

}  // namespace jit::daemon
