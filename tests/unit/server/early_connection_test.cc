// A client that connected before the listening socket had SO_PASSCRED (right
// after jitd bound it, or queued on a socket systemd passed) is still
// answered with its credentials read: since Linux 6.16 a connection takes
// its socket flags at connect(), so jitd sets SO_PASSCRED on each connection
// it accepts until the listener's queue has been emptied once.  Without
// that, the request arrives without SCM_CREDENTIALS and is refused as not
// sent by the connector.
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
#include "daemon/store/store.h"
#include "jit/messages.h"
#include "jit/wire.h"
#include "tests/unit/fakes.h"

namespace jit::daemon {
namespace {

// One frame, sent with the sender's credentials attached (as jit's client does).
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

void expect_status_reply(sd_event* event, int client) {
    uint8_t reply[proto::kMaxFrame];
    size_t got = 0;
    for (int turn = 0; turn < 50; ++turn) {
        sd_event_run(event, 20000);
        pollfd p{client, POLLIN, 0};
        if (poll(&p, 1, 0) == 1) {
            ssize_t n = recv(client, reply + got, sizeof reply - got, MSG_DONTWAIT);
            if (n <= 0) break;
            got += size_t(n);
        }
    }
    auto frame = wire::decode_frame(reply, got);
    ASSERT_TRUE(frame.ok()) << "no complete reply (" << got << " bytes)";
    EXPECT_EQ(frame->header.type, proto::MsgType::StatusReply)
        << "refused: the request was read without its credentials";
}

TEST(ServerCredentials, AConnectionMadeBeforeTheListenerHadSoPasscredIsAnswered) {
    char tmpl[] = "/tmp/jit-server-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl;
    Config config;
    config.state_dir = dir + "/state";
    auto store = Store::open(config.state_dir);
    ASSERT_TRUE(store.ok()) << store.error().message;
    testing::FakeClock clock{1'800'000'000};
    testing::RecordingJournal journal;
    testing::FakeDirectory directory;
    JitService service(**store, journal, clock, directory, config);
    ASSERT_TRUE(service.load().ok());
    Dispatcher dispatcher(service);

    // The listener, without SO_PASSCRED yet, and a client already connected
    // with its request sent.
    UniqueFd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = dir + "/jitd.sock";
    strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(listener.get(), 8), 0);
    UniqueFd client(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_EQ(connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    send_with_credentials(client.get(), *msg::encode_status_request(7));
    // The server gives the listener SO_PASSCRED itself when it starts.

    sd_event* event = nullptr;
    ASSERT_GE(sd_event_new(&event), 0);
    {
        Server server(event, std::move(listener), UniqueFd(), dispatcher, service,
                      Server::Options{});
        ASSERT_TRUE(server.start().ok());
        expect_status_reply(event, client.get());
        EXPECT_TRUE(journal.of(Event::RequestRefused).empty());
        // Once the queue has been emptied, a connection made after it takes
        // the flag from the listener, which jitd no longer sets on each.
        UniqueFd later(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        ASSERT_EQ(connect(later.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        send_with_credentials(later.get(), *msg::encode_status_request(8));
        expect_status_reply(event, later.get());
        EXPECT_TRUE(journal.of(Event::RequestRefused).empty());
    }
    sd_event_unref(event);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace jit::daemon
