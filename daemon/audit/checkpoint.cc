// Signed checkpoints: the C2SP tlog-checkpoint body inside a C2SP
// signed-note, signed with Ed25519 (signature type 0x01).
#include <charconv>

#include "daemon/audit/audit.h"
#include "daemon/audit/crypto.h"

namespace jit::daemon::audit {

namespace {

constexpr std::string_view kDash = "\xe2\x80\x94 ";  // U+2014 and a space
constexpr size_t kMaxNote = 64 * 1024;
constexpr uint8_t kEd25519 = 0x01;

uint32_t key_id_of(std::string_view name, const Hash& pub) {
    std::string data(name);
    data += '\n';
    data += char(kEd25519);
    data.append(view(pub));
    Hash h = sha256(data);
    return get_u32(h.data());
}

std::string id_hex(uint32_t id) {
    std::string be;
    put_u32(be, id);
    return hex(be);
}

// A key name: non-empty UTF-8 without spaces, '+' or control characters.
bool valid_name(std::string_view name) {
    if (name.empty()) return false;
    for (unsigned char c : name)
        if (c <= 0x20 || c == '+' || c == 0x7f) return false;
    return true;
}

bool parse_u64(std::string_view text, uint64_t& out) {
    if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string checkpoint_body(const Checkpoint& c) {
    return c.origin + "\n" + std::to_string(c.size) + "\n" + base64_encode(view(c.root)) + "\n";
}

Outcome<Checkpoint> parse_checkpoint_body(std::string_view body) {
    std::vector<std::string_view> lines;
    while (!body.empty()) {
        size_t nl = body.find('\n');
        if (nl == std::string_view::npos) return std::string("checkpoint: last line unterminated");
        lines.push_back(body.substr(0, nl));
        body.remove_prefix(nl + 1);
    }
    if (lines.size() < 3) return std::string("checkpoint: fewer than 3 lines");
    Checkpoint c;
    c.origin = std::string(lines[0]);
    if (c.origin.empty()) return std::string("checkpoint: empty origin");
    if (!parse_u64(lines[1], c.size)) return std::string("checkpoint: bad tree size");
    auto root = base64_decode(lines[2]);
    if (!root || root->size() != 32) return std::string("checkpoint: bad root hash");
    std::copy(root->begin(), root->end(), c.root.begin());
    for (size_t i = 3; i < lines.size(); ++i)  // extension lines: allowed, not used
        if (lines[i].empty()) return std::string("checkpoint: empty extension line");
    return c;
}

// ---- keys ----

Outcome<SigningKey> SigningKey::from_seed(std::string name, const Secret& seed) {
    if (!valid_name(name)) return std::string("key name: empty, or has a space or '+'");
    auto pub = ed25519_public(seed);
    if (!pub) return std::string("Ed25519: cannot derive the public key");
    SigningKey k;
    k.name_ = std::move(name);
    k.seed_ = seed;
    k.public_ = *pub;
    return k;
}

uint32_t SigningKey::key_id() const {
    return key_id_of(name_, public_);
}

std::string SigningKey::verifier_key() const {
    std::string material(1, char(kEd25519));
    material.append(view(public_));
    return name_ + "+" + id_hex(key_id()) + "+" + base64_encode(material);
}

std::string SigningKey::sign(std::string_view message) const {
    return ed25519_sign(seed_, message);
}

Outcome<VerifierKey> VerifierKey::parse(std::string_view vkey) {
    size_t p1 = vkey.find('+');
    size_t p2 = p1 == std::string_view::npos ? p1 : vkey.find('+', p1 + 1);
    if (p2 == std::string_view::npos) return std::string("verifier key: expected NAME+ID+KEY");
    VerifierKey k;
    k.name = std::string(vkey.substr(0, p1));
    if (!valid_name(k.name)) return std::string("verifier key: bad name");
    auto id = unhex(vkey.substr(p1 + 1, p2 - p1 - 1));
    if (!id || id->size() != 4) return std::string("verifier key: bad key id");
    auto material = base64_decode(vkey.substr(p2 + 1));
    if (!material || material->size() != 33 || uint8_t((*material)[0]) != kEd25519)
        return std::string("verifier key: not an Ed25519 key");
    std::copy(material->begin() + 1, material->end(), k.public_key.begin());
    k.key_id = get_u32(reinterpret_cast<const unsigned char*>(id->data()));
    if (k.key_id != key_id_of(k.name, k.public_key))
        return std::string("verifier key: the key id does not match the key");
    return k;
}

bool VerifierKey::verify(std::string_view message, std::string_view signature) const {
    return ed25519_verify(public_key, message, signature);
}

// ---- notes ----

std::string sign_note(std::string_view body, const SigningKey& key) {
    std::string sig;
    put_u32(sig, key.key_id());
    sig += key.sign(body);
    return std::string(body) + "\n" + std::string(kDash) + key.name() + " " + base64_encode(sig) +
           "\n";
}

std::string sign_checkpoint(const Checkpoint& c, const SigningKey& key) {
    return sign_note(checkpoint_body(c), key);
}

Outcome<NoteText> open_note(std::string_view note, const VerifierKey& key) {
    if (note.size() > kMaxNote) return std::string("note: too large");
    size_t split = note.rfind("\n\n");
    if (split == std::string_view::npos) return std::string("note: no signature block");
    std::string_view text = note.substr(0, split + 1), sigs = note.substr(split + 2);
    for (unsigned char c : text)
        if ((c < 0x20 && c != '\n') || c == 0x7f) return std::string("note: control character");
    if (sigs.empty() || sigs.back() != '\n') return std::string("note: no signature lines");
    bool verified = false;
    while (!sigs.empty()) {
        size_t nl = sigs.find('\n');
        std::string_view line = sigs.substr(0, nl);
        sigs.remove_prefix(nl + 1);
        if (!line.starts_with(kDash)) return std::string("note: malformed signature line");
        line.remove_prefix(kDash.size());
        size_t sp = line.find(' ');
        if (sp == std::string_view::npos || !valid_name(line.substr(0, sp)))
            return std::string("note: malformed signature line");
        auto blob = base64_decode(line.substr(sp + 1));
        if (!blob || blob->size() < 5) return std::string("note: malformed signature");
        uint32_t id = get_u32(reinterpret_cast<const unsigned char*>(blob->data()));
        if (line.substr(0, sp) != key.name || id != key.key_id) continue;
        if (!key.verify(text, std::string_view(*blob).substr(4)))
            return std::string("note: the signature of ") + key.name + " does not verify";
        verified = true;
    }
    if (!verified) return std::string("note: not signed by ") + key.name;
    return NoteText{std::string(text)};
}

Outcome<Checkpoint> open_checkpoint(std::string_view note, const VerifierKey& key) {
    auto text = open_note(note, key);
    if (!text) return text.error();
    auto c = parse_checkpoint_body(text->text);
    if (!c) return c.error();
    if (c->origin != key.name)
        return std::string("checkpoint: origin ") + c->origin + " is not the key's, " + key.name;
    return c;
}

}  // namespace jit::daemon::audit
