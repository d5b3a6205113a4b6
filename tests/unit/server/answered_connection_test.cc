// What follows an answer (the check's session admission among it) is done
// after the answer has gone, yet before the server reads anything else: a
// session open queued right behind its check finds the admission the check
// made.  Were it read first, it would be its own admission and take the
// grant's only use a second time, and be refused.
#include <stdlib.h>
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
#include "tests/unit/server/server_harness.h"
#include "tests/unit/sessions/session_fakes.h"

namespace jit::daemon {
namespace {

using jit::testing::connect_to;
using jit::testing::listen_in;
using jit::testing::read_reply;
using jit::testing::send_with_credentials;

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

    sockaddr_un addr;
    UniqueFd listener = listen_in(dir, &addr);
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
