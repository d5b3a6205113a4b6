// The NSS parts of jitd.conf: the [nss] section and one [account NAME]
// section per declared account.  config.cc does the INI syntax and calls in
// here; these functions only check and store values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/config.h"
#include "jit/result.h"

namespace jit::daemon {

using ConfigCheck = Result<void, std::string>;

// [nss] keys.
ConfigCheck set_nss_snapshot(Config& c, std::string_view v);
ConfigCheck set_nss_uid_range(Config& c, std::string_view v);
ConfigCheck set_nss_gid_range(Config& c, std::string_view v);
ConfigCheck set_nss_groups(Config& c, std::string_view v);

// "account deploy" -> "deploy"; empty when the section is not an account's.
std::string_view account_section_name(std::string_view section);
// An [account NAME] header: declares the account (a repeated section adds
// to the same one).
ConfigCheck declare_account(Config& c, std::string_view name);
// A key of an [account NAME] section.
ConfigCheck set_account_key(Config& c, std::string_view account, std::string_view key,
                            std::string_view value);
// The rules that span sections, checked once the whole file is read.
ConfigCheck check_nss_config(const Config& c);

// Shared with config.cc's [managed] parsing.
Result<std::vector<std::string_view>, std::string> config_list(std::string_view v);
Result<UidRange, std::string> config_id_range(std::string_view v);
ConfigCheck config_path(std::string_view v);

}  // namespace jit::daemon
