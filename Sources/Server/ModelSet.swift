// MARK: - The models a server was started with, one copy per worker slot

import CharRNN
import Foundation

/// One served model in one slot: a writer of text or a classifier of names.
enum ServedModel {
    case writer(LanguageModel)
    case classifier(NamesClassifier)
}

/// The models given at start, by name (the file name without `.safetensors`), with what
/// `GET /api/models` lists about each, and a copy of each per worker slot.
///
/// The weights are read once and shared; each slot has its own tokenizer and workspaces (the
/// ICU break iterators and scratch memory are not thread-safe). A slot is used by one request
/// at a time (``WorkQueue`` hands them out), which is why it is `@unchecked Sendable`.
final class ModelSet: @unchecked Sendable {
    /// The names in the order given.
    let names: [String]
    /// Each model's summary (`charrnn info --format json`), by name.
    let summaries: [String: ModelSummary]
    /// `slots[i][name]`: slot i's copy of the model.
    private let slots: [[String: ServedModel]]

    /// Reads every model file; `slotCount` copies of each.
    ///
    /// - Throws: ``CharRNNError`` for a file that cannot be read (with its path), or two files
    ///   with the same name.
    init(paths: [String], slotCount: Int) throws {
        var names: [String] = [], summaries: [String: ModelSummary] = [:]
        var slots = [[String: ServedModel]](repeating: [:], count: slotCount)
        var pathOf: [String: String] = [:]
        for path in paths {
            var name = (path as NSString).lastPathComponent
            if name.hasSuffix(".safetensors") { name.removeLast(".safetensors".count) }
            if let other = pathOf[name] {
                throw CharRNNError("\(other) and \(path) would both be served as \"\(name)\": rename one")
            }
            pathOf[name] = path
            let file: ModelFile
            do { file = try ModelFile(contentsOf: path) } catch { throw CharRNNError("\(error)") }  // it names the path
            for slot in 0..<slotCount {
                do {
                    slots[slot][name] = file.metadata.task == .classifier
                        ? .classifier(try NamesClassifier(file)) : .writer(try LanguageModel(file))
                } catch {
                    throw CharRNNError("\(path): \(error)")
                }
            }
            names.append(name)
            summaries[name] = ModelSummary(file)
        }
        self.names = names
        self.summaries = summaries
        self.slots = slots
    }

    /// Slot `slot`'s copy of model `name`, or nil for a name not served.
    func model(_ name: String, slot: Int) -> ServedModel? { slots[slot][name] }
}
