// FrameWriter refuses to build frames it cannot build correctly: it never
// writes past its buffer, never emits malformed text, and reports the first
// error from finish() instead of returning a half-built frame.
#include <errno.h>
#include <gtest/gtest.h>
#include <string.h>

#include <string>
#include <vector>

#include "jit/wire.h"

namespace jit::test {
namespace {

using proto::FieldTag;
using proto::MsgType;

constexpr uint8_t kCanary = 0xa5;

// A buffer whose bytes past `capacity` are canaries the writer must not touch.
struct GuardedBuffer {
    explicit GuardedBuffer(size_t capacity) : capacity(capacity), bytes(capacity + 64, kCanary) {}
    bool canaries_intact() const {
        for (size_t i = capacity; i < bytes.size(); ++i)
            if (bytes[i] != kCanary) return false;
        return true;
    }
    size_t capacity;
    std::vector<uint8_t> bytes;
};

void expect_error(const Result<size_t>& r, int code) {
    ASSERT_FALSE(r.ok()) << "the writer produced a frame it should have refused";
    EXPECT_EQ(r.error().code, code) << r.error().what;
}

TEST(WireWriter, OverflowIsEmsgsizeAndWritesNothingPastTheBuffer) {
    GuardedBuffer buf(proto::kHeaderSize + proto::kFieldHeaderSize + 10);
    wire::FrameWriter w(buf.bytes.data(), buf.capacity, MsgType::CheckRequest, 1);
    w.add_string(FieldTag::User, std::string(11, 'u'));
    w.add_string(FieldTag::Service, "sshd");
    expect_error(w.finish(), EMSGSIZE);
    EXPECT_TRUE(buf.canaries_intact());
}

TEST(WireWriter, ExactFitSucceeds) {
    GuardedBuffer buf(proto::kHeaderSize + proto::kFieldHeaderSize + 10);
    wire::FrameWriter w(buf.bytes.data(), buf.capacity, MsgType::ListRequest, 1);
    w.add_string(FieldTag::User, std::string(10, 'u'));
    auto len = w.finish();
    ASSERT_TRUE(len.ok()) << len.error().what;
    EXPECT_EQ(*len, buf.capacity);
    EXPECT_TRUE(buf.canaries_intact());
    EXPECT_TRUE(wire::decode_frame(buf.bytes.data(), *len).ok());
}

TEST(WireWriter, OverflowByAFieldHeaderAlone) {
    // Room for the value but not for the 8-byte field header in front of it.
    GuardedBuffer buf(proto::kHeaderSize + 7);
    wire::FrameWriter w(buf.bytes.data(), buf.capacity, MsgType::ListRequest, 1);
    w.add_bool(FieldTag::IncludeEnded, true);
    expect_error(w.finish(), EMSGSIZE);
    EXPECT_TRUE(buf.canaries_intact());
}

TEST(WireWriter, BufferSmallerThanHeaderIsEmsgsize) {
    GuardedBuffer buf(proto::kHeaderSize - 1);
    wire::FrameWriter w(buf.bytes.data(), buf.capacity, MsgType::StatusRequest, 1);
    expect_error(w.finish(), EMSGSIZE);
    EXPECT_TRUE(buf.canaries_intact());
}

TEST(WireWriter, NeverBuildsAFrameAboveTheProtocolLimit) {
    // The buffer is larger than a frame may be; the frame limit still holds.
    std::vector<uint8_t> buf(2 * proto::kMaxFrame);
    wire::FrameWriter w(buf.data(), buf.size(), MsgType::StatusReply, 1);
    for (int i = 0; i < 20; ++i) w.add_string(FieldTag::ManagedUsers, std::string(4000, 'u'));
    expect_error(w.finish(), EMSGSIZE);
}

// Fills a STATUS_REPLY so its body is exactly `body` bytes.
Result<size_t> status_reply_of_size(std::vector<uint8_t>& buf, size_t body) {
    wire::FrameWriter w(buf.data(), buf.size(), MsgType::StatusReply, 1);
    w.add_string(FieldTag::Version, "v");
    w.add_u64(FieldTag::Pid, 1);
    w.add_u64(FieldTag::Uptime, 1);
    w.add_i64(FieldTag::Now, 1);
    w.add_u64(FieldTag::ActiveGrants, 1);
    w.add_string(FieldTag::StateDir, "/");
    w.add_u64(FieldTag::SchemaVersion, 1);
    size_t used = 9 + 16 * 5 + 9;
    while (used < body) {
        size_t left = body - used;
        size_t value = left >= 2 * 4104 ? 4096 : (left > 4104 ? 2000 : left - 8);
        w.add_string(FieldTag::ManagedUsers, std::string(value, 'u'));
        used += 8 + value;
    }
    return w.finish();
}

TEST(WireWriter, BuildsAFrameOfExactlyTheMaximumSize) {
    std::vector<uint8_t> buf(proto::kMaxFrame);
    auto len = status_reply_of_size(buf, proto::kMaxBody);
    ASSERT_TRUE(len.ok()) << len.error().what;
    EXPECT_EQ(*len, proto::kMaxFrame);
    auto m = wire::decode_frame(buf.data(), *len);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().what);

