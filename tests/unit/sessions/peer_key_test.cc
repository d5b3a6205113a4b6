// The kernel's name for the process at the other end of a socket
// (SystemProcesses::peer_key): the same for every connection of one process,
// another for another process, and equal to the key of a pidfd of that
// process.  This is what matches a session open to the check that admitted it.
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "daemon/sessions/proc.h"
#include "jit/unique_fd.h"

namespace jit::daemon {
namespace {

struct Pair {
    UniqueFd a, b;
};

Pair socket_pair() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

TEST(PeerKey, NamesTheProcessBehindTheSocket) {
    SystemProcesses procs;
    Pair mine = socket_pair();
    uint64_t key = procs.peer_key(mine.a.get());
    if (key == 0)
        GTEST_SKIP() << "SKIPPED: this kernel has no SO_PEERPIDFD with pidfs (Linux 6.9+): "
                        "admissions fall back to /proc start times";
    Pair again = socket_pair();
    EXPECT_EQ(procs.peer_key(again.b.get()), key) << "one process, one key";
    UniqueFd self(int(syscall(SYS_pidfd_open, getpid(), 0)));
    ASSERT_TRUE(self.valid());
    EXPECT_EQ(procs.pidfd_key(self.get()), key) << "a pidfd of the same process: the same key";

    // A child's end of a pair made before the fork is still the parent's
    // (credentials are the connector's); a pair the child makes is its own.
    int to_parent[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, to_parent), 0);
    pid_t child = fork();
    if (child == 0) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) _exit(1);
        // Hand one end of the child's own pair to the parent.
        char byte = 0;
        iovec iov{&byte, 1};
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            cmsghdr align;
        } control{};
        msghdr m{};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = control.buf;
        m.msg_controllen = sizeof control.buf;
        cmsghdr* c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pair[0], sizeof(int));
        if (sendmsg(to_parent[1], &m, 0) != 1) _exit(1);
        pause();
        _exit(0);
    }
    close(to_parent[1]);
    char byte;
    iovec iov{&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        cmsghdr align;
    } control{};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.buf;
    m.msg_controllen = sizeof control.buf;
    ASSERT_EQ(recvmsg(to_parent[0], &m, MSG_CMSG_CLOEXEC), 1);
    close(to_parent[0]);
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    ASSERT_NE(c, nullptr);
    int passed;
    memcpy(&passed, CMSG_DATA(c), sizeof passed);
    UniqueFd child_end(passed);
    // The peer of the child's pair is the child, whoever holds the fd now.
    uint64_t child_key = procs.peer_key(child_end.get());
    EXPECT_NE(child_key, 0u);
    EXPECT_NE(child_key, key) << "another process, another key";
    UniqueFd child_pidfd(int(syscall(SYS_pidfd_open, child, 0)));
    EXPECT_EQ(procs.pidfd_key(child_pidfd.get()), child_key);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
}

TEST(PeerKey, NoSocketNoKey) {
    SystemProcesses procs;
    EXPECT_EQ(procs.peer_key(-1), 0u);
    EXPECT_EQ(procs.pidfd_key(-1), 0u);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    EXPECT_EQ(procs.peer_key(fds[0]), 0u) << "a pipe has no peer";
    close(fds[0]);
    close(fds[1]);
}

}  // namespace
}  // namespace jit::daemon
