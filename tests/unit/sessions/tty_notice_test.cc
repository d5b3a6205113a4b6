// The warning reaches the session's own terminal and nothing else: real
// ptys, real /proc links.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "daemon/sessions/tty_notice.h"
#include "jit/unique_fd.h"

namespace jit::daemon {
namespace {

// A pty pair opened here; the slave's path and its kernel number.
struct Pty {
    UniqueFd master, slave;
    std::string path;
    uint32_t tty_nr = 0;
};

Pty open_pty() {
    Pty p;
    p.master = UniqueFd(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!p.master.valid() || ::grantpt(p.master.get()) != 0 || ::unlockpt(p.master.get()) != 0)
        return p;
    p.path = ::ptsname(p.master.get());
    p.slave = UniqueFd(::open(p.path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
    struct stat st {};
    if (p.slave.valid() && ::fstat(p.slave.get(), &st) == 0) {
        // The encoding /proc/PID/stat uses (the kernel's new_encode_dev).
        uint32_t maj = major(st.st_rdev), min = minor(st.st_rdev);
        p.tty_nr = (min & 0xff) | (maj << 8) | ((min & ~0xffu) << 12);
    }
    return p;
}

std::string drain(int master) {
    std::string out;
    char buf[1024];
    pollfd pfd{master, POLLIN, 0};
    while (::poll(&pfd, 1, 200) > 0) {
        ssize_t n = ::read(master, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, size_t(n));
    }
    return out;
}

// A child holding the slave as its fd 0, as a session's shell would; returns
// once the child holds it.
pid_t spawn_holder(int slave) {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) return -1;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(slave, 0);
        (void)!::write(ready[1], "r", 1);
        ::pause();
        ::_exit(0);
    }
    ::close(ready[1]);
    char c;
    if (pid > 0 && ::read(ready[0], &c, 1) != 1) pid = -1;
    ::close(ready[0]);
    return pid;
}

void reap(pid_t pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
}

const std::string kText = "*** jit: test notice ***\r\n";

TEST(TtyNotice, ReachesTheSessionsPty) {
    Pty p = open_pty();
    ASSERT_TRUE(p.slave.valid()) << "no pty on this machine";
    pid_t holder = spawn_holder(p.slave.get());
    ASSERT_GT(holder, 0);
    auto wrote = write_notice({p.path, p.tty_nr, {holder}}, kText);
    reap(holder);
    ASSERT_TRUE(wrote) << wrote.error().what;
    EXPECT_NE(drain(p.master.get()).find("test notice"), std::string::npos);
}

TEST(TtyNotice, RefusesAPathThatIsAnotherTerminal) {
    Pty mine = open_pty(), other = open_pty();
    ASSERT_TRUE(mine.slave.valid() && other.slave.valid());
    // The session holds `mine`; the path names `other`.  No holder to fall back to.
    auto wrote = write_notice({other.path, mine.tty_nr, {}}, kText);
    ASSERT_FALSE(wrote);
    EXPECT_EQ(wrote.error().code, EXDEV);
    EXPECT_EQ(drain(other.master.get()), "") << "nothing reached the wrong terminal";
    EXPECT_EQ(drain(mine.master.get()), "");
}

TEST(TtyNotice, FallsBackToTheHoldersDescriptorWhenThePathDoesNotReachIt) {
    Pty p = open_pty();
    ASSERT_TRUE(p.slave.valid());
    pid_t holder = spawn_holder(p.slave.get());
    ASSERT_GT(holder, 0);
    // A path of a devpts instance jitd cannot see (or another one's pty).
    auto wrote = write_notice({"/dev/pts/999998", p.tty_nr, {holder}}, kText);
    reap(holder);
    ASSERT_TRUE(wrote) << wrote.error().what;
    EXPECT_NE(drain(p.master.get()).find("test notice"), std::string::npos);
}

TEST(TtyNotice, TheHoldersDescriptorDecidesWhichPtyThePathMayBe) {
    Pty mine = open_pty(), other = open_pty();
    ASSERT_TRUE(mine.slave.valid() && other.slave.valid());
    pid_t holder = spawn_holder(mine.slave.get());
    ASSERT_GT(holder, 0);
    auto wrote = write_notice({other.path, mine.tty_nr, {holder}}, kText);
    reap(holder);
    ASSERT_TRUE(wrote) << wrote.error().what;
    EXPECT_EQ(drain(other.master.get()), "") << "the path's terminal is not the session's";
    EXPECT_NE(drain(mine.master.get()).find("test notice"), std::string::npos);
}

TEST(TtyNotice, RefusesPathsThatAreNotTerminals) {
    for (const char* path :
         {"/dev/null", "/tmp/x", "/dev/pts/../null", "/dev/ttyS0", "/dev/pts/"}) {
        auto wrote = write_notice({path, 0, {}}, kText);
        ASSERT_FALSE(wrote) << path;
        EXPECT_EQ(wrote.error().code, EINVAL) << path;
    }
}

TEST(TtyNotice, RefusesAnOversizeNotice) {
    Pty p = open_pty();
    ASSERT_TRUE(p.slave.valid());
    auto wrote = write_notice({p.path, p.tty_nr, {}}, std::string(4096, 'x'));
    ASSERT_FALSE(wrote);
    EXPECT_EQ(wrote.error().code, EMSGSIZE);
    EXPECT_EQ(drain(p.master.get()), "");
}

}  // namespace
}  // namespace jit::daemon
