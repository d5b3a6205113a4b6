// Assertions shared by the codec tests.  A rejection test checks the errno AND
// that the decoder names the fault the test built: a frame broken in one way
// must not pass the test by being refused for some other, accidental reason.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "jit/wire.h"
#include "tests/unit/common/raw_frame.h"

namespace jit::test {

inline void expect_accepted(const Bytes& frame) {
    auto r = wire::decode_frame(frame.data(), frame.size());
    ASSERT_TRUE(r.ok()) << "a well-formed frame was rejected: " << r.error().what;
}

inline void expect_rejected(const Bytes& frame, int code, std::string_view reason) {
    auto r = wire::decode_frame(frame.data(), frame.size());
    ASSERT_FALSE(r.ok()) << "the decoder accepted a malformed frame";
    EXPECT_EQ(r.error().code, code) << "reason given: " << r.error().what;
    EXPECT_NE(std::string_view(r.error().what).find(reason), std::string_view::npos)
        << "expected a rejection for \"" << reason << "\", got \"" << r.error().what << "\"";
}

// The frame `base` must decode; with `mutate` applied it must be refused.
template <typename Mutate>
void expect_mutation_rejected(RawFrame base, Mutate mutate, int code, std::string_view reason) {
    expect_accepted(base.frame());
    mutate(base);
    expect_rejected(base.frame(), code, reason);
}

// build(false) must decode; build(true), the same frame with one fault, must not.
template <typename Build>
void expect_fault_rejected(Build build, int code, std::string_view reason) {
    expect_accepted(build(false));
    expect_rejected(build(true), code, reason);
}

}  // namespace jit::test
