// Records, their canonical bytes, the state jitd keeps, and appending.
#include <openssl/crypto.h>

#include "daemon/audit/audit.h"
#include "daemon/audit/crypto.h"

namespace jit::daemon::audit {

namespace {

constexpr std::string_view kRecordTag = "jit-audit/v1";
constexpr std::string_view kStateTag = "jit-audit-state/v1";

void put_lp(std::string& out, std::string_view s) {
    put_u32(out, uint32_t(s.size()));
    out.append(s);
}

// Reads what put_* wrote; any shortfall marks the whole read as failed.
struct Reader {
    std::string_view in;
    bool ok = true;
    const unsigned char* take(size_t n) {
        if (!ok || in.size() < n) {
            ok = false;
            return nullptr;
        }
        auto p = reinterpret_cast<const unsigned char*>(in.data());
        in.remove_prefix(n);
        return p;
    }
    uint64_t u64() {
        auto p = take(8);
        return p ? get_u64(p) : 0;
    }
    std::string_view lp() {
        auto p = take(4);
        uint32_t n = p ? get_u32(p) : 0;
        auto s = take(n);
        return s ? std::string_view(reinterpret_cast<const char*>(s), n) : std::string_view();
    }
    Hash hash() {
        Hash h{};
        if (auto p = take(32)) std::copy(p, p + 32, h.begin());
        return h;
    }
};

}  // namespace

std::string record_body(const Record& r) {
    std::string out;
    out.reserve(96 + r.event.size() + r.fields.size() * 24);
    put_lp(out, kRecordTag);
    put_u64(out, r.seq);
    put_u64(out, uint64_t(r.time));
    put_lp(out, r.event);
    put_u32(out, uint32_t(r.fields.size()));
    for (const auto& [k, v] : r.fields) {
        put_lp(out, k);
        put_lp(out, v);
    }
    out.append(view(r.prev));
    return out;
}

std::string record_leaf(const Record& r) {
    return record_body(r).append(view(r.mac));
}

Hash leaf_hash(const Record& r) {
    return leaf_hash_of(record_body(r), r.mac);
}

Hash leaf_hash_of(std::string_view body, const Hash& mac) {
    return sha256(std::string_view("\0", 1), body, view(mac));
}

// ---- state ----

std::string encode_state(const AppendState& s) {
    std::string out;
    put_lp(out, kStateTag);
    put_lp(out, s.origin);
    put_u64(out, s.next_seq);
    out.append(view(s.last_leaf));
    out.append(view(s.key.bytes()));
    put_lp(out, s.frontier.encode());
    return out;
}

Outcome<AppendState> decode_state(std::string_view bytes) {
    Reader in{bytes};
    if (in.lp() != kStateTag) return std::string("audit state: not a jit audit state");
    AppendState s;
    s.origin = std::string(in.lp());
    s.next_seq = in.u64();
    s.last_leaf = in.hash();
    Hash key = in.hash();
    s.key = Secret(key);
    OPENSSL_cleanse(key.data(), key.size());
    std::string_view tree = in.lp();
    if (!in.ok || !in.in.empty()) return std::string("audit state: truncated or overlong");
    auto frontier = Frontier::decode(tree);
    if (!frontier) return "audit state: " + frontier.error();
    if (frontier->size() != s.next_seq)
        return std::string("audit state: the tree size is not the next sequence number");
    s.frontier = std::move(*frontier);
    return s;
}

// ---- the auditor's key file ----

std::string encode_auditor_key(const AuditorKey& key) {
    return "# jit audit key: verifies every record jitd writes (jitctl audit verify --key).\n"
           "# Keep it off the audited host: with k0, records can be forged.\n"
           "jit-audit-key v1\n"
           "origin " +
           key.origin + "\nk0 " + base64_encode(view(key.k0.bytes())) + "\ncheckpoint-key " +
           key.verifier_key + "\n";
}

Outcome<AuditorKey> parse_auditor_key(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (!line.empty() && line[0] != '#') lines.push_back(line);
    }
    auto value = [&](size_t i, std::string_view name) -> std::optional<std::string_view> {
        if (i >= lines.size() || !lines[i].starts_with(name) || lines[i].size() <= name.size() ||
            lines[i][name.size()] != ' ')
            return std::nullopt;
        return lines[i].substr(name.size() + 1);
    };
    if (lines.size() != 4 || lines[0] != "jit-audit-key v1")
        return std::string("key file: not a jit audit key (jit-audit-key v1)");
    auto origin = value(1, "origin"), k0 = value(2, "k0"), vkey = value(3, "checkpoint-key");
    if (!origin || !k0 || !vkey)
        return std::string("key file: expected the lines origin, k0, checkpoint-key");
    auto raw = base64_decode(*k0);
    if (!raw || raw->size() != 32) return std::string("key file: k0 is not 32 bytes of base64");
    auto parsed = VerifierKey::parse(*vkey);
    if (!parsed) return "key file: " + parsed.error();
    if (parsed->name != *origin) return std::string("key file: checkpoint key is not the origin's");
    Hash k{};
    std::copy(raw->begin(), raw->end(), k.begin());
    OPENSSL_cleanse(raw->data(), raw->size());
    AuditorKey out{std::string(*origin), Secret(k), std::string(*vkey)};
    OPENSSL_cleanse(k.data(), k.size());
    return out;
}

// ---- creating and appending ----

Outcome<SigningKey> SigningKey::generate(std::string name) {
    auto seed = random_secret();
    if (!seed) return std::string("no randomness for the signing key");
    return from_seed(std::move(name), *seed);
}

Outcome<Init> create_log(std::string origin) {
    auto signer = SigningKey::generate(origin);
    if (!signer) return signer.error();
    auto k0 = random_secret();
    if (!k0) return std::string("no randomness for the audit key");
    AuditorKey auditor{origin, *k0, signer->verifier_key()};
    AppendState state;
    state.origin = origin;
    state.key = *k0;
    return Init{std::move(auditor), std::move(state), std::move(*signer)};
}

const Record& Batch::add(std::string event, Fields fields, Time time) {
    Record r;
    r.seq = state_.next_seq;
    r.time = time;
    r.event = std::move(event);
    r.fields = std::move(fields);
    r.prev = state_.last_leaf;
    EvolvingKey key(state_.next_seq, state_.key);
    std::string body = record_body(r);
    r.mac = key.mac(body);
    key.advance();
    state_.key = key.key();
    Hash leaf = leaf_hash_of(body, r.mac);
    state_.frontier.append(leaf);
    state_.last_leaf = leaf;
    ++state_.next_seq;
    records_.push_back(std::move(r));
    return records_.back();
}

const Record& Log::add(Batch& batch, std::string event, Fields fields) const {
    return batch.add(std::move(event), std::move(fields), clock_.now());
}

bool Log::commit(Batch&& batch) {
    if (batch.start_seq_ != state_.next_seq) return false;
    state_ = batch.state_;
    batch.records_.clear();
    return true;
}

bool checkpoint_due(const CheckpointPolicy& p, uint64_t size, uint64_t last_size, Time now,
                    Time last_time) {
    if (size <= last_size) return false;
    return (p.records && size - last_size >= p.records) ||
           (p.seconds && now - last_time >= p.seconds);
}

}  // namespace jit::daemon::audit
