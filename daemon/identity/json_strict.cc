#include "daemon/identity/json_strict.h"

#include <set>
#include <vector>

namespace jit::daemon::identity {

namespace {

using nlohmann::json;

bool has_control(const std::string& s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

}  // namespace

Result<json, JsonError> parse_strict(std::string_view text, size_t max_bytes, int max_depth) {
    if (text.size() > max_bytes)
        return JsonError{JsonFault::TooLarge, "more than " + std::to_string(max_bytes) + " bytes"};
    std::vector<std::set<std::string>> keys;  // one set per open object
    std::optional<JsonError> problem;
    auto check = [&](int depth, json::parse_event_t event, json& parsed) {
        if (problem) return false;
        if (depth > max_depth) {
            problem = JsonError{JsonFault::TooDeep,
                                "nested deeper than " + std::to_string(max_depth) + " levels"};
            return false;
        }
        switch (event) {
            case json::parse_event_t::object_start:
                keys.emplace_back();
                break;
            case json::parse_event_t::object_end:
                if (!keys.empty()) keys.pop_back();
                break;
            case json::parse_event_t::key: {
                const auto& k = parsed.get_ref<const std::string&>();
                if (has_control(k)) {
                    problem = JsonError{JsonFault::ControlBytes, "a key holds a control character"};
                    return false;
                }
                if (!keys.empty() && !keys.back().insert(k).second) {
                    problem = JsonError{JsonFault::DuplicateKey, "duplicate key \"" + k + "\""};
                    return false;
                }
                break;
            }
            case json::parse_event_t::value:
                if (parsed.is_string() && has_control(parsed.get_ref<const std::string&>())) {
                    problem =
                        JsonError{JsonFault::ControlBytes, "a string holds a control character"};
                    return false;
                }
                break;
            default:
                break;
        }
        return true;
    };
    json value = json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/false);
    if (problem) return *problem;
    if (value.is_discarded()) return JsonError{JsonFault::Invalid, "not valid JSON"};
    return value;
}

}  // namespace jit::daemon::identity
