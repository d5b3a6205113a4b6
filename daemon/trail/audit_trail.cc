#include "daemon/trail/audit_trail.h"

#include <errno.h>
#include <syslog.h>

#include "daemon/base/crash_point.h"
#include "jit/timefmt.h"

namespace jit::daemon {

namespace {

std::string hex(const audit::Hash& h) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(64);
    for (uint8_t b : h) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

std::string user_of(const Fields& fields) {
    for (const auto& [k, v] : fields)
        if (k == "JIT_USER") return v;
    return "";
}

}  // namespace

AuditTrail::AuditTrail(Store& store, Journal& journal, const Clock& clock)
    : store_(store), rows_(store), journal_(journal), clock_(clock) {}

AuditTrail::~AuditTrail() {
    if (store_.auditor() == this) store_.set_auditor(nullptr);
}

Result<void, Failure> AuditTrail::load(const AuditConfig& config, const std::string& state_dir) {
    config_ = config;
    if (config.mode == AuditConfig::Mode::Off) return {};
    auto held = rows_.state();
    if (!held) return Failure{EIO, "cannot read the audit log: " + held.error().message};
    if (!*held) {
        if (config.mode == AuditConfig::Mode::On)
            return Failure{ENOENT,
                           "audit = on but jit.db holds no audit log: run jitd --audit-init "
                           "KEYFILE first"};
        return {};
    }
    auto file = EpochKeyFile::open(state_dir);
    if (!file) return file.error();
    key_file_.emplace(std::move(*file));
    state_dir_ = state_dir;
    auto state = read_state(**held);
    if (!state) return state.error();
    if ((*held)->signing_seed.size() != sizeof(audit::Hash))
        return Failure{EBADMSG, "the audit signing key in jit.db is damaged"};
    audit::Hash seed{};
    std::copy((*held)->signing_seed.begin(), (*held)->signing_seed.end(), seed.begin());
    auto signer = audit::SigningKey::from_seed(state->origin, audit::Secret(seed));
    if (!signer) return Failure{EBADMSG, "the audit signing key: " + signer.error()};
    auto last = rows_.last_checkpoint();
    if (!last) return Failure{EIO, "cannot read audit checkpoints: " + last.error().message};
    if (*last) {
        last_checkpoint_size_ = (*last)->size;
        last_checkpoint_at_ = (*last)->at;
    }
    auto first = rows_.first_held();
    if (!first) return Failure{EIO, "cannot read audit records: " + first.error().message};
    first_held_ = *first;
    signer_ = std::make_unique<audit::SigningKey>(std::move(*signer));
    log_ = std::make_unique<audit::Log>(std::move(*state), clock_);
    store_.set_auditor(this);
    return {};
}

Result<audit::AppendState, Failure> AuditTrail::read_state(const AuditStore::State& held) {
    auto state = audit::decode_state(held.state);
    if (!state) return Failure{EBADMSG, "the audit state in jit.db is damaged: " + state.error()};
    if (state->next_seq != held.size)
        return Failure{EBADMSG, "the audit state in jit.db does not match its size"};
    auto kept = key_file_->read();
    if (!kept) return kept.error();
    if (!*kept) {
        if (state->key.bytes() == audit::Hash{})
            return Failure{ENOENT, std::string("the audit log's evolving key is missing (") +
                                       EpochKeyFile::kName + " in the state directory)"};
        if (auto moved = move_key_out(*state); !moved) return moved.error();
        return std::move(*state);
    }
    if ((*kept)->epoch > state->next_seq)
        return Failure{ESTALE, std::string(EpochKeyFile::kName) + " holds the key of record " +
                                   std::to_string((*kept)->epoch) + " but jit.db's log ends at " +
                                   std::to_string(state->next_seq) +
                                   ": jit.db was rolled back, and no key can be stepped back"};
    audit::EvolvingKey key((*kept)->epoch, (*kept)->key);
    key.advance_to(state->next_seq);  // a crash after a commit, before the file's write
    state->key = key.key();
    if ((*kept)->epoch < state->next_seq)
        if (auto ok = key_file_->write(state->next_seq, state->key); !ok) return ok.error();
    return std::move(*state);
}

// The file first: once it holds the key, jit.db's copy is overwritten with
// zeros under secure_delete (freed bytes zeroed too) and the WAL checkpointed
// into jit.db and truncated, so no file of the state directory but
// audit-epoch.key holds a key.
Result<void, Failure> AuditTrail::move_key_out(const audit::AppendState& state) {
    if (auto ok = key_file_->write(state.next_seq, state.key); !ok) return ok.error();
    audit::AppendState keyless = state;
    keyless.key = audit::Secret();
    if (auto on = rows_.secure_delete(true); !on) return Failure{EIO, on.error().message};
    StoreTx tx(store_);
    auto done = tx.begin();
    if (done) done = rows_.save_state(tx, state.next_seq, audit::encode_state(keyless));
    if (done) done = tx.commit();
    if (!done)
        return Failure{EIO, "cannot erase the audit key from jit.db: " + done.error().message};
    auto erased = rows_.checkpoint_truncate();
    (void)rows_.secure_delete(false);
    if (!erased) return Failure{EIO, erased.error().message};
    return {};
}

// After each commit: the key of the next record replaces the last one's in
// the file.  A failure leaves an older key there (the log still continues
// from it after a restart); it is said loudly, once, and retried next time.
bool AuditTrail::save_key() {
    const auto& state = log_->state();
    if (auto ok = key_file_->write(state.next_seq, state.key); !ok) {
        const std::string& detail = ok.error().message;
        if (!key_failing_)
            journal_.record(Event::AuditFailed, LOG_ALERT,
                            "the audit log's old key could not be erased: " + detail,
                            {{"JIT_REASON", detail}});
        key_failing_ = true;
        return false;
    }
    key_failing_ = false;
    return true;
}

void AuditTrail::configure(const AuditConfig& config) {
    // Turning the log on or off, or moving it, takes a restart.
    const AuditConfig::Mode mode = config_.mode;
    config_ = config;
    config_.mode = mode;
}

void AuditTrail::enqueue(const JournalEntry& entry) {
    if (!log_) return;
    if (queue_.size() >= kMaxWaiting) {
        queue_.pop_front();
        ++lost_;
    }
    queue_.push_back(Waiting{entry, clock_.now(), ++enqueued_});
}

// The records alone: jit.hwm is left as it is (StoreTx::audit_only), since
// the key file, synced in settle() before this returns, refuses at start a
// jit.db whose log ends before it.  When the key file could not be written
// (or the commit moved no key: a checkpoint alone), jit.hwm marks the
// commit instead, so no answer waits on a record that no mark guards.
bool AuditTrail::flush() {
    if (!log_) return true;
    StoreTx tx(store_);
    tx.audit_only();
    if (auto begun = tx.begin(); !begun) {
        failed("cannot begin a write: " + begun.error().message);
        return false;
    }
    if (auto done = tx.commit(); !done) return false;  // settle() said why
    if (!key_marks_) {
        if (auto marked = store_.mark_high_water(); !marked) {
            failed(marked.error().message);
            return false;
        }
    }
    JIT_CRASH_POINT("keyed");  // durable and guarded; no answer has gone yet
    return true;
}

Result<uint64_t, Failure> AuditTrail::held_bytes() {
    if (!held_bytes_) {
        auto in_db = rows_.bytes_held();
        if (!in_db) return in_db.error();
        held_bytes_ = *in_db;
    }
    return *held_bytes_;
}

std::optional<audit::Checkpoint> AuditTrail::head() const {
    if (!log_) return std::nullopt;
    return log_->checkpoint();
}

const audit::Record& AuditTrail::add(audit::Batch& b, const JournalEntry& e, Time at) {
    audit::Fields fields;
    fields.reserve(e.fields.size() + 1);
    fields.emplace_back("MESSAGE", e.message);
    for (const auto& f : e.fields) fields.push_back(f);
    return b.add(event_name(e.event), std::move(fields), at);
}

Result<void, Failure> AuditTrail::stage(StoreTx& tx, const std::vector<JournalEntry>& entries,
                                        std::vector<std::optional<uint64_t>>& seqs) {
    staged_.reset();
    key_marks_ = false;
    if (!log_) return {};
    auto s = std::make_unique<Staged>(Staged{log_->begin(), 0, 0, 0, std::nullopt});
    const Time now = clock_.now();
    if (lost_) {
        s->lost = lost_;
        add(s->batch,
            JournalEntry{Event::AuditFailed,
                         LOG_ALERT,
                         std::to_string(lost_) +
                             " audit records were dropped while the audit log could not be written",
                         {{"JIT_AUDIT_LOST", std::to_string(lost_)}}},
            now);
    }
    for (const auto& w : queue_) add(s->batch, w.entry, w.at);
    s->from_queue = queue_.size();
    for (size_t i = 0; i < entries.size(); ++i) seqs[i] = add(s->batch, entries[i], now).seq;
    if (auto ok = write(tx, *s); !ok) return ok;
    staged_ = std::move(s);
    return {};
}

Result<void, Failure> AuditTrail::write(StoreTx& tx, Staged& s) {
    const auto& state = s.batch.state();
    const uint64_t size = state.frontier.size();
    const Time now = clock_.now();
    audit::CheckpointPolicy policy{config_.checkpoint_records, Time(config_.checkpoint_seconds)};
    const bool due =
        audit::checkpoint_due(policy, size, last_checkpoint_size_, now, last_checkpoint_at_);
    if (s.batch.records().empty() && !due) return {};
    for (const auto& r : s.batch.records()) {
        AuditRow row{r.seq, r.time, r.event, user_of(r.fields), audit::export_record(r)};
        if (auto ok = rows_.append(tx, row); !ok) {
            failed(ok.error().message);
            return ok;
        }
        s.bytes += row.record.size();
    }
    // The key stays out of jit.db (epoch_key.h): the state is saved without it.
    audit::AppendState keyless = state;
    keyless.key = audit::Secret();
    if (auto ok = rows_.save_state(tx, size, audit::encode_state(keyless)); !ok) {
        failed(ok.error().message);
        return ok;
    }
    if (due) {
        audit::Checkpoint c{state.origin, size, state.frontier.root()};
        AuditCheckpointRow row{size, now, audit::sign_checkpoint(c, *signer_),
                               state.frontier.encode()};
        if (auto ok = rows_.add_checkpoint(tx, row); !ok) {
            failed(ok.error().message);
            return ok;
        }
        s.checkpoint = std::move(row);
    }
    return {};
}

void AuditTrail::settle(const Result<void, Failure>& outcome) {
    std::unique_ptr<Staged> s = std::move(staged_);
    if (!s) {
        if (!outcome && log_) failed(outcome.error().message);
        return;
    }
    if (!outcome) {
        failed(outcome.error().message);
        return;  // the Batch dies with s: the log keeps its old state
    }
    const bool moved_on = !s->batch.records().empty();
    if (!log_->commit(std::move(s->batch))) {
        // Cannot happen with one writer; if it did, what jit.db holds wins.
        if (auto held = rows_.state(); held && *held)
            if (auto state = read_state(**held))
                log_ = std::make_unique<audit::Log>(std::move(*state), clock_);
        failed("the audit log's state in memory went astray; reloaded from jit.db");
        return;
    }
    key_marks_ = moved_on && save_key();
    if (!queue_.empty() || s->from_queue) {
        const size_t n = std::min(s->from_queue, queue_.size());
        if (n) durable_ = queue_[n - 1].number;
        queue_.erase(queue_.begin(), queue_.begin() + long(n));
    }
    lost_ -= std::min(lost_, s->lost);
    if (held_bytes_) *held_bytes_ += s->bytes;
    if (failing_) {
        failing_ = false;
        journal_.record(Event::AuditRecovered, LOG_NOTICE,
                        "the audit log is written again (it had failed: " + last_failure_ + ")",
                        {{"JIT_AUDIT_SIZE", std::to_string(log_->state().frontier.size())}});
    }
    if (s->checkpoint) {
        last_checkpoint_size_ = s->checkpoint->size;
        last_checkpoint_at_ = s->checkpoint->at;
        journal_checkpoint(*s->checkpoint);
        if (maintenance_due_ && last_checkpoint_size_ > first_held_ &&
            last_checkpoint_size_ - first_held_ >= config_.segment_records)
            maintenance_due_();
    }
}

// Loud once per episode: the server decides what a failure means for the
// answers (audit_failure), and says so itself.
void AuditTrail::failed(const std::string& why) {
    if (failing_) return;
    failing_ = true;
    last_failure_ = why;
    const bool deny = config_.failure == AuditConfig::Failure::Deny;
    journal_.record(
        Event::AuditFailed, LOG_ALERT,
        "the audit log cannot be written: " + why +
            (deny ? "; managed accounts are denied until it can (audit_failure = deny)"
                  : "; answers go out without their audit records (audit_failure = log)"),
        {{"JIT_REASON", why}, {"JIT_AUDIT_FAILURE", deny ? "deny" : "log"}});
}

void AuditTrail::journal_checkpoint(const AuditCheckpointRow& c) {
    const auto head = log_->checkpoint();
    const std::string root = hex(head.root);
    journal_.record(Event::AuditCheckpoint, LOG_INFO,
                    "audit checkpoint: " + std::to_string(c.size) + " records, root " + root,
                    {{"JIT_AUDIT_SIZE", std::to_string(c.size)},
                     {"JIT_AUDIT_ROOT", root},
                     {"JIT_AUDIT_CHECKPOINT", c.note}});
    if (notifier_)
        notifier_->notify("audit-checkpoint", checkpoint_event_json(c.size, root, c.note, c.at));
}

}  // namespace jit::daemon
