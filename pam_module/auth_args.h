// The auth phase's own module arguments ("token", "prompt=", "wait="), split
// from the shared guest arguments.  Shared by the front (pam_jit.so), which
// must tell an unmanaged account exactly as the auth phase does, and the
// auth phase itself.
#pragma once

namespace jit::pam {

inline constexpr const char* kDefaultPrompt = "jit identity token: ";
inline constexpr unsigned kMaxWaitSeconds = 600;
// More arguments than this on one auth line are refused.
inline constexpr int kMaxAuthArgs = 64;

struct AuthArgs {
    bool token = false;  // "token": read a workload identity token
    const char* prompt = kDefaultPrompt;
    unsigned wait_seconds = 0;  // how long a pending request is waited for
};

// Splits argv: the auth words go into *auth, the others into rest (which
// has argc slots).  On a bad auth word, *bad_arg names it.
bool split_args(int argc, const char** argv, AuthArgs* auth, const char** rest, int* nrest,
                const char** bad_arg);

}  // namespace jit::pam
