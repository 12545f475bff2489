#!/usr/bin/env python3
"""Issue 20's documentation checks, against a build:
 - every manual page (build/man/*) renders with `man --warnings -l` and no warning;
 - every command of the control socket's table (build/completion/commands.json, which
   `bridgehead --list-commands` printed) appears in bhctl(8), with every literal word of its
   syntax;
 - bhctl's bash completion (build/completion/bhctl, run in bash with bash-completion) offers
   every command word by word, and the literal words of its syntax after them;
 - every Documentation= man: reference of the units in systemd/ names a page that is built.
Usage: check_docs.py SOURCE_DIR BUILD_DIR"""
import glob
import json
import os
import re
import subprocess
import sys

src, build = sys.argv[1], sys.argv[2]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


pages = sorted(glob.glob(os.path.join(build, "man", "*.[0-9]")))
if len(pages) < 4:
    fail("expected 4 manual pages in %s/man (is scdoc installed?), found %d" % (build, len(pages)))
env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MAN_KEEP_STDERR="1")
for p in pages:
    r = subprocess.run(["man", "--warnings", "-l", p], capture_output=True, text=True, env=env)
    if r.returncode != 0 or r.stderr.strip():
        fail("man --warnings -l %s: rc %d: %s" % (p, r.returncode, r.stderr.strip()))
    elif len(r.stdout) < 500:
        fail("%s renders to almost nothing" % p)

rows = json.load(open(os.path.join(build, "completion", "commands.json")))
if len(rows) < 15:
    fail("only %d commands in commands.json" % len(rows))


def plain(text):
    return re.sub(r"[*_\\]", "", text)


def literal_words(syntax):
    """The words of a syntax the operator types as they are (not VALUES like ADDRESS)."""
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9/.-]*[A-Za-z0-9]", syntax)
            if any(c.islower() for c in w)]


bhctl_page = plain(open(os.path.join(src, "docs", "man", "bhctl.8.scd")).read())
bhctl_page = re.sub(r"\s+", " ", bhctl_page)
for row in rows:
    cmd = " ".join(row["words"])
    if cmd not in bhctl_page:
        fail("bhctl(8) does not name the command '%s'" % cmd)
    for w in literal_words(row["syntax"]):
        if w not in bhctl_page:
            fail("bhctl(8) lacks the word '%s' of '%s'" % (w, row["syntax"]))

# The completion, queried in bash as readline would: the words typed so far, the current one
# empty; each query prints its candidates on one line.
queries = []
for row in rows:
    words = row["words"]
    for k in range(len(words)):
        queries.append((words[:k], words[k]))
    literals = literal_words(row["syntax"])
    if row["syntax"].split()[: len(words)] == words:
        after = [w for w in literals[len(words):]]
        if after:
            queries.append((words, None))  # after the command: some syntax word is offered
script = ["source /usr/share/bash-completion/bash_completion",
          "source '%s'" % os.path.join(build, "completion", "bhctl")]
for typed, _ in queries:
    line = " ".join(["bhctl"] + typed + [""])
    arr = " ".join("'%s'" % w for w in ["bhctl"] + typed + [""])
    script.append('COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE="%s"; COMP_POINT=${#COMP_LINE}; '
                  'COMPREPLY=(); _bhctl bhctl "" "%s"; echo "${COMPREPLY[*]}"'
                  % (arr, len(typed) + 1, line, (["bhctl"] + typed)[-1]))
r = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True, text=True)
answers = r.stdout.split("\n")
if r.returncode != 0 or len(answers) < len(queries):
    fail("bash completion did not run: %s" % r.stderr.strip())
else:
    for (typed, want), got in zip(queries, answers):
        offered = got.split()
        if want is not None and want not in offered:
            fail("completion after 'bhctl %s' offers %s, not '%s'" % (" ".join(typed), offered, want))
        if want is None and not offered:
            fail("completion after 'bhctl %s' offers nothing" % " ".join(typed))

built = {os.path.basename(p) for p in pages}
for unit in glob.glob(os.path.join(src, "systemd", "*.service")):
    for line in open(unit):
        if line.startswith("Documentation="):
            for ref in re.findall(r"man:([\w.-]+)\((\d)\)", line):
                if "%s.%s" % ref not in built:
                    fail("%s: Documentation=man:%s(%s) has no page" % (os.path.basename(unit), *ref))

if failures:
    sys.exit(1)
print("docs: %d pages, %d commands, %d completion queries: ok" % (len(pages), len(rows), len(queries)))
