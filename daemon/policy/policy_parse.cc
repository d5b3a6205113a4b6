// Policy files to rules: one INI section per rule, each key parsed by
// policy_values, then the rule checked as a whole when its section ends.
#include <algorithm>
#include <map>
#include <set>

#include "daemon/config/ini_file.h"
#include "daemon/policy/policy.h"
#include "daemon/policy/policy_values.h"
#include "jit/values.h"

namespace jit::daemon {

namespace {

namespace pv = policy_values;
using Problem = std::optional<IniProblem>;
using Apply = std::optional<std::string> (*)(Rule&, std::string_view, const PolicyOptions&);

constexpr size_t kMaxRules = 1024;
constexpr uint64_t kMaxPendingTtl = 7 * 86400;

template <typename T, typename Set>
std::optional<std::string> store(Result<T, std::string> parsed, Set set) {
    if (!parsed) return parsed.error();
    set(std::move(*parsed));
    return std::nullopt;
}

// clang-format off
const struct KeySpec {
    const char* key;
    Apply apply;
} kKeys[] = {
    {"accounts", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::accounts(v, false), [&](AccountSet s) { r.accounts = std::move(s); }); }},
    {"requesters", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::accounts(v, true), [&](AccountSet s) { r.requesters = std::move(s); }); }},
    {"services", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::services(v), [&](std::vector<std::string> s) { r.services = std::move(s); }); }},
    {"commands", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::commands(v), [&](std::vector<std::string> c) { r.commands = std::move(c); }); }},
    {"runas", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::runas(v), [&](std::vector<std::string> u) { r.runas = std::move(u); }); }},
    {"uses", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::count(v, 1, uint32_t(proto::kMaxUses)), [&](uint32_t n) { r.uses = n; }); }},
    {"from", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::sources(v), [&](SourceSet s) { r.from = std::move(s); }); }},
    {"schedule", [](Rule& r, std::string_view v, const PolicyOptions& o) {
        return store(Schedule::parse(v, o.zones), [&](Schedule s) { r.schedule = std::move(s); }); }},
    {"duration", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::duration_range(v), [&](auto d) { r.min_duration = d.first; r.max_duration = d.second; }); }},
    {"reason", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::reason(v), [&](bool b) { r.reason_required = b; }); }},
    {"ticket", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::ticket(v), [&](TicketPattern t) { r.ticket = std::move(t); }); }},
    {"identity", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return pv::identity(v, &r.identity); }},
    {"claims", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::claims(v), [&](std::vector<ClaimMatch> c) { r.claims = std::move(c); }); }},
    {"approval", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::approvers(v, true), [&](ApproverSpec a) { r.approval = std::move(a); }); }},
    {"pending_ttl", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::duration(v, kMaxPendingTtl), [&](uint64_t d) { r.pending_ttl = int64_t(d); }); }},
    {"max_active", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::count(v, 1, 1000), [&](uint32_t n) { r.max_active = n; }); }},
    {"rate", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::rate(v), [&](RateLimit l) { r.rate = l; }); }},
    {"implicit", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::implicit(v), [&](auto i) { r.implicit = i.first; r.implicit_per_window = i.second; }); }},
    {"risk", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::risk(v), [&](RiskAction a) { r.risk = a; }); }},
    {"risk_signals", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::signals(v), [&](uint8_t s) { r.risk_signals = s; }); }},
    {"risk_approval", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::approvers(v, false), [&](ApproverSpec a) { r.risk_approval = std::move(a); }); }},
    {"risk_learn", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::count(v, 0, 100000), [&](uint32_t n) { r.risk_learn = n; }); }},
    {"burst", [](Rule& r, std::string_view v, const PolicyOptions&) {
        return store(pv::rate(v), [&](RateLimit l) { r.burst = l; }); }},
};
// clang-format on

// Keys that only mean something for rules that take requests.
const char* const kRequestOnly[] = {"requesters",  "duration", "reason", "ticket",       "approval",
                                    "pending_ttl", "identity", "claims", "risk_approval"};

class PolicyBuilder : public IniHandler {
public:
    PolicyBuilder(const std::string& file, const PolicyOptions& options, PolicySet* set)
        : file_(file), options_(options), set_(set) {}

    Problem section(const std::string& name, int line) override {
        if (auto p = finish()) return p;
        if (!valid_rule_name(name))
            return IniProblem{"", "invalid rule name [" + name.substr(0, 80) +
                                      "] (letters, digits, '_', '.', '-'; at most 64)"};
        if (const Rule* other = set_->find(name))
            return IniProblem{"", "rule [" + name + "] is already defined at " + other->origin()};
        if (set_->rules.size() >= kMaxRules) return IniProblem{"", "more than 1024 rules"};
        current_ = Rule{};
        current_->name = name;
        current_->file = file_;
        current_->line = line;
        key_lines_.clear();
        return std::nullopt;
    }

