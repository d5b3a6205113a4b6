# shellcheck shell=bash
# Sourced by tests/fuzz/run and tests/fuzz/long from the source tree root:
# ---- per-target configuration: the one place to add a target's needs ----
# Sources linked into every target (the codec and its typed messages).
COMMON_SOURCES="common/wire.cc common/wire_rules.cc common/messages.cc common/command_messages.cc common/identity_messages.cc common/fleet_messages.cc
    common/unique_fd.cc"
# Extra sources and libraries per target NAME (from tests/fuzz/NAME_fuzz.cc).
TZ_SOURCES="daemon/time/tzif.cc daemon/time/tz_rule.cc"
POLICY_SOURCES="daemon/policy/policy_model.cc daemon/policy/policy_values.cc daemon/policy/policy_parse.cc daemon/policy/command_scope.cc
    daemon/policy/policy_load.cc daemon/config/ini_file.cc daemon/time/schedule.cc $TZ_SOURCES daemon/grants/cidr.cc
    daemon/base/ids.cc daemon/config/config.cc daemon/config/config_nss.cc daemon/config/config_audit.cc daemon/grants/local_source.cc common/timefmt.cc
    common/snapshot.cc common/crc32c.cc common/escape_text.cc common/escape.cc"
IDENTITY_SOURCES="daemon/identity/base64url.cc daemon/identity/json_strict.cc daemon/identity/jwks.cc
    daemon/identity/verifier.cc daemon/identity/identity_config.cc daemon/config/ini_file.cc daemon/config/config.cc
    daemon/config/config_nss.cc daemon/config/config_audit.cc daemon/base/ids.cc common/timefmt.cc common/snapshot.cc common/crc32c.cc common/escape_text.cc common/escape.cc"
declare -A EXTRA_SOURCES=(
    [protocol]=""
    [identity]="$IDENTITY_SOURCES"
    [snapshot]="common/snapshot.cc common/snapshot_verify.cc common/crc32c.cc nss_module/fill.cc"
    [policy]="$POLICY_SOURCES"
    [tzif]="$TZ_SOURCES"
    [key_set]="jwks_refresh/key_set.cc"
    [audit]="daemon/audit/checkpoint.cc daemon/audit/crypto.cc daemon/audit/export.cc
        daemon/audit/merkle.cc daemon/audit/record.cc daemon/audit/verify.cc common/escape_text.cc
        common/escape.cc"
)
declare -A EXTRA_LIBS=(
    [protocol]=""
    [identity]="-linih -lcrypto"
    [snapshot]=""
    [policy]="-linih"
    [tzif]=""
    [key_set]="-lcrypto"
    [audit]="-lcrypto"
)
# Extra libFuzzer flags per target.
declare -A FUZZ_FLAGS=(
    [protocol]="-max_len=8192"
    [identity]="-max_len=20000"
    [snapshot]="-max_len=16384"
    [policy]="-max_len=4096"
    [tzif]="-max_len=8192"
    [key_set]="-max_len=8192"
    [audit]="-max_len=8192"
)
# --------------------------------------------------------------------------
# The decoder each target is for: the files `tests/fuzz/long` reports line and
# branch coverage of (a target without an entry reports its EXTRA_SOURCES, or
# COMMON_SOURCES when it has none).
declare -A DECODER_SOURCES=(
    [protocol]="common/wire.cc common/wire_rules.cc common/messages.cc common/command_messages.cc
        common/identity_messages.cc"
    [snapshot]="common/snapshot.cc common/snapshot_verify.cc common/crc32c.cc nss_module/fill.cc"
    [policy]="daemon/policy/policy_parse.cc daemon/policy/policy_values.cc daemon/policy/policy_model.cc
        daemon/policy/command_scope.cc daemon/config/ini_file.cc daemon/time/schedule.cc"
    [tzif]="$TZ_SOURCES"
    [identity]="daemon/identity/base64url.cc daemon/identity/json_strict.cc daemon/identity/jwks.cc
        daemon/identity/verifier.cc daemon/identity/identity_config.cc"
    [key_set]="jwks_refresh/key_set.cc"
    [audit]="daemon/audit/checkpoint.cc daemon/audit/export.cc daemon/audit/merkle.cc
        daemon/audit/record.cc daemon/audit/verify.cc"
)
