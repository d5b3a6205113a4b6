// The audit trail: jitd's one writer of the audit log in jit.db.  It is the
// store's TxAuditor, so every StoreTx appends, just before its COMMIT, the
// records still waiting (decisions and other events, queued by enqueue())
// and then the entries the transaction itself carries (a grant, a
// revocation, an expiry, an approval): the state change and its records
// commit together, in sequence, or not at all.  The records waiting between
// transactions are written by flush(), once per event-loop turn before the
// answers that depend on them leave (audit_durability = before-answer) or
// on a short timer (batched).  Checkpoints are signed when due, in the same
// transaction, and journaled once it commits.
#pragma once

#include <stdint.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/audit/audit.h"
#include "jit/failure.h"
#include "daemon/config/config.h"
#include "daemon/events/journal.h"
#include "daemon/events/notify.h"
#include "daemon/store/audit_store.h"
#include "daemon/store/store.h"
#include "daemon/trail/epoch_key.h"
#include "daemon/trail/segment_writer.h"

namespace jit::daemon {

class AuditTrail : public TxAuditor {
public:
    // journal: the plain journal (not the auditing one), for the trail's own
    // entries (checkpoints, failures), which are about the log.
    AuditTrail(Store& store, Journal& journal, const Clock& clock);
    ~AuditTrail() override;

    // Reads the log from jit.db and its evolving key from state_dir's
    // audit-epoch.key (see epoch_key.h).  Inactive when there is none (before
    // jitd --audit-init) or the configuration says audit = off; an error
    // when audit = on and there is none, or the state cannot be read.  A
    // key still in jit.db (just made by --audit-init, or an older jitd's)
    // moves to the file and is erased from jit.db and its WAL.
    Result<void, Failure> load(const AuditConfig& config, const std::string& state_dir);
    void configure(const AuditConfig& config);
    void set_notifier(Notifier* notifier) { notifier_ = notifier; }
    bool active() const { return log_ != nullptr; }
    const AuditConfig& config() const { return config_; }

    // A journal entry that no transaction carries: written at the next
    // commit, whichever comes first (a state change or flush()).
    void enqueue(const JournalEntry& entry);
    // How many entries were ever enqueued, and how many of those are
    // durable: an answer that waited for entry n may go once durable() >= n.
    uint64_t enqueued() const { return enqueued_; }
    uint64_t durable() const { return durable_; }
    bool waiting() const { return !queue_.empty(); }
    // Writes what waits (and a checkpoint when due) in one transaction, one
    // sync of jit.db's WAL and one of audit-epoch.key (which then guards it;
    // jit.hwm only when the key file fails).  False when the log could not
    // be written or its commit not guarded; the entries stay queued (unless
    // committed).
    bool flush();
    // True from a failed write until the next good one.
    bool failing() const { return failing_; }
    // Moves the records before the last checkpoint into a sealed segment
    // file once audit_segment_records of them are in jit.db, and removes the
    // oldest segments while the log takes more than audit_max_disk; each is
    // itself a record (audit-sealed, audit-removed), journaled.  Runs on a
    // timer and on an idle source, outside any transaction, a short step at
    // a time (audit_segments.cc): the file is written on the sealer's
    // thread, and a sealed file's rows leave jit.db a slice per call.
    void maintain();
    // From now on segment files are written off the loop, on a thread
    // whose end `event` dispatches (segment_writer.h); without it nothing
    // is sealed.  stop_sealing() abandons a file being written (its
    // records stay in jit.db, to be sealed at the next start).
    void seal_in_background(sd_event* event);
    void stop_sealing();
    // A segment file is being written.
    bool sealing() const { return sealer_ && sealer_->busy(); }
    // Called once a committed checkpoint leaves audit_segment_records
    // records to seal, so jitd runs maintain() right after the turn instead
    // of waiting for its 30-second timer.
    void set_maintenance_due(std::function<void()> due) { maintenance_due_ = std::move(due); }
    // At start, before anything is written: a segment file jit.db does not
    // list is what a crash left between writing it and the transaction that
    // records it (its records are still in jit.db: removed, to be sealed
    // again), or between an audit-removed record and the file's removal
    // (before the history kept: removed); an unfinished ".tmp" file is
    // removed.  Each is journaled (audit-segment-recovered).  Any other
    // unlisted segment file stops jitd (an error): it is not adopted into
    // the log nor deleted unseen.  A file jit.db lists that is not there is
    // journaled (audit-segment-missing) and recorded, and jitd starts: the
    // readers say its records are missing (AuditReader).
    Result<void, Failure> recover_segments();
    static constexpr const char* kSegmentDir = "audit-segments";

