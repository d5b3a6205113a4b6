// jit::roundtrip against scripted servers on real Unix sockets: the happy
// path, every refusal the client promises (who owns the socket, who serves
// it), one total deadline however the server stalls, malformed replies, and
// the hygiene a guest in sshd owes its host (no fd kept, none on 0-2).
#include <errno.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "tests/unit/common/client_harness.h"
#include "jit/client.h"
#include "jit/messages.h"
#include "tests/unit/common/raw_frame.h"

namespace jit::test {
namespace {

using Clock = std::chrono::steady_clock;
using proto::MsgType;

constexpr uint32_t kRequestId = 0x5eed1234;
// A uid that is not ours: "nobody", unless the tests run as nobody.
const uid_t kOtherUid = getuid() == 65534 ? 65533 : 65534;
constexpr int kTimeoutMs = 300;
constexpr int kSlackMs = 250;     // scheduling noise on a loaded 2-core machine
constexpr int kPatientMs = 2000;  // for tests where only waiting could fail them

Bytes check_request() {
    auto f = msg::encode(msg::CheckRequest{"deploy", "sshd", "192.0.2.7", "", ""}, kRequestId);
    return f.ok() ? *f : Bytes{};
}

Bytes allow_reply(uint32_t id = kRequestId) {
    msg::CheckReply r;
    r.decision = proto::Decision::Allow;
    r.reason = "grant in force";
    r.grant_id = "g-7kq2m9ab";
    r.not_after = 1764441000;
    auto f = msg::encode(r, id);
    return f.ok() ? *f : Bytes{};
}

class ClientTest : public ::testing::Test {
public:  // census_during_call drives a fixture from a forked child
    void SetUp() override {
        ASSERT_TRUE(dir_.ok()) << "cannot create a temporary directory";
        path_ = dir_.file("jitd.sock");
        options_.socket_path = path_.c_str();
        options_.trusted_uids[0] = getuid();
        options_.trusted_count = 1;
        options_.timeout_ms = kTimeoutMs;
        request_ = check_request();
        ASSERT_FALSE(request_.empty());
    }

    // Starts a scripted server on path_.
    void serve(Script script, int backlog = 16) {
        auto listener = listen_unix(path_, backlog);
        ASSERT_TRUE(listener.valid()) << "cannot listen on " << path_ << ": " << strerror(errno);
        server_ = std::make_unique<ServerProcess>(std::move(listener), std::move(script));
        ASSERT_TRUE(server_->started());
    }

    Result<wire::MessageView> call() {
        return roundtrip(options_, request_.data(), request_.size(), reply_.data(), reply_.size());
    }

    // Calls and checks the failure's errno, returning how long the call took.
    int64_t expect_failure(int code) {
        auto start = Clock::now();
        auto r = call();
        int64_t took = elapsed_ms(start);
        EXPECT_FALSE(r.ok()) << "the client accepted what it should have refused";
        if (!r.ok()) {
            EXPECT_EQ(r.error().code, code)
                << "got " << strerror(r.error().code) << ": " << r.error().what;
        }
        return took;
    }

