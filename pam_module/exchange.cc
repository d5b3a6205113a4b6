#include "exchange.h"

namespace jit::pam {

const char* item(pam_handle_t* pamh, int type) {
    const void* value = nullptr;
    if (pam_get_item(pamh, type, &value) != PAM_SUCCESS || !value) return "";
    return static_cast<const char*>(value);
}

}  // namespace jit::pam
