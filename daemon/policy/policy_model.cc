// The policy's plain data: how each part describes itself and matches.
#include <string>

#include "jit/timefmt.h"
#include "daemon/grants/local_source.h"
#include "daemon/policy/policy.h"

namespace jit::daemon {

namespace {

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
    return out;
}

std::string period_name(int64_t seconds) {
    switch (seconds) {
        case 3600:
            return "hour";
        case 86400:
            return "day";
        case 7 * 86400:
            return "week";
        default:
            return format_duration(seconds);
    }
}

}  // namespace

std::string AccountSet::describe() const {
    std::vector<std::string> parts = users;
    for (const auto& g : groups) parts.push_back("@" + g);
    for (const auto& r : uids)
        parts.push_back(r.first == r.last ? std::to_string(r.first)
                                          : std::to_string(r.first) + "-" + std::to_string(r.last));
    return join(parts);
}

bool SourceSet::admits_rhost(std::string_view rhost) const {
    if (any()) return true;
    if (local && is_local_rhost(rhost)) return true;
    for (const auto& n : networks)
        if (n.contains(rhost)) return true;
    return false;
}

bool SourceSet::admits_grant_source(std::string_view source) const {
    if (any()) return true;
    if (source.empty()) return false;  // "anywhere" is wider than any restriction
    if (source == "local") return local;
    auto inner = Cidr::parse(source);
    if (!inner) return false;
    for (const auto& n : networks)
        if (n.covers(*inner)) return true;
    return false;
}

std::string SourceSet::describe() const {
    if (any()) return "anywhere";
    std::vector<std::string> parts;
    if (local) parts.push_back("local");
    for (const auto& n : networks) parts.push_back(n.to_string());
    return join(parts);
}

std::string ApproverSpec::describe() const {
    if (automatic()) return "auto";
    std::vector<std::string> names;
    for (const auto& g : groups) names.push_back("@" + g);
    return std::to_string(required) + " of " + join(names);
}

std::string RateLimit::describe() const {
    return std::to_string(count) + "/" + period_name(period);
}

bool TicketPattern::matches(std::string_view ticket) const {
    if (!regex) return false;
    std::string text(ticket);  // regexec needs a C string
    if (text.find('\0') != std::string::npos) return false;
    return regexec(regex.get(), text.c_str(), 0, nullptr, 0) == 0;
}

bool ClaimMatch::matches(std::string_view value) const {
    return pattern ? pattern->matches(value) : value == exact;
}

std::string ClaimMatch::describe() const {
    return pattern ? name + "~" + pattern->text : name + "=" + exact;
}

const char* signal_name(RiskSignal s) {
    switch (s) {
        case kNewSource:
            return "new-source";
        case kUnusualHour:
            return "unusual-hour";
        case kBurst:
            return "burst";
        case kNewWorkload:
            return "new-workload";
        default:
            return "?";
    }
}

const Rule* PolicySet::find(std::string_view name) const {
    for (const auto& r : rules)
        if (r.name == name) return &r;
    return nullptr;
}

bool valid_rule_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) return false;
    }
    return true;
}

}  // namespace jit::daemon
