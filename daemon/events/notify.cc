#include "daemon/events/notify.h"

#include <stdio.h>
#include <sys/utsname.h>

#include "jit/escape.h"
#include "jit/timefmt.h"

namespace jit::daemon {

namespace {

std::string list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (const auto& s : items) out += (out.size() > 1 ? "," : "") + json_string(s);
    return out + "]";
}

std::string field(const char* key, const std::string& json_value) {
    return json_string(key) + ":" + json_value;
}

std::string header(const std::string& event, Time now) {
    struct utsname u;
    std::string host = uname(&u) == 0 ? u.nodename : "";
    return field("event", json_string(event)) + "," +
           field("time", json_string(format_iso8601(now))) + "," + field("host", json_string(host));
}

std::string approvals(const Request& r) {
    std::string out = "[";
    for (const auto& a : r.approvals) {
        if (out.size() > 1) out += ",";
        out += "{" + field("approver_uid", std::to_string(a.approver)) + "," +
               field("verdict", json_string(a.verdict == Verdict::Approve ? "approve" : "deny")) +
               "," + field("at", json_string(format_iso8601(a.at))) + "," +
               field("comment", json_string(a.comment)) + "}";
    }
    return out + "]";
}

}  // namespace

std::string request_event_json(const std::string& event, const Request& r, Time now) {
    std::string req =
        "{" + field("id", json_string(r.id)) + "," + field("user", json_string(r.user)) + "," +
        field("services", list(r.services)) + "," +
        field("source", json_string(r.source.empty() ? "any" : r.source)) + "," +
        field("not_before", json_string(format_iso8601(r.not_before))) + "," +
        field("not_after", json_string(format_iso8601(r.not_after()))) + "," +
        field("duration_seconds", std::to_string(r.duration)) + "," +
        field("start_on_approval", r.start_on_approval ? "true" : "false") + "," +
        field("reason", json_string(r.reason)) + "," + field("ticket", json_string(r.ticket)) +
        "," + field("requester_uid", std::to_string(r.requester)) + "," +
        field("rule", json_string(r.rule)) + "," +
        field("approvals_required", std::to_string(r.required)) + "," +
        field("approver_groups", list(r.approver_groups)) + "," + field("risk", list(r.risk)) +
        "," + field("state", json_string(state_name(r.state))) + "," +
        field("expires", json_string(format_iso8601(r.expires))) + "," +
        field("comment", json_string(r.comment)) + "," +
        field("grant_id", r.grant_id.empty() ? "null" : json_string(r.grant_id)) + "," +
        field("approvals", approvals(r)) + "}";
    return "{" + header(event, now) + "," + field("request", req) + "}\n";
}

std::string grant_event_json(const std::string& event, const Grant& g, const std::string& rule,
                             Time now) {
    std::string grant =
        "{" + field("id", json_string(g.id)) + "," + field("user", json_string(g.user)) + "," +
        field("services", list(g.services)) + "," +
        field("not_after", json_string(format_iso8601(g.not_after))) + "," +
        field("seconds_left", std::to_string(g.not_after > now ? g.not_after - now : 0)) + "," +
        field("reason", json_string(g.reason)) + "," + field("rule", json_string(rule)) + "}";
    return "{" + header(event, now) + "," + field("grant", grant) + "}\n";
}

std::string checkpoint_event_json(uint64_t size, const std::string& root_hex,
                                  const std::string& note, Time at) {
    return "{" + header("audit-checkpoint", at) + "," + json_string("checkpoint") + ":{" +
           field("size", std::to_string(size)) + "," + field("root", json_string(root_hex)) + "," +
           field("note", json_string(note)) + "}}";
}

}  // namespace jit::daemon
