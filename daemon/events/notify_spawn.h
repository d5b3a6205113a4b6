// notify_command: each notification runs the configured program directly
// (posix_spawn, no shell) with the event's JSON on its standard input and
// the event name as its only argument, in its own process group.  Nothing
// here waits: the child's exit comes back through the event loop (a child
// event source; SIGCHLD is blocked), and a child still running after the
// timeout is killed with its whole process group.  At most kMaxRunning run
// at once; beyond that a notification is dropped and journaled, never
// queued behind a slow notifier.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include <systemd/sd-event.h>

#include "daemon/base/event_source.h"
#include "daemon/events/journal.h"
#include "daemon/events/notify.h"
#include "jit/failure.h"
#include "jit/result.h"

namespace jit::daemon {

class SpawnNotifier : public Notifier {
public:
    static constexpr size_t kMaxRunning = 16;

    SpawnNotifier(sd_event* event, Journal& journal) : event_(event), journal_(journal) {}
    ~SpawnNotifier() override;
    SpawnNotifier(const SpawnNotifier&) = delete;
    SpawnNotifier& operator=(const SpawnNotifier&) = delete;

    // An empty command turns notifications off.
    void configure(std::string command, int timeout_ms);
    void notify(const std::string& event, const std::string& json) override;
    size_t running() const { return children_.size(); }

private:
    struct Child {
        SpawnNotifier* owner = nullptr;
        pid_t pid = 0;
        std::string event;
        bool killed = false;
        EventSource exit_source;
        EventSource timer;
    };
    static int on_exit(sd_event_source* s, const siginfo_t* si, void* userdata);
    static int on_timeout(sd_event_source* s, uint64_t usec, void* userdata);
    Result<pid_t, Failure> spawn(const std::string& event, const std::string& json);
    void failed(const std::string& event, const std::string& what);

    sd_event* event_;
    Journal& journal_;
    std::string command_;
    int timeout_ms_ = 10000;
    std::map<pid_t, std::unique_ptr<Child>> children_;
};

}  // namespace jit::daemon
