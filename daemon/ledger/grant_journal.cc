#include "daemon/ledger/grant_journal.h"

#include <syslog.h>

#include "daemon/events/identity_fields.h"
#include "jit/escape.h"
#include "jit/timefmt.h"

namespace jit::daemon {

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
    return out;
}

Fields grant_fields(const Grant& g, const std::string& rule, const std::string& reason) {
    Fields f{{"JIT_GRANT_ID", g.id},
             {"JIT_USER", g.user},
             {"JIT_SERVICE", join(g.services)},
             {"JIT_SOURCE", g.source},
             {"JIT_NOT_BEFORE", format_iso8601(g.not_before)},
             {"JIT_NOT_AFTER", format_iso8601(g.not_after)},
             {"JIT_REASON", reason},
             {"JIT_RULE", rule}};
    add_identity_fields(g.identity, &f);
    return f;
}

}  // namespace

namespace {

JournalEntry created(const Grant& g, const GrantOrigin& o) {
    std::string head = "grant " + g.id + " for " + g.user + " on " + join(g.services);
    if (o.from_request()) {
        Fields fields = grant_fields(g, o.rule, o.request_reason);  // the request's own words
        fields.push_back({"JIT_TICKET", o.ticket});
        fields.push_back({"JIT_REQUEST_ID", o.request_id});
        fields.push_back({"JIT_REQUESTER", std::to_string(o.requester)});
        fields.push_back({"JIT_APPROVERS", o.approvers});
        return {Event::GrantCreated, LOG_NOTICE,
                head + " until " + format_utc(g.not_after) + " from rule " + o.rule + " (request " +
                    o.request_id + ")",
                std::move(fields)};
    }
    Fields fields = grant_fields(g, o.rule, g.reason);
    fields.push_back({"JIT_REQUESTER", std::to_string(o.requester)});
    if (g.until_session_end) fields.push_back({"JIT_UNTIL_SESSION_END", "1"});
    if (g.uses) fields.push_back({"JIT_USES", std::to_string(*g.uses)});
    if (!g.groups.empty()) fields.push_back({"JIT_GROUPS", join(g.groups)});
    if (!g.commands.empty()) {
        std::string commands;
        for (const auto& c : g.commands) commands += (commands.empty() ? "" : "; ") + c;
        fields.push_back({"JIT_COMMANDS", escape_text(commands)});
        if (!g.runas.empty()) fields.push_back({"JIT_RUNAS", join(g.runas)});
    }
    return {Event::GrantCreated, LOG_NOTICE,
            head + (g.groups.empty() ? "" : " in " + join(g.groups)) + " until " +
                format_utc(g.not_after) + " by uid " + std::to_string(o.requester) + ": " +
                escape_text(g.reason),
            std::move(fields)};
}

JournalEntry ended(const Grant& g, const GrantOrigin& o) {
    Fields fields = grant_fields(g, o.rule, g.reason);
    if (o.from_request()) fields.push_back({"JIT_REQUEST_ID", o.request_id});
    const std::string& reason = g.ended->reason;
    if (g.state == GrantState::Revoked) {
        const std::string by = std::to_string(g.ended->by.value_or(0));
        fields.push_back({"JIT_REQUESTER", by});
        fields.push_back({"JIT_REVOKE_REASON", reason});
        return {Event::GrantRevoked, LOG_NOTICE,
                "grant " + g.id + " for " + g.user + " revoked by uid " + by +
                    (reason.empty() ? "" : ": " + escape_text(reason)),
                std::move(fields)};
    }
    if (!reason.empty()) fields.push_back({"JIT_END_REASON", reason});
    return {Event::GrantExpired, LOG_NOTICE,
            "grant " + g.id + " for " + g.user + " expired" +
                (reason.empty() ? "" : ": " + escape_text(reason)),
            std::move(fields)};
}

}  // namespace

JournalEntry grant_entry(GrantChange::Kind kind, const Grant& g, const GrantOrigin& origin) {
    return kind == GrantChange::Kind::Created ? created(g, origin) : ended(g, origin);
}

void GrantJournal::grant_changed(const GrantChange& change) {
    JournalEntry e = grant_entry(change.kind, change.grant, change.origin);
    if (change.audit_seq) e.fields.push_back({"JIT_AUDIT_SEQ", std::to_string(*change.audit_seq)});
    journal_.record_entry(e);
}

}  // namespace jit::daemon
