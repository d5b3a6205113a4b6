// A client that connected before the listening socket had SO_PASSCRED (right
// after jitd bound it, or queued on a socket systemd passed) is still
// answered with its credentials read: since Linux 6.16 a connection takes
// its socket flags at connect(), so jitd sets SO_PASSCRED on each connection
// it accepts until the listener's queue has been emptied once.  Without
// that, the request arrives without SCM_CREDENTIALS and is refused as not
// sent by the connector.
#include <stdlib.h>
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
#include "tests/unit/server/server_harness.h"

namespace jit::daemon {
namespace {

using jit::testing::connect_to;
using jit::testing::listen_in;
using jit::testing::read_reply;
using jit::testing::send_with_credentials;

void expect_status_reply(sd_event* event, int client) {
    auto reply = read_reply(event, client);
    auto frame = wire::decode_frame(reply.data(), reply.size());
    ASSERT_TRUE(frame.ok()) << "no complete reply (" << reply.size() << " bytes)";
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
    sockaddr_un addr;
    UniqueFd listener = listen_in(dir, &addr);
    UniqueFd client = connect_to(addr);
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
        UniqueFd later = connect_to(addr);
        send_with_credentials(later.get(), *msg::encode_status_request(8));
        expect_status_reply(event, later.get());
        EXPECT_TRUE(journal.of(Event::RequestRefused).empty());
    }
    sd_event_unref(event);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace jit::daemon
