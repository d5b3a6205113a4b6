// Errors are values: Result<T> holds either a T or an Error (an errno code
// and a static description); a library may use a richer error type E.  It
// never allocates and never throws, so it is usable inside the PAM and NSS
// modules, which are built without the C++ runtime.
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
