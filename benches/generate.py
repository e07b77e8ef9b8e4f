#!/usr/bin/env python3
"""Makes reproducible benchmark repositories with `git fast-import`.

  generate.py DIR --commits N --tags T --releases R --events E1,E2,... --diverged D

DIR/repo: N linear commits; a date tag (1990-01-01 onwards) every N/T commits; release refs
for the newest R tags (one `started` event each); releases 2099-01-0k with E1, E2, … events;
tags 2019-01-01 and 2019-01-02 NOTES_RANGE commits apart; D releases `2090-…` with one event
more on each side: refs/release/* (ours) and
refs/bench-remote/* (theirs), to push to a remote as its side.
Everything is in git-release's storage format (format = 1), so git-release reads it as its own.
"""
import argparse
import datetime
import os
import subprocess
import sys

ACTOR = ("Bench", "bench@example.com")
T0 = 1_700_000_000


def stamp(t):
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return d.strftime("%Y%m%dT%H%M%SZ"), d.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def blob(out, text):
    data = text.encode()
    out.write(b"data %d\n" % len(data))
    out.write(data)
    out.write(b"\n")


def event(kind, t, n, fields):
    name_t, iso = stamp(t)
    body = f'format = 1\nkind = "{kind}"\ntime = "{iso}"\nactor = "{ACTOR[0]}"\nemail = "{ACTOR[1]}"\n' + fields
    return f"events/{name_t}-{n:012x}.toml", body


# git-release keeps up to this many event files directly in events/; a release with more has
# each in the subdirectory named by the last two hex digits of its id (src/store/layout.rs).
FLAT_EVENTS = 256


def placed(files, count):
    """The event files of a release of `count` events, at the paths git-release gives them."""
    if count <= FLAT_EVENTS:
        return files
    return [(f"events/{path[-7:-5]}/{path[len('events/'):]}", text) for path, text in files]


def state(name, target, t_first, t_last, events, comments, tag=False, previous=None):
    _, first = stamp(t_first)
    _, last = stamp(t_last)
    tag_line = f'tag = "{name}"\n' if tag else ""
    if previous:
        tag_line += f'previous = "{previous}"\n'
    return (
        f'format = 1\nname = "{name}"\ntarget = "{target}"\n{tag_line}'
        f'created = "{first}"\nupdated = "{last}"\nevents = {events}\ncomments = {comments}\n\n'
        f'[created_by]\nname = "{ACTOR[0]}"\nemail = "{ACTOR[1]}"\n'
    )


