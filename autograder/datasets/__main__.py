"""Fill the data cache, or record the checksums of dataset files.

    python -m autograder.datasets fetch [mnist fashion_mnist] [--split test] [--from FOLDER]
    python -m autograder.datasets record FOLDER

`fetch` downloads what is missing (each file verified); with `--from` it only copies files from
FOLDER whose SHA-256 matches the manifest (MNIST and Fashion-MNIST share file names, so the
checksum, not the name, says which dataset a file is). `record` prints the size and SHA-256 of
every file in FOLDER and the manifest entries it matches, to check or fill in the manifest.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.datasets import cache
from autograder.datasets.errors import DatasetError
from autograder.datasets.manifest import DEFAULT_MANIFEST, Manifest, read_manifest


def wanted(manifest: Manifest, names: list[str], splits: list[str]):
    """(dataset, split name, file entry) for every file asked for."""
    for name in names or list(manifest.datasets):
        dataset = manifest.dataset(name)
        for split_name in splits or list(dataset.splits):
            split = dataset.split(split_name)
            for entry in (split.images, split.labels):
                yield dataset, split_name, entry


def fetch(args: argparse.Namespace, manifest: Manifest) -> int:
    root = cache.cache_root()
    failed = 0
    for dataset, split, entry in wanted(manifest, args.datasets, args.split):
        label = f"{dataset.name} {split} {entry.name}"
        if cache.is_cached(dataset, entry, root):
            status = "already cached"
        elif args.source is not None:
            source = args.source / entry.name
            if not source.is_file():
                status = f"not in {args.source}"
            elif cache.copy_in(source, dataset, entry, root):
                status = f"copied from {args.source}"
            else:
                status = f"{source} has another checksum (another dataset's file?): skipped"
        else:
            try:
                cache.ensure(dataset, entry, root=root)
                status = "downloaded and verified"
            except DatasetError as exc:
                failed += 1
                status = f"FAILED\n{exc}"
        if not args.quiet or status.startswith(("copied", "FAILED")):
            print(f"{label}: {status}")
    if not args.quiet:
        print(f"cache: {root}")
    return 1 if failed else 0


def record(args: argparse.Namespace, manifest: Manifest) -> int:
    entries = [(dataset, split, entry) for dataset, split, entry in wanted(manifest, [], [])]
    files = sorted(p for p in args.folder.iterdir() if p.is_file())
    for path in files:
        digest = cache.sha256_of(path)
        matches = [f"{d.name}.{s}" for d, s, e in entries if e.name == path.name and e.sha256 == digest]
        verdict = f"matches {', '.join(matches)}" if matches else "in no manifest entry"
        print(f"{path.name}  bytes = {path.stat().st_size}  sha256 = \"{digest}\"  ({verdict})")
    return 0 if files else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.datasets", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    commands = parser.add_subparsers(dest="command", required=True)
    fetching = commands.add_parser("fetch", help="fill the cache (download, or copy with --from)")
    fetching.add_argument("datasets", nargs="*", help="datasets to fetch (default: all)")
    fetching.add_argument("--split", action="append", help="only this split (repeatable)")
    fetching.add_argument("--from", dest="source", type=Path,
                          help="copy verified files from this folder instead of downloading")
    fetching.add_argument("--quiet", action="store_true", help="print only what changed")
    fetching.set_defaults(run=fetch)
    recording = commands.add_parser("record", help="print sizes and SHA-256 sums of a folder's files")
    recording.add_argument("folder", type=Path)
    recording.set_defaults(run=record)
    args = parser.parse_args(argv)
    try:
        if getattr(args, "source", None) is not None and not args.source.is_dir():
            raise DatasetError(f"--from {args.source}: no such folder")
        return args.run(args, read_manifest(args.manifest))
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
