#include "daemon/model/request.h"

#include "daemon/base/ids.h"

namespace jit::daemon {

size_t Request::approvals_given() const {
    size_t n = 0;
    for (const auto& a : approvals) n += a.verdict == Verdict::Approve;
    return n;
}

const char* state_name(RequestState s) {
    switch (s) {
        case RequestState::Pending:
            return "pending";
        case RequestState::Approved:
            return "approved";
        case RequestState::Denied:
            return "denied";
        case RequestState::Expired:
            return "expired";
        case RequestState::Cancelled:
            return "cancelled";
    }
    return "unknown";
}

Result<std::string> new_request_id() {
    auto id = new_grant_id();
    if (!id) return id.error();
    return "r-" + id->substr(2);
}

bool valid_request_id(std::string_view id) {
    if (id.size() < 2 || id.substr(0, 2) != "r-") return false;
    return valid_grant_id("g-" + std::string(id.substr(2)));
}

}  // namespace jit::daemon