    Problem key(const std::string& section, const std::string& key, const std::string& value,
                int line) override {
        if (section.empty() || !current_) return IniProblem{key, "key outside a rule section"};
        const KeySpec* spec = nullptr;
        for (const auto& k : kKeys)
            if (key == k.key) spec = &k;
        if (!spec) return IniProblem{key, "unknown key (see jit-policy(5))"};
        if (!key_lines_.emplace(key, line).second)
            return IniProblem{key, "given twice in [" + section + "]"};
        if (value.empty()) return IniProblem{key, "empty value"};
        if (auto error = spec->apply(*current_, value, options_)) return IniProblem{key, *error};
        return std::nullopt;
    }

    // Checks the rule being read as a whole and adds it to the set.
    Problem finish() {
        if (!current_) return std::nullopt;
        if (auto p = validate(*current_)) return p;
        set_->rules.push_back(std::move(*current_));
        current_.reset();
        return std::nullopt;
    }

    // The line a problem about `key` is reported on: its own, or the header.
    int line_of(const std::string& key) const {
        auto it = key_lines_.find(key);
        return it == key_lines_.end() ? (current_ ? current_->line : 0) : it->second;
    }
    int pending_problem_line = 0;

private:
    bool has(const char* key) const { return key_lines_.count(key) != 0; }

    Problem at(const char* key, std::string message) {
        pending_problem_line = line_of(key);
        return IniProblem{key, std::move(message)};
    }

    Problem validate(const Rule& r) {
        if (!has("accounts")) return at("accounts", "missing: every rule names its accounts");
        if (!has("services")) return at("services", "missing: every rule names its services");
        if (has("commands") &&
            std::find(r.services.begin(), r.services.end(), "sudo") == r.services.end())
            return at("commands", "a command scope needs services = sudo");
        if (has("runas") && !has("commands")) return at("runas", "only used with commands");
        if (has("claims") && !has("identity"))
            return at("claims", "claims are a token's: the rule needs identity = NAME");
        if (r.is_implicit()) return validate_implicit(r);
        if (!has("approval"))
            return at("approval", "missing: say auto, or N of @group (or make it implicit)");
        if (!has("duration")) return at("duration", "missing: say MIN..MAX, e.g. 5m..2h");
        if (r.risk == RiskAction::Escalate && r.approval.automatic() && !has("risk_approval"))
            return at("risk", "escalate on an auto rule needs risk_approval = N of @group");
        return validate_risk(r);
    }

    Problem validate_implicit(const Rule& r) {
        for (const char* key : kRequestOnly)
            if (has(key)) return at(key, "not used by an implicit rule (remove it)");
        if (r.risk == RiskAction::Escalate)
            return at("risk", "an implicit grant cannot wait for approval: say deny or ignore");
        if (r.implicit_per_window > 0 && !r.schedule)
            return at("implicit", "a limit per window needs a schedule");
        return validate_risk(r);
    }

    Problem validate_risk(const Rule& r) {
        if (r.risk != RiskAction::Escalate && has("risk_approval"))
            return at("risk_approval", "only used with risk = escalate");
        if (r.risk == RiskAction::Ignore)
            for (const char* key : {"risk_signals", "risk_learn", "burst"})
                if (has(key)) return at(key, "has no effect unless risk = escalate or deny");
        if (has("burst") && !(r.risk_signals & kBurst))
            return at("burst", "has no effect when risk_signals leaves out burst");
        return std::nullopt;
    }

    const std::string& file_;
    const PolicyOptions& options_;
    PolicySet* set_;
    std::optional<Rule> current_;
    std::map<std::string, int> key_lines_;
};

}  // namespace

Result<void, Failure> parse_policy_text(const std::string& text, const std::string& name,
                                        const PolicyOptions& given, PolicySet* set) {
    PolicyOptions options = given;
    if (!options.zones) options.zones = default_zone_resolver(options.zoneinfo_dir);
    PolicyBuilder builder(name, options, set);
    if (auto parsed = parse_ini(text, name, builder); !parsed) {
        Failure e = parsed.error();
        // A rule found incomplete at the next header is reported where the
        // problem is, not on that header.
        if (builder.pending_problem_line > 0) e.place.line = builder.pending_problem_line;
        return e;
    }
    builder.pending_problem_line = 0;
    if (auto p = builder.finish())
        return config_error(name, builder.pending_problem_line, p->key, p->message);
    return {};
}

}  // namespace jit::daemon
