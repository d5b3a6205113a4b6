// The properties the policy parser must hold for ANY file contents.  Shared
// by the libFuzzer target (policy_fuzz.cc), which aborts on a violation, and
// the corpus replay unit test, which reports it.
//
// For every input:
//   - parse_policy_text accepts it, or refuses it with an error naming the
//     file, a line inside the text (0 for the file as a whole) and a message;
//   - an accepted set holds only whole rules: a valid unique name, accounts
//     and services, durations in order, request rules with an approval and
//     implicit rules without one;
//   - every accepted schedule describes itself as text that parses back to
//     the same description, and answers questions about time consistently
//     (a window's end is outside it, its start inside).
// Zones come from a fixed in-memory resolver: UTC and a zone with daylight
// saving time built from a TZ rule, so fuzzing touches no files.
#pragma once

#include <stdint.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>

#include "daemon/policy/policy.h"

namespace jit::fuzz {

struct PolicyVerdict {
    bool accepted = false;
    const char* violation = nullptr;
};

namespace detail {

inline daemon::ZoneResolver fuzz_zones() {
    return
        [](std::string_view name) -> Result<std::shared_ptr<const daemon::TimeZone>, std::string> {
            if (name == "UTC")
                return std::make_shared<const daemon::TimeZone>(daemon::TimeZone::utc());
            if (name == "Europe/Berlin") {
                // A TZif version 2 file with no transitions and Berlin's footer.
                static const std::string tzif = [] {
                    std::string h(44, '\0');
                    h.replace(0, 5, "TZif2");
                    h[39] = 1;  // typecnt
                    h[43] = 4;  // charcnt
                    std::string v1 = h + std::string("\0\0\x0e\x10\0\0CET\0", 10);
                    return v1 + v1 + "\nCET-1CEST,M3.5.0,M10.5.0/3\n";
                }();
                auto z = daemon::TimeZone::parse(reinterpret_cast<const uint8_t*>(tzif.data()),
                                                 tzif.size(), "Europe/Berlin");
                if (!z) return z.error();
                return std::make_shared<const daemon::TimeZone>(std::move(*z));
            }
            return "unknown time zone '" + std::string(name.substr(0, 64)) + "'";
        };
}

inline size_t lines_in(const std::string& text) {
    return size_t(std::count(text.begin(), text.end(), '\n')) + 1;
}

inline const char* check_schedule(const daemon::Schedule& s, const daemon::PolicyOptions& o) {
    auto again = daemon::Schedule::parse(s.describe(), o.zones);
    if (!again) return "a schedule's description does not parse";
    if (again->describe() != s.describe()) return "a schedule's description does not round-trip";
    for (int64_t t : {int64_t(0), int64_t(1774746000), int64_t(1792890000), int64_t(-86400 * 3)}) {
        if (s.contains(t)) {
            auto end = s.window_end(t);
            auto start = s.window_start(t);
            if (end && (*end <= t || s.contains(*end))) return "a window's end is inside it";
            if (start && (*start > t || !s.contains(*start))) return "a window's start is outside";
        } else if (auto next = s.next_start(t); next && (*next < t || !s.contains(*next))) {
            return "next_start is not inside the schedule";
        }
    }
    return nullptr;
}

inline const char* check_rule(const daemon::Rule& r, const daemon::PolicyOptions& o) {
    if (!daemon::valid_rule_name(r.name)) return "accepted an invalid rule name";
    if (r.accounts.users.empty() && r.accounts.groups.empty() && r.accounts.uids.empty())
        return "accepted a rule without accounts";
    if (r.services.empty()) return "accepted a rule without services";
    for (const auto& u : r.accounts.users)
        if (u == "root") return "accepted root as an account";
    for (const auto& range : r.accounts.uids)
        if (range.first == 0 || range.first > range.last) return "accepted a bad uid range";
    if (r.is_implicit()) {
        if (!r.approval.automatic()) return "accepted an implicit rule with approvers";
        if (r.risk == daemon::RiskAction::Escalate) return "accepted an escalating implicit rule";
    } else {
        if (r.min_duration == 0 || r.min_duration > r.max_duration)
            return "accepted a duration range out of order";
        if (!r.approval.automatic() && r.approval.groups.empty())
            return "accepted approvers without groups";
        if (r.risk == daemon::RiskAction::Escalate && r.approval.automatic() &&
            r.risk_approval.automatic())
            return "accepted an auto rule that escalates to nobody";
    }
    (void)r.accounts.describe();
    (void)r.from.describe();
    if (r.ticket && !r.ticket->regex) return "accepted a ticket pattern that did not compile";
    if (r.schedule)
        if (const char* bad = check_schedule(*r.schedule, o)) return bad;
    return nullptr;
}

}  // namespace detail

inline PolicyVerdict check_policy_text(const uint8_t* data, size_t size) {
    PolicyVerdict v;
    std::string text(reinterpret_cast<const char*>(data), size);
    daemon::PolicyOptions options;
    options.zones = detail::fuzz_zones();
    daemon::PolicySet set;
    auto parsed = daemon::parse_policy_text(text, "fuzz.conf", options, &set);
    if (!parsed) {
        const auto& e = parsed.error();
        if (e.place.file != "fuzz.conf")
            v.violation = "an error names another file";
        else if (e.place.line < 0 || size_t(e.place.line) > detail::lines_in(text))
            v.violation = "an error names a line outside the text";
        else if (e.message.empty())
            v.violation = "an error without a message";
        return v;
    }
    v.accepted = true;
    std::set<std::string> names;
    for (const auto& r : set.rules) {
        if (!names.insert(r.name).second) {
            v.violation = "accepted two rules with one name";
            return v;
        }
        if ((v.violation = detail::check_rule(r, options))) return v;
    }
    return v;
}

}  // namespace jit::fuzz
