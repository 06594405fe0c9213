#!/usr/bin/env bash
# Fails, naming the files, when a Swift file is not as `swift format` (.swift-format) writes it.
# `make format` rewrites them in place.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
while IFS= read -r -d '' file; do
    if ! swift format --configuration .swift-format "$file" | cmp -s - "$file"; then
        echo "not formatted: $file (run make format)"
        status=1
    fi
done < <(find Sources Tests -name '*.swift' -print0; printf 'Package.swift\0')
exit $status
