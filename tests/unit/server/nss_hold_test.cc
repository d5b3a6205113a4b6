// A request that changes what the NSS snapshot shows is answered once the
// snapshot shows it, while the snapshot is written by a child off the loop:
// with the writer held back, the grant's reply waits and a CHECK arriving
// meanwhile is answered at once; the grant's reply follows the writer.
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include <gtest/gtest.h>
#include <systemd/sd-event.h>

#include "daemon/server/dispatch.h"
#include "daemon/server/server.h"
#include "daemon/store/store.h"
#include "jit/messages.h"
#include "jit/wire.h"
#include "tests/unit/fakes.h"

namespace jit::daemon {
namespace {

void send_with_credentials(int fd, const msg::Frame& frame) {
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

// Writes nothing; holds the writer child until the file `go` exists.
class HeldSink : public SnapshotSink {
public:
    explicit HeldSink(std::string go) : go_(std::move(go)) {}
    Result<void, std::string> write(const std::vector<uint8_t>&) override {
        for (int i = 0; i < 1000 && access(go_.c_str(), F_OK) != 0; ++i) usleep(5000);
        return {};
    }

private:
    std::string go_;
};

class NssHoldTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-nss-hold.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);  // as in jitd: writer exits come through sd-event
        ASSERT_EQ(sigprocmask(SIG_BLOCK, &set, &old_mask_), 0);
        ASSERT_GE(sd_event_new(&event_), 0);
    }
    void TearDown() override {
        sd_event_unref(event_);
        sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
        std::filesystem::remove_all(dir_);
    }
    UniqueFd connect_to(const std::string& path) {
        UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        EXPECT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        return fd;
    }
    // Runs the loop for up to `turns` turns of 10 ms; the reply's type once
    // a whole frame has come, else nothing.
    std::optional<proto::MsgType> reply(int fd, int turns) {
        for (int turn = 0; turn < turns; ++turn) {
            sd_event_run(event_, 10000);
            pollfd p{fd, POLLIN, 0};
            if (poll(&p, 1, 0) != 1) continue;
            ssize_t n = recv(fd, buf_ + got_[fd], sizeof buf_ - got_[fd], MSG_DONTWAIT);
            if (n <= 0) return std::nullopt;
            got_[fd] += size_t(n);
            auto frame = wire::decode_frame(buf_, got_[fd]);
            if (frame) return frame->header.type;
        }
        return std::nullopt;
    }

    std::string dir_;
    sigset_t old_mask_;
    sd_event* event_ = nullptr;
    uint8_t buf_[proto::kMaxFrame];
    std::map<int, size_t> got_;
};

TEST_F(NssHoldTest, AGrantIsAnsweredOnceItsSnapshotIsWrittenAndOthersAreNotHeldMeanwhile) {
    if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: grants are root's; run as root";
    Config config;
    config.state_dir = dir_ + "/state";
    config.managed_users = {"alice"};
    config.nss.configured = true;
    config.nss.uid_range = UidRange{60500, 60509};
    config.nss.gid_range = UidRange{60600, 60609};
    auto store = Store::open(config.state_dir);
    ASSERT_TRUE(store.ok()) << store.error().what;
    testing::FakeClock clock{1'800'000'000};
    testing::RecordingJournal journal;
    testing::FakeDirectory directory;
    directory.users["alice"] = UserInfo{1000, {1000}};
    JitService service(**store, journal, clock, directory, config);
    HeldSink sink(dir_ + "/go");
    service.set_snapshot_sink(&sink);
    ASSERT_TRUE(service.load().ok());
    Dispatcher dispatcher(service);

    UniqueFd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = dir_ + "/jitd.sock";
    strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(listener.get(), 8), 0);
    int one = 1;
    ASSERT_EQ(setsockopt(listener.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one), 0);
    {
        Server server(event_, std::move(listener), UniqueFd(), dispatcher, service,
                      Server::Options{});
        ASSERT_TRUE(server.start().ok());
        service.write_nss_in_background(event_, [&server] { server.release_nss(); });

        // jitd serves NSS: an account of its own, granted.
        msg::AccountAddRequest add;
        add.name = "svc";
        ASSERT_TRUE(service.add_account(Caller{1, 0, 0, {}}, add).ok());
        std::ofstream(dir_ + "/go").put('x');  // the account's own snapshot
        for (int i = 0; i < 200 && service.nss_settled() < service.nss_requested(); ++i)
            sd_event_run(event_, 10000);
        ASSERT_EQ(service.nss_settled(), service.nss_requested());
        std::filesystem::remove(dir_ + "/go");

        msg::GrantRequest g;
        g.user = "svc";
        g.services = {"sshd"};
        g.reason = "test";
        g.duration = 600;
        UniqueFd granting = connect_to(path);
        send_with_credentials(granting.get(), *msg::encode(g, 1));
        EXPECT_EQ(reply(granting.get(), 30), std::nullopt)
            << "answered before its snapshot was written";
        EXPECT_LT(service.nss_settled(), service.nss_requested());

        UniqueFd asking = connect_to(path);
        send_with_credentials(asking.get(), *msg::encode_status_request(2));
        EXPECT_EQ(reply(asking.get(), 30), proto::MsgType::StatusReply)
            << "another request waited for the snapshot writer";

        std::ofstream(dir_ + "/go").put('x');
        EXPECT_EQ(reply(granting.get(), 300), proto::MsgType::GrantReply);
        EXPECT_EQ(service.nss_settled(), service.nss_requested());
    }
}

}  // namespace
}  // namespace jit::daemon
