#include "daemon/server/session_wire.h"

namespace jit::daemon {

SessionOpenAsk from_wire(const msg::SessionOpenRequest& m) {
    return SessionOpenAsk{m.user, m.service, m.pid, m.rhost, m.tty, m.ruser, m.logind_session};
}

msg::SessionOpenReply to_wire(const SessionOpenAnswer& a) {
    msg::SessionOpenReply r;
    r.decision = a.decision;
    r.reason = a.reason;
    r.session_id = a.session_id;
    r.grant_id = a.grant_id;
    r.not_after = a.not_after;
    return r;
}

SessionCloseAsk from_wire(const msg::SessionCloseRequest& m) {
    return SessionCloseAsk{m.pid, m.session_id, m.user, m.service};
}

msg::SessionRecord to_wire(const Session& s) {
    msg::SessionRecord r;
    r.id = s.id;
    r.user = s.user;
    r.service = s.service;
    r.grant_id = s.grant_id.empty() ? "-" : s.grant_id;
    r.pid = uint64_t(s.identity.pid);
    r.opened = s.opened;
    r.state = s.state;
    r.rhost = s.rhost;
    r.tty = s.tty;
    r.ruser = s.ruser;
    r.logind_session = s.identity.logind_session;
    r.sid = uint64_t(s.identity.sid);
    if (s.identity.audit_session) r.audit_session = *s.identity.audit_session;
    r.ended = s.ended_at;
    r.reason = s.end_reason;
    return r;
}

}  // namespace jit::daemon
