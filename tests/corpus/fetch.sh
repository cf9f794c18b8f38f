#!/bin/sh
# The real-hardware corpus's sources, as SOURCES names them: fetched from the Debian archive (the apt sources' own
# mirror), checked against their SHA-256 and cached in CACHE_DIR under that hash, so a second run reads the disk.
# Nothing of them is in this repository. Prints the cached paths.   usage: fetch.sh CACHE_DIR
set -eu
cache=${1:?usage: fetch.sh CACHE_DIR}
mirror=${PT_CORPUS_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$cache"
while read -r sha path; do
	file="$cache/$sha-$(basename "$path")"
	if [ ! -s "$file" ] || [ "$(sha256sum < "$file" | cut -d' ' -f1)" != "$sha" ]; then
		curl -sSfL --retry 3 -o "$file.part" "$mirror/$path" >&2 || { echo "cannot fetch $mirror/$path" >&2; exit 1; }
		[ "$(sha256sum < "$file.part" | cut -d' ' -f1)" = "$sha" ] || { echo "$path: wrong SHA-256" >&2; exit 1; }
		mv "$file.part" "$file"
	fi
	echo "$file"
done <<-LIST
8953a785b2e3af414434b8fdcbfb75c90758819631001e60dd3afb89b22b2331 pool/main/p/pciutils/pciutils_3.9.0.orig.tar.gz
b3fb1a43a14d8fbcd8e976de5ede2ea7ce1d768ed173adb33c7ceaaf098dc970 pool/main/h/hwloc/hwloc_2.9.0.orig.tar.bz2
LIST
