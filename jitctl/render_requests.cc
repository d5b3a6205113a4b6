#include "render_requests.h"

#include "jit/escape.h"
#include "jit/timefmt.h"
#include "render.h"

namespace jit::ctl {

namespace {

std::string join(const std::vector<std::string>& items, const char* sep = ",") {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
    return out;
}

std::string groups(const msg::RequestRecord& r) {
    std::vector<std::string> g;
    for (const auto& name : r.approver_groups) g.push_back("@" + name);
    return join(g, ", ");
}

size_t approvals_for(const msg::RequestRecord& r,
                     const std::vector<msg::ApprovalRecord>& approvals) {
    size_t n = 0;
    for (const auto& a : approvals)
        n += a.request_id == r.id && a.verdict == proto::Verdict::Approve;
    return n;
}

std::string state_text(const msg::RequestRecord& r,
                       const std::vector<msg::ApprovalRecord>& approvals, int64_t now) {
    switch (r.state) {
        case proto::RequestState::Pending:
            return "pending: " + std::to_string(approvals_for(r, approvals)) + " of " +
                   std::to_string(r.required) + " approvals (" + groups(r) + "), expires " +
                   format_relative(r.expires, now);
        case proto::RequestState::Approved:
            return "approved: grant " + escape_text(r.grant_id) + " " +
                   (now < r.not_before ? "starts " + format_relative(r.not_before, now) + ", "
                                       : "") +
                   "until " + format_utc(r.not_after) + " (" + format_relative(r.not_after, now) +
                   ")";
        default:
            return std::string(request_state_name(r.state)) +
                   (r.comment.empty() ? "" : ": " + escape_text(r.comment));
    }
}

}  // namespace

const char* request_state_name(proto::RequestState s) {
    switch (s) {
        case proto::RequestState::Pending:
            return "pending";
        case proto::RequestState::Approved:
            return "approved";
        case proto::RequestState::Denied:
            return "denied";
        case proto::RequestState::Expired:
            return "expired";
        case proto::RequestState::Cancelled:
            return "cancelled";
    }
    return "unknown";
}

std::string request_summary(const msg::RequestRecord& r,
                            const std::vector<msg::ApprovalRecord>& approvals, int64_t now) {
    return "request " + escape_text(r.id) + " for " + escape_text(r.user) + " on " +
           escape_text(join(r.services)) + " (rule " + escape_text(r.rule) +
           (r.risk.empty() ? "" : ", risk: " + escape_text(join(r.risk, ", "))) +
           (r.identity_issuer.empty()
                ? ""
                : ", workload " +
                      identity_cell(r.identity_name, r.identity_issuer, r.identity_subject)) +
           "): " + state_text(r, approvals, now);
}

std::string request_detail(const msg::RequestRecord& r,
                           const std::vector<msg::ApprovalRecord>& approvals, int64_t now) {
    std::vector<std::pair<std::string, std::string>> rows = {
        {"request", escape_text(r.id)},
        {"state", state_text(r, approvals, now)},
        {"account", escape_text(r.user)},
        {"services", escape_text(join(r.services))},
        {"source", r.source.empty() ? "any" : escape_text(r.source)},
        {"window", r.start_on_approval && r.state == proto::RequestState::Pending
                       ? format_duration(int64_t(r.duration)) + " from approval"
                       : format_utc(r.not_before) + " to " + format_utc(r.not_after)},
        {"reason", r.reason.empty() ? "-" : escape_text(r.reason)},
        {"ticket", r.ticket.empty() ? "-" : escape_text(r.ticket)},
        {"requester", escape_text(user_name(r.requester))},
        {"rule", escape_text(r.rule)},
        {"approvals", r.required == 0 ? "none needed (policy)"
                                      : std::to_string(r.required) + " of " + groups(r)},
        {"risk", r.risk.empty() ? "-" : escape_text(join(r.risk, ", "))},
        {"commands",
         r.commands.empty()
             ? "-"
             : escape_text(join(r.commands, "; ")) +
                   (r.runas.empty() ? "" : " (as " + escape_text(join(r.runas, ", ")) + ")")},
        {"created", format_utc(r.created) + " (" + format_relative(r.created, now) + ")"},
    };
    if (!r.identity_issuer.empty()) {
        rows.push_back(
            {"workload", identity_cell(r.identity_name, r.identity_issuer, r.identity_subject)});
        rows.push_back({"claims", claims_cell(r.identity_claims)});
    }
    if (r.decided_at)
        rows.push_back(
            {"decided", format_utc(*r.decided_at) +
                            (r.decided_by ? " by " + escape_text(user_name(*r.decided_by))
                                          : std::string(" by policy"))});
    std::string out;
    for (const auto& [k, v] : rows) out += k + std::string(11 - k.size(), ' ') + v + "\n";
    for (const auto& a : approvals) {
        if (a.request_id != r.id) continue;
        out += std::string(a.verdict == proto::Verdict::Approve ? "  approved" : "  denied") +
               " by " + escape_text(user_name(a.approver)) + " " + format_relative(a.at, now) +
               (a.duration ? " (for " + format_duration(int64_t(*a.duration)) + ")" : "") +
               (a.comment.empty() ? "" : ": " + escape_text(a.comment)) + "\n";
    }
    return out;
}

std::string requests_table(const std::vector<msg::RequestRecord>& requests,
                           const std::vector<msg::ApprovalRecord>& approvals, int64_t now) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : requests) {
        bool pending = r.state == proto::RequestState::Pending;
        rows.push_back(
            {escape_text(r.id), request_state_name(r.state), escape_text(r.user),
             escape_text(join(r.services)), escape_text(r.rule),
             std::to_string(approvals_for(r, approvals)) + "/" + std::to_string(r.required),
             format_duration(int64_t(r.duration)), pending ? format_relative(r.expires, now) : "-",
             escape_text(user_name(r.requester)), escape_text(r.reason)});
    }
    return table(
        {"ID", "STATE", "USER", "SERVICES", "RULE", "APPROVED", "FOR", "EXPIRES", "BY", "REASON"},
        rows);
}

