#include "daemon/sessions/session_service.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "daemon/base/ids.h"
#include "jit/escape.h"
#include "jit/timefmt.h"
#include "daemon/sessions/tty_notice.h"

namespace jit::daemon {

namespace {

constexpr Time kWatchClosedFor = 86400;  // closed sessions watched for leftovers
constexpr size_t kListLimit = proto::kMaxRecords;

Failure op_error(int code, std::string message) {
    return Failure{code, std::move(message)};
}

bool valid_logind_id(const std::string& s) {
    if (s.size() > 64) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    });
}

SessionOpenAnswer deny(std::string reason) {
    SessionOpenAnswer r;
    r.decision = proto::Decision::Deny;
    r.reason = std::move(reason);
    return r;
}

std::string pids_of(const std::vector<Target>& targets) {
    std::string out;
    for (const auto& t : targets) out += (out.empty() ? "" : ",") + std::to_string(t.pid);
    return out;
}

}  // namespace

Result<std::string> new_session_id() {
    auto id = new_grant_id();
    if (!id) return id.error();
    return "s-" + id->substr(2);
}

bool valid_session_id(std::string_view id) {
    return id.substr(0, 2) == "s-" && valid_grant_id("g-" + std::string(id.substr(2)));
}

uint64_t monotonic_ms() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

SessionService::SessionService(Store& store, Journal& journal, const Clock& clock, JitService& jit,
                               const ProcessSource& procs, Terminator& terminator)
    : store_(store),
      journal_(journal),
      clock_(clock),
      jit_(jit),
      procs_(procs),
      terminator_(terminator) {}

Result<void, Failure> SessionService::load() {
    Time now = clock_.now();
    auto sessions = store_.sessions_to_watch(now - kWatchClosedFor);
    if (!sessions) return op_error(EIO, "cannot read sessions: " + sessions.error().message);
    watched_.clear();
    for (auto& s : *sessions)
        if (s.state == SessionState::Open || s.state == SessionState::Closed)
            watched_.push_back(std::move(s));
    dirty_ = true;
    reconcile();  // marks earlier boots' sessions gone, ends uncovered ones
    return {};
}

void SessionService::journal_session(Event event, int priority, const Session& s,
                                     const std::string& message, Fields extra) {
    Fields fields = {{"JIT_SESSION_ID", s.id},
                     {"JIT_USER", s.user},
                     {"JIT_SERVICE", s.service},
                     {"JIT_GRANT_ID", s.grant_id},
                     {"JIT_RHOST", s.rhost},
                     {"JIT_TTY", s.tty},
                     {"JIT_SESSION_PID", std::to_string(s.identity.pid)}};
    if (!s.identity.logind_session.empty())
        fields.push_back({"JIT_LOGIND_SESSION", s.identity.logind_session});
    for (auto& f : extra) fields.push_back(std::move(f));
    journal_.record(event, priority, message, fields);
}

void SessionService::store_failed(const std::string& what, const Failure& why) {
    journal_.record(Event::StoreFailed, LOG_ERR, what + ": " + why.message, {});
}

// The checked process is remembered so that its session open can be matched
// to this check: by the kernel's own name for it (its pidfd) where there is
// one, else by pid and start time read from /proc.
void SessionService::admitted(const Caller& caller, const CheckQuery& query, const Grant& grant) {
    if (caller.pid <= 0) return;
    CheckAdmission a{caller.pid, procs_.peer_key(caller.socket), 0, query, grant.id, clock_.now()};
    if (a.key == 0) {
        auto p = procs_.process(caller.pid);
        if (!p) return;  // cannot pin it to a process: the open will be its own admission
        a.start = p->start;
    }
    admissions_.add(std::move(a));
}

Result<SessionIdentity, std::string> SessionService::identify(pid_t pid,
                                                              const std::string& logind) const {
    auto p = procs_.process(pid);
    if (!p) return std::string("cannot read process ") + std::to_string(pid) + " in /proc";
    SessionIdentity id;
    id.pid = pid;
    id.pid_start = p->start;
    id.sid = p->sid;
    // Only an audit session this stack assigned names this session alone.
    auto parent = procs_.process(p->ppid);
    if (p->audit_session && parent && parent->audit_session != p->audit_session)
        id.audit_session = p->audit_session;
    id.logind_session = logind;
    id.boot_id = procs_.boot_id();
    if (id.boot_id.empty()) return std::string("cannot read the boot id");
    return id;
}

// The managed account an open without an admission is about: PAM_USER, or
// else PAM_RUSER (sudo).  A failed lookup counts as managed (fail closed).
std::string SessionService::account_for(const SessionOpenAsk& r) const {
    if (valid_user_name(r.user) && jit_.classify(r.user) != Membership::No) return r.user;
    if (valid_user_name(r.ruser) && jit_.classify(r.ruser) != Membership::No) return r.ruser;
    return {};
}

