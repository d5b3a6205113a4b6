#include "daemon/server/grant_wire.h"

namespace jit::daemon {

GrantAsk from_wire(const msg::GrantRequest& m) {
    GrantAsk a;
    a.user = m.user;
    a.services = m.services;
    a.reason = m.reason;
    a.source = m.source;
    a.duration = m.duration;
    a.not_before = m.not_before;
    a.not_after = m.not_after;
    a.until_session_end = m.until_session_end;
    a.uses = m.uses;
    a.groups = m.groups;
    a.commands = m.commands;
    a.runas = m.runas;
    a.fleet_id = m.fleet_id;
    return a;
}

RevokeAsk from_wire(const msg::RevokeRequest& m) {
    return RevokeAsk{m.grant_id, m.user, m.reason};
}

ListAsk from_wire(const msg::ListRequest& m) {
    return ListAsk{m.user, m.include_ended};
}

msg::GrantRecord to_wire(const Grant& g) {
    msg::GrantRecord r;
    r.id = g.id;
    r.user = g.user;
    r.services = g.services;
    r.source = g.source;
    r.not_before = g.not_before;
    r.not_after = g.not_after;
    r.reason = g.reason;
    r.granted_by = g.granted_by;
    r.created = g.created;
    r.state = g.state;
    r.ended_at = g.ended->at;
    if (g.ended->by) r.ended_by = uint64_t(*g.ended->by);
    r.until_session_end = g.until_session_end;
    if (g.uses) r.uses = *g.uses;
    if (g.uses_left) r.uses_left = *g.uses_left;
    r.groups = g.groups;
    r.commands = g.commands;
    r.runas = g.runas;
    r.fleet_id = g.fleet_id;
    r.identity_name = g.identity->name;
    r.identity_issuer = g.identity->issuer;
    r.identity_subject = g.identity->subject;
    r.identity_claims = g.identity->claims;
    return r;
}

msg::StatusReply to_wire(const StatusReport& s) {
    msg::StatusReply r;
    r.version = s.version;
    r.pid = uint64_t(s.pid);
    r.uptime = s.uptime;
    r.now = s.now;
    r.active_grants = s.active_grants;
    r.state_dir = s.state_dir;
    r.schema_version = s.schema_version;
    r.managed_users = s.managed_users;
    r.managed_groups = s.managed_groups;
    r.managed_uids = s.managed_uids;
    return r;
}

}  // namespace jit::daemon
