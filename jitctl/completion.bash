# bash completion for jitctl(1).
#
# Commands and options are read from `jitctl --help` and `jitctl COMMAND
# --help`, so a new command completes without a change here.  Grant ids come
# from `jitctl --json list` (on the socket the line names, if any); PAM
# services from /etc/pam.d; accounts from the user database.

_jitctl_help() {
    # The help text of jitctl, or of one command.  jitctl is run as typed
    # (first word), so a jitctl from a build tree completes itself.
    "${_jitctl_bin:-jitctl}" ${1:+"$1"} --help 2>/dev/null
}

_jitctl_commands() {
    _jitctl_help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'
}

_jitctl_options() {
    # Every --long option the help text mentions (jitctl's own: those of its
    # Options: section, not the commands' options its other text names);
    # commands also take --json and --help after their name.
    if [[ -n $1 ]]; then
        _jitctl_help "$1" | grep -o -- '--[a-z][a-z-]*' | sort -u
        printf '%s\n' --help --json
    else
        _jitctl_help | sed -n '/^Options:/,/^$/p' | grep -o -- '--[a-z][a-z-]*' | sort -u
    fi
}

# Whether OPTION (of COMMAND, or global) is shown with a value, as in
# "--for D", "--socket PATH" or "-s, --service S".
_jitctl_takes_value() {
    _jitctl_help "$1" | grep -q -e "$2 [A-Z]" -e "$2=[A-Z]" -e "$2, --[a-z-]* [A-Z]"
}

# The subcommands of COMMAND, from usage lines like "jitctl account add NAME".
_jitctl_subcommands() {
    _jitctl_help "$1" | sed -n "s/^ *\(Usage: \)\{0,1\}jitctl $1 \([a-z][a-z-]*\).*/\2/p" | sort -u
}

_jitctl_grant_ids() {
    local socket=("$@")
    "${_jitctl_bin:-jitctl}" "${socket[@]}" --json list 2>/dev/null |
        grep -o '"id":"[a-z0-9-]*"' | sed 's/^"id":"\(.*\)"$/\1/'
}

_jitctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    local _jitctl_bin=${COMP_WORDS[0]}
    [[ $_jitctl_bin == */* || -z $_jitctl_bin ]] || _jitctl_bin=jitctl
    _jitctl_bin=${_jitctl_bin/#\~/$HOME}
    COMPREPLY=()

    # Find the command word and a --socket given before it.
    local i word command= command_at=0 socket=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ -z $command ]]; then
            case $word in
                --socket) socket=(--socket "${COMP_WORDS[i + 1]}"); ((i++)) ;;
                --socket=*) socket=("$word") ;;
                --timeout) ((i++)) ;;
                -*) ;;
                *) command=$word command_at=$i ;;
            esac
        fi
    done

    # The value of an option.
    if [[ $prev == -* ]] && _jitctl_takes_value "$command" "$prev"; then
        case $prev in
            --socket) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
            --service | -s) mapfile -t COMPREPLY < <(compgen -W "$(ls /etc/pam.d 2>/dev/null)" -- "$cur") ;;
            --user | --ruser) mapfile -t COMPREPLY < <(compgen -u -- "$cur") ;;
        esac
        return 0
    fi

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_jitctl_options "$command")" -- "$cur")
        return 0
    fi

    if [[ -z $command ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_jitctl_commands)" -- "$cur")
        return 0
    fi

    # Positional arguments of a command: count those before the cursor.
    local positional=0
    for ((i = command_at + 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word == -* ]]; then
            _jitctl_takes_value "$command" "$word" && ((i++))
        else
            ((positional++))
        fi
    done
    case $command:$positional in
        revoke:0) mapfile -t COMPREPLY < <(compgen -W "$(_jitctl_grant_ids "${socket[@]}")" -- "$cur") ;;
        check:0 | grant:0) mapfile -t COMPREPLY < <(compgen -u -- "$cur") ;;
        check:1) mapfile -t COMPREPLY < <(compgen -W "$(ls /etc/pam.d 2>/dev/null)" -- "$cur") ;;
        *:0) mapfile -t COMPREPLY < <(compgen -W "$(_jitctl_subcommands "$command")" -- "$cur") ;;
    esac
    return 0
}

complete -F _jitctl jitctl