SessionOpenAnswer SessionService::open(const Caller& caller, const SessionOpenAsk& r) {
    if (!valid_user_name(r.user) || !valid_service_name(r.service))
        return deny("invalid user or service name");
    if (!valid_logind_id(r.logind_session)) return deny("invalid logind session id");
    if (caller.pid <= 0 || r.pid != uint64_t(caller.pid))
        return deny("the session pid is not the caller's own pid");
    auto identity = identify(caller.pid, r.logind_session);
    if (!identity) return deny("cannot identify the session: " + identity.error());

    Session s;
    s.service = r.service;
    s.rhost = r.rhost;
    s.tty = r.tty;
    s.ruser = r.ruser;
    s.identity = *identity;
    s.opened = clock_.now();
    const Grant* grant = nullptr;
    std::string why;
    const uint64_t key = caller.pidfd ? procs_.pidfd_key(caller.pidfd->get()) : 0;
    if (auto a =
            admissions_.take(caller.pid, key, identity->pid_start, s.opened, r.user, r.ruser)) {
        s.user = a->query.user;
        s.rhost = a->query.rhost;
        const Grant* admitting = jit_.book().find(a->grant_id);
        CheckQuery q{s.user, s.service, s.rhost};
        grant = admitting && jit_.book().cover(q, s.opened) == admitting
                    ? admitting
                    : jit_.book().cover(q, s.opened);
        if (!grant) why = "grant " + a->grant_id + " ended between the check and the session";
    } else {
        s.user = account_for(r);
        if (s.user.empty()) return deny(r.user + " is not managed by jit");
        CheckOutcome outcome = jit_.admit({s.user, s.service, s.rhost});
        if (outcome.allow) grant = jit_.book().find(outcome.grant_id);
        why = outcome.reason;
    }
    auto id = new_session_id();
    if (!id) return deny("cannot allocate a session id");
    s.id = *id;
    if (!grant) return record_refusal(std::move(s), why);
    auto reply = record_open(std::move(s), *grant);
    // The PAM process is pinned for as long as it lives: its end is signalled
    // through the pidfd.  Without pidfds the pid+start-time check remains.
    if (reply.decision == proto::Decision::Allow &&
        !terminator_.pin({caller.pid, identity->pid_start}, caller.pidfd))
        journal_.record(Event::SessionOpened, LOG_NOTICE,
                        "session " + reply.session_id +
                            ": no pidfd for its process; it is tracked by pid and start time",
                        {{"JIT_SESSION_ID", reply.session_id}, {"JIT_SESSION_PIN", "start-time"}});
    return reply;
}

SessionOpenAnswer SessionService::record_open(Session s, const Grant& grant) {
    s.grant_id = s.admitted_by = grant.id;
    s.state = SessionState::Open;
    if (auto stored = store_.insert_session(s); !stored) {
        journal_.record(Event::StoreFailed, LOG_ERR,
                        "cannot record session of " + s.user + ": " + stored.error().message,
                        {{"JIT_USER", s.user}});
        return record_refusal(std::move(s), "cannot record the session");
    }
    Time end = jit_.book().coverage_end({s.user, s.service, s.rhost}, s.opened);
    journal_session(Event::SessionOpened, LOG_INFO, s,
                    "session " + s.id + " of " + s.user + " on " + s.service + " opened under " +
                        grant.id + ", ends " + format_utc(end),
                    {{"JIT_NOT_AFTER", format_iso8601(end)}});
    SessionOpenAnswer reply;
    reply.decision = proto::Decision::Allow;
    reply.reason = "session " + s.id + " under grant " + grant.id;
    reply.session_id = s.id;
    reply.grant_id = grant.id;
    reply.not_after = end;
    watched_.push_back(std::move(s));
    dirty_ = true;  // schedule its warning
    return reply;
}

// A managed account's session that no grant admits: refused, recorded, and
// ended (sshd carries on with a session whose PAM session phase failed, so
// ending it is the only way to refuse it).  It is ended before the reply goes
// out: the caller is blocked waiting for it, so nothing it would start after
// the refusal can slip out of the session's scope before the signals land.
SessionOpenAnswer SessionService::record_refusal(Session s, const std::string& why) {
    s.state = SessionState::Refused;
    s.ended_at = s.opened;
    s.end_reason = why;
    if (auto stored = store_.insert_session(s); !stored)
        journal_.record(
            Event::StoreFailed, LOG_ERR,
            "cannot record refused session of " + s.user + ": " + stored.error().message,
            {{"JIT_USER", s.user}});
    journal_session(Event::SessionRefused, LOG_WARNING, s,
                    "session of " + s.user + " on " + s.service + " refused: " + escape_text(why),
                    {{"JIT_REASON", why}});
    end_session(s, why, Event::SessionRefused);
    return deny(why);
}

