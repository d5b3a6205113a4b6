// What server.cc and reply_holds.cc share, and nothing else includes: the
// record of one connection, the journal hold a request's handling takes, and
// the crash-point context each request type runs under.
#pragma once

#include <stdint.h>

#include <vector>

#include "daemon/base/crash_point.h"
#include "daemon/events/journal.h"
#include "daemon/server/server.h"

namespace jit::daemon {

struct Server::Connection {
    Server* server = nullptr;
    Door door = Door::Public;
    UniqueFd fd;
    Caller caller;  // who connected (SO_PEERCRED; SO_PEERGROUPS when the request needs them)
    Caller sender;  // who sent the request (SCM_CREDENTIALS)
    bool sender_known = false;
    bool senders_differ = false;  // the frame came from more than one writer
    uint64_t accepted_usec = 0;
    std::vector<uint8_t> in;
    size_t received = 0;
    bool header_done = false;
    size_t frame_len = 0;  // once the header is in
    msg::Frame out;
    size_t sent = 0;
    uint64_t audit_mark = 0;  // the answer goes once the trail holds this many entries durably
    bool held = false;
    bool grouped = false;   // waits in group_ for the turn's group commit
    uint64_t nss_mark = 0;  // the answer goes once this NSS publication is finished
    bool nss_held = false;
    EventSource io;
    EventSource deadline;
};

namespace server_parts {

// The journal entries a request makes go out once its answer has: the
// answer does not wait for journald's socket (none is lost; see
// journal_socket.h).
class JournalAfterAnswer {
public:
    explicit JournalAfterAnswer(Journal& journal) : journal_(journal) { journal_.hold(); }
    ~JournalAfterAnswer() { journal_.release(); }
    JournalAfterAnswer(const JournalAfterAnswer&) = delete;
    JournalAfterAnswer& operator=(const JournalAfterAnswer&) = delete;

private:
    Journal& journal_;
};

#ifdef JIT_CRASH_POINTS
inline const char* crash_context(proto::MsgType type) {
    switch (type) {
        case proto::MsgType::GrantRequest:
            return "grant";
        case proto::MsgType::RevokeRequest:
            return "revoke";
        case proto::MsgType::RequestCreate:
            return "request";
        case proto::MsgType::RequestApprove:
            return "approve";
        case proto::MsgType::RequestDeny:
            return "deny";
        case proto::MsgType::SessionOpenRequest:
            return "session-open";
        case proto::MsgType::SessionCloseRequest:
            return "session-close";
        case proto::MsgType::AccountAddRequest:
            return "account-add";
        case proto::MsgType::AccountRemoveRequest:
            return "account-remove";
        default:
            return "read";
    }
}
#endif

}  // namespace server_parts

}  // namespace jit::daemon
