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

// What an account's grants say about one sudo command.
struct JitService::SudoMatch {
    const Grant* unscoped = nullptr;  // the best grant covering any sudo command
    const Grant* scoped = nullptr;    // the best grant whose scope allows this command
    std::string pattern;              // the pattern of scoped that matched
    std::string why, near;            // the last miss: why, and the grant (journaled on a deny)
};

// Only the account's own grants (the book chains them): a sudo command
// costs the same at ten grants on the host as at a hundred thousand.
JitService::SudoMatch JitService::match_sudo_grants(const CommandAsk& req, Time now) {
    SudoMatch m;
    book().of_user(req.user, [&](const Grant& g) {
        if (!covers_sudo(g, now)) return;
        if (!book().fleet_fresh(g, now)) {
            m.why = "grant " + g.id + " mirrors fleet grant " + *g.fleet_id +
                    ", and jit-fleet's word that fleet grants are current has run out";
            m.near = g.id;
            note_fleet_stale(g.id);
            return;
        }
        if (g.commands.empty()) {
            if (better(g, m.unscoped)) m.unscoped = &g;
            return;
        }
        if (g.uses_left && *g.uses_left == 0) {
            m.why = "grant " + g.id + " has no use left";
            m.near = g.id;
            return;
        }
        ScopeVerdict v = judge_command(g.commands, g.runas, req);
        if (!v.allow) {
            m.why = "grant " + g.id + ": " + v.why;
            m.near = g.id;
            return;
        }
        if (better(g, m.scoped)) {
            m.scoped = &g;
            m.pattern = v.pattern;
        }
    });
    return m;
}

// The allow of a use-limited grant: the use is on disk before the allow
// leaves; any failure denies.
CommandOutcome JitService::take_sudo_use(const Grant& chosen, CommandOutcome out) {
    // Copied first: taking the use updates the grant in the book.
    const uint64_t uses = *chosen.uses;
    const std::string id = chosen.id;
    auto left = ledger_.take_use(id);
    if (!left) {
        out.reason = left.error().message;
        return out;
    }
    out.allow = true;
    out.reason += " (" + std::to_string(*left) + " of " + std::to_string(uses) + " uses left)";
    return out;
}

// A grant without a command scope wins over a scoped one: it allows any
// command, and takes no use (the PAM check counted it).
CommandOutcome JitService::judge_sudo_command(const CommandAsk& req, Time now) {
    CommandOutcome out;
    if (req.service != kSudo) return out.reason = "command checks are for sudo only", out;
    const SudoMatch m = match_sudo_grants(req, now);
    const Grant* chosen = m.unscoped ? m.unscoped : m.scoped;
    if (!chosen) {
        out.reason = m.why.empty() ? "no grant for " + req.user + " covers service sudo" : m.why;
        out.grant_id = m.near;
        return out;
    }
    out.grant_id = chosen->id;
    out.not_after = chosen->not_after;
    if (m.unscoped) {
        out.allow = true;
        out.reason = "grant " + chosen->id + " covers any sudo command";
        return out;
    }
    out.pattern = m.pattern;
    out.reason = "grant " + chosen->id + " allows " + out.pattern;
    if (!chosen->uses) return out.allow = true, out;
    return take_sudo_use(*chosen, std::move(out));
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
