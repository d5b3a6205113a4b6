// The audit log's tables in jit.db (the Store's connection): the records,
// the writer's state after the last one, the signed checkpoints and the
// sealed segments.  Records are appended inside the caller's StoreTx, the
// one that holds the state change they record; they are never updated, and
// only rows already sealed into a segment file may be pruned (triggers in
// the schema refuse anything else).  What a record holds is the audit
// library's business: here it is an opaque encoded blob with the columns
// that select it (time, event, user).
#pragma once

#include <stdint.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/store.h"

namespace jit::daemon {

struct AuditRow {
    uint64_t seq = 0;
    Time at = 0;
    std::string event;   // JIT_EVENT
    std::string user;    // JIT_USER, empty when the event has none
    std::string record;  // the encoded record, as the audit library wrote it
};

struct AuditCheckpointRow {
    uint64_t size = 0;  // records the checkpoint covers
    Time at = 0;
    std::string note;      // the signed note (C2SP tlog-checkpoint)
    std::string frontier;  // the tree over [0, size), encoded by the audit library
};

struct AuditSegmentRow {
    uint64_t first_seq = 0;
    uint64_t end_seq = 0;  // one past the last record in the file
    std::string file;      // name inside the segment directory
    uint64_t bytes = 0;
    std::string sha256;  // hex digest of the file
    Time sealed_at = 0;
};

class AuditStore {
public:
    explicit AuditStore(Store& store) : store_(store) {}

    // ---- writers: inside tx ----
    // EEXIST if the seq is taken.
    Result<void, Failure> append(StoreTx& tx, const AuditRow& row);
    // A new log (jitd --audit-init): EEXIST if one exists already.
    Result<void, Failure> create(StoreTx& tx, const std::string& state,
                                 const std::string& signing_seed);
    // The writer's state once the log holds size records.
    Result<void, Failure> save_state(StoreTx& tx, uint64_t size, const std::string& state);
    Result<void, Failure> add_checkpoint(StoreTx& tx, const AuditCheckpointRow& c);
    // Whether SQLite overwrites freed bytes with zeros (PRAGMA secure_delete)
    // on this connection; outside a transaction.
    Result<void, Failure> secure_delete(bool on);
    // Copies the WAL into jit.db and truncates it to nothing; outside a
    // transaction.  EBUSY when a reader kept it from completing.
    Result<void, Failure> checkpoint_truncate();
    // Records a sealed segment.  Its rows stay until prune_sealed() drops
    // them, a few at a time: the readers below take them as sealed already.
    Result<void, Failure> seal(StoreTx& tx, const AuditSegmentRow& s);
    // Deletes at most limit of the oldest rows a sealed segment holds;
    // returns how many (fewer than limit: none is left).
    Result<size_t, Failure> prune_sealed(StoreTx& tx, size_t limit);
    // Forgets the sealed segment that starts at first_seq (its file removed).
    Result<void, Failure> forget_segment(StoreTx& tx, uint64_t first_seq);

    // ---- readers ----
    // The writer's state and the log size it goes with; none before the
    // first record.
    struct State {
        uint64_t size = 0;
        std::string state;
        std::string signing_seed;
    };
    Result<std::optional<State>, Failure> state();
    Result<std::optional<AuditCheckpointRow>, Failure> last_checkpoint();
    // The newest checkpoint with size <= at_most (none: the log's start).
    Result<std::optional<AuditCheckpointRow>, Failure> checkpoint_at_or_before(uint64_t at_most);
    // The newest checkpoint signed before `t` (none: the log's start): the
    // records it covers were all made before t, so a run --since t may
    // start there (jitd's clock never goes back).
    Result<std::optional<AuditCheckpointRow>, Failure> checkpoint_signed_before(Time t);
    // Checkpoints with size in (after, up_to], in order.
    Result<std::vector<AuditCheckpointRow>, Failure> checkpoints_between(uint64_t after,
                                                                         uint64_t up_to);
    Result<std::vector<AuditSegmentRow>, Failure> segments();
    // The first seq held in the table and not sealed into a segment (size
    // when none is): rows before it still in the table wait for pruning.
    Result<uint64_t, Failure> first_held();
    // Whether rows a segment holds are still in the table (prune_sealed).
    Result<bool, Failure> sealed_rows_left();
    // The first seq whose record is at or after `since` (none: size).
    Result<uint64_t, Failure> first_at_or_after(Time since);
    // Rows with seq >= from, in order, at most limit, whose user is `user`
    // (any when empty).  Reads one page: callers page by seq to stream.
    Result<std::vector<AuditRow>, Failure> page(uint64_t from, const std::string& user,
                                                size_t limit, size_t max_bytes);
    // Bytes of record blobs held in the table and not sealed.
    Result<uint64_t, Failure> bytes_held();

private:
    Store& store_;
};

}  // namespace jit::daemon
