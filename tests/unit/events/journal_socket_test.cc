// A stalled journald (a socket nobody reads) does not stall the sender:
// every entry returns at once, waits in order, and reaches the socket once
// it drains; a stream of entries goes together, an entry on its own at once;
// and journald's native format carries values with newlines.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
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

// A clock on which each entry comes a second after the one before: every
// entry is on its own, never part of a stream.
JournalSocket::Clock entries_apart() {
    return [t = uint64_t(0)]() mutable { return t += 1000000; };
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

// A stand-in journald that nobody reads, in a fresh directory: bound at
// once, or (listening = false) only when listen() is called.
struct StalledJournald {
    explicit StalledJournald(bool listening = true) {
        char tmpl[] = "/tmp/jit-journal-test.XXXXXX";
        if (mkdtemp(tmpl)) dir = tmpl;
        path = dir + "/socket";
        if (listening) listen();
    }
    ~StalledJournald() { std::filesystem::remove_all(dir); }
    bool listen() {
        fd = UniqueFd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        bound = bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        return bound;
    }
    std::string dir, path;
    UniqueFd fd;
    bool bound = false;
};

// Past the queue's bound, journald still stalled: the oldest entry goes to
// stderr at once (the sender never waits for journald), and every entry is
// either delivered or on stderr, each exactly once.
TEST(JournalSocket, AFullQueueSpillsTheOldestToStderrWithoutWaiting) {
    StalledJournald journald;
    ASSERT_TRUE(journald.bound);
    const std::string err_path = journald.dir + "/stderr";
    fflush(stderr);
    UniqueFd saved(dup(2));
    UniqueFd err(open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    ASSERT_TRUE(saved.valid() && err.valid());
    dup2(err.get(), 2);
    sd_event* event = nullptr;
    ASSERT_GE(sd_event_new(&event), 0);
    const int total = int(JournalSocket::kMaxQueued) + 300;
    double took = 0;
    std::vector<int> seen(size_t(total), 0);
    {
        JournalSocket sock;
        ASSERT_TRUE(sock.open(journald.path));
        sock.attach(event);
        alarm(20);
        const double start = now_ms();
        for (int i = 0; i < total; ++i)
            ASSERT_TRUE(sock.send({"MESSAGE=entry " + std::to_string(i), "PRIORITY=6"}));
        took = now_ms() - start;
        alarm(0);
        EXPECT_EQ(sock.queued(), JournalSocket::kMaxQueued);
        char buf[256];
        for (int turn = 0; turn < 100000 && sock.queued() > 0; ++turn) {
            ssize_t n = recv(journald.fd.get(), buf, sizeof buf - 1, MSG_DONTWAIT);
            if (n < 0) {
                sd_event_run(event, 10000);
                continue;
            }
            buf[n] = 0;
            int i = -1;
            if (sscanf(buf, "MESSAGE=entry %d", &i) == 1 && i >= 0 && i < total) ++seen[size_t(i)];
        }
        ssize_t n;
        while ((n = recv(journald.fd.get(), buf, sizeof buf - 1, MSG_DONTWAIT)) > 0) {
            buf[n] = 0;
            int i = -1;
            if (sscanf(buf, "MESSAGE=entry %d", &i) == 1 && i >= 0 && i < total) ++seen[size_t(i)];
        }
    }
    sd_event_unref(event);
    fflush(stderr);
    dup2(saved.get(), 2);
    EXPECT_LT(took, 2000.0) << "the sender waited for a stalled journald: " << took << " ms";
    FILE* f = fopen(err_path.c_str(), "r");
    ASSERT_NE(f, nullptr);
    char line[256];
    int spilled = 0;
    while (fgets(line, sizeof line, f)) {
        int i = -1;
        if (sscanf(line, "jitd: journald did not take this entry in time: entry %d", &i) == 1 &&
            i >= 0 && i < total) {
            ++seen[size_t(i)];
            ++spilled;
        }
    }
    fclose(f);
    EXPECT_GE(spilled, 1) << "nothing overflowed: the test proves nothing";
    int wrong = 0;
    for (int i = 0; i < total; ++i) wrong += seen[size_t(i)] != 1;
    EXPECT_EQ(wrong, 0) << "entries lost or doubled; " << spilled << " went to stderr";
}

// Between hold() and release() entries wait, then go in order.
TEST(JournalSocket, HeldEntriesGoAtReleaseInOrder) {
    StalledJournald journald;
    ASSERT_TRUE(journald.bound);
    sd_event* event = nullptr;
    ASSERT_GE(sd_event_new(&event), 0);
    {
        JournalSocket sock(entries_apart());
        ASSERT_TRUE(sock.open(journald.path));
        sock.attach(event);
        sock.hold();
        for (int i = 0; i < 3; ++i)
            ASSERT_TRUE(sock.send({"MESSAGE=held " + std::to_string(i), "PRIORITY=6"}));
        char buf[256];
        EXPECT_LT(recv(journald.fd.get(), buf, sizeof buf, MSG_DONTWAIT), 0)
            << "an entry went out before release()";
        sock.release();
        for (int i = 0; i < 3; ++i) {
            ssize_t n = recv(journald.fd.get(), buf, sizeof buf - 1, MSG_DONTWAIT);
            ASSERT_GT(n, 0) << "entry " << i << " did not go at release()";
            buf[n] = 0;
            EXPECT_EQ(std::string(buf), "MESSAGE=held " + std::to_string(i) + "\nPRIORITY=6\n");
        }
        EXPECT_EQ(sock.queued(), 0u);
        // Released: the next entry goes at once.
        ASSERT_TRUE(sock.send({"MESSAGE=after", "PRIORITY=6"}));
        EXPECT_GT(recv(journald.fd.get(), buf, sizeof buf, MSG_DONTWAIT), 0);
    }
    sd_event_unref(event);
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
        JournalSocket sock(entries_apart());
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

// jitd started before journald (no socket at attach()): the first entry
// after journald comes up reaches it, and a stalled journald then queues
// entries without blocking, as if it had been there from the start.
TEST(JournalSocket, AJournaldThatStartsLaterIsReachedWithoutBlocking) {
    StalledJournald journald(false);
    sd_event* event = nullptr;
    ASSERT_GE(sd_event_new(&event), 0);
    {
        JournalSocket sock;
        EXPECT_FALSE(sock.open(journald.path));
        sock.attach(event);
        EXPECT_FALSE(sock.send({"MESSAGE=nobody listens", "PRIORITY=6"}));

        ASSERT_TRUE(journald.listen());
        ASSERT_TRUE(sock.send({"MESSAGE=first", "PRIORITY=6"}));
        char buf[256];
        ssize_t n = recv(journald.fd.get(), buf, sizeof buf - 1, MSG_DONTWAIT);
        ASSERT_GT(n, 0) << "journald, started after attach(), did not get the entry";
        buf[n] = 0;
        EXPECT_EQ(std::string(buf), "MESSAGE=first\nPRIORITY=6\n");

        // Not read from here on: a blocking send would hang.
        alarm(20);
        const double start = now_ms();
        for (int i = 0; i < 2000; ++i)
            ASSERT_TRUE(sock.send({"MESSAGE=entry " + std::to_string(i), "PRIORITY=6"}));
        const double took = now_ms() - start;
        alarm(0);
        EXPECT_LT(took, 2000) << "sending to a stalled journald waited";
        EXPECT_GT(sock.queued(), 0u) << "the stalled journald's entries were not queued";
        // Read again: every entry arrives, in order, as the loop runs.
        int next = 0;
        for (int turn = 0; turn < 100000 && next < 2000; ++turn) {
            n = recv(journald.fd.get(), buf, sizeof buf - 1, MSG_DONTWAIT);
            if (n < 0) {
                sd_event_run(event, 10000);
                continue;
            }
            buf[n] = 0;
            ASSERT_EQ(std::string(buf), "MESSAGE=entry " + std::to_string(next) + "\nPRIORITY=6\n");
            ++next;
        }
        EXPECT_EQ(next, 2000);
        EXPECT_EQ(sock.queued(), 0u);
    }
    sd_event_unref(event);
}

// Reads what journald has been sent so far, without waiting.
std::vector<std::string> received(int fd) {
    std::vector<std::string> got;
    char buf[256];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT)) > 0) got.emplace_back(buf, size_t(n));
    return got;
}

