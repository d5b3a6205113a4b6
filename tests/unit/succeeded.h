// ASSERT_TRUE(succeeded(result)): a failed Result says its error's message.
#pragma once

#include <gtest/gtest.h>
#include <string.h>

#include "jit/failure.h"

namespace jit::testing {

template <typename T>
::testing::AssertionResult succeeded(const Result<T, Failure>& r) {
    if (r.ok()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << r.error().message << " (" << strerror(r.error().code) << ")";
}

}  // namespace jit::testing
