#!/usr/bin/env bash
# Installs the Debian packages the tests drive (needs root; CI runs as root):
#   docker-registry (the distribution registry), apache2-utils (htpasswd -B), skopeo,
#   podman, buildah (containers clients), docker.io (a real Docker daemon, started by the tests),
#   uidmap (rootless podman for a normal user), postgresql (a real server, started by our scripts),
#   chromium (the console's browser tests, driven by playwright-core; never a browser download).
# git, curl and the docker CLI come with the machine image.
set -euo pipefail
pkgs=(docker-registry apache2-utils skopeo podman buildah docker.io uidmap postgresql chromium)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]} == 0)); then echo "test packages present: ${pkgs[*]}"; exit 0; fi
if [[ $(id -u) != 0 ]]; then echo "missing ${missing[*]}: run as root: apt-get install ${missing[*]}" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed ${missing[*]}"
