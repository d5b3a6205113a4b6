#include "daemon/events/notify_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "jit/escape.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

namespace {

uint64_t monotonic_usec() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

// posix_spawn's attribute and file-action objects, released on every path.
struct SpawnSetup {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    bool ok = false;
    SpawnSetup() {
        ok = posix_spawnattr_init(&attr) == 0;
        if (ok && posix_spawn_file_actions_init(&actions) != 0) {
            posix_spawnattr_destroy(&attr);
            ok = false;
        }
    }
    ~SpawnSetup() {
        if (!ok) return;
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
};

}  // namespace

SpawnNotifier::~SpawnNotifier() {
    // Whatever still runs is killed: a notifier never outlives its bound.
    for (auto& [pid, child] : children_) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
}

void SpawnNotifier::configure(std::string command, int timeout_ms) {
    command_ = std::move(command);
    timeout_ms_ = timeout_ms;
}

void SpawnNotifier::failed(const std::string& event, const std::string& what) {
    journal_.record(
        Event::NotifyFailed, LOG_WARNING,
        "notify_command " + escape_text(command_) + " (" + event + "): " + what,
        {{"JIT_NOTIFY_COMMAND", command_}, {"JIT_NOTIFY_EVENT", event}, {"JIT_REASON", what}});
}

Result<pid_t, Failure> SpawnNotifier::spawn(const std::string& event, const std::string& json) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return Failure(errno, strerror(errno));
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    SpawnSetup s;
    if (!s.ok) return Failure(ENOMEM, "cannot prepare posix_spawn");
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);  // jitd ignores it; the child must not
    posix_spawnattr_setsigmask(&s.attr, &none);
    posix_spawnattr_setsigdefault(&s.attr, &defaults);
    posix_spawnattr_setpgroup(&s.attr, 0);
    posix_spawnattr_setflags(
        &s.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    posix_spawn_file_actions_adddup2(&s.actions, read_end.get(), 0);
    posix_spawn_file_actions_addopen(&s.actions, 1, "/dev/null", O_WRONLY, 0);
    std::string event_env = "JIT_EVENT=" + event;
    char* argv[] = {const_cast<char*>(command_.c_str()), const_cast<char*>(event.c_str()), nullptr};
    char* envp[] = {const_cast<char*>("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                                      "/sbin:/bin"),
                    const_cast<char*>("LC_ALL=C.UTF-8"), event_env.data(), nullptr};
    pid_t pid;
    int rc = posix_spawn(&pid, command_.c_str(), &s.actions, &s.attr, argv, envp);
    if (rc != 0) return Failure(rc, strerror(rc));
    read_end.reset();
    // The JSON fits in the pipe's buffer; if a notifier does not read, it
    // gets what fits and EOF.  Never block.
    fcntl(write_end.get(), F_SETFL, O_NONBLOCK);
    ssize_t n = write(write_end.get(), json.data(), json.size());
    if (n < 0 || size_t(n) != json.size()) failed(event, "the event did not fit in the pipe");
    return pid;
}

void SpawnNotifier::notify(const std::string& event, const std::string& json) {
    if (command_.empty()) return;
    if (children_.size() >= kMaxRunning) {
        failed(event, std::to_string(kMaxRunning) + " notifiers still running; event dropped");
        return;
    }
    auto spawned = spawn(event, json);
    if (!spawned) {
        failed(event, "cannot run: " + spawned.error().message);
        return;
    }
    const pid_t pid = *spawned;
    auto child = std::make_unique<Child>();
    child->owner = this;
    child->pid = pid;
    child->event = event;
    sd_event_source* src = nullptr;
    if (sd_event_add_child(event_, &src, pid, WEXITED, on_exit, child.get()) < 0) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);  // already killed: returns at once
        failed(event, "cannot watch the notifier");
        return;
    }
    child->exit_source.reset(src);
    sd_event_source_set_child_process_own(src, 1);
    uint64_t when = monotonic_usec() + uint64_t(timeout_ms_) * 1000;
    if (sd_event_add_time(event_, &src, CLOCK_MONOTONIC, when, 10000, on_timeout, child.get()) >= 0)
        child->timer.reset(src);
    children_[pid] = std::move(child);
}

int SpawnNotifier::on_timeout(sd_event_source*, uint64_t, void* userdata) {
    auto* child = static_cast<Child*>(userdata);
    child->killed = true;
    kill(-child->pid, SIGKILL);  // the group: a script's own children too
    kill(child->pid, SIGKILL);
    return 0;
}

int SpawnNotifier::on_exit(sd_event_source*, const siginfo_t* si, void* userdata) {
    auto* child = static_cast<Child*>(userdata);
    SpawnNotifier* self = child->owner;
    if (child->killed)
        self->failed(child->event, "killed after notify_timeout (" +
                                       std::to_string(self->timeout_ms_ / 1000) + "s)");
    else if (si->si_code == CLD_EXITED && si->si_status != 0)
        self->failed(child->event, "exited with status " + std::to_string(si->si_status));
    else if (si->si_code != CLD_EXITED)
        self->failed(child->event, "killed by signal " + std::to_string(si->si_status));
    // sd-event reaped the child before calling us; its pid may already be
    // reused, so nothing is signalled after this point.
    self->children_.erase(child->pid);
    return 0;
}

}  // namespace jit::daemon