    TempDir dir_;
    std::string path_;
    ClientOptions options_;
    Bytes request_;
    Bytes reply_ = Bytes(proto::kMaxFrame);
    std::unique_ptr<ServerProcess> server_;
};

TEST_F(ClientTest, HappyPath) {
    serve(replying(allow_reply()).expecting(request_));
    auto r = call();
    ASSERT_TRUE(r.ok()) << strerror(r.error().code) << ": " << r.error().what;
    EXPECT_EQ(r->header.type, MsgType::CheckReply);
    EXPECT_EQ(r->header.request_id, kRequestId);
    auto reply = msg::decode_check_reply(*r);
    EXPECT_EQ(reply.decision, proto::Decision::Allow);
    EXPECT_EQ(reply.grant_id, "g-7kq2m9ab");
    EXPECT_EQ(reply.not_after, std::optional<int64_t>(1764441000));
    // The view points into the caller's buffer, which holds the whole frame.
    EXPECT_EQ(r->body, reply_.data() + proto::kHeaderSize);
}

TEST_F(ClientTest, SecondTrustedUidIsHonouredOnlyWhenCounted) {
    serve(replying(allow_reply()));
    options_.trusted_uids[0] = kOtherUid;
    options_.trusted_uids[1] = getuid();
    options_.trusted_count = 2;
    auto r = call();
    EXPECT_TRUE(r.ok()) << r.error().what;
    options_.trusted_count = 1;
    expect_failure(EPERM);
}

TEST_F(ClientTest, SocketPathMissing) {
    expect_failure(ENOENT);
}

TEST_F(ClientTest, PathIsARegularFile) {
    int fd = open(path_.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    close(fd);
    expect_failure(ENOTSOCK);
}

TEST_F(ClientTest, PathIsADirectory) {
    ASSERT_EQ(mkdir(path_.c_str(), 0700), 0);
    expect_failure(ENOTSOCK);
    rmdir(path_.c_str());
}

// A symlink is not the socket: whoever can plant one could point it anywhere.
TEST_F(ClientTest, SymlinkToATrustedSocketIsRefused) {
    std::string real = dir_.file("real.sock");
    auto listener = listen_unix(real);
    ASSERT_TRUE(listener.valid());
    server_ = std::make_unique<ServerProcess>(std::move(listener), replying(allow_reply()));
    ASSERT_EQ(symlink(real.c_str(), path_.c_str()), 0);
    expect_failure(ENOTSOCK);
}

TEST_F(ClientTest, PathTooLongOrEmpty) {
    std::string long_path = "/tmp/" + std::string(200, 'x');
    options_.socket_path = long_path.c_str();
    expect_failure(ENAMETOOLONG);
    options_.socket_path = "";
    expect_failure(ENAMETOOLONG);
    options_.socket_path = nullptr;
    expect_failure(ENAMETOOLONG);
}

TEST_F(ClientTest, NobodyListening) {
    auto listener = listen_unix(path_);
    ASSERT_TRUE(listener.valid());
    listener.reset();  // the socket file stays, the server is gone
    expect_failure(ECONNREFUSED);
}

TEST_F(ClientTest, SocketOwnedByAnUntrustedUid) {
    serve(replying(allow_reply()));
    options_.trusted_uids[0] = kOtherUid;  // the socket file is ours, not theirs
    auto r = call();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EPERM);
    EXPECT_NE(strstr(r.error().what, "owner"), nullptr) << r.error().what;
}

// The socket file is owned by the trusted uid, but the process serving it is
// not: only the SO_PEERCRED check can notice.  Needs root to chown.
TEST_F(ClientTest, ServerRunningAsAnUntrustedUid) {
    if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root to give the socket another owner";
    serve(replying(allow_reply()));
    ASSERT_EQ(lchown(path_.c_str(), kOtherUid, 0), 0) << strerror(errno);
    options_.trusted_uids[0] = kOtherUid;
    auto r = call();
    ASSERT_FALSE(r.ok()) << "a server running as an untrusted uid was believed";
    EXPECT_EQ(r.error().code, EPERM);
    EXPECT_NE(strstr(r.error().what, "uid"), nullptr) << r.error().what;
}

TEST_F(ClientTest, ServerThatNeverAnswersTimesOutOnTime) {
    serve(silent());
    int64_t took = expect_failure(ETIMEDOUT);
    EXPECT_GE(took, kTimeoutMs - 5);
    EXPECT_LE(took, kTimeoutMs + kSlackMs);
}

TEST_F(ClientTest, StoppedListenerTimesOutWithinTheDeadline) {
    serve(replying(allow_reply()));
    ASSERT_TRUE(server_->stop());
    int64_t took = expect_failure(ETIMEDOUT);
    EXPECT_GE(took, kTimeoutMs - 5);
    EXPECT_LE(took, kTimeoutMs + kSlackMs);
}

// A stopped listener with a full backlog makes connect() itself say EAGAIN;
// the client must keep to its deadline rather than fail fast or spin forever.
TEST_F(ClientTest, FullBacklogTimesOutWithinTheDeadline) {
    serve(replying(allow_reply()), 0);
    ASSERT_TRUE(server_->stop());
    std::vector<UniqueFd> fillers;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    for (int i = 0; i < 16; ++i) {
        UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        int rc = connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        if (rc != 0 && errno == EAGAIN) break;
        fillers.push_back(std::move(fd));
    }
    ASSERT_LT(fillers.size(), 16u) << "the backlog never filled";
    int64_t took = expect_failure(ETIMEDOUT);
    EXPECT_GE(took, kTimeoutMs - 5);
    EXPECT_LE(took, kTimeoutMs + kSlackMs);
}

TEST_F(ClientTest, GarbageReply) {
    serve(replying(Bytes(64, 0x41)).verbatim());
    expect_failure(EPROTO);
}

TEST_F(ClientTest, GarbageShorterThanAHeaderThenClose) {
    serve(replying(Bytes{'n', 'o', 'p', 'e'}).verbatim());
    expect_failure(EPROTO);
}

TEST_F(ClientTest, ValidHeaderWithAMalformedBody) {
    RawFrame bad(MsgType::CheckReply, kRequestId);
    bad.u64(proto::FieldTag::Decision, 2).str(proto::FieldTag::Reason, "no grant id");
    serve(replying(bad.frame()));
    expect_failure(EPROTO);
}

// The client must judge body_len from the header alone: the server sends a
// header announcing too much and then nothing, so reading on would time out.
TEST_F(ClientTest, OversizeBodyLenIsRefusedWithoutReadingMore) {
    RawFrame huge(MsgType::CheckReply, kRequestId);
    huge.body_len = proto::kMaxBody + 1;
    serve(replying(huge.frame()).holding_open());
    options_.timeout_ms = kPatientMs;  // reading on would take all of this
    int64_t took = expect_failure(EMSGSIZE);
    EXPECT_LT(took, kPatientMs / 2) << "the client waited for a body it should not want";
}

TEST_F(ClientTest, BodyLargerThanTheCallersBufferIsRefusedWithoutReadingMore) {
    RawFrame big(MsgType::CheckReply, kRequestId);
    big.body_len = 1000;  // within the protocol, beyond this caller's buffer
    serve(replying(big.frame()).holding_open());
    reply_.resize(256);
    options_.timeout_ms = kPatientMs;
    int64_t took = expect_failure(EMSGSIZE);
    EXPECT_LT(took, kPatientMs / 2) << "the client waited for a body it should not want";
}

// The client reads the header and body in one recv as a rule; a reply that
// arrives a few bytes at a time (the header split too) is still read whole.
TEST_F(ClientTest, AReplyArrivingInPiecesIsReadWhole) {
    options_.timeout_ms = kPatientMs;  // one byte each 5 ms: about 0.3 s for the reply
    for (size_t piece : {1, 5, 13, 17}) {
        serve(replying(allow_reply()).expecting(request_).in_pieces(piece));
        auto r = call();
        ASSERT_TRUE(r.ok()) << piece << ": " << strerror(r.error().code) << ": " << r.error().what;
        auto reply = msg::decode_check_reply(*r);
        EXPECT_EQ(reply.decision, proto::Decision::Allow) << piece;
        EXPECT_EQ(reply.grant_id, "g-7kq2m9ab") << piece;
        server_.reset();
        unlink(path_.c_str());
    }
}

// Bytes after the reply frame are not part of it: the frame is decoded at its
// own length, whatever else the read took in.
TEST_F(ClientTest, BytesAfterTheFrameAreNotPartOfIt) {
    serve(replying(allow_reply()).followed_by(Bytes(40, 0x5a)));
    auto r = call();
    ASSERT_TRUE(r.ok()) << strerror(r.error().code) << ": " << r.error().what;
    EXPECT_EQ(msg::decode_check_reply(*r).grant_id, "g-7kq2m9ab");
}

TEST_F(ClientTest, TruncatedHeaderThenClose) {
    Bytes partial = allow_reply();
    partial.resize(10);
    serve(replying(partial));
    expect_failure(EPROTO);
}

TEST_F(ClientTest, TruncatedBodyThenClose) {
    Bytes partial = allow_reply();
    partial.resize(partial.size() - 5);
    serve(replying(partial));
    expect_failure(EPROTO);
}

TEST_F(ClientTest, ReplyWithMismatchedRequestId) {
    serve(replying(allow_reply(kRequestId + 1)).verbatim());
    expect_failure(EPROTO);
}

TEST_F(ClientTest, ServerThatClosesWithoutReadingIsAFailure) {
    serve(replying({}).without_reading());
    auto r = call();
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.error().code == EPROTO || r.error().code == EPIPE || r.error().code == ECONNRESET)
        << strerror(r.error().code);
}

// A peer that stops reading while the request is still being sent: the
// send fails with EPIPE and no SIGPIPE is raised (the modules run inside
// sshd and sudo, which need not ignore it).  Deterministic: the request is
// larger than the socket can hold, so the client is still sending when the
// server shuts its side, and every send after that takes the EPIPE path.
// The call runs in a child with SIGPIPE at its default (death).
TEST_F(ClientTest, APeerThatStopsReadingGivesEpipeNeverSigpipe) {
    serve(replying({}).stopping_reading());
    Bytes big = request_;
    big.resize(size_t(8) << 20, 0);
    options_.timeout_ms = kPatientMs * 5;
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        sigset_t pipe_only;
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        sigprocmask(SIG_UNBLOCK, &pipe_only, nullptr);
        auto r = roundtrip(options_, big.data(), big.size(), reply_.data(), reply_.size());
        _exit(r.ok() ? 10 : r.error().code == EPIPE ? 0 : 20 + (r.error().code & 63));
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_FALSE(WIFSIGNALED(status)) << "the call raised signal " << WTERMSIG(status);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10: the call succeeded; 20+errno otherwise";
}

TEST_F(ClientTest, NoDescriptorOutlivesACall) {
    struct Case {
        const char* name;
        Script script;
    };
    Bytes truncated = allow_reply();
    truncated.resize(20);
    const Case cases[] = {
        {"allow", replying(allow_reply())},
        {"garbage", replying(Bytes(64, 0x41)).verbatim()},
        {"truncated", replying(truncated)},
        {"mismatched id", replying(allow_reply(7)).verbatim()},
        {"silent", silent()},
    };
    options_.timeout_ms = 100;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        unlink(path_.c_str());
        serve(c.script);
        int before = count_open_fds();
        (void)call();
        EXPECT_EQ(count_open_fds(), before);
        server_.reset();
    }
    // And the calls that fail before or right after connecting.
    unlink(path_.c_str());
    serve(replying(allow_reply()));
    options_.trusted_uids[0] = kOtherUid;  // EPERM: untrusted socket owner
    int before = count_open_fds();
    (void)call();
    EXPECT_EQ(count_open_fds(), before);
    server_.reset();
    unlink(path_.c_str());
    before = count_open_fds();
    (void)call();  // ENOENT
    EXPECT_EQ(count_open_fds(), before);
}

