// The one place every journal entry passes: this Journal records each entry
// in the journal it wraps and queues it for the audit log.  An entry that
// carries JIT_AUDIT_SEQ was already appended by the transaction that made
// the change (StoreTx::audit) and is not queued again; the audit log's own
// entries (checkpoints, failures) are about the log and stay out of it.
#pragma once

#include "daemon/events/journal.h"
#include "daemon/trail/audit_trail.h"

namespace jit::daemon {

class AuditedJournal : public Journal {
public:
    AuditedJournal(Journal& inner, AuditTrail& trail) : inner_(inner), trail_(trail) {}
    void record(Event event, int priority, const std::string& message,
                const Fields& fields) override;
    void hold() override { inner_.hold(); }
    void release() override { inner_.release(); }

private:
    Journal& inner_;
    AuditTrail& trail_;
};

}  // namespace jit::daemon
