import Foundation
import Hummingbird
import NIOCore
import _NIOFileSystem

/// A ZIP archive written as it is sent: each file stored (no compression: videos and
/// JSON are served as they are), its CRC-32 and sizes in a data descriptor after the bytes, so
/// nothing is read twice or held in memory. ZIP64 records are written for entries or offsets
/// past 4 GiB.
struct ArchiveWriter: Sendable {
    struct Entry: Sendable {
        var name: String
        var path: String
    }

    let entries: [Entry]

    /// A file's bytes as a streaming body.
    static func fileBody(_ path: String, size: Int64) -> ResponseBody {
        ResponseBody(contentLength: Int(size)) { writer in
            if size > 0 {
                try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                    for try await chunk in handle.readChunks(in: 0..<size, chunkLength: .kibibytes(256)) { try await writer.write(chunk) }
                }
            }
            try await writer.finish(nil)
        }
    }

    struct Written {
        var name: [UInt8]
        var crc: UInt32
        var size: UInt64
        var offset: UInt64
    }

    func body() -> ResponseBody {
        let entries = self.entries
        return ResponseBody { writer in
            var offset: UInt64 = 0
            var written: [Written] = []
            for entry in entries {
                let name = Array(entry.name.utf8)
                var header = ByteBuffer()
                header.writeInteger(UInt32(0x0403_4b50), endianness: .little)
                header.writeInteger(UInt16(45), endianness: .little)  // version needed (ZIP64)
                header.writeInteger(UInt16(0x0808), endianness: .little)  // data descriptor, UTF-8 names
                header.writeInteger(UInt16(0), endianness: .little)  // stored
                header.writeInteger(UInt32(0), endianness: .little)  // time, date
                header.writeInteger(UInt32(0), endianness: .little)  // crc (in the descriptor)
                header.writeInteger(UInt32(0xFFFF_FFFF), endianness: .little)
                header.writeInteger(UInt32(0xFFFF_FFFF), endianness: .little)
                header.writeInteger(UInt16(name.count), endianness: .little)
                header.writeInteger(UInt16(20), endianness: .little)
                header.writeBytes(name)
                // ZIP64 extra field with zero sizes (the real ones follow in the descriptor).
                header.writeInteger(UInt16(0x0001), endianness: .little)
                header.writeInteger(UInt16(16), endianness: .little)
                header.writeInteger(UInt64(0), endianness: .little)
                header.writeInteger(UInt64(0), endianness: .little)
                let start = offset
                offset += UInt64(header.readableBytes)
                try await writer.write(header)
                var crc = CRC32()
                var size: UInt64 = 0
                try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(entry.path)) { handle in
                    for try await chunk in handle.readChunks(chunkLength: .kibibytes(256)) {
                        chunk.withUnsafeReadableBytes { crc.update($0) }
                        size += UInt64(chunk.readableBytes)
                        try await writer.write(chunk)
                    }
                }
                offset += size
                var descriptor = ByteBuffer()
                descriptor.writeInteger(UInt32(0x0807_4b50), endianness: .little)
                descriptor.writeInteger(crc.value, endianness: .little)
                descriptor.writeInteger(size, endianness: .little)
                descriptor.writeInteger(size, endianness: .little)
                offset += UInt64(descriptor.readableBytes)
                try await writer.write(descriptor)
                written.append(Written(name: name, crc: crc.value, size: size, offset: start))
            }
            let directoryStart = offset
            var directory = ByteBuffer()
            for file in written {
                directory.writeInteger(UInt32(0x0201_4b50), endianness: .little)
                directory.writeInteger(UInt16(0x031E), endianness: .little)  // made by: Unix, 3.0
                directory.writeInteger(UInt16(45), endianness: .little)
                directory.writeInteger(UInt16(0x0808), endianness: .little)
                directory.writeInteger(UInt16(0), endianness: .little)
                directory.writeInteger(UInt32(0), endianness: .little)
                directory.writeInteger(file.crc, endianness: .little)
                directory.writeInteger(UInt32(0xFFFF_FFFF), endianness: .little)
                directory.writeInteger(UInt32(0xFFFF_FFFF), endianness: .little)
                directory.writeInteger(UInt16(file.name.count), endianness: .little)
                directory.writeInteger(UInt16(28), endianness: .little)
                directory.writeInteger(UInt16(0), endianness: .little)  // comment
                directory.writeInteger(UInt16(0), endianness: .little)  // disk
                directory.writeInteger(UInt16(0), endianness: .little)  // internal attributes
                directory.writeInteger(UInt32(0o100644) << 16, endianness: .little)
                directory.writeInteger(UInt32(0xFFFF_FFFF), endianness: .little)
                directory.writeBytes(file.name)
                directory.writeInteger(UInt16(0x0001), endianness: .little)
                directory.writeInteger(UInt16(24), endianness: .little)
                directory.writeInteger(file.size, endianness: .little)
                directory.writeInteger(file.size, endianness: .little)
                directory.writeInteger(file.offset, endianness: .little)
            }
            let directorySize = UInt64(directory.readableBytes)
            let end64 = directoryStart + directorySize
            // ZIP64 end of central directory, its locator, then the classic end record.
            directory.writeInteger(UInt32(0x0606_4b50), endianness: .little)
            directory.writeInteger(UInt64(44), endianness: .little)
            directory.writeInteger(UInt16(0x031E), endianness: .little)
            directory.writeInteger(UInt16(45), endianness: .little)
            directory.writeInteger(UInt32(0), endianness: .little)
            directory.writeInteger(UInt32(0), endianness: .little)
            directory.writeInteger(UInt64(written.count), endianness: .little)
            directory.writeInteger(UInt64(written.count), endianness: .little)
            directory.writeInteger(directorySize, endianness: .little)
            directory.writeInteger(directoryStart, endianness: .little)
            directory.writeInteger(UInt32(0x0706_4b50), endianness: .little)
            directory.writeInteger(UInt32(0), endianness: .little)
            directory.writeInteger(end64, endianness: .little)
            directory.writeInteger(UInt32(1), endianness: .little)
            directory.writeInteger(UInt32(0x0605_4b50), endianness: .little)
            directory.writeInteger(UInt16(0), endianness: .little)
            directory.writeInteger(UInt16(0), endianness: .little)
            directory.writeInteger(UInt16(min(written.count, 0xFFFF)), endianness: .little)
            directory.writeInteger(UInt16(min(written.count, 0xFFFF)), endianness: .little)
            directory.writeInteger(UInt32(0xFFFF_FFFF), endianness: .little)
            directory.writeInteger(UInt32(0xFFFF_FFFF), endianness: .little)
            directory.writeInteger(UInt16(0), endianness: .little)
            try await writer.write(directory)
            try await writer.finish(nil)
        }
    }
}

