// What the server tests share: a listening socket in a fresh directory,
// clients that send as jit's client does (each frame with its sender's
// credentials), and a loop run until a client's reply is in.
#pragma once

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <systemd/sd-event.h>

#include "jit/messages.h"
#include "jit/protocol.h"
#include "jit/unique_fd.h"

namespace jit::testing {

inline void send_with_credentials(int fd, const msg::Frame& frame) {
    ucred cred{getpid(), getuid(), getgid()};
    union {
        char buf[CMSG_SPACE(sizeof(ucred))];
        cmsghdr align;
    } control{};
    iovec iov{const_cast<uint8_t*>(frame.data()), frame.size()};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.buf;
    m.msg_controllen = sizeof control.buf;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof cred);
    memcpy(CMSG_DATA(c), &cred, sizeof cred);
    ASSERT_EQ(sendmsg(fd, &m, 0), ssize_t(frame.size()));
}

// A listener at DIR/jitd.sock, as jitd binds it but without SO_PASSCRED
// (the server sets that itself when it starts).
inline UniqueFd listen_in(const std::string& dir, sockaddr_un* addr) {
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    *addr = sockaddr_un{};
    addr->sun_family = AF_UNIX;
    const std::string path = dir + "/jitd.sock";
    strncpy(addr->sun_path, path.c_str(), sizeof addr->sun_path - 1);
    EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(addr), sizeof *addr), 0);
    EXPECT_EQ(listen(fd.get(), 8), 0);
    return fd;
}

inline UniqueFd connect_to(const sockaddr_un& addr) {
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_EQ(connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    return fd;
}

// Runs the loop until the client's reply has arrived (or 50 turns have
// passed); what arrived, which may be nothing.
inline std::vector<uint8_t> read_reply(sd_event* event, int client) {
    std::vector<uint8_t> reply(proto::kMaxFrame);
    size_t got = 0;
    for (int turn = 0; turn < 50; ++turn) {
        pollfd p{client, POLLIN, 0};
        if (poll(&p, 1, 0) == 1) {
            ssize_t n = recv(client, reply.data() + got, reply.size() - got, MSG_DONTWAIT);
            if (n <= 0) break;
            got += size_t(n);
            continue;
        }
        sd_event_run(event, 20000);
    }
    reply.resize(got);
    return reply;
}

}  // namespace jit::testing
