#!/usr/bin/env python3
"""Generates bhctl's bash completion from the control socket's command table.

Input: the JSON `bridgehead --list-commands` prints (every row the socket dispatches on: its
words and its syntax). Output: a bash completion script. Nothing in the script is written by
hand per command, so the completion cannot drift from what the daemon accepts.

Syntax of a row (its help text; a row whose help does not start with its words completes its
words only):
    WORD           a literal word
    UPPER          a value the operator types (ADDRESS, LINES, SEQ): no completion
    [a|b]          optional, one of the alternatives (an alternative may be several words)
    {a|b}          one of the alternatives
    X...           X once or more
    s1 | s2        (top level) two forms of the command
Each form is expanded into linear variants (optional parts in or out, inner alternatives
apart): a list of slots, each a set of single words (or a value), possibly repeated.
"""
import json
import sys

# bhctl's own form of a command (cli/bhctl_main.cc): `type-tail LOG follow` polls the
# socket's `type-tail LOG since SEQ`.
BHCTL_OWN_FORMS = ["type-tail errorlog/mapiao-errorlog.current follow",
                   "type-tail errorlog/sr-errorlog.current follow"]


def tokenize(text):
    out, word = [], ""
    for ch in text:
        if ch in "[]{}|":
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        elif ch.isspace():
            if word:
                out.append(word)
                word = ""
        else:
            word += ch
    if word:
        out.append(word)
    # "..." glued to a word or a closing bracket marks repetition of what precedes it.
    res = []
    for t in out:
        if t.endswith("...") and t != "...":
            res.append(t[:-3])
            res.append("...")
        else:
            res.append(t)
    return res


def parse_alternatives(tokens, pos, closer):
    """Parses `seq (| seq)*` up to `closer`; returns (list of sequences, pos after closer)."""
    alts, seq = [], []
    while pos < len(tokens):
        t = tokens[pos]
        if t == closer:
            alts.append(seq)
            return alts, pos + 1
        if t == "|":
            alts.append(seq)
            seq = []
            pos += 1
            continue
        if t in ("[", "{"):
            inner, pos = parse_alternatives(tokens, pos + 1, "]" if t == "[" else "}")
            node = ("opt" if t == "[" else "grp", inner)
        else:
            node = ("word", t)
            pos += 1
        if pos < len(tokens) and tokens[pos] == "...":
            node = ("rep", node)
            pos += 1
        seq.append(node)
    alts.append(seq)
    return alts, pos


def is_value(word):
    letters = [c for c in word if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and word.upper() == word


def expand(seq):
    """A sequence of nodes -> list of variants, each a list of slots (words, repeated)."""
    variants = [[]]
    for node in seq:
        options = node_variants(node)
        variants = [v + o for v in variants for o in options]
    return variants


def node_variants(node):
    kind = node[0]
    if kind == "word":
        return [[(("*",) if is_value(node[1]) else (node[1],), False)]]
    if kind == "rep":
        inner = node_variants(node[1])
        # A repeated group of single words is one repeated slot; anything else repeats once.
        if all(len(v) == 1 for v in inner):
            words = tuple(sorted({w for v in inner for w in v[0][0]}))
            return [[(words, True)]]
        return inner
    alts = [v for a in node[1] for v in expand(a)]
    # Alternatives of one word each merge into one slot.
    if all(len(v) == 1 and not v[0][1] for v in alts):
        words = tuple(sorted({w for v in alts for w in v[0][0]}))
        merged = [[(words, False)]]
    else:
        merged = alts
    return merged + ([[]] if kind == "opt" else [])


def variants_of(row):
    words, syntax = row["words"], row.get("syntax", "")
    forms = []
    alts, _ = parse_alternatives(tokenize(syntax), 0, None)
    for seq in alts:
        lits = [n[1] for n in seq[: len(words)] if n[0] == "word"]
        if lits == words:
            forms.append(seq)
    if not forms:
        forms = [[("word", w) for w in words]]
    out = []
    for seq in forms:
        out.extend(expand(seq))
    return out


def main():
    rows = json.load(open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin)
    lines = set()
    for row in rows + [{"words": f.split(), "syntax": f} for f in BHCTL_OWN_FORMS]:
        for v in variants_of(row):
            slots = [("|".join(words)) + ("..." if rep else "") for words, rep in v]
            lines.add(" ".join(slots))
    table = "\n".join(sorted(lines))
    print(TEMPLATE.replace("@TABLE@", table))


TEMPLATE = r"""# bash completion for bhctl                                      -*- shell-script -*-
# Generated by cli/gen_bash_completion.py from `bridgehead --list-commands` (the control
# socket's command table): do not edit.

# One line per form of a command: slots separated by spaces, each the words it accepts
# ("a|b"), "*" for a value the operator types, "..." when it may repeat.
_bhctl_forms='@TABLE@'

_bhctl()
{
    local cur prev words cword
    _init_completion || return

    # bhctl's options come before the command.
    local i=1
    while [[ $i -lt $cword ]]; do
        case ${words[i]} in
            --json) ((i++)) ;;
            --socket) ((i += 2)) ;;
            *) break ;;
        esac
    done
    if [[ $prev == --socket ]]; then
        _filedir
        return
    fi
    if [[ $cur == -* && $i -eq $cword ]]; then
        COMPREPLY=($(compgen -W '--json --socket' -- "$cur"))
        return
    fi

    local -a typed=("${words[@]:i:cword-i}")
    local candidates="" form
    while IFS= read -r form; do
        local -a slots=($form)
        local s=0 n=0 ok=1 matched=0 w
        for w in "${typed[@]}"; do
            while :; do
                if [[ $s -ge ${#slots[@]} ]]; then ok=0; break; fi
                local slot=${slots[s]} rep=0
                if [[ $slot == *... ]]; then rep=1; slot=${slot%...}; fi
                if [[ $slot == "*" || "|$slot|" == *"|$w|"* ]]; then
                    if [[ $rep -eq 1 ]]; then matched=1; else ((s++)); matched=0; fi
                    break
                fi
                if [[ $rep -eq 1 && $matched -eq 1 ]]; then ((s++)); matched=0; continue; fi
                ok=0
                break
            done
            [[ $ok -eq 1 ]] || break
        done
        [[ $ok -eq 1 && $s -lt ${#slots[@]} ]] || continue
        local slot=${slots[s]}
        if [[ $slot == *... ]]; then
            slot=${slot%...}
            # Past a repeated slot that matched, the next slot's words fit too.
            if [[ $matched -eq 1 && $((s + 1)) -lt ${#slots[@]} ]]; then
                local next=${slots[s + 1]%...}
                [[ $next == "*" ]] || candidates+=" ${next//|/ }"
            fi
        fi
        [[ $slot == "*" ]] || candidates+=" ${slot//|/ }"
    done <<<"$_bhctl_forms"
    candidates=$(printf '%s\n' $candidates | sort -u)
    COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
} &&
    complete -F _bhctl bhctl

# ex: filetype=sh
"""

if __name__ == "__main__":
    main()
