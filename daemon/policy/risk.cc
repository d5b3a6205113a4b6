#include "daemon/policy/risk.h"

#include "daemon/grants/cidr.h"
#include "daemon/time/civil_time.h"
#include "daemon/grants/local_source.h"

namespace jit::daemon {

std::string source_key(std::string_view s) {
    if (s.empty()) return "local";
    if (s == "any" || s == "local") return std::string(s);
    if (auto cidr = Cidr::parse(s)) return cidr->to_string();
    if (is_local_rhost(s)) return "local";
    return "host:" + std::string(s.substr(0, 253));
}

std::string workload_key(const std::string& claim) {
    return "workload:" + claim;
}

std::vector<std::string> workload_keys(const Rule& r, const identity::VerifiedToken* token) {
    std::vector<std::string> out;
    if (!token) return out;
    for (const auto& m : r.claims) {
        auto it = token->claims.find(m.name);
        if (it != token->claims.end()) out.push_back(workload_key(m.name + "=" + it->second));
    }
    return out;
}

std::vector<RiskSignal> risk_signals(const Rule& r, const Baseline& b, std::string_view key,
                                     Time when, size_t recent,
                                     const std::vector<std::string>& workload) {
    std::vector<RiskSignal> out;
    const bool judged = b.observations >= r.risk_learn;
    if ((r.risk_signals & kNewSource) && judged && !b.sources.count(std::string(key)))
        out.push_back(kNewSource);
    if ((r.risk_signals & kUnusualHour) && judged) {
        // The hour itself or either neighbour: a job that drifts a little, or
        // moves an hour with daylight saving time, is not unusual.
        int h = civil_from_seconds(when).hour;
        if (b.hours[size_t(h)] == 0 && b.hours[size_t((h + 1) % 24)] == 0 &&
            b.hours[size_t((h + 23) % 24)] == 0)
            out.push_back(kUnusualHour);
    }
    if ((r.risk_signals & kBurst) && recent >= r.burst.count) out.push_back(kBurst);
    if ((r.risk_signals & kNewWorkload) && judged)
        for (const auto& k : workload)
            if (!b.sources.count(k)) {
                out.push_back(kNewWorkload);
                break;
            }
    return out;
}

std::string signal_list(const std::vector<RiskSignal>& signals) {
    std::string out;
    for (RiskSignal s : signals) out += std::string(out.empty() ? "" : ", ") + signal_name(s);
    return out;
}

}  // namespace jit::daemon
