#!/usr/bin/env bash
# The media toolkit benchmark (issue 9): each pipeline on a generated 60 s 720p clip (three
# shots, a face, speech), as a multiple of real time, with peak RSS of the pipeline's process
# and of the tools it ran (ffmpeg, pocketsphinx). Release build.
# Usage: benchmarks/media.sh. Prints a Markdown table (recorded in docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup
swift build -c release --product MediaBench >/dev/null
work=$(mktemp -d /tmp/platform-mediabench.XXXXXX)
trap 'rm -rf "$work"' EXIT
espeak-ng -w "$work/speech.wav" "hello and welcome to the platform, this clip measures how fast the media pipelines run"
ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=1280x720:rate=30:duration=20" \
    -loop 1 -t 20 -r 30 -i Tests/MediaToolkitTests/Fixtures/astronaut.jpg \
    -f lavfi -i "smptebars=size=1280x720:rate=30:duration=20" \
    -i "$work/speech.wav" \
    -filter_complex "[1:v]scale=1280:720,setsar=1[face];[0:v][face][2:v]concat=n=3:v=1:a=0[v];[3:a]adelay=5000|5000,apad=whole_dur=60[a]" \
    -map "[v]" -map "[a]" -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -t 60 "$work/clip.mp4"
echo "| pipeline | seconds | x real time | peak RSS MiB (pipeline) | peak RSS MiB (tools) |"
echo "| --- | --- | --- | --- | --- |"
for pipeline in metadata scene audio face person; do
    .build/release/MediaBench "$pipeline" "$work/clip.mp4" "$work/out-$pipeline"
done
