// Boxed<T>: a value of T kept on the heap only when it is set, so a field
// that most records leave empty costs one pointer instead of sizeof(T).
// jitd holds every active grant in memory (100,000 of them in 50 MB is a
// goal), and a grant's sudo scope, fleet origin and workload identity are
// empty on almost all of them.  Value semantics: copies are deep, and an
// unset box reads as an empty T.
#pragma once

#include <memory>
#include <utility>

namespace jit::daemon {

template <typename T>
class Boxed {
public:
    Boxed() = default;
    // Implicit, so a field assigned from a T reads as before.
    Boxed(T value) { *this = std::move(value); }  // NOLINT(google-explicit-constructor)
    Boxed(const Boxed& other) : p_(other.p_ ? std::make_unique<T>(*other.p_) : nullptr) {}
    Boxed(Boxed&&) noexcept = default;
    Boxed& operator=(const Boxed& other) {
        if (this != &other) p_ = other.p_ ? std::make_unique<T>(*other.p_) : nullptr;
        return *this;
    }
    Boxed& operator=(Boxed&&) noexcept = default;
    // An empty value frees the box: an unset box and an empty T are the same.
    Boxed& operator=(T value) {
        if (value.empty())
            p_.reset();
        else if (p_)
            *p_ = std::move(value);
        else
            p_ = std::make_unique<T>(std::move(value));
        return *this;
    }

    const T& operator*() const { return p_ ? *p_ : none(); }
    const T* operator->() const { return &**this; }
    operator const T&() const { return **this; }  // NOLINT(google-explicit-constructor)
    // The value to change in place (allocated on first use).
    T& edit() {
        if (!p_) p_ = std::make_unique<T>();
        return *p_;
    }

    bool empty() const { return !p_ || p_->empty(); }
    auto size() const { return (**this).size(); }
    auto begin() const { return (**this).begin(); }
    auto end() const { return (**this).end(); }
    friend bool operator==(const Boxed& a, const Boxed& b) { return *a == *b; }
    friend bool operator==(const Boxed& a, const T& b) { return *a == b; }
    friend auto operator<=>(const Boxed& a, const T& b) { return *a <=> b; }

private:
    static const T& none() {
        static const T empty_value{};
        return empty_value;
    }
    std::unique_ptr<T> p_;
};

}  // namespace jit::daemon
