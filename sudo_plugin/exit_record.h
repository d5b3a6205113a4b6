// The audit half of jit_sudo.so: what the approval half allowed, held until
// sudo closes, and the COMMAND_EXIT_REQUEST that tells jitd how it ended.
// An audit record, not a decision: nothing here can refuse or hold up the
// command, and a record jitd does not get is only a warning on stderr.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "command.h"
#include "jit/guest_args.h"
#include "jit/protocol.h"
#include "jit/result.h"

namespace jit::sudo {

// One approved command, copied out of sudo's vectors (they need not live
// until close).  Zero-initialised: armed is false until approve() allows.
struct ExitRecord {
    bool armed;  // jitd allowed a command under a grant
    bool ran;    // sudo's front end accepted it: it is being run
    char user[proto::kMaxString + 1];
    char command[proto::kMaxString + 1];
    char runas_user[proto::kMaxString + 1];
    char runas_group[proto::kMaxString + 1];
    char grant_id[64];
    char args[proto::kMaxFrame];  // argv[1..], each NUL-terminated
    size_t args_len;
};

// How sudo says the command ended (sudo_plugin(5), the audit close()).
struct Ending {
    int status_type;  // SUDO_PLUGIN_WAIT_STATUS, _EXEC_ERROR, ...
    int status;       // a wait(2) status or an errno
};

// Copies what jitd allowed into *rec; a command line too long to hold
// leaves it unarmed (no record rather than a wrong one).
void arm(ExitRecord* rec, const CommandInput& in, const char* grant_id);

// Encodes the COMMAND_EXIT_REQUEST.  EINVAL when there is nothing to say:
// not armed or not run, or no status (SUDO_PLUGIN_NO_STATUS).
Result<size_t> encode_command_exit(const ExitRecord& rec, Ending how, uint8_t* buf, size_t cap);

// Sends it within the arguments' one deadline and reads jitd's empty reply.
Result<void> send_command_exit(const guest::ModuleArgs& args, const ExitRecord& rec, Ending how);

}  // namespace jit::sudo
