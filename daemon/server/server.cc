#include "daemon/server/server.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <vector>

namespace jit::daemon {

struct Server::Connection {
    Server* server = nullptr;
    UniqueFd fd;
    Caller caller;
    std::vector<uint8_t> in;
    size_t received = 0;
    bool header_done = false;
    msg::Frame out;
    size_t sent = 0;
    EventSource io;
    EventSource deadline;
};

namespace {

// What the admin reading the journal knows the request as.
std::string request_label(proto::MsgType type) {
    switch (type) {
        case proto::MsgType::CheckRequest:
            return "a check";
        case proto::MsgType::CommandCheckRequest:
            return "a sudo command check";
        case proto::MsgType::SessionOpenRequest:
            return "a session open";
        case proto::MsgType::SessionCloseRequest:
            return "a session close";
        case proto::MsgType::GrantRequest:
            return "a grant";
        case proto::MsgType::RevokeRequest:
            return "a revoke";
        default:
            return "a request of type " + std::to_string(unsigned(type));
    }
}

Caller caller_of(int fd) {
    Caller c;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
        c.pid = cred.pid;
        c.uid = cred.uid;
        c.gid = cred.gid;
    } else {
        c.uid = uid_t(-1);  // unknown: matches no privilege
        c.gid = gid_t(-1);
        return c;
    }
    std::vector<gid_t> groups(64);
    socklen_t glen = socklen_t(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) != 0 && errno == ERANGE) {
        groups.resize(glen / sizeof(gid_t));
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) != 0) glen = 0;
    }
    groups.resize(glen / sizeof(gid_t));
    c.groups = std::move(groups);
    return c;
}

constexpr int kAcceptBatch = 64;

uint64_t monotonic_usec() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

}  // namespace

Server::Server(sd_event* event, UniqueFd listener, Dispatcher& dispatcher, JitService& service,
               Options options)
    : event_(event),
      listener_(std::move(listener)),
      dispatcher_(dispatcher),
      service_(service),
      options_(options) {}

Server::~Server() {
    connections_.clear();
    listener_source_.reset();
}

Result<void> Server::start() {
    sd_event_source* s = nullptr;
    int r = sd_event_add_io(event_, &s, listener_.get(), EPOLLIN, on_listener, this);
    if (r < 0) return make_error(-r, "cannot watch the listening socket");
    listener_source_.reset(s);
    return success();
}

int Server::on_listener(sd_event_source*, int, uint32_t, void* userdata) {
    static_cast<Server*>(userdata)->accept_all();
    return 0;
}

void Server::accept_all() {
    // Bounded: connections are answered as they are accepted, and a steady
    // stream of them must not keep timers (expiry) and signals waiting.  The
    // listener stays readable, so the loop comes back for the rest.
    for (int n = 0; n < kAcceptBatch; ++n) {
        int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return;  // EAGAIN, or EMFILE and friends: try again on the next wakeup
        }
        UniqueFd conn(fd);
        // Over the cap the newcomer is closed at once: existing clients finish.
        if (connections_.size() >= options_.max_connections) continue;
        add_connection(std::move(conn));
    }
}

void Server::add_connection(UniqueFd fd) {
    auto c = std::make_unique<Connection>();
    c->server = this;
    c->caller = caller_of(fd.get());
    c->in.resize(proto::kHeaderSize);
    c->fd = std::move(fd);
    // The request usually arrives with the connection: answer it at once,
    // and watch the connection (and arm its deadline) only when it has to
    // wait for the rest of the request or for room to send the reply.
    if (!read_some(*c)) return;                      // gone, or nothing to say
    if (!c->out.empty() && !write_some(*c)) return;  // answered
    sd_event_source* io = nullptr;
    sd_event_source* timer = nullptr;
    const uint32_t events = c->out.empty() ? EPOLLIN : EPOLLOUT;
    if (sd_event_add_io(event_, &io, c->fd.get(), events, on_io, c.get()) < 0) return;
    c->io.reset(io);
    uint64_t when = monotonic_usec() + uint64_t(options_.timeout_ms) * 1000;
    if (sd_event_add_time(event_, &timer, CLOCK_MONOTONIC, when, 10000, on_deadline, c.get()) < 0)
        return;
    c->deadline.reset(timer);
    Connection* key = c.get();
    connections_.emplace(key, std::move(c));
}

int Server::on_deadline(sd_event_source*, uint64_t, void* userdata) {
    auto* c = static_cast<Connection*>(userdata);
    if (!c->out.empty() && c->sent < c->out.size())
        c->server->reply_lost(*c, "the caller did not read it before the deadline");
    c->server->close_connection(c);
    return 0;
}

int Server::on_io(sd_event_source*, int, uint32_t revents, void* userdata) {
    auto* c = static_cast<Connection*>(userdata);
    Server* self = c->server;
    if (c->out.empty()) {
        if (!self->read_some(*c)) {
            self->close_connection(c);
            return 0;
        }
        if (c->out.empty()) return 0;  // need more bytes
    } else if (!(revents & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        return 0;
    }
    if (!self->write_some(*c)) self->close_connection(c);
    return 0;
}

// Reads what is available.  False when the connection should be dropped.
bool Server::read_some(Connection& c) {
    for (;;) {
        ssize_t n = recv(c.fd.get(), c.in.data() + c.received, c.in.size() - c.received, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return true;
        if (n <= 0) return false;  // error, or the client left before finishing
        c.received += size_t(n);
        if (c.received < c.in.size()) continue;
        if (!c.header_done) {
            auto header = wire::parse_header(c.in.data(), proto::kHeaderSize);
            if (!header) {
                service_.refused(c.caller, std::string("malformed frame: ") + header.error().what);
                c.out = Dispatcher::protocol_error(0, header.error());
                return true;
            }
            c.header_done = true;
            c.in.resize(proto::kHeaderSize + header->body_len);  // bounded by kMaxBody
            if (c.received < c.in.size()) continue;
        }
        answer(c);
        return true;
    }
}

void Server::answer(Connection& c) {
    auto request = wire::decode_frame(c.in.data(), c.in.size());
    if (!request) {
        auto header = wire::parse_header(c.in.data(), proto::kHeaderSize);
        service_.refused(c.caller, std::string("malformed frame: ") + request.error().what);
        c.out = Dispatcher::protocol_error(header ? header->request_id : 0, request.error());
        return;
    }
    c.out = dispatcher_.handle(c.caller, *request);
}

// Writes what the socket takes.  False when done or failed.
bool Server::write_some(Connection& c) {
    while (c.sent < c.out.size()) {
        ssize_t n = send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            if (c.io) sd_event_source_set_io_events(c.io.get(), EPOLLOUT);
            return true;  // not yet watched: add_connection watches for EPOLLOUT
        }
        if (n <= 0) {
            reply_lost(c, n < 0 ? strerror(errno) : "nothing was written");
            return false;
        }
        c.sent += size_t(n);
    }
    return false;  // reply complete: close
}

// A decision was journaled for this request; say that it never arrived.
void Server::reply_lost(const Connection& c, const std::string& why) {
    auto header = wire::parse_header(c.in.data(), proto::kHeaderSize);
    std::string what = header ? request_label(header->type) + " (request " +
                                    std::to_string(header->request_id) + ")"
                              : std::string("a malformed request");
    service_.reply_lost(c.caller, what, why);
}

void Server::close_connection(Connection* c) {
    connections_.erase(c);
}

}  // namespace jit::daemon
