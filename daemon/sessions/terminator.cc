#include "daemon/sessions/terminator.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "jit/unique_fd.h"

namespace jit::daemon {

namespace {

constexpr uint64_t kBusTimeoutUsec = 1000000;  // one second for TerminateSession

int pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    return int(syscall(SYS_pidfd_open, pid, 0));
#else
    errno = ENOSYS;
    return -1;
#endif
}

int pidfd_send_signal(int fd, int sig) {
#ifdef SYS_pidfd_send_signal
    return int(syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0));
#else
    errno = ENOSYS;
    return -1;
#endif
}

bool same_process(const ProcessSource& procs, const Target& t) {
    auto now = procs.process(t.pid);
    return now && now->start == t.start;
}

struct BusCloser {
    void operator()(sd_bus* b) const { sd_bus_flush_close_unref(b); }
};

}  // namespace

// The pinned processes that have exited (their pidfd polls readable) are
// dropped: the table holds live sessions' processes only.
void SystemSignaller::pin(const Target& t, std::shared_ptr<UniqueFd> pidfd) {
    for (auto it = pins_.begin(); it != pins_.end();) {
        pollfd p{it->second->get(), POLLIN, 0};
        it = ::poll(&p, 1, 0) != 0 ? pins_.erase(it) : std::next(it);
    }
    if (pidfd && pidfd->valid()) pins_[{t.pid, t.start}] = std::move(pidfd);
}

Result<void> SystemSignaller::send(const Target& t, int sig) {
    if (t.pid <= 1) return make_error(EINVAL, "refusing to signal pid 0 or 1");
    if (auto pinned = pins_.find({t.pid, t.start}); pinned != pins_.end()) {
        if (pidfd_send_signal(pinned->second->get(), sig) == 0) return success();
        return make_error(errno, "cannot signal the pinned process");
    }
    UniqueFd pidfd(pidfd_open(t.pid));
    if (!pidfd.valid() && errno != ENOSYS)
        return make_error(errno == ESRCH ? ESRCH : errno, "pidfd_open failed");
    if (!same_process(procs_, t)) return make_error(ESRCH, "the pid names another process now");
    int r = pidfd.valid() ? pidfd_send_signal(pidfd.get(), sig) : ::kill(t.pid, sig);
    if (r != 0) return make_error(errno, "cannot signal the process");
    return success();
}

bool SystemLogind::available() const {
    return sd_booted() > 0 && access("/run/systemd/seats/", F_OK) == 0;
}

Result<void, Failure> SystemLogind::terminate(const std::string& session_id) {
    sd_bus* raw = nullptr;
    int r = sd_bus_open_system(&raw);
    std::unique_ptr<sd_bus, BusCloser> bus(raw);
    if (r < 0) return Failure(-r, std::string("cannot connect to the system bus: ") + strerror(-r));
    sd_bus_set_method_call_timeout(bus.get(), kBusTimeoutUsec);
    sd_bus_error error = SD_BUS_ERROR_NULL;
    r = sd_bus_call_method(bus.get(), "org.freedesktop.login1", "/org/freedesktop/login1",
                           "org.freedesktop.login1.Manager", "TerminateSession", &error, nullptr,
                           "s", session_id.c_str());
    if (r < 0) {
        const std::string said = error.message ? error.message : strerror(-r);
        bool gone = sd_bus_error_has_name(&error, "org.freedesktop.login1.NoSuchSession");
        sd_bus_error_free(&error);
        return Failure(gone ? ENOENT : -r, said);
    }
    sd_bus_error_free(&error);
    return {};
}

std::vector<Target> Terminator::targets(const SessionIdentity& id,
                                        std::vector<ProcInfo>* procs) const {
    *procs = procs_.snapshot(!id.logind_session.empty());
    return select_targets(id, *procs, self_);
}

bool Terminator::pin(const Target& leader, std::shared_ptr<UniqueFd> peer_pidfd) {
    if (!peer_pidfd || !peer_pidfd->valid()) {
        // Opened first, checked second: the pidfd names the process whose
        // start time was then confirmed.
        peer_pidfd = std::make_shared<UniqueFd>(pidfd_open(leader.pid));
        if (!peer_pidfd->valid() || !same_process(procs_, leader)) return false;
    }
    signaller_.pin(leader, std::move(peer_pidfd));
    return true;
}

TermReport Terminator::begin(const SessionIdentity& id) {
    TermReport report;
    // Select before anything is signalled: once the leader dies its children
    // are reparented and no longer look like its descendants.
    std::vector<ProcInfo> procs;
    auto found = targets(id, &procs);
    if (!id.logind_session.empty() && logind_.available()) {
        report.logind_tried = true;
        auto ended = logind_.terminate(id.logind_session);
        report.logind_ok = ended.ok();
        report.logind_gone = !ended.ok() && ended.error().code == ENOENT;
        if (!ended) report.logind_error = ended.error().message;
    }
    for (const auto& t : found)
        if (signaller_.send(t, SIGTERM)) report.signalled.push_back(t);
    return report;
}

TermReport Terminator::finish(const SessionIdentity& id, const std::vector<Target>& remembered) {
    TermReport report;
    std::vector<ProcInfo> procs;
    auto found = targets(id, &procs);
    for (const auto& t : remembered)
        if (std::find(found.begin(), found.end(), t) == found.end()) found.push_back(t);
    for (const auto& t : found)
        if (signaller_.send(t, SIGKILL)) report.signalled.push_back(t);
    return report;
}

}  // namespace jit::daemon