void request_json(JsonWriter& w, const msg::RequestRecord& r,
                  const std::vector<msg::ApprovalRecord>& approvals, int64_t now) {
    w.begin_object();
    w.key("id").value(r.id).key("state").value(request_state_name(r.state));
    w.key("user").value(r.user).key("services").begin_array();
    for (const auto& s : r.services) w.value(s);
    w.end_array();
    w.key("source").value(r.source.empty() ? "any" : r.source);
    w.key("not_before").value(format_iso8601(r.not_before));
    w.key("not_after").value(format_iso8601(r.not_after));
    w.key("duration_seconds").value(r.duration);
    w.key("start_on_approval").value(r.start_on_approval);
    w.key("reason").value(r.reason).key("ticket").value(r.ticket);
    w.key("requester_uid").value(r.requester).key("requester").value(user_name(r.requester));
    w.key("rule").value(r.rule).key("approvals_required").value(r.required);
    w.key("approver_groups").begin_array();
    for (const auto& g : r.approver_groups) w.value(g);
    w.end_array().key("risk").begin_array();
    for (const auto& s : r.risk) w.value(s);
    w.end_array().key("commands").begin_array();
    for (const auto& c : r.commands) w.value(c);
    w.end_array().key("runas").begin_array();
    for (const auto& u : r.runas) w.value(u);
    w.end_array();
    identity_json(w, r.identity_name, r.identity_issuer, r.identity_subject, r.identity_claims);
    w.key("created").value(format_iso8601(r.created));
    w.key("expires").value(format_iso8601(r.expires));
    w.key("seconds_to_expiry")
        .value(int64_t(r.state == proto::RequestState::Pending && r.expires > now ? r.expires - now
                                                                                  : 0));
    w.key("comment").value(r.comment).key("grant_id");
    if (r.grant_id.empty())
        w.null();
    else
        w.value(r.grant_id);
    w.key("approvals").begin_array();
    for (const auto& a : approvals) {
        if (a.request_id != r.id) continue;
        w.begin_object().key("approver_uid").value(a.approver);
        w.key("approver").value(user_name(a.approver));
        w.key("verdict").value(a.verdict == proto::Verdict::Approve ? "approve" : "deny");
        w.key("at").value(format_iso8601(a.at)).key("comment").value(a.comment);
        w.key("duration_seconds");
        if (a.duration)
            w.value(*a.duration);
        else
            w.null();
        w.end_object();
    }
    w.end_array().end_object();
}

std::string requests_json(const msg::RequestList& list, int64_t now) {
    JsonWriter w;
    w.begin_object().key("now").value(format_iso8601(now)).key("requests").begin_array();
    for (const auto& r : list.requests) request_json(w, r, list.approvals, now);
    w.end_array().end_object();
    return w.str() + "\n";
}

}  // namespace jit::ctl
