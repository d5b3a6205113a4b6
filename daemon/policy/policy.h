// Access policy: the rules in /etc/jit/policy.d/*.conf, one rule per INI
// section, parsed and validated into plain data (see jit-policy(5)).  A rule
// says which accounts may use which PAM services, from where, when, for how
// long, with what justification and whose approval, or lets the PAM check
// itself create a short grant (an implicit rule).
//
// A policy set is all or nothing: every file is validated before any of it is
// used, and the first error is reported as "file:line: key: message".
#pragma once

#include <regex.h>
#include <stdint.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/grants/cidr.h"
#include "daemon/config/config.h"
#include "jit/result.h"
#include "daemon/time/schedule.h"

namespace jit::daemon {

// Users by name, members of groups, uid ranges.
struct AccountSet {
    std::vector<std::string> users;
    std::vector<std::string> groups;
    std::vector<UidRange> uids;
    std::string describe() const;
};

// Where a PAM_RHOST may come from: networks, and/or "local" (no PAM_RHOST,
// localhost, a loopback address or this host's own name, as sudo sets it).
// Empty: anywhere.
struct SourceSet {
    std::vector<Cidr> networks;
    bool local = false;
    bool any() const { return networks.empty() && !local; }
    bool admits_rhost(std::string_view rhost) const;
    // A requested grant source ("" = any, "local", or a CIDR) lies inside.
    bool admits_grant_source(std::string_view source) const;
    std::string describe() const;
};

// "auto" (required == 0), or N distinct approvers from the groups.
struct ApproverSpec {
    uint32_t required = 0;
    std::vector<std::string> groups;
    bool automatic() const { return required == 0; }
    std::string describe() const;
};

struct RateLimit {
    uint32_t count = 0;  // at most count ...
    int64_t period = 0;  // ... per this many seconds
    std::string describe() const;
};

struct TicketPattern {
    std::string text;
    std::shared_ptr<const regex_t> regex;  // the whole ticket must match
    bool matches(std::string_view ticket) const;
};

// One claims = item: the token's claim `name` must equal `exact`
// ("name=value"), or match the anchored pattern ("name~pattern", the ticket
// pattern engine).  A claim the token lacks never matches; a wildcard is
// only ever a pattern someone wrote.
struct ClaimMatch {
    std::string name;
    std::string exact;
    std::optional<TicketPattern> pattern;
    bool matches(std::string_view value) const;
    std::string describe() const;  // "ref=refs/heads/main", "sub~repo:acme/.*"
};

enum class RiskAction { Ignore, Escalate, Deny };

enum RiskSignal : uint8_t {
    kNewSource = 1,
    kUnusualHour = 2,
    kBurst = 4,
    kNewWorkload = 8,  // a workload token's claim value (repository, branch, ...) not seen before
    kAllSignals = 15,
};
const char* signal_name(RiskSignal s);

struct Rule {
    std::string name;
    std::string file;
    int line = 0;

    AccountSet accounts;
    std::optional<AccountSet> requesters;  // nullopt: any local user
    std::vector<std::string> services;
    // sudo command scope of the grants this rule makes (command_scope.h):
    // patterns as normalised text, and runas accounts (empty: root).
    std::vector<std::string> commands;
    std::vector<std::string> runas;
    // Each grant the rule makes admits this many times (jitctl grant
    // --uses): account checks, or under a command scope, commands.
    std::optional<uint32_t> uses;
    SourceSet from;
    std::optional<Schedule> schedule;

    // Request rules.
    uint64_t min_duration = 0, max_duration = 0;
    bool reason_required = true;
    std::optional<TicketPattern> ticket;
    ApproverSpec approval;
    int64_t pending_ttl = 3600;
    std::optional<uint32_t> max_active;
    std::optional<RateLimit> rate;

    // Workload identity (request rules): the identity.d section whose
    // verified tokens this rule judges, and the claims they must carry.
    // Empty: the rule judges local requests, never a token's.
    std::string identity;
    std::vector<ClaimMatch> claims;

    // Implicit rules: the PAM check creates a grant of this length.
    std::optional<uint64_t> implicit;
    uint32_t implicit_per_window = 0;  // 0: no limit per schedule window

    RiskAction risk = RiskAction::Ignore;
    uint8_t risk_signals = kAllSignals;
    ApproverSpec risk_approval;
    uint32_t risk_learn = 5;  // observations before the baseline judges
    RateLimit burst{5, 3600};

    bool is_implicit() const { return implicit.has_value(); }
    std::string origin() const { return file + ":" + std::to_string(line); }
};

// A policy directory or file that users other than its owner and group
// can read (the directory: list or enter; a file: read, in a directory they
// can enter).  Policy says who may get in and when; jitd warns about each.
struct ExposedPath {
    std::string path;
    unsigned mode = 0;  // st_mode & 07777
};

struct PolicySet {
    std::vector<Rule> rules;         // in file order, files sorted by name
    std::vector<std::string> files;  // what was read
    std::vector<ExposedPath> exposed;
    const Rule* find(std::string_view name) const;
};

struct PolicyOptions {
    std::string zoneinfo_dir = kDefaultZoneinfoDir;
    ZoneResolver zones;  // default: load from zoneinfo_dir, cached per parse
};

bool valid_rule_name(std::string_view name);

// Loads zones from zoneinfo_dir, each once.
ZoneResolver default_zone_resolver(const std::string& zoneinfo_dir);

// Adds the rules of one file's text to *set.  Rule names must be unique
// across the set.  On error *set is left partly filled: callers discard it.
Result<void, Failure> parse_policy_text(const std::string& text, const std::string& name,
                                        const PolicyOptions& options, PolicySet* set);

// Reads every *.conf in dir (sorted; hidden files skipped).  Each file must be
// a regular file owned by root or by us and not writable by group or others.
// A missing dir is an empty policy.
Result<PolicySet, Failure> load_policy_dir(const std::string& dir, const PolicyOptions& options);

}  // namespace jit::daemon