// Runs one call in a child process holding no descriptors but (optionally)
// 0-2, and returns the server's census of that child's descriptors taken
// while the call was in flight.  The child's exit status says whether the
// call succeeded.
std::string census_during_call(ClientTest& t, bool close_stdio, int* exit_status) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return "pipe failed";
    t.serve(replying(allow_reply()).expecting(t.request_).reporting_to(report[1]));
    close(report[1]);
    pid_t child = fork();
    if (child == 0) {
        close_range(3, ~0u, 0);  // only the client's own socket may show up
        if (close_stdio) {
            close(0);
            close(1);
            close(2);
        }
        _exit(t.call().ok() ? 0 : 1);
    }
    std::string seen(512, '\0');
    ssize_t n = child > 0 ? read(report[0], seen.data(), seen.size()) : -1;
    close(report[0]);
    seen.resize(n > 0 ? size_t(n) : 0);
    *exit_status = -1;
    if (child > 0) waitpid(child, exit_status, 0);
    return seen;
}

// A caller that closed stdin/stdout/stderr must not get its jitd socket on
// 0-2, where a later write to "stderr" would go to jitd.
TEST_F(ClientTest, NeverUsesStandardStreamDescriptors) {
    int status = 0;
    std::string census = census_during_call(*this, true, &status);
    EXPECT_EQ(census, "stdio= sockets=1 cloexec=1");
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the call itself failed";
}

// The socket must not leak into programs the host process executes.
TEST_F(ClientTest, SocketIsCloseOnExec) {
    int status = 0;
    std::string census = census_during_call(*this, false, &status);
    EXPECT_EQ(census, "stdio=012 sockets=1 cloexec=1");
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the call itself failed";
}

}  // namespace
}  // namespace jit::test
