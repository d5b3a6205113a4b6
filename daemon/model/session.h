// A live (or once live) PAM session and what identifies its processes.
// Plain data shared by the pure session logic, the store, jitd and jit-sweep.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <optional>
#include <string>

#include "daemon/model/grant.h"
#include "jit/values.h"

namespace jit::daemon {

using proto::SessionState;

// What tells the session's processes apart from every other process, read
// from /proc when the session opened.  Start times are in clock ticks since
// boot (field 22 of /proc/PID/stat): a pid with another start time is another
// process, so a reused pid is never signalled.
struct SessionIdentity {
    pid_t pid = 0;           // the process that ran the PAM stack (sshd [priv], sudo)
    uint64_t pid_start = 0;  // its start time
    pid_t sid = 0;           // its session id (getsid); used only when sid == pid
    // The audit session id, only when this session's own stack assigned it
    // (pam_loginuid ran and it differs from the parent's); otherwise absent,
    // because an inherited one would name the caller's whole login.
    std::optional<uint32_t> audit_session;
    // logind's session id, only when pam_systemd created it in this stack
    // (from the PAM environment, never the process environment).
    std::string logind_session;
    std::string boot_id;  // /proc/sys/kernel/random/boot_id at open
};

struct Session {
    std::string id;           // "s-" + 8 characters
    std::string user;         // the managed account it was admitted for
    std::string service;      // PAM service
    std::string grant_id;     // the grant that covers it now (empty when refused)
    std::string admitted_by;  // the grant that admitted it (until-session-end)
    std::string rhost, tty, ruser;
    SessionIdentity identity;
    Time opened = 0;
    SessionState state = SessionState::Open;
    std::optional<Time> ended_at;
    std::string end_reason;
    std::optional<Time> warned_for;  // the end time it was last warned about
};

}  // namespace jit::daemon
