// The floor server (floor_server.h).  Per connection, as jitd for an allowed
// CHECK: accept4, SO_PEERCRED, a recvmsg with SCM_CREDENTIALS, the answer,
// a yield when the connection came alone after a pause, the journal entry,
// SO_PEERPIDFD with its fstat and close (the session admission), close.
// The entries of one turn go to journald together (sendmmsg: journald wakes
// once for them, as for jitd's gathered entries) and wait for room in its
// queue: every answer's entry reaches journald, as every decision's must.
#include "bench/floor_server.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "bench/bench_util.h"
#include "jit/messages.h"
#include "jit/wire.h"

namespace bench {
namespace {

constexpr int kSoPeerPidfd = 77;  // SO_PEERPIDFD (Linux 6.5)
constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

sockaddr_un unix_address(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    return a;
}

// A decision's fields and sizes (MESSAGE, a message id, PRIORITY, the
// identifier, the eleven JIT_ fields), named so that no reader of this
// journal takes it for a decision.
std::string decision_sized_entry() {
    return "MESSAGE=jit bench floor: an entry the size of a decision's\n"
           "BENCH_MESSAGE_ID=8c1f0e6a5d4b4a3e9f2b7c6d5e4f3a2b\n"
           "PRIORITY=6\n"
           "SYSLOG_IDENTIFIER=jit-bench-floor\n"
           "BENCH_EVENT=floor\nBENCH_DECISION=allow\nBENCH_USER=daemon\n"
           "BENCH_SERVICE=sshd\nBENCH_RHOST=192.0.2.1\nBENCH_TTY=ssh\nBENCH_RUSER=\n"
           "BENCH_REASON=grant g-abcdefgh ends in 59m 59s\nBENCH_RULE=grant\n"
           "BENCH_REQUESTER=0\nBENCH_CALLER_PID=12345\nBENCH_GRANT_ID=g-abcdefgh\n";
}

class Floor {
public:
    Floor(int listener, bool journal) : listener_(listener) {
        jit::msg::CheckReply r{jit::proto::Decision::Allow, "grant g-abcdefgh ends in 59m 59s",
                               "g-abcdefgh", int64_t(time(nullptr) + 3600), "grant"};
        reply_ = r;
        if (journal) {
            journal_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            sockaddr_un a = unix_address(kJournalSocket);
            if (connect(journal_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("journal");
        }
        epoll_ = epoll_create1(EPOLL_CLOEXEC);
        watch(listener_);
    }

    [[noreturn]] void run() {
        for (;;) {
            epoll_event got[16];
            int n = epoll_wait(epoll_, got, 16, -1);
            for (int i = 0; i < n; ++i) {
                if (got[i].data.fd == listener_)
                    accept_some();
                else
                    request_arrived(got[i].data.fd);
            }
        }
    }

private:
    void watch(int fd) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    }

    void accept_some() {
        const bool after_a_pause = now_us() - turn_end_us_ > 200;
        int accepted = 0;
        for (int i = 0; i < 64; ++i) {
            int c = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (c < 0) break;
            ++accepted;
            ucred cred;
            socklen_t len = sizeof cred;
            getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len);
            if (!answer(c)) {
                sched_yield();  // as jitd: the client gets the core once to send
                if (!answer(c)) watch(c);
            }
        }
        if (accepted == 1 && after_a_pause) sched_yield();
        after_answers();
        turn_end_us_ = now_us();
    }

    void request_arrived(int c) {
        epoll_ctl(epoll_, EPOLL_CTL_DEL, c, nullptr);
        if (!answer(c)) return watch(c);
        after_answers();
    }

    // False when the request is not there yet.
    bool answer(int c) {
        uint8_t in[1024];
        iovec iov{in, sizeof in};
        union {
            char buf[CMSG_SPACE(sizeof(ucred))];
            cmsghdr align;
        } control;
        msghdr m{};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = control.buf;
        m.msg_controllen = sizeof control.buf;
        ssize_t n = recvmsg(c, &m, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EAGAIN) return false;
        if (n <= 0) {  // the client left: no answer, no entry
            close(c);
            return true;
        }
        auto header = jit::wire::parse_header(in, std::min(size_t(n), jit::proto::kHeaderSize));
        if (header) {
            if (header->request_id != frame_id_ || frame_.empty()) {
                frame_ = *jit::msg::encode(reply_, header->request_id);
                frame_id_ = header->request_id;
            }
            if (send(c, frame_.data(), frame_.size(), MSG_NOSIGNAL) < 0) {
            }
        }
        answered_.push_back(c);
        return true;
    }

    void after_answers() {
        if (journal_ >= 0) send_entries(answered_.size());
        for (int c : answered_) {
            int pidfd = -1;
            socklen_t len = sizeof pidfd;
            if (getsockopt(c, SOL_SOCKET, kSoPeerPidfd, &pidfd, &len) == 0 && pidfd >= 0) {
                struct stat st;
                fstat(pidfd, &st);
                close(pidfd);
            }
            close(c);
        }
        answered_.clear();
    }

    void send_entries(size_t n) {
        iovec iov{const_cast<char*>(entry_.data()), entry_.size()};
        std::vector<mmsghdr> batch(n);
        for (auto& m : batch) {
            m.msg_hdr.msg_iov = &iov;
            m.msg_hdr.msg_iovlen = 1;
        }
        size_t sent = 0;
        while (sent < n) {
            int r = sendmmsg(journal_, batch.data() + sent, unsigned(n - sent), MSG_NOSIGNAL);
            if (r > 0) {
                sent += size_t(r);
                continue;
            }
            if (r < 0 && errno != EAGAIN && errno != EINTR) return;
            pollfd p{journal_, POLLOUT, 0};
            poll(&p, 1, 5000);
        }
    }

    int listener_;
    int epoll_ = -1;
    int journal_ = -1;
    double turn_end_us_ = 0;
    jit::msg::CheckReply reply_;
    std::vector<uint8_t> frame_;
    uint32_t frame_id_ = 0;
    std::vector<int> answered_;
    const std::string entry_ = decision_sized_entry();
};

}  // namespace

pid_t start_floor_server(const std::string& path, bool journal) {
    unlink(path.c_str());
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un addr = unix_address(path);
    int one = 1;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 128) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0)
        die("floor server");
    pid_t pid = fork();
    if (pid != 0) {
        started(pid);
        close(fd);
        return pid;
    }
    Floor(fd, journal).run();
}

}  // namespace bench
