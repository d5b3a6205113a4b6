// A stalled journald (a socket nobody reads) does not stall the sender:
// every entry returns at once, waits in order, and reaches the socket once
// it drains; and journald's native format carries values with newlines.
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <systemd/sd-event.h>

#include "daemon/events/journal_socket.h"
#include "jit/unique_fd.h"

namespace jit::daemon {
namespace {

double now_ms() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

TEST(JournalSocket, NativeFormatLengthPrefixesValuesWithNewlines) {
    std::string d = native_datagram({"MESSAGE=a\nb", "PRIORITY=6"});
    EXPECT_EQ(d, std::string("MESSAGE\n\x03\0\0\0\0\0\0\0a\nb\nPRIORITY=6\n", 31));
}

TEST(JournalSocket, AStalledJournaldStallsNothingAndLosesNothing) {
    char tmpl[] = "/tmp/jit-journal-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl, path = dir + "/socket";
    // The stand-in journald: bound, and not read until the end.
    UniqueFd journald(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(bind(journald.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

    sd_event* event = nullptr;
    ASSERT_GE(sd_event_new(&event), 0);
    {
        JournalSocket sock;
        ASSERT_TRUE(sock.open(path));
        sock.attach(event);
        constexpr int kEntries = 2000;  // far more than a socket queue holds
        alarm(20);                      // a blocking send would hang here: fail loudly
        double start = now_ms();
        for (int i = 0; i < kEntries; ++i)
            ASSERT_TRUE(sock.send({"MESSAGE=entry " + std::to_string(i), "PRIORITY=6"}));
        double took = now_ms() - start;
        alarm(0);
        EXPECT_GT(sock.queued(), 0u) << "journald never stalled: the test proves nothing";
        EXPECT_LT(took, 2000.0) << "sending to a stalled journald took " << took << " ms";

        // journald drains: every entry arrives, in order, as the loop runs.
        int next = 0;
        char buf[256];
        for (int turn = 0; turn < 100000 && next < kEntries; ++turn) {
            ssize_t n = recv(journald.get(), buf, sizeof buf - 1, MSG_DONTWAIT);
            if (n < 0) {
                sd_event_run(event, 10000);
                continue;
            }
            buf[n] = 0;
            std::string want = "MESSAGE=entry " + std::to_string(next) + "\nPRIORITY=6\n";
            ASSERT_EQ(std::string(buf), want);
            ++next;
        }
        EXPECT_EQ(next, kEntries);
        EXPECT_EQ(sock.queued(), 0u);
    }
    sd_event_unref(event);
    std::filesystem::remove_all(dir);
}

// journald restarted (its socket replaced under the same path): the next
// entry reaches the new journald, not stderr.
TEST(JournalSocket, AJournaldThatRestartedIsReachedAgain) {
    char tmpl[] = "/tmp/jit-journal-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl, path = dir + "/socket";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    auto bound = [&] {
        UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        return fd;
    };
    UniqueFd first = bound();

    sd_event* event = nullptr;
    ASSERT_GE(sd_event_new(&event), 0);
    {
        JournalSocket sock;
        ASSERT_TRUE(sock.open(path));
        sock.attach(event);
        ASSERT_TRUE(sock.send({"MESSAGE=before", "PRIORITY=6"}));
        char buf[256];
        ssize_t n = recv(first.get(), buf, sizeof buf - 1, MSG_DONTWAIT);
        ASSERT_GT(n, 0);

        first = UniqueFd();  // journald stops ...
        unlink(path.c_str());
        UniqueFd second = bound();  // ... and a new one listens at the same path
        EXPECT_TRUE(sock.send({"MESSAGE=after", "PRIORITY=2"}));
        n = recv(second.get(), buf, sizeof buf - 1, MSG_DONTWAIT);
        ASSERT_GT(n, 0) << "the entry after the restart did not reach the new journald";
        buf[n] = 0;
        EXPECT_EQ(std::string(buf), "MESSAGE=after\nPRIORITY=2\n");
        EXPECT_EQ(sock.queued(), 0u);
    }
    sd_event_unref(event);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace jit::daemon
