// The listening socket and its connections, on sd-event.  One connection
// carries one request and one reply; each has a deadline, and the number
// open at once is capped, so a slow or hostile client cannot stall jitd.
#pragma once

#include <stddef.h>

#include <memory>
#include <unordered_map>

#include <systemd/sd-event.h>

#include "daemon/server/dispatch.h"
#include "daemon/base/event_source.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

class Server {
public:
    struct Options {
        int timeout_ms = 5000;
        size_t max_connections = 256;
    };

    Server(sd_event* event, UniqueFd listener, Dispatcher& dispatcher, JitService& service,
           Options options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    Result<void> start();
    void set_timeout_ms(int timeout_ms) { options_.timeout_ms = timeout_ms; }
    size_t open_connections() const { return connections_.size(); }

private:
    struct Connection;
    static int on_listener(sd_event_source* s, int fd, uint32_t revents, void* userdata);
    static int on_io(sd_event_source* s, int fd, uint32_t revents, void* userdata);
    static int on_deadline(sd_event_source* s, uint64_t usec, void* userdata);

    void accept_all();
    void add_connection(UniqueFd fd);
    bool read_some(Connection& c);
    void answer(Connection& c);
    bool write_some(Connection& c);
    void reply_lost(const Connection& c, const std::string& why);
    void close_connection(Connection* c);

    sd_event* event_;
    UniqueFd listener_;
    Dispatcher& dispatcher_;
    JitService& service_;
    Options options_;
    EventSource listener_source_;
    std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
};

}  // namespace jit::daemon
