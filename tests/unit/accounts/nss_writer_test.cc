// NssPublisher in the background: the snapshot is built and written by a
// child forked from the loop's process, publications asked for while it runs
// are served together by the next one, the loop learns when each is
// finished, and the child keeps none of the loop's descriptors.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/accounts/nss_publisher.h"
#include "tests/unit/fakes.h"

namespace jit::daemon {
namespace {

using jit::testing::RecordingJournal;

SnapshotInput input(const std::string& name) {
    SnapshotInput in;
    in.now = 1700000000;
    NssAccount a;
    a.name = name;
    a.uid = a.gid = 5000;
    a.home = "/nonexistent";
    a.shell = "/usr/sbin/nologin";
    a.visibility = Visibility::Always;
    in.accounts.push_back(a);
    return in;
}

std::vector<uint8_t> bytes_of(const SnapshotInput& in) {
    auto built = build_snapshot(in);
    return built ? built->bytes : std::vector<uint8_t>{};
}

class NssWriterTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-nss-writer.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        // sd-event learns of children through SIGCHLD, blocked as in jitd.
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        ASSERT_EQ(sigprocmask(SIG_BLOCK, &set, &old_mask_), 0);
        ASSERT_GE(sd_event_new(&event_), 0);
    }
    void TearDown() override {
        sd_event_unref(event_);
        sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
        std::filesystem::remove_all(dir_);
    }
    // Runs the loop until every publication asked for is finished.
    bool settle(NssPublisher& p) {
        for (int i = 0; i < 500 && p.settled() < p.requested(); ++i)
            if (sd_event_run(event_, 10000) < 0) return false;
        return p.settled() == p.requested();
    }
    std::vector<uint8_t> read(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

    std::string dir_;
    sigset_t old_mask_;
    sd_event* event_ = nullptr;
    RecordingJournal journal_;
};

TEST_F(NssWriterTest, PublicationsAskedForWhileOneIsWrittenAreServedTogetherByTheNext) {
    SnapshotFile file(dir_ + "/nss.snapshot");
    NssPublisher publisher(journal_);
    publisher.set_sink(&file);
    int settled_calls = 0;
    publisher.write_in_background(event_, [&] { ++settled_calls; });
    publisher.publish([] { return input("first"); });
    publisher.publish([] { return input("second"); });
    publisher.publish([] { return input("third"); });
    EXPECT_EQ(publisher.requested(), 3u);
    EXPECT_EQ(publisher.settled(), 0u) << "nothing is finished before the loop hears of it";
    ASSERT_TRUE(settle(publisher));
    EXPECT_EQ(publisher.settled(), 3u);
    EXPECT_EQ(publisher.written(), 2u) << "the first, then the second and third in one file";
    EXPECT_EQ(settled_calls, 2);
    EXPECT_EQ(read(dir_ + "/nss.snapshot"), bytes_of(input("third"))) << "the latest state wins";
    EXPECT_TRUE(journal_.of(Event::NssSnapshotFailed).empty());
}

TEST_F(NssWriterTest, AFailedWriteIsJournaledRetriedAndStillFinishesThePublication) {
    const std::string open_dir = dir_ + "/open";
    ASSERT_EQ(mkdir(open_dir.c_str(), 0777), 0);
    ASSERT_EQ(chmod(open_dir.c_str(), 0777), 0);  // others may write: refused
    SnapshotFile file(open_dir + "/nss.snapshot");
    NssPublisher publisher(journal_);
    publisher.set_sink(&file);
    publisher.write_in_background(event_, [] {});
    publisher.publish([] { return input("one"); });
    ASSERT_TRUE(settle(publisher));
    EXPECT_EQ(publisher.written(), 0u);
    auto failed = journal_.of(Event::NssSnapshotFailed);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_NE(failed[0].message.find("writable by group or others"), std::string::npos)
        << failed[0].message;
    EXPECT_EQ(publisher.next_wakeup(), input("one").now + NssPublisher::kRetrySeconds);
}

// Blocks the writer child until the test creates the file `go`.
class WaitingSink : public SnapshotSink {
public:
    explicit WaitingSink(std::string go) : go_(std::move(go)) {}
    Result<void, std::string> write(const std::vector<uint8_t>&) override {
        for (int i = 0; i < 500 && access(go_.c_str(), F_OK) != 0; ++i) usleep(10000);
        return {};
    }

private:
    std::string go_;
};

TEST_F(NssWriterTest, TheWriterKeepsNoneOfTheLoopsDescriptors) {
    int pair[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    WaitingSink sink(dir_ + "/go");
    NssPublisher publisher(journal_);
    publisher.set_sink(&sink);
    publisher.write_in_background(event_, [] {});
    publisher.publish([] { return input("one"); });  // a connection jitd holds: pair[0]
    close(pair[0]);                                  // jitd closes it while the writer runs
    pollfd pfd{pair[1], POLLIN, 0};
    const int ready = poll(&pfd, 1, 2000);
    char c;
    const ssize_t n = ready == 1 ? ::read(pair[1], &c, 1) : -1;
    std::ofstream(dir_ + "/go").put('x');
    close(pair[1]);
    ASSERT_TRUE(settle(publisher));
    EXPECT_EQ(ready, 1) << "the peer did not see the close while the writer ran";
    EXPECT_EQ(n, 0) << "end of file expected";
    EXPECT_EQ(publisher.written(), 1u);
}

TEST_F(NssWriterTest, WithoutALoopAPublicationIsFinishedAtOnce) {
    SnapshotFile file(dir_ + "/nss.snapshot");
    NssPublisher publisher(journal_);
    publisher.set_sink(&file);
    publisher.publish([] { return input("now"); });
    EXPECT_EQ(publisher.settled(), 1u);
    EXPECT_EQ(publisher.written(), 1u);
    EXPECT_EQ(read(dir_ + "/nss.snapshot"), bytes_of(input("now")));
}

}  // namespace
}  // namespace jit::daemon
