#include "fleet/admin_socket.h"

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "fleet/log.h"
#include "jit/escape.h"
#include "jit/fleet_messages.h"
#include "jit/messages.h"

namespace jit::fleet {

namespace {

// Default-deny: an operation not named here is refused, and each names the
// permission a person needs (root, acting for the host, needs none).
constexpr FleetOperation kFleetOperations[] = {
    {"list", 0, fleet_list},
    {"request", kRequest, fleet_request},
    {"approve", kApprove, fleet_approve},
    {"revoke", kRevoke, fleet_revoke},
};

constexpr int kDeadlineMs = 2000;
// The reply must fit one frame: lines are cut at a byte budget well inside
// kMaxBody (each string field costs a few bytes of header too).
constexpr size_t kReplyBudget = proto::kMaxBody - 1024;

const Person* person_of(const FleetConfig& c, uid_t uid, const std::string& user_name) {
    for (const auto& [name, p] : c.people) {
        if (std::find(p.uids.begin(), p.uids.end(), uint32_t(uid)) != p.uids.end()) return &p;
        if (!user_name.empty() &&
            std::find(p.users.begin(), p.users.end(), user_name) != p.users.end())
            return &p;
    }
    return nullptr;
}

int64_t now_ms() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Reads exactly n bytes before the deadline.
bool read_exact(int fd, uint8_t* p, size_t n, int64_t deadline) {
    while (n > 0) {
        int64_t left = deadline - now_ms();
        if (left <= 0) return false;
        pollfd pfd{fd, POLLIN, 0};
        int r = poll(&pfd, 1, int(left));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        ssize_t got = recv(fd, p, n, MSG_DONTWAIT);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got <= 0) return false;
        p += got;
        n -= size_t(got);
    }
    return true;
}

void send_all(int fd, const msg::Frame& frame) {
    size_t off = 0;
    int64_t deadline = now_ms() + kDeadlineMs;
    while (off < frame.size() && now_ms() < deadline) {
        ssize_t r = send(fd, frame.data() + off, frame.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r > 0) {
            off += size_t(r);
        } else if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            pollfd pfd{fd, POLLOUT, 0};
            poll(&pfd, 1, 100);
        } else {
            return;
        }
    }
}

void send_error(int fd, uint32_t id, int code, const std::string& message) {
    auto frame = msg::encode(msg::ErrorReply{uint64_t(code), escape_text(message)}, id);
    if (frame) send_all(fd, *frame);
}

// Lines as text the wire accepts, cut to fit one frame.
std::vector<std::string> fit(const Lines& lines) {
    std::vector<std::string> out;
    size_t used = 0;
    for (const auto& l : lines) {
        std::string safe = escape_text(l);
        if (out.size() + 1 >= proto::kMaxRecords || used + safe.size() + 16 > kReplyBudget) {
            out.push_back("... " + std::to_string(lines.size() - out.size()) +
                          " more lines not shown (jit-fleet list, as root, shows every record)");
            break;
        }
        used += safe.size() + 16;
        out.push_back(std::move(safe));
    }
    return out;
}

std::string user_name_of(uid_t uid) {
    passwd pw{}, *found = nullptr;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0 || !found) return "";
    return found->pw_name;
}

}  // namespace

Result<Admitted, Failure> admit(const FleetConfig& c, uid_t uid, const std::string& user_name,
                                const std::string& op, std::vector<std::string> args) {
    Admitted a;
    for (const auto& row : kFleetOperations)
        if (op == row.op) a.operation = &row;
    if (!a.operation)
        return fail("unknown fleet operation \"" + op + "\" (list, request, approve, revoke)",
                    EINVAL);
    auto as = std::find(args.begin(), args.end(), "--as");
    if (as != args.end()) {
        if (uid != 0) return fail("--as is for root only: you act as yourself", EPERM);
        if (as + 1 == args.end() || !valid_fleet_name(*(as + 1)))
            return fail("--as: a person's name (letters, digits, - _ .)", EINVAL);
        a.actor.name = *(as + 1);
        a.as_note = "root acts as " + a.actor.name + " (--as)";
        args.erase(as, as + 2);
    } else if (const Person* p = person_of(c, uid, user_name)) {
        if ((p->may & a.operation->needs) != a.operation->needs)
            return fail("person " + p->name + " may not " + op + " here (fleet.conf [person " +
                            p->name + "] may =)",
                        EPERM);
        a.actor.name = p->name;
    } else if (uid == 0) {
        a.actor.name = "root";  // acting for the host itself
    } else {
        return fail("uid " + std::to_string(uid) +
                        (user_name.empty() ? "" : " (" + user_name + ")") +
                        " is no fleet person on this host (fleet.conf [person NAME] users =)",
                    EPERM);
    }
    a.args = std::move(args);
    return a;
}

