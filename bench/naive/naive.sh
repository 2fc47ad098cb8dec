#!/usr/bin/env bash
# A naive Seedance batch runner: what a user might write instead of
# seedance-batch, with curl, jq and `xargs -P`. Kept as a baseline for
# bench/naive_bench.ts; not a tool to use.
#
# Usage: naive.sh MANIFEST.csv OUT_DIR BASE_URL CONCURRENCY POLL_SECONDS
#   MANIFEST.csv  header line, then id,prompt,model,seconds,size,resolution
#                 (no commas or quotes inside fields)
#   COMETAPI_KEY  the bearer key, from the environment
#
# Per row: submit with `curl --retry 3` (curl retries 408/429/500/502/503/504
# and timeouts, honouring Retry-After), poll every POLL_SECONDS until a
# terminal status, download the video_url with curl. It talks only to
# http://127.0.0.1 (the simulator): any other base or video URL is refused.
set -u
if [ $# -ne 5 ]; then
  echo "usage: naive.sh MANIFEST.csv OUT_DIR BASE_URL CONCURRENCY POLL_SECONDS" >&2
  exit 2
fi
manifest=$1 out=$2 base=$3 concurrency=$4 interval=$5
case "$base" in
  http://127.0.0.1:*) ;;
  *) echo "naive.sh talks only to http://127.0.0.1, not $base" >&2; exit 2 ;;
esac
mkdir -p "$out"
export out base interval

one() {
  local id prompt model seconds size resolution task body status url
  IFS=, read -r id prompt model seconds size resolution <<<"$1"
  task=$(curl -sS --retry 3 -X POST "$base/v1/videos" \
    -H "Authorization: Bearer $COMETAPI_KEY" \
    -F "prompt=$prompt" -F "model=$model" -F "seconds=$seconds" \
    -F "size=$size" -F "resolution=$resolution" | jq -r '.id // empty' 2>/dev/null)
  if [ -z "$task" ]; then
    echo "$id: submit failed" >&2
    return 0
  fi
  while :; do
    sleep "$interval"
    body=$(curl -sS "$base/v1/videos/$task" -H "Authorization: Bearer $COMETAPI_KEY")
    status=$(jq -r '.status // empty' <<<"$body" 2>/dev/null)
    case "$status" in
      SUCCESS | completed)
        url=$(jq -r '.video_url' <<<"$body")
        break
        ;;
      FAILED | ERROR | failed | error)
        echo "$id: $status" >&2
        return 0
        ;;
    esac
  done
  case "$url" in
    http://127.0.0.1:*) ;;
    *) echo "$id: not downloading from $url" >&2; return 0 ;;
  esac
  curl -sS -o "$out/$id.mp4" "$url"
  echo "$id: done"
}
export -f one

tail -n +2 "$manifest" | tr '\n' '\0' | xargs -0 -P "$concurrency" -I{} bash -c 'one "$1"' _ {}
