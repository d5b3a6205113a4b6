#include "daemon/events/journal_socket.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

namespace jit::daemon {

std::string native_datagram(const std::vector<std::string>& items) {
    std::string out;
    size_t size = 0;
    for (const auto& item : items) size += item.size() + 10;  // '\n', or '\n' + length + '\n'
    out.reserve(size);
    for (const auto& item : items) {
        size_t eq = item.find('=');
        if (eq == std::string::npos) continue;
        if (item.find('\n', eq) == std::string::npos) {
            out += item;
            out += '\n';
            continue;
        }
        out.append(item, 0, eq);
        out += '\n';
        uint64_t len = item.size() - eq - 1;
        for (int i = 0; i < 8; ++i) out += char((len >> (8 * i)) & 0xff);
        out.append(item, eq + 1, std::string::npos);
        out += '\n';
    }
    return out;
}

static UniqueFd connect_to(const std::string& path) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) return UniqueFd();
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path.c_str(), path.size());
    UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid() || connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return UniqueFd();
    return fd;
}

bool JournalSocket::open(const std::string& path) {
    path_ = path;  // kept even when nobody listens yet: send() tries again
    UniqueFd fd = connect_to(path);
    if (!fd.valid()) return false;
    fd_ = std::move(fd);
    return true;
}

// A connected socket stays tied to the journald that was listening when it
// connected; once that one is gone (journald restarted), connect again.  A
// journald that was not there at open() is reached the same way.
bool JournalSocket::reconnect() {
    UniqueFd fd = connect_to(path_);
    if (!fd.valid()) return false;
    if (io_ && sd_event_source_set_io_fd(io_.get(), fd.get()) < 0) return false;
    fd_ = std::move(fd);
    if (!io_ && event_) watch(event_);
    return true;
}

void JournalSocket::attach(sd_event* event) {
    event_ = event;
    if (fd_.valid()) watch(event);
}

