// explain, for people and for scripts.
#include "jit/escape.h"
#include "jit/timefmt.h"
#include "render.h"
#include "render_requests.h"

namespace jit::ctl {

namespace {

const char* mark(proto::CondState s) {
    switch (s) {
        case proto::CondState::Holds:
            return "+";
        case proto::CondState::Fails:
            return "-";
        case proto::CondState::Needs:
            return "?";
    }
    return "!";
}

const char* state_word(proto::CondState s) {
    switch (s) {
        case proto::CondState::Holds:
            return "holds";
        case proto::CondState::Fails:
            return "fails";
        case proto::CondState::Needs:
            return "needed";
    }
    return "unknown";
}

}  // namespace

std::string explain_text(const msg::ExplainQuery& q, const msg::ExplainReply& e) {
    bool allow = e.decision == proto::Decision::Allow;
    std::string out = escape_text(q.user) + " " + escape_text(q.service) +
                      (q.rhost.empty() ? "" : " from " + escape_text(q.rhost)) + " at " +
                      format_utc(e.at) + (e.at == e.now ? " (now)" : "") + "\n";
    out += std::string("  a check would answer: ") + (allow ? "allow" : "deny") + ": " +
           escape_text(e.reason) + " (rule " + escape_text(e.rule) + ")\n";
    if (!e.managed) return out;
    if (e.rules.empty())
        out += "  no policy rule names " + escape_text(q.user) + " and " + escape_text(q.service) +
               "\n";
    for (const auto& r : e.rules) {
        out += "\nrule " + escape_text(r.rule) + " (" + r.kind + ", " + escape_text(r.origin) +
               "): " + escape_text(r.outcome) + "\n";
        for (const auto& c : e.conditions) {
            if (c.rule != r.rule) continue;
            std::string name = escape_text(c.name);
            out += "  " + std::string(mark(c.state)) + " " + name +
                   std::string(name.size() < 11 ? 11 - name.size() : 1, ' ') +
                   escape_text(c.detail) + "\n";
        }
    }
    for (const auto& r : e.requests) out += "\n" + request_summary(r, e.approvals, e.now) + "\n";
    return out;
}

std::string command_text(const msg::ExplainQuery& q, const CommandExplanation& c) {
    if (!c.error.empty()) return "\ncommand: " + c.line + ": " + escape_text(c.error) + "\n";
    std::string out = "\ncommand: " + c.line + " as " + escape_text(c.runas) + "\n";
    for (const auto& g : c.grants) {
        if (g.unscoped)
            out += "  + " + g.grant_id + " covers any sudo command (no command scope)\n";
        else if (g.allow)
            out += "  + " + g.grant_id + ": pattern \"" + escape_text(g.pattern) + "\" matches\n";
        else
            out += "  - " + g.grant_id + ": " + escape_text(g.why) + "\n";
    }
    if (c.grants.empty()) out += "  - no grant of " + escape_text(q.user) + " covers sudo now\n";
    return out + "  sudo would " + (c.allowed ? "run" : "refuse") + " it\n";
}

namespace {

void command_json(JsonWriter& w, const CommandExplanation& c) {
    w.key("command").begin_object().key("path").value(c.path).key("args").begin_array();
    for (const auto& a : c.args) w.value(a);
    w.end_array().key("runas").value(c.runas).key("error");
    if (c.error.empty())
        w.null();
    else
        w.value(c.error);
    w.key("grants").begin_array();
    for (const auto& g : c.grants) {
        w.begin_object().key("grant_id").value(g.grant_id).key("allow").value(g.allow);
        w.key("scoped").value(!g.unscoped).key("pattern");
        if (g.pattern.empty())
            w.null();
        else
            w.value(g.pattern);
        w.key("reason").value(g.allow ? std::string_view("") : g.why).end_object();
    }
    w.end_array().key("decision").value(c.allowed ? "allow" : "deny").end_object();
}

}  // namespace

std::string explain_json(const msg::ExplainQuery& q, const msg::ExplainReply& e,
                         const CommandExplanation* c) {
    JsonWriter w;
    w.begin_object().key("user").value(q.user).key("service").value(q.service);
    w.key("rhost").value(q.rhost).key("at").value(format_iso8601(e.at));
    w.key("now").value(format_iso8601(e.now)).key("managed").value(e.managed);
    w.key("decision").value(e.decision == proto::Decision::Allow ? "allow" : "deny");
    w.key("reason").value(e.reason).key("rule").value(e.rule).key("grant_id");
    if (e.grant_id.empty())
        w.null();
    else
        w.value(e.grant_id);
    w.key("not_after");
    if (e.not_after)
        w.value(format_iso8601(*e.not_after));
    else
        w.null();
    w.key("rules").begin_array();
    for (const auto& r : e.rules) {
        w.begin_object().key("name").value(r.rule).key("kind").value(r.kind);
        w.key("origin").value(r.origin).key("outcome").value(r.outcome);
        w.key("conditions").begin_array();
        for (const auto& c : e.conditions) {
            if (c.rule != r.rule) continue;
            w.begin_object().key("name").value(c.name).key("state").value(state_word(c.state));
            w.key("detail").value(c.detail).end_object();
        }
        w.end_array().end_object();
    }
    w.end_array().key("pending_requests").begin_array();
    for (const auto& r : e.requests) request_json(w, r, e.approvals, e.now);
    w.end_array();
    if (c) command_json(w, *c);
    w.end_object();
    return w.str() + "\n";
}

}  // namespace jit::ctl
