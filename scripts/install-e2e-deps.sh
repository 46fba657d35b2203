#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests drive (needs root; CI runs as root):
#   docker-registry (the distribution registry), apache2-utils (htpasswd -B), skopeo.
# git, curl and the docker CLI (client only) come with the machine image.
set -euo pipefail
pkgs=(docker-registry apache2-utils skopeo)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]} == 0)); then echo "e2e packages present: ${pkgs[*]}"; exit 0; fi
if [[ $(id -u) != 0 ]]; then echo "missing ${missing[*]}: run as root: apt-get install ${missing[*]}" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed ${missing[*]}"