def release_commit(out, ref, files, t, parent=None, message="bench"):
    out.write(f"commit {ref}\n".encode())
    out.write(f"committer {ACTOR[0]} <{ACTOR[1]}> {t} +0000\n".encode())
    blob(out, message)
    if parent:
        out.write(f"from {parent}\n".encode())
    for path, text in files:
        out.write(f"M 100644 inline {path}\n".encode())
        blob(out, text)
    out.write(b"\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--commits", type=int, default=100_000)
    ap.add_argument("--tags", type=int, default=10_000)
    ap.add_argument("--releases", type=int, default=2_000)
    ap.add_argument("--events", default="10,1000,10000")
    ap.add_argument("--diverged", type=int, default=500)
    ap.add_argument("--notes-range", type=int, default=50_000)
    args = ap.parse_args()
    args.dir = os.path.abspath(args.dir)
    # fast-import writes every ref as a file of its own; the benchmarks run in a clone of what
    # it made (see the end).
    repo = os.path.join(args.dir, "import")
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    marks = os.path.join(args.dir, "marks")

    # Phase 1: the history and the date tags.
    fi = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet", f"--export-marks={marks}"], stdin=subprocess.PIPE, env=env)
    out = fi.stdin
    every = max(1, args.commits // args.tags)
    tags = []
    for i in range(1, args.commits + 1):
        out.write(b"commit refs/heads/main\nmark :%d\n" % i)
        out.write(f"committer {ACTOR[0]} <{ACTOR[1]}> {T0 + i * 60} +0000\n".encode())
        blob(out, f"Change {i}: fix #{i % 997}")
        if i > 1:
            out.write(b"from :%d\n" % (i - 1))
        out.write(f"M 644 inline dir{i % 50}/file{i % 100}.txt\n".encode())
        blob(out, f"line {i}\n")
        out.write(b"\n")
        if i % every == 0 and len(tags) < args.tags:
            name = (datetime.date(1990, 1, 1) + datetime.timedelta(days=len(tags))).isoformat()
            tags.append((name, i))
            out.write(f"reset refs/tags/{name}\nfrom :{i}\n\n".encode())
    # Two release tags NOTES_RANGE commits apart, for the notes benchmark; in the past, since a
    # tag dated after today is taken for a typo, and after the date tags above.
    out.write(f"reset refs/tags/2019-01-01\nfrom :{max(1, args.commits - args.notes_range)}\n\n".encode())
    out.write(f"reset refs/tags/2019-01-02\nfrom :{args.commits}\n\n".encode())
    out.close()
    if fi.wait() != 0:
        sys.exit("fast-import failed")
    sha = {}
    with open(marks) as f:
        for line in f:
            mark, h = line.split()
            sha[int(mark[1:])] = h
    head = sha[args.commits]

    # Phase 2: releases in git-release's format.
    fi = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet", "--force"], stdin=subprocess.PIPE, env=env)
    out = fi.stdin
    n = 1
    # Each names the date tag before it as its previous release, as `start` records it.
    first = len(tags) - args.releases if args.releases else len(tags)
    for k, (name, mark) in enumerate(tags[first:], start=first):
        t = T0 + mark * 60
        previous = tags[k - 1][0] if k > 0 else None
        fields = f'target = "{sha[mark]}"\ntag = "{name}"\n'
        if previous:
            fields += f'previous = "{previous}"\n'
        path, text = event("started", t, n, fields)
        n += 1
        release_commit(out, f"refs/release/{name}", [(path, text), ("release.toml", state(name, sha[mark], t, t, 1, 0, tag=True, previous=previous))], t)
    for k, count in enumerate(int(e) for e in args.events.split(",") if e):
        name = f"2099-01-{k + 1:02d}"
        t = T0
        files = [event("started", t, n, f'target = "{head}"\n')]
        n += 1
        for j in range(count - 1):
            files.append(event("comment", t + j + 1, n, f'message = "note {j}"\n'))
            n += 1
        files = placed(files, count)
        files.append(("release.toml", state(name, head, t, t + count - 1, count, count - 1)))
        release_commit(out, f"refs/release/{name}", files, t)
    for k in range(args.diverged):
        # From 2090 on, so 500 of them stay clear of the 2099-01-0k releases above.
        name = (datetime.date(2090, 1, 1) + datetime.timedelta(days=k)).isoformat()
        t = T0
        start = event("started", t, n, f'target = "{head}"\n')
        n += 1
        base = f":{900_000_000 + k}"
        out.write(f"commit refs/release/{name}\nmark {base}\n".encode())
        out.write(f"committer {ACTOR[0]} <{ACTOR[1]}> {t} +0000\n".encode())
        blob(out, "start")
        for path, text in [start, ("release.toml", state(name, head, t, t, 1, 0))]:
            out.write(f"M 100644 inline {path}\n".encode())
            blob(out, text)
        out.write(b"\n")
        for ref, who in ((f"refs/release/{name}", "ours"), (f"refs/bench-remote/{name}", "theirs")):
            e = event("comment", t + 1, n, f'message = "{who}"\n')
            n += 1
            release_commit(out, ref, [e, ("release.toml", state(name, head, t, t + 1, 2, 1))], t + 1, parent=base, message=who)
    out.close()
    if fi.wait() != 0:
        sys.exit("fast-import failed")
    # A repository's refs arrive packed, as `git clone` writes them. Packing the imported ones
    # in place (`git pack-refs --all`) would delete some 13,000 files just before the
    # benchmarks run, and on ext4 each file created in the minutes after that (every object
    # and lock of `comment` and `git notes add`) pays for walking past them. A mirror clone
    # writes them packed from the start; its objects are links to the imported packs.
    clone = os.path.join(args.dir, "repo", ".git")
    subprocess.run(["git", "clone", "-q", "--mirror", repo, clone], check=True, env=env)
    subprocess.run(["git", "-C", clone, "config", "core.bare", "false"], check=True, env=env)
    subprocess.run(["git", "-C", clone, "config", "--remove-section", "remote.origin"], check=True, env=env)
    subprocess.run(["git", "-C", clone, "commit-graph", "write", "--reachable"], check=True, env=env)


if __name__ == "__main__":
    main()
