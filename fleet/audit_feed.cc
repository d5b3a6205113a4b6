#include "fleet/audit_feed.h"

#include <stdio.h>

#include "fleet/json_strict.h"
#include "fleet/record.h"
#include "fleet/records.h"

namespace jit::fleet {

using nlohmann::json;

namespace {

constexpr size_t kMaxProof = 64;

std::string hash_b64(const audit::Hash& h) {
    return base64_encode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

// The checkpoint a signed note carries, read without its signature (the
// witness verifies it; here it is only matched against the records read).
audit::Outcome<audit::Checkpoint> unsigned_checkpoint(std::string_view note) {
    size_t split = note.rfind("\n\n");
    if (split == std::string_view::npos) return std::string("note: no signature block");
    return audit::parse_checkpoint_body(note.substr(0, split + 1));
}

}  // namespace

std::string audit_key(const std::string& host, uint64_t size) {
    char digits[24];
    snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(size));
    return kAuditPrefix + host + "/" + digits;
}

std::string publication_body(const Publication& p) {
    json proof = json::array();
    for (const auto& h : p.proof) proof.push_back(hash_b64(h));
    return json{{"note", p.note}, {"size", p.size}, {"from", p.from}, {"proof", proof}}.dump();
}

Result<Publication, Failure> read_publication(const FleetConfig& c, const std::string& key,
                                              const std::string& value) {
    auto env = parse_envelope(value);
    if (!env.ok()) return env.error();
    if (env->kind != "audit-checkpoint")
        return fail("a " + env->kind + " record where an audit-checkpoint belongs", EBADMSG);
    auto it = c.trusted.find(env->signer);
    if (it == c.trusted.end())
        return fail("signed by " + env->signer + ", a host the trust file does not name", EPERM);
    if (!verify_envelope(*env, it->second.key.get()))
        return fail("bad signature for " + env->signer + "'s key", EPERM);
    auto body = parse_strict(env->body);
    Publication p;
    p.host = env->signer;
    try {
        if (!body.ok() || !body->is_object()) throw json::type_error::create(302, "", nullptr);
        p.note = body->at("note").get<std::string>();
        p.size = body->at("size").get<uint64_t>();
        p.from = body->at("from").get<uint64_t>();
        const json& proof = body->at("proof");
        if (!proof.is_array() || proof.size() > kMaxProof)
            return fail("audit-checkpoint: proof is not a list of hashes", EBADMSG);
        for (const json& h : proof) {
            auto bytes = base64_decode(h.get<std::string>());
            if (!bytes.ok() || bytes->size() != 32)
                return fail("audit-checkpoint: a proof hash is not 32 bytes", EBADMSG);
            audit::Hash out;
            std::copy(bytes->begin(), bytes->end(), out.begin());
            p.proof.push_back(out);
        }
    } catch (const json::exception&) {
        return fail("audit-checkpoint: note, size, from or proof missing", EBADMSG);
    }
    if (key != audit_key(p.host, p.size))
        return fail("audit checkpoint of " + p.host + " stored under another key (" + key + ")",
                    EBADMSG);
    if (p.from > p.size) return fail("audit-checkpoint: from is past size", EBADMSG);
    return p;
}

void AuditFeed::restart(const std::string& host, uint64_t published) {
    *this = AuditFeed();
    host_ = host;
    published_ = published;
}

bool AuditFeed::resume(const std::string& host, uint64_t published, const audit::Frontier& at,
                       std::string_view note) {
    auto c = unsigned_checkpoint(note);
    if (published == 0 || at.size() != published || !c || c->size != published ||
        c->root != at.root())
        return false;
    restart(host, published);
    frontier_ = at;
    base_ = at;
    started_ = true;
    have_base_ = true;
    return true;
}

std::string AuditFeed::cursor() const {
    if (!have_base_ || base_.size() != published_ || published_ == 0) return "";
    return base_.encode();
}

std::optional<uint64_t> AuditFeed::next_from() const {
    if (!started_) return std::nullopt;
    return frontier_.size() == 0 ? 0 : frontier_.size() - 1;
}

// The tree now has `size` leaves: the base is where the last publication was.
void AuditFeed::reached(uint64_t size) {
    if (!have_base_ && size >= published_) {
        // size > published_: the log starts past the published checkpoint
        // (its older segments pruned); a witness will say it cannot check.
        base_ = frontier_;
        have_base_ = true;
        leaves_.clear();
    }
}

audit::Outcome<std::optional<Publication>> AuditFeed::line(std::string_view text) {
    auto parsed = audit::parse_export_line(text);
    if (!parsed) return parsed.error();
    switch (parsed->kind) {
        case audit::ExportLine::Kind::Frontier:
            if (started_) return std::string("a frontier line inside a run");
            frontier_ = parsed->frontier;
            started_ = true;
            reached(frontier_.size());
            return std::optional<Publication>();
        case audit::ExportLine::Kind::Record: {
            const auto& r = parsed->record;
            if (!started_ && r.seq == 0) started_ = true, reached(0);
            if (!started_) return std::string("the log does not start with its frontier");
            if (r.seq + 1 == frontier_.size()) return std::optional<Publication>();  // re-read
            if (r.seq != frontier_.size())
                return "record " + std::to_string(r.seq) + " where " +
                       std::to_string(frontier_.size()) + " was expected";
            const audit::Hash h = audit::leaf_hash(r);
            frontier_.append(h);
            if (have_base_) leaves_.push_back(h);
            reached(frontier_.size());
            return std::optional<Publication>();
        }
        case audit::ExportLine::Kind::Checkpoint:
            break;
        case audit::ExportLine::Kind::Missing:
            return "records " + std::to_string(parsed->missing.first) + ".." +
                   std::to_string(parsed->missing.end - 1) +
                   " are missing on this host (the segment file " + parsed->missing.segment +
                   " is gone): no checkpoint past them can be proven consistent";
    }
    auto c = unsigned_checkpoint(parsed->note);
    if (!c) return c.error();
    if (c->size != frontier_.size() || c->root != frontier_.root())
        return "the checkpoint of size " + std::to_string(c->size) +
               " does not match the records read (" + std::to_string(frontier_.size()) + ")";
    if (c->size <= published_ || !have_base_) return std::optional<Publication>();
    Publication p{host_, c->size, base_.size(), parsed->note, {}};
    for (const auto& r : audit::consistency_ranges(p.from, p.size)) {
        auto node = audit::range_root_after(base_, leaves_, r.begin, r.end);
        if (!node) return std::string("cannot build the consistency proof from the frontier");
        p.proof.push_back(*node);
    }
    return std::optional<Publication>(std::move(p));
}

void AuditFeed::published(const Publication& p) {
    published_ = p.size;
    base_ = frontier_;
    leaves_.clear();
}

}  // namespace jit::fleet
