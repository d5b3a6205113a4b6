// Typed NSS account messages (protocol.h, MsgType 20-24).
#include "jit/messages.h"

namespace jit::msg {

using proto::FieldTag;
using proto::MsgType;
using wire::FieldIterator;
using wire::FieldView;
using wire::FrameWriter;

namespace {

void add_account(FrameWriter& w, const AccountRecord& a) {
    w.begin_record(FieldTag::Account);
    w.add_string(FieldTag::User, a.name);
    w.add_u64(FieldTag::Uid, a.uid);
    w.add_u64(FieldTag::Gid, a.gid);
    w.add_string(FieldTag::Home, a.home);
    w.add_string(FieldTag::Shell, a.shell);
    if (!a.gecos.empty()) w.add_string(FieldTag::Gecos, a.gecos);
    w.add_u64(FieldTag::Visibility, uint64_t(a.visibility));
    for (const auto& g : a.groups) w.add_string(FieldTag::JitGroup, g);
    w.add_u64(FieldTag::Origin, uint64_t(a.origin));
    w.add_i64(FieldTag::Created, a.created);
    w.end_record();
}

AccountRecord decode_account(const FieldView& record) {
    AccountRecord a;
    FieldIterator it(record);
    FieldView f;
    while (it.next(&f)) {
        switch (f.tag) {
            case FieldTag::User:
                a.name = f.str();
                break;
            case FieldTag::Uid:
                a.uid = f.u64();
                break;
            case FieldTag::Gid:
                a.gid = f.u64();
                break;
            case FieldTag::Home:
                a.home = f.str();
                break;
            case FieldTag::Shell:
                a.shell = f.str();
                break;
            case FieldTag::Gecos:
                a.gecos = f.str();
                break;
            case FieldTag::Visibility:
                a.visibility = proto::AccountVisibility(f.u64());
                break;
            case FieldTag::JitGroup:
                a.groups.emplace_back(f.str());
                break;
            case FieldTag::Origin:
                a.origin = proto::AccountOrigin(f.u64());
                break;
            case FieldTag::Created:
                a.created = f.i64();
                break;
            default:
                break;  // the schema admits nothing else
        }
    }
    return a;
}

void fill_add(FrameWriter& w, const void* p) {
    const auto& m = *static_cast<const AccountAddRequest*>(p);
    w.add_string(FieldTag::User, m.name);
    if (m.uid) w.add_u64(FieldTag::Uid, *m.uid);
    for (const auto& g : m.groups) w.add_string(FieldTag::JitGroup, g);
    if (!m.home.empty()) w.add_string(FieldTag::Home, m.home);
    if (!m.shell.empty()) w.add_string(FieldTag::Shell, m.shell);
    if (!m.gecos.empty()) w.add_string(FieldTag::Gecos, m.gecos);
    if (m.visibility) w.add_u64(FieldTag::Visibility, uint64_t(*m.visibility));
}

void fill_remove(FrameWriter& w, const void* p) {
    w.add_string(FieldTag::User, static_cast<const AccountRemoveRequest*>(p)->name);
}

void fill_nothing(FrameWriter&, const void*) {}

void fill_accounts(FrameWriter& w, const void* p) {
    for (const auto& a : static_cast<const AccountList*>(p)->accounts) add_account(w, a);
}

}  // namespace

Result<Frame> encode(const AccountAddRequest& m, uint32_t id) {
    return build_frame(MsgType::AccountAddRequest, id, fill_add, &m);
}

Result<Frame> encode(const AccountRemoveRequest& m, uint32_t id) {
    return build_frame(MsgType::AccountRemoveRequest, id, fill_remove, &m);
}

Result<Frame> encode_account_list_request(uint32_t id) {
    return build_frame(MsgType::AccountListRequest, id, fill_nothing, nullptr);
}

Result<Frame> encode(MsgType type, const AccountList& m, uint32_t id) {
    return build_frame(type, id, fill_accounts, &m);
}

AccountAddRequest decode_account_add_request(const wire::MessageView& v) {
    AccountAddRequest m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f)) {
        switch (f.tag) {
            case FieldTag::User:
                m.name = f.str();
                break;
            case FieldTag::Uid:
                m.uid = f.u64();
                break;
            case FieldTag::JitGroup:
                m.groups.emplace_back(f.str());
                break;
            case FieldTag::Home:
                m.home = f.str();
                break;
            case FieldTag::Shell:
                m.shell = f.str();
                break;
            case FieldTag::Gecos:
                m.gecos = f.str();
                break;
            case FieldTag::Visibility:
                m.visibility = proto::AccountVisibility(f.u64());
                break;
            default:
                break;
        }
    }
    return m;
}

AccountRemoveRequest decode_account_remove_request(const wire::MessageView& v) {
    AccountRemoveRequest m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f))
        if (f.tag == FieldTag::User) m.name = f.str();
    return m;
}

AccountList decode_account_list(const wire::MessageView& v) {
    AccountList m;
    FieldIterator it(v.body, v.body_len);
    FieldView f;
    while (it.next(&f))
        if (f.tag == FieldTag::Account) m.accounts.push_back(decode_account(f));
    return m;
}

}  // namespace jit::msg
