// jit-fleet's own Unix socket, where jitctl --fleet asks for fleet requests,
// approvals, revocations and the list (FLEET_ADMIN_REQUEST in protocol.h).
// The caller is named by the kernel (SO_PEERCRED), never by what it sends:
// a uid that a [person NAME] of fleet.conf lists acts as that person, with
// that person's `may`; root acts for the host itself ("root"), and only root
// may name someone else with --as (journaled).  Anyone else is refused.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <string>
#include <vector>

#include "fleet/fleet.h"
#include "jit/unique_fd.h"

namespace jit::fleet {

using FleetOperationFn = Result<Lines, Failure> (*)(const Options&, const FleetConfig&,
                                                    const Actor&, const std::vector<std::string>&);

// One row of the dispatch table: an operation and what it needs.
struct FleetOperation {
    const char* op;
    unsigned needs;  // Permission bits a person must hold; 0: any person
    FleetOperationFn run;
};

// What admit() decided for one call.
struct Admitted {
    const FleetOperation* operation = nullptr;
    Actor actor;
    std::vector<std::string> args;  // --as removed
    std::string as_note;            // non-empty: root named someone with --as
};

// Pure: who the caller is and whether they may do op.  user_name is the
// caller's account name (empty when it has none).  EPERM for a caller no
// [person] names, an operation their `may` lacks, or --as from anyone but
// root; EINVAL for an unknown operation.
Result<Admitted, Failure> admit(const FleetConfig& c, uid_t uid, const std::string& user_name,
                                const std::string& op, std::vector<std::string> args);

class AdminSocket {
public:
    // Binds path (mode 0666: who may act is decided per call), replacing a
    // stale socket left by an earlier run; never anything that is not a socket.
    static Result<AdminSocket, Failure> open(const std::string& path);
    // Serves one connection at a time until stop is set (checked every
    // 250 ms).  Each exchange has a 2 s deadline to read the request.
    void serve(const Options& o, const FleetConfig& c, const std::atomic<bool>& stop);
    ~AdminSocket();
    AdminSocket(AdminSocket&&) = default;

private:
    AdminSocket(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
    void answer(int fd, const Options& o, const FleetConfig& c);
    UniqueFd fd_;
    std::string path_;
};

}  // namespace jit::fleet