std::string entry(int i) {
    return "MESSAGE=entry " + std::to_string(i) + "\nPRIORITY=6\n";
}

// A socket whose entries the test places in time (now), attached to a loop
// that runs only when the test says so.
class JournalStream : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(journald.bound);
        ASSERT_GE(sd_event_new(&event), 0);
        ASSERT_TRUE(sock.open(journald.path));
        sock.attach(event);
    }
    void TearDown() override {
        if (event) sd_event_unref(event);  // its sources hold it until sock goes
    }
    bool send(int i) { return sock.send({"MESSAGE=entry " + std::to_string(i), "PRIORITY=6"}); }
    // What arrives while the loop runs, until n have (or 5 s pass).
    std::vector<std::string> received_as_the_loop_runs(size_t n) {
        const double start = now_ms();
        std::vector<std::string> got;
        while (got.size() < n && now_ms() - start < 5000) {
            sd_event_run(event, 100000);
            for (auto& e : received(journald.fd.get())) got.push_back(e);
        }
        return got;
    }

    StalledJournald journald;
    sd_event* event = nullptr;
    uint64_t now = 5000000;
    JournalSocket sock{[this] { return now; }};
};

// Entries less than kStreamGapUsec apart wait and go together when the
// gather time is up; the first, after a quiet spell, goes at once.
TEST_F(JournalStream, AStreamOfEntriesGoesTogetherWhenTheGatherTimeIsUp) {
    ASSERT_TRUE(send(0));
    EXPECT_EQ(received(journald.fd.get()), std::vector<std::string>{entry(0)})
        << "an entry on its own did not go at once";
    for (int i = 1; i <= 3; ++i) {
        now += JournalSocket::kStreamGapUsec / 2;
        ASSERT_TRUE(send(i));
    }
    EXPECT_TRUE(received(journald.fd.get()).empty()) << "a stream's entries went one by one";
    EXPECT_EQ(sock.queued(), 3u);
    EXPECT_EQ(received_as_the_loop_runs(3),
              (std::vector<std::string>{entry(1), entry(2), entry(3)}))
        << "the gathered entries did not arrive, in order, when the gather time was up";
    EXPECT_EQ(sock.queued(), 0u);
}

