#include "notify.h"

#include <stdio.h>
#include <sys/utsname.h>

#include "jit/timefmt.h"

namespace jit::daemon {

namespace {

std::string list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (const auto& s : items) out += (out.size() > 1 ? "," : "") + json_quote(s);
    return out + "]";
}

std::string field(const char* key, const std::string& json_value) {
    return json_quote(key) + ":" + json_value;
}

std::string header(const std::string& event, Time now) {
    struct utsname u;
    std::string host = uname(&u) == 0 ? u.nodename : "";
    return field("event", json_quote(event)) + "," +
           field("time", json_quote(format_iso8601(now))) + "," + field("host", json_quote(host));
}

std::string approvals(const Request& r) {
    std::string out = "[";
    for (const auto& a : r.approvals) {
        if (out.size() > 1) out += ",";
        out += "{" + field("approver_uid", std::to_string(a.approver)) + "," +
               field("verdict", json_quote(a.verdict == Verdict::Approve ? "approve" : "deny")) +
               "," + field("at", json_quote(format_iso8601(a.at))) + "," +
               field("comment", json_quote(a.comment)) + "}";
    }
    return out + "]";
}

}  // namespace

std::string json_quote(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += char(c);
                }
        }
    }
    return out + "\"";
}

std::string request_event_json(const std::string& event, const Request& r, Time now) {
    std::string req =
        "{" + field("id", json_quote(r.id)) + "," + field("user", json_quote(r.user)) + "," +
        field("services", list(r.services)) + "," +
        field("source", json_quote(r.source.empty() ? "any" : r.source)) + "," +
        field("not_before", json_quote(format_iso8601(r.not_before))) + "," +
        field("not_after", json_quote(format_iso8601(r.not_after()))) + "," +
        field("duration_seconds", std::to_string(r.duration)) + "," +
        field("start_on_approval", r.start_on_approval ? "true" : "false") + "," +
        field("reason", json_quote(r.reason)) + "," + field("ticket", json_quote(r.ticket)) + "," +
        field("requester_uid", std::to_string(r.requester)) + "," +
        field("rule", json_quote(r.rule)) + "," +
        field("approvals_required", std::to_string(r.required)) + "," +
        field("approver_groups", list(r.approver_groups)) + "," + field("risk", list(r.risk)) +
        "," + field("state", json_quote(state_name(r.state))) + "," +
        field("expires", json_quote(format_iso8601(r.expires))) + "," +
        field("comment", json_quote(r.comment)) + "," +
        field("grant_id", r.grant_id.empty() ? "null" : json_quote(r.grant_id)) + "," +
        field("approvals", approvals(r)) + "}";
    return "{" + header(event, now) + "," + field("request", req) + "}\n";
}

std::string grant_event_json(const std::string& event, const Grant& g, const std::string& rule,
                             Time now) {
    std::string grant =
        "{" + field("id", json_quote(g.id)) + "," + field("user", json_quote(g.user)) + "," +
        field("services", list(g.services)) + "," +
        field("not_after", json_quote(format_iso8601(g.not_after))) + "," +
        field("seconds_left", std::to_string(g.not_after > now ? g.not_after - now : 0)) + "," +
        field("reason", json_quote(g.reason)) + "," + field("rule", json_quote(rule)) + "}";
    return "{" + header(event, now) + "," + field("grant", grant) + "}\n";
}

}  // namespace jit::daemon
