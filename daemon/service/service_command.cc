// jitd's answer to jit_sudo.so: may this account run this command through
// sudo now?  A grant covering sudo without a command scope allows any command
// (sudoers decides; its use was counted by the PAM check).  A grant with a
// scope allows only what its patterns match, as its runas accounts, and
// counts a use per command.  Every answer is one journal entry.
#include <errno.h>
#include <syslog.h>

#include <algorithm>

#include "daemon/policy/command_scope.h"
#include "daemon/service/service.h"
#include "jit/escape.h"

namespace jit::daemon {

namespace {

constexpr const char* kSudo = "sudo";

// Whether g covers a sudo command now: sudo runs locally, so a grant bound
// to a network source does not cover it.
bool covers_sudo(const Grant& g, Time now) {
    if (std::find(g.services.begin(), g.services.end(), kSudo) == g.services.end()) return false;
    if (now < g.not_before || now >= g.not_after) return false;
    return g.source.empty() || g.source == "local";
}

// Unlimited before use-limited, then the longest (as the grant book prefers).
bool better(const Grant& a, const Grant* b) {
    if (!b) return true;
    if (a.uses.has_value() != b->uses.has_value()) return !a.uses.has_value();
    return a.not_after > b->not_after;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
    return out;
}

}  // namespace

Result<void, Failure> apply_command_scope(const std::vector<std::string>& commands,
                                          const std::vector<std::string>& runas, Grant* g) {
    if (commands.empty() && !runas.empty())
        return Failure{EINVAL, "runas is only meaningful with commands"};
    if (commands.empty()) return {};
    if (std::find(g->services.begin(), g->services.end(), kSudo) == g->services.end())
        return Failure{EINVAL, "a command scope needs the service sudo"};
    if (commands.size() > proto::kMaxCommandScopes || runas.size() > proto::kMaxRunasScopes)
        return Failure{EINVAL, "too many commands or runas accounts"};
    for (const auto& c : commands) {
        auto p = parse_command_pattern(c);
        if (!p) return Failure{EINVAL, "command '" + escape_text(c) + "': " + p.error()};
        if (std::find(g->commands.begin(), g->commands.end(), p->text) == g->commands.end())
            g->commands.edit().push_back(p->text);
    }
    for (const auto& r : runas) {
        if (auto bad = runas_problem(r); !bad.empty()) return Failure{EINVAL, "runas: " + bad};
        g->runas.edit().push_back(r);
    }
    return {};
}

CommandOutcome JitService::judge_sudo_command(const CommandAsk& req, Time now) {
    CommandOutcome out;
    if (req.service != kSudo) return out.reason = "command checks are for sudo only", out;
    const Grant* unscoped = nullptr;
    const Grant* scoped = nullptr;
    std::string why, near;  // the last miss: why, and the grant (journaled on a deny)
    // Only the account's own grants (the book chains them): a sudo command
    // costs the same at ten grants on the host as at a hundred thousand.
    book().of_user(req.user, [&](const Grant& g) {
        if (!covers_sudo(g, now)) return;
        if (!book().fleet_fresh(g, now)) {
            why = "grant " + g.id + " mirrors fleet grant " + *g.fleet_id +
                  ", and jit-fleet's word that fleet grants are current has run out";
            near = g.id;
            note_fleet_stale(g.id);
            return;
        }
        if (g.commands.empty()) {
            if (better(g, unscoped)) unscoped = &g;
            return;
        }
        if (g.uses_left && *g.uses_left == 0) {
            why = "grant " + g.id + " has no use left";
            near = g.id;
            return;
        }
        ScopeVerdict v = judge_command(g.commands, g.runas, req);
        if (!v.allow) {
            why = "grant " + g.id + ": " + v.why;
            near = g.id;
            return;
        }
        if (better(g, scoped)) {
            scoped = &g;
            out.pattern = v.pattern;
        }
    });
    const Grant* chosen = unscoped ? unscoped : scoped;
    if (!chosen) {
        out.reason = why.empty() ? "no grant for " + req.user + " covers service sudo" : why;
        out.grant_id = near;
        return out;
    }
    out.grant_id = chosen->id;
    out.not_after = chosen->not_after;
    if (unscoped) {
        out.pattern.clear();
        out.allow = true;
        out.reason = "grant " + chosen->id + " covers any sudo command";
        return out;
    }
    out.reason = "grant " + chosen->id + " allows " + out.pattern;
    if (!chosen->uses) return out.allow = true, out;
    // The use is on disk before the allow leaves; any failure denies.
    const uint64_t uses = *chosen->uses;
    const std::string id = chosen->id;
    auto left = ledger_.take_use(id);
    if (!left) {
        out.reason = left.error().message;
        return out;
    }
    out.allow = true;
    out.reason += " (" + std::to_string(*left) + " of " + std::to_string(uses) + " uses left)";
    return out;
}

CheckAnswer JitService::check_command(const Caller& caller, const CommandAsk& req) {
    CommandOutcome out;
    std::string rule;
    switch (managed_->classify(req.user)) {
        case Membership::No:
            out.reason = req.user + " is not managed by jit";
            rule = "unmanaged";
            break;
        case Membership::Unknown:
            out.reason = "cannot tell whether " + req.user + " is managed (lookup failed)";
            rule = "lookup-failed";
            break;
        case Membership::Yes:
            out = judge_sudo_command(req, clock_.now());
            rule = out.allow ? out.grant_id : "no-grant";
            if (out.allow && !out.pattern.empty()) rule += ": " + out.pattern;
            break;
    }
    journal_command(caller, req, out, rule);
    CheckAnswer reply;
    reply.decision = out.allow ? proto::Decision::Allow : proto::Decision::Deny;
    reply.reason = out.reason;
    // A deny names no grant on the wire (the closest miss is journaled).
    if (out.allow) reply.grant_id = out.grant_id, reply.not_after = out.not_after;
    reply.rule = rule;
    return reply;
}

void JitService::journal_command(const Caller& caller, const CommandAsk& r,
                                 const CommandOutcome& out, const std::string& rule) {
    const char* verdict = out.allow ? "allow" : "deny";
    std::string line = command_line(r);
    std::string runas = r.runas_user + (r.runas_group.empty() ? "" : ":" + r.runas_group);
    Fields fields = {{"JIT_DECISION", verdict},
                     {"JIT_USER", r.user},
                     {"JIT_SERVICE", r.service},
                     {"JIT_COMMAND", line},
                     {"JIT_RUNAS", runas},
                     {"JIT_CWD", r.cwd},
                     {"JIT_TTY", r.tty},
                     {"JIT_REASON", out.reason},
                     {"JIT_RULE", rule},
                     {"JIT_REQUESTER", std::to_string(caller.uid)},
                     {"JIT_CALLER_PID", std::to_string(caller.pid)}};
    if (!out.grant_id.empty()) fields.push_back({"JIT_GRANT_ID", out.grant_id});
    if (!r.env_set.empty()) fields.push_back({"JIT_ENV", join(r.env_set, ",")});
    std::string modes = std::string(r.preserve_env ? " -E" : "") + (r.shell_mode ? " shell" : "") +
                        (r.sudoedit ? " sudoedit" : "");
    if (!modes.empty()) fields.push_back({"JIT_SUDO_MODE", modes.substr(1)});
    journal_.record(Event::Decision, out.allow ? LOG_INFO : LOG_NOTICE,
                    std::string(verdict) + " " + escape_text(r.user) + " sudo as " +
                        escape_text(runas) + ": " + line + ": " + escape_text(out.reason),
                    fields);
}

}  // namespace jit::daemon
