// MARK: - A corpus as ids for another program: little-endian ids and a JSON description

import Foundation

/// The name of an ids file's element type in ``TextCorpus/encodingDescription(corpus:idsFile:)``:
/// unsigned 32-bit integers, little-endian, one per token, nothing else in the file.
public let encodedIDType = "uint32-le"

extension TextCorpus {
    /// The ids as another program reads them: 4 bytes per token, an unsigned 32-bit
    /// little-endian integer each, in text order, with no header.
    ///
    /// - Complexity: O(N) for N tokens.
    public var littleEndianIDs: Data {
        var data = Data(count: ids.count * 4)
        data.withUnsafeMutableBytes { raw in
            for (index, id) in ids.enumerated() {
                raw.storeBytes(of: UInt32(bitPattern: id).littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
        return data
    }

    /// A JSON document that says what the ids mean: the vocabulary and every metadata key of a
    /// language model that the text decides, so that a program that trains on the ids can write
    /// a complete charrnn model by adding only `cell`, `hidden_size`, `num_layers` and its
    /// `training` record.
    ///
    /// The keys (sorted, as written): `corpus` (the path as given), `dtype` (``encodedIDType``),
    /// `format` (`"charrnn-encoded-corpus"`), `ids` (the ids file as given), `metadata` (the
    /// model metadata keys `format_version`, `task`, `unit`, `normalization`, `case`, `vocab`,
    /// `unknown_token`, `end_token`, `categories`, as the model format spells them), `newline`
    /// (the id of `"\n"`, or null: what the held-out rule of ``validationStart(fraction:)``
    /// looks for), `replacements`, `tokens` (the count of ids) and `unknown` (letters that became
    /// the unknown token, most frequent first, as `{"token", "count"}` objects), `version` (1).
    ///
    /// - Parameters:
    ///   - corpus: the text file's path, as recorded.
    ///   - idsFile: the ids file's path, as recorded.
    /// - Returns: the JSON text, pretty-printed with sorted keys, ending in a newline.
    /// - Throws: ``CharRNNError`` if the document cannot be encoded (it always can: every
    ///   number in it is finite).
    public func encodingDescription(corpus: String, idsFile: String) throws -> String {
        let metadata: [String: JSONValue] = [
            "format_version": .number(Double(ModelMetadata.currentFormatVersion)),
            "task": .string(ModelTask.languageModel.rawValue),
            "unit": .string(unit.rawValue),
            "normalization": "NFC",
            "case": .string(caseMapping.rawValue),
            "vocab": .array(vocabulary.tokens.map(JSONValue.string)),
            "unknown_token": vocabulary.unknownToken.map { .number(Double($0)) } ?? .null,
            "end_token": .null,
            "categories": [],
        ]
        let document: [String: JSONValue] = [
            "format": "charrnn-encoded-corpus",
            "version": 1,
            "corpus": .string(corpus),
            "ids": .string(idsFile),
            "dtype": .string(encodedIDType),
            "tokens": .number(Double(ids.count)),
            "newline": vocabulary.id(of: "\n").map { .number(Double($0)) } ?? .null,
            "replacements": .number(Double(replacements)),
            "unknown": .array(unknown.map { ["token": .string($0.token), "count": .number(Double($0.count))] }),
            "metadata": .object(metadata),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
        } catch {
            throw CharRNNError("the description of \(corpus) cannot be written as JSON: \(error)")
        }
    }

    /// Writes ``littleEndianIDs`` to `idsFile` and ``encodingDescription(corpus:idsFile:)`` to
    /// `descriptionFile`, each atomically (a temporary file renamed over the path).
    ///
    /// - Parameters:
    ///   - idsFile: where the ids go.
    ///   - descriptionFile: where the JSON description goes.
    ///   - corpus: the text's path, recorded in the description.
    /// - Throws: ``CharRNNError`` naming the file that could not be written.
    public func writeEncoded(idsFile: String, descriptionFile: String, corpus: String) throws {
        let description = try encodingDescription(corpus: corpus, idsFile: idsFile)
        for (path, data) in [(idsFile, littleEndianIDs), (descriptionFile, Data(description.utf8))] {
            do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
                throw CharRNNError("cannot write \(path): \(error.localizedDescription)")
            }
        }
    }
}