void JournalSocket::watch(sd_event* event) {
    sd_event_source* s = nullptr;
    if (sd_event_add_io(event, &s, fd_.get(), EPOLLOUT, on_writable, this) < 0) return;
    io_.reset(s);
    sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

JournalSocket::Outcome JournalSocket::try_send(const std::vector<std::string>& items, int flags) {
    std::string datagram = native_datagram(items);
    bool reconnected = false;
    for (;;) {
        if (::send(fd_.get(), datagram.data(), datagram.size(), flags | MSG_NOSIGNAL) >= 0)
            return Outcome::Sent;
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return Outcome::WouldBlock;
        if ((errno == ECONNREFUSED || errno == ENOTCONN || errno == ECONNRESET) && !reconnected) {
            reconnected = true;
            if (reconnect()) continue;
            return Outcome::Refused;
        }
        // Too big for one datagram: sd-journal passes it in a memfd.
        if (errno == EMSGSIZE || errno == ENOBUFS) {
            std::vector<iovec> iov;
            for (const auto& s : items) iov.push_back({const_cast<char*>(s.data()), s.size()});
            return sd_journal_sendv(iov.data(), int(iov.size())) >= 0 ? Outcome::Sent
                                                                      : Outcome::Refused;
        }
        return Outcome::Refused;
    }
}

// The stalled case: wait for journald, up to the deadline.
bool JournalSocket::send_blocking(const std::vector<std::string>& items) {
    for (;;) {
        Outcome o = try_send(items, MSG_DONTWAIT);
        if (o != Outcome::WouldBlock) return o == Outcome::Sent;
        pollfd p{fd_.get(), POLLOUT, 0};
        int r = poll(&p, 1, kBlockingDeadlineMs);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
    }
}

// Not discarded in silence: the entry's message goes to stderr (which
// systemd also hands to the journal, through another door).
static void report_unsent(const std::vector<std::string>& items) {
    for (const auto& item : items)
        if (item.rfind("MESSAGE=", 0) == 0)
            fprintf(stderr, "jitd: journald did not take this entry in time: %s\n",
                    item.c_str() + 8);
}

bool JournalSocket::send(std::vector<std::string> items) {
    // Attached with nobody listening yet (jitd started before journald):
    // connect now, so the entry goes the loop's way, never blocking.
    if (!fd_.valid() && (!event_ || !reconnect())) return false;
    if (!io_) return send_blocking(items);  // no loop to flush a queue: before attach()
    const bool stream = follows_closely();
    bool stalled = false;
    if (queue_.empty() && !held_ && !stream) {
        Outcome o = try_send(items, MSG_DONTWAIT);
        if (o == Outcome::Sent) return true;
        if (o == Outcome::Refused) return false;
        stalled = true;
    }
    if (queue_.size() >= kMaxQueued) {
        // Full: what journald can take now goes; if it takes nothing, the
        // oldest goes to stderr rather than hold the loop (and every answer
        // behind it) for journald.
        flush_some();
        if (queue_.size() >= kMaxQueued) {
            report_unsent(queue_.front());
            queue_.pop_front();
        }
    }
    queue_.push_back(std::move(items));
    if (!held_) send_later(stalled);
    return true;
}

// A stream is told by the gap to the entry before, not by a rate: the
// first entry after a quiet spell goes at once, whatever came before it.
bool JournalSocket::follows_closely() {
    uint64_t now = 0;
    if (clock_)
        now = clock_();
    else if (sd_event_now(event_, CLOCK_MONOTONIC, &now) < 0)
        now = 0;
    in_stream_ =
        last_entry_usec_ != 0 && now >= last_entry_usec_ && now - last_entry_usec_ < kStreamGapUsec;
    last_entry_usec_ = now;
    return in_stream_;
}

// What waits goes when journald's socket is writable again if it was full,
// gathered while a stream lasts, and otherwise now.
void JournalSocket::send_later(bool stalled) {
    if (queue_.empty()) return;
    if (stalled || awaiting_writable_) return watch_writable(true);
    if (in_stream_ && queue_.size() < kGatherMax) return gather();
    flush();
}

// The deadline is set by the first entry gathered: a stream that never ends
// still reaches journald every kGatherUsec.
void JournalSocket::gather() {
    int enabled = SD_EVENT_OFF;
    if (gather_timer_ && sd_event_source_get_enabled(gather_timer_.get(), &enabled) >= 0 &&
        enabled != SD_EVENT_OFF)
        return;
    uint64_t now = 0;
    int r = sd_event_now(event_, CLOCK_MONOTONIC, &now);
    if (r >= 0 && !gather_timer_) {
        sd_event_source* s = nullptr;
        r = sd_event_add_time(event_, &s, CLOCK_MONOTONIC, now + kGatherUsec, 1, on_gathered, this);
        if (r >= 0) gather_timer_.reset(s);
    } else if (r >= 0) {
        r = sd_event_source_set_time(gather_timer_.get(), now + kGatherUsec);
        if (r >= 0) r = sd_event_source_set_enabled(gather_timer_.get(), SD_EVENT_ONESHOT);
    }
    if (r < 0) flush();  // no timer: nothing may wait on one
}

void JournalSocket::release() {
    if (!held_) return;
    held_ = false;
    send_later(false);
}

// Sends from the front while journald takes them; false once it would block.
bool JournalSocket::flush_some() {
    while (!queue_.empty()) {
        Outcome o = try_send(queue_.front(), MSG_DONTWAIT);
        if (o == Outcome::WouldBlock) return false;
        if (o == Outcome::Refused) report_unsent(queue_.front());
        queue_.pop_front();
    }
    return true;
}

void JournalSocket::flush() {
    watch_writable(!flush_some());
}

// After one deadline passes, the rest go to stderr at once: a stalled
// journald must not hold a stopping jitd for kMaxQueued deadlines.
void JournalSocket::drain() {
    bool stalled = false;
    while (!queue_.empty()) {
        if (stalled || !send_blocking(queue_.front())) {
            stalled = true;
            report_unsent(queue_.front());
        }
        queue_.pop_front();
    }
    watch_writable(false);
}

void JournalSocket::watch_writable(bool on) {
    awaiting_writable_ = on;
    if (io_) sd_event_source_set_enabled(io_.get(), on ? SD_EVENT_ON : SD_EVENT_OFF);
}

int JournalSocket::on_gathered(sd_event_source*, uint64_t, void* userdata) {
    static_cast<JournalSocket*>(userdata)->flush();
    return 0;
}

int JournalSocket::on_writable(sd_event_source*, int, uint32_t, void* userdata) {
    static_cast<JournalSocket*>(userdata)->flush();
    return 0;
}

}  // namespace jit::daemon