/// CRC-32 (IEEE 802.3, as ZIP uses), eight table lookups per step.
struct CRC32 {
    static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for index in 0..<256 {
            var value = UInt32(index)
            for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
            tables[0][index] = value
        }
        for index in 0..<256 {
            for table in 1..<8 { tables[table][index] = (tables[table - 1][index] >> 8) ^ tables[0][Int(tables[table - 1][index] & 0xFF)] }
        }
        return tables
    }()

    private var state: UInt32 = 0xFFFF_FFFF

    var value: UInt32 { state ^ 0xFFFF_FFFF }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var crc = state
        Self.tables.withUnsafeBufferPointer { tables in
            let t0 = tables[0], t1 = tables[1], t2 = tables[2], t3 = tables[3]
            let t4 = tables[4], t5 = tables[5], t6 = tables[6], t7 = tables[7]
            var index = 0
            let count = bytes.count
            while index + 8 <= count {
                let low = crc ^ (UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24)
                crc = t7[Int(low & 0xFF)] ^ t6[Int((low >> 8) & 0xFF)] ^ t5[Int((low >> 16) & 0xFF)] ^ t4[Int(low >> 24)]
                    ^ t3[Int(bytes[index + 4])] ^ t2[Int(bytes[index + 5])] ^ t1[Int(bytes[index + 6])] ^ t0[Int(bytes[index + 7])]
                index += 8
            }
            while index < count {
                crc = t0[Int((crc ^ UInt32(bytes[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
        }
        state = crc
    }
}
