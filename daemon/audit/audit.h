// The tamper-evident audit log, as pure logic: records MAC'd under a key that
// evolves forward, chained by digest, the leaves of an RFC 6962 Merkle tree
// whose heads are signed as C2SP tlog-checkpoint notes (Ed25519).  Nothing
// here touches SQLite, files or sockets; jitd stores what this computes, in
// the same transaction as the state change a record describes.
//
// Keys.  The auditor keeps k_0 (written once by `jitd --audit-init`, then
// kept off the host).  Record `seq` is MAC'd as HMAC-SHA256(k_seq, body),
// and k_{seq+1} = HMAC-SHA256(k_seq, "jit-audit/v1 next" || be64(seq+1)):
// one epoch per record.  jitd holds only the key of the next record, so a
// root attacker who takes the host later cannot MAC any record written
// before, not even the last one.  The price is one HMAC per record, for jitd
// and the verifier alike (measured in bench/audit_bench.cc).
//
// Record digest.  Each record carries prev = the RFC 6962 leaf hash of the
// record before it (zeros for seq 0), so the chain and the tree share one
// hash per record.
#pragma once

#include <stdint.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/time/clock.h"
#include "jit/result.h"

namespace jit::daemon::audit {

using Hash = std::array<uint8_t, 32>;                             // SHA-256
using Fields = std::vector<std::pair<std::string, std::string>>;  // as journaled, in order
template <typename T>
using Outcome = Result<T, std::string>;  // the error says what is wrong

// 32 secret bytes, erased (OPENSSL_cleanse) whenever a copy dies.
class Secret {
public:
    Secret() { bytes_.fill(0); }
    explicit Secret(const Hash& bytes) : bytes_(bytes) {}
    Secret(const Secret& o) = default;
    Secret& operator=(const Secret& o);
    ~Secret();
    const Hash& bytes() const { return bytes_; }

private:
    Hash bytes_;
};

// k_epoch; advance() replaces it with k_{epoch+1} and erases the old key.
class EvolvingKey {
public:
    EvolvingKey(uint64_t epoch, Secret key) : epoch_(epoch), key_(std::move(key)) {}
    uint64_t epoch() const { return epoch_; }
    const Secret& key() const { return key_; }
    void advance();
    void advance_to(uint64_t epoch);  // no-op when already there or past
    // HMAC-SHA256(k_epoch, body): a body never looks like a key-step input.
    Hash mac(std::string_view body) const;

private:
    uint64_t epoch_;
    Secret key_;
};

struct Record {
    uint64_t seq = 0;   // = the Merkle leaf index, from 0
    Time time = 0;      // UTC seconds, from the injected clock
    std::string event;  // the journal's JIT_EVENT ("decision", "grant", ...)
    Fields fields;      // the journal entry's fields, in order
    Hash prev{};        // leaf hash of record seq-1; zeros for seq 0
    Hash mac{};         // HMAC-SHA256 of body() under the key of epoch seq
};

// Canonical bytes, length-prefixed so no two records share an encoding:
//   "jit-audit/v1" u64be(seq) i64be(time) lp(event) u32be(count)
//   { lp(key) lp(value) }* prev[32]          where lp(s) = u32be(len) s
std::string record_body(const Record& r);
// body || mac: the RFC 6962 leaf is this, hashed as SHA-256(0x00 || leaf).
std::string record_leaf(const Record& r);
Hash leaf_hash(const Record& r);
Hash leaf_hash_of(std::string_view body, const Hash& mac);  // = leaf_hash, body already made

// ---- the Merkle tree (RFC 6962 / RFC 9162 section 2.1) ----
Hash hash_leaf(std::string_view leaf);                    // SHA-256(0x00 || leaf)
Hash hash_children(const Hash& left, const Hash& right);  // SHA-256(0x01 || l || r)
Hash empty_root();                                        // SHA-256("")

// The compact range [0, size): one subtree root per set bit of size, largest
// first.  append() is O(log n); the whole tree state is at most 64 hashes.
class Frontier {
public:
    uint64_t size() const { return size_; }
    const std::vector<Hash>& nodes() const { return nodes_; }
    void append(const Hash& leaf_hash);
    Hash root() const;
    std::string encode() const;  // u64be(size) || nodes (what jitd persists)
    static Outcome<Frontier> decode(std::string_view bytes);
    static Outcome<Frontier> from_nodes(uint64_t size, std::vector<Hash> nodes);
    bool operator==(const Frontier&) const = default;

private:
    uint64_t size_ = 0;
    std::vector<Hash> nodes_;
};

// A proof is the list of MTH(D[begin:end)) for these ranges, in order: an
// RFC 9162 inclusion proof (2.1.3.1) or consistency proof (2.1.4.1).
struct Range {
    uint64_t begin = 0, end = 0;
    bool operator==(const Range&) const = default;
};
std::vector<Range> inclusion_ranges(uint64_t index, uint64_t size);
std::vector<Range> consistency_ranges(uint64_t old_size, uint64_t new_size);
// Fed every leaf hash from base.size() on, in order (from 0 without a base),
// hashes the ranges with O(log n) memory, so a proof whose ranges are known
// beforehand is built in one streaming pass (the export, or the table).
// A range that cuts one of base's subtrees cannot be built: !possible().
class ProofBuilder {
public:
    explicit ProofBuilder(std::vector<Range> ranges, const Frontier& base = Frontier());
    void add(const Hash& leaf_hash);
    bool possible() const { return possible_; }
    bool done() const;                // every range is complete
    std::vector<Hash> proof() const;  // once done()
private:
    std::vector<Range> ranges_;
    std::vector<Frontier> partial_;
    std::vector<Hash> hashes_;
    uint64_t next_ = 0;
    bool possible_ = true;
};
Hash range_root(const std::vector<Hash>& leaf_hashes, uint64_t begin, uint64_t end);  // MTH(D[b:e))
// MTH(D[b:e)) when the leaves before base.size() are gone (pruned segments)
// and only base, the tree state there, and the leaf hashes from base.size()
// on are left; nullopt when [b, e) cuts into one of base's subtrees.  Every
// inclusion proof of a leaf at or after base.size() can be built this way.
std::optional<Hash> range_root_after(const Frontier& base, const std::vector<Hash>& leaves_after,
                                     uint64_t begin, uint64_t end);
// The inclusion proof of one leaf, built in one pass over the leaves in
// order with O(log n) hashes: for every level, the root of the index's
// sibling subtree there (complete, or as far as it is filled), so the proof
// in the tree of the size reached so far is ready at any point (at each
// checkpoint of an export).  base: the tree state the leaves follow (an
// input whose older segments are gone); a sibling that cuts one of its
// subtrees cannot be proven (proof() gives nullopt).
class InclusionStream {
public:
    explicit InclusionStream(uint64_t index, const Frontier& base = Frontier());
    void add(const Hash& leaf_hash);
    uint64_t size() const { return size_; }
    // The index's own leaf hash, once added.
    const std::optional<Hash>& leaf() const { return leaf_; }
    // The RFC 9162 inclusion proof in the tree of size(); nullopt before the
    // leaf or when a sibling needs leaves before base.
    std::optional<std::vector<Hash>> proof() const;

private:
    uint64_t index_, size_;
    std::vector<Frontier> siblings_;  // by level; each grows from its subtree's start
    uint64_t lost_ = 0;               // levels whose subtree cuts into base
    std::optional<Hash> leaf_;
};
bool verify_inclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                      const std::vector<Hash>& proof, const Hash& root);
bool verify_consistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                        const Hash& new_root, const std::vector<Hash>& proof);

