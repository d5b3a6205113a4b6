// Errors are values: Result<T, E> holds either a T or an error E.  Result
// itself never allocates and never throws.
//
// jit has two error types, on purpose, one per side of the allocation line:
//  - Error (here): an errno code and a static description.  It is what the
//    guests (pam_jit.so, libnss_jit.so.2, jit_sudo.so, built without the C++
//    runtime) and the shared code they link in common/ return: nothing to
//    allocate, nothing to free, so a failure path can never fail itself.
//  - Failure (jit/failure.h): an errno code and a message of any length,
//    with an optional file:line:key place.  It is the one error of every
//    program that may allocate (jitd, jitctl, jit-sweep, jit-fleet,
//    jit-jwks-refresh); the store, the config and policy readers, the
//    listener and the daemon's operations all return it.
// One type with a fixed inline buffer was the alternative: it would truncate
// long messages (paths, SQLite's words, config places) and make every
// Result a few hundred bytes in the guests' hot paths.  An Error crosses to
// the other side as Failure(error); nothing goes the other way.
#pragma once

#include <new>
#include <utility>

namespace jit {

struct Error {
    int code = 0;           // errno-style: ENOENT, ETIMEDOUT, EPROTO, ...
    const char* what = "";  // static string, never owned
};

inline Error make_error(int code, const char* what) {
    return Error{code, what};
}

template <typename T, typename E = Error>
class [[nodiscard]] Result {
public:
    Result(const T& value) : ok_(true) { new (&value_) T(value); }
    Result(T&& value) : ok_(true) { new (&value_) T(std::move(value)); }
    Result(E error) : ok_(false) { new (&error_) E(std::move(error)); }
    Result(const Result& o) : ok_(o.ok_) {
        if (ok_)
            new (&value_) T(o.value_);
        else
            new (&error_) E(o.error_);
    }
    Result(Result&& o) noexcept : ok_(o.ok_) {
        if (ok_)
            new (&value_) T(std::move(o.value_));
        else
            new (&error_) E(std::move(o.error_));
    }
    Result& operator=(Result o) noexcept {
        this->~Result();
        new (this) Result(std::move(o));
        return *this;
    }
    ~Result() {
        if (ok_)
            value_.~T();
        else
            error_.~E();
    }

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const E& error() const { return error_; }
    T& value() & { return value_; }
    const T& value() const& { return value_; }
    T&& value() && { return std::move(value_); }
    T& operator*() & { return value_; }
    const T& operator*() const& { return value_; }
    T* operator->() { return &value_; }
    const T* operator->() const { return &value_; }

private:
    bool ok_;
    union {
        T value_;
        E error_;
    };
};

template <typename E>
class [[nodiscard]] Result<void, E> {
public:
    Result() : ok_(true) {}
    Result(E error) : ok_(false), error_(std::move(error)) {}
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const E& error() const { return error_; }

private:
    bool ok_;
    E error_{};
};

inline Result<void> success() {
    return Result<void>();
}

}  // namespace jit
