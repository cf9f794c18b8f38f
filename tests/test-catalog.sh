#!/bin/sh
# Every MESSAGE_ID the daemon logs has a journal catalog entry, and the catalog has no stale ones.
set -eu
names="$1"
catalog="$2"
ids=$(grep -o '"[0-9a-f]\{32\}"' "$names" | tr -d '"' | sort)
entries=$(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$catalog" | sort)
echo "1..2"
missing=$(printf '%s\n' "$ids" | while read -r id; do printf '%s\n' "$entries" | grep -qx "$id" || echo "$id"; done)
if [ -z "$missing" ]; then echo "ok 1 every MESSAGE_ID has a catalog entry"; else echo "not ok 1 no catalog entry for: $missing"; fi
stale=$(printf '%s\n' "$entries" | while read -r id; do printf '%s\n' "$ids" | grep -qx "$id" || echo "$id"; done)
if [ -z "$stale" ]; then echo "ok 2 no stale catalog entries"; else echo "not ok 2 stale catalog entries: $stale"; fi
