#include "exchange.h"

#include <string.h>
#include <time.h>

namespace jit::pam {

const char* item(pam_handle_t* pamh, int type) {
    const void* value = nullptr;
    if (pam_get_item(pamh, type, &value) != PAM_SUCCESS || !value) return "";
    return static_cast<const char*>(value);
}

void copy_text(char* dst, size_t cap, std::string_view s) {
    size_t n = s.size() < cap - 1 ? s.size() : cap - 1;
    memcpy(dst, s.data(), n);
    dst[n] = '\0';
}

uint32_t request_id() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint32_t(ts.tv_nsec) ^ uint32_t(ts.tv_sec);
}

ClientOptions client_options(const ModuleArgs& args) {
    ClientOptions options;
    options.socket_path = args.socket_path;
    options.trusted_uids[0] = args.server_uid;
    options.trusted_count = 1;
    options.timeout_ms = args.timeout_ms;
    return options;
}

}  // namespace jit::pam