// ---- signed checkpoints (C2SP tlog-checkpoint, C2SP signed-note) ----
struct Checkpoint {
    std::string origin;  // "jitd/HOST" style: unique per log
    uint64_t size = 0;
    Hash root{};
    bool operator==(const Checkpoint&) const = default;
};
std::string checkpoint_body(const Checkpoint& c);  // "origin\nsize\nbase64(root)\n"

// The log's Ed25519 signing key (stays on the host; signing checkpoints is
// all it does).  Key id = the first 4 bytes of SHA-256(name "\n" 0x01 pub).
class SigningKey {
public:
    static Outcome<SigningKey> generate(std::string name);
    static Outcome<SigningKey> from_seed(std::string name, const Secret& seed);
    const std::string& name() const { return name_; }
    const Secret& seed() const { return seed_; }  // what jitd persists
    const Hash& public_key() const { return public_; }
    uint32_t key_id() const;
    std::string verifier_key() const;                  // "name+hex8(id)+base64(0x01||pub)"
    std::string sign(std::string_view message) const;  // 64-byte signature
private:
    std::string name_;
    Secret seed_;
    Hash public_{};
};

struct VerifierKey {
    std::string name;
    uint32_t key_id = 0;
    Hash public_key{};
    static Outcome<VerifierKey> parse(std::string_view vkey);
    bool verify(std::string_view message, std::string_view signature) const;
};

