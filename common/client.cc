#include "jit/client.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "jit/unique_fd.h"

namespace jit {

namespace {

class Deadline {
public:
    explicit Deadline(int timeout_ms) : end_ms_(now_ms() + (timeout_ms > 0 ? timeout_ms : 0)) {}
    int remaining_ms() const {
        int64_t left = end_ms_ - now_ms();
        return left > 0 ? int(left) : 0;
    }

private:
    static int64_t now_ms() {
        timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
    }
    int64_t end_ms_;
};

bool trusted(const ClientOptions& o, uid_t uid) {
    for (int i = 0; i < o.trusted_count && i < 2; ++i)
        if (o.trusted_uids[i] == uid) return true;
    return false;
}

// Waits for events on fd until the deadline.  EINTR restarts with the time left.
Result<void> wait_for(int fd, short events, const Deadline& deadline) {
    for (;;) {
        int left = deadline.remaining_ms();
        if (left == 0) return make_error(ETIMEDOUT, "timed out waiting for jitd");
        pollfd p{fd, events, 0};
        int r = poll(&p, 1, left);
        if (r > 0) return success();
        if (r == 0) return make_error(ETIMEDOUT, "timed out waiting for jitd");
        if (errno != EINTR) return make_error(errno, "poll failed");
    }
}

Result<void> check_socket_file(const char* path, const ClientOptions& o) {
    struct stat st;
    if (lstat(path, &st) != 0) return make_error(errno, "cannot stat jitd socket");
    if (!S_ISSOCK(st.st_mode)) return make_error(ENOTSOCK, "jitd socket path is not a socket");
    if (!trusted(o, st.st_uid)) return make_error(EPERM, "jitd socket has an untrusted owner");
    return success();
}

Result<void> connect_with_deadline(int fd, const sockaddr_un& addr, const Deadline& deadline) {
    for (;;) {
        if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0)
            return success();
        if (errno == EINTR) continue;
        if (errno == EINPROGRESS) {
            if (auto r = wait_for(fd, POLLOUT, deadline); !r) return r;
            int err = 0;
            socklen_t len = sizeof err;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
            if (err != 0) return make_error(err, "cannot connect to jitd");
            return success();
        }
        if (errno != EAGAIN) return make_error(errno, "cannot connect to jitd");
        // A full listen backlog answers EAGAIN at once; retry until the deadline.
        int left = deadline.remaining_ms();
        if (left == 0) return make_error(ETIMEDOUT, "timed out connecting to jitd");
        poll(nullptr, 0, left < 10 ? left : 10);
    }
}

Result<void> check_peer(int fd, const ClientOptions& o) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return make_error(errno, "cannot read jitd credentials");
    if (!trusted(o, cred.uid)) return make_error(EPERM, "jitd runs as an untrusted uid");
    return success();
}

// Each sendmsg carries who we are; the kernel vouches for it (a process can
// claim only its own pid and ids), and jitd compares it with who connected.
ssize_t send_with_credentials(int fd, const uint8_t* p, size_t n, const ucred& me) {
    iovec iov{const_cast<uint8_t*>(p), n};
    union {
        char buf[CMSG_SPACE(sizeof(ucred))];
        cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.buf;
    m.msg_controllen = sizeof control.buf;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(ucred));
    memcpy(CMSG_DATA(c), &me, sizeof me);
    return sendmsg(fd, &m, MSG_NOSIGNAL);
}

Result<void> send_all(int fd, const uint8_t* p, size_t n, const ucred& me,
                      const Deadline& deadline) {
    while (n > 0) {
        ssize_t w = send_with_credentials(fd, p, n, me);
        if (w > 0) {
            p += w;
            n -= size_t(w);
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            if (auto r = wait_for(fd, POLLOUT, deadline); !r) return r;
            continue;
        }
        return make_error(w < 0 ? errno : EPIPE, "cannot send to jitd");
    }
    return success();
}

