// What follows an answer (the check's session admission among it) is done
// after the answer has gone, yet before the server reads anything else: a
// session open queued right behind its check finds the admission the check
// made.  Were it read first, it would be its own admission and take the
// grant's only use a second time, and be refused.
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <systemd/sd-event.h>

#include "daemon/server/dispatch.h"
#include "daemon/server/server.h"
#include "daemon/sessions/session_service.h"
#include "daemon/store/store.h"
#include "jit/messages.h"
#include "jit/wire.h"
#include "tests/unit/fakes.h"
#include "tests/unit/sessions/session_fakes.h"

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

// Runs the loop until the client's whole reply is in; an empty frame if none.
std::vector<uint8_t> read_reply(sd_event* event, int client) {
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

UniqueFd connect_to(const sockaddr_un& addr) {
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_EQ(connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    return fd;
}

TEST(ServerAfterAnswer, ASessionOpenQueuedBehindItsCheckFindsTheCheckAdmission) {
    char tmpl[] = "/tmp/jit-server-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl;
    Config config;
    config.state_dir = dir + "/state";
    config.managed_users = {"deploy"};
    auto store = Store::open(config.state_dir);
    ASSERT_TRUE(store.ok()) << store.error().message;
    jit::testing::FakeClock clock{1'800'000'000};
    jit::testing::RecordingJournal journal;
    jit::testing::FakeDirectory directory;
    jit::testing::FakeProcesses procs;
    procs.add(getpid(), 1, getpid(), 77);
    jit::testing::RecordingSignaller signaller{procs};
    jit::testing::FakeLogind logind;
    Terminator terminator{procs, signaller, logind, 4242};
    JitService service(**store, journal, clock, directory, config);
    SessionService sessions(**store, journal, clock, service, procs, terminator);
    service.set_observer(&sessions);
    service.attach_sessions(&sessions);
    ASSERT_TRUE(service.load().ok());
    ASSERT_TRUE(sessions.load().ok());
    GrantAsk ask;
    ask.user = "deploy";
    ask.services = {"sshd"};
    ask.reason = "test";
    ask.duration = 3600;
    ask.uses = 1;
    auto grant = service.grant(Caller{1, 0, 0, {}}, ask);
    ASSERT_TRUE(grant.ok()) << grant.error().message;
    Dispatcher dispatcher(service);

    UniqueFd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = dir + "/jitd.sock";
    strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(listener.get(), 8), 0);
    // Both queued before the server reads either: it accepts them in one turn.
    UniqueFd check = connect_to(addr);
    send_with_credentials(
        check.get(), *msg::encode(msg::CheckRequest{"deploy", "sshd", "192.0.2.1", "", ""}, 7));
    UniqueFd open = connect_to(addr);
    msg::SessionOpenRequest open_ask;
    open_ask.user = "deploy";
    open_ask.service = "sshd";
    open_ask.pid = uint64_t(getpid());
    send_with_credentials(open.get(), *msg::encode(open_ask, 8));

    sd_event* event = nullptr;
    ASSERT_GE(sd_event_new(&event), 0);
    {
        Server server(event, std::move(listener), UniqueFd(), dispatcher, service,
                      Server::Options{});
        ASSERT_TRUE(server.start().ok());
        auto check_reply = read_reply(event, check.get());
        auto check_frame = wire::decode_frame(check_reply.data(), check_reply.size());
        ASSERT_TRUE(check_frame.ok()) << "no CHECK reply";
        EXPECT_EQ(msg::decode_check_reply(*check_frame).decision, proto::Decision::Allow);
        auto open_reply = read_reply(event, open.get());
        auto open_frame = wire::decode_frame(open_reply.data(), open_reply.size());
        ASSERT_TRUE(open_frame.ok()) << "no SESSION_OPEN reply";
        auto opened = msg::decode_session_open_reply(*open_frame);
        EXPECT_EQ(opened.decision, proto::Decision::Allow) << opened.reason;
        EXPECT_EQ(opened.grant_id, grant->id);
        EXPECT_EQ(*service.book().find(grant->id)->uses_left, 0u) << "one use, taken by the check";
    }
    sd_event_unref(event);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace jit::daemon
