// The listening sockets and their connections, on sd-event.  One connection
// carries one request and one reply.  Two doors: the protected socket (root
// only: PAM checks, sessions, root's jitctl) is served first, at a higher
// event priority, with its own connection cap; the public one caps each uid
// and the whole socket.  A peer must send a complete frame within a short
// deadline, an oversize length closes the connection at once, and the whole
// exchange has a deadline, so a slow or hostile client cannot stall jitd.
#pragma once

#include <stddef.h>

#include <memory>
#include <unordered_map>

#include <systemd/sd-event.h>

#include "daemon/server/admission.h"
#include "daemon/server/dispatch.h"
#include "daemon/trail/audit_trail.h"
#include "daemon/base/event_source.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

class Server {
public:
    struct Options {
        int timeout_ms = 5000;         // the whole exchange
        int frame_timeout_ms = 1000;   // until the request frame is complete
        size_t max_connections = 256;  // public socket, all uids
        size_t max_per_uid = 32;       // public socket, one uid
        size_t max_protected = 1024;   // protected socket
    };
    enum class Door { Public, Protected };

    Server(sd_event* event, UniqueFd open_listener, UniqueFd protected_listener,
           Dispatcher& dispatcher, JitService& service, Options options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Also arms the group commit: the grants read in one event-loop turn are
    // decided together at its end and made durable by one commit (one WAL
    // sync, one high-water mark); each is answered only after it.
    Result<void> start();
    void set_options(Options options);
    // Answers whose audit records wait are held until one commit writes
    // them, once per event-loop turn (audit_durability = before-answer).
    void set_audit(AuditTrail* trail);
    void set_audit_failure(AuditConfig::Failure failure) { audit_failure_ = failure; }
    size_t open_connections() const { return connections_.size(); }
    // Sends the answers that waited for an NSS publication now finished.
    void release_nss();

private:
    struct Connection;
    struct Gate {
        Server* server = nullptr;
        Door door = Door::Public;
        UniqueFd fd;
        EventSource source;
        // accept4 has said EAGAIN once since watch(): every connection
        // accepted from then on was made after the listener passed
        // credentials, and took that flag at connect().
        bool drained = false;
    };
    static int on_listener(sd_event_source* s, int fd, uint32_t revents, void* userdata);
    static int on_io(sd_event_source* s, int fd, uint32_t revents, void* userdata);
    static int on_deadline(sd_event_source* s, uint64_t usec, void* userdata);
    static int on_audit_turn(sd_event_source* s, void* userdata);
    static int on_audit_timer(sd_event_source* s, uint64_t usec, void* userdata);
    static int on_group_turn(sd_event_source* s, void* userdata);

    Result<void> watch(Gate& door);
    void accept_some(Gate& door);
    bool admit(Door door, const Caller& caller);
    void capped(const Caller& caller, const char* which);
    void add_connection(Door door, UniqueFd fd, Caller caller, bool pass_credentials);
    bool watch_connection(Connection& c);
    void note_sender(Connection& c, const Caller& from);
    bool sender_is_connector(Connection& c);
    bool read_some(Connection& c);
    void answer(Connection& c);
    void note_audit_mark(Connection& c, uint64_t enqueued_before);
    bool hold_for_audit(Connection& c);
    void release_held();
    void arm_audit_timer();
    void answer_request(Connection& c, const wire::MessageView& request);
    bool queue_for_group(Connection& c);
    void run_group();
    void release_member(Connection& c);
    void decide(Connection& c, const wire::MessageView& request);
    bool hold_for_nss(Connection& c);
    bool write_some(Connection& c);
    void reply_lost(const Connection& c, const std::string& why);
    void close_connection(Connection* c);
    void close_answered(bool yield_first);

    sd_event* event_;
    Gate public_gate_, protected_gate_;
    Dispatcher& dispatcher_;
    JitService& service_;
    Options options_;
    Admission admission_;
    std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
    AuditTrail* trail_ = nullptr;
    AuditConfig::Failure audit_failure_ = AuditConfig::Failure::Deny;
    std::vector<Connection*> held_;      // answers waiting for their audit records
    std::vector<Connection*> nss_held_;  // answers waiting for an NSS publication
    Connection* answered_ = nullptr;     // answered at its accept, not yet closed
    uint64_t accept_turn_end_usec_ = 0;  // when accept_some last returned
    EventSource audit_turn_, audit_timer_;
    std::vector<Connection*> group_;  // grants read this turn, answered by one commit
    EventSource group_turn_;
};

}  // namespace jit::daemon
