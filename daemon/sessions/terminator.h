// Ending a session's processes: through logind where it runs, and by
// signals to exactly the processes session_scope selects (SIGTERM, then
// SIGKILL after a grace period).  Shared by jitd and jit-sweep; the parts
// that touch the system sit behind interfaces so unit tests can watch what
// would be signalled.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "daemon/sessions/proc.h"
#include "daemon/sessions/session_scope.h"
#include "jit/failure.h"
#include "jit/result.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

class Signaller {
public:
    virtual ~Signaller() = default;
    // Signals the target only if its pid still has the recorded start time.
    // ESRCH when it is gone or the pid now names another process.
    virtual Result<void> send(const Target& target, int sig) = 0;
    // Keeps a pidfd for the target (a session's PAM process): signals to it
    // then go through that pidfd, which cannot name another process.
    virtual void pin(const Target& target, std::shared_ptr<UniqueFd> pidfd) {
        (void)target;
        (void)pidfd;
    }
};

// A pinned target (a pidfd held since the session opened) is signalled
// through its pidfd: the strong path.  Any other target: pidfd_open, then
// the start-time check in /proc, then pidfd_send_signal, so a pid reused in
// between cannot be hit (the weaker path, also taken for sessions recorded
// before a restart, whose pidfds did not survive it).  Falls back to kill()
// on kernels without pidfds.
class SystemSignaller : public Signaller {
public:
    explicit SystemSignaller(const ProcessSource& procs) : procs_(procs) {}
    Result<void> send(const Target& target, int sig) override;
    void pin(const Target& target, std::shared_ptr<UniqueFd> pidfd) override;
    size_t pinned() const { return pins_.size(); }

private:
    const ProcessSource& procs_;
    std::map<std::pair<pid_t, uint64_t>, std::shared_ptr<UniqueFd>> pins_;
};

class Logind {
public:
    virtual ~Logind() = default;
    // True when systemd-logind manages sessions on this host.
    virtual bool available() const = 0;
    // org.freedesktop.login1.Manager.TerminateSession(id), bounded in time.
    // A failure's message says what the bus said; ENOENT: logind knows no
    // such session (it ended already).
    virtual Result<void, Failure> terminate(const std::string& session_id) = 0;
};

// The system bus (sd-bus); available() when booted with systemd and
// /run/systemd/seats exists (logind creates it).
class SystemLogind : public Logind {
public:
    bool available() const override;
    Result<void, Failure> terminate(const std::string& session_id) override;
};

struct TermReport {
    std::vector<Target> signalled;  // processes the signal reached
    bool logind_tried = false;
    bool logind_ok = false;
    bool logind_gone = false;  // logind had no such session left to end
    std::string logind_error;
};

class Terminator {
public:
    Terminator(const ProcessSource& procs, Signaller& signaller, Logind& logind, pid_t self)
        : procs_(procs), signaller_(signaller), logind_(logind), self_(self) {}

    // The first pass: logind's TerminateSession when the session has a
    // logind id and logind runs, and SIGTERM to every selected process.
    TermReport begin(const SessionIdentity& id);
    // The last pass, after the grace period: SIGKILL to the processes the
    // first pass found that still live, and to whatever matches now.
    TermReport finish(const SessionIdentity& id, const std::vector<Target>& remembered);
    // Pins the session's PAM process: with the caller's own pidfd
    // (SO_PEERPIDFD) when given, else pidfd_open checked against the start
    // time.  False when neither works (no pidfds, or the process is gone).
    bool pin(const Target& leader, std::shared_ptr<UniqueFd> peer_pidfd);
    // The processes that belong to the session now (no signal sent).
    std::vector<Target> targets(const SessionIdentity& id, std::vector<ProcInfo>* procs) const;

private:
    const ProcessSource& procs_;
    Signaller& signaller_;
    Logind& logind_;
    pid_t self_;
};

}  // namespace jit::daemon
