// Audit events to journald: one structured entry per decision, grant,
// revocation and expiry.  Field values are passed to journald length-prefixed
// (sd_journal_sendv), so no user text can start a new field; the readable
// MESSAGE is built from escaped text by the caller.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <systemd/sd-event.h>

#include "daemon/events/journal_socket.h"

namespace jit::daemon {

enum class Event {
    Decision,  // a check was answered
    GrantCreated,
    GrantRevoked,
    GrantExpired,
    DaemonStarted,
    DaemonStopping,
    ConfigReloaded,
    ConfigRejected,  // reload failed; the old configuration stays
    ConfigWarning,   // the configuration applies, but part of it cannot take effect
    RequestRefused,  // a client was refused (permission, malformed frame)
    StoreFailed,     // a state write failed; the operation was not acknowledged
    SessionOpened,   // a PAM session was admitted and recorded
    SessionClosed,   // pam_close_session reported its end
    SessionRefused,  // a session open was refused; what it started is ended
    SessionEnded,    // no grant covers a session any more: jitd ended it
    SessionKept,     // its grant ended but another grant covers it
    SessionWarned,   // a notice of the coming end was written to its terminal
    SessionGone,     // recorded in an earlier boot: nothing left to end
    SweepEnded,      // jit-sweep ended a session jitd had not
    AccountAdded,    // an NSS account was declared (jitctl or jitd.conf)
    AccountRemoved,
    JitGroupCreated,    // a jit group got its gid
    NssSnapshotFailed,  // the NSS snapshot could not be written; retried
    // Policy, requests and approvals.
    RequestCreated,    // a request is pending (or was approved at once: see RequestApproved)
    RequestApproval,   // one approver said yes; more are needed
    RequestApproved,   // approved (by policy or by the last approver); a grant exists
    RequestDenied,     // denied by policy at once, or by an approver
    RequestExpired,    // nobody decided within pending_ttl
    RequestCancelled,  // by the requester or an administrator
    PolicyLoaded,      // the policy in force (at start and after a reload)
    PolicyRejected,    // a policy reload failed; the old policy stays
    PolicyReadable,    // a policy directory or file other users can read
    NotifyFailed,      // notify_command could not run, failed or was killed
    ReplyLost,         // a decision was made but its caller had gone before the reply
    ClockBehind,       // the system clock is behind the clock floor: grants end early
    ClockFloorReset,   // an administrator lowered the clock floor (jitd --reset-clock-floor)
    StateRepaired,     // opening the state fixed or accepted something (modes, recovery)
    // The audit log (jitd.conf audit = on).
    AuditCheckpoint,  // a signed checkpoint: tree size, root hash, the signed note
    AuditFailed,      // the audit log cannot be written (answers denied or allowed loudly)
    AuditRecovered,   // the audit log is written again after a failure
    AuditSealed,      // old records moved from jit.db into a sealed segment file
    AuditRemoved,     // the oldest sealed segment removed (audit_max_disk): history starts later
    AuditSegmentRecovered,  // at start: a segment file a crash left half done was removed
    AuditSegmentMissing,    // at start: a segment file jit.db lists is not on the host
    CommandExited,          // a sudo command jit_sudo.so approved ended (its audit plugin said how)
    FleetStale,  // a check refused a fleet grant: jit-fleet's word ran out (once per episode)
    FleetFresh,  // jit-fleet vouches for fleet grants again
    // Workload identity (jit-identity(5)).
    IdentityLoaded,    // identity.d and the issuers' key sets in force (start, reload)
    IdentityRejected,  // identity.d or a key file could not be read; what was kept
};

// The MESSAGE_ID of each event (stable; the journal catalog documents them).
const char* message_id(Event event);
// The JIT_EVENT value of each event ("decision", "grant", ...).
const char* event_name(Event event);

using Fields = std::vector<std::pair<std::string, std::string>>;  // JIT_USER=..., ...

// One entry, built before it is recorded: a state change carries its entries
// in its store transaction (StoreTx::audit), so the audit log records them
// in the same commit and the journal after it.
struct JournalEntry {
    Event event;
    int priority;  // a syslog level
    std::string message;
    Fields fields;
};

class Journal {
public:
    virtual ~Journal() = default;
    // priority is a syslog level (LOG_INFO, LOG_NOTICE, LOG_WARNING, ...).
    virtual void record(Event event, int priority, const std::string& message,
                        const Fields& fields) = 0;
    void record_entry(const JournalEntry& e) { record(e.event, e.priority, e.message, e.fields); }
    // Entries recorded between hold() and release() may be sent at
    // release(), in order: the server answers first and journals right
    // after, so a decision's answer does not wait for journald's socket.
    virtual void hold() {}
    virtual void release() {}
};

// Writes to journald and, when stderr is a terminal or a file rather than the
// journal itself, also one line per event to stderr.
// Until attach(), each entry is sent blocking (sd_journal_sendv); after it,
// through a JournalSocket that never blocks the loop (see journal_socket.h),
// also when journald was not there yet at attach().
class SystemJournal : public Journal {
public:
    explicit SystemJournal(const char* identifier = "jitd");
    ~SystemJournal() override;
    void record(Event event, int priority, const std::string& message,
                const Fields& fields) override;
    // From here on, entries journald cannot take at once wait on event.
    void attach(sd_event* event);
    // Sends every waiting entry (blocking, with a deadline each).
    void drain() { socket_.drain(); }
    void hold() override;
    void release() override;
    size_t queued() const { return socket_.queued(); }

private:
    const char* identifier_;
    bool mirror_to_stderr_;
    bool held_ = false;
    std::vector<std::string> held_lines_;  // stderr mirror lines, written at release()
    JournalSocket socket_;
};

}  // namespace jit::daemon
