#include "daemon/trail/audited_journal.h"

namespace jit::daemon {

namespace {

bool about_the_log(Event e) {
    return e == Event::AuditCheckpoint || e == Event::AuditFailed || e == Event::AuditRecovered;
}

bool already_audited(const Fields& fields) {
    for (const auto& f : fields)
        if (f.first == "JIT_AUDIT_SEQ") return true;
    return false;
}

}  // namespace

void AuditedJournal::record(Event event, int priority, const std::string& message,
                            const Fields& fields) {
    inner_.record(event, priority, message, fields);
    if (!trail_.active() || about_the_log(event) || already_audited(fields)) return;
    trail_.enqueue(JournalEntry{event, priority, message, fields});
}

}  // namespace jit::daemon