// body + "\n" + "— name base64(be32(id) || sig)\n"
std::string sign_note(std::string_view body, const SigningKey& key);
std::string sign_checkpoint(const Checkpoint& c, const SigningKey& key);
// The note's text, if `key` signed it; signatures by other keys (witnesses'
// cosignatures) are allowed and skipped.
struct NoteText {
    std::string text;
};
Outcome<NoteText> open_note(std::string_view note, const VerifierKey& key);
// open_note, then the checkpoint in it, whose origin must be the key's name.
Outcome<Checkpoint> open_checkpoint(std::string_view note, const VerifierKey& key);
Outcome<Checkpoint> parse_checkpoint_body(std::string_view body);

// ---- keys made once: jitd --audit-init KEYFILE ----
// What the auditor keeps (text, mode 0600, off the host): k_0 and the
// checkpoint verifier key.  jitd keeps AppendState (k_0 until the first
// record) and the signing key's seed.
struct AuditorKey {
    std::string origin;
    Secret k0;
    std::string verifier_key;
};
std::string encode_auditor_key(const AuditorKey& key);
Outcome<AuditorKey> parse_auditor_key(std::string_view text);

// ---- appending (jitd) ----
// Everything jitd persists to continue the log: small, and secret (key).
struct AppendState {
    std::string origin;
    uint64_t next_seq = 0;
    Hash last_leaf{};   // prev for the next record
    Secret key;         // k_{next_seq}
    Frontier frontier;  // the tree over [0, next_seq)
};
std::string encode_state(const AppendState& s);
Outcome<AppendState> decode_state(std::string_view bytes);

struct Init {
    AuditorKey auditor;  // write to KEYFILE
    AppendState state;   // store in jitd's database
    SigningKey signer;   // store its seed in jitd's database
};
Outcome<Init> create_log(std::string origin);  // fresh random k_0 and signing key

// Records made in one transaction.  Until commit(), the Log keeps its old
// state (a rolled-back transaction is simply dropped with its Batch); at
// commit() the Log takes the batch's state and the old keys are erased.
class Batch {
public:
    const Record& add(std::string event, Fields fields, Time time);
    const std::vector<Record>& records() const { return records_; }
    const AppendState& state() const { return state_; }  // to persist with the records

private:
    friend class Log;
    explicit Batch(AppendState start) : start_seq_(start.next_seq), state_(std::move(start)) {}
    uint64_t start_seq_;
    AppendState state_;
    std::vector<Record> records_;
};

class Log {
public:
    Log(AppendState state, const Clock& clock) : state_(std::move(state)), clock_(clock) {}
    Batch begin() const { return Batch(state_); }
    // Stamps the record with clock.now().
    const Record& add(Batch& batch, std::string event, Fields fields) const;
    // False (and nothing changes) when the batch does not continue this
    // log's state: another batch was committed since it began.
    [[nodiscard]] bool commit(Batch&& batch);
    const AppendState& state() const { return state_; }
    Checkpoint checkpoint() const {
        return {state_.origin, state_.frontier.size(), state_.frontier.root()};
    }

private:
    AppendState state_;
    const Clock& clock_;
};

// A checkpoint is due every `records` records or every `seconds` seconds
// (when at least one record came since the last); 0 turns either off.
struct CheckpointPolicy {
    uint64_t records = 1000;
    Time seconds = 60;
};
bool checkpoint_due(const CheckpointPolicy& p, uint64_t size, uint64_t last_size, Time now,
                    Time last_time);

// ---- the export format: JSON lines (also the sealed segment files) ----
//   {"event":E,"fields":[[K,V],...],"mac":HEX,"prev":HEX,"seq":N,"time":T}
//   {"checkpoint":SIGNED_NOTE}                covers every record above it
//   {"frontier":{"hashes":[HEX,...],"size":N}} the tree before the next record
// One compact line each, keys sorted, hex lowercase: the verifier requires
// exactly this form, so any changed byte is caught.  A value that is not
// UTF-8 is written as {"base64":B}.
std::string export_record(const Record& r);
std::string export_checkpoint(std::string_view signed_note);
std::string export_frontier(const Frontier& f);

// Records [first, end) that the host's log lists but cannot give: the sealed
// segment file that held them is not on the host.  jitd writes this line in
// their place, so an export says which records are missing instead of
// stopping there; the tree state at `end` follows it.
struct MissingRange {
    uint64_t first = 0, end = 0;
    std::string segment;  // the file's name
};
std::string export_missing(const MissingRange& m);

struct ExportLine {
    enum class Kind { Record, Checkpoint, Frontier, Missing } kind = Kind::Record;
    Record record;         // Kind::Record
    std::string note;      // Kind::Checkpoint: the signed note, not yet verified
    Frontier frontier;     // Kind::Frontier
    MissingRange missing;  // Kind::Missing
};
// One line, without its newline.  Anything but the exact form export_*
// writes is refused, with the reason.
Outcome<ExportLine> parse_export_line(std::string_view line);

}  // namespace jit::daemon::audit