Result<std::string, Failure> SessionService::close(const Caller& caller, const SessionCloseAsk& r) {
    if (caller.pid <= 0 || r.pid != uint64_t(caller.pid))
        return op_error(EPERM, "the session pid is not the caller's own pid");
    auto it = std::find_if(watched_.rbegin(), watched_.rend(), [&](const Session& s) {
        if (s.state != SessionState::Open || s.identity.pid != caller.pid) return false;
        return r.session_id.empty() ? (r.user.empty() || s.user == r.user || s.ruser == r.user)
                                    : s.id == r.session_id;
    });
    if (it == watched_.rend()) return op_error(ENOENT, "no open session of this process");
    Session& s = *it;
    Time now = clock_.now();
    if (auto ended = store_.end_session(s.id, SessionState::Closed, now, "closed by PAM");
        !ended && ended.error().code != EALREADY)
        return op_error(EIO, "cannot record the close: " + ended.error().message);
    s.state = SessionState::Closed;
    s.ended_at = now;
    journal_session(Event::SessionClosed, LOG_INFO, s,
                    "session " + s.id + " of " + s.user + " closed");
    std::string id = s.id, admitted_by = s.admitted_by;
    const Grant* g = jit_.book().find(admitted_by);
    if (g && g->until_session_end)
        if (auto ended = jit_.end_with_session(admitted_by, "its session " + id + " closed");
            !ended)
            return ended.error();
    return id;
}

Result<std::vector<Session>, Failure> SessionService::list(const ListAsk& r) {
    auto sessions = store_.list_sessions(r.user, r.include_ended, kListLimit);
    if (!sessions) return op_error(EIO, "cannot read sessions: " + sessions.error().message);
    return std::move(*sessions);
}

void SessionService::run_pending() {
    if (dirty_) reconcile();
}

void SessionService::tick(uint64_t now_mono_ms) {
    reconcile();
    escalate(now_mono_ms);
}

void SessionService::reconcile() {
    dirty_ = false;
    next_warning_.reset();
    Time now = clock_.now();
    Time warn_before = Time(jit_.config().warn_before_seconds);
    std::string boot = procs_.boot_id();
    for (size_t i = 0; i < watched_.size();) {
        auto it = watched_.begin() + long(i);
        SessionPlan plan = plan_session(*it, jit_.book(), now, boot, warn_before);
        size_t before = watched_.size();
        apply(it, plan, now);
        if (watched_.size() == before) ++i;
    }
}

// Why a session no grant covers is ended: its grant ended, or it is a
// fleet grant jit-fleet no longer vouches for (dead, or cut off from etcd).
std::string SessionService::end_reason(const Session& s, Time now) const {
    const GrantBook& book = jit_.book();
    const Grant* g = book.find(s.grant_id);
    if (g && g->state == GrantState::Active && !book.fleet_keeps_sessions(*g, now))
        return "no grant covers it any more (grant " + s.grant_id + " mirrors fleet grant " +
               *g->fleet_id + ", and jit-fleet's word ran out " +
               (book.fleet_fresh_until() ? format_utc(book.fleet_fresh_until())
                                         : std::string("(none since jitd started)")) +
               ")";
    return "no grant covers it any more (grant " + s.grant_id + " ended)";
}

void SessionService::apply(std::vector<Session>::iterator it, const SessionPlan& plan, Time now) {
    Session& s = *it;
    switch (plan.verdict) {
        case SessionVerdict::Gone:
            if (auto r = store_.end_session(s.id, SessionState::Gone, now, "earlier boot");
                !r && r.error().code != EALREADY)
                store_failed("cannot record session " + s.id + " as gone", r.error());
            journal_session(Event::SessionGone, LOG_INFO, s,
                            "session " + s.id + " of " + s.user +
                                " was recorded in an earlier boot; nothing left to end");
            watched_.erase(it);
            return;
        case SessionVerdict::End:
            end_session(s, end_reason(s, now), Event::SessionEnded);
            watched_.erase(it);
            return;
        case SessionVerdict::Keep:
            break;
    }
    if (plan.cover->id != s.grant_id) {
        std::string old = s.grant_id;
        if (store_.rebind_session(s.id, plan.cover->id)) {
            s.grant_id = plan.cover->id;
            s.warned_for.reset();
            journal_session(Event::SessionKept, LOG_INFO, s,
                            "session " + s.id + " of " + s.user + " kept: grant " + old +
                                " no longer covers it, " + plan.cover->id + " does");
        }
    }
    if (plan.warn_now) warn(s, plan.end);
    if (plan.warn_at && (!next_warning_ || *plan.warn_at < *next_warning_))
        next_warning_ = plan.warn_at;
}

