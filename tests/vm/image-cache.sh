# SPDX-License-Identifier: GPL-2.0-or-later
#
# Sourced by the image builders (build-image.sh, build-image-selinux.sh,
# build-image-openrc.sh):
# the cache of built images, one builder at a time. The caller defines
# log() and a build function that fills a directory with root.img, vmlinuz
# and initrd.img.

image_cache_tmp=

# Also on failure: a build mounts /proc and /sys (and more) inside its tree.
image_cache_cleanup() {
        set +e
        [ -n "$image_cache_tmp" ] || return 0
        findmnt -rn -o TARGET | grep -F "$image_cache_tmp/" | sort -r | while read -r m; do
                umount -l "$m" || true
        done
        rm -rf --one-file-system "$image_cache_tmp"
}

# image_cache_get CACHE HASH KEEP WHAT BUILD: prints the image directory
# CACHE/image-HASH, built first by "BUILD DIR" when the cache lacks it; then
# only the KEEP newest images of CACHE are kept.
image_cache_get() {
        local cache=$1 hash=$2 keep=$3 what=$4 build=$5 image start

        image="$cache/image-$hash"
        mkdir -p "$cache"
        # A second caller waits and then finds the image.
        exec 9>"$cache/.lock"
        if ! flock -w 3600 9; then
                log "timed out waiting for another build"
                return 1
        fi
        if [ -f "$image/complete" ]; then
                echo "$image"
                return 0
        fi

        image_cache_tmp=$(mktemp -d "$cache/build-$hash.XXXXXX")
        trap image_cache_cleanup EXIT
        start=$SECONDS
        log "building the $what image $hash in $cache"
        "$build" "$image_cache_tmp"
        date -u +%FT%TZ >"$image_cache_tmp/complete"
        mv -T "$image_cache_tmp" "$image"
        image_cache_tmp=
        log "image $hash built in $((SECONDS - start)) s"

        ls -1dt "$cache"/image-* 2>/dev/null | tail -n +$((keep + 1)) | while read -r old; do
                log "removing old image $old"
                rm -rf "$old"
        done
        echo "$image"
}
