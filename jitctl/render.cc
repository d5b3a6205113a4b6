#include "render.h"

#include <pwd.h>

#include "jit/escape.h"
#include "jit/timefmt.h"

namespace jit::ctl {

namespace {

size_t display_width(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xc0) != 0x80) ++n;
    return n;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
    return out;
}

std::string when_cell(int64_t t, int64_t now) {
    return format_relative(t, now);
}

// " [uses 2/3, until session end]" after the reason, when the grant is task-bound.
std::string limits_note(const msg::GrantRecord& g) {
    std::string note;
    if (g.uses)
        note = "uses " + std::to_string(g.uses_left.value_or(0)) + "/" + std::to_string(*g.uses) +
               " left";
    if (g.until_session_end) note += std::string(note.empty() ? "" : ", ") + "until session end";
    return note.empty() ? "" : " [" + note + "]";
}

}  // namespace

std::string commands_cell(const msg::GrantRecord& g) {
    if (g.commands.empty()) return "-";
    std::string out;
    for (const auto& c : g.commands) out += (out.empty() ? "" : "; ") + c;
    if (!g.runas.empty()) out += " (as " + join(g.runas) + ")";
    return escape_text(out);
}

std::string state_name(const msg::GrantRecord& g, int64_t now) {
    switch (g.state) {
        case proto::GrantState::Expired:
            return "expired";
        case proto::GrantState::Revoked:
            return "revoked";
        case proto::GrantState::Active:
            break;
    }
    if (now < g.not_before) return "scheduled";
    if (now >= g.not_after) return "expired";
    return "active";
}

std::string user_name(uint64_t uid) {
    char buf[4096];
    passwd pw, *found = nullptr;
    if (getpwuid_r(uid_t(uid), &pw, buf, sizeof buf, &found) == 0 && found) return pw.pw_name;
    return std::to_string(uid);
}

std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> width(header.size());
    for (size_t i = 0; i < header.size(); ++i) width[i] = display_width(header[i]);
    for (const auto& r : rows)
        for (size_t i = 0; i < r.size() && i < width.size(); ++i)
            width[i] = std::max(width[i], display_width(r[i]));
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (size_t i = 0; i < cells.size(); ++i) {
            out += cells[i];
            if (i + 1 < cells.size())
                out += std::string(width[i] - display_width(cells[i]) + 2, ' ');
        }
        return out + "\n";
    };
    std::string out = line(header);
    for (const auto& r : rows) out += line(r);
    return out;
}

std::string identity_cell(const std::string& name, const std::string& issuer,
                          const std::string& subject) {
    if (issuer.empty()) return "";
    return escape_text(subject) + " (" + escape_text(name) + ", " + escape_text(issuer) + ")";
}

std::string claims_cell(const std::vector<std::string>& claims) {
    std::string out;
    for (const auto& c : claims) out += (out.empty() ? "" : ", ") + escape_text(c);
    return out.empty() ? "-" : out;
}

void identity_json(JsonWriter& w, const std::string& name, const std::string& issuer,
                   const std::string& subject, const std::vector<std::string>& claims) {
    w.key("identity");
    if (issuer.empty()) {
        w.null();
        return;
    }
    w.begin_object().key("name").value(name).key("issuer").value(issuer);
    w.key("subject").value(subject).key("claims").begin_array();
    for (const auto& c : claims) w.value(c);
    w.end_array().end_object();
}

