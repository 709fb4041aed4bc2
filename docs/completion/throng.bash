# bash completion for throng                                -*- shell-script -*-
#
# Commands and flags are read from the --help of the throng being completed
# (`throng --help`, `throng CMD --help`), so they are always that binary's;
# only the built-in persona names are listed here (tests/e2e/test_docs.sh
# checks them against the engine's). Installed as
# share/bash-completion/completions/throng; or `source` this file.

_throng_personas="table url wrk watchdog admin typical expert"

# The commands of `throng --help`: its indented "  NAME  what it does" lines.
_throng_commands()
{
    "$1" --help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }'
}

# The flags of `throng CMD --help`, one a line as "FLAG ARG" (ARG empty for
# a flag without a value): the flag columns ("  -s, --server URL   ...") and
# the bracketed flags of the usage lines ("[-l|--long]", "[--home DIR]").
_throng_flags()
{
    "$1" "$2" --help 2>/dev/null | awk '
        /^ +-/ {
            line = $0
            sub(/^ +/, "", line)
            n = 0
            while (match(line, /^-[-A-Za-z0-9]+,? ?/)) {
                f = substr(line, 1, RLENGTH)
                line = substr(line, RLENGTH + 1)
                sub(/[, ]+$/, "", f)
                flags[++n] = f
                if (line ~ /^ /) break
            }
            arg = ""
            if (line ~ /^[^ ]/ && match(line, /^[^ ]+/)) arg = substr(line, 1, RLENGTH)
            if (line ~ /^'"'"'/ && match(line, /^'"'"'[^'"'"']*'"'"'/)) arg = "TEXT"
            for (i = 1; i <= n; i++) print flags[i], arg
            next
        }
        /^(usage: |       )/ {
            line = $0
            while (match(line, /\[-[^]]*\]/)) {
                inner = substr(line, RSTART + 1, RLENGTH - 2)
                line = substr(line, RSTART + RLENGTH)
                split(inner, w, " ")
                arg = w[2]
                k = split(w[1], alt, "|")
                for (i = 1; i <= k; i++) if (alt[i] != "--") print alt[i], arg
            }
        }'
    echo "--help"
}

# Completes the value of a flag whose --help argument is $1.
_throng_value()
{
    local arg=$1 cur=$2 flag=$3
    case $flag in
    --log-level) COMPREPLY=($(compgen -W "error warn info debug trace" -- "$cur")) ;;
    --debug-level) COMPREPLY=($(compgen -W "DEBUG TRACE INFO WARNING ERROR" -- "$cur")) ;;
    --client-type) COMPREPLY=($(compgen -W "$_throng_personas" -- "$cur")) ;;
    esac
    [[ ${#COMPREPLY[@]} -gt 0 ]] && return
    case $arg in
    *'|'*) COMPREPLY=($(compgen -W "${arg//|/ }" -- "$cur")) ;;
    FILE | FILE.*)
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
        ;;
    DIR)
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -d -- "$cur"))
        ;;
    esac
}

# The groups of the home (--home DIR given earlier on the line, or .throng).
_throng_groups()
{
    local home=.throng i
    local -a words
    read -r -a words <<<"${COMP_LINE-}"
    for ((i = 1; i < ${#words[@]}; i++)); do
        [[ ${words[i]} == --home ]] && home=${words[i + 1]-}
        [[ ${words[i]} == --home=* ]] && home=${words[i]#--home=}
    done
    [[ -d $home/groups ]] && (cd "$home/groups" && compgen -f -- "$1")
}

_throng()
{
    # The line is split at blanks here, not at COMP_WORDBREAKS, so that
    # "--pick=r" and "-s 127.0.0.1:80" stay whole words.
    local -a words
    if [[ -n ${COMP_LINE-} ]]; then
        read -r -a words <<<"${COMP_LINE:0:COMP_POINT}"
        [[ ${COMP_LINE:0:COMP_POINT} == *[[:space:]] || ${#words[@]} -eq 0 ]] && words+=("")
    else
        words=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
    fi
    local n=${#words[@]}
    local cur=${words[n - 1]} prev=${words[n - 2]-}
    local throng=${words[0]} cmd="" i npos=0 word
    [[ $throng == "~/"* ]] && throng=$HOME/${throng#"~/"}
    COMPREPLY=()

    # The command: the first word that is not a flag.
    for ((i = 1; i < n - 1; i++)); do
        [[ ${words[i]} != -* ]] && cmd=${words[i]} && break
    done
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$(_throng_commands "$throng") --help --version" -- "$cur"))
        return
    fi

    # add and update take the flags of run besides their own.
    local flags
    flags=$(_throng_flags "$throng" "$cmd")
    [[ $cmd == add || $cmd == update ]] && flags+=$'\n'$(_throng_flags "$throng" run)

    # How many words after the command are neither flags nor their values.
    for ((i++; i < n - 1; i++)); do
        word=${words[i]}
        [[ $word == -- ]] && return # persona arguments: key=value
        [[ $word == -* ]] && continue
        [[ ${words[i - 1]} == -* && ${words[i - 1]} != *=* ]] &&
            grep -q -- "^${words[i - 1]} [^ ]" <<<"$flags" && continue
        ((npos++))
    done

    # A flag's value: after "--flag " or in "--flag=".
    local flag=$prev value=$cur arg
    if [[ $cur == --*=* ]]; then
        flag=${cur%%=*}
        value=${cur#*=}
    fi
    if [[ $flag == -* ]]; then
        arg=$(awk -v f="$flag" '$1 == f { print $2; exit }' <<<"$flags")
        if [[ -n $arg ]]; then
            _throng_value "$arg" "$value" "$flag"
            return
        fi
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(awk '!seen[$1]++ { print $1 }' <<<"$flags")" -- "$cur"))
        return
    fi
    case $cmd in
    run | add)
        if ((npos == 0)); then
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -W "$_throng_personas" -- "$cur")
                $(compgen -f -X '!*.lua' -- "$cur") $(compgen -d -- "$cur"))
        fi
        ;;
    wrk) ((npos == 0)) && COMPREPLY=($(compgen -W "http:// https://" -- "$cur")) ;;
    help) ((npos == 0)) && COMPREPLY=($(compgen -W "$(_throng_commands "$throng")" -- "$cur")) ;;
    update | log) ((npos == 0)) && COMPREPLY=($(_throng_groups "$cur")) ;;
    report)
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(_throng_groups "$cur") $(compgen -f -X '!*.json' -- "$cur")
            $(compgen -d -- "$cur"))
        ;;
    esac
}
complete -F _throng throng
