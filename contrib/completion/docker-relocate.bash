# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for docker-relocate(8)

# Block devices, with the EBS volume ids and EC2 device names the tool itself
# resolves (NVMe identify data, not udev links). Completion must never hang or
# print: the tool gets a few seconds, its errors are dropped, and without it
# the kernel's list of block devices is offered.
__docker_relocate_devices() {
        local bin=$1 list

        list=$(timeout 3 "$bin" disks --json 2>/dev/null </dev/null | awk -F'"' '
                $2 == "node" { node = $4 }
                $2 == "size" && $3 ~ /[1-9]/ { print node }
                ($2 == "volume_id" || $2 == "ec2_name") && NF >= 5 { print $4 }')
        if [ -z "$list" ]; then
                list=$(lsblk -rpno NAME 2>/dev/null)
        fi
        printf '%s\n' "$list"
}

# The options a command takes (before one: the general options), as the
# program itself offers them through cobra's completion protocol, the one
# the Docker CLI uses: candidates, then ":DIRECTIVE", dropped here. An option
# a command does not take is a usage error, so it is not offered either.
__docker_relocate_options() {
        local bin=$1 cmd=$2

        timeout 3 "$bin" __completeNoDesc ${cmd:+"$cmd"} - 2>/dev/null </dev/null | grep -v '^:'
}

_docker_relocate() {
        local cur=${COMP_WORDS[COMP_CWORD]} prev="" bin=${COMP_WORDS[0]}
        local commands="status disks prepare move set-data-root rollback cleanup grow"
        local with_arg="--root --device --mount --fs --label --wait-device --to --copier --containerd-root"
        local cmd="" nargs=0 i w

        COMPREPLY=()
        [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
        # "--fs=x": bash splits at "=" (COMP_WORDBREAKS).
        if [ "$cur" = "=" ]; then
                cur=""
        elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -gt 1 ]; then
                prev=${COMP_WORDS[COMP_CWORD - 2]}
        fi
        command -v "$bin" >/dev/null 2>&1 || bin=docker-relocate

        # The command, and how many positional arguments it has so far.
        for ((i = 1; i < COMP_CWORD; i++)); do
                w=${COMP_WORDS[i]}
                case $w in
                --*=* | =) ;;
                -*)
                        if [[ " $with_arg " == *" $w "* ]] && [ "${COMP_WORDS[i + 1]}" != "=" ]; then
                                i=$((i + 1))
                        fi
                        ;;
                *)
                        # The value of a "--opt=value" split at "=".
                        [ "${COMP_WORDS[i - 1]}" = "=" ] && continue
                        if [ -z "$cmd" ]; then
                                cmd=$w
                        else
                                nargs=$((nargs + 1))
                        fi
                        ;;
                esac
        done

        case $prev in
        --fs)
                mapfile -t COMPREPLY < <(compgen -W "ext4 xfs" -- "$cur")
                return 0
                ;;
        --copier)
                mapfile -t COMPREPLY < <(compgen -W "engine rsync" -- "$cur")
                return 0
                ;;
        --mount | --to | --root | --containerd-root)
                mapfile -t COMPREPLY < <(compgen -d -- "$cur")
                compopt -o filenames 2>/dev/null
                return 0
                ;;
        --device)
                mapfile -t COMPREPLY < <(compgen -W "$(__docker_relocate_devices "$bin")" -- "$cur")
                return 0
                ;;
        --label | --wait-device)
                return 0
                ;;
        esac

        if [[ $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$(__docker_relocate_options "$bin" "$cmd")" -- "$cur")
                return 0
        fi

        if [ -z "$cmd" ]; then
                mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
                return 0
        fi

        [ "$nargs" -eq 0 ] || return 0
        case $cmd in
        prepare)
                mapfile -t COMPREPLY < <(compgen -W "$(__docker_relocate_devices "$bin")" -- "$cur")
                ;;
        set-data-root | grow)
                mapfile -t COMPREPLY < <(compgen -d -- "$cur")
                compopt -o filenames 2>/dev/null
                ;;
        esac
        return 0
}

complete -F _docker_relocate docker-relocate