std::string grants_table(const std::vector<msg::GrantRecord>& grants, int64_t now,
                         bool show_state) {
    std::vector<std::string> header = {"ID",     "USER", "SERVICES", "SOURCE",
                                       "STARTS", "ENDS", "BY",       "REASON"};
    if (show_state) header.insert(header.begin() + 2, "STATE");
    // A GROUPS column only when some grant puts its user in jit groups.
    bool show_groups = false;
    for (const auto& g : grants) show_groups = show_groups || !g.groups.empty();
    if (show_groups) header.insert(header.end() - 3, "GROUPS");
    // A COMMANDS column only when some grant is scoped to sudo commands.
    bool show_commands = false;
    for (const auto& g : grants) show_commands = show_commands || !g.commands.empty();
    if (show_commands) header.insert(header.end() - 3, "COMMANDS");
    // A WORKLOAD column only when some grant came from a workload token.
    bool show_identity = false;
    for (const auto& g : grants) show_identity = show_identity || !g.identity_issuer.empty();
    if (show_identity) header.insert(header.end() - 1, "WORKLOAD");
    std::vector<std::vector<std::string>> rows;
    for (const auto& g : grants) {
        std::vector<std::string> r = {
            escape_text(g.id),
            escape_text(g.user),
            escape_text(join(g.services)),
            g.source.empty() ? "any" : escape_text(g.source),
            g.not_before <= g.created ? "-" : when_cell(g.not_before, now),
            g.ended_at ? "ended " + when_cell(*g.ended_at, now) : when_cell(g.not_after, now),
            escape_text(user_name(g.granted_by)),
            escape_text(g.reason) + limits_note(g)};
        if (show_state) r.insert(r.begin() + 2, state_name(g, now));
        if (show_groups)
            r.insert(r.end() - 3, g.groups.empty() ? "-" : escape_text(join(g.groups)));
        if (show_commands) r.insert(r.end() - 3, commands_cell(g));
        if (show_identity)
            r.insert(r.end() - 1,
                     g.identity_issuer.empty()
                         ? "-"
                         : identity_cell(g.identity_name, g.identity_issuer, g.identity_subject) +
                               " " + claims_cell(g.identity_claims));
        rows.push_back(std::move(r));
    }
    return table(header, rows);
}

void grant_json(JsonWriter& w, const msg::GrantRecord& g, int64_t now) {
    w.begin_object();
    w.key("id").value(g.id);
    w.key("user").value(g.user);
    w.key("services").begin_array();
    for (const auto& s : g.services) w.value(s);
    w.end_array();
    w.key("source");
    if (g.source.empty())
        w.null();
    else
        w.value(g.source);
    w.key("state").value(state_name(g, now));
    w.key("not_before").value(format_iso8601(g.not_before));
    w.key("not_after").value(format_iso8601(g.not_after));
    w.key("seconds_left").value(int64_t(g.not_after > now && !g.ended_at ? g.not_after - now : 0));
    w.key("reason").value(g.reason);
    w.key("fleet_grant");
    if (g.fleet_id.empty())
        w.null();
    else
        w.value(g.fleet_id);
    w.key("granted_by_uid").value(g.granted_by);
    w.key("granted_by").value(user_name(g.granted_by));
    w.key("created").value(format_iso8601(g.created));
    w.key("ended_at");
    if (g.ended_at)
        w.value(format_iso8601(*g.ended_at));
    else
        w.null();
    w.key("ended_by_uid");
    if (g.ended_by)
        w.value(*g.ended_by);
    else
        w.null();
    w.key("until_session_end").value(g.until_session_end);
    w.key("uses");
    if (g.uses)
        w.value(*g.uses);
    else
        w.null();
    w.key("uses_left");
    if (g.uses_left)
        w.value(*g.uses_left);
    else
        w.null();
    w.key("groups").begin_array();
    for (const auto& group : g.groups) w.value(group);
    w.end_array();
    w.key("commands").begin_array();
    for (const auto& c : g.commands) w.value(c);
    w.end_array();
    w.key("runas").begin_array();
    for (const auto& r : g.runas) w.value(r);
    w.end_array();
    identity_json(w, g.identity_name, g.identity_issuer, g.identity_subject, g.identity_claims);
    w.end_object();
}

std::string grants_json(const std::vector<msg::GrantRecord>& grants, int64_t now) {
    JsonWriter w;
    w.begin_object();
    w.key("now").value(format_iso8601(now));
    w.key("grants").begin_array();
    for (const auto& g : grants) grant_json(w, g, now);
    w.end_array();
    w.end_object();
    return w.str() + "\n";
}

}  // namespace jit::ctl
