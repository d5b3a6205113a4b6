#include "daemon/server/server.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "daemon/base/crash_point.h"
#include "daemon/server/server_parts.h"

namespace jit::daemon {

using server_parts::JournalAfterAnswer;
#ifdef JIT_CRASH_POINTS
using server_parts::crash_context;
#endif

namespace {

// What the admin reading the journal knows the request as.
std::string request_label(proto::MsgType type) {
    switch (type) {
        case proto::MsgType::CheckRequest:
            return "a check";
        case proto::MsgType::CommandCheckRequest:
            return "a sudo command check";
        case proto::MsgType::CommandExitRequest:
            return "a sudo command's exit";
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

// The first read takes a whole frame of this size or less (a CHECK is well
// under it) in one recvmsg; a longer frame is read on once its header says so.
constexpr size_t kFirstRead = 1024;

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
    }
    return c;
}

// Supplementary groups, read only for a request whose permission or answer
// can depend on them (Dispatcher::needs_groups).  A failed read leaves none:
// a group-based privilege is then simply not granted.
void read_groups(int fd, Caller& c) {
    std::vector<gid_t> groups(64);
    socklen_t glen = socklen_t(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) != 0 && errno == ERANGE) {
        groups.resize(glen / sizeof(gid_t));
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) != 0) glen = 0;
    }
    groups.resize(glen / sizeof(gid_t));
    c.groups = std::move(groups);
}

// SO_PEERPIDFD (Linux 6.5); older headers lack the name.
#ifdef SO_PEERPIDFD
constexpr int kSoPeerPidfd = SO_PEERPIDFD;
#else
constexpr int kSoPeerPidfd = 77;
#endif

// One recvmsg: the bytes and the credentials the kernel attached to them.
// Without credentials (a peer that cannot be vouched for) *from stays at an
// unknown uid, which matches nobody.
ssize_t recv_from(int fd, uint8_t* p, size_t n, Caller* from) {
    iovec iov{p, n};
    union {
        char buf[CMSG_SPACE(sizeof(ucred))];
        cmsghdr align;
    } control;
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.buf;
    m.msg_controllen = sizeof control.buf;
    from->pid = 0;
    from->uid = uid_t(-1);
    from->gid = gid_t(-1);
    // No room is left for descriptors: any passed with SCM_RIGHTS are
    // discarded by the kernel rather than installed here.
    ssize_t r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
    if (r <= 0) return r;
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_CREDENTIALS ||
            c->cmsg_len != CMSG_LEN(sizeof(ucred)))
            continue;
        ucred cred;
        memcpy(&cred, CMSG_DATA(c), sizeof cred);
        from->pid = cred.pid;
        from->uid = cred.uid;
        from->gid = cred.gid;
    }
    return r;
}

uint64_t monotonic_usec() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

}  // namespace

Server::Server(sd_event* event, UniqueFd open_listener, UniqueFd protected_listener,
               Dispatcher& dispatcher, JitService& service, Options options)
    : event_(event),
      dispatcher_(dispatcher),
      service_(service),
      options_(options),
      admission_({options.max_connections, options.max_per_uid}) {
    public_gate_.fd = std::move(open_listener);
    protected_gate_.fd = std::move(protected_listener);
    protected_gate_.door = Door::Protected;
}

Server::~Server() {
    connections_.clear();
    public_gate_.source.reset();
    protected_gate_.source.reset();
}

void Server::set_options(Options options) {
    options_ = options;
    admission_.set_limits({options.max_connections, options.max_per_uid});
}