Result<AdminSocket, Failure> AdminSocket::open(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path) return fail("socket path too long");
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    struct stat st {};
    if (lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) return fail(path + " exists and is not a socket", EEXIST);
        unlink(path.c_str());  // an earlier run's
    }
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) return fail(std::string("socket: ") + strerror(errno), errno);
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return fail("bind " + path + ": " + strerror(errno), errno);
    // Anyone may connect; admit() decides per call from SO_PEERCRED.
    if (chmod(path.c_str(), 0666) != 0 || listen(fd.get(), 16) != 0) {
        int e = errno;
        unlink(path.c_str());
        return fail("listen on " + path + ": " + strerror(e), e);
    }
    return AdminSocket(std::move(fd), path);
}

AdminSocket::~AdminSocket() {
    if (fd_.valid() && !path_.empty()) unlink(path_.c_str());
}

void AdminSocket::serve(const Options& o, const FleetConfig& c, const std::atomic<bool>& stop) {
    while (!stop.load()) {
        pollfd pfd{fd_.get(), POLLIN, 0};
        if (poll(&pfd, 1, 250) <= 0) continue;
        UniqueFd conn(accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (conn.valid()) answer(conn.get(), o, c);
    }
}

void AdminSocket::answer(int fd, const Options& o, const FleetConfig& c) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return;
    std::vector<uint8_t> buf(proto::kMaxFrame);
    int64_t deadline = now_ms() + kDeadlineMs;
    if (!read_exact(fd, buf.data(), proto::kHeaderSize, deadline)) return;
    auto header = wire::parse_header(buf.data(), proto::kHeaderSize);
    if (!header) return send_error(fd, 0, EPROTO, "malformed frame");
    if (!read_exact(fd, buf.data() + proto::kHeaderSize, header->body_len, deadline)) return;
    auto view = wire::decode_frame(buf.data(), proto::kHeaderSize + header->body_len);
    if (!view || view->header.type != proto::MsgType::FleetAdminRequest)
        return send_error(fd, header->request_id, EPROTO,
                          "jit-fleet's socket answers FLEET_ADMIN_REQUEST only");
    uint32_t id = view->header.request_id;
    auto request = msg::decode_fleet_admin_request(*view);
    std::string user = user_name_of(cred.uid);
    LogFields fields = {{"JIT_FLEET_OP", request.op},
                        {"JIT_REQUESTER_UID", std::to_string(cred.uid)},
                        {"JIT_REQUESTER", user}};
    auto admitted = admit(c, cred.uid, user, request.op, request.args);
    if (!admitted.ok()) {
        log_event("fleet-admin-refused", LOG_WARNING,
                  "refused " + request.op + " from uid " + std::to_string(cred.uid) + ": " +
                      admitted.error().message,
                  fields);
        return send_error(fd, id, admitted.error().code, admitted.error().message);
    }
    fields.push_back({"JIT_FLEET_PERSON", admitted->actor.name});
    if (!admitted->as_note.empty())
        log_event("fleet-admin-as", LOG_NOTICE,
                  admitted->as_note + " for " + request.op + "; the record names " +
                      admitted->actor.name + ", vouched for by this host",
                  fields);
    auto done = admitted->operation->run(o, c, admitted->actor, admitted->args);
    if (!done.ok()) {
        fields.push_back({"JIT_REASON", done.error().message});
        log_event("fleet-admin-failed", LOG_NOTICE,
                  request.op + " by " + admitted->actor.name + " failed: " + done.error().message,
                  fields);
        return send_error(fd, id, done.error().code, done.error().message);
    }
    if (request.op != "list")
        log_event("fleet-admin", LOG_INFO,
                  request.op + " by " + admitted->actor.name + " (uid " + std::to_string(cred.uid) +
                      "): " + (done->empty() ? "" : done->front()),
                  fields);
    auto frame = msg::encode(msg::FleetAdminReply{fit(*done)}, id);
    if (!frame) return send_error(fd, id, EIO, "cannot encode the answer");
    send_all(fd, *frame);
}

}  // namespace jit::fleet
