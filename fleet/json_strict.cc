#include "fleet/json_strict.h"

#include <set>
#include <vector>

namespace jit::fleet {

using nlohmann::json;

Result<json, Failure> parse_strict(std::string_view text, size_t max_bytes) {
    if (text.size() > max_bytes)
        return fail("record larger than " + std::to_string(max_bytes) + " bytes", EMSGSIZE);
    std::vector<std::set<std::string>> keys;  // one set per open object
    std::string problem;
    auto check = [&](int depth, json::parse_event_t event, json& parsed) {
        if (!problem.empty()) return false;
        if (depth > kMaxJsonDepth) {
            problem = "JSON nested deeper than " + std::to_string(kMaxJsonDepth);
            return false;
        }
        switch (event) {
            case json::parse_event_t::object_start:
                keys.emplace_back();
                break;
            case json::parse_event_t::object_end:
                if (!keys.empty()) keys.pop_back();
                break;
            case json::parse_event_t::key:
                if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second) {
                    problem = "duplicate key \"" + parsed.get<std::string>() + "\"";
                    return false;
                }
                break;
            default:
                break;
        }
        return true;
    };
    json value = json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/false);
    if (!problem.empty()) return fail(problem, EBADMSG);
    if (value.is_discarded()) return fail("not valid JSON", EBADMSG);
    return value;
}

}  // namespace jit::fleet
