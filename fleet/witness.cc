#include "fleet/witness.h"

#include "fleet/json_strict.h"
#include "fleet/record.h"
#include "fleet/state_file.h"

namespace jit::fleet {

using nlohmann::json;

namespace {

std::string b64(const audit::Hash& h) {
    return base64_encode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

Verdict refuse(std::string reason) {
    return Verdict{Verdict::Refuse, std::move(reason), {}};
}

}  // namespace

Verdict Witness::check(const FleetConfig& c, const Publication& p, bool live) {
    auto host = c.trusted.find(p.host);
    if (host == c.trusted.end() || !host->second.audit_key) return {};  // not witnessed here
    auto cp = audit::open_checkpoint(p.note, *host->second.audit_key);
    if (!cp) return refuse("checkpoint " + std::to_string(p.size) + ": " + cp.error());
    if (cp->size != p.size)
        return refuse("the record says size " + std::to_string(p.size) + ", its note " +
                      std::to_string(cp->size));
    auto seen = state_.find(p.host);
    if (seen == state_.end()) {
        state_[p.host] = {cp->size, cp->root};
        return {Verdict::Cosign, "first checkpoint this witness saw from " + p.host, *cp};
    }
    const Witnessed last = seen->second;
    const std::string last_text =
        "the checkpoint of size " + std::to_string(last.size) + " this witness co-signed";
    if (cp->size < last.size) {
        if (!live) return {};  // history, read again on a resync
        return refuse("rollback: a checkpoint of size " + std::to_string(cp->size) + " after " +
                      last_text);
    }
    if (cp->size == last.size) {
        if (cp->root == last.root) return {};  // co-signed already
        return refuse("fork: size " + std::to_string(cp->size) + " with another root than " +
                      last_text);
    }
    if (p.from != last.size)
        return refuse("cannot check size " + std::to_string(cp->size) +
                      ": its consistency proof starts at size " + std::to_string(p.from) +
                      ", not at " + last_text);
    if (!audit::verify_consistency(last.size, cp->size, last.root, cp->root, p.proof))
        return refuse("not consistent with " + last_text +
                      ": the log was rewritten or forked (consistency proof to size " +
                      std::to_string(cp->size) + " fails)");
    state_[p.host] = {cp->size, cp->root};
    return {Verdict::Cosign, "consistent with " + last_text, *cp};
}

std::string cosignature_body(const std::string& host, const audit::Checkpoint& c,
                             const std::string& note, int64_t at) {
    return json{{"host", host}, {"size", c.size}, {"root", b64(c.root)}, {"note", note}, {"at", at}}
        .dump();
}

Result<WitnessState, Failure> load_witness_state(const std::string& dir) {
    const std::string path = dir + "/witness.json";
    auto text = read_state_file(path);
    if (!text.ok()) return text.error();
    WitnessState s;
    if (text->empty()) return s;
    auto doc = parse_strict(*text);
    try {
        if (!doc.ok() || !doc->is_object()) throw json::type_error::create(302, "", nullptr);
        for (const auto& [host, w] : doc->items()) {
            auto root = base64_decode(w.at("root").get<std::string>());
            if (!root.ok() || root->size() != 32) throw json::type_error::create(302, "", nullptr);
            Witnessed out{w.at("size").get<uint64_t>(), {}};
            std::copy(root->begin(), root->end(), out.root.begin());
            s[host] = out;
        }
    } catch (const json::exception&) {
        return fail(path + ": damaged (it holds what this host co-signed; see jit-fleet(8))",
                    EBADMSG);
    }
    return s;
}

Result<void, Failure> save_witness_state(const std::string& dir, const WitnessState& s) {
    json doc = json::object();
    for (const auto& [host, w] : s) doc[host] = {{"size", w.size}, {"root", b64(w.root)}};
    return write_state_file(dir, "witness.json", doc.dump() + "\n");
}

}  // namespace jit::fleet
