// Test doubles for jitd's session side: a made-up process table, and a
// signaller and logind that record what they were asked to do instead of
// doing it.
#pragma once

#include <errno.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "daemon/sessions/proc.h"
#include "daemon/sessions/terminator.h"

namespace jit::testing {

using daemon::Logind;
using daemon::ProcessSource;
using daemon::ProcInfo;
using daemon::Signaller;
using daemon::Target;

class FakeProcesses : public ProcessSource {
public:
    Result<ProcInfo> process(pid_t pid) const override {
        ++lookups;
        auto it = table.find(pid);
        if (it == table.end()) return make_error(ESRCH, "gone");
        return it->second;
    }
    std::vector<ProcInfo> snapshot(bool) const override {
        std::vector<ProcInfo> out;
        for (const auto& [pid, p] : table) out.push_back(p);
        return out;
    }
    std::string boot_id() const override { return boot; }
    // Keys (the kernel's name for a process) by socket and by pidfd number.
    uint64_t peer_key(int socket) const override {
        return socket_keys.count(socket) ? socket_keys.at(socket) : 0;
    }
    uint64_t pidfd_key(int pidfd) const override {
        return pidfd_keys.count(pidfd) ? pidfd_keys.at(pidfd) : 0;
    }
    void add(pid_t pid, pid_t ppid, pid_t sid, uint64_t start) {
        ProcInfo p;
        p.pid = pid, p.ppid = ppid, p.sid = sid, p.start = start;
        table[pid] = p;
    }
    std::map<pid_t, ProcInfo> table;
    std::string boot = "boot-1";
    std::map<int, uint64_t> socket_keys, pidfd_keys;
    mutable int lookups = 0;  // process() calls: reads of /proc
};

// Records signals and removes the signalled process from the table, as a
// SIGTERM that works would.
class RecordingSignaller : public Signaller {
public:
    explicit RecordingSignaller(FakeProcesses& procs) : procs_(procs) {}
    Result<void> send(const Target& t, int sig) override {
        auto it = procs_.table.find(t.pid);
        if (it == procs_.table.end() || it->second.start != t.start)
            return make_error(ESRCH, "gone");
        sent.push_back({t.pid, sig});
        if (!stubborn) procs_.table.erase(it);
        return success();
    }
    std::vector<std::pair<pid_t, int>> sent;
    bool stubborn = false;

private:
    FakeProcesses& procs_;
};

class FakeLogind : public Logind {
public:
    bool available() const override { return up; }
    Result<void, Failure> terminate(const std::string& id) override {
        terminated.push_back(id);
        if (gone) return Failure(ENOENT, "no such session");
        return {};
    }
    bool up = false;
    bool gone = false;  // the session ended in logind already
    std::vector<std::string> terminated;
};

}  // namespace jit::testing
