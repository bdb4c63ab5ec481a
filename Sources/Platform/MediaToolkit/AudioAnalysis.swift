import Foundation

/// The `audio` pipeline: loudness (EBU R128), silences and speech activity, speech-activity
/// turns as RTTM, and a transcription as WebVTT. Every result names the engine behind it.
public struct AudioAnalyzer: Sendable {
    public struct Config: Codable, Sendable, Equatable {
        /// Quieter than this counts as silence (dBFS).
        public var silenceThresholdDb: Double = -35
        /// Silences shorter than this do not split speech (seconds).
        public var minSilence: Double = 0.3
        public var transcribe: Bool = true

        public init(silenceThresholdDb: Double = -35, minSilence: Double = 0.3, transcribe: Bool = true) {
            self.silenceThresholdDb = silenceThresholdDb
            self.minSilence = minSilence
            self.transcribe = transcribe
        }
    }

    public struct Loudness: Codable, Sendable, Equatable {
        public var integratedLufs: Double
        public var rangeLu: Double
        public var truePeakDbfs: Double
    }

    public struct Segment: Codable, Sendable, Equatable {
        public var start: Double
        public var end: Double
    }

    public struct Cue: Codable, Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var text: String
    }

    public struct Report: Codable, Sendable, Equatable {
        public var duration: Double
        public var loudness: Loudness?
        public var silences: [Segment]
        public var speech: [Segment]
        public var transcript: [Cue]
        /// Which engine produced which result.
        public var engines: [String: String]
        public var files: [String: String]
    }

    public static let descriptor = PipelineDescriptor(
        name: "audio_processing",
        description: "Loudness (EBU R128), speech activity (energy threshold) as RTTM, and speech recognition (pocketsphinx) as WebVTT",
        configSchema: [
            "type": "object", "additionalProperties": false,
            "properties": [
                "silence_threshold_db": ["type": "number", "minimum": -90, "maximum": 0, "default": -35],
                "min_silence": ["type": "number", "minimum": 0.05, "maximum": 10, "default": 0.3],
                "transcribe": ["type": "boolean", "default": true],
            ],
        ],
        outputFormats: ["json", "rttm", "webvtt"])

    public let config: Config

    public init(config: Config = Config()) {
        self.config = config
    }

    public func analyze(
        _ path: String, outputDirectory: String, timeout: Duration = .seconds(3600), progress: (@Sendable (Double) -> Void)? = nil
    ) async throws -> Report {
        let metadata = try await MetadataProbe.probe(path, requireVideo: false)
        guard metadata.audio != nil else { throw MediaError.notAVideo("the file has no audio stream") }
        let total = metadata.duration
        // The analysis pass is most of the work: it reports up to 90 %, transcription the rest.
        let output = try await Subprocess.run(
            "ffmpeg",
            ["-hide_banner", "-nostats", "-nostdin", "-i", path, "-vn", "-sn",
             "-af", "ebur128=peak=true:framelog=verbose,silencedetect=noise=\(config.silenceThresholdDb)dB:d=\(config.minSilence)",
             "-progress", "pipe:1", "-f", "null", "-"],
            timeout: timeout, keepOutput: false
        ) { data in
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("out_time_us=") {
                if let micros = Double(line.dropFirst("out_time_us=".count)), total > 0 { progress?(min(micros / 1_000_000 / total, 1) * 0.9) }
            }
        }
        guard output.status == 0 else { throw MediaError.notAVideo("ffmpeg could not decode the audio: \(Subprocess.tail(output.stderr))") }
        let log = String(decoding: output.stderr, as: UTF8.self)
        let duration = metadata.duration
        let silences = Self.silences(log, duration: duration)
        let speech = Self.complement(silences, duration: duration)
        var report = Report(
            duration: duration, loudness: Self.loudness(log), silences: silences, speech: speech, transcript: [],
            engines: ["loudness": "ffmpeg ebur128 (EBU R128)", "speech_activity": "ffmpeg silencedetect (energy threshold, not a speech model; one speaker label SPEAKER_00)"],
            files: [:])
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        // VideoAnnotator's names; its RTTM file id is literally `video`.
        let rttm = "\(outputDirectory)/\(name)_speaker_diarization.rttm"
        try Self.rttm(speech, uri: "video").write(toFile: rttm, atomically: true, encoding: .utf8)
        report.files["rttm"] = rttm
        if config.transcribe {
            report.transcript = try await transcribe(path, directory: outputDirectory, timeout: timeout)
            let vtt = "\(outputDirectory)/\(name)_speech_recognition.vtt"
            try Self.webVTT(report.transcript).write(toFile: vtt, atomically: true, encoding: .utf8)
            report.files["webvtt"] = vtt
            report.engines["transcription"] = "pocketsphinx (Debian pocketsphinx-en-us model)"
        }
        let json = "\(outputDirectory)/\(name)_audio.json"
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        report.files["json"] = json
        progress?(1)
        return report
    }

    /// pocketsphinx on 16 kHz mono audio; one cue per utterance, timed by its words.
    func transcribe(_ path: String, directory: String, timeout: Duration) async throws -> [Cue] {
        let wav = "\(directory)/.\(UUID().uuidString.prefix(8)).wav"
        defer { try? FileManager.default.removeItem(atPath: wav) }
        let converted = try await Subprocess.run(
            "ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", path, "-vn", "-ac", "1", "-ar", "16000", wav], timeout: timeout)
        guard converted.status == 0 else { throw MediaError.failed("could not extract the audio: \(Subprocess.tail(converted.stderr))") }
        let result = try await Subprocess.run(
            "pocketsphinx_continuous", ["-infile", wav, "-time", "yes", "-logfn", "/dev/null"], timeout: timeout)
        guard result.status == 0 else { throw MediaError.failed("pocketsphinx failed: \(Subprocess.tail(result.stderr))") }
        return Self.cues(String(decoding: result.stdout, as: UTF8.self))
    }

    /// Word lines (`word start end confidence`) grouped into utterances (`<s>` … `</s>`).
    static func cues(_ output: String) -> [Cue] {
        var cues: [Cue] = []
        var words: [(String, Double, Double)] = []
        func flush() {
            if let first = words.first, let last = words.last {
                cues.append(Cue(start: first.1, end: last.2, text: words.map(\.0).joined(separator: " ")))
            }
            words = []
        }
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 4, let start = Double(fields[1]), let end = Double(fields[2]), Double(fields[3]) != nil else { continue }
            let token = String(fields[0])
            if token == "<s>" { flush(); continue }
            if token == "</s>" { flush(); continue }
            if token.hasPrefix("<") || token.hasPrefix("[") { continue }
            let word = token.replacing(/\(\d+\)$/, with: "")
            words.append((word, start, end))
        }
        flush()
        return cues
    }

    static func number(after label: String, in text: Substring) -> Double? {
        guard let range = text.range(of: label) else { return nil }
        let rest = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
        return Double(rest.split(separator: " ").first ?? "")
    }

    static func loudness(_ log: String) -> Loudness? {
        guard let summary = log.range(of: "Summary:") else { return nil }
        let text = log[summary.upperBound...]
        guard let integrated = number(after: "I:", in: text), let range = number(after: "LRA:", in: text) else { return nil }
        return Loudness(integratedLufs: integrated, rangeLu: range, truePeakDbfs: number(after: "Peak:", in: text) ?? -.infinity)
    }

    static func silences(_ log: String, duration: Double) -> [Segment] {
        var segments: [Segment] = []
        var open: Double?
        for line in log.split(separator: "\n") where line.contains("silencedetect") {
            if let start = number(after: "silence_start:", in: line) { open = max(start, 0) }
            if let end = number(after: "silence_end:", in: line) {
                segments.append(Segment(start: open ?? 0, end: min(end, duration)))
                open = nil
            }
        }
        if let open { segments.append(Segment(start: open, end: duration)) }
        return segments
    }

    /// The parts of [0, duration] no silence covers.
    static func complement(_ silences: [Segment], duration: Double) -> [Segment] {
        var speech: [Segment] = []
        var cursor = 0.0
        for silence in silences.sorted(by: { $0.start < $1.start }) {
            if silence.start - cursor > 0.05 { speech.append(Segment(start: cursor, end: silence.start)) }
            cursor = max(cursor, silence.end)
        }
        if duration - cursor > 0.05 { speech.append(Segment(start: cursor, end: duration)) }
        return speech
    }

    /// NIST RTTM: `SPEAKER <uri> 1 <onset> <duration> <NA> <NA> <speaker> <NA> <NA>`.
    static func rttm(_ speech: [Segment], uri: String) -> String {
        let name = uri.replacingOccurrences(of: " ", with: "_")
        return speech.filter { $0.end - $0.start >= 0.0005 }
            .map { String(format: "SPEAKER %@ 1 %.3f %.3f <NA> <NA> SPEAKER_00 <NA> <NA>\n", name, $0.start, $0.end - $0.start) }.joined()
    }

    static func timestamp(_ seconds: Double) -> String {
        let milliseconds = Int((max(seconds, 0) * 1000).rounded())
        return String(format: "%02d:%02d:%02d.%03d", milliseconds / 3_600_000, milliseconds / 60_000 % 60, milliseconds / 1000 % 60, milliseconds % 1000)
    }

    /// VideoAnnotator's WebVTT: cues numbered from 1, no speaker tags.
    static func webVTT(_ cues: [Cue]) -> String {
        "WEBVTT\n\n" + cues.enumerated().map { index, cue in
            "\(index + 1)\n\(timestamp(cue.start)) --> \(timestamp(max(cue.end, cue.start + 0.001)))\n\(cue.text)\n\n"
        }.joined()
    }
}
