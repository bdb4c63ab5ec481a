// One media pipeline on one file, for benchmarks/media.sh: prints
// `| pipeline | seconds | x real time | peak RSS of this process MiB | peak RSS of its tools MiB |`.
import Foundation
import MediaToolkit

guard CommandLine.arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: MediaBench <metadata|scene|audio|face|person> <video> <output directory>\n".utf8))
    exit(2)
}
let (pipeline, path, output) = (CommandLine.arguments[1], CommandLine.arguments[2], CommandLine.arguments[3])
let duration = try await MetadataProbe.probe(path).duration
let clock = ContinuousClock()
let started = clock.now
switch pipeline {
case "metadata": _ = try await MetadataProbe.probe(path)
case "scene": _ = try await SceneDetector().detect(path, outputDirectory: output)
case "audio": _ = try await AudioAnalyzer().analyze(path, outputDirectory: output)
case "face": _ = try await FaceDetector().detect(path, outputDirectory: output)
case "person": _ = try await PersonTracker().track(path, outputDirectory: output)
default:
    FileHandle.standardError.write(Data("unknown pipeline \(pipeline)\n".utf8))
    exit(2)
}
let elapsed = clock.now - started
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
var own = rusage()
var children = rusage()
getrusage(RUSAGE_SELF.rawValue, &own)
getrusage(RUSAGE_CHILDREN.rawValue, &children)
print(String(format: "| %@ | %.2f | %.1f | %.0f | %.0f |", pipeline, seconds, duration / max(seconds, 0.001),
             Double(own.ru_maxrss) / 1024, Double(children.ru_maxrss) / 1024))
