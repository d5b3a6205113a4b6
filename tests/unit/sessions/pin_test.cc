// Pinning a session's process by pidfd: signals reach the pinned process
// through its pidfd, never a process that reused the pid; a target whose
// start time does not match is not pinned.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "daemon/sessions/terminator.h"

namespace jit::daemon {
namespace {

class NoLogind : public Logind {
public:
    bool available() const override { return false; }
    Result<void, Failure> terminate(const std::string&) override { return {}; }
};

pid_t sleeper() {
    pid_t pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    return pid;
}

TEST(SessionPin, APinnedProcessIsSignalledThroughItsPidfd) {
    SystemProcesses procs;
    SystemSignaller signaller(procs);
    NoLogind logind;
    Terminator terminator(procs, signaller, logind, getpid());
    pid_t child = sleeper();
    ASSERT_GT(child, 0);
    auto info = procs.process(child);
    ASSERT_TRUE(info.ok());
    Target t{child, info->start};
    ASSERT_TRUE(terminator.pin(t, nullptr));
    EXPECT_EQ(signaller.pinned(), 1u);
    ASSERT_TRUE(signaller.send(t, SIGKILL).ok());
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    // Gone: the pidfd says so, and the next pin drops it from the table.
    EXPECT_FALSE(signaller.send(t, SIGKILL).ok());
    signaller.pin({1, 0}, nullptr);
    EXPECT_EQ(signaller.pinned(), 0u);
}

TEST(SessionPin, AStartTimeThatDoesNotMatchIsNotPinned) {
    SystemProcesses procs;
    SystemSignaller signaller(procs);
    NoLogind logind;
    Terminator terminator(procs, signaller, logind, getpid());
    pid_t child = sleeper();
    ASSERT_GT(child, 0);
    auto info = procs.process(child);
    ASSERT_TRUE(info.ok());
    EXPECT_FALSE(terminator.pin({child, info->start + 1}, nullptr));
    EXPECT_EQ(signaller.pinned(), 0u);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
}

}  // namespace
}  // namespace jit::daemon