    // The bytes of the records jit.db holds unsealed (what audit_max_disk
    // counts besides the segment files): read from jit.db once after a start
    // or a seal, then kept as records commit, since reading it means reading
    // every such record (up to audit_segment_records of them) and
    // maintain() wants it every 30 seconds.
    Result<uint64_t, Failure> held_bytes();

    // The log's size and root now, for status.
    std::optional<audit::Checkpoint> head() const;

    Result<void, Failure> stage(StoreTx& tx, const std::vector<JournalEntry>& entries,
                                std::vector<std::optional<uint64_t>>& seqs) override;
    void settle(const Result<void, Failure>& outcome) override;

    // The most entries kept waiting while the log cannot be written; past
    // it the oldest are dropped, counted, and the count recorded once the
    // log is written again.
    static constexpr size_t kMaxWaiting = 100000;

private:
    struct Waiting {
        JournalEntry entry;
        Time at;
        uint64_t number;  // its place in enqueued()
    };
    struct Staged {
        audit::Batch batch;
        size_t from_queue = 0;
        uint64_t lost = 0;
        uint64_t bytes = 0;  // of the records appended
        std::optional<AuditCheckpointRow> checkpoint;
    };
    const audit::Record& add(audit::Batch& b, const JournalEntry& e, Time at);
    Result<void, Failure> write(StoreTx& tx, Staged& s);
    void failed(const std::string& why);
    // jit.db's state with the key from the file, stepped to the state's epoch.
    Result<audit::AppendState, Failure> read_state(const AuditStore::State& held);
    // Moves a key found in jit.db to the file and erases it from jit.db.
    Result<void, Failure> move_key_out(const audit::AppendState& state);
    // False (said once, loudly) when the file could not be written.
    bool save_key();
    // audit_segments.cc
    // Drops a slice of a sealed file's rows; true while more are left.
    Result<bool, std::string> prune_slice();
    // Starts writing the next file when due; true when one is being written.
    Result<bool, std::string> start_seal();
    // Lists a file the sealer wrote, in a transaction with its record.
    Result<void, std::string> seal_segment(const AuditSegmentRow& row);
    std::string remove_past_bound();  // empty: within audit_max_disk
    Result<void, std::string> remove_segment(const AuditSegmentRow& s);
    void seal_failed(const std::string& why);
    void segment_missing(const AuditSegmentRow& row);
    // Commits entry as a record in a transaction of its own (with change, when
    // given), then journals it naming its record.
    Result<void, std::string> commit_record(
        JournalEntry entry, const std::function<Result<void, Failure>(StoreTx&)>& change);
    void journal_checkpoint(const AuditCheckpointRow& c);

    Store& store_;
    AuditStore rows_;
    Journal& journal_;
    const Clock& clock_;
    AuditConfig config_;
    Notifier* notifier_ = nullptr;
    std::function<void()> maintenance_due_;
    uint64_t first_held_ = 0;  // records before it are sealed (as of the last load or seal)
    std::optional<uint64_t> held_bytes_;  // held_bytes(); none: to be read again
    std::unique_ptr<audit::Log> log_;
    std::unique_ptr<audit::SigningKey> signer_;
    std::unique_ptr<SegmentSealer> sealer_;
    std::optional<EpochKeyFile> key_file_;
    std::string state_dir_;
    bool key_failing_ = false;
    bool key_marks_ = false;  // the last commit's key is in the file (settle)
    std::deque<Waiting> queue_;
    std::unique_ptr<Staged> staged_;
    uint64_t enqueued_ = 0;
    uint64_t durable_ = 0;
    uint64_t lost_ = 0;  // dropped from a full queue, not yet recorded
    uint64_t last_checkpoint_size_ = 0;
    Time last_checkpoint_at_ = 0;
    bool failing_ = false;
    std::string last_failure_;
};

}  // namespace jit::daemon