    std::vector<uint8_t> big(proto::kMaxFrame + 100);
    expect_error(status_reply_of_size(big, proto::kMaxBody + 1), EMSGSIZE);
}

TEST(WireWriter, BadTextIsEinval) {
    using namespace std::string_literals;
    for (const std::string& s : {"a\0b"s, "\xc0\xaf"s, "\xed\xa0\x80"s, "\xe2\x82"s,
                                 std::string(proto::kMaxString + 1, 'x')}) {
        std::vector<uint8_t> buf(proto::kMaxFrame);
        wire::FrameWriter w(buf.data(), buf.size(), MsgType::CheckRequest, 1);
        w.add_string(FieldTag::User, s);
        w.add_string(FieldTag::Service, "sshd");
        expect_error(w.finish(), EINVAL);
    }
}

TEST(WireWriter, KindNotMatchingTagIsEinval) {
    std::vector<uint8_t> buf(256);
    {
        wire::FrameWriter w(buf.data(), buf.size(), MsgType::CheckRequest, 1);
        w.add_u64(FieldTag::User, 1);
        expect_error(w.finish(), EINVAL);
    }
    {
        wire::FrameWriter w(buf.data(), buf.size(), MsgType::CheckReply, 1);
        w.add_string(FieldTag::Decision, "allow");
        expect_error(w.finish(), EINVAL);
    }
    {
        wire::FrameWriter w(buf.data(), buf.size(), MsgType::GrantReply, 1);
        w.begin_record(FieldTag::User);
        w.end_record();
        expect_error(w.finish(), EINVAL);
    }
}

TEST(WireWriter, UnbalancedRecordsAreEinval) {
    std::vector<uint8_t> buf(1024);
    {
        wire::FrameWriter w(buf.data(), buf.size(), MsgType::GrantReply, 1);
        w.end_record();
        expect_error(w.finish(), EINVAL);
    }
    {
        wire::FrameWriter w(buf.data(), buf.size(), MsgType::GrantReply, 1);
        w.begin_record(FieldTag::Grant);
        w.add_string(FieldTag::GrantId, "g-7kq2m9ab");
        expect_error(w.finish(), EINVAL);  // left open
    }
    {
        wire::FrameWriter w(buf.data(), buf.size(), MsgType::GrantReply, 1);
        w.begin_record(FieldTag::Grant);
        w.begin_record(FieldTag::Grant);
        w.end_record();
        w.end_record();
        expect_error(w.finish(), EINVAL);  // nested
    }
    {
        wire::FrameWriter w(buf.data(), buf.size(), MsgType::RevokeReply, 1);
        w.begin_record(FieldTag::Grant);
        w.end_record();
        w.end_record();
        expect_error(w.finish(), EINVAL);  // closed twice
    }
    {
        // Nested and closed once: without the nesting check this would finish
        // with the outer record's length never written.
        wire::FrameWriter w(buf.data(), buf.size(), MsgType::RevokeReply, 1);
        w.begin_record(FieldTag::Grant);
        w.begin_record(FieldTag::Grant);
        w.end_record();
        expect_error(w.finish(), EINVAL);
    }
}

TEST(WireWriter, FirstErrorWins) {
    std::vector<uint8_t> buf(proto::kHeaderSize + 4);
    wire::FrameWriter w(buf.data(), buf.size(), MsgType::CheckRequest, 1);
    w.add_string(FieldTag::User, "deploy");                         // EMSGSIZE
    w.add_string(FieldTag::Service, std::string_view("bad\0", 4));  // would be EINVAL
    expect_error(w.finish(), EMSGSIZE);
}

}  // namespace
}  // namespace jit::test