Result<void> Server::watch(Gate& gate) {
    if (!gate.fd.valid()) return success();
    gate.server = this;
    // Every message carries its sender's credentials (SCM_CREDENTIALS), read
    // per message; a connection made from now on takes the flag with it, and
    // accept_some's drain sees to those made before.
    int one = 1;
    if (setsockopt(gate.fd.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0)
        return make_error(errno, "cannot enable SO_PASSCRED on a listening socket");
    sd_event_source* s = nullptr;
    int r = sd_event_add_io(event_, &s, gate.fd.get(), EPOLLIN, on_listener, &gate);
    if (r < 0) return make_error(-r, "cannot watch a listening socket");
    gate.source.reset(s);
    if (gate.door == Door::Protected) sd_event_source_set_priority(s, SD_EVENT_PRIORITY_IMPORTANT);
    return success();
}

// Below every connection (their requests join the group first), above the
// audit turn (whose records the group's commit writes too).
constexpr int64_t kGroupTurnPriority = SD_EVENT_PRIORITY_NORMAL + 40;

Result<void> Server::start() {
    service_.defer_after_answer(true);  // run by close_connection
    sd_event_source* turn = nullptr;
    int r = sd_event_add_defer(event_, &turn, on_group_turn, this);
    if (r < 0) return make_error(-r, "cannot add the group commit's turn");
    group_turn_.reset(turn);
    sd_event_source_set_priority(turn, kGroupTurnPriority);
    sd_event_source_set_enabled(turn, SD_EVENT_OFF);
    if (auto r = watch(protected_gate_); !r) return r;
    return watch(public_gate_);
}

int Server::on_listener(sd_event_source*, int, uint32_t, void* userdata) {
    auto* gate = static_cast<Gate*>(userdata);
    gate->server->accept_some(*gate);
    return 0;
}

// A bounded batch per wakeup: a flood on the public socket cannot keep the
// loop here while the protected socket (dispatched first) has work.
void Server::accept_some(Gate& gate) {
    // A turn that starts this soon after the last one is part of a stream of
    // clients: none of them waits alone for its answer (close_answered).
    constexpr uint64_t kStreamGapUsec = 200;
    const bool after_a_pause = monotonic_usec() - accept_turn_end_usec_ > kStreamGapUsec;
    int accepted = 0;
    for (int i = 0; i < 64; ++i) {
        int fd = accept4(gate.fd.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            // Emptied once: what was queued before the listener passed
            // credentials is accepted (add_connection).
            if (errno == EAGAIN) gate.drained = true;
            break;  // EAGAIN, or EMFILE and friends: try again on the next wakeup
        }
        close_answered(false);  // before anything else is read
        ++accepted;
        UniqueFd conn(fd);
        Caller caller = caller_of(fd);
        // Over a cap the newcomer is closed at once: existing clients finish.
        if (!admit(gate.door, caller)) continue;
        add_connection(gate.door, std::move(conn), std::move(caller), !gate.drained);
    }
    close_answered(accepted == 1 && after_a_pause);
    accept_turn_end_usec_ = monotonic_usec();
}

bool Server::admit(Door door, const Caller& caller) {
    if (door == Door::Protected) {
        // The socket's mode already keeps others out; this is the second lock.
        if (!service_.may_check(caller)) {
            service_.refused(caller, "connected to the protected socket without being root");
            return false;
        }
        size_t protected_open = connections_.size() - admission_.open();
        if (protected_open < options_.max_protected) return true;
        capped(caller, "the protected socket's connection cap");
        return false;
    }
    switch (admission_.admit(caller.uid)) {
        case Admission::Verdict::Admit:
            return true;
        case Admission::Verdict::OverUid:
            capped(caller, "the per-uid connection cap (max_connections_per_uid)");
            return false;
        case Admission::Verdict::OverTotal:
            capped(caller, "the public socket's connection cap (max_connections)");
            return false;
    }
    return false;
}

void Server::capped(const Caller& caller, const char* which) {
    uint64_t held_back = 0;
    if (!admission_.should_journal(caller.uid, monotonic_usec() / 1000, &held_back)) return;
    std::string more = held_back ? " (" + std::to_string(held_back) +
                                       " more from this uid not journaled since the last entry)"
                                 : "";
    service_.refused(caller, std::string("connection closed at once: uid ") +
                                 std::to_string(caller.uid) + " hit " + which + more);
}

void Server::add_connection(Door door, UniqueFd fd, Caller caller, bool pass_credentials) {
    JournalAfterAnswer journal_after(service_.journal());
    auto c = std::make_unique<Connection>();
    c->server = this;
    c->door = door;
    c->caller = std::move(caller);
    c->caller.socket = fd.get();
    c->in.resize(kFirstRead);
    c->fd = std::move(fd);
    c->accepted_usec = monotonic_usec();
    Connection* key = c.get();
    connections_.emplace(key, std::move(c));
    // Since Linux 6.16 a connection takes its flags at connect(), so one made
    // before the listener had SO_PASSCRED (at start, or queued for a socket
    // systemd passed) would deliver its request without credentials and be
    // refused: until the listener's queue has been emptied once, each gets
    // the flag here.  Every connection made after that has it from the
    // listener (watch() sets it before the first accept).
    int one = 1;
    if (pass_credentials &&
        setsockopt(key->fd.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0)
        return close_connection(key);
    // A client sends its request right behind its connect, so it is usually
    // here already: answer it now, without a round through epoll, and with no
    // event source at all when the answer also goes out at once.  Otherwise
    // (bytes still to come, an answer held for its audit record, a full
    // socket) the connection is watched with its deadlines as before.
    if (!read_some(*key)) return close_connection(key);
    // Woken by the client's connect(), jitd often preempts the client on
    // its own core before it has sent (about half the CHECKs of a paused
    // client, by ftrace).  Waiting through epoll then costs a round of
    // system calls, and the client's send wakes jitd into preempting it
    // again, so all the after-answer work runs before the client sees its
    // answer.  Giving the core back once lets the client send and sleep.
    if (key->received == 0) {
        sched_yield();
        if (!read_some(*key)) return close_connection(key);
    }
    if (key->grouped) {
        if (!queue_for_group(*key)) close_connection(key);
        return;
    }
    if (key->out.empty()) {
        if (!watch_connection(*key)) close_connection(key);
        return;
    }
    // An answer held for its audit record needs no event source: it goes at
    // the end of this turn, and a socket it cannot fill then is watched.
    if (hold_for_nss(*key) || hold_for_audit(*key)) return;
    if (write_some(*key)) return;  // the rest when the socket takes it
    if (key->sent < key->out.size()) return close_connection(key);  // lost
    answered_ = key;  // closed by accept_some (close_answered)
}

// The client woken by its answer waits on this core for what jitd does next
// (a task woken through a Unix socket is placed beside its waker), and what
// follows an answer (its journal entry, the session admission, the close)
// need not go first.  A connection that came alone after a pause, as a
// login's does, gives the core to its client once before that work.  In a
// batch, or in a stream of turns, the work is done before the next
// connection is read, in the order it always was: a yield there hands the
// core to the clients queued behind jitd, and throughput drops (after every
// answer: 64 closed-loop clients went from about 10,000 to 900 CHECKs/s).
void Server::close_answered(bool yield_first) {
    if (!answered_) return;
    if (yield_first) sched_yield();
    close_connection(std::exchange(answered_, nullptr));
}

// Registers the connection's reader and its deadline (frame or exchange).
bool Server::watch_connection(Connection& c) {
    if (c.io) return true;
    sd_event_source* io = nullptr;
    sd_event_source* timer = nullptr;
    if (sd_event_add_io(event_, &io, c.fd.get(), EPOLLIN, on_io, &c) < 0) return false;
    c.io.reset(io);
    const bool frame_in = !c.out.empty() || c.grouped;
    int ms =
        frame_in ? options_.timeout_ms : std::min(options_.frame_timeout_ms, options_.timeout_ms);
    if (sd_event_add_time(event_, &timer, CLOCK_MONOTONIC, c.accepted_usec + uint64_t(ms) * 1000,
                          1000, on_deadline, &c) < 0)
        return false;
    c.deadline.reset(timer);
    if (c.door == Door::Protected) {
        sd_event_source_set_priority(io, SD_EVENT_PRIORITY_IMPORTANT);
        sd_event_source_set_priority(timer, SD_EVENT_PRIORITY_IMPORTANT);
    }
    return true;
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
    JournalAfterAnswer journal_after(self->service_.journal());
    if (c->out.empty()) {
        if (!self->read_some(*c)) {
            self->close_connection(c);
            return 0;
        }
        if (c->grouped) {
            if (!self->queue_for_group(*c)) self->close_connection(c);
            return 0;
        }
        if (c->out.empty()) return 0;  // need more bytes
        if (self->hold_for_nss(*c) || self->hold_for_audit(*c)) return 0;
    } else if (c->held || c->nss_held) {
        return 0;
    } else if (!(revents & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        return 0;
    }
    if (!self->write_some(*c)) self->close_connection(c);
    return 0;
}

// Reads what is available: a frame that is all there takes one recvmsg,
// header and body together (each read still carries its sender's
// credentials).  False when the connection should be dropped.
bool Server::read_some(Connection& c) {
    for (;;) {
        Caller from;
        ssize_t n =
            recv_from(c.fd.get(), c.in.data() + c.received, c.in.size() - c.received, &from);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return true;
        if (n <= 0) return false;  // error, or the client left before finishing
        note_sender(c, from);
        c.received += size_t(n);
        if (!c.header_done) {
            if (c.received < proto::kHeaderSize) continue;
            auto header = wire::parse_header(c.in.data(), proto::kHeaderSize);
            // A length past the limit is not a client to argue with: close.
            if (!header && header.error().code == EMSGSIZE) return false;
            if (!header) {
                service_.refused(c.caller, std::string("malformed frame: ") + header.error().what);
                c.in.resize(proto::kHeaderSize);
                c.out = Dispatcher::protocol_error(0, header.error());
                return true;
            }
            c.header_done = true;
            c.frame_len = proto::kHeaderSize + header->body_len;  // bounded by kMaxBody
            if (c.in.size() < c.frame_len) c.in.resize(c.frame_len);
        }
        if (c.received < c.frame_len) continue;
        // Bytes after the frame are not part of the exchange: ignored, as
        // they were when the frame alone was read.
        c.in.resize(c.frame_len);
        c.received = c.frame_len;
        // The frame is in: the rest of the exchange has the longer deadline.
        if (c.deadline)
            sd_event_source_set_time(c.deadline.get(),
                                     c.accepted_usec + uint64_t(options_.timeout_ms) * 1000);
        if (auto header = wire::parse_header(c.in.data(), proto::kHeaderSize);
            header && Dispatcher::needs_groups(header->type))
            read_groups(c.fd.get(), c.caller);
        const uint64_t before = trail_ ? trail_->enqueued() : 0;
        answer(c);
        note_audit_mark(c, before);
        return true;
    }
}

// The answer waits for the audit records its request added, when it must
// (audit_durability = before-answer): the work deferred until after the
// answer, the decision's journal entry and so its record among it, is done
// now.  Otherwise the records join the log after the answer.
void Server::note_audit_mark(Connection& c, uint64_t enqueued_before) {
    if (!trail_) return;
    if (trail_->config().durability == AuditConfig::Durability::BeforeAnswer)
        service_.run_after_answer();
    if (trail_->enqueued() > enqueued_before) c.audit_mark = trail_->enqueued();
}

// The kernel does not glue bytes from different writers into one read, so
// every read has one sender; a frame must have one too.
void Server::note_sender(Connection& c, const Caller& from) {
    if (!c.sender_known) {
        c.sender = from;
        c.sender_known = true;
    } else if (from.uid != c.sender.uid || from.gid != c.sender.gid || from.pid != c.sender.pid) {
        c.senders_differ = true;
    }
}

// Authority is per message: a descriptor handed to another process (a child
// that dropped privileges, a process it was passed to) carries no more than
// that process's own rights.  A sender other than the connector is refused.
bool Server::sender_is_connector(Connection& c) {
    if (c.senders_differ) {
        service_.refused(c.sender, "one request frame came from more than one writer");
        return false;
    }
    if (c.sender_known && c.sender.uid == c.caller.uid && c.sender.gid == c.caller.gid) return true;
    service_.refused(
        c.sender, "sent on a connection opened by uid " + std::to_string(c.caller.uid) + " (pid " +
                      std::to_string(c.caller.pid) + "): a passed descriptor carries no authority");
    return false;
}

void Server::answer(Connection& c) {
    if (!sender_is_connector(c)) {
        auto header = wire::parse_header(c.in.data(), proto::kHeaderSize);
        c.out = Dispatcher::refusal(header ? header->request_id : 0,
                                    "permission denied: the message was not sent by the process "
                                    "credentials that opened the connection");
        return;
    }
    auto request = wire::decode_frame(c.in.data(), c.in.size());
    if (!request) {
        auto header = wire::parse_header(c.in.data(), proto::kHeaderSize);
        service_.refused(c.caller, std::string("malformed frame: ") + request.error().what);
        c.out = Dispatcher::protocol_error(header ? header->request_id : 0, request.error());
        return;
    }
    JIT_CRASH_CONTEXT(crash_context(request->header.type));
    JIT_CRASH_POINT("received");
    if (group_turn_ && Dispatcher::groupable(*request)) {
        c.grouped = true;  // decided at the end of the turn, with the others
        return;
    }
    answer_request(c, *request);
    JIT_CRASH_POINT("decided");
}

void Server::answer_request(Connection& c, const wire::MessageView& request) {
    // A request that changed what the NSS snapshot shows is answered once the
    // snapshot shows it (jitd(8), NSS SNAPSHOT).
    const uint64_t published = service_.nss_requested();
    decide(c, request);
    if (service_.nss_requested() != published) c.nss_mark = service_.nss_requested();
}

void Server::decide(Connection& c, const wire::MessageView& request) {
    if (request.header.type == proto::MsgType::SessionOpenRequest) {
        // The session's process, pinned by the kernel: no pid to be reused.
        Caller caller = c.caller;
        int pidfd = -1;
        socklen_t len = sizeof pidfd;
        if (getsockopt(c.fd.get(), SOL_SOCKET, kSoPeerPidfd, &pidfd, &len) == 0 && pidfd >= 0)
            caller.pidfd = std::make_shared<UniqueFd>(pidfd);
        c.out = dispatcher_.handle(caller, request);
        return;
    }
    c.out = dispatcher_.handle(c.caller, request);
}

// Writes what the socket takes.  False when done or failed.
bool Server::write_some(Connection& c) {
    while (c.sent < c.out.size()) {
        ssize_t n = send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            if (!watch_connection(c)) return false;
            sd_event_source_set_io_events(c.io.get(), EPOLLOUT);
            return true;
        }
        if (n <= 0) {
            reply_lost(c, n < 0 ? strerror(errno) : "nothing was written");
            return false;
        }
        c.sent += size_t(n);
    }
    JIT_CRASH_POINT("replied");
    JIT_CRASH_CONTEXT("idle");
    return false;  // reply complete: close
}

// A decision was journaled for this request; say that it never arrived.
void Server::reply_lost(const Connection& c, const std::string& why) {
    service_.run_after_answer();  // the decision's entry comes first
    auto header = wire::parse_header(c.in.data(), proto::kHeaderSize);
    std::string what = header ? request_label(header->type) + " (request " +
                                    std::to_string(header->request_id) + ")"
                              : std::string("a malformed request");
    service_.reply_lost(c.caller, what, why);
}

// ---- group commit of audit records -----------------------------------------

void Server::close_connection(Connection* c) {
    // While the caller's socket is still open (an admission names the
    // process through it), after the answer has gone.
    service_.run_after_answer();
    if (trail_ && trail_->waiting()) arm_audit_timer();  // records made after the answer
    if (c->held) held_.erase(std::remove(held_.begin(), held_.end(), c), held_.end());
    if (c->grouped) group_.erase(std::remove(group_.begin(), group_.end(), c), group_.end());
    if (c->nss_held) std::erase(nss_held_, c);
    if (c->door == Door::Public) admission_.release(c->caller.uid);
    connections_.erase(c);
}

}  // namespace jit::daemon
