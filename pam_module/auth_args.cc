#include "auth_args.h"

#include "jit/guest_text.h"

namespace jit::pam {

namespace text = guest::text;

bool split_args(int argc, const char** argv, AuthArgs* auth, const char** rest, int* nrest,
                const char** bad_arg) {
    bool seen_prompt = false, seen_wait = false;
    *nrest = 0;
    for (int i = 0; i < argc; ++i) {
        const char* a = argv[i];
        if (a && text::equal(a, "token")) {
            auth->token = true;
        } else if (a && text::starts_with(a, "prompt=", 7)) {
            if (seen_prompt || a[7] == '\0') return *bad_arg = a, false;
            auth->prompt = a + 7;
            seen_prompt = true;
        } else if (a && text::starts_with(a, "wait=", 5)) {
            const char* end = nullptr;
            uint32_t v = 0;
            if (seen_wait || !text::parse_u32(a + 5, &end, &v) || *end || v > kMaxWaitSeconds)
                return *bad_arg = a, false;
            auth->wait_seconds = unsigned(v);
            seen_wait = true;
        } else {
            rest[(*nrest)++] = a;
        }
    }
    if (!auth->token) return *bad_arg = "token (missing)", false;
    return true;
}

}  // namespace jit::pam