// Signals what belongs to the session and records the end.  A closed
// session that left nothing behind needs no record and is dropped quietly.
bool SessionService::end_session(Session& s, const std::string& reason, Event event) {
    TermReport report = terminator_.begin(s.identity);
    // logind having no such session left means it ended already: nothing
    // was done, as when no process was left to signal.
    bool acted = !report.signalled.empty() || (report.logind_tried && !report.logind_gone);
    Time now = clock_.now();
    if (s.state == SessionState::Closed && !acted) return false;
    if (s.state == SessionState::Open || s.state == SessionState::Closed) {
        auto ended = store_.end_session(s.id, SessionState::Terminated, now, reason);
        if (!ended && ended.error().code != EALREADY)
            journal_.record(
                Event::StoreFailed, LOG_ERR,
                "cannot record the end of session " + s.id + ": " + ended.error().message,
                {{"JIT_SESSION_ID", s.id}});
    }
    std::string how = std::to_string(report.signalled.size()) + " process(es) sent SIGTERM";
    if (report.logind_gone)
        how += ", logind had ended the session already";
    else if (report.logind_tried)
        how += report.logind_ok ? ", logind TerminateSession done"
                                : ", logind TerminateSession failed: " + report.logind_error;
    journal_session(event, LOG_NOTICE, s,
                    "session " + s.id + " of " + s.user + " on " + s.service +
                        " ended: " + escape_text(reason) + " (" + how + ")",
                    {{"JIT_REASON", reason},
                     {"JIT_PIDS", pids_of(report.signalled)},
                     {"JIT_LOGIND", report.logind_gone    ? "gone"
                                    : report.logind_tried ? (report.logind_ok ? "ok" : "failed")
                                                          : "unused"}});
    s.state = SessionState::Terminated;
    uint64_t grace_ms = jit_.config().kill_grace_seconds * 1000;
    escalations_.push_back({s.id, s.identity, report.signalled, monotonic_ms() + grace_ms});
    return true;
}

void SessionService::warn(Session& s, Time end) {
    std::vector<ProcInfo> procs;
    auto targets = terminator_.targets(s.identity, &procs);
    auto ttys = session_ttys(targets, procs, s.tty);
    Time now = clock_.now();
    std::string text = notice_text(s.user, s.service, end, now);
    std::string reached, missed;
    for (const auto& tty : ttys) {
        auto wrote = write_notice(tty, text);
        if (wrote) {
            reached += (reached.empty() ? "" : ",") + tty.path;
        } else {
            missed += (missed.empty() ? "" : "; ") + tty.path + ": " + wrote.error().what + ": " +
                      ::strerror(wrote.error().code);
        }
    }
    if (auto marked = store_.mark_warned(s.id, end); !marked)
        store_failed("cannot record the warning of " + s.id, marked.error());
    s.warned_for = end;
    journal_session(Event::SessionWarned, LOG_INFO, s,
                    "session " + s.id + " of " + s.user + " warned: it ends " +
                        format_relative(end, now) +
                        (ttys.empty()      ? " (no terminal: none of its processes has one)"
                         : reached.empty() ? " (no terminal reached)"
                                           : " (on " + reached + ")") +
                        (missed.empty() ? "" : "; missed " + missed),
                    {{"JIT_NOT_AFTER", format_iso8601(end)}, {"JIT_TTYS", reached}});
}

std::optional<uint64_t> SessionService::next_escalation_ms() const {
    std::optional<uint64_t> next;
    for (const auto& e : escalations_)
        if (!next || e.due_ms < *next) next = e.due_ms;
    return next;
}

void SessionService::escalate(uint64_t now_ms) {
    for (auto it = escalations_.begin(); it != escalations_.end();) {
        if (it->due_ms > now_ms) {
            ++it;
            continue;
        }
        TermReport report = terminator_.finish(it->identity, it->targets);
        if (!report.signalled.empty())
            journal_.record(Event::SessionEnded, LOG_WARNING,
                            "session " + it->session_id + ": " +
                                std::to_string(report.signalled.size()) +
                                " process(es) outlived SIGTERM and were sent SIGKILL",
                            {{"JIT_SESSION_ID", it->session_id},
                             {"JIT_PIDS", pids_of(report.signalled)},
                             {"JIT_SIGNAL", "SIGKILL"}});
        it = escalations_.erase(it);
    }
}

}  // namespace jit::daemon