// Reads one reply frame: waits first (jitd cannot have answered a request
// sent a moment ago, so a recv before the wait would only say EAGAIN), then
// takes as much as has arrived, header and body in one recv as a rule.
// Returns the frame's length; bytes after it, if any, are ignored.
Result<size_t> recv_frame(int fd, uint8_t* buf, size_t cap, const Deadline& deadline) {
    size_t got = 0, need = proto::kHeaderSize;
    bool sized = false;
    while (got < need) {
        if (auto w = wait_for(fd, POLLIN, deadline); !w) return w.error();
        ssize_t r = recv(fd, buf + got, cap - got, 0);
        if (r == 0) return make_error(EPROTO, "jitd closed the connection mid-reply");
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return make_error(errno, "cannot receive from jitd");
        }
        got += size_t(r);
        if (sized || got < proto::kHeaderSize) continue;
        auto header = wire::parse_header(buf, proto::kHeaderSize);
        if (!header) return header.error();
        if (header->body_len > cap - proto::kHeaderSize)
            return make_error(EMSGSIZE, "jitd reply larger than the buffer");
        need = proto::kHeaderSize + header->body_len;
        sized = true;
    }
    return need;
}

Result<UniqueFd> connect_to(const char* path, const ClientOptions& o, const Deadline& deadline) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, strlen(path));
    if (auto r = check_socket_file(path, o); !r) return r.error();
    UniqueFd fd(move_above_stdio(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)));
    if (!fd.valid()) return make_error(errno, "cannot create socket");
    if (auto r = connect_with_deadline(fd.get(), addr, deadline); !r) return r.error();
    if (auto r = check_peer(fd.get(), o); !r) return r.error();
    return fd;
}

Result<UniqueFd> open_connection(const ClientOptions& o, bool as_root, const Deadline& deadline) {
    size_t path_len = o.socket_path ? strlen(o.socket_path) : 0;
    constexpr size_t kSuffixLen = sizeof kProtectedSocketSuffix - 1;
    if (path_len == 0 || path_len + kSuffixLen >= sizeof(sockaddr_un::sun_path))
        return make_error(ENAMETOOLONG, "jitd socket path is empty or too long");
    if (as_root) {
        char root_path[sizeof(sockaddr_un::sun_path)];
        memcpy(root_path, o.socket_path, path_len);
        memcpy(root_path + path_len, kProtectedSocketSuffix, kSuffixLen + 1);
        auto fd = connect_to(root_path, o, deadline);
        if (fd || (fd.error().code != ENOENT && fd.error().code != ECONNREFUSED)) return fd;
    }
    return connect_to(o.socket_path, o, deadline);
}

}  // namespace

Result<wire::MessageView> roundtrip(const ClientOptions& o, const uint8_t* request,
                                    size_t request_len, uint8_t* reply_buf, size_t reply_cap) {
    if (request_len < proto::kHeaderSize || reply_cap < proto::kHeaderSize)
        return make_error(EINVAL, "request or reply buffer too small");
    Deadline deadline(o.timeout_ms);
    // Who we are is read before connecting, so that the request follows the
    // connect() with no system call between: jitd, woken by the connect,
    // finds it there.
    const ucred me{getpid(), geteuid(), getegid()};
    auto fd = open_connection(o, me.uid == 0, deadline);
    if (!fd) return fd.error();
    if (auto r = send_all(fd->get(), request, request_len, me, deadline); !r) return r.error();
    auto length = recv_frame(fd->get(), reply_buf, reply_cap, deadline);
    if (!length) return length.error();
    auto reply = wire::decode_frame(reply_buf, *length);
    if (!reply) return reply.error();
    auto sent = wire::parse_header(request, proto::kHeaderSize);
    if (!sent || sent->request_id != reply->header.request_id)
        return make_error(EPROTO, "jitd reply does not match the request");
    return reply;
}

}  // namespace jit
