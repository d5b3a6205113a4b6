#include "daemon/server/dispatch_audit.h"

#include <errno.h>

#include <algorithm>

#include "daemon/trail/audit_reader.h"
#include "daemon/trail/audit_trail.h"

namespace jit::daemon {

namespace {

// Text per reply: well inside one frame with its field headers.
constexpr size_t kPageText = 48 * 1024;
constexpr size_t kPiece = proto::kMaxString;

}  // namespace

Result<msg::Frame> on_audit_read(JitService& s, const Caller&, const wire::MessageView& v) {
    const msg::AuditRead q = msg::decode_audit_read(v);
    AuditReader reader(s.store(), s.config().state_dir + "/" + AuditTrail::kSegmentDir);
    auto page = reader.read(AuditReadQuery{q.from, q.since, q.user}, kPageText);
    if (!page) {
        auto frame = msg::encode(msg::ErrorReply{uint64_t(page.error().code), page.error().message},
                                 v.header.request_id);
        if (frame) return std::move(*frame);
        return frame.error();
    }
    msg::AuditPage out;
    out.next = page->next;
    out.done = page->done;
    for (size_t at = 0; at < page->text.size(); at += kPiece)
        out.text.push_back(page->text.substr(at, std::min(kPiece, page->text.size() - at)));
    return msg::encode(out, v.header.request_id);
}

}  // namespace jit::daemon
