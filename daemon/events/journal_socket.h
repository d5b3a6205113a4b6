// Journal entries to journald's socket without ever blocking the event loop.
// An entry on its own goes out at once when journald's socket takes it
// (MSG_DONTWAIT).  Entries that follow each other closely (a stream: less
// than kStreamGapUsec apart by the loop's clock) are gathered instead and
// go together, at most kGatherUsec after the first of them or as soon as
// kGatherMax wait: journald then wakes once for a few dozen entries rather
// than once for each, which is most of what journaling costs on a busy host.
// When journald falls behind, entries wait in a bounded queue, in order,
// and go out as soon as the socket is writable again.  No entry is dropped
// in silence: if the queue is full and journald still takes nothing, the
// oldest entry is written to stderr, at once, to make room (the loop never
// waits for journald while it runs; only drain() at shutdown does, with a
// deadline).  A journald that restarted is connected to again at the next
// entry.  Between hold() and release() entries are only queued: jitd sends
// an answer first and its journal entries right after.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include <systemd/sd-event.h>

#include "daemon/base/event_source.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

class JournalSocket {
public:
    static constexpr size_t kMaxQueued = 4096;
    static constexpr int kBlockingDeadlineMs = 5000;
    static constexpr uint64_t kStreamGapUsec = 200;
    static constexpr uint64_t kGatherUsec = 1000;
    static constexpr size_t kGatherMax = 64;
    // Monotonic microseconds; by default the event loop's clock (no system
    // call).  Tests pass their own to place entries in time.
    using Clock = std::function<uint64_t()>;

    explicit JournalSocket(Clock clock = {}) : clock_(std::move(clock)) {}

    // Connects to journald's native socket; false if there is none yet.
    bool open(const std::string& path = "/run/systemd/journal/socket");
    // Watches the socket on event for writability while entries wait.  If
    // open() found no journald, each send() tries to connect again, so one
    // that starts later is reached without a blocking send.
    void attach(sd_event* event);
    // Sends or queues one entry ("KEY=value" items).  False when journald's
    // socket refused it for good (the caller reports it elsewhere).
    bool send(std::vector<std::string> items);
    // Sends what waits, blocking up to the deadline per entry (at shutdown).
    void drain();
    // Entries sent from here on wait (in order, bounded as above) until
    // release(), which sends them as send() would have.
    void hold() { held_ = io_ != nullptr; }
    void release();
    size_t queued() const { return queue_.size(); }
    bool is_attached() const { return event_ != nullptr; }

private:
    enum class Outcome { Sent, WouldBlock, Refused };
    Outcome try_send(const std::vector<std::string>& items, int flags);
    bool send_blocking(const std::vector<std::string>& items);
    bool reconnect();
    void watch(sd_event* event);
    bool follows_closely();
    void send_later(bool stalled);
    void gather();
    void flush();
    bool flush_some();
    void watch_writable(bool on);
    static int on_writable(sd_event_source* s, int fd, uint32_t revents, void* userdata);
    static int on_gathered(sd_event_source* s, uint64_t usec, void* userdata);

    std::string path_;
    UniqueFd fd_;
    std::deque<std::vector<std::string>> queue_;
    EventSource io_;
    EventSource gather_timer_;
    sd_event* event_ = nullptr;  // set by attach()
    Clock clock_;
    uint64_t last_entry_usec_ = 0;
    bool in_stream_ = false;          // the last entry followed its predecessor closely
    bool awaiting_writable_ = false;  // journald took nothing last time: wait for it
    bool held_ = false;
};

// journald's native protocol: KEY=value lines, or KEY, a little-endian
// 64-bit length and the bytes for a value holding a newline.
std::string native_datagram(const std::vector<std::string>& items);

}  // namespace jit::daemon
