# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for docker-relocate(8)
#
# The program itself says what to offer, through cobra's completion protocol
# (the one "docker relocate <TAB>" uses): "docker-relocate __complete
# WORDS... CURRENT" prints the candidates, one a line with a description
# after a tab, then ":DIRECTIVE", a bit mask of what the shell does besides:
# 1 an error (offer nothing), 2 no space after the word, 4 no files,
# 8 files with the extensions given, 16 directories (in the one given, if
# any), 32 keep the order. So the commands, each command's options, the
# values of --fs, and the devices with their EBS volume ids come from the
# same tables as the parser. Completion must never hang or print: the
# program gets a few seconds and its errors are dropped.

function __docker_relocate_complete
    set -l args (commandline -opc)
    set -l cur (commandline -ct)
    # The program the user typed, if it runs; else the one on PATH.
    set -l bin $args[1]
    set -e args[1]
    command -q -- $bin; or set bin docker-relocate

    # "--fs=x": the option is a word of its own for the program, and every
    # candidate keeps what is before the "=".
    set -l prefix ''
    if string match -qr -- '^--[^=]+=' $cur
        set prefix (string replace -r -- '=.*' '=' $cur)
        set -a args (string replace -r -- '=$' '' $prefix)
        set cur (string replace -r -- '^[^=]*=' '' $cur)
    end

    set -l out (timeout 3 $bin __complete $args $cur 2>/dev/null </dev/null)
    string match -qr -- '^:[0-9]+$' $out[-1]; or return 1
    set -l directive (string sub -s 2 -- $out[-1])
    set -e out[-1]
    set -l candidates (string match -v -- '' $out)

    test (math "bitand($directive, 1)") -ne 0; and return 1
    set -l offer
    if test (math "bitand($directive, 8)") -ne 0
        # The candidates are extensions: files that have one, and directories.
        for f in (__fish_complete_path $cur)
            set -l name (string split -f 1 -- \t $f)
            if string match -q -- '*/' $name
                or contains -- (string match -r -- '[^.]*$' $name) $candidates
                set -a offer $f
            end
        end
    else if test (math "bitand($directive, 16)") -ne 0
        if test (count $candidates) -eq 1
            # One candidate: the directory to complete in.
            set -l dir (string replace -r -- '/*$' / $candidates[1])
            for d in (__fish_complete_directories $dir$cur)
                set -a offer (string replace -- $dir '' $d)
            end
        else
            set offer (__fish_complete_directories $cur)
        end
    else if test (count $candidates) -gt 0
        set offer $candidates
    else if test (math "bitand($directive, 4)") -eq 0
        set offer (__fish_complete_path $cur)
    end
    for o in $offer
        printf '%s%s\n' $prefix $o
    end
end

# Files only where the program asks for them (the function prints them).
complete -c docker-relocate -f -a '(__docker_relocate_complete)'
