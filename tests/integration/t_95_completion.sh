# Bash completion of jitctl: commands and options from jitctl's own help,
# grant ids from a real jitd, PAM services from /etc/pam.d.
section "bash completion"
new_world
start_jitd
complete_words() {  # complete_words WORD...: what TAB offers for the last word
    bash -c 'source jitctl/completion.bash
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _jitctl
        printf "%s\n" "${COMPREPLY[@]}"' complete "$JITCTL" "$@"
}
complete_list() { complete_words "$@" | LC_ALL=C sort | tr '\n' ' '; }
# What jitctl's help lists, read here independently of the completion.
help_commands=$("$JITCTL" --help | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' |
    LC_ALL=C sort | tr '\n' ' ')
grant_options=$({ "$JITCTL" grant --help | grep -o -E -e '--[a-z-]+'; printf '%s\n' --help --json; } |
    LC_ALL=C sort -u | tr '\n' ' ')
expect_output "commands: every command jitctl --help lists" "^${help_commands}$" complete_list ""
for cmd in check grant list revoke status; do
    expect_output "  (among them $cmd)" "(^| )$cmd " complete_list ""
done
expect_output "a prefix narrows the commands" "^revoke $" complete_list rev
expect_output "global options" "^--fleet --fleet-socket --help --json --socket --timeout --version $" complete_list --
expect_output "options of a command: those its --help shows, and --help, --json" \
    "^${grant_options}$" complete_list grant deploy --
expect_output "  (among them --command --for --reason --runas --service --source --until)" \
    "--command --for .*--reason --runas --service --source --until " complete_list grant deploy --
jitctl grant deploy --service sshd --for 5m --reason completion >/dev/null
ID=$(grant_field id)
expect_output "revoke completes the grant ids of the jitd on --socket" "^$ID $" \
    complete_list --socket "$SOCK" revoke ""
expect_output "nothing more after the grant id" "^ ?$" complete_list --socket "$SOCK" revoke "$ID" ""
if [[ -e /etc/pam.d/sshd || -e /etc/pam.d/sudo || -e /etc/pam.d/su ]]; then
    expect_output "--service completes PAM services from /etc/pam.d" "(^| )(sshd|sudo|su) " \
        complete_list grant deploy --service s
fi
expect_output "subcommands, from the command's usage lines" "^add list remove $" complete_list account ""
expect_output "--socket completes file names" "^$WORLD/jitd.sock $WORLD/jitd.sock.root $" complete_list --socket "$WORLD/jitd.s"
end_world