// A stream does not wait for the timer once kGatherMax entries wait.
TEST_F(JournalStream, AStreamGoesAsSoonAsTheGatherIsFull) {
    int qlen = 0;
    if (FILE* f = fopen("/proc/sys/net/unix/max_dgram_qlen", "r")) {
        if (fscanf(f, "%d", &qlen) != 1) qlen = 0;
        fclose(f);
    }
    const int stream = int(JournalSocket::kGatherMax) + 1;  // the first goes alone
    for (int i = 0; i < stream; ++i) {
        now += 10;
        ASSERT_TRUE(send(i));
        if (i == 1) {
            EXPECT_EQ(sock.queued(), 1u) << "the second entry of a stream went at once";
        }
    }
    // Never the loop: what arrives went when the gather filled.  A journald
    // socket holds max_dgram_qlen datagrams; the rest wait for it to be
    // writable.
    std::vector<std::string> got = received(journald.fd.get());
    ASSERT_GE(got.size(), size_t(std::min(stream, qlen > 0 ? qlen : 2)))
        << "a full gather waited for the timer";
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], entry(int(i)));
    EXPECT_EQ(got.size() + sock.queued(), size_t(stream));
}

// An entry after a quiet spell takes the gathered ones with it, in order.
TEST_F(JournalStream, AnEntryAfterAQuietSpellGoesAtOnceWithThoseGathered) {
    ASSERT_TRUE(send(0));
    now += 1;
    ASSERT_TRUE(send(1));
    EXPECT_EQ(received(journald.fd.get()), std::vector<std::string>{entry(0)});
    now += JournalSocket::kStreamGapUsec;
    ASSERT_TRUE(send(2));
    EXPECT_EQ(received(journald.fd.get()), (std::vector<std::string>{entry(1), entry(2)}));
    EXPECT_EQ(sock.queued(), 0u);
}

// Held entries of a stream are gathered at release(), not sent one by one.
TEST_F(JournalStream, HeldEntriesOfAStreamAreGatheredAtRelease) {
    ASSERT_TRUE(send(0));
    sock.hold();
    now += 20;
    ASSERT_TRUE(send(1));
    sock.release();
    EXPECT_EQ(received(journald.fd.get()), std::vector<std::string>{entry(0)});
    EXPECT_EQ(sock.queued(), 1u);
    EXPECT_EQ(received_as_the_loop_runs(1), std::vector<std::string>{entry(1)});
}

}  // namespace
}  // namespace jit::daemon
